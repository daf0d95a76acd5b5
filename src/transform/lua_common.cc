// Helpers shared by the Lua value types: metatable checks, operands as
// numbers, userdata constructors, the per-state data and table kinds.
#include <cstdio>
#include <new>

#include "transform/decimal.h"
#include "transform/lua_internal.h"

namespace godwit::transform_internal {

bool HasMetatable(lua_State* L, int idx, const void* key) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

bool IsNull(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kNullKey);
  bool same = lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return same;
}

void CopyError(const Status& s, char* err, size_t cap) {
  std::snprintf(err, cap, "%.*s", static_cast<int>(s.message().size()),
                s.message().data());
}

// A Lua number, decimal or numeric string as a Number. Never raises.
bool OperandToNumber(lua_State* L, int idx, Number* out, char* err,
                     size_t cap) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
      if (lua_isinteger(L, idx)) {
        *out = Number::FromInt64(lua_tointeger(L, idx));
        return true;
      }
      Result<Number> n = NumberFromDouble(lua_tonumber(L, idx));
      if (!n.ok()) {
        CopyError(n.status(), err, cap);
        return false;
      }
      *out = std::move(n).value();
      return true;
    }
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, idx, &len);
      Result<Number> n = Number::Parse(std::string_view(s, len));
      if (!n.ok()) {
        CopyError(n.status(), err, cap);
        return false;
      }
      *out = std::move(n).value();
      return true;
    }
    case LUA_TUSERDATA:
      if (Number* d = ToUd<Number>(L, idx, &kDecimalMt)) {
        *out = *d;
        return true;
      }
      break;
    default:
      break;
  }
  std::snprintf(err, cap, "expected a number or godwit.decimal, got a %s",
                lua_typename(L, lua_type(L, idx)));
  return false;
}

Number* NewDecimal(lua_State* L, const Number& n) {
  void* p = lua_newuserdatauv(L, sizeof(Number), 0);
  Number* num = new (p) Number(n);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kDecimalMt);
  lua_setmetatable(L, -2);
  return num;
}

BinaryUd* NewBinary(lua_State* L, std::string_view bytes) {
  void* p = lua_newuserdatauv(L, sizeof(BinaryUd), 0);
  BinaryUd* b = new (p) BinaryUd{std::string(bytes)};
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kBinaryMt);
  lua_setmetatable(L, -2);
  return b;
}

SetUd* NewSet(lua_State* L, AttrType type) {
  void* p = lua_newuserdatauv(L, sizeof(SetUd), 0);
  SetUd* s = new (p) SetUd();
  s->type = type;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kSetMt);
  lua_setmetatable(L, -2);
  return s;
}

void PushNumber(lua_State* L, const Number& n) {
  if (std::optional<int64_t> i = n.ToInt64()) {
    lua_pushinteger(L, *i);
    return;
  }
  if (std::optional<double> d = n.ToExactDouble()) {
    lua_pushnumber(L, *d);
    return;
  }
  NewDecimal(L, n);
}

namespace {

// Pushes tostring(v) with decimals as their text. Raises.
void PushAsString(lua_State* L, int idx) {
  if (Number* d = ToUd<Number>(L, idx, &kDecimalMt)) {
    lua_pushlstring(L, d->text().data(), d->text().size());
  } else {
    luaL_tolstring(L, idx, nullptr);
  }
}

}  // namespace

int ConcatWithToString(lua_State* L) {
  PushAsString(L, 1);
  PushAsString(L, 2);
  lua_concat(L, 2);
  return 1;
}

StateData* GetStateData(lua_State* L) {
  return *static_cast<StateData**>(lua_getextraspace(L));
}

void SetStateData(lua_State* L, StateData* data) {
  *static_cast<StateData**>(lua_getextraspace(L)) = data;
}

TableKind GetTableKind(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return TableKind::kPlain;
  TableKind kind = TableKind::kPlain;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kListMt);
  if (lua_rawequal(L, -1, -2)) kind = TableKind::kList;
  lua_pop(L, 1);
  if (kind == TableKind::kPlain) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kMapMt);
    if (lua_rawequal(L, -1, -2)) kind = TableKind::kMap;
    lua_pop(L, 1);
  }
  if (kind == TableKind::kPlain) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kItemMt);
    if (lua_rawequal(L, -1, -2)) kind = TableKind::kItemProxy;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return kind;
}

}  // namespace godwit::transform_internal
