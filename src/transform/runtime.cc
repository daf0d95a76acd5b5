// The Lua runtime: one sandboxed lua_State per worker, the migrations loaded
// into it, and the per-item calls of up/down/validate.
//
// Every entry into Lua is a lua_pcall of a C function ("trampoline") that
// holds no C++ object with a destructor; conversions from Lua back to C++
// happen after the pcall with API calls that cannot raise. So a Lua error
// never longjmps over a C++ destructor.
//
// Sandbox. A migration's chunk runs with its own _ENV built by the bootstrap
// chunk below: the safe parts of the base library, copies of string, table,
// math, utf8 and coroutine, `load` restricted to text chunks, and `godwit`.
// There is no io, os (but for os.time/os.clock/os.date, which raise),
// require, dofile, loadfile, collectgarbage or debug. math.random and
// math.randomseed raise a determinism error. A count hook fails a call after
// TransformOptions::instruction_budget VM instructions, and the allocator
// refuses memory past memory_limit_bytes.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <lua.hpp>

#include "godwit/transform.h"
#include "transform/lua_types.h"

namespace godwit {

using transform_internal::GetStateData;
using transform_internal::StateData;

namespace {

constexpr int kHookEvery = 1000;

// The sandbox: given the real globals, a maker of forbidden functions and
// the real `load`, returns make_env(godwit, print) -> a fresh _ENV.
constexpr char kBootstrap[] = R"lua(
local G, forbidden, real_load = ...
local pairs, ipairs = G.pairs, G.ipairs
local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end
-- Hide the shared string metatable, so one migration cannot change another's
-- string methods through getmetatable("").
G.getmetatable("").__metatable = false
local safe = {"assert", "error", "ipairs", "next", "pairs", "pcall", "select",
  "tonumber", "tostring", "type", "xpcall", "rawequal", "rawget", "rawlen",
  "rawset", "setmetatable", "getmetatable"}
return function(godwit, print_fn)
  local env = {}
  for _, k in ipairs(safe) do env[k] = G[k] end
  env._VERSION = G._VERSION
  env.string = copy(G.string)
  env.string.dump = nil
  env.table = copy(G.table)
  env.utf8 = copy(G.utf8)
  env.coroutine = copy(G.coroutine)
  env.math = copy(G.math)
  env.math.random = forbidden("math.random")
  env.math.randomseed = forbidden("math.randomseed")
  env.os = {time = forbidden("os.time"), clock = forbidden("os.clock"),
            date = forbidden("os.date")}
  env.print = print_fn
  env.godwit = godwit
  env._G = env
  env.load = function(chunk, name, mode, e)
    if mode ~= nil and mode ~= "t" then
      error("load: a migration may load only text chunks (mode \"t\")", 2)
    end
    return real_load(chunk, name, "t", e or env)
  end
  return env
end
)lua";

void* LimitedAlloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* sd = static_cast<StateData*>(ud);
  size_t old = ptr != nullptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    sd->mem_used -= old;
    return nullptr;
  }
  if (nsize > old && sd->mem_used - old + nsize > sd->mem_limit) {
    sd->mem_limit_hit = true;
    return nullptr;
  }
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) return nullptr;
  sd->mem_used = sd->mem_used - old + nsize;
  return p;
}

void CountHook(lua_State* L, lua_Debug*) {
  StateData* sd = GetStateData(L);
  sd->instructions += kHookEvery;
  if (sd->instructions > sd->budget) {
    sd->budget_hit = true;
    luaL_error(L,
               "instruction budget of %I instructions exceeded (an endless "
               "loop?); raise --instruction-budget if the work is real",
               static_cast<lua_Integer>(sd->budget));
  }
}

int Forbidden(lua_State* L) {
  StateData* sd = GetStateData(L);
  const char* name = lua_tostring(L, lua_upvalueindex(1));
  if (sd->violation[0] == '\0') {
    std::snprintf(sd->violation, sizeof(sd->violation), "%s", name);
  }
  return luaL_error(
      L,
      "%s is not allowed in a migration: up must be deterministic (godwit "
      "runs it again during replay and verify and must get the same "
      "result). Use ctx.now for the run's fixed clock, and derive anything "
      "random from the item itself",
      name);
}

int MakeForbidden(lua_State* L) {
  luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_pushcclosure(L, Forbidden, 1);
  return 1;
}

