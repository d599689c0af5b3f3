// The grading harness: what every grader includes.
//
//  - Catch2 (v2 or v3, whichever the system has);
//  - a client per test (`grading::connect()`) that can record what it sent;
//  - `KeyScope`: a unique prefix for the keys a test creates, removed when the
//    test ends. Graders touch no key outside their scope and never flush;
//  - helpers to describe recorded commands and to start threads together.
//
// The one main (grading_main.cpp) checks the servers answer before any test
// runs, turns "not implemented" into a friendly line (once per task), shows
// the first failing test in full with its keys and the others one line each,
// stops a test that runs past its time limit, and ends with one RESULT line
// that `make test` and `make check` read. Tag every TEST_CASE with its task:
// TEST_CASE("a missing key is std::nullopt", "[task2]").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "workbook/catch.hpp"
#include "workbook/exercise.hpp"
#include "workbook/valkey.hpp"

namespace wb {
class Database;
}

namespace wb::grading {

// A fresh client for VALKEY_URL. Give one to the learner's code and turn on
// `record_commands()` to see what it sent.
Valkey connect();

// The shared PostgreSQL connection (DATABASE_URL), for graders that declared
// they need it (NEEDS postgres in the manifest).
Database& database();

// n random bytes from OpenSSL's RAND_bytes (a cryptographic source), as hex.
std::string random_hex(std::size_t bytes);

// Keys of one test: `key("user:1")` is "wbtest:<label>:<run>.<n>:user:1",
// where <run> is this grader process's random id and <n> counts its scopes.
// The destructor deletes every key under the prefix (found with SCAN), and
// nothing else. While a scope is alive, a failing assertion prints its keys.
// Keys a run could not delete (it was killed, or lost the server) are
// removed by a later run once this one's lease has expired (grading_main).
class KeyScope {
 public:
  explicit KeyScope(std::string_view label = "t");
  ~KeyScope();
  KeyScope(const KeyScope&) = delete;
  KeyScope& operator=(const KeyScope&) = delete;

  const std::string& prefix() const noexcept { return prefix_; }
  std::string key(std::string_view name) const { return prefix_ + std::string(name); }
  // The keys that exist under the prefix now, sorted.
  std::vector<std::string> keys() const;
  // One line per key: name (without the prefix), type, TTL, value.
  std::string view() const;

 private:
  std::string prefix_;
  mutable Valkey client_;
};

// What `f` threw, for a message: "wb::ReplyError: ...", "wb::Error: ...",
// "std::invalid_argument: ...", "an exception: ...", or "nothing".
// wb::NotImplemented goes through (a stub stays a stub).
std::string what_was_thrown(const std::function<void()>& f);

// "SET "k" "v" | GET "k"" - the commands, one per line, at most `max`.
std::string describe(const std::vector<SentCommand>& commands, std::size_t max = 20);
// How many recorded commands have this name (upper case: "SET", "SCRIPT LOAD").
std::size_t count(const std::vector<SentCommand>& commands, std::string_view name);
// The recorded commands with this name.
std::vector<SentCommand> only(const std::vector<SentCommand>& commands, std::string_view name);
// How many distinct round trips the commands used.
std::size_t round_trips(const std::vector<SentCommand>& commands);
// True when `argv` holds this argument (case-insensitive), e.g. has_arg(cmd, "EX").
bool has_arg(const SentCommand& command, std::string_view arg);

// Runs `work(client)` with a client in a dry run (see Valkey::dry_run): what
// the code tried to send is recorded and returned, and nothing reaches the
// server. For input the code must refuse (an empty key, an empty namespace):
// a wrong answer cannot then write to, or delete, keys outside the grader's
// own. Exceptions from `work` are swallowed except wb::NotImplemented; pass
// the learner's call inside a try/catch of your own to check the exception.
std::vector<SentCommand> dry_run(const std::function<void(Valkey&)>& work);

// Runs `work(i)` for i in [0, n) on n threads released at the same moment
// (a start barrier), waits for all, and rethrows the first exception one of
// them threw. Do assertions afterwards, on the calling thread.
void run_together(int n, const std::function<void(int)>& work);

// What the harness knows about the grader it is linked into.
struct Lesson {
  std::string id;  // "01-set-get"
  bool needs_postgres = false;
  std::string number() const;  // "1" (as in make test-1)
};
const Lesson& lesson();

struct Registration {
  Registration(const char* id, bool needs_postgres);
};

}  // namespace wb::grading

// The build defines these for every grader (from the lesson manifest).
#if defined(WB_LESSON_ID) && defined(WB_NEEDS_POSTGRES)
namespace {
const ::wb::grading::Registration wb_grader_registration{WB_LESSON_ID, WB_NEEDS_POSTGRES != 0};
}
#endif
