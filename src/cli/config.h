// godwit.toml: the project's settings file, and where the store lives.
//
// A minimal TOML subset:
//   file     := (line "\n")*
//   line     := ws [section | keyval] ws [comment]
//   section  := "[" ws name ws "]"
//   keyval   := name ws "=" ws value
//   name     := [A-Za-z0-9_-]+
//   value    := basic-string | literal-string | integer | "true" | "false"
//   basic-string   := '"' (char | "\\" ("\"" | "\\" | "n" | "t" | "r" |
//                      "uXXXX"))* '"'
//   literal-string := "'" char* "'"
//   integer  := ["+" | "-"] digit+ ("_" digit+)*
//   comment  := "#" anything
// Known settings (anything else is an error naming its line):
//   [store]       kind = "local" | "dynamodb"
//                 path = "..."           relative to the file's directory;
//                                        for "dynamodb" (older settings)
//                                        runs keep their files in
//                                        <path>/godwit-runs unless [state]
//                                        dir says otherwise
//                 endpoint = "http://..."  (dynamodb; default: AWS's)
//                 region = "eu-west-1"     (dynamodb; default: AWS_REGION...)
//                 profile = "name"         (dynamodb; ~/.aws profile)
//   [migrations]  dir  = "migrations"    relative to the file's directory
//   [state]       dir  = ".godwit/runs"  relative to the file's directory:
//                                        the state directory (StoreTarget)
//
// Example godwit.toml (what `godwit init` writes, with comments):
//   [store]
//   kind = "local"
//   path = ".godwit/data"
//
//   [migrations]
//   dir = "migrations"
//
//   [state]
//   dir = ".godwit/runs"
#ifndef GODWIT_CLI_CONFIG_H_
#define GODWIT_CLI_CONFIG_H_

#include <string>

#include "cli/cli.h"
#include "godwit/status.h"

namespace godwit::cli {

struct Config {
  std::string store_kind = "local";  // or "dynamodb"
  std::string store_endpoint, store_region, store_profile;
  // As written in the file (empty if absent) and resolved against the
  // file's directory.
  std::string store_path;
  std::string migrations_dir = "migrations";
  // [state] dir, resolved against the file's directory (empty if absent).
  std::string state_dir;
  // The file this came from (empty for defaults).
  std::string source;
};

// Reads and checks a settings file.
// Errors: NotFound (no such file); InvalidArgument "PATH:LINE: ..." for
// anything outside the subset or an unknown setting; IOError.
Result<Config> LoadConfig(const std::string& path);

// The settings in force: the file at options.config_path if it exists, else
// the defaults (a missing godwit.toml is not an error).
Result<Config> LoadConfigOrDefault(const GlobalOptions& options);

// Which store the commands use. --store takes a directory (the embedded
// store), "dynamodb" (AWS; endpoint, region and credentials from the
// environment and ~/.aws, docs/remote.md) or an http(s):// endpoint of
// anything speaking the DynamoDB API (godwit serve, moto, Alternator);
// without it, godwit.toml's [store], else ./.godwit/data.
//
// The state directory, where every run keeps its journal, dead letters and
// control files (a run of T in <state dir>/T), never depends on the
// directory a command starts in:
//   1. --state-dir DIR;
//   2. else [state] dir of godwit.toml (relative to the file);
//   3. else the embedded store's <store path>/godwit-runs (the runs' files
//      travel with the store);
//   4. else, for a remote store, [store] path/godwit-runs when godwit.toml
//      has one (older settings), else .godwit/runs next to godwit.toml;
//   5. else none: a run on a remote store without godwit.toml refuses to
//      start (ResolveStateDir says what to give).
struct StoreTarget {
  bool remote = false;
  // Local: the store directory. Remote: empty.
  std::string path;
  std::string endpoint, region, profile;  // remote; empty: resolved later
  // An absolute path; empty in case 5.
  std::string state_dir;
};
// Errors: those of LoadConfig; InvalidArgument for an unknown store kind
// and for a --store URL whose scheme is not http or https ("htp://...").
Result<StoreTarget> ResolveStore(const GlobalOptions& options);
// ResolveStore(options).path.
Result<std::string> ResolveStorePath(const GlobalOptions& options);
// ResolveStore(options).state_dir. Errors: those of ResolveStore;
// FailedPrecondition, saying what to give, when there is none (case 5).
Result<std::string> ResolveStateDir(const GlobalOptions& options);
// The same for a resolved target.
Result<std::string> StateDirOf(const StoreTarget& target);

}  // namespace godwit::cli

#endif  // GODWIT_CLI_CONFIG_H_
