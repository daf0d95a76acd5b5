// The Lua view of DynamoDB values: userdata types, conversions both ways,
// and the lazy item proxy. See lua_types.h for the mapping.
//
// Registry layout (light-userdata keys, so a lookup never allocates):
//   &kDecimalMt  metatable of godwit.decimal   userdata: Number
//   &kBinaryMt   metatable of godwit.binary    userdata: BinaryUd
//   &kSetMt      metatable of godwit.set       userdata: SetUd
//   &kNullKey    the godwit.null sentinel      userdata: 0 bytes
//   &kListMt     {__name = "godwit.list"}
//   &kMapMt      {__name = "godwit.map", __pairs = sorted pairs}
//   &kItemMt     the item proxy's metatable
#include "transform/lua_types.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include "transform/decimal.h"

namespace godwit::transform_internal {
namespace {

char kDecimalMt, kBinaryMt, kSetMt, kNullKey, kListMt, kMapMt, kItemMt,
    kJsonHolderMt;

struct BinaryUd {
  std::string bytes;
};

struct SetUd {
  AttrType type = AttrType::kSS;
  std::vector<std::string> strs;  // SS, BS: sorted bytewise, unique
  std::vector<Number> nums;       // NS: sorted numerically, unique
  size_t size() const {
    return type == AttrType::kNS ? nums.size() : strs.size();
  }
};

// ---------------------------------------------------------------------------
// Small helpers that never raise.

bool HasMetatable(lua_State* L, int idx, const void* key) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

template <typename T>
T* ToUd(lua_State* L, int idx, const void* key) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return nullptr;
  if (!HasMetatable(L, idx, key)) return nullptr;
  return static_cast<T*>(lua_touserdata(L, idx));
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

// ---------------------------------------------------------------------------
// Constructors of userdata (raise on memory errors only).

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

template <typename T>
int GcUd(lua_State* L) {
  static_cast<T*>(lua_touserdata(L, 1))->~T();
  return 0;
}

// ---------------------------------------------------------------------------
// godwit.decimal

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

// Pushes tostring(v) with decimals as their text. Raises.
void PushAsString(lua_State* L, int idx) {
  if (Number* d = ToUd<Number>(L, idx, &kDecimalMt)) {
    lua_pushlstring(L, d->text().data(), d->text().size());
  } else {
    luaL_tolstring(L, idx, nullptr);
  }
}

int ConcatWithToString(lua_State* L) {
  PushAsString(L, 1);
  PushAsString(L, 2);
  lua_concat(L, 2);
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

// ---------------------------------------------------------------------------
// godwit.binary

void AddBase64(luaL_Buffer* b, const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];
    for (int k = 3; k >= 0; --k)
      luaL_addchar(b, kAlphabet[(v >> (6 * k)) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = s[i] << 16;
    if (rest == 2) v |= s[i + 1] << 8;
    luaL_addchar(b, kAlphabet[(v >> 18) & 63]);
    luaL_addchar(b, kAlphabet[(v >> 12) & 63]);
    luaL_addchar(b, rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    luaL_addchar(b, '=');
  }
}

int BinaryBase64(lua_State* L) {
  auto* b = static_cast<BinaryUd*>(luaL_checkudata(L, 1, "godwit.binary"));
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  AddBase64(&buf, b->bytes);
  luaL_pushresult(&buf);
  return 1;
}

int BinaryBytes(lua_State* L) {
  auto* b = static_cast<BinaryUd*>(luaL_checkudata(L, 1, "godwit.binary"));
  lua_pushlstring(L, b->bytes.data(), b->bytes.size());
  return 1;
}

int BinaryLen(lua_State* L) {
  auto* b = static_cast<BinaryUd*>(luaL_checkudata(L, 1, "godwit.binary"));
  lua_pushinteger(L, static_cast<lua_Integer>(b->bytes.size()));
  return 1;
}

int BinaryEq(lua_State* L) {
  auto* a = ToUd<BinaryUd>(L, 1, &kBinaryMt);
  auto* b = ToUd<BinaryUd>(L, 2, &kBinaryMt);
  lua_pushboolean(L, a && b && a->bytes == b->bytes);
  return 1;
}

int BinaryNew(lua_State* L) {
  size_t n;
  const char* s = luaL_checklstring(L, 1, &n);
  NewBinary(L, std::string_view(s, n));
  return 1;
}

// ---------------------------------------------------------------------------
// godwit.set

const char* SetTypeName(AttrType t) {
  return t == AttrType::kSS ? "SS" : t == AttrType::kNS ? "NS" : "BS";
}

// Member `idx` as the set's member kind. Never raises.
bool SetInsert(lua_State* L, SetUd* set, int idx, char* err, size_t cap) {
  switch (set->type) {
    case AttrType::kSS: {
      if (lua_type(L, idx) != LUA_TSTRING) {
        std::snprintf(err, cap, "a string set (SS) holds strings, got a %s",
                      luaL_typename(L, idx));
        return false;
      }
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      std::string_view v(s, n);
      auto it = std::lower_bound(set->strs.begin(), set->strs.end(), v);
      if (it == set->strs.end() || *it != v)
        set->strs.insert(it, std::string(v));
      return true;
    }
    case AttrType::kBS: {
      BinaryUd* b = ToUd<BinaryUd>(L, idx, &kBinaryMt);
      if (b == nullptr) {
        std::snprintf(err, cap,
                      "a binary set (BS) holds godwit.binary values, got a %s",
                      luaL_typename(L, idx));
        return false;
      }
      auto it = std::lower_bound(set->strs.begin(), set->strs.end(), b->bytes);
      if (it == set->strs.end() || *it != b->bytes)
        set->strs.insert(it, b->bytes);
      return true;
    }
    default: {
      Number n;
      if (!OperandToNumber(L, idx, &n, err, cap)) return false;
      if (lua_type(L, idx) == LUA_TSTRING) {
        std::snprintf(err, cap,
                      "a number set (NS) holds numbers, got a string (use "
                      "godwit.decimal(s))");
        return false;
      }
      auto it = std::lower_bound(
          set->nums.begin(), set->nums.end(), n,
          [](const Number& a, const Number& b) { return a.Compare(b) < 0; });
      if (it == set->nums.end() || !(*it == n))
        set->nums.insert(it, std::move(n));
      return true;
    }
  }
}

bool SetErase(lua_State* L, SetUd* set, int idx, bool* found) {
  *found = false;
  char err[8];
  if (set->type == AttrType::kNS) {
    Number n;
    if (lua_type(L, idx) == LUA_TSTRING) return true;
    if (!OperandToNumber(L, idx, &n, err, sizeof(err))) return true;
    for (auto it = set->nums.begin(); it != set->nums.end(); ++it) {
      if (*it == n) {
        set->nums.erase(it);
        *found = true;
        break;
      }
    }
    return true;
  }
  std::string_view v;
  if (set->type == AttrType::kSS) {
    if (lua_type(L, idx) != LUA_TSTRING) return true;
    size_t n;
    const char* s = lua_tolstring(L, idx, &n);
    v = std::string_view(s, n);
  } else {
    BinaryUd* b = ToUd<BinaryUd>(L, idx, &kBinaryMt);
    if (b == nullptr) return true;
    v = b->bytes;
  }
  auto it = std::lower_bound(set->strs.begin(), set->strs.end(), v);
  if (it != set->strs.end() && *it == v) {
    set->strs.erase(it);
    *found = true;
  }
  return true;
}

SetUd* CheckSet(lua_State* L, int idx) {
  return static_cast<SetUd*>(luaL_checkudata(L, idx, "godwit.set"));
}

int SetAdd(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  luaL_checkany(L, 2);
  char err[256];
  if (!SetInsert(L, set, 2, err, sizeof(err))) {
    return luaL_error(L, "set:add: %s", err);
  }
  lua_settop(L, 1);
  return 1;
}

int SetRemove(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  luaL_checkany(L, 2);
  bool found = false;
  SetErase(L, set, 2, &found);
  lua_settop(L, 1);
  return 1;
}

int SetHas(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  luaL_checkany(L, 2);
  // Work on a copy-free probe: erase from a scratch copy is too costly, so
  // search directly.
  bool found = false;
  if (set->type == AttrType::kNS) {
    char err[8];
    Number n;
    if (lua_type(L, 2) != LUA_TSTRING &&
        OperandToNumber(L, 2, &n, err, sizeof(err))) {
      found = std::binary_search(
          set->nums.begin(), set->nums.end(), n,
          [](const Number& a, const Number& b) { return a.Compare(b) < 0; });
    }
  } else if (set->type == AttrType::kSS) {
    if (lua_type(L, 2) == LUA_TSTRING) {
      size_t n;
      const char* s = lua_tolstring(L, 2, &n);
      found = std::binary_search(set->strs.begin(), set->strs.end(),
                                 std::string_view(s, n));
    }
  } else if (BinaryUd* b = ToUd<BinaryUd>(L, 2, &kBinaryMt)) {
    found = std::binary_search(set->strs.begin(), set->strs.end(), b->bytes);
  }
  lua_pushboolean(L, found);
  return 1;
}

void PushSetMember(lua_State* L, const SetUd* set, size_t i) {
  switch (set->type) {
    case AttrType::kSS:
      lua_pushlstring(L, set->strs[i].data(), set->strs[i].size());
      break;
    case AttrType::kBS:
      NewBinary(L, set->strs[i]);
      break;
    default:
      PushNumber(L, set->nums[i]);
      break;
  }
}

int SetItems(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  size_t n = set->size();
  lua_createtable(L, static_cast<int>(n), 0);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kListMt);
  lua_setmetatable(L, -2);
  for (size_t i = 0; i < n; ++i) {
    PushSetMember(L, set, i);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

int SetLen(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  lua_pushinteger(L, static_cast<lua_Integer>(set->size()));
  return 1;
}

int SetIndex(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  if (lua_isinteger(L, 2)) {
    lua_Integer i = lua_tointeger(L, 2);
    if (i >= 1 && static_cast<size_t>(i) <= set->size()) {
      PushSetMember(L, set, static_cast<size_t>(i - 1));
    } else {
      lua_pushnil(L);
    }
    return 1;
  }
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char* k = lua_tostring(L, 2);
    if (std::strcmp(k, "type") == 0) {
      lua_pushstring(L, SetTypeName(set->type));
      return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));  // methods
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
  }
  lua_pushnil(L);
  return 1;
}

int SetEq(lua_State* L) {
  SetUd* a = ToUd<SetUd>(L, 1, &kSetMt);
  SetUd* b = ToUd<SetUd>(L, 2, &kSetMt);
  lua_pushboolean(L, a && b && a->type == b->type && a->strs == b->strs &&
                         a->nums == b->nums);
  return 1;
}

int SetToString(lua_State* L) {
  SetUd* set = CheckSet(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, SetTypeName(set->type));
  luaL_addstring(&b, "{");
  for (size_t i = 0; i < set->size(); ++i) {
    if (i > 0) luaL_addstring(&b, ", ");
    if (set->type == AttrType::kNS) {
      luaL_addlstring(&b, set->nums[i].text().data(),
                      set->nums[i].text().size());
    } else if (set->type == AttrType::kSS) {
      luaL_addchar(&b, '"');
      luaL_addlstring(&b, set->strs[i].data(), set->strs[i].size());
      luaL_addchar(&b, '"');
    } else {
      AddBase64(&b, set->strs[i]);
    }
  }
  luaL_addstring(&b, "}");
  luaL_pushresult(&b);
  return 1;
}

// godwit.set{...} (type from the members), godwit.string_set{...}, ...
int SetConstruct(lua_State* L, AttrType type, bool infer) {
  lua_settop(L, 1);
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
  if (infer) {
    if (n == 0) {
      return luaL_error(L,
                        "godwit.set{} cannot tell the set's type without "
                        "members; use godwit.string_set{}, godwit.number_set{} "
                        "or godwit.binary_set{}");
    }
    lua_rawgeti(L, 1, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      type = AttrType::kSS;
    } else if (ToUd<BinaryUd>(L, -1, &kBinaryMt)) {
      type = AttrType::kBS;
    } else {
      type = AttrType::kNS;
    }
    lua_pop(L, 1);
  }
  SetUd* set = NewSet(L, type);  // at 2
  char err[256];
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, 1, i);
    if (!SetInsert(L, set, lua_gettop(L), err, sizeof(err))) {
      return luaL_error(L, "godwit.set: member %d: %s", static_cast<int>(i),
                        err);
    }
    lua_pop(L, 1);
  }
  return 1;
}

int SetNew(lua_State* L) { return SetConstruct(L, AttrType::kSS, true); }
int StringSetNew(lua_State* L) { return SetConstruct(L, AttrType::kSS, false); }
int NumberSetNew(lua_State* L) { return SetConstruct(L, AttrType::kNS, false); }
int BinarySetNew(lua_State* L) { return SetConstruct(L, AttrType::kBS, false); }

// ---------------------------------------------------------------------------
// godwit.null, godwit.list, godwit.map, godwit.type

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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// The item proxy.

int StaleProxyError(lua_State* L) {
  return luaL_error(L,
                    "this item belongs to a call of up/down/validate that has "
                    "returned; keep copies of its values, not the item");
}

// The index of `name` in the active native item, or -1.
ptrdiff_t FindAttribute(const Item& item, std::string_view name) {
  auto it = std::lower_bound(
      item.begin(), item.end(), name,
      [](const Item::Entry& e, std::string_view k) { return e.first < k; });
  if (it == item.end() || it->first != name) return -1;
  return it - item.begin();
}

int ItemIndex(lua_State* L) {
  StateData* sd = GetStateData(L);
  if (lua_topointer(L, 1) != sd->proxy_id || sd->proxy_native == nullptr) {
    return StaleProxyError(L);
  }
  if (lua_type(L, 2) != LUA_TSTRING) {
    lua_pushnil(L);
    return 1;
  }
  size_t n;
  const char* k = lua_tolstring(L, 2, &n);
  Item& item = *sd->proxy_native;
  ptrdiff_t idx = FindAttribute(item, std::string_view(k, n));
  if (idx < 0 || sd->touched[static_cast<size_t>(idx)]) {
    lua_pushnil(L);
    return 1;
  }
  PushValue(L, (item.begin() + idx)->second);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  sd->touched[static_cast<size_t>(idx)] = 1;
  return 1;
}

int ItemNewIndex(lua_State* L) {
  StateData* sd = GetStateData(L);
  if (lua_topointer(L, 1) != sd->proxy_id || sd->proxy_native == nullptr) {
    return StaleProxyError(L);
  }
  if (lua_type(L, 2) != LUA_TSTRING) {
    return luaL_error(L, "attribute names are strings; got a %s key",
                      luaL_typename(L, 2));
  }
  size_t n;
  const char* k = lua_tolstring(L, 2, &n);
  ptrdiff_t idx = FindAttribute(*sd->proxy_native, std::string_view(k, n));
  lua_settop(L, 3);
  lua_rawset(L, 1);
  if (idx >= 0) sd->touched[static_cast<size_t>(idx)] = 1;
  return 0;
}

int ItemPairs(lua_State* L) {
  StateData* sd = GetStateData(L);
  if (lua_topointer(L, 1) != sd->proxy_id || sd->proxy_native == nullptr) {
    return StaleProxyError(L);
  }
  lua_settop(L, 1);
  Item& item = *sd->proxy_native;
  size_t i = 0;
  for (auto it = item.begin(); it != item.end(); ++it, ++i) {
    if (sd->touched[i]) continue;
    lua_pushlstring(L, it->first.data(), it->first.size());
    PushValue(L, it->second);
    lua_rawset(L, 1);
    sd->touched[i] = 1;
  }
  return SortedPairsOf(L);
}

// ---------------------------------------------------------------------------
// read_json: a JSON file (plain JSON, not DynamoDB-JSON) as Lua values.

struct JsonHolder {
  simdjson::dom::parser parser;
  std::string text;
  std::string error;
};

void PushJson(lua_State* L, simdjson::dom::element e, int depth) {
  if (depth > 200) luaL_error(L, "read_json: nesting too deep");
  luaL_checkstack(L, 4, "read_json");
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array a = e.get_array().value_unsafe();
      lua_createtable(L, static_cast<int>(a.size()), 0);
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kListMt);
      lua_setmetatable(L, -2);
      lua_Integer i = 0;
      for (simdjson::dom::element child : a) {
        PushJson(L, child, depth + 1);
        lua_rawseti(L, -2, ++i);
      }
      break;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object o = e.get_object().value_unsafe();
      lua_createtable(L, 0, static_cast<int>(o.size()));
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kMapMt);
      lua_setmetatable(L, -2);
      for (simdjson::dom::key_value_pair kv : o) {
        lua_pushlstring(L, kv.key.data(), kv.key.size());
        PushJson(L, kv.value, depth + 1);
        lua_rawset(L, -3);
      }
      break;
    }
    case simdjson::dom::element_type::INT64:
      lua_pushinteger(L, e.get_int64().value_unsafe());
      break;
    case simdjson::dom::element_type::UINT64:
      lua_pushnumber(L, static_cast<double>(e.get_uint64().value_unsafe()));
      break;
    case simdjson::dom::element_type::DOUBLE:
      lua_pushnumber(L, e.get_double().value_unsafe());
      break;
    case simdjson::dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      lua_pushlstring(L, s.data(), s.size());
      break;
    }
    case simdjson::dom::element_type::BOOL:
      lua_pushboolean(L, e.get_bool().value_unsafe());
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kNullKey);
      break;
  }
}

