// Conversion of values between Lua and DynamoDB, both ways (the mapping is in
// lua_types.h): PushValue/PushItemFull to Lua, ToValue/ToItem back.
#include <algorithm>

#include "transform/decimal.h"
#include "transform/lua_internal.h"

namespace godwit::transform_internal {

Status PathError(std::string_view segment, const Status& inner) {
  std::string msg(inner.message());
  // Messages are "path: what"; join segments without ": " between them.
  if (!msg.empty() && (msg[0] == '.' || msg[0] == '[')) {
    return Status::InvalidArgument(std::string(segment) + msg);
  }
  return Status::InvalidArgument(std::string(segment) + ": " + msg);
}

namespace {

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

}  // namespace

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
