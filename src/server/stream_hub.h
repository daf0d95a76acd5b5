// StreamHub: what godwit serve keeps about its tables' streams beyond the
// store, shared by the handlers of one server (the router's and the
// physical tables'):
//
//   - each table's shard layout (server/stream_layout.h): loaded from the
//     control table, rotated when due (lazily, at the next stream request
//     on the table), persisted before any reader can see a rotation;
//   - the trim horizon of the stream retention (records older than
//     HandlerOptions::stream_retention_seconds are trimmed);
//   - the readers of each shard (LimitExceededException past
//     HandlerOptions::stream_readers_per_shard);
//   - the draws of misleading empty pages;
//   - Time to Live: each table's setting and the expirer thread.
//
// Persistence (control table `godwit_control`, pk:S sk:S):
//
//   pk = "streams#<Table>"  sk = <created_micros, 20 digits>
//        layout:S  the layout's encoded form (stream_layout.h)
//   pk = "ttl#<Table>"      sk = <created_micros, 20 digits>
//        enabled:BOOL  attribute:S
//
// keyed by the table's creation time, so that a table dropped and created
// again under its name starts afresh. A layout that is still what one
// unrotated shard is (StreamLayout::Trivial: godwit serve's historical
// stream) is not written; the control table is made only when something
// must be kept.
//
// Restart with other options: a table whose layout was persisted keeps its
// shards and lineage; it rotates with the new --shard-rotate-seconds from
// now on (0: its open shards stay open), and splits while fewer than twice
// the shards it STARTED with are open (its --stream-shards is the one it
// was created with). A table never persisted (one unrotated shard) starts a
// layout with the new options: with --stream-shards 1 its single shard
// stays the root of the lineage; with N > 1 it gets N new shards covering
// its kept records, and the old single shard is no longer listed.
//
// Thread safety: every method may be called from many threads.
#ifndef GODWIT_SERVER_STREAM_HUB_H_
#define GODWIT_SERVER_STREAM_HUB_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>

#include "godwit/server.h"
#include "godwit/status.h"
#include "godwit/store.h"
#include "server/stream_layout.h"

namespace godwit::server {

// A reader of a shard is an iterator chain (a GetShardIterator and the
// NextShardIterators that follow from it) that called GetRecords on the
// shard at least twice, the last time within this window (docs/server.md).
// A chain's first GetRecords is a probe: never refused, not counted.
inline constexpr int64_t kReaderWindowMicros = 2'000'000;
// GetRecords pages are cut at this many bytes of records (DynamoDB: 1 MB).
inline constexpr size_t kPageBytesMax = size_t{1} << 20;
// Misleading empty pages in a row on one chain are fewer than this (godwit
// takes this many empty pages in a row as "at the head").
inline constexpr uint32_t kEmptyPagesAtHead = 3;
// The most shards a table's stream may list at once (open, and closed
// within the retention) by the options (StreamHub::Validate): its layout is
// kept in one control-table item of at most 400 KB.
inline constexpr int kMaxListedShards = 1500;
// Time to Live ignores expiry times more than five years in the past
// (DynamoDB developer guide, "Time to Live").
inline constexpr int64_t kTtlMaxPastSeconds = int64_t{5} * 365 * 24 * 3600;

class StreamHub {
 public:
  // `store` (the physical tables: the control table is there) must outlive
  // the hub. The expirer thread runs (every opts.ttl_scan_seconds; none if
  // 0) once some table has Time to Live on: from the start if a kept
  // setting says so, else from the first UpdateTimeToLive enabling it.
  StreamHub(Store* store, const HandlerOptions& opts);
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  // Errors: InvalidArgument naming the option out of range.
  static Status Validate(const HandlerOptions& opts);

  // Stops the expirer thread (idempotent). Call before the store closes.
  void Stop();

  int64_t Now() const;
  const HandlerOptions& options() const { return opts_; }