// print(...) and ctx.log(...): tab-separated tostring of the arguments,
// prefixed with "[<migration id>] ".
int Print(lua_State* L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushvalue(L, lua_upvalueindex(1));
  luaL_addvalue(&b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  StateData* sd = GetStateData(L);
  if (sd->log != nullptr && *sd->log) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    (*sd->log)(std::string_view(s, len));
  }
  return 0;
}

int MessageHandler(lua_State* L) {
  const char* msg = lua_tostring(L, 1);
  if (msg == nullptr) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      msg = lua_tostring(L, -1);
    } else {
      msg = lua_pushfstring(L, "(error object is a %s value)",
                            luaL_typename(L, 1));
    }
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

std::string IsoTime(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec,
                static_cast<int>((micros % 1000000) / 1000));
  return buf;
}

// Splits "message\nstack traceback:\n..." into its two parts.
void SplitTraceback(std::string_view s, std::string* reason,
                    std::string* traceback) {
  size_t pos = s.find("\nstack traceback:");
  if (pos == std::string_view::npos) {
    reason->assign(s);
    traceback->clear();
  } else {
    reason->assign(s.substr(0, pos));
    traceback->assign(s.substr(pos + 1));
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// The worker's state.

struct TransformWorker::Impl {
  struct Mig {
    int up = LUA_NOREF, down = LUA_NOREF, validate = LUA_NOREF;
    int ctx = LUA_NOREF;
    int description = LUA_NOREF, key_hash = LUA_NOREF, key_range = LUA_NOREF;
    bool has_prepare = false;
  };

  std::shared_ptr<const Transform> transform;
  StateData sd;  // must outlive L
  lua_State* L = nullptr;
  std::vector<Mig> migs;
  std::vector<MigrationInfo> infos;
  std::vector<std::string> chunk_names;  // "@path"
  std::vector<std::string> ids;
  std::vector<std::string> dirs;  // each file's folder
  std::string root;               // the migrations folder
  std::string now_iso;
  int setup_current = -1;
  int make_env_ref = LUA_NOREF;
  int godwit_base_ref = LUA_NOREF;

  ~Impl() {
    if (L != nullptr) lua_close(L);
  }

  const TransformOptions& opts() const { return transform->options(); }

  // The outcome of one protected call.
  struct CallError {
    std::string reason;
    std::string traceback;
  };

  Status Setup();
  // Runs fn_ref(item, ctx) with `item` shown per the view mode. On success
  // the `nresults` results are on the stack above `*base`.
  bool Call(int fn_ref, int ctx_ref, Item* item, int nresults, int* base,
            CallError* err);
  void EndCall(int base);

  // One migration's up (or down) on one item.
  bool Step(size_t m, bool down, Item item, std::vector<Item>* out,
            CallError* err);
  // validate(item): true, or false and the reason.
  bool RunValidate(size_t m, const Item& item, std::string* reason,
                   std::string* traceback);
  ItemOutcome Run(Item item, bool down);
};

namespace {

struct SetupArgs {
  TransformWorker::Impl* impl;
};

int SetupTrampoline(lua_State* L) {
  auto* impl = static_cast<TransformWorker::Impl*>(
      static_cast<SetupArgs*>(lua_touserdata(L, 1))->impl);
  lua_settop(L, 0);
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  lua_settop(L, 0);
  transform_internal::RegisterTypes(L);

  if (luaL_loadbufferx(L, kBootstrap, sizeof(kBootstrap) - 1, "=godwit", "t") !=
      LUA_OK) {
    return lua_error(L);
  }
  lua_pushglobaltable(L);
  lua_pushcfunction(L, MakeForbidden);
  lua_getglobal(L, "load");
  lua_call(L, 3, 1);
  impl->make_env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  transform_internal::PushGodwitBase(L);
  impl->godwit_base_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  const auto& files = impl->transform->files();
  const TransformOptions& opts = impl->opts();
  for (size_t i = 0; i < files.size(); ++i) {
    impl->setup_current = static_cast<int>(i);
    impl->sd.instructions = 0;
    TransformWorker::Impl::Mig& mig = impl->migs[i];
    lua_settop(L, 0);
    // godwit table for this migration: the base plus read_json.
    lua_newtable(L);  // 1
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
    // print / ctx.log
    lua_pushfstring(L, "[%s] ", impl->ids[i].c_str());
    lua_pushcclosure(L, Print, 1);  // 2
    // env = make_env(godwit, print)
    lua_rawgeti(L, LUA_REGISTRYINDEX, impl->make_env_ref);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);  // 3: env
    // The chunk.
    const std::string& src = files[i].source;
    if (luaL_loadbufferx(L, src.data(), src.size(),
                         impl->chunk_names[i].c_str(), "t") != LUA_OK) {
      lua_pushfstring(L, "syntax error in %s", lua_tostring(L, -1));
      return lua_error(L);
    }
    lua_pushvalue(L, 3);
    lua_setupvalue(L, -2, 1);  // _ENV
    lua_call(L, 0, 1);         // 4: the module
    if (lua_type(L, 4) != LUA_TTABLE) {
      return luaL_error(L,
                        "the file must return a table "
                        "{ up = function(item, ctx) ... end, ... }, but it "
                        "returned %s",
                        luaL_typename(L, 4));
    }
    struct Field {
      const char* name;
      int* ref;
      bool required;
    };
    const Field fns[] = {{"up", &mig.up, true},
                         {"down", &mig.down, false},
                         {"validate", &mig.validate, false}};
    for (const Field& f : fns) {
      int t = lua_getfield(L, 4, f.name);
      if (t == LUA_TNIL && !f.required) {
        lua_pop(L, 1);
        continue;
      }
      if (t != LUA_TFUNCTION) {
        if (t == LUA_TNIL) {
          return luaL_error(L,
                            "the returned table has no `%s` function (write "
                            "%s = function(item, ctx) ... return item end)",
                            f.name, f.name);
        }
        return luaL_error(L, "`%s` must be a function, got a %s", f.name,
                          luaL_typename(L, -1));
      }
      *f.ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    int t = lua_getfield(L, 4, "description");
    if (t == LUA_TSTRING) {
      mig.description = luaL_ref(L, LUA_REGISTRYINDEX);
    } else if (t != LUA_TNIL) {
      return luaL_error(L, "`description` must be a string, got a %s",
                        luaL_typename(L, -1));
    } else {
      lua_pop(L, 1);
    }
    t = lua_getfield(L, 4, "key_schema");
    if (t == LUA_TTABLE) {
      if (lua_getfield(L, -1, "hash") != LUA_TSTRING) {
        return luaL_error(L,
                          "key_schema.hash must be an attribute name such as "
                          "\"pk\" or \"pk:S\"");
      }
      mig.key_hash = luaL_ref(L, LUA_REGISTRYINDEX);
      int rt = lua_getfield(L, -1, "range");
      if (rt == LUA_TSTRING) {
        mig.key_range = luaL_ref(L, LUA_REGISTRYINDEX);
      } else if (rt != LUA_TNIL) {
        return luaL_error(L,
                          "key_schema.range must be a string such as \"sk\"");
      } else {
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    } else if (t != LUA_TNIL) {
      return luaL_error(L,
                        "key_schema must be a table { hash = \"pk\", range = "
                        "\"sk\" }, got a %s",
                        luaL_typename(L, -1));
    } else {
      lua_pop(L, 1);
    }
    // ctx
    lua_createtable(L, 0, 8);  // 5
    lua_pushstring(L, impl->ids[i].c_str());
    lua_setfield(L, 5, "migration");
    lua_pushstring(L, files[i].table.c_str());
    lua_setfield(L, 5, "table");
    lua_pushstring(L, opts.run_id.c_str());
    lua_setfield(L, 5, "run_id");
    lua_pushinteger(L, opts.now_micros / 1000000);
    lua_setfield(L, 5, "now");
    lua_pushinteger(L, opts.now_micros);
    lua_setfield(L, 5, "now_micros");
    lua_pushstring(L, impl->now_iso.c_str());
    lua_setfield(L, 5, "now_iso");
    lua_pushvalue(L, 2);
    lua_setfield(L, 5, "log");
    t = lua_getfield(L, 4, "prepare");
    if (t == LUA_TFUNCTION) {
      mig.has_prepare = true;
      lua_pushvalue(L, 5);
      lua_call(L, 1, 1);
      lua_setfield(L, 5, "data");
    } else if (t != LUA_TNIL) {
      return luaL_error(L, "`prepare` must be a function, got a %s",
                        luaL_typename(L, -1));
    } else {
      lua_pop(L, 1);
    }
    lua_pushvalue(L, 5);
    mig.ctx = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  impl->setup_current = -1;
  lua_settop(L, 0);
  return 0;
}

struct CallArgs {
  int fn_ref;
  int ctx_ref;
  Item* item;
  bool lazy;
  int nresults;
};

int CallTrampoline(lua_State* L) {
  auto* a = static_cast<CallArgs*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->fn_ref);
  if (a->lazy) {
    transform_internal::PushItemProxy(L, GetStateData(L), a->item);
  } else {
    transform_internal::PushItemFull(L, *a->item);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->ctx_ref);
  lua_call(L, 2, a->nresults);
  return a->nresults;
}

// A string from a registry ref, or "".
std::string RefString(lua_State* L, int ref) {
  if (ref == LUA_NOREF) return "";
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  std::string s;
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t n;
    const char* p = lua_tolstring(L, -1, &n);
    s.assign(p, n);
  }
  lua_pop(L, 1);
  return s;
}

Result<KeyAttribute> ParseKeyName(const std::string& spec) {
  if (spec.find(':') == std::string::npos) {
    if (spec.empty()) return Status::InvalidArgument("empty key name");
    return KeyAttribute{spec, AttrType::kS};
  }
  return KeySchema::ParseAttribute(spec);
}

}  // namespace

Status TransformWorker::Impl::Setup() {
  const auto& files = transform->files();
  sd.mem_limit = opts().memory_limit_bytes;
  sd.budget = opts().instruction_budget * 10;  // loading and prepare
  sd.log = &opts().log;
  L = lua_newstate(LimitedAlloc, &sd);
  if (L == nullptr) {
    return Status::ResourceExhausted(
        "cannot create a Lua state (memory limit)");
  }
  transform_internal::SetStateData(L, &sd);
  lua_sethook(L, CountHook, LUA_MASKCOUNT, kHookEvery);
  migs.assign(files.size(), Mig{});
  std::filesystem::path root_path;
  for (const MigrationFile& f : files) {
    chunk_names.push_back("@" + f.path);
    ids.push_back(f.id());
    std::filesystem::path dir = std::filesystem::path(f.path).parent_path();
    dirs.push_back(dir.empty() ? "." : dir.string());
    if (root_path.empty()) {
      root_path = dir.parent_path();
      if (root_path.empty()) root_path = ".";
    }
  }
  root = root_path.string();
  now_iso = IsoTime(opts().now_micros);

  SetupArgs args{this};
  lua_pushcfunction(L, MessageHandler);
  lua_pushcfunction(L, SetupTrampoline);
  lua_pushlightuserdata(L, &args);
  int rc = lua_pcall(L, 1, 0, 1);
  if (rc != LUA_OK) {
    std::string reason, traceback;
    if (rc == LUA_ERRMEM || sd.mem_limit_hit) {
      reason = "memory limit of " +
               std::to_string(opts().memory_limit_bytes >> 20) +
               " MiB exceeded while loading";
    } else {
      size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      SplitTraceback(std::string_view(s ? s : "?", s ? n : 1), &reason,
                     &traceback);
    }
    std::string where = setup_current >= 0 ? files[setup_current].path
                                           : std::string("godwit bootstrap");
    if (reason.rfind("syntax error", 0) == 0) {
      return Status::InvalidArgument(reason);
    }
    std::string msg = where + ": " + reason;
    if (traceback.find(".lua:") != std::string::npos) msg += "\n" + traceback;
    return Status::InvalidArgument(msg);
  }
  lua_settop(L, 0);
  sd.budget = opts().instruction_budget;

  for (size_t i = 0; i < files.size(); ++i) {
    MigrationInfo info;
    info.id = ids[i];
    info.table = files[i].table;
    info.path = files[i].path;
    info.sha256 = files[i].sha256;
    info.description = RefString(L, migs[i].description);
    info.has_down = migs[i].down != LUA_NOREF;
    info.has_validate = migs[i].validate != LUA_NOREF;
    info.has_prepare = migs[i].has_prepare;
    if (migs[i].key_hash != LUA_NOREF) {
      KeySchema ks;
      Result<KeyAttribute> h = ParseKeyName(RefString(L, migs[i].key_hash));
      if (!h.ok()) {
        return Status::InvalidArgument(files[i].path + ": key_schema.hash: " +
                                       std::string(h.status().message()));
      }
      ks.hash = *h;
      if (migs[i].key_range != LUA_NOREF) {
        Result<KeyAttribute> r = ParseKeyName(RefString(L, migs[i].key_range));
        if (!r.ok()) {
          return Status::InvalidArgument(
              files[i].path +
              ": key_schema.range: " + std::string(r.status().message()));
        }
        ks.range = *r;
      }
      info.key_schema = ks;
    }
    infos.push_back(std::move(info));
  }
  return Status::OK();
}

bool TransformWorker::Impl::Call(int fn_ref, int ctx_ref, Item* item,
                                 int nresults, int* base, CallError* err) {
  lua_settop(L, 0);
  *base = 0;
  sd.instructions = 0;
  sd.budget_hit = false;
  sd.mem_limit_hit = false;
  bool lazy = opts().view == ItemViewMode::kLazy;
  if (lazy) sd.touched.assign(item->size(), 0);
  CallArgs args{fn_ref, ctx_ref, item, lazy, nresults};
  if (!lua_checkstack(L, 8)) {
    err->reason = "Lua stack exhausted";
    return false;
  }
  lua_pushcfunction(L, MessageHandler);
  lua_pushcfunction(L, CallTrampoline);
  lua_pushlightuserdata(L, &args);
  int rc = lua_pcall(L, 1, nresults, 1);
  *base = 1;
  if (rc == LUA_OK) return true;
  if (rc == LUA_ERRMEM || sd.mem_limit_hit) {
    err->reason = "memory limit of " +
                  std::to_string(opts().memory_limit_bytes >> 20) +
                  " MiB per Lua state exceeded";
    err->traceback.clear();
  } else {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    if (s == nullptr) {
      err->reason = "error object is not a string";
    } else {
      SplitTraceback(std::string_view(s, n), &err->reason, &err->traceback);
    }
  }
  EndCall(0);
  if (rc == LUA_ERRMEM || sd.mem_limit_hit) lua_gc(L, LUA_GCCOLLECT);
  return false;
}

void TransformWorker::Impl::EndCall(int base) {
  lua_settop(L, base > 0 ? base - 1 : 0);
  sd.proxy_id = nullptr;
  sd.proxy_native = nullptr;
}

namespace {

// Collects what up returned (the value at `idx`). Never raises.
Status CollectReturned(lua_State* L, int idx, std::vector<Item>* out) {
  int t = lua_type(L, idx);
  if (t == LUA_TNIL) return Status::OK();  // dropped
  if (t != LUA_TTABLE) {
    return Status::InvalidArgument(
        std::string("returned a ") + luaL_typename(L, idx) +
        "; expected an item (a table), a list of items, or nil to drop it");
  }
  bool is_list = false;
  switch (transform_internal::GetTableKind(L, idx)) {
    case transform_internal::TableKind::kList:
      is_list = true;
      break;
    case transform_internal::TableKind::kPlain: {
      lua_pushnil(L);
      if (!lua_next(L, idx)) {
        return Status::InvalidArgument(
            "returned an empty table; return nil to drop the item, or "
            "godwit.list{} for no items");
      }
      is_list = lua_type(L, -2) == LUA_TNUMBER;
      lua_pop(L, 2);
      break;
    }
    default:
      break;
  }
  if (!is_list) {
    Item item;
    Status s = transform_internal::ToItem(L, idx, /*move_native=*/true, &item);
    if (!s.ok())
      return Status::InvalidArgument(
          "returned an item that "
          "cannot be stored: " +
          std::string(s.message()));
    out->push_back(std::move(item));
    return Status::OK();
  }
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    ++count;
  }
  if (count != n) {
    return Status::InvalidArgument(
        "returned a list of items with holes or non-integer keys");
  }
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    Item item;
    Status s = transform_internal::ToItem(L, -1, /*move_native=*/false, &item);
    lua_pop(L, 1);
    if (!s.ok()) {
      return Status::InvalidArgument(
          "returned a list whose item " + std::to_string(i) +
          " cannot be stored: " + std::string(s.message()));
    }
    out->push_back(std::move(item));
  }
  return Status::OK();
}

}  // namespace

