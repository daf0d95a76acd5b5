// The sandbox: see sandbox.h.
#include "transform/sandbox.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "transform/lua_types.h"

namespace godwit::transform_internal {
namespace {

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

}  // namespace

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

lua_State* NewSandboxState(StateData* data) {
  lua_State* L = lua_newstate(LimitedAlloc, data);
  if (L == nullptr) return nullptr;
  SetStateData(L, data);
  lua_sethook(L, CountHook, LUA_MASKCOUNT, kHookEvery);
  return L;
}

int OpenSandbox(lua_State* L) {
  lua_settop(L, 0);
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  lua_settop(L, 0);
  RegisterTypes(L);
  if (luaL_loadbufferx(L, kBootstrap, sizeof(kBootstrap) - 1, "=godwit", "t") !=
      LUA_OK) {
    return lua_error(L);
  }
  lua_pushglobaltable(L);
  lua_pushcfunction(L, MakeForbidden);
  lua_getglobal(L, "load");
  lua_call(L, 3, 1);
  return 1;
}

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

}  // namespace godwit::transform_internal
