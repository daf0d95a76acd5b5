// The commands that move items in and out of a table: import (DynamoDB-JSON
// lines, or a DynamoDB export to S3 copied down) and export.
//
// Output: reports go to stdout as text, or as one JSON object with --json,
// except when the data itself goes to stdout (export -), then the report
// goes to stderr. Progress goes to stderr, only when stderr is a terminal.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/session.h"
#include "godwit/item_file.h"
#include "godwit/json.h"
#include "godwit/store.h"

namespace godwit::cli {
namespace {

void Print(FILE* f, const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

// Shows progress on stderr when it is a terminal, at most every 250 ms.
class Progress {
 public:
  explicit Progress(std::string verb)
      : verb_(std::move(verb)),
        enabled_(::isatty(2) == 1),
        start_(std::chrono::steady_clock::now()),
        last_(start_) {}
  void Update(uint64_t items, uint64_t bad, uint64_t bytes,
              std::optional<uint64_t> total_bytes) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    std::string line = "\r" + verb_ + " " + std::to_string(items) + " items";
    if (bad) line += ", " + std::to_string(bad) + " bad";
    if (secs > 0) {
      line += ", " + std::to_string(static_cast<uint64_t>(items / secs)) +
              " items/s";
    }
    if (total_bytes && *total_bytes > 0 && bytes > 0 && secs > 1) {
      double frac = static_cast<double>(bytes) / *total_bytes;
      if (frac > 0 && frac <= 1) {
        line += ", " + std::to_string(static_cast<int>(frac * 100)) + "%";
        line += ", ETA " +
                std::to_string(static_cast<int>(secs / frac - secs)) + "s";
      }
    }
    line += "   ";
    Print(stderr, line);
    shown_ = true;
  }
  void Done() {
    if (shown_) Print(stderr, "\r\033[K");
  }

 private:
  const std::string verb_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool shown_ = false;
};

// `name` is a logical table name, resolved through its pointer.
Result<std::shared_ptr<Table>> OpenTable(Store& store,
                                         const std::string& name) {
  ASSIGN_OR_RETURN(std::string physical, ResolveTable(&store, name));
  return store.GetTable(physical);
}

// The key schema of --hash / --range.
Result<KeySchema> SchemaArgs(const std::string& hash,
                             const std::string& range) {
  KeySchema k;
  ASSIGN_OR_RETURN(k.hash, KeySchema::ParseAttribute(hash));
  if (!range.empty()) {
    ASSIGN_OR_RETURN(KeyAttribute r, KeySchema::ParseAttribute(range));
    k.range = std::move(r);
  }
  return k;
}

// ---- import / export -------------------------------------------------------

struct FileArgs {
  std::string table;
  std::string file;
  uint64_t max_errors = 0;
  // import: create the table (and the store) with this key if missing.
  std::string hash;
  std::string range;
};

// Writes `pending` with BatchWrite, re-sending unprocessed entries and
// retryable failures with backoff. On return `pending` is empty, or the
// error says why not.
Status WriteBatchWithRetry(Table& t, std::vector<WriteRequest>* pending,
                           uint64_t* written) {
  int attempt = 0;
  while (!pending->empty()) {
    size_t n = pending->size();
    Result<BatchWriteResult> r = t.BatchWrite(*pending);
    if (r.ok()) {
      *written += n - r->unprocessed.size();
      *pending = std::move(r->unprocessed);
      if (pending->empty()) return Status::OK();
    } else if (!r.status().retryable() || attempt >= 12) {
      return r.status();
    }
    int delay_ms = std::min(1000, 10 << std::min(attempt, 7));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ++attempt;
  }
  return Status::OK();
}

// The table to import into; with --hash, created (and the store with it)
// if missing.
Result<std::pair<std::unique_ptr<Store>, std::shared_ptr<Table>>>
OpenImportTable(const Context& ctx, const FileArgs& a) {
  if (a.hash.empty()) {
    if (!a.range.empty()) {
      return Status::InvalidArgument("--range needs --hash");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
    ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(*store, a.table));
    return std::make_pair(std::move(store), std::move(t));
  }
  TableOptions opts;
  ASSIGN_OR_RETURN(opts.key_schema, SchemaArgs(a.hash, a.range));
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                   OpenStore(ctx, {.create = true}));
  Result<std::shared_ptr<Table>> t = OpenTable(*store, a.table);
  if (t.ok()) {
    if (!((*t)->key_schema() == opts.key_schema)) {
      return Status::InvalidArgument("table " + a.table + " exists with key " +
                                     (*t)->key_schema().ToString() + ", not " +
                                     opts.key_schema.ToString() +
                                     " (--hash/--range)");
    }
    return std::make_pair(std::move(store), std::move(*t));
  }
  if (!t.status().IsNotFound()) return t.status();
  RETURN_IF_ERROR(store->CreateTable(a.table, opts));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> created, store->GetTable(a.table));
  return std::make_pair(std::move(store), std::move(created));
}

