// The sandbox every migration runs in (internal to the transform layer): the
// capped allocator, the instruction-budget hook, the environment builder,
// print/ctx.log, and the error message handler.
//
// A migration's chunk runs with its own _ENV made by make_env (see
// sandbox.cc): the safe parts of the base library, copies of string, table,
// math, utf8 and coroutine, `load` restricted to text chunks, and `godwit`.
// There is no io, os (but for os.time/os.clock/os.date, which raise),
// require, dofile, loadfile, collectgarbage or debug. math.random and
// math.randomseed raise a determinism error (and record it in
// StateData::violation). The count hook fails a call after
// StateData::budget VM instructions; the allocator refuses memory past
// StateData::mem_limit.
#ifndef GODWIT_TRANSFORM_SANDBOX_H_
#define GODWIT_TRANSFORM_SANDBOX_H_

#include <cstdint>
#include <lua.hpp>
#include <string>
#include <string_view>

namespace godwit::transform_internal {

// The count hook runs every kHookEvery instructions.
inline constexpr int kHookEvery = 1000;

// lua_Alloc with `ud` the state's StateData: refuses growth past mem_limit
// (sets mem_limit_hit) and keeps mem_used.
void* LimitedAlloc(void* ud, void* ptr, size_t osize, size_t nsize);
// A new Lua state using LimitedAlloc over `data` (which must outlive it),
// with the state data set and the count hook installed; null if even that
// does not fit in data->mem_limit.
struct StateData;
lua_State* NewSandboxState(StateData* data);

// lua_CFunction. Opens the safe standard libraries, registers the godwit
// types and returns make_env(godwit, print) -> a fresh _ENV. Raises.
int OpenSandbox(lua_State* L);

// lua_CFunction, a closure over its prefix ("[0002_x] "): print(...) and
// ctx.log(...) send the tab-separated tostring of their arguments to
// StateData::log. Raises.
int Print(lua_State* L);

// The message handler of every protected call: the message (or the error
// object's __tostring) and Lua's stack traceback.
int MessageHandler(lua_State* L);

// Splits "message\nstack traceback:\n..." into its two parts.
void SplitTraceback(std::string_view s, std::string* reason,
                    std::string* traceback);

// "2023-11-14T22:13:20.123Z".
std::string IsoTime(int64_t micros);

}  // namespace godwit::transform_internal

#endif  // GODWIT_TRANSFORM_SANDBOX_H_