bool TransformWorker::Impl::Step(size_t m, bool down, Item item,
                                 std::vector<Item>* out, CallError* err) {
  const Mig& mig = migs[m];
  int fn = down ? mig.down : mig.up;
  if (fn == LUA_NOREF) {
    err->reason = "has no `down` function, so it cannot be rolled back";
    err->traceback.clear();
    return false;
  }
  int base = 0;
  if (!Call(fn, mig.ctx, &item, 1, &base, err)) return false;
  Status s = CollectReturned(L, lua_gettop(L), out);
  EndCall(base);
  if (!s.ok()) {
    err->reason =
        std::string(down ? "down " : "up ") + std::string(s.message());
    err->traceback.clear();
    return false;
  }
  return true;
}

bool TransformWorker::Impl::RunValidate(size_t m, const Item& item,
                                        std::string* reason,
                                        std::string* traceback) {
  // validate reads a copy, so that assignments in validate cannot leak.
  Item copy = item;
  int base = 0;
  CallError err;
  if (!Call(migs[m].validate, migs[m].ctx, &copy, 2, &base, &err)) {
    *reason = "validate raised an error: " + err.reason;
    *traceback = err.traceback;
    return false;
  }
  int top = lua_gettop(L);
  bool ok = lua_toboolean(L, top - 1);
  if (!ok) {
    if (lua_type(L, top) == LUA_TSTRING) {
      size_t n;
      const char* s = lua_tolstring(L, top, &n);
      reason->assign(s, n);
    } else if (lua_isnil(L, top - 1)) {
      *reason =
          "validate returned nil; it must return true, or false and a "
          "reason";
    } else {
      *reason = "validate returned false";
    }
    traceback->clear();
  }
  EndCall(base);
  return ok;
}