// `import TABLE DIR` where DIR is a DynamoDB export to S3 copied down
// (godwit/item_file.h): the manifests' item counts and every data file's
// MD5 and item count are checked, and every item against the table's key,
// before anything is written; a write that fails later says exactly what
// was imported.
Status RunImportS3Export(const Context& ctx, const FileArgs& a) {
  ASSIGN_OR_RETURN(S3Export ex, OpenS3Export(a.file));
  std::unique_ptr<Store> store;
  std::shared_ptr<Table> t;
  KeySchema schema;
  if (a.hash.empty()) {
    if (!a.range.empty())
      return Status::InvalidArgument("--range needs --hash");
    ASSIGN_OR_RETURN(store, OpenStore(ctx));
    ASSIGN_OR_RETURN(t, OpenTable(*store, a.table));
    schema = t->key_schema();
  } else {
    ASSIGN_OR_RETURN(schema, SchemaArgs(a.hash, a.range));
  }
  // Pass 1: check everything; nothing is written.
  Progress progress("checked");
  Result<uint64_t> checked = CheckS3Export(
      ex, &schema, [&](uint64_t n) { progress.Update(n, 0, 0, std::nullopt); });
  progress.Done();
  if (!checked.ok()) {
    return Status(checked.status().code(),
                  "refusing the export " + ex.dir + ", nothing was imported: " +
                      std::string(checked.status().message()));
  }
  // Pass 2: write.
  if (!t) {
    ASSIGN_OR_RETURN(auto opened, OpenImportTable(ctx, a));
    store = std::move(opened.first);
    t = std::move(opened.second);
  }
  std::vector<WriteRequest> pending;
  std::vector<Key> pending_keys;
  uint64_t imported = 0;
  size_t files_done = 0;
  Progress writing("imported");
  for (const S3ExportFile& f : ex.files) {
    Status s = ReadS3ExportFile(f, [&](Item&& item, uint64_t) -> Status {
      ASSIGN_OR_RETURN(Key key, ExtractKey(item, schema));
      for (const Key& k : pending_keys) {
        if (k == key) {
          pending_keys.clear();
          RETURN_IF_ERROR(WriteBatchWithRetry(*t, &pending, &imported));
          break;
        }
      }
      pending.push_back(WriteRequest::Put(std::move(item)));
      pending_keys.push_back(std::move(key));
      if (pending.size() == kMaxBatchWriteItems) {
        pending_keys.clear();
        RETURN_IF_ERROR(WriteBatchWithRetry(*t, &pending, &imported));
      }
      writing.Update(imported, 0, 0, std::nullopt);
      return Status::OK();
    });
    if (s.ok()) {
      pending_keys.clear();
      s = WriteBatchWithRetry(*t, &pending, &imported);
    }
    if (!s.ok()) {
      writing.Done();
      return Status(s.code(),
                    "import stopped after writing " + std::to_string(imported) +
                        " of " + std::to_string(ex.item_count) +
                        " items into " + a.table + " (" +
                        std::to_string(files_done) + " of " +
                        std::to_string(ex.files.size()) +
                        " data files complete; stopped in " + f.path +
                        "): " + std::string(s.message()) +
                        "; importing the export again rewrites the same "
                        "items");
    }
    ++files_done;
  }
  writing.Done();
  if (ctx.global.json) {
    Print(stdout, "{\"imported\":" + std::to_string(imported) +
                      ",\"export\":" + JsonQuoted(ex.export_arn) +
                      ",\"files\":" + std::to_string(ex.files.size()) +
                      ",\"verified\":true}\n");
  } else {
    Print(stdout, "imported " + std::to_string(imported) + " items into " +
                      a.table + " from the DynamoDB export " +
                      (ex.export_arn.empty() ? ex.dir : ex.export_arn) + " (" +
                      std::to_string(ex.files.size()) +
                      " data files; item counts and MD5 checksums verified "
                      "before writing)\n");
  }
  return Status::OK();
}

