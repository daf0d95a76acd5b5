// The godwit library's value helpers (godwit.null, godwit.list, godwit.map,
// godwit.type), pairs() in name order, and the registration of every type:
// RegisterTypes and PushGodwitBase.
#include <algorithm>
#include <cstring>

#include "transform/lua_internal.h"

namespace godwit::transform_internal {
namespace {

int NullToString(lua_State* L) {
  lua_pushliteral(L, "null");
  return 1;
}

int MarkTable(lua_State* L, const void* mt_key) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, mt_key);
  lua_setmetatable(L, 1);
  return 1;
}
int ListNew(lua_State* L) { return MarkTable(L, &kListMt); }
int MapNew(lua_State* L) { return MarkTable(L, &kMapMt); }

int TypeOf(lua_State* L) {
  luaL_checkany(L, 1);
  const char* name = nullptr;
  switch (lua_type(L, 1)) {
    case LUA_TSTRING:
      name = "S";
      break;
    case LUA_TNUMBER:
      name = "N";
      break;
    case LUA_TBOOLEAN:
      name = "BOOL";
      break;
    case LUA_TTABLE: {
      switch (GetTableKind(L, 1)) {
        case TableKind::kList:
          name = "L";
          break;
        case TableKind::kMap:
        case TableKind::kItemProxy:
          name = "M";
          break;
        case TableKind::kPlain:
          lua_pushnil(L);
          name = (lua_next(L, 1) && lua_type(L, -2) == LUA_TNUMBER) ? "L" : "M";
          break;
      }
      break;
    }
    case LUA_TUSERDATA:
      if (IsNull(L, 1))
        name = "NULL";
      else if (ToUd<Number>(L, 1, &kDecimalMt))
        name = "N";
      else if (ToUd<BinaryUd>(L, 1, &kBinaryMt))
        name = "B";
      else if (SetUd* s = ToUd<SetUd>(L, 1, &kSetMt))
        name = SetTypeName(s->type);
      break;
    default:
      break;
  }
  if (name == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushstring(L, name);
  }
  return 1;
}

// Sorted pairs: for maps and items, pairs() visits names in byte order, so
// code that builds strings or lists from pairs() is deterministic across
// Lua states (whose string hashes are seeded differently).

struct KeySpan {
  const char* p;
  size_t n;
  lua_Integer index;
};

int SortedNext(lua_State* L) {
  for (;;) {
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL) return 1;
    lua_pushvalue(L, -1);
    lua_rawget(L, lua_upvalueindex(2));
    if (!lua_isnil(L, -1)) return 2;
    lua_pop(L, 2);  // removed while iterating: skip
  }
}

}  // namespace

// pairs(t) for the table at 1 (already materialized).
int SortedPairsOf(lua_State* L) {
  lua_settop(L, 1);
  size_t n = 0;
  bool all_strings = true;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) all_strings = false;
    ++n;
    lua_pop(L, 1);
  }
  if (!all_strings) {  // a list or mixed: Lua's order
    lua_getglobal(L, "next");
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
  }
  lua_createtable(L, static_cast<int>(n), 0);  // 2: keys in next order
  auto* spans = static_cast<KeySpan*>(
      lua_newuserdatauv(L, sizeof(KeySpan) * (n == 0 ? 1 : n), 0));  // 3
  lua_Integer i = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 2, ++i);
    size_t len;
    const char* p = lua_tolstring(L, -1, &len);
    spans[i - 1] = KeySpan{p, len, i};
  }
  std::sort(spans, spans + n, [](const KeySpan& a, const KeySpan& b) {
    int c = std::memcmp(a.p, b.p, std::min(a.n, b.n));
    return c != 0 ? c < 0 : a.n < b.n;
  });
  lua_createtable(L, static_cast<int>(n), 0);  // 4: sorted keys
  for (size_t j = 0; j < n; ++j) {
    lua_rawgeti(L, 2, spans[j].index);
    lua_rawseti(L, 4, static_cast<lua_Integer>(j + 1));
  }
  lua_pushvalue(L, 4);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, SortedNext, 3);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

void RegisterTypes(lua_State* L) {
  RegisterDecimal(L);
  RegisterBinary(L);
  RegisterSet(L);

  // godwit.null
  lua_newuserdatauv(L, 0, 0);
  lua_newtable(L);
  lua_pushliteral(L, "godwit.null");
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, NullToString);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "godwit.null is read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kNullKey);

  // List and map metatables.
  lua_newtable(L);
  lua_pushliteral(L, "godwit.list");
  lua_setfield(L, -2, "__name");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kListMt);

  lua_newtable(L);
  lua_pushliteral(L, "godwit.map");
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, SortedPairsOf);
  lua_setfield(L, -2, "__pairs");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kMapMt);

  RegisterItemProxy(L);
  RegisterReadJson(L);
}

void PushGodwitBase(lua_State* L) {
  const luaL_Reg fns[] = {{"decimal", DecimalNew},
                          {"binary", BinaryNew},
                          {"set", SetNew},
                          {"string_set", StringSetNew},
                          {"number_set", NumberSetNew},
                          {"binary_set", BinarySetNew},
                          {"list", ListNew},
                          {"map", MapNew},
                          {"type", TypeOf},
                          {nullptr, nullptr}};
  luaL_newlib(L, fns);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kNullKey);
  lua_setfield(L, -2, "null");
}

}  // namespace godwit::transform_internal
