// The store commands: table create|list|describe|drop, put, get, delete,
// scan (import and export: import_export_commands.cc). Items on the command
// line and on stdout are DynamoDB JSON; scan writes DynamoDB-JSON lines
// ({"Item": ...}).
//
// Output: data goes to stdout; reports go to stdout as text, or as one JSON
// object with --json, except when the data itself goes to stdout (export -),
// then the report goes to stderr. Progress goes to stderr, only when stderr
// is a terminal.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/session.h"
#include "godwit/item_file.h"
#include "godwit/json.h"
#include "godwit/local_store.h"
#include "godwit/store.h"

namespace godwit::cli {
namespace {

// ---- output helpers --------------------------------------------------------

void Print(FILE* f, const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

Status WriteStdout(std::string_view s) {
  if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) {
    return Status::IOError("write to stdout failed");
  }
  return Status::OK();
}

// ---- store access ----------------------------------------------------------

// `name` is a logical table name: it resolves through the active-table
// pointer (after a cutover, "Orders" is "Orders.v2"), as in every command.
Result<std::shared_ptr<Table>> OpenTable(Store& store,
                                         const std::string& name) {
  ASSIGN_OR_RETURN(std::string physical, ResolveTable(&store, name));
  return store.GetTable(physical);
}

// The physical table a table command means: `name` resolved as everywhere,
// or with --physical `name` itself.
Result<std::string> TableArg(Store& store, const std::string& name,
                             bool physical) {
  if (physical) return name;
  return ResolveTable(&store, name);
}

// An item from the command line: {"pk": {"S": "a"}, ...}, or an export line
// {"Item": {...}}.
Result<Item> ParseItemArg(std::string_view json) {
  JsonParser parser;
  Result<Item> item = parser.ParseItem(json);
  if (item.ok()) return item;
  Result<Item> line = parser.ParseItemLine(json);
  if (line.ok()) return line;
  return item.status();
}

Result<Key> ParseKeyArg(std::string_view json, const KeySchema& schema) {
  ASSIGN_OR_RETURN(Item item, ParseItemArg(json));
  for (const auto& [name, v] : item) {
    if (name != schema.hash.name &&
        !(schema.range && name == schema.range->name)) {
      return Status::InvalidArgument(
          "the key has an attribute \"" + name +
          "\" that is not a key attribute (key: " + schema.ToString() + ")");
    }
  }
  return ExtractKey(item, schema);
}

std::string SchemaJson(const KeySchema& s) {
  auto attr = [](const KeyAttribute& a) {
    return "{\"name\":" + JsonQuoted(a.name) +
           ",\"type\":" + JsonQuoted(AttrTypeName(a.type)) + "}";
  };
  std::string out = "{\"hash\":" + attr(s.hash);
  if (s.range) out += ",\"range\":" + attr(*s.range);
  return out + "}";
}

std::string FormatMicros(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- table -----------------------------------------------------------------

struct TableArgs {
  std::string name;
  std::string hash;
  std::string range;
  bool no_stream = false;
  bool physical = false;  // describe, drop: NAME is a physical table
};

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

Status RunTableCreate(const Context& ctx, const TableArgs& a) {
  TableOptions opts;
  ASSIGN_OR_RETURN(opts.key_schema, SchemaArgs(a.hash, a.range));
  opts.stream_enabled = !a.no_stream;
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                   OpenStore(ctx, {.create = true}));
  RETURN_IF_ERROR(store->CreateTable(a.name, opts));
  if (ctx.global.json) {
    Print(stdout, "{\"created\":" + JsonQuoted(a.name) + ",\"key_schema\":" +
                      SchemaJson(opts.key_schema) + ",\"stream_enabled\":" +
                      (opts.stream_enabled ? "true" : "false") + "}\n");
  } else {
    Print(stdout, "created table " + a.name + " (key " +
                      opts.key_schema.ToString() + ", stream " +
                      (opts.stream_enabled ? "on" : "off") + ")\n");
  }
  return Status::OK();
}

Status RunTableList(const Context& ctx) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::vector<std::string> names, store->ListTables());
  std::string out;
  if (ctx.global.json) {
    out = "{\"tables\":[";
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) out += ",";
      out += JsonQuoted(names[i]);
    }
    out += "]}\n";
  } else {
    for (const auto& n : names) out += n + "\n";
  }
  Print(stdout, out);
  return Status::OK();
}