Status RunImport(const Context& ctx, const FileArgs& a) {
  if (a.file != "-" && IsS3Export(a.file)) return RunImportS3Export(ctx, a);
  ASSIGN_OR_RETURN(auto opened, OpenImportTable(ctx, a));
  std::unique_ptr<Store> store = std::move(opened.first);
  std::shared_ptr<Table> t = std::move(opened.second);
  ASSIGN_OR_RETURN(std::unique_ptr<ItemFileReader> in,
                   ItemFileReader::Open(a.file));
  const KeySchema& schema = t->key_schema();
  std::vector<WriteRequest> pending;
  std::vector<Key> pending_keys;
  uint64_t imported = 0, bad = 0;
  Progress progress("imported");
  auto flush = [&]() -> Status {
    Status s = WriteBatchWithRetry(*t, &pending, &imported);
    pending_keys.clear();
    return s;
  };
  auto report = [&](bool stopped) {
    progress.Done();
    if (ctx.global.json) {
      Print(stdout, "{\"imported\":" + std::to_string(imported) +
                        ",\"bad_lines\":" + std::to_string(bad) +
                        ",\"stopped\":" + (stopped ? "true" : "false") + "}\n");
    } else {
      Print(stdout, "imported " + std::to_string(imported) + " items into " +
                        a.table + ", " + std::to_string(bad) + " bad lines" +
                        (stopped ? " (stopped)" : "") + "\n");
    }
  };
  // Every good line read so far is written before any return.
  auto stop = [&](Status why) -> Status {
    Status f = flush();
    report(true);
    return f.ok() ? why : f;
  };
  Item item;
  while (true) {
    Result<bool> more = in->Next(&item);
    Status line_error;
    if (!more.ok()) {
      if (!more.status().IsInvalidArgument()) return stop(more.status());
      line_error = more.status();
    } else if (!*more) {
      break;
    } else {
      line_error = ValidateItem(item, &schema);
      if (!line_error.ok()) {
        line_error = Status::InvalidArgument(
            "line " + std::to_string(in->line_number()) + ": " +
            std::string(line_error.message()));
      }
    }
    if (!line_error.ok()) {
      ++bad;
      Print(stderr, "godwit: import " + (a.file == "-" ? "stdin" : a.file) +
                        ": " + std::string(line_error.message()) + "\n");
      if (bad > a.max_errors) {
        return stop(
            Status::InvalidArgument("import stopped: " + std::to_string(bad) +
                                    " bad lines, more than --max-errors " +
                                    std::to_string(a.max_errors)));
      }
      continue;
    }
    Result<Key> key = ExtractKey(item, schema);
    if (!key.ok()) return stop(key.status());
    // BatchWrite refuses two requests on one key: the first goes first.
    for (const Key& k : pending_keys) {
      if (k == *key) {
        Status s = flush();
        if (!s.ok()) return stop(s);
        break;
      }
    }
    pending.push_back(WriteRequest::Put(std::move(item)));
    pending_keys.push_back(std::move(key).value());
    item = Item();
    if (pending.size() == kMaxBatchWriteItems) {
      Status s = flush();
      if (!s.ok()) return stop(s);
    }
    progress.Update(imported, bad, in->bytes_read(), in->file_size());
  }
  Status s = flush();
  if (!s.ok()) return stop(s);
  report(false);
  return Status::OK();
}

