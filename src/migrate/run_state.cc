#include "migrate/run_state.h"

#include <algorithm>
#include <string>

#include "control/control_table.h"

namespace godwit::migrate {
namespace {

AttributeValue U(uint64_t v) {
  // Run counters stay far below 2^63.
  return AttributeValue::N(Number::FromInt64(static_cast<int64_t>(v)));
}

class Reader {
 public:
  explicit Reader(const AttributeMap& m, std::string where)
      : m_(m), where_(std::move(where)) {}

  std::string S(std::string_view name) {
    const AttributeValue* v = m_.Find(name);
    if (v == nullptr || !v->is(AttrType::kS)) {
      Fail(name, "S");
      return {};
    }
    return v->s();
  }
  std::string OptS(std::string_view name) {
    const AttributeValue* v = m_.Find(name);
    return v != nullptr && v->is(AttrType::kS) ? v->s() : std::string();
  }
  uint64_t U64(std::string_view name) {
    const AttributeValue* v = m_.Find(name);
    if (v == nullptr || !v->is(AttrType::kN)) {
      Fail(name, "N");
      return 0;
    }
    std::optional<int64_t> i = v->n().ToInt64();
    if (!i || *i < 0) {
      Fail(name, "a non-negative integer");
      return 0;
    }
    return static_cast<uint64_t>(*i);
  }
  uint64_t OptU64(std::string_view name) {
    return m_.Contains(name) ? U64(name) : 0;
  }
  bool Bool(std::string_view name) {
    const AttributeValue* v = m_.Find(name);
    if (v == nullptr || !v->is(AttrType::kBool)) {
      Fail(name, "BOOL");
      return false;
    }
    return v->boolean();
  }
  const AttributeValue::List* L(std::string_view name) {
    const AttributeValue* v = m_.Find(name);
    if (v == nullptr || !v->is(AttrType::kL)) {
      Fail(name, "L");
      return nullptr;
    }
    return &v->l();
  }
  Status status() const { return status_; }
  void Fail(std::string_view name, std::string_view want) {
    if (status_.ok()) {
      status_ =
          Status::DataLoss("run state " + where_ + "." + std::string(name) +
                           ": missing or not " + std::string(want));
    }
  }

