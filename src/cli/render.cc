// See render.h.
#include "cli/render.h"

#include <cstdio>
#include <sstream>

#include "cli/session.h"
#include "ops/text_check.h"

namespace godwit::cli {

std::string ProgressLine(const MigrationProgress& p) {
  std::ostringstream o;
  o << RunPhaseName(p.phase);
  if (p.phase == RunPhase::kBackfill) {
    o << "  " << Thousands(p.scanned);
    if (p.estimated_total > 0) o << "/" << Thousands(p.estimated_total);
    o << " items  " << Thousands(static_cast<uint64_t>(p.items_per_second))
      << " items/s  segments " << p.segments_done << "/" << p.segments_total;
    if (p.items_per_second > 0 && p.estimated_total > p.scanned) {
      o << "  ETA "
        << Duration(static_cast<double>(p.estimated_total - p.scanned) /
                    p.items_per_second);
    }
  } else {
    o << "  copied " << Thousands(p.written) << "  replayed "
      << Thousands(p.replayed);
  }
  o << "  lag " << Thousands(p.replay_lag);
  if (p.errors > 0) o << "  errors " << Thousands(p.errors);
  if (p.dropped > 0) o << "  dropped " << Thousands(p.dropped);
  return o.str();
}

std::string VerifyText(const VerifyReport& r) {
  std::ostringstream o;
  o << "verify: " << (r.ok() ? "OK" : "DIFFERENCES") << " at sequence "
    << r.sequence << ": " << Thousands(r.source_items) << " items mapped to "
    << Thousands(r.expected_items) << ", destination holds "
    << Thousands(r.destination_items) << ", " << Thousands(r.differences)
    << " differences";
  if (r.unmapped > 0) {
    o << ", " << Thousands(r.unmapped) << " items not mapped (dead letters)";
  }
  if (r.unsettled > 0) {
    o << ", " << Thousands(r.unsettled)
      << " keys written during every re-check (not compared: verify again)";
  }
  o << " (" << std::fixed;
  o.precision(1);
  o << r.seconds << " s)\n";
  for (const auto& d : r.first) {
    o << "  key " << d.key << "\n    expected "
      << (d.expected.empty() ? "(absent)" : d.expected) << "\n    actual   "
      << (d.actual.empty() ? "(absent)" : d.actual) << "\n";
  }
  return o.str();
}

std::string FlipText(std::string_view what, const FlipReport& f, bool forced) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "%.*s: %s -> %s, longest write pause %.1f ms\n",
                static_cast<int>(what.size()), what.data(),
                f.from_table.c_str(), f.to_table.c_str(), f.write_pause_ms);
  std::string out = buf;
  if (forced) {
    out +=
        "  --force: the verify gate was skipped (no passing verify of this "
        "phase was required)\n";
  }
  return out;
}

std::string RunInfoText(const RunInfo& i) {
  return std::string(i.resumed ? "resuming" : "starting") + " run " + i.run_id +
         ": " + i.source + " -> " + i.destination + " (" +
         std::string(RunPhaseName(i.phase)) + ")\n";
}

std::string RenderReply(const Reply& r, bool json) {
  if (json) return ReplyToJson(r) + "\n";
  std::string out;
  switch (r.command) {
    case CommandKind::kPause:
    case CommandKind::kResume:
      return r.paused ? "paused\n" : "resumed\n";
    case CommandKind::kRate:
      return r.rate == 0 ? "rate limit removed (unlimited)\n"
                         : "rate set to " + FormatRate(r.rate) + "\n";
    case CommandKind::kProgress:
      return r.progress ? ProgressLine(*r.progress) + "\n" : "";
    case CommandKind::kVerify:
    case CommandKind::kCutover:
    case CommandKind::kRollback:
      if (r.verify) out += VerifyText(*r.verify);
      if (r.flip) out += FlipText(CommandName(r.command), *r.flip, r.forced);
      if (!r.postponed.empty()) {
        out += "cutover postponed: " + r.postponed + "; nothing was switched\n";
      }
      return out;
    case CommandKind::kUnpostpone:
      return "postpone file removed: the cutover may go ahead\n";
    case CommandKind::kFinish:
      return "finished\n";
    case CommandKind::kAbandon:
      return "abandoned: the destination is dropped, the source stays "
             "active\n";
  }
  return out;
}

int ExitCodeOf(const Reply& r) {
  if (r.differences()) return kExitDifferences;
  return r.postponed.empty() ? kExitOk : kExitPostponed;
}

