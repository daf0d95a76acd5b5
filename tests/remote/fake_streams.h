// A FAKE DynamoDB Streams API, for the remote stream reader's unit tests
// only (remote_stream_test.cc): DescribeStream (paged), GetShardIterator
// and GetRecords over shards the test opens, closes, rotates, splits and
// trims by hand. It answers what DynamoDB answers in each case the reader
// must handle:
//   - a closed shard's last page has no NextShardIterator;
//   - GetRecords may return an empty page although records follow (at most
//     K-1 in a row, `empty_pages`);
//   - iterators expire (ExpireIterators: ExpiredIteratorException);
//   - AFTER_SEQUENCE_NUMBER with a number that is not a record of that
//     shard is a ValidationException ("Invalid SequenceNumber ... for
//     ShardId", as DynamoDB);
//   - a trimmed position is TrimmedDataAccessException; a shard no longer
//     listed is ResourceNotFoundException.
// Sequence numbers are 26-digit decimals, unique and growing across the
// stream. Thread-safe (one mutex).
#ifndef GODWIT_TESTS_REMOTE_FAKE_STREAMS_H_
#define GODWIT_TESTS_REMOTE_FAKE_STREAMS_H_

#include <simdjson.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/status.h"
#include "wire/errors.h"
#include "wire/json_reader.h"

namespace godwit::test {

class FakeStreamsApi {
 public:
  struct Record {
    std::string seq;
    std::string key;
    int value = 0;
  };
  struct Shard {
    std::string id, parent;
    std::vector<Record> records;
    size_t trimmed = 0;  // records [0, trimmed) are gone
    bool closed = false;
    bool listed = true;
    std::string start, end;
    int injected_in_a_row = 0;
  };

  // Empty pages injected before a page that has records: up to this many
  // in a row per shard (the reader's K must be larger).
  int empty_pages = 0;
  size_t page_max = 3;
  size_t describe_page = 2;  // shards per DescribeStream page

  // Opens a shard (a child of `parent` if set). Returns its id.
  std::string Open(const std::string& parent = "") {
    std::lock_guard l(mu_);
    return OpenLocked(parent);
  }
  void Close(const std::string& id) {
    std::lock_guard l(mu_);
    CloseLocked(id);
  }
  // Every open shard closes; one child opens for each (two for `split`).
  void Rotate(const std::string& split = "") {
    std::lock_guard l(mu_);
    std::vector<std::string> open = OpenIds();
    for (const std::string& id : open) {
      CloseLocked(id);
      OpenLocked(id);
      if (id == split) OpenLocked(id);
    }
  }
  // Writes a record of `key` to an open shard (a stable choice by key).
  // Returns the record's sequence number.
  std::string Put(const std::string& key, int value) {
    std::lock_guard l(mu_);
    std::vector<std::string> open = OpenIds();
    size_t h = std::hash<std::string>()(key);
    Shard& s = shards_[open[h % open.size()]];
    Record r{NextSeq(), key, value};
    if (s.records.empty() && s.start.empty()) s.start = r.seq;
    s.records.push_back(r);
    return r.seq;
  }
  void ExpireIterators() {
    std::lock_guard l(mu_);
    ++epoch_;
  }
  // Drops the first `n` records of a shard (retention).
  void Trim(const std::string& id, size_t n) {
    std::lock_guard l(mu_);
    shards_[id].trimmed = std::min(n, shards_[id].records.size());
  }
  void Unlist(const std::string& id) {
    std::lock_guard l(mu_);
    shards_[id].listed = false;
  }
  // Every record written, by shard.
  std::map<std::string, std::vector<Record>> Records() const {
    std::lock_guard l(mu_);
    std::map<std::string, std::vector<Record>> out;
    for (const auto& [id, s] : shards_) out[id] = s.records;
    return out;
  }
  std::string ParentOf(const std::string& id) const {
    std::lock_guard l(mu_);
    auto it = shards_.find(id);
    return it == shards_.end() ? "" : it->second.parent;
  }
  // GetShardIterator requests as "type shard [sequence]".
  std::vector<std::string> IteratorRequests() const {
    std::lock_guard l(mu_);
    return iterator_requests_;
  }
  std::map<std::string, int> GetRecordsPerShard() const {
    std::lock_guard l(mu_);
    return get_records_;
  }

  // The Streams API (remote::StreamsCall).
  Result<std::string> Call(std::string_view op, const std::string& body) {
    std::lock_guard l(mu_);
    simdjson::dom::parser p;
    simdjson::dom::element req;
    if (p.parse(body).get(req) != simdjson::SUCCESS) {
      return wire::Validation("bad JSON");
    }
    if (op == "DescribeStream") return Describe(req);
    if (op == "GetShardIterator") return Iterator(req);
    if (op == "GetRecords") return Records(req);
    return wire::UnknownOperation(std::string(op));
  }

 private:
  std::string NextSeq() {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "4%025llu",
                  static_cast<unsigned long long>(++seq_ * 10));
    return buf;
  }
  std::string OpenLocked(const std::string& parent) {
    char buf[64];
    int n = ++ids_;
    std::snprintf(buf, sizeof(buf), "shardId-%020d-%08x", n,
                  static_cast<unsigned>(n * 2654435761u));
    Shard s;
    s.id = buf;
    s.parent = parent;
    order_.push_back(s.id);
    shards_[s.id] = s;
    return s.id;
  }
  void CloseLocked(const std::string& id) {
    Shard& s = shards_[id];
    s.closed = true;
    s.end = s.records.empty() ? NextSeq() : s.records.back().seq;
    if (s.start.empty()) s.start = s.end;
  }
  std::vector<std::string> OpenIds() const {
    std::vector<std::string> out;
    for (const std::string& id : order_) {
      if (!shards_.at(id).closed) out.push_back(id);
    }
    return out;
  }
  static std::string Str(simdjson::dom::element e, std::string_view f) {
    return std::string(wire::OptionalString(e, f).value_or(""));
  }

