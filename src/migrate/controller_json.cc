// The JSON of commands, replies and run requests: what the `ctl/` control
// files of a running `godwit migrate` and `godwit serve`'s admin API carry,
// and what `--json` prints. One codec, both directions.
//
//   command       := {"command": verb [, "rate": rate] [, "force": bool]
//                     [, "verify_first": bool]}
//   verb          := "pause" | "resume" | "rate" | "progress" | "verify"
//                  | "cutover" | "rollback" | "finish" | "abandon"
//                  | "unpostpone"
//   rate          := number (0.001 .. 1e9, items/s) | "unlimited"
//   table-command := {"table": string, "command": command}
//
//   result        := {"reply": reply}
//                  | {"error": {"code": code, "message": string}}
//   code          := a StatusCode name: "InvalidArgument", "NotFound", ...
//   reply         := {"command": verb
//                     [, "paused": bool]            pause, resume
//                     [, "rate": rate]              rate
//                     [, "progress": progress]      progress
//                     [, "verify": verify]          verify; cutover after
//                                                   --verify-first
//                     [, "flip": flip, "forced": bool]   cutover, rollback
//                     [, "postponed": string]       cutover held by the
//                                                   operator's gates
//                    }
//   progress      := {"phase": phase, "scanned": u64, "written": u64,
//                     "dropped": u64, "errors": u64, "estimated_total": u64,
//                     "segments_done": u64, "segments_total": u64,
//                     "captured": u64, "replayed": u64, "replay_lag": u64,
//                     "items_per_second": number, "elapsed_seconds": number}
//   phase         := "backfill" | "replay" | "cut-over" | "rolled-back"
//                  | "finished"   (RunPhaseName)
//   verify        := {"ok": bool, "sequence": u64, "source_items": u64,
//                     "expected_items": u64, "destination_items": u64,
//                     "differences": u64, "unmapped": u64, "unsettled": u64,
//                     "seconds": number, "first": [difference, ...]}
//   difference    := {"key": json, "expected": json | null,
//                     "actual": json | null}
//                     json: the DynamoDB JSON of the key / item, as is
//   flip          := {"from": string, "to": string,
//                     "write_pause_ms": number, "drained_records": u64}
//
//   run-request   := {"table": string, "mode": "start" | "resume",
//                     "segments": int, "threads": int, "rate": number,
//                     "max_errors": u64 [, "fence_seconds": number]
//                     [, "wait_for_consumers": [string, ...]]}
//   run-info      := {"table": string, "run_id": string, "source": string,
//                     "destination": string, "phase": phase,
//                     "resumed": bool}
//
// Numbers are written in their shortest exact form. Commands and run
// requests are checked strictly (an unknown field is an error: a typo must
// not be ignored); replies and reports ignore fields they do not know, so
// that a report may grow.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "godwit/controller.h"
#include "godwit/json.h"

namespace godwit {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// ---- writing

void AppendNumber(double v, std::string* out) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, ec == std::errc() ? ptr : buf);
}

class Writer {
 public:
  Writer() { out_ = "{"; }
  Writer& Raw(std::string_view name, std::string_view json) {
    Name(name);
    out_ += json;
    return *this;
  }
  Writer& Str(std::string_view name, std::string_view v) {
    Name(name);
    AppendJsonQuoted(v, &out_);
    return *this;
  }
  Writer& U64(std::string_view name, uint64_t v) {
    Name(name);
    out_ += std::to_string(v);
    return *this;
  }
  Writer& Num(std::string_view name, double v) {
    Name(name);
    AppendNumber(v, &out_);
    return *this;
  }
  Writer& Bool(std::string_view name, bool v) {
    Name(name);
    out_ += v ? "true" : "false";
    return *this;
  }
  std::string Done() { return std::move(out_) + "}"; }

 private:
  void Name(std::string_view name) {
    if (out_.size() > 1) out_ += ",";
    AppendJsonQuoted(name, &out_);
    out_ += ":";
  }
  std::string out_;
};

// A rate: a number, or "unlimited" for 0.
std::string RateJson(double rate) {
  if (rate == 0) return "\"unlimited\"";
  std::string out;
  AppendNumber(rate, &out);
  return out;
}