Outcome PrintReply(const Result<Reply>& r, bool json) {
  if (!r.ok()) return Outcome(r.status());
  std::string text = RenderReply(*r, json);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (r->differences()) {
    std::string what = "verify found differences";
    if (r->command != CommandKind::kVerify) {
      what += "; not switching (the run goes on: fix the cause, verify again)";
    }
    return Outcome(Status::Aborted(what), kExitDifferences);
  }
  if (!r->postponed.empty()) {
    return Outcome(Status::Aborted("cutover postponed: " + r->postponed),
                   kExitPostponed);
  }
  return Outcome(Status::OK());
}

std::string RunFiguresText(const ops::RunFigures& f) {
  auto fixed = [](double v, int digits = 1) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
    return std::string(buf);
  };
  std::string o = "summary\n";
  o += "  items        " + Thousands(f.scanned) + " read, " +
       Thousands(f.copied) + " copied, " + Thousands(f.dropped) + " dropped, " +
       Thousands(f.dead_letters) + " dead letters\n";
  if (f.backfill_seconds > 0) {
    o += "  backfill     " + fixed(f.backfill_seconds) + " s, " +
         Thousands(static_cast<uint64_t>(f.backfill_rate)) + " items/s";
    if (f.peak_rate > f.backfill_rate) {
      o += " (peak " + Thousands(static_cast<uint64_t>(f.peak_rate)) +
           " items/s)";
    }
    o += "\n";
  }
  o += "  replay       " + Thousands(f.replayed) +
       " records replayed; lag at most " + Thousands(f.max_lag) + ", now " +
       Thousands(f.final_lag) + "\n";
  for (const ops::RunFigures::Verify& v : f.verifies) {
    o += "  verify       " + std::string(v.report.ok() ? "OK" : "DIFFERENCES") +
         ": " + Thousands(v.report.differences) + " differences, " +
         (v.report.unmapped > 0
              ? Thousands(v.report.unmapped) + " items not mapped, "
              : std::string()) +
         Thousands(v.report.destination_items) + " items compared (" +
         fixed(v.report.seconds) + " s)\n";
  }
  for (const ops::RunFigures::Flip& fl : f.flips) {
    o += "  " + fl.what +
         std::string(fl.what.size() < 11 ? 11 - fl.what.size() : 1, ' ') +
         "  " + fl.report.from_table + " -> " + fl.report.to_table +
         ": write pause " + fixed(fl.report.write_pause_ms) + " ms" +
         (fl.forced ? " (forced)" : "") + "\n";
  }
  if (f.pauses > 0) {
    o += "  pauses       " + Thousands(f.pauses) + " (" +
         fixed(f.paused_seconds) + " s paused)\n";
  }
  for (const std::string& e : f.errors) o += "  error        " + e + "\n";
  o += "  phase        " + std::string(RunPhaseName(f.phase)) + "\n";
  o += "  total        " + fixed(f.seconds) + " s\n";
  return o;
}

namespace {

std::string Bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string Pct(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", whole > 0 ? 100 * part / whole : 0);
  return buf;
}

}  // namespace