// Resolves and reads the file; parses it. Never raises.
bool LoadJson(JsonHolder* h, const char* base, const char* root,
              std::string_view rel, simdjson::dom::element* out) {
  namespace fs = std::filesystem;
  fs::path p(rel);
  if (p.is_absolute()) {
    h->error = "read_json: \"" + std::string(rel) +
               "\": the path must be relative to the migration file";
    return false;
  }
  std::error_code ec;
  fs::path full = fs::weakly_canonical(fs::path(base) / p, ec);
  fs::path top = fs::weakly_canonical(fs::path(root), ec);
  std::string fs_full = full.string(), fs_top = top.string();
  if (ec || fs_full.compare(0, fs_top.size(), fs_top) != 0) {
    h->error = "read_json: \"" + std::string(rel) +
               "\" is outside the migrations folder " + std::string(root);
    return false;
  }
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    h->error = "read_json: cannot open " + fs_full;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  h->text = std::move(ss).str();
  auto r = h->parser.parse(h->text);
  if (r.error()) {
    h->error = "read_json: " + fs_full + ": " +
               std::string(simdjson::error_message(r.error()));
    return false;
  }
  *out = r.value_unsafe();
  return true;
}

int ReadJson(lua_State* L) {
  size_t n;
  const char* rel = luaL_checklstring(L, 1, &n);
  lua_settop(L, 1);
  void* p = lua_newuserdatauv(L, sizeof(JsonHolder), 0);
  JsonHolder* h = new (p) JsonHolder();
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kJsonHolderMt);
  lua_setmetatable(L, -2);
  simdjson::dom::element root;
  if (!LoadJson(h, lua_tostring(L, lua_upvalueindex(1)),
                lua_tostring(L, lua_upvalueindex(2)), std::string_view(rel, n),
                &root)) {
    lua_pushlstring(L, h->error.data(), h->error.size());
    return lua_error(L);
  }
  PushJson(L, root, 0);
  return 1;
}