  // A table's stream as readers see it at one moment.
  struct View {
    std::shared_ptr<const StreamLayout> layout;  // listed shards only
    // The table's latest sequence when the view was taken: records above
    // it are not read through this view (so that a rotation, whose
    // boundary is the latest sequence when it happens, never moves a
    // record a reader has seen in an open shard).
    uint64_t cap = 0;
    // Records <= trimmed are gone (retention, or the store's own).
    uint64_t trimmed = 0;
    int64_t now = 0;
  };
  // The stream of `table` described (just now) by `d`: rotates it if due
  // (persisting the new layout first), forgets shards closed before the
  // retention, advances the trim horizon.
  // Errors: the store's (reading or persisting); DataLoss for a corrupt
  // persisted layout.
  Result<View> Current(Table& table, const TableDescription& d);

  // A new iterator chain's id (never 0).
  uint64_t NewReader();
  // Counts the GetRecords call of chain `reader` on `shard` of table `d`
  // now. Errors: LimitExceededException when the chain would become a
  // reader (its second call within kReaderWindowMicros) while as many other
  // readers as the option allows read the shard.
  Status AdmitReader(const TableDescription& d, const std::string& shard,
                     uint64_t reader, int64_t now);
  // Whether this page is to be empty although records follow (drawn with
  // the option's rate).
  bool DrawMisleadingEmpty();

  // ---- Time to Live (stream_ttl.cc)
  struct TtlSpec {
    bool enabled = false;
    std::string attribute;  // as last set (kept while disabled)
  };
  TtlSpec GetTtl(const TableDescription& d);
  // Persists, then applies. Errors: the store's.
  Status SetTtl(const TableDescription& d, const TtlSpec& spec);
  // One expirer pass over every table with Time to Live on: deletes (as
  // the service) each item whose attribute is a Number of epoch seconds
  // below now (and not more than kTtlMaxPastSeconds below). Returns how
  // many it deleted. Errors: the first store error (the pass goes on with
  // the other tables).
  Result<size_t> ExpireNow();

 private:
  struct Entry {
    std::mutex mu;
    std::shared_ptr<const StreamLayout> layout;  // GUARDED_BY(mu)
    uint64_t trimmed = 0;                        // GUARDED_BY(mu)
    // The time of record trimmed + 1 when known (0: unknown), so that the
    // horizon is re-read only once that record may have aged out.
    int64_t next_time = 0;  // GUARDED_BY(mu)
  };
  static std::string KeyOf(const TableDescription& d);
  Entry* EntryOf(const TableDescription& d);
  Status Load(Entry* e, const TableDescription& d, int64_t now);
  Status Persist(const TableDescription& d, const StreamLayout& l);
  Status AdvanceTrim(Entry* e, Table& table, const TableDescription& d,
                     uint64_t cap, int64_t cutoff);
  void LoadTtl();
  void StartExpirer();  // idempotent; not after Stop
  void ExpirerLoop();

  Store* const store_;
  const HandlerOptions opts_;

  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
  struct ChainUse {
    int64_t last = 0;    // the chain's last GetRecords on the shard
    uint32_t calls = 0;  // 1: a probe; 2: a reader
  };
  // Readers: table key + '\n' + shard -> (chain -> use). Idle entries are
  // swept every kSweepEvery admissions.
  std::map<std::string, std::map<uint64_t, ChainUse>> readers_;
  uint64_t admissions_ = 0;
  std::mt19937_64 rng_;
  uint64_t next_reader_ = 0;

  std::mutex ttl_mu_;
  std::map<std::string, std::pair<TableDescription, TtlSpec>> ttl_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread expirer_;  // GUARDED_BY(stop_mu_)
};

// The sort key of a table's records in the control table: its creation
// time, 20 digits.
std::string CreatedSortKey(int64_t created_micros);

// The hub a server's handlers share: `store` is where the control table is
// (the physical store).
std::shared_ptr<StreamHub> MakeStreamHub(Store* store,
                                         const HandlerOptions& opts);

}  // namespace godwit::server

#endif  // GODWIT_SERVER_STREAM_HUB_H_