// DynamoDB JSON from the engine, embedded as is when it is JSON (else as a
// string, so that the document stays valid); empty: null.
std::string EmbeddedJson(const std::string& text) {
  if (text.empty()) return "null";
  simdjson::dom::parser parser;
  element e;
  if (parser.parse(text).get(e) == simdjson::SUCCESS) return text;
  return JsonQuoted(text);
}

// ---- reading

// The fields of one object, read with a path for errors.
class Reader {
 public:
  Reader(object obj, std::string path, bool strict)
      : obj_(obj), path_(std::move(path)), strict_(strict) {}

  Status Error(std::string_view field, std::string_view what) const {
    return Status::InvalidArgument(path_ + "." + std::string(field) + " " +
                                   std::string(what));
  }
  bool Has(std::string_view name) {
    element e;
    return Find(name, &e);
  }
  Status Str(std::string_view name, std::string* out) {
    element e;
    if (!Find(name, &e)) return Error(name, "is missing");
    std::string_view v;
    if (e.get(v) != simdjson::SUCCESS) return Error(name, "is not a string");
    *out = std::string(v);
    return Status::OK();
  }
  Status U64(std::string_view name, uint64_t* out) {
    element e;
    if (!Find(name, &e)) return Error(name, "is missing");
    if (e.get(*out) != simdjson::SUCCESS) {
      return Error(name, "is not a whole number >= 0");
    }
    return Status::OK();
  }
  Status Int(std::string_view name, int* out) {
    uint64_t v = 0;
    RETURN_IF_ERROR(U64(name, &v));
    if (v > static_cast<uint64_t>(INT32_MAX)) return Error(name, "is too big");
    *out = static_cast<int>(v);
    return Status::OK();
  }
  Status Num(std::string_view name, double* out) {
    element e;
    if (!Find(name, &e)) return Error(name, "is missing");
    if (e.get(*out) != simdjson::SUCCESS) return Error(name, "is not a number");
    return Status::OK();
  }
  // Absent: false.
  Status OptBool(std::string_view name, bool* out) {
    element e;
    if (!Find(name, &e)) {
      *out = false;
      return Status::OK();
    }
    if (e.get(*out) != simdjson::SUCCESS) return Error(name, "is not a bool");
    return Status::OK();
  }
  Status Rate(std::string_view name, double* out) {
    element e;
    if (!Find(name, &e)) return Error(name, "is missing");
    std::string_view word;
    if (e.get(word) == simdjson::SUCCESS && word == "unlimited") {
      *out = 0;
      return Status::OK();
    }
    if (e.get(*out) != simdjson::SUCCESS || *out <= 0) {
      return Error(name, "is not a positive number or \"unlimited\"");
    }
    return Status::OK();
  }
  Status Obj(std::string_view name, object* out) {
    element e;
    if (!Find(name, &e)) return Error(name, "is missing");
    if (e.get(*out) != simdjson::SUCCESS) {
      return Error(name, "is not an object");
    }
    return Status::OK();
  }
  bool Element(std::string_view name, element* out) { return Find(name, out); }
  std::string Path(std::string_view field) const {
    return path_ + "." + std::string(field);
  }
  // Strict readers: every field was asked for.
  Status Finish() const {
    if (!strict_) return Status::OK();
    for (auto [key, value] : obj_) {
      if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
        return Status::InvalidArgument(path_ + " has an unknown field \"" +
                                       std::string(key) + "\"");
      }
    }
    return Status::OK();
  }

 private:
  bool Find(std::string_view name, element* out) {
    seen_.push_back(name);
    return obj_[name].get(*out) == simdjson::SUCCESS;
  }
  object obj_;
  std::string path_;
  bool strict_;
  std::vector<std::string_view> seen_;
};

Result<object> ParseObject(simdjson::dom::parser& parser, std::string_view json,
                           std::string_view what) {
  object obj;
  if (parser.parse(json.data(), json.size()).get(obj) != simdjson::SUCCESS) {
    std::string head(json.substr(0, 120));
    return Status::InvalidArgument(std::string(what) +
                                   " is not a JSON object: " + head);
  }
  return obj;
}

