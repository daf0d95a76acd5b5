// Crash test: a child process writes to the store with the default options
// and reports each acknowledged write over a pipe; the parent SIGKILLs it
// mid-stream, reopens the store and checks that every acknowledged write is
// there, with its change record. Several rounds on the same store.
//
// The child is this test binary re-executed (fork + execve of
// /proc/self/exe, so it starts clean, without the parent's threads): a
// static initializer below sees GODWIT_STORE_CRASH_CHILD and runs the child
// before gtest's main.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "store/store_test_util.h"
#include "testutil/temp_dir.h"

extern char** environ;

namespace godwit::test {
namespace {

constexpr int kChildThreads = 4;
constexpr int kKeysPerThread = 8;
constexpr int kChildFd = 100;

int64_t VersionOf(const Item& item) { return *item.Find("v")->n().ToInt64(); }

void WriteLine(int fd, const std::string& line) {
  // One write per line (< PIPE_BUF bytes): lines never interleave.
  ssize_t r;
  do {
    r = ::write(fd, line.data(), line.size());
  } while (r < 0 && errno == EINTR);
  if (r != static_cast<ssize_t>(line.size())) ::_exit(3);
}

[[noreturn]] void RunChild(const char* path) {
  const int fd = std::atoi(std::getenv("GODWIT_STORE_CRASH_FD"));
  const int64_t round = std::atoll(std::getenv("GODWIT_STORE_CRASH_ROUND"));
  LocalStoreOptions o;  // the defaults: sync per group commit
  o.path = path;
  auto store = OpenLocalStore(o);
  if (!store.ok()) {
    std::fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    ::_exit(2);
  }
  Status s = (*store)->CreateTable("Crash", {HashSchema(), true});
  if (!s.ok() && s.code() != StatusCode::kAlreadyExists) ::_exit(2);
  auto table = (*store)->GetTable("Crash");
  if (!table.ok()) ::_exit(2);
  std::shared_ptr<Table> t = *table;
  std::vector<std::thread> threads;
  for (int w = 0; w < kChildThreads; ++w) {
    threads.emplace_back([t, fd, round, w] {
      std::mt19937_64 rng(round * 100 + w);
      for (int64_t i = 0;; ++i) {
        std::string key = "w" + std::to_string(w) + "-k" +
                          std::to_string(rng() % kKeysPerThread);
        if (rng() % 4 != 0) {
          int64_t v = round * 1000000000 + w * 10000000 + i;
          auto r = t->Put(MakeItem(key, std::nullopt, v));
          if (!r.ok()) ::_exit(4);
          WriteLine(fd, "P " + key + " " + std::to_string(v) + "\n");
        } else {
          auto r = t->Delete(HashKey(key));
          if (!r.ok()) ::_exit(4);
          WriteLine(fd, "D " + key + " " + (r->has_value() ? "1" : "0") + "\n");
        }
      }
    });
  }
  // The parent kills us; never outlive a lost parent for long.
  std::this_thread::sleep_for(std::chrono::seconds(60));
  ::_exit(5);
}

int MaybeRunChild() {
  if (const char* path = std::getenv("GODWIT_STORE_CRASH_CHILD"))
    RunChild(path);
  return 0;
}
const int g_child = MaybeRunChild();

// One write as seen by the test: "P v" (put of version v) or "D" (delete
// that removed an item).
struct Op {
  bool put;
  int64_t version;
  friend bool operator==(const Op&, const Op&) = default;
};
std::string ToString(const std::vector<Op>& ops) {
  std::string s;
  for (const Op& o : ops)
    s += o.put ? "P" + std::to_string(o.version) + " " : "D ";
  return s;
}

struct ChildRun {
  std::map<std::string, std::vector<Op>> acked;  // per key, in ack order
  int lines = 0;
};

// Runs one child round; kills it after `kill_after` acknowledgements.
ChildRun RunRound(const std::string& path, int round, int kill_after) {
  ChildRun run;
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::string exe = "/proc/self/exe";
  std::vector<std::string> env_strings = {
      "GODWIT_STORE_CRASH_CHILD=" + path,
      "GODWIT_STORE_CRASH_FD=" + std::to_string(kChildFd),
      "GODWIT_STORE_CRASH_ROUND=" + std::to_string(round)};
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "GODWIT_STORE_CRASH_", 19) != 0)
      env_strings.push_back(*e);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--gtest_filter=-*";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (::dup2(fds[1], kChildFd) < 0) ::_exit(6);
    ::execve(exe.c_str(), argv, envp.data());
    ::_exit(7);
  }
  EXPECT_GT(pid, 0);
  ::close(fds[1]);
  std::string buf;
  bool killed = false;
  char chunk[4096];
  auto parse = [&](bool all) {
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::istringstream line(buf.substr(0, nl));
      buf.erase(0, nl + 1);
      char kind;
      std::string key;
      int64_t arg;
      line >> kind >> key >> arg;
      ++run.lines;
      if (kind == 'P') {
        run.acked[key].push_back({true, arg});
      } else if (arg == 1) {
        run.acked[key].push_back({false, 0});
      }
    }
  };
  while (true) {
    ssize_t n = ::read(fds[0], chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    parse(false);
    if (!killed && run.lines >= kill_after) {
      ::kill(pid, SIGKILL);
      killed = true;
      // Keep reading: lines written before the kill are acknowledged too.
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(killed) << "child ended on its own, status " << status;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child status " << status;
  return run;
}

TEST(CrashTest, AcknowledgedWritesSurviveSigkillWithTheirRecords) {
  TempDir dir;
  const std::string path = dir.Join("db");
  // The truth so far: per key, every committed write in commit order.
  std::map<std::string, std::vector<Op>> truth;
  std::mt19937_64 rng(7);
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    int kill_after = 150 + static_cast<int>(rng() % 250);
    ChildRun run = RunRound(path, round, kill_after);
    ASSERT_GE(run.lines, kill_after);

    LocalStoreOptions o;
    o.path = path;
    o.create_if_missing = false;
    ASSERT_OK_AND_ASSIGN(auto store, OpenLocalStore(o));
    ASSERT_OK_AND_ASSIGN(auto t, store->GetTable("Crash"));
    std::vector<ChangeRecord> records = ReadAll(*t);
    // Dense from 1, and replaying the stream gives the table.
    std::map<std::string, std::vector<Op>> stream_ops;
    std::map<std::string, Item> replay;
    for (size_t i = 0; i < records.size(); ++i) {
      const ChangeRecord& r = records[i];
      ASSERT_EQ(r.sequence, i + 1);
      std::string key = r.keys.Find("pk")->s();
      if (r.new_image) {
        stream_ops[key].push_back({true, VersionOf(*r.new_image)});
        replay[key] = *r.new_image;
      } else {
        stream_ops[key].push_back({false, 0});
        replay.erase(key);
      }
    }
    std::map<std::string, Item> table;
    for (Item& i : ScanAll(*t)) table[i.Find("pk")->s()] = i;
    EXPECT_TRUE(replay == table) << "round " << round;
    ASSERT_OK_AND_ASSIGN(TableDescription d, t->Describe());
    EXPECT_EQ(d.latest_sequence, records.size());
    EXPECT_EQ(d.item_count, table.size());

    // Per key: the stream = what was true before + this round's acked
    // writes + at most one unacknowledged write that committed before the
    // kill (one in flight per child thread).
    std::map<int, int> extra_per_thread;
    std::set<std::string> keys;
    for (auto& [k, v] : stream_ops) keys.insert(k);
    for (auto& [k, v] : run.acked) keys.insert(k);
    for (auto& [k, v] : truth) keys.insert(k);
    for (const std::string& key : keys) {
      std::vector<Op> want = truth[key];
      for (const Op& op : run.acked[key]) want.push_back(op);
      const std::vector<Op>& got = stream_ops[key];
      ASSERT_GE(got.size(), want.size())
          << "round " << round << " key " << key << ": acknowledged writes "
          << "missing from the stream\n want " << ToString(want) << "\n got  "
          << ToString(got);
      ASSERT_LE(got.size(), want.size() + 1) << "key " << key;
      EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin()))
          << "round " << round << " key " << key << "\n want " << ToString(want)
          << "\n got  " << ToString(got);
      if (got.size() == want.size() + 1) {
        ++extra_per_thread[key[1] - '0'];
        if (got.back().put) {
          EXPECT_GE(got.back().version, round * int64_t{1000000000});
        }
      }
      truth[key] = got;
    }
    for (auto& [w, n] : extra_per_thread) {
      EXPECT_LE(n, 1) << "thread " << w << " has more than one unacked write";
    }
  }
}

}  // namespace
}  // namespace godwit::test
