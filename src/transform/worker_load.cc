// Making a worker's Lua state: the sandbox, then each migration file
// compiled, its chunk run in its own _ENV, the table it returns checked, and
// its prepare run.
//
// Checking is strict and complete: every problem of a file is reported, not
// just the first (a misspelled field, a missing `up`, a bad key_schema and a
// bad index all at once), each naming the file and, where Lua gives one, the
// line. The declarative fields (key_schema, indexes) are converted to
// AttributeValues and parsed in plain C++ (migration_fields.cc).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "transform/migration_fields.h"
#include "transform/sandbox.h"
#include "transform/worker_impl.h"

namespace godwit {

using transform_internal::GetStateData;
using transform_internal::kMigrationFields;
using transform_internal::Print;

namespace {

using Impl = TransformWorker::Impl;

struct LoadArgs {
  Impl* impl;
  size_t i;
};

// Appends the string on top of the stack to the list at `list`. Raises.
void AppendTop(lua_State* L, int list) {
  lua_rawseti(L, list, static_cast<lua_Integer>(lua_rawlen(L, list) + 1));
}

// Makes the sandbox and keeps make_env and the godwit base in the registry.
int SandboxTrampoline(lua_State* L) {
  auto* impl = static_cast<Impl*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_pushcfunction(L, transform_internal::OpenSandbox);
  lua_call(L, 0, 1);
  impl->make_env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  transform_internal::PushGodwitBase(L);
  impl->godwit_base_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// Compiles and runs migration `i`'s chunk in its own environment and checks
// the shape of the table it returns. Raises for a syntax error, an error
// while running the chunk, and a chunk that does not return a table; every
// other problem is collected. Returns 6 values:
//   problems       list of messages
//   unknown        list of unknown field names
//   unknown_lines  list: the line of each unknown field's function, or 0
//   odd_keys       list of descriptions of keys that are not names
//   key_schema     the field's table, or nil
//   indexes        the field's table, or nil
int LoadTrampoline(lua_State* L) {
  auto* a = static_cast<LoadArgs*>(lua_touserdata(L, 1));
  Impl* impl = a->impl;
  const size_t i = a->i;
  Impl::Mig& mig = impl->migs[i];
  const MigrationFile& file = impl->files()[i];
  lua_settop(L, 0);
  luaL_checkstack(L, 24, "loading a migration");
  // 1: the godwit table of this migration: the base plus read_json.
  lua_newtable(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, impl->godwit_base_ref);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, 1);
  }
  lua_pop(L, 1);
  transform_internal::PushReadJson(L, impl->dirs[i], impl->root);
  lua_setfield(L, 1, "read_json");
  // 2: print and ctx.log.
  lua_pushfstring(L, "[%s] ", impl->ids[i].c_str());
  lua_pushcclosure(L, Print, 1);
  lua_pushvalue(L, 2);
  mig.log = luaL_ref(L, LUA_REGISTRYINDEX);
  // 3: env = make_env(godwit, print)
  lua_rawgeti(L, LUA_REGISTRYINDEX, impl->make_env_ref);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 1);
  // 4: what the chunk returns.
  impl->stage = Impl::Stage::kCompile;
  if (luaL_loadbufferx(L, file.source.data(), file.source.size(),
                       impl->chunk_names[i].c_str(), "t") != LUA_OK) {
    return lua_error(L);
  }
  impl->stage = Impl::Stage::kRunChunk;
  lua_pushvalue(L, 3);
  lua_setupvalue(L, -2, 1);  // _ENV
  lua_call(L, 0, 1);
  impl->stage = Impl::Stage::kCheck;
  if (lua_type(L, 4) != LUA_TTABLE) {
    if (lua_isnil(L, 4)) {
      lua_pushliteral(L, "nil (is `return { ... }` missing?)");
    } else {
      lua_pushfstring(L, "a %s", luaL_typename(L, 4));
    }
    return luaL_error(L,
                      "the file must return a table "
                      "{ up = function(item, ctx) ... end, ... }, but it "
                      "returned %s",
                      lua_tostring(L, -1));
  }
  lua_newtable(L);  // 5: problems
  lua_newtable(L);  // 6: unknown names
  lua_newtable(L);  // 7: their lines
  lua_newtable(L);  // 8: odd keys
  struct Field {
    const char* name;
    int* ref;
    bool required;
  };
  const Field fns[] = {{"up", &mig.up, true},
                       {"down", &mig.down, false},
                       {"validate", &mig.validate, false},
                       {"prepare", &mig.prepare, false}};
  for (const Field& f : fns) {
    lua_pushstring(L, f.name);
    int t = lua_rawget(L, 4);
    if (t == LUA_TFUNCTION) {
      *f.ref = luaL_ref(L, LUA_REGISTRYINDEX);
      continue;
    }
    if (t == LUA_TNIL && !f.required) {
      lua_pop(L, 1);
      continue;
    }
    if (t == LUA_TNIL) {
      lua_pushfstring(L,
                      "the returned table has no `%s` function (write %s = "
                      "function(item, ctx) ... return item end)",
                      f.name, f.name);
    } else {
      lua_pushfstring(L, "`%s` must be a function, got a %s", f.name,
                      luaL_typename(L, -1));
    }
    AppendTop(L, 5);
    lua_pop(L, 1);
  }
  lua_pushliteral(L, "description");
  int t = lua_rawget(L, 4);
  if (t == LUA_TSTRING) {
    mig.description = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    if (t != LUA_TNIL) {
      lua_pushfstring(L, "`description` must be a string, got a %s",
                      luaL_typename(L, -1));
      AppendTop(L, 5);
    }
    lua_pop(L, 1);
  }
  // 9: key_schema, 10: indexes (tables, or nil)
  const char* const tables[] = {"key_schema", "indexes"};
  const char* const examples[] = {
      "{ hash = \"pk\", range = \"sk\" }",
      "{ byStatus = { hash = \"status\", range = \"createdAt\" } }"};
  for (int k = 0; k < 2; ++k) {
    lua_pushstring(L, tables[k]);
    t = lua_rawget(L, 4);
    if (t != LUA_TNIL && t != LUA_TTABLE) {
      lua_pushfstring(L, "%s must be a table %s, got a %s", tables[k],
                      examples[k], luaL_typename(L, -1));
      AppendTop(L, 5);
      lua_pop(L, 1);
      lua_pushnil(L);
    }
  }
  // Every key of the table must be a known field.
  lua_pushnil(L);
  while (lua_next(L, 4)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t n;
      const char* k = lua_tolstring(L, -2, &n);
      std::string_view name(k, n);
      if (std::find(std::begin(kMigrationFields), std::end(kMigrationFields),
                    name) == std::end(kMigrationFields)) {
        lua_pushvalue(L, -2);
        AppendTop(L, 6);
        lua_Debug ar;
        ar.linedefined = 0;
        if (lua_type(L, -1) == LUA_TFUNCTION) {
          lua_pushvalue(L, -1);
          lua_getinfo(L, ">S", &ar);
        }
        lua_pushinteger(L, ar.linedefined > 0 ? ar.linedefined : 0);
        AppendTop(L, 7);
      }
    } else {
      luaL_tolstring(L, -2, nullptr);
      lua_pushfstring(L, "a %s key [%s]", luaL_typename(L, -3),
                      lua_tostring(L, -1));
      AppendTop(L, 8);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return 6;
}

// Builds migration `i`'s ctx and runs its prepare (ctx.data).
int PrepareTrampoline(lua_State* L) {
  auto* a = static_cast<LoadArgs*>(lua_touserdata(L, 1));
  Impl* impl = a->impl;
  const size_t i = a->i;
  Impl::Mig& mig = impl->migs[i];
  const TransformOptions& opts = impl->opts();
  impl->stage = Impl::Stage::kPrepare;
  lua_settop(L, 0);
  lua_createtable(L, 0, 8);  // 1: ctx
  lua_pushstring(L, impl->ids[i].c_str());
  lua_setfield(L, 1, "migration");
  lua_pushstring(L, impl->files()[i].table.c_str());
  lua_setfield(L, 1, "table");
  lua_pushstring(L, opts.run_id.c_str());
  lua_setfield(L, 1, "run_id");
  lua_pushinteger(L, opts.now_micros / 1000000);
  lua_setfield(L, 1, "now");
  lua_pushinteger(L, opts.now_micros);
  lua_setfield(L, 1, "now_micros");
  lua_pushstring(L, impl->now_iso.c_str());
  lua_setfield(L, 1, "now_iso");
  lua_rawgeti(L, LUA_REGISTRYINDEX, mig.log);
  lua_setfield(L, 1, "log");
  if (mig.prepare != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, mig.prepare);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    lua_setfield(L, 1, "data");
  }
  lua_pushvalue(L, 1);
  mig.ctx = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// How Lua shows `chunk_name` in messages (luaO_chunkid shortens long names).
// Never raises: lua_load is protected and lua_getinfo("S") allocates nothing.
std::string ShortSource(lua_State* L, const std::string& chunk_name) {
  std::string fallback = chunk_name.substr(1);
  if (luaL_loadbufferx(L, "", 0, chunk_name.c_str(), "t") != LUA_OK) {
    lua_pop(L, 1);
    return fallback;
  }
  lua_Debug ar;
  lua_getinfo(L, ">S", &ar);
  return ar.short_src;
}

// The strings of the list at `idx`. Never raises.
std::vector<std::string> StringsAt(lua_State* L, int idx) {
  std::vector<std::string> out;
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  for (lua_Integer k = 1; k <= n; ++k) {
    lua_rawgeti(L, idx, k);
    size_t len = 0;
    const char* s =
        lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
    out.emplace_back(s ? std::string(s, len) : std::string());
    lua_pop(L, 1);
  }
  return out;
}

// If `s` starts with "<path>:<digits>: ", strips that and returns the line.
int StripPosition(const std::string& path, std::string* s) {
  if (s->compare(0, path.size(), path) != 0) return 0;
  size_t p = path.size();
  if (p >= s->size() || (*s)[p] != ':') return 0;
  size_t d = p + 1, e = d;
  while (e < s->size() && (*s)[e] >= '0' && (*s)[e] <= '9') ++e;
  if (e == d || e + 1 >= s->size() || (*s)[e] != ':' || (*s)[e + 1] != ' ') {
    return 0;
  }
  int line = std::atoi(s->c_str() + d);
  s->erase(0, e + 2);
  return line;
}

// The first line of `path` in a traceback ("\n\t<path>:12: in ..."), or 0.
int LineFromTraceback(const std::string& path, const std::string& tb) {
  std::string needle = "\t" + path + ":";
  size_t pos = tb.find(needle);
  if (pos == std::string::npos) return 0;
  return std::atoi(tb.c_str() + pos + needle.size());
}

}  // namespace