Result<Command> ReadCommand(object obj, const std::string& path) {
  Reader r(obj, path, /*strict=*/true);
  std::string verb;
  RETURN_IF_ERROR(r.Str("command", &verb));
  std::optional<CommandKind> kind = CommandKindFromName(verb);
  if (!kind) {
    return r.Error("command", "\"" + verb + "\" is not a command");
  }
  Command c;
  c.kind = *kind;
  if (c.kind == CommandKind::kRate) RETURN_IF_ERROR(r.Rate("rate", &c.rate));
  RETURN_IF_ERROR(r.OptBool("force", &c.force));
  RETURN_IF_ERROR(r.OptBool("verify_first", &c.verify_first));
  RETURN_IF_ERROR(r.Finish());
  Status v = ValidateCommand(c);
  if (!v.ok()) return v.WithContext(path);
  return c;
}

Result<MigrationProgress> ReadProgress(object obj, const std::string& path) {
  Reader r(obj, path, /*strict=*/false);
  MigrationProgress p;
  std::string phase;
  RETURN_IF_ERROR(r.Str("phase", &phase));
  std::optional<RunPhase> ph = RunPhaseFromName(phase);
  if (!ph) return r.Error("phase", "\"" + phase + "\" is not a phase");
  p.phase = *ph;
  RETURN_IF_ERROR(r.U64("scanned", &p.scanned));
  RETURN_IF_ERROR(r.U64("written", &p.written));
  RETURN_IF_ERROR(r.U64("dropped", &p.dropped));
  RETURN_IF_ERROR(r.U64("errors", &p.errors));
  RETURN_IF_ERROR(r.U64("estimated_total", &p.estimated_total));
  RETURN_IF_ERROR(r.Int("segments_done", &p.segments_done));
  RETURN_IF_ERROR(r.Int("segments_total", &p.segments_total));
  RETURN_IF_ERROR(r.U64("captured", &p.captured));
  RETURN_IF_ERROR(r.U64("replayed", &p.replayed));
  RETURN_IF_ERROR(r.U64("replay_lag", &p.replay_lag));
  RETURN_IF_ERROR(r.Num("items_per_second", &p.items_per_second));
  RETURN_IF_ERROR(r.Num("elapsed_seconds", &p.elapsed_seconds));
  return p;
}

// A difference's side: embedded JSON (as minified text), a string, or null
// (empty).
Status ReadEmbedded(Reader& r, std::string_view name, bool nullable,
                    std::string* out) {
  element e;
  if (!r.Element(name, &e)) return r.Error(name, "is missing");
  if (e.is_null()) {
    if (!nullable) return r.Error(name, "is null");
    out->clear();
    return Status::OK();
  }
  std::string_view s;
  if (e.get(s) == simdjson::SUCCESS) {
    *out = std::string(s);
  } else {
    *out = simdjson::minify(e);
  }
  return Status::OK();
}

Result<VerifyReport> ReadVerify(object obj, const std::string& path) {
  Reader r(obj, path, /*strict=*/false);
  VerifyReport v;
  RETURN_IF_ERROR(r.U64("sequence", &v.sequence));
  RETURN_IF_ERROR(r.U64("source_items", &v.source_items));
  RETURN_IF_ERROR(r.U64("expected_items", &v.expected_items));
  RETURN_IF_ERROR(r.U64("destination_items", &v.destination_items));
  RETURN_IF_ERROR(r.U64("differences", &v.differences));
  RETURN_IF_ERROR(r.U64("unmapped", &v.unmapped));
  RETURN_IF_ERROR(r.U64("unsettled", &v.unsettled));
  RETURN_IF_ERROR(r.Num("seconds", &v.seconds));
  element first;
  simdjson::dom::array list;
  if (!r.Element("first", &first) || first.get(list) != simdjson::SUCCESS) {
    return r.Error("first", "is not a list");
  }
  size_t i = 0;
  for (element d : list) {
    object dobj;
    std::string dpath = r.Path("first") + "[" + std::to_string(i++) + "]";
    if (d.get(dobj) != simdjson::SUCCESS) {
      return Status::InvalidArgument(dpath + " is not an object");
    }
    Reader dr(dobj, dpath, /*strict=*/false);
    VerifyReport::Difference diff;
    RETURN_IF_ERROR(ReadEmbedded(dr, "key", false, &diff.key));
    RETURN_IF_ERROR(ReadEmbedded(dr, "expected", true, &diff.expected));
    RETURN_IF_ERROR(ReadEmbedded(dr, "actual", true, &diff.actual));
    v.first.push_back(std::move(diff));
  }
  return v;
}

