// The Lua view of DynamoDB values (internal to the transform layer).
//
//   S     string                 B     godwit.binary userdata (immutable)
//   N     integer when it fits int64, float when the double is exactly the
//         number, else godwit.decimal userdata (immutable, exact arithmetic)
//   BOOL  boolean                NULL  godwit.null (one userdata sentinel)
//   M     table with the godwit.map metatable
//   L     table with the godwit.list metatable
//   SS/NS/BS  godwit.set userdata (mutable: add, remove, has, items)
//
// Back from Lua, a table is a list if it carries the list metatable, a map if
// it carries the map metatable; an unmarked table is a list when its keys are
// 1..n and a map when its keys are strings; an unmarked empty table is an
// empty map (godwit.list{} makes an empty list). Lua floats become their
// exact value when it has at most 38 digits, else their shortest decimal.
//
// The item proxy (ItemViewMode::kLazy): a table with the godwit.item
// metatable whose raw fields cache the attributes read or assigned. Reading
// a missing field converts that one attribute and caches it; assigning
// through __newindex marks the attribute. Write-back converts only marked
// attributes (their current value, or removal when nil) and moves every
// other attribute through natively, bit for bit.
//
// Files: lua_common.cc (helpers, per-state data), lua_decimal.cc,
// lua_binary.cc, lua_set.cc (the userdata types), lua_library.cc (null, list,
// map, type, sorted pairs, registration), item_proxy.cc, lua_convert.cc (both
// directions), read_json.cc; lua_internal.h is what they share.
//
// Raising. Functions marked "raises" may raise a Lua error (longjmp) and are
// only called from C functions running under lua_pcall, with no live C++
// object that needs a destructor. Functions returning Status never raise.
#ifndef GODWIT_TRANSFORM_LUA_TYPES_H_
#define GODWIT_TRANSFORM_LUA_TYPES_H_

#include <cstdint>
#include <functional>
#include <lua.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit::transform_internal {

// Per-state data, reachable from every C function through the state's extra
// space. Owned by the worker; lives as long as the lua_State.
struct StateData {
  // The allocator's account.
  size_t mem_used = 0;
  size_t mem_limit = 0;
  bool mem_limit_hit = false;
  // The instruction budget of the call running now.
  uint64_t instructions = 0;
  uint64_t budget = 0;
  bool budget_hit = false;
  // The first determinism-breaking function called (e.g. "math.random"),
  // NUL-terminated; empty if none.
  char violation[48] = {0};
  // The item proxy of the call running now (null when none).
  const void* proxy_id = nullptr;
  Item* proxy_native = nullptr;
  std::vector<uint8_t> touched;  // per attribute of *proxy_native
  // Receives print/ctx.log lines. May be null.
  const std::function<void(std::string_view)>* log = nullptr;
};

StateData* GetStateData(lua_State* L);
void SetStateData(lua_State* L, StateData* data);

// Creates the metatables and the null sentinel in the registry. Raises.
void RegisterTypes(lua_State* L);
// Pushes a new table holding the godwit constructors and helpers that do not
// depend on a migration (decimal, binary, set, string_set, number_set,
// binary_set, list, map, null, type). Raises.
void PushGodwitBase(lua_State* L);
// Pushes read_json bound to a base folder (the migration's folder) and a
// root folder it may not leave. Raises.
void PushReadJson(lua_State* L, const std::string& base_dir,
                  const std::string& root_dir);
// The file read_json(rel) reads: base_dir/rel made canonical (symlinks
// resolved, "." and ".." removed), which must lie strictly inside root_dir
// (also made canonical), compared component by component.
// Errors: InvalidArgument for an empty or absolute `rel` ("must be relative")
// and for a path outside root_dir ("outside the migrations folder"); IOError
// if a path cannot be resolved. Never raises.
Result<std::string> ResolveReadJsonPath(std::string_view base_dir,
                                        std::string_view root_dir,
                                        std::string_view rel);

// Pushes the Lua view of `v`. Raises.
void PushValue(lua_State* L, const AttributeValue& v);
// Pushes every attribute converted (ItemViewMode::kFull). Raises.
void PushItemFull(lua_State* L, const Item& item);
// Pushes a proxy over `*item` and makes it the state's active proxy.
// REQUIRES: data->touched has item->size() zeros. Raises.
void PushItemProxy(lua_State* L, StateData* data, Item* item);

enum class TableKind : uint8_t { kPlain, kList, kMap, kItemProxy };
TableKind GetTableKind(lua_State* L, int idx);

// Converts the value at `idx` to an attribute value. Never raises.
// Errors: InvalidArgument "<path>: <what>", path like "items[2].qty".
Status ToValue(lua_State* L, int idx, AttributeValue* out);
// Converts the item at `idx` (the active proxy, a map, or an unmarked table
// with string keys). For the active proxy, `move_native` lets untouched
// attributes be moved out of the native item instead of copied (only when
// nothing will read the proxy again). Never raises.
Status ToItem(lua_State* L, int idx, bool move_native, Item* out);

}  // namespace godwit::transform_internal

#endif  // GODWIT_TRANSFORM_LUA_TYPES_H_