Status RunTableDescribe(const Context& ctx, const TableArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::string physical, TableArg(*store, a.name, a.physical));
  ASSIGN_OR_RETURN(TableDescription d, store->DescribeTable(physical));
  std::string out;
  if (ctx.global.json) {
    out = "{\"name\":" + JsonQuoted(d.name) +
          (physical != a.name ? ",\"logical\":" + JsonQuoted(a.name) : "") +
          ",\"key_schema\":" + SchemaJson(d.key_schema) +
          ",\"item_count\":" + std::to_string(d.item_count) +
          ",\"size_bytes\":" + std::to_string(d.size_bytes) +
          ",\"stream_enabled\":" + (d.stream_enabled ? "true" : "false") +
          ",\"latest_sequence\":" + std::to_string(d.latest_sequence) +
          ",\"stream_first_sequence\":" +
          std::to_string(d.stream_first_sequence) +
          ",\"created_micros\":" + std::to_string(d.created_micros) + "}\n";
  } else {
    out = "table:    " + d.name +
          (physical != a.name ? " (the active table of " + a.name + ")" : "") +
          "\nkey:      " + d.key_schema.ToString() +
          "\nitems:    " + std::to_string(d.item_count) +
          "\nsize:     " + std::to_string(d.size_bytes) + " bytes" +
          "\nstream:   " + (d.stream_enabled ? "on" : "off");
    if (d.stream_first_sequence <= d.latest_sequence) {
      out += " (records " + std::to_string(d.stream_first_sequence) + ".." +
             std::to_string(d.latest_sequence) + ")";
    } else {
      out += " (no records; latest sequence " +
             std::to_string(d.latest_sequence) + ")";
    }
    out += "\ncreated:  " + FormatMicros(d.created_micros) + "\n";
  }
  Print(stdout, out);
  return Status::OK();
}

Status RunTableDrop(const Context& ctx, const TableArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::string physical, TableArg(*store, a.name, a.physical));
  RETURN_IF_ERROR(CheckDroppable(store.get(), physical));
  RETURN_IF_ERROR(store->DropTable(physical));
  Print(stdout, ctx.global.json ? "{\"dropped\":" + JsonQuoted(physical) + "}\n"
                                : "dropped table " + physical + "\n");
  return Status::OK();
}

// ---- items -----------------------------------------------------------------

struct ItemArgs {
  std::string table;
  std::string json;
};

Status RunPut(const Context& ctx, const ItemArgs& a) {
  ASSIGN_OR_RETURN(Item item, ParseItemArg(a.json));
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(*store, a.table));
  ASSIGN_OR_RETURN(std::optional<Item> old, t->Put(item));
  if (ctx.global.json) {
    std::string out = "{\"replaced\":";
    out += old ? "true" : "false";
    if (old) {
      out += ",\"OldItem\":";
      WriteItemJson(*old, &out);
    }
    Print(stdout, out + "}\n");
  }
  return Status::OK();
}

Status RunGet(const Context& ctx, const ItemArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(*store, a.table));
  ASSIGN_OR_RETURN(Key key, ParseKeyArg(a.json, t->key_schema()));
  ASSIGN_OR_RETURN(std::optional<Item> item, t->Get(key));
  if (!item) {
    return Status::NotFound("no item with key " + a.json + " in " + a.table);
  }
  std::string out;
  if (ctx.global.json) {
    WriteItemLine(*item, &out);
  } else {
    WriteItemJson(*item, &out);
  }
  Print(stdout, out + "\n");
  return Status::OK();
}

Status RunDelete(const Context& ctx, const ItemArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(*store, a.table));
  ASSIGN_OR_RETURN(Key key, ParseKeyArg(a.json, t->key_schema()));
  ASSIGN_OR_RETURN(std::optional<Item> old, t->Delete(key));
  if (ctx.global.json) {
    std::string out = "{\"deleted\":";
    out += old ? "true" : "false";
    if (old) {
      out += ",\"OldItem\":";
      WriteItemJson(*old, &out);
    }
    Print(stdout, out + "}\n");
  }
  return Status::OK();
}

struct ScanArgs {
  std::string table;
  int segment = 0;
  int segments = 1;
  uint64_t limit = 0;  // 0: all
};

