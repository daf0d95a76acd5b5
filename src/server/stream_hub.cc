// StreamHub: layouts, trim horizon, readers, empty pages. Time to Live is in
// stream_ttl.cc. See stream_hub.h.
#include "server/stream_hub.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "control/control_table.h"
#include "wire/errors.h"

namespace godwit::server {
namespace {

int64_t SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SecondsToMicros(double s) { return static_cast<int64_t>(s * 1e6); }

}  // namespace

std::string CreatedSortKey(int64_t created_micros) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020" PRId64, created_micros);
  return buf;
}

Status StreamHub::Validate(const HandlerOptions& o) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument(what);
  };
  if (o.stream_shards < 1 || o.stream_shards > 1000) {
    return bad("--stream-shards must be 1..1000, got " +
               std::to_string(o.stream_shards));
  }
  if (!(o.shard_rotate_seconds >= 0) || o.shard_rotate_seconds > 1e9 ||
      (o.shard_rotate_seconds > 0 && o.shard_rotate_seconds < 0.001)) {
    return bad(
        "--shard-rotate-seconds must be 0 (never) or 0.001..1e9 seconds");
  }
  if (o.stream_page_max < 1 || o.stream_page_max > 1000) {
    return bad("--stream-page-max must be 1..1000, got " +
               std::to_string(o.stream_page_max));
  }
  if (!(o.stream_empty_page_rate >= 0) || o.stream_empty_page_rate > 1) {
    return bad("--stream-empty-page-rate must be 0..1");
  }
  if (o.iterator_ttl_seconds < 1) {
    return bad("--iterator-ttl-seconds must be >= 1");
  }
  if (o.stream_readers_per_shard < 0) {
    return bad("--stream-readers-per-shard must be >= 0 (0: no limit)");
  }
  if (o.stream_retention_seconds < 1) {
    return bad("--stream-retention-seconds must be >= 1");
  }
  if (o.shard_rotate_seconds > 0) {
    // A table's layout is one control-table item: the shards it lists
    // (those closed within the retention, and the open ones) must fit.
    const double epochs =
        std::ceil(static_cast<double>(o.stream_retention_seconds) /
                  o.shard_rotate_seconds) +
        1;
    const double listed = epochs * 2 * o.stream_shards;
    if (listed > kMaxListedShards) {
      return bad("--stream-retention-seconds " +
                 std::to_string(o.stream_retention_seconds) +
                 " with --shard-rotate-seconds " +
                 std::to_string(o.shard_rotate_seconds) +
                 " and --stream-shards " + std::to_string(o.stream_shards) +
                 " could list up to " +
                 std::to_string(static_cast<uint64_t>(listed)) +
                 " shards (at most " + std::to_string(kMaxListedShards) +
                 "): rotate less often or keep records for less time");
    }
  }
  if (!(o.ttl_scan_seconds >= 0) || o.ttl_scan_seconds > 86400) {
    return bad("--ttl-scan-seconds must be 0..86400");
  }
  return Status::OK();
}

StreamHub::StreamHub(Store* store, const HandlerOptions& opts)
    : store_(store), opts_([&] {
        HandlerOptions o = opts;
        o.stream_hub = nullptr;  // no cycle
        o.admin = nullptr;
        return o;
      }()) {
  uint64_t seed = opts_.stream_seed != 0
                      ? opts_.stream_seed
                      : static_cast<uint64_t>(SystemMicros());
  rng_.seed(seed);
  // Chain ids differ across restarts, so that an iterator from before one
  // is not mistaken for a chain of this run.
  next_reader_ = (rng_() >> 16) + 1;
  LoadTtl();
  bool any = false;
  {
    std::lock_guard l(ttl_mu_);
    for (const auto& [key, v] : ttl_) any |= v.second.enabled;
  }
  if (any) StartExpirer();
}

StreamHub::~StreamHub() { Stop(); }

void StreamHub::StartExpirer() {
  std::lock_guard l(stop_mu_);
  if (stopping_ || expirer_.joinable() || opts_.ttl_scan_seconds <= 0) return;
  expirer_ = std::thread([this] { ExpirerLoop(); });
}

void StreamHub::Stop() {
  std::thread expirer;
  {
    std::lock_guard l(stop_mu_);
    stopping_ = true;
    expirer = std::move(expirer_);
  }
  stop_cv_.notify_all();
  if (expirer.joinable()) expirer.join();
}

