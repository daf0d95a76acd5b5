// godwit.binary: a DynamoDB B value in Lua. Immutable userdata holding the
// bytes; b:bytes(), b:base64() (also its tostring), #b, ==.
#include "transform/lua_internal.h"

namespace godwit::transform_internal {

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

namespace {

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

}  // namespace

int BinaryNew(lua_State* L) {
  size_t n;
  const char* s = luaL_checklstring(L, 1, &n);
  NewBinary(L, std::string_view(s, n));
  return 1;
}

void RegisterBinary(lua_State* L) {
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
}

}  // namespace godwit::transform_internal
