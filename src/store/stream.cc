// OpenShardedStream (godwit/stream.h): a table's own sharded reader, or its
// one-shard stream read through Table::OpenStream.
#include "godwit/stream.h"

namespace godwit {
namespace {

// A one-shard stream: the uint64 position is exact, one Read that returns
// fewer records than asked for reached the head as of its start (the local
// store makes a record readable when its write is acknowledged).
class SingleShardReader final : public ShardedStreamReader {
 public:
  explicit SingleShardReader(std::unique_ptr<StreamReader> r)
      : r_(std::move(r)) {}

  Status Read(size_t max, std::vector<ChangeRecord>* out,
              std::vector<RecordOrigin>* origins, ReadInfo* info) override {
    info->started = ReadInfo::Clock::now();
    size_t before = out->size();
    RETURN_IF_ERROR(r_->Read(max, out));
    size_t got = out->size() - before;
    if (origins != nullptr) {
      for (size_t i = before; i < out->size(); ++i) {
        origins->push_back({std::string(kSingleShardId),
                            SequenceNumber::FromU64((*out)[i].sequence)});
      }
    }
    info->at_head = got < max;
    info->caught_up_to.reset();
    if (info->at_head) info->caught_up_to = info->started;
    return Status::OK();
  }

  StreamCursor cursor() const override {
    StreamCursor c;
    ShardPosition& p = c.At(kSingleShardId);
    if (uint64_t pos = r_->position(); pos > 0) {
      p.last = SequenceNumber::FromU64(pos);
    }
    return c;
  }
  std::chrono::milliseconds record_delay() const override {
    return std::chrono::milliseconds(0);
  }
  uint64_t position() const override { return r_->position(); }

 private:
  std::unique_ptr<StreamReader> r_;
};

}  // namespace

Result<std::unique_ptr<ShardedStreamReader>> OpenShardedStream(
    Table* table, const StreamStart& start) {
  if (auto* sharded = dynamic_cast<ShardedStreams*>(table)) {
    return sharded->OpenShardedStream(start);
  }
  StreamPosition pos = StreamPosition::TrimHorizon();
  switch (start.kind) {
    case StreamStart::Kind::kTrimHorizon:
      break;
    case StreamStart::Kind::kLatest:
      pos = StreamPosition::Latest();
      break;
    case StreamStart::Kind::kFrom: {
      for (const ShardPosition& p : start.cursor.shards()) {
        if (p.shard_id != kSingleShardId) {
          return Status::InvalidArgument(
              "the stream of " + table->name() + " has one shard (" +
              std::string(kSingleShardId) + "); the saved position names " +
              "shard " + p.shard_id +
              " (a position in another store's "
              "stream?)");
        }
      }
      // No record read yet: from the shard's first record, which must still
      // be kept (After(0) is DataLoss once retention trimmed sequence 1).
      pos = StreamPosition::After(0);
      const ShardPosition* p = start.cursor.Find(kSingleShardId);
      if (p != nullptr && !p->last.empty()) {
        std::optional<uint64_t> last = p->last.ToU64();
        if (!last) {
          return Status::InvalidArgument("sequence " + p->last.text() +
                                         " is too large for the stream of " +
                                         table->name());
        }
        pos = StreamPosition::After(*last);
      }
      break;
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> r, table->OpenStream(pos));
  return std::unique_ptr<ShardedStreamReader>(
      new SingleShardReader(std::move(r)));
}

}  // namespace godwit