std::string AnalysisText(const ops::TableAnalysis& a) {
  std::ostringstream o;
  o << "table " << a.table << " (key " << a.key_schema.ToString()
    << "): " << Thousands(a.items) << " items, "
    << Bytes(static_cast<double>(a.bytes))
    << " by DynamoDB's item size rules (scanned in " << std::fixed;
  o.precision(1);
  o << a.seconds << " s, " << a.segments << " segments, " << a.threads
    << " threads)\n";
  if (a.items == 0) return o.str();
  o << "\nitem sizes: min " << Bytes(a.min_item_bytes) << ", mean "
    << Bytes(static_cast<double>(a.bytes) / a.items) << ", max "
    << Bytes(a.max_item_bytes) << "\n";
  uint64_t max = 1;
  for (uint64_t n : a.size_histogram) max = std::max(max, n);
  for (size_t i = 0; i < a.size_histogram.size(); ++i) {
    if (a.size_histogram[i] == 0) continue;
    std::string range =
        Bytes(static_cast<double>(ops::kSizeEdges[i])) + " - " +
        (i + 1 < ops::kSizeEdges.size()
             ? Bytes(static_cast<double>(ops::kSizeEdges[i + 1]))
             : std::string("..."));
    range.resize(std::max<size_t>(range.size(), 20), ' ');
    std::string n = Thousands(a.size_histogram[i]);
    n.insert(0, n.size() < 12 ? 12 - n.size() : 0, ' ');
    o << "  " << range << n << "  "
      << std::string(1 + 29 * a.size_histogram[i] / max, '#') << "\n";
  }
  o << "near the 400 KB limit (>= 360 KB): " << Thousands(a.near_limit_items)
    << " items";
  if (a.over_limit_items > 0) {
    o << "; OVER the limit: " << Thousands(a.over_limit_items)
      << " (DynamoDB refuses them)";
  }
  o << "\nlargest items:\n";
  for (const ops::SizedKey& k : a.largest) {
    o << "  " << Bytes(static_cast<double>(k.bytes)) << "  " << k.key << "\n";
  }
  o << "\npartition keys: about " << Thousands(a.partitions) << "; skew "
    << a.skew << " (the hottest key holds " << a.skew
    << " times a mean key's items)\n";
  auto bound = [&](const ops::HotKey& h, bool bytes) {
    auto show = [&](uint64_t v) {
      return bytes ? Bytes(static_cast<double>(v)) : Thousands(v);
    };
    if (h.error == 0) return show(h.value);
    return show(h.value - h.error) + " to " + show(h.value);
  };
  if (a.hot_by_items.empty()) {
    o << "  no partition key holds more items than a mean key "
         "(summaries of "
      << a.threads << " threads)\n";
  } else {
    o << "  hottest by items:\n";
  }
  for (const ops::HotKey& h : a.hot_by_items) {
    o << "    " << bound(h, false) << " (" << Pct(h.value, a.items) << ")  "
      << h.key << "\n";
  }
  if (!a.hot_by_bytes.empty()) o << "  hottest by bytes:\n";
  for (const ops::HotKey& h : a.hot_by_bytes) {
    o << "    " << bound(h, true) << " (" << Pct(h.value, a.bytes) << ")  "
      << h.key << "\n";
  }
  o << "\nattributes (present in, types):\n";
  for (const ops::AttributeStats& s : a.attributes) {
    std::string name = s.name + (s.key ? " (key)" : "");
    name.resize(std::max<size_t>(name.size(), 24), ' ');
    o << "  " << name << " " << Pct(s.items, a.items) << "  " << s.TypesText()
      << (s.mixed() ? "  MIXED TYPES" : "") << "\n";
  }
  if (a.attributes_untracked > 0) {
    o << "  (" << Thousands(a.attributes_untracked)
      << " values of further attribute names not itemised)\n";
  }
  o << "\ndata quality: ";
  if (a.findings.empty()) {
    o << "no findings in keys and string attributes\n";
  } else {
    o << a.findings.size() << " findings\n";
    for (const ops::TextFinding& f : a.findings) {
      std::string what = f.kind == "normal_form_collision"
                             ? "keys that differ only by Unicode normal form "
                               "(the same text stored twice)"
                             : "";
      for (uint32_t bit = 1; what.empty() && bit < (1u << ops::kTextIssueKinds);
           bit <<= 1) {
        if (ops::TextIssueName(bit) == f.kind) {
          what = std::string(ops::TextIssueText(bit));
        }
      }
      o << "  " << f.attribute << (f.key ? " (key)" : "") << ": "
        << Thousands(f.count) << " values with " << what << "\n";
      for (const auto& [key, value] : f.examples) {
        o << "      " << key << "  " << value << "\n";
      }
    }
    if (a.nfc_lookups_skipped > 0) {
      o << "  (" << Thousands(a.nfc_lookups_skipped)
        << " keys not in NFC were not looked up for collisions)\n";
    }
  }
  return o.str();
}

std::string EstimateText(const ops::MigrationEstimate& e) {
  std::ostringstream o;
  o << "capacity (DynamoDB: a strongly consistent read unit per 4 KB "
       "scanned, a write unit per 1 KB of each item):\n";
  o << "  backfill   " << Thousands(e.backfill_read_units) << " read units, "
    << Thousands(e.backfill_write_units) << " write units\n";
  o << "  verify     " << Thousands(e.verify_read_units)
    << " read units (source and destination)\n";
  if (e.read_capacity > 0 || e.write_capacity > 0) {
    o << "  at "
      << (e.read_capacity > 0
              ? Thousands(static_cast<uint64_t>(e.read_capacity))
              : std::string("unlimited"))
      << " read and "
      << (e.write_capacity > 0
              ? Thousands(static_cast<uint64_t>(e.write_capacity))
              : std::string("unlimited"))
      << " write units/s: backfill " << Duration(e.backfill_seconds);
    if (!e.bottleneck.empty()) o << " (bound by " << e.bottleneck << ")";
    if (e.read_capacity > 0) o << ", verify " << Duration(e.verify_seconds);
    o << "\n";
  } else {
    o << "  give --read-capacity and --write-capacity (units/s) for the "
         "time it takes\n";
  }
  if (e.hot_partition_seconds >= 1) {
    o << "  the hottest partition key alone takes at least "
      << Duration(e.hot_partition_seconds)
      << " at DynamoDB's 1,000 write units/s per partition, if the "
         "destination keeps that key\n";
  }
  return o.str();
}

}  // namespace godwit::cli