Result<FlipReport> ReadFlip(object obj, const std::string& path) {
  Reader r(obj, path, /*strict=*/false);
  FlipReport f;
  RETURN_IF_ERROR(r.Str("from", &f.from_table));
  RETURN_IF_ERROR(r.Str("to", &f.to_table));
  RETURN_IF_ERROR(r.Num("write_pause_ms", &f.write_pause_ms));
  RETURN_IF_ERROR(r.U64("drained_records", &f.drained_records));
  return f;
}

Result<Reply> ReadReply(object obj, const std::string& path) {
  Reader r(obj, path, /*strict=*/false);
  std::string verb;
  RETURN_IF_ERROR(r.Str("command", &verb));
  std::optional<CommandKind> kind = CommandKindFromName(verb);
  if (!kind) return r.Error("command", "\"" + verb + "\" is not a command");
  Reply reply;
  reply.command = *kind;
  if (*kind == CommandKind::kPause || *kind == CommandKind::kResume) {
    RETURN_IF_ERROR(r.OptBool("paused", &reply.paused));
  }
  if (*kind == CommandKind::kRate) RETURN_IF_ERROR(r.Rate("rate", &reply.rate));
  object sub;
  if (r.Has("progress")) {
    RETURN_IF_ERROR(r.Obj("progress", &sub));
    ASSIGN_OR_RETURN(reply.progress, ReadProgress(sub, r.Path("progress")));
  }
  if (r.Has("verify")) {
    RETURN_IF_ERROR(r.Obj("verify", &sub));
    ASSIGN_OR_RETURN(reply.verify, ReadVerify(sub, r.Path("verify")));
  }
  if (r.Has("flip")) {
    RETURN_IF_ERROR(r.Obj("flip", &sub));
    ASSIGN_OR_RETURN(reply.flip, ReadFlip(sub, r.Path("flip")));
  }
  RETURN_IF_ERROR(r.OptBool("forced", &reply.forced));
  if (r.Has("postponed")) RETURN_IF_ERROR(r.Str("postponed", &reply.postponed));
  return reply;
}