// ---------------------------------------------------------------------------
// Lua -> AttributeValue (never raises).

Status ToValueAt(lua_State* L, int idx, int depth, AttributeValue* out);
Status ProxyToItem(lua_State* L, int idx, int depth, bool move, Item* out);

Status PathError(std::string_view segment, const Status& inner) {
  std::string msg(inner.message());
  // Messages are "path: what"; join segments without ": " between them.
  if (!msg.empty() && (msg[0] == '.' || msg[0] == '[')) {
    return Status::InvalidArgument(std::string(segment) + msg);
  }
  return Status::InvalidArgument(std::string(segment) + ": " + msg);
}

Status ToMapAt(lua_State* L, int idx, int depth, AttributeMap* out) {
  // Collect, then sort an index: moving whole entries around in a sort
  // costs more than the conversion.
  std::vector<Item::Entry> entries;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      const char* t = luaL_typename(L, -2);
      lua_pop(L, 2);
      return Status::InvalidArgument(std::string("a map has a key of type ") +
                                     t +
                                     " (a table mixing list and map entries?)");
    }
    size_t n;
    const char* k = lua_tolstring(L, -2, &n);
    AttributeValue v;
    Status s = ToValueAt(L, lua_gettop(L), depth + 1, &v);
    if (!s.ok()) {
      lua_pop(L, 2);
      return PathError("." + std::string(k, n), s);
    }
    entries.emplace_back(std::string(k, n), std::move(v));
    lua_pop(L, 1);
  }
  std::vector<uint32_t> order(entries.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return entries[a].first < entries[b].first;
  });
  out->Clear();
  out->Reserve(entries.size());
  for (uint32_t i : order) {
    // Lua table keys are unique, so the names are strictly increasing.
    out->AppendSortedUnchecked(std::move(entries[i].first),
                               std::move(entries[i].second));
  }
  return Status::OK();
}

