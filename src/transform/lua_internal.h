// Shared by the files that implement the Lua view of values (lua_*.cc,
// item_proxy.cc, read_json.cc); nothing outside them includes it.
//
// Registry layout (light-userdata keys, so a lookup never allocates):
//   &kDecimalMt     metatable of godwit.decimal   userdata: Number
//   &kBinaryMt      metatable of godwit.binary    userdata: BinaryUd
//   &kSetMt         metatable of godwit.set       userdata: SetUd
//   &kNullKey       the godwit.null sentinel      userdata: 0 bytes
//   &kListMt        {__name = "godwit.list"}
//   &kMapMt         {__name = "godwit.map", __pairs = sorted pairs}
//   &kItemMt        the item proxy's metatable
//   &kJsonHolderMt  {__gc} of read_json's scratch parser
//
// Raising: as in lua_types.h. "Never raises" functions may be called outside
// a protected call; the others only from C functions running under
// lua_pcall, with no live C++ object that needs a destructor.
#ifndef GODWIT_TRANSFORM_LUA_INTERNAL_H_
#define GODWIT_TRANSFORM_LUA_INTERNAL_H_

#include <lua.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "godwit/item.h"
#include "godwit/status.h"
#include "transform/lua_types.h"

namespace godwit::transform_internal {

// Registry keys: only their addresses matter.
inline char kDecimalMt, kBinaryMt, kSetMt, kNullKey, kListMt, kMapMt, kItemMt,
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

// ---- Small helpers that never raise (lua_common.cc) -----------------------

bool HasMetatable(lua_State* L, int idx, const void* key);

// The userdata at `idx` if it carries the metatable registered at `key`.
template <typename T>
T* ToUd(lua_State* L, int idx, const void* key) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return nullptr;
  if (!HasMetatable(L, idx, key)) return nullptr;
  return static_cast<T*>(lua_touserdata(L, idx));
}

bool IsNull(lua_State* L, int idx);

// Copies the status message into err[cap] (truncated, NUL-terminated).
void CopyError(const Status& s, char* err, size_t cap);

// A Lua number, decimal or numeric string as a Number; false with err set
// otherwise.
bool OperandToNumber(lua_State* L, int idx, Number* out, char* err, size_t cap);

// ---- Constructors (raise on memory errors only) ---------------------------

Number* NewDecimal(lua_State* L, const Number& n);
BinaryUd* NewBinary(lua_State* L, std::string_view bytes);
SetUd* NewSet(lua_State* L, AttrType type);
// An integer, an exact float, or else a decimal.
void PushNumber(lua_State* L, const Number& n);

// __gc of a userdata holding a T.
template <typename T>
int GcUd(lua_State* L) {
  static_cast<T*>(lua_touserdata(L, 1))->~T();
  return 0;
}

// __concat: tostring of both operands (decimals as their text), joined.
int ConcatWithToString(lua_State* L);

// ---- Per type: metatables and constructors --------------------------------

// lua_decimal.cc
void RegisterDecimal(lua_State* L);
int DecimalNew(lua_State* L);  // godwit.decimal(x)

// lua_binary.cc
void RegisterBinary(lua_State* L);
int BinaryNew(lua_State* L);  // godwit.binary(bytes)
// Standard base64 with padding, appended to a Lua buffer. Raises.
void AddBase64(luaL_Buffer* b, const std::string& bytes);

// lua_set.cc
void RegisterSet(lua_State* L);
int SetNew(lua_State* L);             // godwit.set{...}: type from the members
int StringSetNew(lua_State* L);       // godwit.string_set{...}
int NumberSetNew(lua_State* L);       // godwit.number_set{...}
int BinarySetNew(lua_State* L);       // godwit.binary_set{...}
const char* SetTypeName(AttrType t);  // "SS", "NS", "BS"
// The stored value of a set. Errors: InvalidArgument for an empty set.
// Never raises.
Status SetToValue(const SetUd* set, AttributeValue* out);

// lua_library.cc: pairs() over a map or item in byte order of the names, for
// the table at index 1. Raises.
int SortedPairsOf(lua_State* L);

// item_proxy.cc
void RegisterItemProxy(lua_State* L);
// The index of `name` in `item` (sorted), or -1.
ptrdiff_t FindAttribute(const Item& item, std::string_view name);
// Converts the active proxy at `idx`: untouched attributes as they are
// (moved if `move`), read or assigned ones converted. Never raises.
Status ProxyToItem(lua_State* L, int idx, int depth, bool move, Item* out);

// read_json.cc
void RegisterReadJson(lua_State* L);

// lua_convert.cc: Lua -> AttributeValue at a nesting depth. Never raises.
Status ToValueAt(lua_State* L, int idx, int depth, AttributeValue* out);
// True if the value at `idx` would convert to exactly `v`. Never raises.
bool EqualsNative(lua_State* L, int idx, const AttributeValue& v, int depth);
// "<segment><inner path>: what" from a nested error.
Status PathError(std::string_view segment, const Status& inner);

}  // namespace godwit::transform_internal

#endif  // GODWIT_TRANSFORM_LUA_INTERNAL_H_