ItemOutcome TransformWorker::Impl::Run(Item item, bool down) {
  ItemOutcome outcome;
  const KeySchema& src_schema = opts().source_key_schema;
  // The source key, for messages.
  Item key_item;
  if (!src_schema.hash.name.empty()) {
    if (const AttributeValue* v = item.Find(src_schema.hash.name)) {
      key_item.Set(src_schema.hash.name, *v);
    }
    if (src_schema.range) {
      if (const AttributeValue* v = item.Find(src_schema.range->name)) {
        key_item.Set(src_schema.range->name, *v);
      }
    }
  }
  auto key_text = [&]() {
    return key_item.empty() ? DescribeItemKey(item, src_schema)
                            : DescribeItemKey(key_item, src_schema);
  };
  const size_t n = migs.size();
  std::vector<Item> current;
  current.push_back(std::move(item));
  for (size_t step = 0; step < n; ++step) {
    size_t m = down ? n - 1 - step : step;
    std::vector<Item> next;
    for (Item& it : current) {
      CallError err;
      if (!Step(m, down, std::move(it), &next, &err)) {
        outcome.kind = ItemOutcome::Kind::kFailed;
        outcome.migration = ids[m];
        outcome.reason = std::string(down ? "down" : "up") + " failed for " +
                         key_text() + ": " + err.reason;
        outcome.traceback = std::move(err.traceback);
        return outcome;
      }
    }
    if (!down && migs[m].validate != LUA_NOREF) {
      for (const Item& out : next) {
        std::string reason, traceback;
        if (!RunValidate(m, out, &reason, &traceback)) {
          outcome.kind = ItemOutcome::Kind::kInvalid;
          outcome.migration = ids[m];
          outcome.reason =
              "validate rejected the result for " + key_text() + ": " + reason;
          outcome.traceback = std::move(traceback);
          return outcome;
        }
      }
    }
    current = std::move(next);
    if (current.empty()) {
      outcome.kind = ItemOutcome::Kind::kDropped;
      outcome.migration = ids[m];
      return outcome;
    }
  }
  KeySchema schema = down ? src_schema : transform->destination_key_schema();
  const KeySchema* check = schema.hash.name.empty() ? nullptr : &schema;
  for (const Item& out : current) {
    Status s = ValidateItem(out, check);
    if (!s.ok()) {
      outcome.kind = ItemOutcome::Kind::kInvalid;
      outcome.migration = ids[down ? 0 : n - 1];
      outcome.reason =
          "the result for " + key_text() +
          " is not a valid DynamoDB item: " + std::string(s.message());
      return outcome;
    }
  }
  outcome.kind = ItemOutcome::Kind::kOk;
  outcome.items = std::move(current);
  return outcome;
}