  Result<std::string> Describe(simdjson::dom::element req) {
    std::string after = Str(req, "ExclusiveStartShardId");
    std::vector<std::string> listed;
    for (const std::string& id : order_) {
      if (shards_[id].listed) listed.push_back(id);
    }
    size_t i = 0;
    if (!after.empty()) {
      while (i < listed.size() && listed[i] != after) ++i;
      ++i;
    }
    std::string out = R"({"StreamDescription":{"Shards":[)";
    size_t n = 0;
    for (; i < listed.size() && n < describe_page; ++i, ++n) {
      const Shard& s = shards_[listed[i]];
      if (n > 0) out += ",";
      out += R"({"ShardId":")" + s.id + "\"";
      if (!s.parent.empty()) out += R"(,"ParentShardId":")" + s.parent + "\"";
      out += R"(,"SequenceNumberRange":{)";
      std::string start = s.start.empty() ? "" : s.start;
      if (!start.empty()) out += R"("StartingSequenceNumber":")" + start + "\"";
      if (s.closed) {
        out += std::string(start.empty() ? "" : ",") +
               R"("EndingSequenceNumber":")" + s.end + "\"";
      }
      out += "}}";
    }
    out += "]";
    if (i < listed.size()) {
      out += R"(,"LastEvaluatedShardId":")" + listed[i - 1] + "\"";
    }
    out += "}}";
    return out;
  }

  std::string MakeIterator(const std::string& shard, size_t index) {
    return "it|" + shard + "|" + std::to_string(index) + "|" +
           std::to_string(epoch_);
  }

  Result<std::string> Iterator(simdjson::dom::element req) {
    std::string id = Str(req, "ShardId");
    std::string type = Str(req, "ShardIteratorType");
    std::string seq = Str(req, "SequenceNumber");
    iterator_requests_.push_back(type + " " + id +
                                 (seq.empty() ? "" : " " + seq));
    auto it = shards_.find(id);
    if (it == shards_.end() || !it->second.listed) {
      return wire::ResourceNotFound("Requested resource not found: Shard: " +
                                    id);
    }
    Shard& s = it->second;
    size_t index = 0;
    if (type == "TRIM_HORIZON") {
      index = s.trimmed;
    } else if (type == "LATEST") {
      index = s.records.size();
    } else if (type == "AFTER_SEQUENCE_NUMBER") {
      size_t i = 0;
      while (i < s.records.size() && s.records[i].seq != seq) ++i;
      if (i == s.records.size()) {
        return wire::Validation("Invalid SequenceNumber " + seq +
                                " for ShardId " + id);
      }
      if (i < s.trimmed) {
        return wire::TrimmedDataAccess("sequence " + seq + " of " + id +
                                       " is trimmed");
      }
      index = i + 1;
    } else {
      return wire::Validation("bad ShardIteratorType " + type);
    }
    return R"({"ShardIterator":")" + MakeIterator(id, index) + "\"}";
  }

  Result<std::string> Records(simdjson::dom::element req) {
    std::string iter = Str(req, "ShardIterator");
    // it|<shard>|<index>|<epoch>
    size_t a = iter.find('|'), b = iter.find('|', a + 1),
           c = iter.find('|', b + 1);
    if (a == std::string::npos || b == std::string::npos ||
        c == std::string::npos) {
      return wire::Validation("bad iterator");
    }
    std::string id = iter.substr(a + 1, b - a - 1);
    size_t index = std::stoull(iter.substr(b + 1, c - b - 1));
    int epoch = std::stoi(iter.substr(c + 1));
    ++get_records_[id];
    if (epoch != epoch_) return wire::ExpiredIterator("Iterator expired");
    auto it = shards_.find(id);
    if (it == shards_.end() || !it->second.listed) {
      return wire::ResourceNotFound("Shard " + id + " not found");
    }
    Shard& s = it->second;
    if (index < s.trimmed) {
      return wire::TrimmedDataAccess("records of " + id + " trimmed");
    }
    std::string out = R"({"Records":[)";
    size_t end = index;
    bool has = index < s.records.size();
    if (has && s.injected_in_a_row < empty_pages) {
      ++s.injected_in_a_row;  // an empty page although records follow
    } else {
      s.injected_in_a_row = 0;
      end = std::min(s.records.size(), index + page_max);
      for (size_t i = index; i < end; ++i) {
        const Record& r = s.records[i];
        if (i > index) out += ",";
        out += R"({"eventName":"INSERT","dynamodb":{"SequenceNumber":")" +
               r.seq + R"(","Keys":{"pk":{"S":")" + r.key +
               R"("}},"NewImage":{"pk":{"S":")" + r.key + R"("},"v":{"N":")" +
               std::to_string(r.value) + R"("}}}})";
      }
    }
    out += "]";
    if (!(s.closed && end == s.records.size())) {
      out += R"(,"NextShardIterator":")" + MakeIterator(id, end) + "\"";
    }
    out += "}";
    return out;
  }

  mutable std::mutex mu_;
  std::map<std::string, Shard> shards_;
  std::vector<std::string> order_;
  std::vector<std::string> iterator_requests_;
  std::map<std::string, int> get_records_;
  uint64_t seq_ = 0;
  int ids_ = 0;
  int epoch_ = 0;
};

}  // namespace godwit::test

#endif  // GODWIT_TESTS_REMOTE_FAKE_STREAMS_H_