 private:
  const AttributeMap& m_;
  std::string where_;
  Status status_;
};

}  // namespace

Item RunStateToItem(const RunState& s) {
  Item item;
  item.Set("pk", AttributeValue::S("run#" + s.logical));
  item.Set("sk", AttributeValue::S("state"));
  item.Set("run", AttributeValue::S(s.run_id));
  item.Set("logical", AttributeValue::S(s.logical));
  item.Set("source", AttributeValue::S(s.source));
  item.Set("destination", AttributeValue::S(s.destination));
  item.Set("dest_key", AttributeValue::S(s.destination_key_schema.ToString()));
  item.Set("phase", U(static_cast<uint64_t>(s.phase)));
  item.Set("p0", U(s.p0));
  AttributeValue::List segs;
  segs.reserve(s.segments.size());
  for (const SegmentState& seg : s.segments) {
    AttributeMap m;
    m.Set("done", AttributeValue::Bool(seg.done));
    m.Set("token", AttributeValue::S(seg.token));
    m.Set("scanned", U(seg.scanned));
    m.Set("written", U(seg.written));
    segs.push_back(AttributeValue::M(std::move(m)));
  }
  item.Set("segments", AttributeValue::L(std::move(segs)));
  item.Set("journal_offset", U(s.journal_offset));
  item.Set("captured_seq", U(s.captured_seq));
  item.Set("replay_offset", U(s.replay_offset));
  item.Set("replayed_seq", U(s.replayed_seq));
  item.Set("forward_stop_seq", U(s.forward_stop_seq));
  item.Set("reverse_seq", U(s.reverse_seq));
  AttributeValue::List migs;
  for (const PlannedMigration& m : s.migrations) {
    AttributeMap e;
    e.Set("number", U(static_cast<uint64_t>(m.number)));
    e.Set("name", AttributeValue::S(m.name));
    e.Set("sha256", AttributeValue::S(m.sha256));
    migs.push_back(AttributeValue::M(std::move(e)));
  }
  item.Set("migrations", AttributeValue::L(std::move(migs)));
  item.Set("started", U(static_cast<uint64_t>(s.started_micros)));
  item.Set("dropped", U(s.dropped));
  item.Set("errors", U(s.errors));
  item.Set("captured", U(s.captured));
  item.Set("replayed", U(s.replayed));
  if (s.last_verify) {
    const VerifyRecord& v = *s.last_verify;
    AttributeMap m;
    m.Set("ok", AttributeValue::Bool(v.ok));
    m.Set("phase", U(static_cast<uint64_t>(v.phase)));
    m.Set("sequence", U(v.sequence));
    m.Set("dest_created", U(static_cast<uint64_t>(std::max<int64_t>(
                              0, v.destination_created_micros))));
    m.Set("differences", U(v.differences));
    m.Set("unmapped", U(v.unmapped));
    m.Set("unsettled", U(v.unsettled));
    m.Set("expected", U(v.expected_items));
    m.Set("destination", U(v.destination_items));
    m.Set("at", U(static_cast<uint64_t>(std::max<int64_t>(0, v.at_micros))));
    item.Set("verify", AttributeValue::M(std::move(m)));
  }
  return item;
}

Result<RunState> RunStateFromItem(const Item& item) {
  RunState s;
  Reader r(item, "$");
  s.run_id = r.S("run");
  s.logical = r.S("logical");
  s.source = r.S("source");
  s.destination = r.S("destination");
  std::string dest_key = r.S("dest_key");
  uint64_t phase = r.U64("phase");
  s.p0 = r.U64("p0");
  s.journal_offset = r.U64("journal_offset");
  s.captured_seq = r.U64("captured_seq");
  s.replay_offset = r.U64("replay_offset");
  s.replayed_seq = r.U64("replayed_seq");
  s.forward_stop_seq = r.U64("forward_stop_seq");
  s.reverse_seq = r.U64("reverse_seq");
  s.started_micros = static_cast<int64_t>(r.U64("started"));
  s.dropped = r.OptU64("dropped");
  s.errors = r.OptU64("errors");
  s.captured = r.OptU64("captured");
  s.replayed = r.OptU64("replayed");
  if (const AttributeValue::List* segs = r.L("segments")) {
    for (size_t i = 0; i < segs->size(); ++i) {
      const AttributeValue& v = (*segs)[i];
      if (!v.is(AttrType::kM)) {
        r.Fail("segments", "a list of maps");
        break;
      }
      Reader sr(v.m(), "$.segments[" + std::to_string(i) + "]");
      SegmentState seg;
      seg.done = sr.Bool("done");
      seg.token = sr.S("token");
      seg.scanned = sr.U64("scanned");
      seg.written = sr.U64("written");
      RETURN_IF_ERROR(sr.status());
      s.segments.push_back(std::move(seg));
    }
  }
  if (const AttributeValue::List* migs = r.L("migrations")) {
    for (size_t i = 0; i < migs->size(); ++i) {
      const AttributeValue& v = (*migs)[i];
      if (!v.is(AttrType::kM)) {
        r.Fail("migrations", "a list of maps");
        break;
      }
      Reader mr(v.m(), "$.migrations[" + std::to_string(i) + "]");
      PlannedMigration m;
      m.number = static_cast<int>(mr.U64("number"));
      m.name = mr.S("name");
      m.sha256 = mr.S("sha256");
      RETURN_IF_ERROR(mr.status());
      s.migrations.push_back(std::move(m));
    }
  }
  if (const AttributeValue* v = item.Find("verify")) {
    if (!v->is(AttrType::kM)) {
      r.Fail("verify", "M");
    } else {
      Reader vr(v->m(), "$.verify");
      VerifyRecord rec;
      rec.ok = vr.Bool("ok");
      uint64_t vphase = vr.U64("phase");
      rec.sequence = vr.U64("sequence");
      rec.destination_created_micros =
          static_cast<int64_t>(vr.U64("dest_created"));
      rec.differences = vr.U64("differences");
      rec.unmapped = vr.U64("unmapped");
      rec.unsettled = vr.U64("unsettled");
      rec.expected_items = vr.U64("expected");
      rec.destination_items = vr.U64("destination");
      rec.at_micros = static_cast<int64_t>(vr.U64("at"));
      RETURN_IF_ERROR(vr.status());
      if (vphase < 1 || vphase > 5) {
        return Status::DataLoss("run state $.verify.phase: unknown phase " +
                                std::to_string(vphase));
      }
      rec.phase = static_cast<RunPhase>(vphase);
      s.last_verify = rec;
    }
  }
  RETURN_IF_ERROR(r.status());
  if (phase < 1 || phase > 5) {
    return Status::DataLoss("run state $.phase: unknown phase " +
                            std::to_string(phase));
  }
  s.phase = static_cast<RunPhase>(phase);
  // "pk:S" or "pk:S,sk:N"
  size_t comma = dest_key.find(',');
  ASSIGN_OR_RETURN(s.destination_key_schema.hash,
                   KeySchema::ParseAttribute(dest_key.substr(0, comma)));
  if (comma != std::string::npos) {
    ASSIGN_OR_RETURN(KeyAttribute range,
                     KeySchema::ParseAttribute(dest_key.substr(comma + 1)));
    s.destination_key_schema.range = std::move(range);
  }
  return s;
}

Result<std::optional<RunState>> LoadRunState(Store* store,
                                             const std::string& logical) {
  Result<std::shared_ptr<Table>> t = store->GetTable(control::kControlTable);
  if (!t.ok()) {
    if (t.status().IsNotFound()) return std::optional<RunState>();
    return t.status();
  }
  ASSIGN_OR_RETURN(std::optional<Item> item,
                   (*t)->Get(control::ControlKey("run#" + logical, "state")));
  if (!item) return std::optional<RunState>();
  ASSIGN_OR_RETURN(RunState s, RunStateFromItem(*item));
  return std::optional<RunState>(std::move(s));
}

Status SaveRunState(Store* store, const RunState& s) {
  RETURN_IF_ERROR(control::EnsureControlTable(store));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t,
                   store->GetTable(control::kControlTable));
  return t->Put(RunStateToItem(s)).status();
}

Status DeleteRunState(Store* store, const std::string& logical) {
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t,
                   store->GetTable(control::kControlTable));
  return t->Delete(control::ControlKey("run#" + logical, "state")).status();
}

}  // namespace godwit::migrate
