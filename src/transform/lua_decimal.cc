// godwit.decimal: exact DynamoDB numbers in Lua (arithmetic in decimal.cc).
// Immutable userdata holding a Number; + - * / and comparisons with other
// decimals, Lua numbers and numeric strings.
#include <cstdlib>
#include <optional>

#include "transform/decimal.h"
#include "transform/lua_internal.h"

namespace godwit::transform_internal {
namespace {

enum class Arith { kAdd, kSub, kMul, kDiv };

bool ComputeArith(lua_State* L, Arith op, Number* out, char* err, size_t cap) {
  Number a, b;
  if (!OperandToNumber(L, 1, &a, err, cap)) return false;
  if (!OperandToNumber(L, 2, &b, err, cap)) return false;
  Result<Number> r = Status::Internal("unreachable");
  switch (op) {
    case Arith::kAdd:
      r = DecimalAdd(a, b);
      break;
    case Arith::kSub:
      r = DecimalSub(a, b);
      break;
    case Arith::kMul:
      r = DecimalMul(a, b);
      break;
    case Arith::kDiv:
      r = DecimalDiv(a, b);
      break;
  }
  if (!r.ok()) {
    CopyError(r.status(), err, cap);
    return false;
  }
  *out = std::move(r).value();
  return true;
}

template <Arith op>
int DecimalArith(lua_State* L) {
  char err[256];
  Number* result = NewDecimal(L, Number());
  if (!ComputeArith(L, op, result, err, sizeof(err))) {
    return luaL_error(L, "godwit.decimal: %s", err);
  }
  return 1;
}

int DecimalUnm(lua_State* L) {
  Number* a = static_cast<Number*>(lua_touserdata(L, 1));
  Number* result = NewDecimal(L, Number());
  *result = DecimalNeg(*a);
  return 1;
}

int DecimalUnsupported(lua_State* L) {
  return luaL_error(L,
                    "godwit.decimal supports + - * / and comparisons; for "
                    "// %% ^ convert with :tonumber() (inexact) first");
}

// -1, 0, 1; or 2 if not comparable (NaN). Never raises.
bool CompareOperands(lua_State* L, int* cmp, char* err, size_t cap) {
  if (lua_type(L, 1) == LUA_TNUMBER && !lua_isinteger(L, 1) &&
      lua_tonumber(L, 1) != lua_tonumber(L, 1)) {
    *cmp = 2;
    return true;
  }
  if (lua_type(L, 2) == LUA_TNUMBER && !lua_isinteger(L, 2) &&
      lua_tonumber(L, 2) != lua_tonumber(L, 2)) {
    *cmp = 2;
    return true;
  }
  Number a, b;
  if (!OperandToNumber(L, 1, &a, err, cap)) return false;
  if (!OperandToNumber(L, 2, &b, err, cap)) return false;
  *cmp = a.Compare(b);
  return true;
}

template <bool kOrEqual>
int DecimalLess(lua_State* L) {
  char err[256];
  int cmp = 0;
  if (!CompareOperands(L, &cmp, err, sizeof(err))) {
    return luaL_error(L, "godwit.decimal comparison: %s", err);
  }
  lua_pushboolean(L, cmp != 2 && (kOrEqual ? cmp <= 0 : cmp < 0));
  return 1;
}

int DecimalEq(lua_State* L) {
  Number* a = ToUd<Number>(L, 1, &kDecimalMt);
  Number* b = ToUd<Number>(L, 2, &kDecimalMt);
  lua_pushboolean(L, a != nullptr && b != nullptr && *a == *b);
  return 1;
}

int DecimalToString(lua_State* L) {
  Number* a = static_cast<Number*>(luaL_checkudata(L, 1, "godwit.decimal"));
  lua_pushlstring(L, a->text().data(), a->text().size());
  return 1;
}

int DecimalToNumber(lua_State* L) {
  Number* a = static_cast<Number*>(luaL_checkudata(L, 1, "godwit.decimal"));
  if (std::optional<int64_t> i = a->ToInt64()) {
    lua_pushinteger(L, *i);
  } else {
    lua_pushnumber(L, std::strtod(a->text().c_str(), nullptr));
  }
  return 1;
}

}  // namespace

// godwit.decimal(x): x a numeric string, a Lua number or a decimal.
int DecimalNew(lua_State* L) {
  char err[256];
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  Number* result = NewDecimal(L, Number());
  if (!OperandToNumber(L, 1, result, err, sizeof(err))) {
    return luaL_error(L, "godwit.decimal: %s", err);
  }
  return 1;
}

void RegisterDecimal(lua_State* L) {
  luaL_newmetatable(L, "godwit.decimal");
  const luaL_Reg decimal_meta[] = {{"__gc", GcUd<Number>},
                                   {"__add", DecimalArith<Arith::kAdd>},
                                   {"__sub", DecimalArith<Arith::kSub>},
                                   {"__mul", DecimalArith<Arith::kMul>},
                                   {"__div", DecimalArith<Arith::kDiv>},
                                   {"__unm", DecimalUnm},
                                   {"__idiv", DecimalUnsupported},
                                   {"__mod", DecimalUnsupported},
                                   {"__pow", DecimalUnsupported},
                                   {"__eq", DecimalEq},
                                   {"__lt", DecimalLess<false>},
                                   {"__le", DecimalLess<true>},
                                   {"__tostring", DecimalToString},
                                   {"__concat", ConcatWithToString},
                                   {nullptr, nullptr}};
  luaL_setfuncs(L, decimal_meta, 0);
  lua_newtable(L);
  lua_pushcfunction(L, DecimalToNumber);
  lua_setfield(L, -2, "tonumber");
  lua_pushcfunction(L, DecimalToString);
  lua_setfield(L, -2, "tostring");
  lua_setfield(L, -2, "__index");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kDecimalMt);
}

}  // namespace godwit::transform_internal