Status ToListAt(lua_State* L, int idx, int depth, AttributeValue::List* out) {
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    ++count;
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
        lua_tointeger(L, -1) > n) {
      lua_pop(L, 1);
      return Status::InvalidArgument(
          "a list must have keys 1..n without holes (nil in a list? use "
          "godwit.null; string keys in a list?)");
    }
  }
  if (count != n) {
    return Status::InvalidArgument(
        "a list has holes (nil elements); use godwit.null for NULL");
  }
  out->reserve(static_cast<size_t>(n));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    AttributeValue v;
    Status s = ToValueAt(L, lua_gettop(L), depth + 1, &v);
    lua_pop(L, 1);
    if (!s.ok()) return PathError("[" + std::to_string(i) + "]", s);
    out->push_back(std::move(v));
  }
  return Status::OK();
}

Status SetToValue(const SetUd* set, AttributeValue* out) {
  if (set->size() == 0) {
    return Status::InvalidArgument(
        std::string("an empty ") + SetTypeName(set->type) +
        " set cannot be stored (DynamoDB has no empty sets; assign nil to "
        "remove the attribute)");
  }
  switch (set->type) {
    case AttrType::kSS:
      *out = AttributeValue::SSUnchecked(set->strs);
      break;
    case AttrType::kBS:
      *out = AttributeValue::BSUnchecked(set->strs);
      break;
    default:
      *out = AttributeValue::NSUnchecked(set->nums);
      break;
  }
  return Status::OK();
}