int64_t StreamHub::Now() const {
  return opts_.clock ? opts_.clock() : SystemMicros();
}

std::string StreamHub::KeyOf(const TableDescription& d) {
  return d.name + '\x1f' + CreatedSortKey(d.created_micros);
}

StreamHub::Entry* StreamHub::EntryOf(const TableDescription& d) {
  std::lock_guard l(mu_);
  std::unique_ptr<Entry>& e = entries_[KeyOf(d)];
  if (!e) e = std::make_unique<Entry>();
  return e.get();
}

Status StreamHub::Persist(const TableDescription& d, const StreamLayout& l) {
  RETURN_IF_ERROR(control::EnsureControlTable(store_));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t,
                   store_->GetTable(control::kControlTable));
  Item item = KeyToItem(control::ControlKey("streams#" + d.name,
                                            CreatedSortKey(d.created_micros)),
                        t->key_schema());
  item.Set("layout", AttributeValue::S(l.Encode()));
  Result<std::optional<Item>> put = t->Put(item);
  if (!put.ok()) {
    return put.status().WithContext("persisting the stream layout of " +
                                    d.name);
  }
  return Status::OK();
}

Status StreamHub::Load(Entry* e, const TableDescription& d, int64_t now) {
  std::optional<std::string> text;
  Result<std::shared_ptr<Table>> t = store_->GetTable(control::kControlTable);
  if (!t.ok() && !t.status().IsNotFound()) return t.status();
  if (t.ok()) {
    ASSIGN_OR_RETURN(
        std::optional<Item> item,
        (*t)->Get(control::ControlKey("streams#" + d.name,
                                      CreatedSortKey(d.created_micros))));
    if (item) {
      const AttributeValue* v = item->Find("layout");
      if (v == nullptr || !v->is(AttrType::kS)) {
        return Status::DataLoss("control table: the stream layout of " +
                                d.name + " has no layout text");
      }
      text = v->s();
    }
  }
  const int64_t rotate = SecondsToMicros(opts_.shard_rotate_seconds);
  if (text) {
    Result<StreamLayout> l = StreamLayout::Decode(*text);
    if (!l.ok()) {
      return l.status().WithContext("control table: stream layout of " +
                                    d.name);
    }
    RETURN_IF_ERROR(l->SetRotation(rotate, l->options().split_per_mille));
    e->layout = std::make_shared<const StreamLayout>(*std::move(l));
    return Status::OK();
  }
  StreamLayoutOptions lo;
  lo.shards = opts_.stream_shards;
  lo.rotate_micros = rotate / 1000 * 1000;
  lo.seed = rng_() ^ static_cast<uint64_t>(d.created_micros);
  // From sequence 1: the first shards hold every record the store keeps.
  ASSIGN_OR_RETURN(StreamLayout l, StreamLayout::Start(lo, 1, now));
  if (!l.Trivial()) RETURN_IF_ERROR(Persist(d, l));
  e->layout = std::make_shared<const StreamLayout>(std::move(l));
  return Status::OK();
}

Status StreamHub::AdvanceTrim(Entry* e, Table& table, const TableDescription& d,
                              uint64_t cap, int64_t cutoff) {
  if (d.stream_first_sequence > 0 && e->trimmed + 1 < d.stream_first_sequence) {
    e->trimmed = d.stream_first_sequence - 1;
    e->next_time = 0;
  }
  if (!d.stream_enabled || e->trimmed >= cap) return Status::OK();
  if (e->next_time != 0 && e->next_time >= cutoff) return Status::OK();
  Result<std::unique_ptr<StreamReader>> r =
      table.OpenStream(StreamPosition::After(e->trimmed));
  if (!r.ok()) {
    // Trimmed by the store meanwhile, or turned off: the next request sees
    // the store's new horizon.
    if (r.status().code() == StatusCode::kDataLoss ||
        r.status().code() == StatusCode::kFailedPrecondition) {
      return Status::OK();
    }
    return r.status();
  }
  std::vector<ChangeRecord> batch;
  size_t want = 1;  // most calls find the next record young: read one
  for (;;) {
    batch.clear();
    Status s = (*r)->Read(want, &batch);
    if (s.code() == StatusCode::kDataLoss) return Status::OK();
    RETURN_IF_ERROR(s);
    if (batch.empty()) {
      e->next_time = 0;
      return Status::OK();
    }
    for (const ChangeRecord& rec : batch) {
      if (rec.sequence > cap) {
        e->next_time = 0;
        return Status::OK();
      }
      if (rec.time_micros >= cutoff) {
        e->next_time = rec.time_micros;
        return Status::OK();
      }
      e->trimmed = rec.sequence;
    }
    want = 256;
  }
}

