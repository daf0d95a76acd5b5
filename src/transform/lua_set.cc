// godwit.set: DynamoDB's SS, NS and BS in Lua. Mutable userdata holding the
// members sorted (bytewise for SS and BS, numerically for NS) and unique;
// s:add, s:remove, s:has, s:items, #s, s[i], s.type, ==, tostring.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "transform/lua_internal.h"

namespace godwit::transform_internal {

const char* SetTypeName(AttrType t) {
  return t == AttrType::kSS ? "SS" : t == AttrType::kNS ? "NS" : "BS";
}

namespace {

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

}  // namespace

int SetNew(lua_State* L) { return SetConstruct(L, AttrType::kSS, true); }
int StringSetNew(lua_State* L) { return SetConstruct(L, AttrType::kSS, false); }
int NumberSetNew(lua_State* L) { return SetConstruct(L, AttrType::kNS, false); }
int BinarySetNew(lua_State* L) { return SetConstruct(L, AttrType::kBS, false); }

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

void RegisterSet(lua_State* L) {
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
}

}  // namespace godwit::transform_internal