Status ToValueAt(lua_State* L, int idx, int depth, AttributeValue* out) {
  if (depth > kMaxNestingDepth) {
    return Status::InvalidArgument(
        "nesting deeper than 32 levels (a table that contains itself?)");
  }
  if (!lua_checkstack(L, 6)) {
    return Status::ResourceExhausted("Lua stack exhausted");
  }
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      *out = AttributeValue::S(std::string(s, n));
      return Status::OK();
    }
    case LUA_TNUMBER: {
      if (lua_isinteger(L, idx)) {
        *out = AttributeValue::N(Number::FromInt64(lua_tointeger(L, idx)));
        return Status::OK();
      }
      ASSIGN_OR_RETURN(Number n, NumberFromDouble(lua_tonumber(L, idx)));
      *out = AttributeValue::N(std::move(n));
      return Status::OK();
    }
    case LUA_TBOOLEAN:
      *out = AttributeValue::Bool(lua_toboolean(L, idx));
      return Status::OK();
    case LUA_TTABLE: {
      switch (GetTableKind(L, idx)) {
        case TableKind::kItemProxy: {
          Item item;
          RETURN_IF_ERROR(ProxyToItem(L, idx, depth, false, &item));
          *out = AttributeValue::M(std::move(item));
          return Status::OK();
        }
        case TableKind::kList: {
          AttributeValue::List list;
          RETURN_IF_ERROR(ToListAt(L, idx, depth, &list));
          *out = AttributeValue::L(std::move(list));
          return Status::OK();
        }
        case TableKind::kMap:
          break;
        case TableKind::kPlain: {
          lua_pushnil(L);
          if (lua_next(L, idx)) {
            bool is_list = lua_type(L, -2) == LUA_TNUMBER;
            lua_pop(L, 2);
            if (is_list) {
              AttributeValue::List list;
              RETURN_IF_ERROR(ToListAt(L, idx, depth, &list));
              *out = AttributeValue::L(std::move(list));
              return Status::OK();
            }
          }
          break;
        }
      }
      AttributeMap m;
      RETURN_IF_ERROR(ToMapAt(L, idx, depth, &m));
      *out = AttributeValue::M(std::move(m));
      return Status::OK();
    }
    case LUA_TUSERDATA: {
      if (IsNull(L, idx)) {
        *out = AttributeValue::Null();
        return Status::OK();
      }
      if (Number* d = ToUd<Number>(L, idx, &kDecimalMt)) {
        *out = AttributeValue::N(*d);
        return Status::OK();
      }
      if (BinaryUd* b = ToUd<BinaryUd>(L, idx, &kBinaryMt)) {
        *out = AttributeValue::B(b->bytes);
        return Status::OK();
      }
      if (SetUd* s = ToUd<SetUd>(L, idx, &kSetMt)) return SetToValue(s, out);
      return Status::InvalidArgument("a userdata value cannot be stored");
    }
    default:
      return Status::InvalidArgument(std::string("a ") + luaL_typename(L, idx) +
                                     " value cannot be stored");
  }
}