Result<StreamHub::View> StreamHub::Current(Table& table,
                                           const TableDescription& d) {
  Entry* e = EntryOf(d);
  std::lock_guard l(e->mu);
  View v;
  v.now = Now();
  v.cap = d.latest_sequence;
  if (!e->layout) RETURN_IF_ERROR(Load(e, d, v.now));
  const int64_t cutoff = v.now - opts_.stream_retention_seconds * 1000000;
  if (e->layout->RotationDue(v.now)) {
    // The boundary is the latest sequence now, read after every view
    // handed out so far took its cap: every record a reader saw in an
    // open shard stays in it.
    ASSIGN_OR_RETURN(TableDescription fresh, table.Describe());
    StreamLayout next = *e->layout;
    next.Rotate(std::max(fresh.latest_sequence, d.latest_sequence), v.now);
    next.Forget(cutoff);
    // Durable before any reader sees it.
    RETURN_IF_ERROR(Persist(d, next));
    e->layout = std::make_shared<const StreamLayout>(std::move(next));
  } else {
    bool stale = false;
    for (const LayoutShard& s : e->layout->shards()) {
      if (!s.open() && s.closed_micros < cutoff) stale = true;
    }
    if (stale) {
      // Derivable again after a restart (Forget at load): not persisted.
      StreamLayout next = *e->layout;
      next.Forget(cutoff);
      e->layout = std::make_shared<const StreamLayout>(std::move(next));
    }
  }
  RETURN_IF_ERROR(AdvanceTrim(e, table, d, v.cap, cutoff));
  v.layout = e->layout;
  v.trimmed = e->trimmed;
  return v;
}

uint64_t StreamHub::NewReader() {
  std::lock_guard l(mu_);
  uint64_t id = next_reader_++;
  if (id == 0) id = next_reader_++;
  return id;
}

Status StreamHub::AdmitReader(const TableDescription& d,
                              const std::string& shard, uint64_t reader,
                              int64_t now) {
  constexpr uint64_t kSweepEvery = 4096;
  if (opts_.stream_readers_per_shard == 0) return Status::OK();  // no limit
  std::lock_guard l(mu_);
  auto idle = [&](const auto& c) {
    return c.second.last < now - kReaderWindowMicros;
  };
  if (++admissions_ % kSweepEvery == 0) {
    for (auto it = readers_.begin(); it != readers_.end();) {
      std::erase_if(it->second, idle);
      it = it->second.empty() ? readers_.erase(it) : std::next(it);
    }
  }
  std::map<uint64_t, ChainUse>& chains = readers_[KeyOf(d) + '\n' + shard];
  std::erase_if(chains, idle);
  auto it = chains.find(reader);
  if (it == chains.end()) {
    chains[reader] = {now, 1};  // a probe
    return Status::OK();
  }
  if (it->second.calls < 2) {
    size_t readers = 0;
    for (const auto& [id, use] : chains) readers += use.calls >= 2;
    if (readers >= static_cast<size_t>(opts_.stream_readers_per_shard)) {
      // Refused while it keeps trying: it stays a probe, not idle.
      it->second.last = std::max(it->second.last, now);
      return wire::MakeError(
          wire::ErrorType::kLimitExceeded,
          "Too many readers of shard " + shard + " of the stream of " + d.name +
              ": " + std::to_string(readers) +
              " iterator chains read it in the last " +
              std::to_string(kReaderWindowMicros / 1000000) + " s (at most " +
              std::to_string(opts_.stream_readers_per_shard) + ")");
    }
    it->second.calls = 2;
  }
  it->second.last = std::max(it->second.last, now);
  return Status::OK();
}

bool StreamHub::DrawMisleadingEmpty() {
  if (opts_.stream_empty_page_rate <= 0) return false;
  std::lock_guard l(mu_);
  return std::uniform_real_distribution<double>(0, 1)(rng_) <
         opts_.stream_empty_page_rate;
}

std::shared_ptr<StreamHub> MakeStreamHub(Store* store,
                                         const HandlerOptions& opts) {
  return std::make_shared<StreamHub>(store, opts);
}

}  // namespace godwit::server
