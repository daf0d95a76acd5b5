// The item proxy (ItemViewMode::kLazy): a table with the godwit.item
// metatable over the native Item of the call running now. Its raw fields
// cache the attributes read or assigned; `touched` marks them. Write-back
// (ProxyToItem) converts only those and moves every other attribute through
// natively, bit for bit. A proxy kept past its call raises when used.
#include <algorithm>

#include "transform/lua_internal.h"

namespace godwit::transform_internal {

// The index of `name` in the active native item, or -1.
ptrdiff_t FindAttribute(const Item& item, std::string_view name) {
  auto it = std::lower_bound(
      item.begin(), item.end(), name,
      [](const Item::Entry& e, std::string_view k) { return e.first < k; });
  if (it == item.end() || it->first != name) return -1;
  return it - item.begin();
}

namespace {

int StaleProxyError(lua_State* L) {
  return luaL_error(L,
                    "this item belongs to a call of up/down/validate that has "
                    "returned; keep copies of its values, not the item");
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
}  // namespace

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

void PushItemProxy(lua_State* L, StateData* data, Item* item) {
  lua_createtable(L, 0, 4);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kItemMt);
  lua_setmetatable(L, -2);
  data->proxy_id = lua_topointer(L, -1);
  data->proxy_native = item;
}

void RegisterItemProxy(lua_State* L) {
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
}

}  // namespace godwit::transform_internal