// True if the Lua value at `idx` would convert to exactly `v`. Walks both
// without building anything, so an attribute that was read (or reassigned)
// but not changed keeps its native value without a conversion. Never raises.
bool EqualsNative(lua_State* L, int idx, const AttributeValue& v, int depth) {
  if (depth > kMaxNestingDepth || !lua_checkstack(L, 4)) return false;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      if (!v.is(AttrType::kS)) return false;
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      return std::string_view(s, n) == v.s();
    }
    case LUA_TNUMBER: {
      if (!v.is(AttrType::kN)) return false;
      if (lua_isinteger(L, idx)) {
        std::optional<int64_t> i = v.n().ToInt64();
        return i && *i == lua_tointeger(L, idx);
      }
      std::optional<double> d = v.n().ToExactDouble();
      return d && *d == lua_tonumber(L, idx) && !v.n().ToInt64();
    }
    case LUA_TBOOLEAN:
      return v.is(AttrType::kBool) &&
             v.boolean() == (lua_toboolean(L, idx) != 0);
    case LUA_TUSERDATA: {
      if (IsNull(L, idx)) return v.is(AttrType::kNull);
      if (Number* d = ToUd<Number>(L, idx, &kDecimalMt)) {
        return v.is(AttrType::kN) && *d == v.n();
      }
      if (BinaryUd* b = ToUd<BinaryUd>(L, idx, &kBinaryMt)) {
        return v.is(AttrType::kB) && b->bytes == v.b();
      }
      if (SetUd* s = ToUd<SetUd>(L, idx, &kSetMt)) {
        if (!v.is(s->type) || s->size() == 0) return false;
        return s->type == AttrType::kNS
                   ? s->nums == v.ns()
                   : s->strs == (s->type == AttrType::kSS ? v.ss() : v.bs());
      }
      return false;
    }
    case LUA_TTABLE: {
      TableKind kind = GetTableKind(L, idx);
      if (kind == TableKind::kItemProxy) return false;
      if (v.is(AttrType::kL)) {
        if (kind == TableKind::kMap) return false;
        const AttributeValue::List& l = v.l();
        if (l.empty() && kind != TableKind::kList) return false;  // {} is M
        if (lua_rawlen(L, idx) != l.size()) return false;
        size_t count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
          lua_pop(L, 1);
          ++count;
        }
        if (count != l.size()) return false;
        for (size_t i = 0; i < l.size(); ++i) {
          lua_rawgeti(L, idx, static_cast<lua_Integer>(i + 1));
          bool same = EqualsNative(L, lua_gettop(L), l[i], depth + 1);
          lua_pop(L, 1);
          if (!same) return false;
        }
        return true;
      }
      if (v.is(AttrType::kM)) {
        if (kind == TableKind::kList) return false;
        const AttributeMap& m = v.m();
        size_t count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
          ++count;
          const AttributeValue* child = nullptr;
          if (lua_type(L, -2) == LUA_TSTRING) {
            size_t n;
            const char* k = lua_tolstring(L, -2, &n);
            child = m.Find(std::string_view(k, n));
          }
          if (child == nullptr ||
              !EqualsNative(L, lua_gettop(L), *child, depth + 1)) {
            lua_pop(L, 2);
            return false;
          }
          lua_pop(L, 1);
        }
        return count == m.size();
      }
      return false;
    }
    default:
      return false;
  }
}