Status RunExport(const Context& ctx, const FileArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(*store, a.table));
  // A consistent copy where the store has snapshots (the embedded store);
  // elsewhere (DynamoDB) a scan, as AWS's own export of a live table is.
  Result<std::unique_ptr<Snapshot>> snap = t->GetSnapshot();
  if (!snap.ok() && snap.status().code() != StatusCode::kUnimplemented) {
    return snap.status();
  }
  if (!snap.ok()) {
    std::fprintf(stderr,
                 "godwit: this store has no snapshots: the export is a scan "
                 "of the live table, not a point-in-time copy\n");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ItemFileWriter> out,
                   ItemFileWriter::Open(a.file));
  Progress progress("exported");
  ScanOptions so;
  so.snapshot = snap.ok() ? snap->get() : nullptr;
  uint64_t n = 0;
  while (true) {
    ASSIGN_OR_RETURN(Page page, t->Scan(so));
    for (const Item& item : page.items) {
      RETURN_IF_ERROR(out->Write(item));
      ++n;
    }
    progress.Update(n, 0, 0, std::nullopt);
    if (page.next_page_token.empty()) break;
    so.page_token = std::move(page.next_page_token);
  }
  RETURN_IF_ERROR(out->Close());
  progress.Done();
  FILE* report = a.file == "-" ? stderr : stdout;
  std::string seq = snap.ok() ? std::to_string((*snap)->sequence()) : "";
  if (ctx.global.json) {
    Print(report, "{\"exported\":" + std::to_string(n) +
                      ",\"sequence\":" + (seq.empty() ? "null" : seq) + "}\n");
  } else {
    Print(report, "exported " + std::to_string(n) + " items of " + a.table +
                      (seq.empty() ? "" : " (as of sequence " + seq + ")") +
                      " to " + (a.file == "-" ? "stdout" : a.file) + "\n");
  }
  return Status::OK();
}

}  // namespace

void RegisterImportExportCommands(CLI::App& app, Context& ctx) {
  auto file_args = std::make_shared<FileArgs>();
  Context* c = &ctx;

  CLI::App* imp = app.add_subcommand(
      "import",
      "write DynamoDB-JSON lines (.gz, .zst, - for stdin) into a table, or "
      "a DynamoDB export to S3 copied down (a folder with "
      "manifest-summary.json: manifests, item counts and MD5 checksums are "
      "checked before anything is written)");
  imp->add_option("table", file_args->table, "table name")->required();
  imp->add_option("file", file_args->file,
                  "input file, - for stdin, or an export folder")
      ->required();
  imp->add_option("--max-errors", file_args->max_errors,
                  "go on past up to N bad lines (each is reported)")
      ->capture_default_str();
  imp->add_option("--hash", file_args->hash,
                  "create the table (and the store) if missing, with "
                  "this partition key NAME:TYPE");
  imp->add_option("--range", file_args->range,
                  "the sort key NAME:TYPE of a table --hash creates");
  imp->callback([c, file_args] {
    c->run = [c, file_args] { return RunImport(*c, *file_args); };
  });

  CLI::App* exp = app.add_subcommand(
      "export",
      "write a table as DynamoDB-JSON lines (.gz, .zst, - for stdout), "
      "consistent as of one sequence");
  exp->add_option("table", file_args->table, "table name")->required();
  exp->add_option("file", file_args->file, "output file, or - for stdout")
      ->required();
  exp->callback([c, file_args] {
    c->run = [c, file_args] { return RunExport(*c, *file_args); };
  });
}

}  // namespace godwit::cli