Status RunScan(const Context& ctx, const ScanArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::shared_ptr<Table> t, OpenTable(*store, a.table));
  ScanOptions so;
  so.segment = a.segment;
  so.total_segments = a.segments;
  uint64_t printed = 0;
  std::string out;
  while (a.limit == 0 || printed < a.limit) {
    if (a.limit) so.limit = std::min<uint64_t>(1000, a.limit - printed);
    ASSIGN_OR_RETURN(Page page, t->Scan(so));
    out.clear();
    for (const Item& item : page.items) {
      WriteItemLine(item, &out);
      out.push_back('\n');
      ++printed;
    }
    RETURN_IF_ERROR(WriteStdout(out));
    if (page.next_page_token.empty()) break;
    so.page_token = std::move(page.next_page_token);
  }
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace

void RegisterStoreCommands(CLI::App& app, Context& ctx) {
  // Option storage lives as long as the callbacks that use it.
  auto table_args = std::make_shared<TableArgs>();
  auto item_args = std::make_shared<ItemArgs>();
  auto scan_args = std::make_shared<ScanArgs>();
  Context* c = &ctx;

  CLI::App* table =
      app.add_subcommand("table", "create, list, describe, drop tables");
  table->require_subcommand(1);

  CLI::App* create = table->add_subcommand("create", "create a table");
  create->add_option("name", table_args->name, "table name")->required();
  create
      ->add_option("--hash", table_args->hash,
                   "partition key, NAME:TYPE with TYPE S, N or B")
      ->required();
  create->add_option("--range", table_args->range, "sort key, NAME:TYPE");
  create->add_flag("--no-stream", table_args->no_stream,
                   "no change stream (no records are kept)");
  create->callback([c, table_args] {
    c->run = [c, table_args] { return RunTableCreate(*c, *table_args); };
  });

  CLI::App* list = table->add_subcommand("list", "list tables");
  list->callback([c] { c->run = [c] { return RunTableList(*c); }; });

  CLI::App* describe = table->add_subcommand(
      "describe", "key schema, item count, size and stream of a table");
  describe->add_option("name", table_args->name, "table name")->required();
  describe->add_flag("--physical", table_args->physical,
                     "NAME is a physical table (default: a logical name, "
                     "resolved through its pointer)");
  describe->callback([c, table_args] {
    c->run = [c, table_args] { return RunTableDescribe(*c, *table_args); };
  });

  CLI::App* drop = table->add_subcommand(
      "drop",
      "delete a table and its stream (refused while a pointer names it or "
      "an unfinished run uses it)");
  drop->add_option("name", table_args->name, "table name")->required();
  drop->add_flag("--physical", table_args->physical,
                 "NAME is a physical table, e.g. the old table after a "
                 "finish (default: a logical name, resolved through its "
                 "pointer)");
  drop->callback([c, table_args] {
    c->run = [c, table_args] { return RunTableDrop(*c, *table_args); };
  });

  CLI::App* put = app.add_subcommand("put", "write an item (DynamoDB JSON)");
  put->add_option("table", item_args->table, "table name")->required();
  put->add_option("item", item_args->json,
                  "the item, e.g. '{\"pk\":{\"S\":\"a\"}}'")
      ->required();
  put->callback([c, item_args] {
    c->run = [c, item_args] { return RunPut(*c, *item_args); };
  });

  CLI::App* get = app.add_subcommand("get", "print an item by its key");
  get->add_option("table", item_args->table, "table name")->required();
  get->add_option("key", item_args->json,
                  "the key attributes, e.g. '{\"pk\":{\"S\":\"a\"}}'")
      ->required();
  get->callback([c, item_args] {
    c->run = [c, item_args] { return RunGet(*c, *item_args); };
  });

  CLI::App* del = app.add_subcommand("delete", "delete an item by its key");
  del->add_option("table", item_args->table, "table name")->required();
  del->add_option("key", item_args->json, "the key attributes")->required();
  del->callback([c, item_args] {
    c->run = [c, item_args] { return RunDelete(*c, *item_args); };
  });

  CLI::App* scan = app.add_subcommand(
      "scan", "print items as DynamoDB-JSON lines ({\"Item\": ...})");
  scan->add_option("table", scan_args->table, "table name")->required();
  scan->add_option("--segment", scan_args->segment,
                   "the segment to scan, 0 <= I < --segments")
      ->check(CLI::NonNegativeNumber);
  scan->add_option("--segments", scan_args->segments,
                   "split the table into N segments")
      ->check(CLI::Range(1, 1000000));
  scan->add_option("--limit", scan_args->limit, "print at most N items");
  scan->callback([c, scan_args] {
    c->run = [c, scan_args] { return RunScan(*c, *scan_args); };
  });
}

}  // namespace godwit::cli