Status ProxyToItem(lua_State* L, int idx, int depth, bool move, Item* out) {
  StateData* sd = GetStateData(L);
  if (lua_topointer(L, idx) != sd->proxy_id || sd->proxy_native == nullptr) {
    return Status::InvalidArgument(
        "an item from a call of up/down/validate that has returned");
  }
  // The raw fields: attributes read or assigned in this call.
  std::vector<Item::Entry> changed;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      const char* t = luaL_typename(L, -2);
      lua_pop(L, 2);
      return Status::InvalidArgument(
          std::string("attribute names are strings; the item has a ") + t +
          " key");
    }
    size_t n;
    const char* k = lua_tolstring(L, -2, &n);
    std::string_view name(k, n);
    ptrdiff_t native_idx = FindAttribute(*sd->proxy_native, name);
    if (native_idx >= 0) {
      Item::Entry& e = *(sd->proxy_native->begin() + native_idx);
      if (EqualsNative(L, lua_gettop(L), e.second, depth + 1)) {
        // Unchanged: the native value, bit for bit, without a conversion.
        changed.emplace_back(std::string(name),
                             move ? std::move(e.second) : e.second);
        lua_pop(L, 1);
        continue;
      }
    }
    AttributeValue v;
    Status s = ToValueAt(L, lua_gettop(L), depth + 1, &v);
    if (!s.ok()) {
      lua_pop(L, 2);
      return PathError(std::string(name), s);
    }
    changed.emplace_back(std::string(name), std::move(v));
    lua_pop(L, 1);
  }
  std::sort(changed.begin(), changed.end(),
            [](const Item::Entry& a, const Item::Entry& b) {
              return a.first < b.first;
            });
  // Merge the untouched native attributes with the changed ones.
  Item& native = *sd->proxy_native;
  out->Clear();
  out->Reserve(native.size() + changed.size());
  auto c = changed.begin();
  size_t i = 0;
  for (auto it = native.begin(); it != native.end(); ++it, ++i) {
    if (sd->touched[i]) continue;
    while (c != changed.end() && c->first < it->first) {
      out->AppendSortedUnchecked(std::move(c->first), std::move(c->second));
      ++c;
    }
    if (c != changed.end() && c->first == it->first) continue;  // rawset
    if (move) {
      out->AppendSortedUnchecked(std::move(it->first), std::move(it->second));
    } else {
      out->AppendSortedUnchecked(it->first, it->second);
    }
  }
  for (; c != changed.end(); ++c) {
    out->AppendSortedUnchecked(std::move(c->first), std::move(c->second));
  }
  return Status::OK();
}

}  // namespace

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