// ---------------------------------------------------------------------------
// Transform

Result<std::shared_ptr<const Transform>> Transform::Create(
    std::vector<MigrationFile> migrations, TransformOptions options) {
  if (migrations.empty()) {
    return Status::InvalidArgument("no migrations to compose");
  }
  for (size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].number <= migrations[i - 1].number) {
      return Status::InvalidArgument(
          "migrations must be sorted by number: " + migrations[i - 1].path +
          " then " + migrations[i].path);
    }
    if (migrations[i].table != migrations[0].table) {
      return Status::InvalidArgument(
          "migrations of two tables: " + migrations[0].path + " and " +
          migrations[i].path);
    }
  }
  if (options.now_micros == 0) {
    options.now_micros =
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
  }
  std::shared_ptr<Transform> t(new Transform());
  t->files_ = std::move(migrations);
  t->options_ = std::move(options);
  t->self_ = t;
  ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w, t->NewWorker());
  t->infos_ = w->impl_->infos;
  return std::shared_ptr<const Transform>(std::move(t));
}

KeySchema Transform::destination_key_schema() const {
  for (auto it = infos_.rbegin(); it != infos_.rend(); ++it) {
    if (it->key_schema) return *it->key_schema;
  }
  return options_.source_key_schema;
}

Result<std::unique_ptr<TransformWorker>> Transform::NewWorker() const {
  auto impl = std::make_unique<TransformWorker::Impl>();
  impl->transform = self_.lock();
  if (!impl->transform) return Status::Internal("Transform not owned");
  RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<TransformWorker>(new TransformWorker(std::move(impl)));
}