std::string Impl::ExpandChunkNames(std::string s) const {
  if (!names_shortened) return s;
  for (size_t i = 0; i < short_names.size(); ++i) {
    const std::string& from = short_names[i];
    std::string_view to = std::string_view(chunk_names[i]).substr(1);
    if (from == to) continue;
    for (size_t pos = s.find(from); pos != std::string::npos;
         pos = s.find(from, pos + to.size())) {
      s.replace(pos, from.size(), to);
    }
  }
  return s;
}

std::string Impl::FormatProblem(const Problem& p) const {
  std::string where = files()[p.file].path;
  if (p.line > 0) where += ":" + std::to_string(p.line);
  if (p.syntax) return "syntax error in " + where + ": " + p.message;
  std::string s = where + ": " + p.message;
  if (!p.traceback.empty()) s += "\n" + p.traceback;
  return s;
}

Status Impl::Setup() {
  std::vector<Problem> problems;
  RETURN_IF_ERROR(Load(/*stop_at_first=*/true, &problems));
  if (problems.empty()) return Status::OK();
  std::string msg;
  for (const Problem& p : problems) {
    if (!msg.empty()) msg += "\n";
    msg += FormatProblem(p);
  }
  return Status::InvalidArgument(msg);
}

Status Impl::Load(bool stop_at_first, std::vector<Problem>* problems) {
  const std::vector<MigrationFile>& fs = files();
  const TransformOptions& o = opts();
  sd.mem_limit = o.memory_limit_bytes;
  sd.budget = o.instruction_budget * 10;  // loading and prepare
  sd.log = &o.log;
  L = transform_internal::NewSandboxState(&sd);
  if (L == nullptr) {
    return Status::ResourceExhausted(
        "cannot create a Lua state (memory limit)");
  }
  migs.assign(fs.size(), Mig{});
  std::filesystem::path root_path;
  for (const MigrationFile& f : fs) {
    chunk_names.push_back("@" + f.path);
    short_names.push_back(ShortSource(L, chunk_names.back()));
    if (short_names.back() != f.path) names_shortened = true;
    ids.push_back(f.id());
    std::filesystem::path dir = std::filesystem::path(f.path).parent_path();
    dirs.push_back(dir.empty() ? "." : dir.string());
    if (root_path.empty()) {
      root_path = dir.parent_path();
      if (root_path.empty()) root_path = ".";
    }
  }
  root = root_path.string();
  now_iso = transform_internal::IsoTime(o.now_micros);
  std::string mem_error = "memory limit of " +
                          std::to_string(o.memory_limit_bytes >> 20) +
                          " MiB exceeded while loading";

  // The sandbox.
  stage = Stage::kSandbox;
  lua_pushcfunction(L, transform_internal::MessageHandler);
  lua_pushcfunction(L, SandboxTrampoline);
  lua_pushlightuserdata(L, this);
  int rc = lua_pcall(L, 1, 0, 1);
  if (rc != LUA_OK) {
    if (rc == LUA_ERRMEM || sd.mem_limit_hit) {
      return Status::ResourceExhausted("godwit's Lua sandbox: " + mem_error);
    }
    const char* s = lua_tostring(L, -1);
    return Status::InvalidArgument(std::string("godwit's Lua sandbox: ") +
                                   (s ? s : "?"));
  }

  for (size_t i = 0; i < fs.size(); ++i) {
    const std::string& path = fs[i].path;
    size_t first = problems->size();
    auto add = [&](int line, std::string message) {
      Problem p;
      p.file = i;
      p.line = line;
      p.message = std::move(message);
      problems->push_back(std::move(p));
    };
    // A raised error of LoadTrampoline or PrepareTrampoline.
    auto add_raised = [&](int code) {
      Problem p;
      p.file = i;
      if (code == LUA_ERRMEM || sd.mem_limit_hit) {
        p.message = mem_error;
      } else {
        size_t n = 0;
        const char* s = lua_tolstring(L, -1, &n);
        std::string reason, traceback;
        transform_internal::SplitTraceback(
            std::string_view(s ? s : "?", s ? n : 1), &reason, &traceback);
        reason = ExpandChunkNames(std::move(reason));
        traceback = ExpandChunkNames(std::move(traceback));
        p.syntax = stage == Stage::kCompile;
        p.line = StripPosition(path, &reason);
        if (p.line == 0 && !p.syntax)
          p.line = LineFromTraceback(path, traceback);
        p.message = std::move(reason);
        // A traceback through the migration's own code helps; one that is
        // only godwit's loader does not.
        if (!p.syntax && traceback.find(".lua:") != std::string::npos) {
          p.traceback = std::move(traceback);
        }
      }
      problems->push_back(std::move(p));
    };

    MigrationInfo info;
    info.id = ids[i];
    info.table = fs[i].table;
    info.path = path;
    info.sha256 = fs[i].sha256;
    LoadArgs args{this, i};
    sd.instructions = 0;
    sd.mem_limit_hit = false;
    lua_settop(L, 0);
    lua_pushcfunction(L, transform_internal::MessageHandler);
    lua_pushcfunction(L, LoadTrampoline);
    lua_pushlightuserdata(L, &args);
    stage = Stage::kSandbox;
    rc = lua_pcall(L, 1, 6, 1);
    if (rc != LUA_OK) {
      add_raised(rc);
    } else if (!lua_checkstack(L, 8)) {
      add(0, "Lua stack exhausted while loading");
    } else {
      // Results at 2..7.
      for (std::string& m : StringsAt(L, 2)) add(0, std::move(m));
      std::vector<std::string> unknown = StringsAt(L, 3);
      std::vector<std::pair<std::string, int>> named;
      for (size_t k = 0; k < unknown.size(); ++k) {
        lua_rawgeti(L, 4, static_cast<lua_Integer>(k + 1));
        named.emplace_back(std::move(unknown[k]),
                           static_cast<int>(lua_tointeger(L, -1)));
        lua_pop(L, 1);
      }
      std::sort(named.begin(), named.end());
      for (const auto& [name, line] : named) {
        add(line, transform_internal::UnknownFieldMessage(name, "a migration",
                                                          kMigrationFields));
      }
      std::vector<std::string> odd = StringsAt(L, 5);
      std::sort(odd.begin(), odd.end());
      for (const std::string& k : odd) {
        add(0, "the returned table has " + k +
                   "; its fields are named (description, key_schema, "
                   "indexes, prepare, up, down, validate)");
      }
      std::vector<std::string> msgs;
      for (int idx : {6, 7}) {
        if (lua_isnil(L, idx)) continue;
        const char* field = idx == 6 ? "key_schema" : "indexes";
        AttributeValue v;
        Status s = transform_internal::ToValue(L, idx, &v);
        if (!s.ok()) {
          std::string m(s.message());
          const std::string_view kStored = " value cannot be stored";
          size_t at = m.find(kStored);
          if (at != std::string::npos) {
            m.replace(at, kStored.size(), " is not allowed here");
          }
          bool nested = !m.empty() && (m[0] == '.' || m[0] == '[');
          msgs.push_back(field + std::string(nested ? "" : ": ") + m);
        } else if (idx == 6) {
          info.key_schema = transform_internal::ParseKeySchemaField(v, &msgs);
        } else {
          info.indexes = transform_internal::ParseIndexesField(v, &msgs);
        }
      }
      for (std::string& m : msgs) add(0, std::move(m));
    }
    lua_settop(L, 0);
    if (problems->size() == first) {
      sd.instructions = 0;
      sd.mem_limit_hit = false;
      lua_pushcfunction(L, transform_internal::MessageHandler);
      lua_pushcfunction(L, PrepareTrampoline);
      lua_pushlightuserdata(L, &args);
      rc = lua_pcall(L, 1, 0, 1);
      if (rc != LUA_OK) add_raised(rc);
      lua_settop(L, 0);
      if (rc == LUA_ERRMEM || sd.mem_limit_hit) {
        lua_gc(L, LUA_GCCOLLECT);
        sd.mem_limit_hit = false;
      }
    }
    if (problems->size() != first) {
      if (stop_at_first) break;
      continue;
    }
    if (migs[i].description != LUA_NOREF) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, migs[i].description);
      size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      info.description.assign(s, n);
      lua_pop(L, 1);
    }
    info.has_down = migs[i].down != LUA_NOREF;
    info.has_validate = migs[i].validate != LUA_NOREF;
    info.has_prepare = migs[i].prepare != LUA_NOREF;
    infos.push_back(std::move(info));
  }
  lua_settop(L, 0);
  sd.budget = o.instruction_budget;
  return Status::OK();
}

}  // namespace godwit