void RegisterTypes(lua_State* L) {
  // godwit.decimal
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

  // godwit.binary
  luaL_newmetatable(L, "godwit.binary");
  const luaL_Reg binary_meta[] = {{"__gc", GcUd<BinaryUd>},
                                  {"__len", BinaryLen},
                                  {"__eq", BinaryEq},
                                  {"__tostring", BinaryBase64},
                                  {"__concat", ConcatWithToString},
                                  {nullptr, nullptr}};
  luaL_setfuncs(L, binary_meta, 0);
  lua_newtable(L);
  lua_pushcfunction(L, BinaryBytes);
  lua_setfield(L, -2, "bytes");
  lua_pushcfunction(L, BinaryBase64);
  lua_setfield(L, -2, "base64");
  lua_pushcfunction(L, BinaryLen);
  lua_setfield(L, -2, "len");
  lua_setfield(L, -2, "__index");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kBinaryMt);

  // godwit.set
  luaL_newmetatable(L, "godwit.set");
  const luaL_Reg set_meta[] = {{"__gc", GcUd<SetUd>},
                               {"__len", SetLen},
                               {"__eq", SetEq},
                               {"__tostring", SetToString},
                               {nullptr, nullptr}};
  luaL_setfuncs(L, set_meta, 0);
  lua_newtable(L);
  const luaL_Reg set_methods[] = {{"add", SetAdd},
                                  {"remove", SetRemove},
                                  {"has", SetHas},
                                  {"items", SetItems},
                                  {nullptr, nullptr}};
  luaL_setfuncs(L, set_methods, 0);
  lua_pushcclosure(L, SetIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kSetMt);

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

  // List, map and item metatables.
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

  lua_newtable(L);
  lua_pushliteral(L, "godwit.item");
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, ItemIndex);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ItemNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, ItemPairs);
  lua_setfield(L, -2, "__pairs");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kItemMt);

  lua_newtable(L);
  lua_pushcfunction(L, GcUd<JsonHolder>);
  lua_setfield(L, -2, "__gc");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kJsonHolderMt);
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

void PushReadJson(lua_State* L, const std::string& base_dir,
                  const std::string& root_dir) {
  lua_pushlstring(L, base_dir.data(), base_dir.size());
  lua_pushlstring(L, root_dir.data(), root_dir.size());
  lua_pushcclosure(L, ReadJson, 2);
}

void PushValue(lua_State* L, const AttributeValue& v) {
  luaL_checkstack(L, 4, "item nesting");
  switch (v.type()) {
    case AttrType::kS:
      lua_pushlstring(L, v.s().data(), v.s().size());
      return;
    case AttrType::kN:
      PushNumber(L, v.n());
      return;
    case AttrType::kB:
      NewBinary(L, v.b());
      return;
    case AttrType::kBool:
      lua_pushboolean(L, v.boolean());
      return;
    case AttrType::kNull:
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kNullKey);
      return;
    case AttrType::kM: {
      const AttributeMap& m = v.m();
      lua_createtable(L, 0, static_cast<int>(m.size()));
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kMapMt);
      lua_setmetatable(L, -2);
      for (const auto& [name, child] : m) {
        lua_pushlstring(L, name.data(), name.size());
        PushValue(L, child);
        lua_rawset(L, -3);
      }
      return;
    }
    case AttrType::kL: {
      const AttributeValue::List& l = v.l();
      lua_createtable(L, static_cast<int>(l.size()), 0);
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kListMt);
      lua_setmetatable(L, -2);
      lua_Integer i = 0;
      for (const AttributeValue& child : l) {
        PushValue(L, child);
        lua_rawseti(L, -2, ++i);
      }
      return;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      SetUd* s = NewSet(L, v.type());
      s->strs = v.type() == AttrType::kSS ? v.ss() : v.bs();
      return;
    }
    case AttrType::kNS: {
      SetUd* s = NewSet(L, AttrType::kNS);
      s->nums = v.ns();
      return;
    }
  }
}

void PushItemFull(lua_State* L, const Item& item) {
  lua_createtable(L, 0, static_cast<int>(item.size()));
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kMapMt);
  lua_setmetatable(L, -2);
  for (const auto& [name, v] : item) {
    lua_pushlstring(L, name.data(), name.size());
    PushValue(L, v);
    lua_rawset(L, -3);
  }
}

void PushItemProxy(lua_State* L, StateData* data, Item* item) {
  lua_createtable(L, 0, 4);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kItemMt);
  lua_setmetatable(L, -2);
  data->proxy_id = lua_topointer(L, -1);
  data->proxy_native = item;
}

Status ToValue(lua_State* L, int idx, AttributeValue* out) {
  return ToValueAt(L, lua_absindex(L, idx), 1, out);
}

Status ToItem(lua_State* L, int idx, bool move_native, Item* out) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) {
    return Status::InvalidArgument(std::string("an item is a table, got a ") +
                                   luaL_typename(L, idx));
  }
  if (!lua_checkstack(L, 6)) {
    return Status::ResourceExhausted("Lua stack exhausted");
  }
  switch (GetTableKind(L, idx)) {
    case TableKind::kItemProxy:
      return ProxyToItem(L, idx, 0, move_native, out);
    case TableKind::kList:
      return Status::InvalidArgument("an item is a map, got a godwit.list");
    default:
      break;
  }
  out->Clear();
  return ToMapAt(L, idx, 0, out);
}

}  // namespace godwit::transform_internal
