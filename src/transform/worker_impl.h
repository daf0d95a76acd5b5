// TransformWorker::Impl: one Lua state with a Transform's migrations loaded
// (internal to the transform layer).
//
//   worker_load.cc  making the state: the sandbox, each file compiled, run,
//                   its table checked (fields, key_schema, indexes), prepare
//   worker.cc       the per-item calls of up/down/validate, composition of
//                   the migrations over one item, the determinism check
//
// Every entry into Lua is a lua_pcall of a C function ("trampoline") that
// holds no C++ object with a destructor; conversions from Lua back to C++
// happen after the pcall with API calls that cannot raise. So a Lua error
// never longjmps over a C++ destructor.
//
// Threads: one thread at a time (the worker's).
#ifndef GODWIT_TRANSFORM_WORKER_IMPL_H_
#define GODWIT_TRANSFORM_WORKER_IMPL_H_

#include <lua.hpp>
#include <memory>
#include <string>
#include <vector>

#include "godwit/transform.h"
#include "transform/lua_types.h"

namespace godwit {

struct TransformWorker::Impl {
  // Registry references of one loaded migration.
  struct Mig {
    int up = LUA_NOREF, down = LUA_NOREF, validate = LUA_NOREF;
    int prepare = LUA_NOREF;
    int log = LUA_NOREF;  // its print / ctx.log closure
    int ctx = LUA_NOREF;
    int description = LUA_NOREF;
  };

  // One problem of one file, found while loading.
  struct Problem {
    size_t file = 0;      // index into transform->files()
    int line = 0;         // 0: Lua gave no line
    bool syntax = false;  // a syntax error (the file did not compile)
    std::string message;  // without the path and line
    std::string traceback;
  };

  // What loading is doing, so that an error is reported as what it is.
  enum class Stage : uint8_t {
    kSandbox,
    kCompile,
    kRunChunk,
    kCheck,
    kPrepare
  };

  // The outcome of one protected call.
  struct CallError {
    std::string reason;
    std::string traceback;
  };

  std::shared_ptr<const Transform> transform;
  transform_internal::StateData sd;  // must outlive L
  lua_State* L = nullptr;
  std::vector<Mig> migs;
  std::vector<MigrationInfo> infos;      // complete only if loading succeeded
  std::vector<std::string> chunk_names;  // "@path"
  // How Lua shows each path in messages: "...rs/0003_x.lua" when longer than
  // LUA_IDSIZE. ExpandChunkNames puts the paths back.
  std::vector<std::string> short_names;
  bool names_shortened = false;
  std::vector<std::string> ids;
  std::vector<std::string> dirs;  // each file's folder
  std::string root;               // the migrations folder
  std::string now_iso;
  Stage stage = Stage::kSandbox;
  int make_env_ref = LUA_NOREF;
  int godwit_base_ref = LUA_NOREF;

  ~Impl() {
    if (L != nullptr) lua_close(L);
  }

  const TransformOptions& opts() const { return transform->options(); }
  const std::vector<MigrationFile>& files() const { return transform->files(); }

  // ---- worker_load.cc

  // Load(stop_at_first=true); a file's problems become one InvalidArgument
  // naming the file (each problem on its own line).
  Status Setup();
  // Makes the state and loads every file, appending each file's problems.
  // With `stop_at_first`, stops after the first file that has any.
  // Errors (the state itself): ResourceExhausted, InvalidArgument for a
  // failure of the sandbox's own bootstrap.
  Status Load(bool stop_at_first, std::vector<Problem>* problems);
  // `s` with every shortened chunk name replaced by its full path.
  std::string ExpandChunkNames(std::string s) const;
  // "path:line: message" (and the traceback), or "syntax error in
  // path:line: message".
  std::string FormatProblem(const Problem& p) const;

  // ---- worker.cc

  // Runs fn_ref(item, ctx) with `item` shown per the view mode. On success
  // the `nresults` results are on the stack above `*base`.
  bool Call(int fn_ref, int ctx_ref, Item* item, int nresults, int* base,
            CallError* err);
  void EndCall(int base);

  // One migration's up (or down) on one item.
  bool Step(size_t m, bool down, Item item, std::vector<Item>* out,
            CallError* err);
  // validate(item): true, or false and the reason.
  bool RunValidate(size_t m, const Item& item, std::string* reason,
                   std::string* traceback);
  ItemOutcome Run(Item item, bool down);
};

}  // namespace godwit

#endif  // GODWIT_TRANSFORM_WORKER_IMPL_H_