// ---------------------------------------------------------------------------
// TransformWorker

TransformWorker::TransformWorker(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
TransformWorker::~TransformWorker() = default;

ItemOutcome TransformWorker::Up(Item item) {
  return impl_->Run(std::move(item), /*down=*/false);
}

ItemOutcome TransformWorker::Down(Item item) {
  return impl_->Run(std::move(item), /*down=*/true);
}

size_t TransformWorker::memory_in_use() const { return impl_->sd.mem_used; }

Status TransformWorker::CheckDeterminism(const std::vector<Item>& sample) {
  Impl& im = *impl_;
  const KeySchema& schema = im.opts().source_key_schema;
  for (const Item& source : sample) {
    std::vector<Item> current{source};
    for (size_t m = 0; m < im.migs.size() && !current.empty(); ++m) {
      std::vector<Item> next_a, next_b;
      for (const Item& it : current) {
        im.sd.violation[0] = '\0';
        Impl::CallError err_a, err_b;
        bool ok_a = im.Step(m, false, it, &next_a, &err_a);
        bool ok_b = im.Step(m, false, it, &next_b, &err_b);
        if (im.sd.violation[0] != '\0') {
          return Status::FailedPrecondition(
              "migration " + im.transform->files()[m].path +
              " is not deterministic: it calls " + im.sd.violation +
              " (on item " + DescribeItemKey(source, schema) +
              "). up must return the same result for the same item, because "
              "godwit runs it again during replay and verify; use ctx.now "
              "for the run's clock and derive anything random from the item");
        }
        if (ok_a != ok_b || (!ok_a && err_a.reason != err_b.reason)) {
          return Status::FailedPrecondition(
              "migration " + im.transform->files()[m].path +
              " is not deterministic: item " + DescribeItemKey(source, schema) +
              " failed on one run and not on the other (" +
              (ok_a ? err_b.reason : err_a.reason) + ")");
        }
        if (!ok_a) {
          next_a.clear();
          current.clear();
          break;  // a deterministic failure: Up reports it
        }
      }
      if (next_a != next_b) {
        std::string a, b;
        for (const Item& x : next_a) a += DebugString(x) + " ";
        for (const Item& x : next_b) b += DebugString(x) + " ";
        if (a.size() > 600) a = a.substr(0, 600) + "...";
        if (b.size() > 600) b = b.substr(0, 600) + "...";
        return Status::FailedPrecondition(
            "migration " + im.transform->files()[m].path +
            " is not deterministic: two runs of up on item " +
            DescribeItemKey(source, schema) + " gave different results:\n  " +
            a + "\n  " + b +
            "\n(state kept between items, pairs() order over plain tables, "
            "or tostring of a table?)");
      }
      current = std::move(next_a);
    }
  }
  return Status::OK();
}

}  // namespace godwit