std::optional<StatusCode> StatusCodeFromName(std::string_view name) {
  for (int i = 1; i <= static_cast<int>(StatusCode::kUnimplemented); ++i) {
    StatusCode c = static_cast<StatusCode>(i);
    if (StatusCodeName(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace

std::optional<RunPhase> RunPhaseFromName(std::string_view name) {
  for (RunPhase p : {RunPhase::kBackfill, RunPhase::kReplay, RunPhase::kCutOver,
                     RunPhase::kRolledBack, RunPhase::kFinished}) {
    if (RunPhaseName(p) == name) return p;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- commands

std::string CommandToJson(const Command& c) {
  Writer w;
  w.Str("command", CommandName(c.kind));
  if (c.kind == CommandKind::kRate) w.Raw("rate", RateJson(c.rate));
  if (c.force) w.Bool("force", true);
  if (c.verify_first) w.Bool("verify_first", true);
  return w.Done();
}

Result<Command> CommandFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(object obj, ParseObject(parser, json, "the command"));
  return ReadCommand(obj, "command");
}

std::string TableCommandToJson(const std::string& table, const Command& c) {
  return Writer().Str("table", table).Raw("command", CommandToJson(c)).Done();
}

Result<TableCommand> TableCommandFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(object obj, ParseObject(parser, json, "the request"));
  Reader r(obj, "request", /*strict=*/true);
  std::string table;
  RETURN_IF_ERROR(r.Str("table", &table));
  if (table.empty()) return r.Error("table", "is empty");
  object cobj;
  RETURN_IF_ERROR(r.Obj("command", &cobj));
  RETURN_IF_ERROR(r.Finish());
  return TableCommand{std::move(table), ReadCommand(cobj, "command")};
}

// ----------------------------------------------------------------- replies

std::string ProgressToJson(const MigrationProgress& p) {
  return Writer()
      .Str("phase", RunPhaseName(p.phase))
      .U64("scanned", p.scanned)
      .U64("written", p.written)
      .U64("dropped", p.dropped)
      .U64("errors", p.errors)
      .U64("estimated_total", p.estimated_total)
      .U64("segments_done", static_cast<uint64_t>(std::max(0, p.segments_done)))
      .U64("segments_total",
           static_cast<uint64_t>(std::max(0, p.segments_total)))
      .U64("captured", p.captured)
      .U64("replayed", p.replayed)
      .U64("replay_lag", p.replay_lag)
      .Num("items_per_second", p.items_per_second)
      .Num("elapsed_seconds", p.elapsed_seconds)
      .Done();
}

Result<MigrationProgress> ProgressFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(object obj, ParseObject(parser, json, "progress"));
  return ReadProgress(obj, "progress");
}

std::string VerifyReportToJson(const VerifyReport& r) {
  std::string first = "[";
  for (size_t i = 0; i < r.first.size(); ++i) {
    const VerifyReport::Difference& d = r.first[i];
    if (i > 0) first += ",";
    first += Writer()
                 .Raw("key", EmbeddedJson(d.key))
                 .Raw("expected", EmbeddedJson(d.expected))
                 .Raw("actual", EmbeddedJson(d.actual))
                 .Done();
  }
  first += "]";
  return Writer()
      .Bool("ok", r.ok())
      .U64("sequence", r.sequence)
      .U64("source_items", r.source_items)
      .U64("expected_items", r.expected_items)
      .U64("destination_items", r.destination_items)
      .U64("differences", r.differences)
      .U64("unmapped", r.unmapped)
      .U64("unsettled", r.unsettled)
      .Num("seconds", r.seconds)
      .Raw("first", first)
      .Done();
}

std::string FlipReportToJson(const FlipReport& f) {
  return Writer()
      .Str("from", f.from_table)
      .Str("to", f.to_table)
      .Num("write_pause_ms", f.write_pause_ms)
      .U64("drained_records", f.drained_records)
      .Done();
}

std::string ReplyToJson(const Reply& r) {
  Writer w;
  w.Str("command", CommandName(r.command));
  if (r.command == CommandKind::kPause || r.command == CommandKind::kResume) {
    w.Bool("paused", r.paused);
  }
  if (r.command == CommandKind::kRate) w.Raw("rate", RateJson(r.rate));
  if (r.progress) w.Raw("progress", ProgressToJson(*r.progress));
  if (r.verify) w.Raw("verify", VerifyReportToJson(*r.verify));
  if (r.flip) {
    w.Raw("flip", FlipReportToJson(*r.flip));
    w.Bool("forced", r.forced);
  }
  if (!r.postponed.empty()) w.Str("postponed", r.postponed);
  return w.Done();
}

Result<Reply> ReplyFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(object obj, ParseObject(parser, json, "the reply"));
  return ReadReply(obj, "reply");
}

std::string ResultToJson(const Result<Reply>& r) {
  if (r.ok()) return Writer().Raw("reply", ReplyToJson(*r)).Done();
  Status s = r.status();
  return Writer()
      .Raw("error", Writer()
                        .Str("code", StatusCodeName(s.code()))
                        .Str("message", s.message())
                        .Done())
      .Done();
}

Result<Reply> ResultFromJson(std::string_view json) {
  auto malformed = [&](const Status& s) {
    return Status::DataLoss("malformed answer: " + std::string(s.message()));
  };
  simdjson::dom::parser parser;
  Result<object> obj = ParseObject(parser, json, "the answer");
  if (!obj.ok()) return malformed(obj.status());
  Reader r(*obj, "answer", /*strict=*/false);
  object sub;
  if (r.Has("error")) {
    if (Status s = r.Obj("error", &sub); !s.ok()) return malformed(s);
    Reader er(sub, r.Path("error"), /*strict=*/false);
    std::string code, message;
    if (Status s = er.Str("code", &code); !s.ok()) return malformed(s);
    if (Status s = er.Str("message", &message); !s.ok()) return malformed(s);
    std::optional<StatusCode> sc = StatusCodeFromName(code);
    if (!sc) {
      return malformed(Status::InvalidArgument("unknown error code " + code));
    }
    return Status(*sc, std::move(message));
  }
  if (Status s = r.Obj("reply", &sub); !s.ok()) return malformed(s);
  Result<Reply> reply = ReadReply(sub, r.Path("reply"));
  if (!reply.ok()) return malformed(reply.status());
  return reply;
}

// ------------------------------------------------------------------- runs

std::string RunRequestToJson(const RunRequest& r) {
  Writer w;
  w.Str("table", r.table)
      .Str("mode", r.mode == OpenMode::kResume ? "resume" : "start")
      .U64("segments", static_cast<uint64_t>(std::max(0, r.segments)))
      .U64("threads", static_cast<uint64_t>(std::max(0, r.threads)))
      .Num("rate", r.rate)
      .U64("max_errors", r.max_errors);
  if (r.fence_seconds) w.Num("fence_seconds", *r.fence_seconds);
  if (!r.wait_for_consumers.empty()) {
    std::string list = "[";
    for (const std::string& name : r.wait_for_consumers) {
      if (list.size() > 1) list += ",";
      AppendJsonQuoted(name, &list);
    }
    w.Raw("wait_for_consumers", list + "]");
  }
  return w.Done();
}

Result<RunRequest> RunRequestFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(object obj, ParseObject(parser, json, "the run request"));
  Reader r(obj, "run", /*strict=*/true);
  RunRequest req;
  RETURN_IF_ERROR(r.Str("table", &req.table));
  std::string mode;
  RETURN_IF_ERROR(r.Str("mode", &mode));
  if (mode == "start") {
    req.mode = OpenMode::kStart;
  } else if (mode == "resume") {
    req.mode = OpenMode::kResume;
  } else {
    return r.Error("mode",
                   "must be \"start\" or \"resume\", not \"" + mode + "\"");
  }
  RETURN_IF_ERROR(r.Int("segments", &req.segments));
  RETURN_IF_ERROR(r.Int("threads", &req.threads));
  RETURN_IF_ERROR(r.Num("rate", &req.rate));
  RETURN_IF_ERROR(r.U64("max_errors", &req.max_errors));
  if (r.Has("fence_seconds")) {
    double f = 0;
    RETURN_IF_ERROR(r.Num("fence_seconds", &f));
    req.fence_seconds = f;
  }
  if (r.Has("wait_for_consumers")) {
    element e;
    simdjson::dom::array list;
    if (!r.Element("wait_for_consumers", &e) ||
        e.get(list) != simdjson::SUCCESS) {
      return r.Error("wait_for_consumers", "is not a list");
    }
    for (element name : list) {
      std::string_view v;
      if (name.get(v) != simdjson::SUCCESS) {
        return r.Error("wait_for_consumers",
                       "has an entry that is not a string");
      }
      req.wait_for_consumers.emplace_back(v);
    }
  }
  RETURN_IF_ERROR(r.Finish());
  return req;
}

std::string RunInfoToJson(const RunInfo& i) {
  return Writer()
      .Str("table", i.table)
      .Str("run_id", i.run_id)
      .Str("source", i.source)
      .Str("destination", i.destination)
      .Str("phase", RunPhaseName(i.phase))
      .Bool("resumed", i.resumed)
      .Done();
}

Result<RunInfo> RunInfoFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  ASSIGN_OR_RETURN(object obj, ParseObject(parser, json, "the run"));
  Reader r(obj, "run", /*strict=*/false);
  RunInfo i;
  RETURN_IF_ERROR(r.Str("table", &i.table));
  RETURN_IF_ERROR(r.Str("run_id", &i.run_id));
  RETURN_IF_ERROR(r.Str("source", &i.source));
  RETURN_IF_ERROR(r.Str("destination", &i.destination));
  std::string phase;
  RETURN_IF_ERROR(r.Str("phase", &phase));
  std::optional<RunPhase> ph = RunPhaseFromName(phase);
  if (!ph) return r.Error("phase", "\"" + phase + "\" is not a phase");
  i.phase = *ph;
  RETURN_IF_ERROR(r.OptBool("resumed", &i.resumed));
  return i;
}

}  // namespace godwit
