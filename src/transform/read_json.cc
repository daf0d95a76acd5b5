// godwit.read_json(path): a JSON file (plain JSON, not DynamoDB-JSON) as Lua
// values: objects become godwit.map tables, arrays godwit.list tables, null
// godwit.null, integers Lua integers, other numbers floats.
//
// The sandbox: `path` is relative to the migration's folder and must name a
// file inside the migrations folder (the root). Both are made canonical
// (symlinks resolved, "." and ".." removed) and compared component by
// component, so neither "../../migrations_secret/x.json" (a sibling whose
// name starts with the root's) nor a symlink pointing outside gets through.
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <system_error>

#include "transform/lua_internal.h"

namespace godwit::transform_internal {
namespace fs = std::filesystem;

Result<std::string> ResolveReadJsonPath(std::string_view base_dir,
                                        std::string_view root_dir,
                                        std::string_view rel) {
  auto quoted = [&] { return "read_json: \"" + std::string(rel) + "\""; };
  if (rel.empty()) {
    return Status::InvalidArgument(quoted() + ": the path is empty");
  }
  fs::path p(rel);
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory()) {
    return Status::InvalidArgument(
        quoted() + ": the path must be relative to the migration file");
  }
  std::error_code ec;
  fs::path top = fs::weakly_canonical(fs::absolute(fs::path(root_dir), ec), ec);
  if (ec) {
    return Status::IOError("read_json: the migrations folder " +
                           std::string(root_dir) + ": " + ec.message());
  }
  fs::path full =
      fs::weakly_canonical(fs::absolute(fs::path(base_dir) / p, ec), ec);
  if (ec) {
    return Status::IOError(quoted() + ": " + ec.message());
  }
  // "/p/migrations/" ends in an empty component; it names the same folder.
  if (!top.has_filename()) top = top.parent_path();
  auto [t, f] = std::mismatch(top.begin(), top.end(), full.begin(), full.end());
  if (t != top.end() || f == full.end()) {
    return Status::InvalidArgument(
        quoted() + " is outside the migrations folder " +
        std::string(root_dir) + " (it resolves to " + full.string() + ")");
  }
  return full.string();
}

namespace {

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
  Result<std::string> full = ResolveReadJsonPath(base, root, rel);
  if (!full.ok()) {
    h->error = std::string(full.status().message());
    return false;
  }
  std::ifstream in(*full, std::ios::binary);
  if (!in) {
    h->error = "read_json: cannot open " + *full;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  h->text = std::move(ss).str();
  auto r = h->parser.parse(h->text);
  if (r.error()) {
    h->error = "read_json: " + *full + ": " +
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

}  // namespace

void PushReadJson(lua_State* L, const std::string& base_dir,
                  const std::string& root_dir) {
  lua_pushlstring(L, base_dir.data(), base_dir.size());
  lua_pushlstring(L, root_dir.data(), root_dir.size());
  lua_pushcclosure(L, ReadJson, 2);
}

void RegisterReadJson(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, GcUd<JsonHolder>);
  lua_setfield(L, -2, "__gc");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kJsonHolderMt);
}

}  // namespace godwit::transform_internal
