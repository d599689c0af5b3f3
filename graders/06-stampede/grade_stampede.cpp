// Grader for lesson 06 - Stampedes: locks and early expiration.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stampede.hpp"
#include "workbook/grading.hpp"
#include "workbook/grading_random.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
namespace grading = wb::grading;
namespace fake_rand = wb::grading::fake_rand;

namespace {

bool is_token(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string shown(const std::optional<std::string>& v) {
  return v ? "\"" + *v + "\"" : "nil (no such key)";
}

long long ms_since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start).count();
}

// The exception a failing loader throws in these tests.
struct LoaderFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The SET commands that were sent for `lock_key`.
std::vector<wb::SentCommand> lock_sets(const std::vector<wb::SentCommand>& sent,
                                       const std::string& lock_key) {
  std::vector<wb::SentCommand> out;
  for (const auto& c : grading::only(sent, "SET"))
    if (c.argv.size() > 1 && c.argv[1] == lock_key) out.push_back(c);
  return out;
}

// Why the loader ran more than once, read from what was sent.
std::string why_loaded_twice(const std::vector<wb::SentCommand>& sent,
                             const std::string& lock_key) {
  auto sets = lock_sets(sent, lock_key);
  if (sets.empty())
    return "No SET on " + lock_key +
           " was sent: there is no lock, so every caller that "
           "missed ran the loader (mistake: no lock).";
  for (const auto& c : sets)
    if (!grading::has_arg(c, "NX"))
      return "The lock was set with " + c.to_string() +
             " - without NX. Checking the lock with "
             "GET and then SETting it lets two callers both find the lock free and both take it; "
             "SET ... NX decides in one step, inside the server.";
  return "The lock was taken with SET NX, and still the loader ran more than once. After "
         "winning the lock, read the cache again before loading: a caller that missed just "
         "before the winner stored the value can win the lock right after it was released.";
}

// 64 random bits that any uniform, in-order unit_interval turns into about `u`.
std::uint64_t bits_for(double u) { return static_cast<std::uint64_t>(std::ldexp(u, 64)); }

// Writes an early-expiration entry the way task 7 stores one.
void put_entry(wb::Valkey& client, const std::string& key, const std::string& value,
               const std::string& delta_ms, milliseconds ttl) {
  client.del(key);
  client.command("HSET", key, stampede::kValueField, value, stampede::kDeltaField, delta_ms);
  client.pexpire(key, ttl);
}

// A clock that moves only when a test says so.
struct FakeClock {
  steady_clock::time_point now{};
};

}  // namespace

// ---- Task 1: make_token --------------------------------------------------------

TEST_CASE("make_token gives 32 lowercase hex characters (128 random bits)", "[task1]") {
  std::string token = stampede::make_token();
  INFO("make_token returned \"" << token << "\" (" << token.size()
                                << " characters). Expected 16 "
                                   "bytes from RAND_bytes written as 32 characters from 0-9a-f.");
  REQUIRE(is_token(token));
}

TEST_CASE("make_token never repeats: 20,000 tokens from 8 threads are all different", "[task1]") {
  constexpr int threads = 8, each = 2500;
  std::vector<std::vector<std::string>> made(threads);
  grading::run_together(threads, [&](int i) {
    for (int n = 0; n < each; ++n)
      made[static_cast<std::size_t>(i)].push_back(stampede::make_token());
  });
  std::set<std::string> distinct;
  for (const auto& v : made) distinct.insert(v.begin(), v.end());
  INFO(threads * each
       << " tokens, " << distinct.size()
       << " different. A token anyone can "
          "predict lets them release your lock. A generator seeded the same way everywhere (a "
          "default-constructed std::mt19937, srand(time(nullptr))) gives threads and servers the "
          "same tokens: use OpenSSL's RAND_bytes.");
  REQUIRE(distinct.size() == static_cast<std::size_t>(threads * each));
}

TEST_CASE("every byte of the token is random: no part of it is fixed or copied", "[task1]") {
  // Byte i of a token is characters 2i and 2i+1. Over 2000 tokens, a random
  // byte takes nearly all of its 256 values (255.9 expected; fewer than 200
  // happens with probability far below 1e-30). A byte left at zero, or a
  // nibble written twice, gives 1 or 16.
  constexpr int count = 2000;
  std::vector<std::set<std::string>> values(16);
  std::string sample;
  for (int n = 0; n < count; ++n) {
    std::string token = stampede::make_token();
    if (n == 0) sample = token;
    if (!is_token(token)) {
      INFO("make_token returned \"" << token << "\": not 32 characters from 0-9a-f.");
      REQUIRE(is_token(token));
    }
    for (std::size_t i = 0; i < 16; ++i) values[i].insert(token.substr(2 * i, 2));
  }
  for (std::size_t i = 0; i < 16; ++i) {
    INFO("Byte " << i + 1 << " of the token (characters " << 2 * i + 1 << " and " << 2 * i + 2
                 << ") took only " << values[i].size() << " different values in " << count
                 << " tokens (a random byte takes nearly all 256); one token was \"" << sample
                 << "\". Part of the token is not random: "
                 << (values[i].size() == 1 ? "those bytes are never filled (ask RAND_bytes for all "
                                             "16 bytes) "
                                           : "each byte must give two different hex digits, its "
                                             "high half (b >> 4) and its low half (b & 15) ")
                 << "- a guessable part makes the whole token easier to guess.");
    REQUIRE(values[i].size() >= 200);
  }
}

// The tests below feed make_token chosen bytes, or a failing source, through
// the grader's RAND_bytes (workbook/grading_random.hpp).

TEST_CASE("make_token writes the bytes RAND_bytes gave, in order, as lowercase hex", "[task1]") {
  const std::vector<unsigned char> bytes = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                            0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
  const std::string expected = "0123456789abcdeffedcba9876543210";
  const fake_rand::Drawn drawn = fake_rand::call_with_bytes(bytes, stampede::make_token);
  const std::string& token = drawn.returned;
  {
    INFO("make_token returned \"" << token
                                  << "\" and never called RAND_bytes. A token from "
                                     "std::random_device or std::mt19937 does not come from "
                                     "OpenSSL's generator: take all 16 bytes from RAND_bytes "
                                     "(<openssl/rand.h>).");
    REQUIRE(drawn.calls > 0);
  }
  INFO("Fed the bytes 01 23 45 ... 32 10 by RAND_bytes (asked for "
       << drawn.bytes << " bytes in " << drawn.calls << (drawn.calls == 1 ? " call" : " calls")
       << "), make_token returned \"" << token << "\"; expected \"" << expected
       << "\": each byte as two characters, its high half (b >> 4) first, then its low half "
          "(b & 15), in the order RAND_bytes gave them. Nothing else goes into the token.");
  REQUIRE(token == expected);
}

TEST_CASE("make_token throws std::runtime_error when RAND_bytes fails with 0", "[task1]") {
  fake_rand::require_throws_when_failing(0, "make_token", "token", stampede::make_token);
}

TEST_CASE("make_token throws std::runtime_error when RAND_bytes fails with -1", "[task1]") {
  fake_rand::require_throws_when_failing(-1, "make_token", "token", stampede::make_token);
}

// ---- Task 2: acquire_lock --------------------------------------------------------

TEST_CASE("acquire_lock takes a free lock: the key holds the returned token and expires",
          "[task2]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string lock = keys.key("report:lock");

  auto token = stampede::acquire_lock(client, lock, 5000ms);
  {
    INFO("acquire_lock on a free lock returned std::nullopt; it should have taken it.");
    REQUIRE(token.has_value());
  }
  auto held = client.get(lock);
  {
    INFO("acquire_lock returned \"" << *token << "\"; the lock key holds " << shown(held) << ".");
    REQUIRE(held == *token);
  }
  {
    INFO("The lock holds \""
         << *held
         << "\", not a random token (32 hex characters from "
            "make_token). With a fixed value, any caller can release a lock that is not theirs.");
    REQUIRE(is_token(*held));
  }
  long long pttl = client.pttl(lock);
  INFO("PTTL of the lock is "
       << pttl
       << " ms; expected between 1 and 5000. -1 means the lock has "
          "no expiry: if its owner crashes, nobody can ever take it again and the key is never "
          "rebuilt. Give SET a PX.");
  REQUIRE(pttl > 0);
  REQUIRE(pttl <= 5000);
}

TEST_CASE("acquire_lock sends one SET with NX and PX: the lock never exists without expiry",
          "[task2]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  client.workbook_record_commands();
  stampede::acquire_lock(client, keys.key("report:lock"), 5000ms);
  auto sent = client.workbook_recorded_commands();
  INFO("acquire_lock sent:\n"
       << grading::describe(sent)
       << "Expected exactly one command: SET lock token NX PX 5000. SETNX (or SET NX) followed "
          "by PEXPIRE is two steps: a crash between them leaves a lock that never expires.");
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].name() == "SET");
  REQUIRE(grading::has_arg(sent[0], "NX"));
  REQUIRE((grading::has_arg(sent[0], "PX") || grading::has_arg(sent[0], "EX")));
}

TEST_CASE("acquire_lock leaves a held lock alone and returns std::nullopt", "[task2]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string lock = keys.key("report:lock");
  client.set(lock, "someone-elses-token", 5000ms);

  auto token = stampede::acquire_lock(client, lock, 5000ms);
  {
    INFO("The lock was held by another caller; acquire_lock returned "
         << (token ? "\"" + *token + "\"" : "std::nullopt") << ", expected std::nullopt.");
    CHECK_FALSE(token.has_value());
  }
  auto held = client.get(lock);
  INFO("The other caller's lock now holds "
       << shown(held)
       << ": acquire_lock must not overwrite "
          "a lock it did not get (SET NX leaves an existing key alone).");
  REQUIRE(held == "someone-elses-token"s);
}

TEST_CASE("acquire_lock refuses a ttl of zero or less before sending anything", "[task2]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  client.workbook_record_commands();
  {
    INFO(
        "A lock without a positive expiry is a lock that may never go away: task 2 asks for "
        "std::invalid_argument.");
    REQUIRE_THROWS_AS(stampede::acquire_lock(client, keys.key("l"), 0ms), std::invalid_argument);
    REQUIRE_THROWS_AS(stampede::acquire_lock(client, keys.key("l"), -5ms), std::invalid_argument);
  }
  auto sent = client.workbook_recorded_commands();
  INFO("Commands sent before refusing:\n" << grading::describe(sent));
  REQUIRE(sent.empty());
}

// ---- Task 3: release_lock --------------------------------------------------------

TEST_CASE("release_lock deletes the lock when it holds your token", "[task3]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string lock = keys.key("report:lock");
  client.set(lock, "my-token", 5000ms);
  bool released = stampede::release_lock(client, lock, "my-token");
  {
    INFO("release_lock with the lock's own token returned " << released << ", expected true.");
    CHECK(released);
  }
  INFO("After release_lock the lock still exists.");
  REQUIRE(client.exists(lock) == 0);
}

TEST_CASE("release_lock leaves another owner's lock in place and returns false", "[task3]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string lock = keys.key("report:lock");
  client.set(lock, "new-owners-token", 5000ms);
  bool released = stampede::release_lock(client, lock, "my-old-token");
  auto held = client.get(lock);
  {
    INFO(
        "The lock holds another caller's token (yours expired, they took it). After "
        "release_lock with your old token, the lock holds "
        << shown(held)
        << ". A plain DEL "
           "removes whoever's lock is there now, and a third caller starts loading alongside the "
           "new owner. Delete only when the value is still your token.");
    REQUIRE(held == "new-owners-token"s);
  }
  INFO("release_lock returned true, but it deleted nothing of yours.");
  REQUIRE_FALSE(released);
}

TEST_CASE("release_lock compares and deletes in one step, inside the server", "[task3]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string lock = keys.key("report:lock");
  client.set(lock, "my-token", 5000ms);
  client.workbook_record_commands();
  stampede::release_lock(client, lock, "my-token");
  auto sent = client.workbook_recorded_commands();
  INFO("release_lock sent:\n"
       << grading::describe(sent)
       << "Expected one EVAL (or EVALSHA) of a script that GETs, compares and DELs. A GET in C++ "
          "followed by DEL leaves a gap: the lock can expire and be taken by another caller "
          "between the two, and the DEL removes their lock.");
  REQUIRE(sent.size() == 1);
  REQUIRE((sent[0].name() == "EVAL" || sent[0].name() == "EVALSHA"));
}

TEST_CASE("release_lock of a lock that is already gone returns false", "[task3]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  bool released = stampede::release_lock(client, keys.key("expired:lock"), "my-token");
  INFO(
      "The lock had expired (no such key); release_lock returned true. Return whether this "
      "call deleted it: the script's reply (DEL's count, or 0).");
  REQUIRE_FALSE(released);
}

// ---- Task 4: get_or_compute -------------------------------------------------------

TEST_CASE("a hit returns the cached value without calling the loader", "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  client.set(key, "cached", 30s);
  int loads = 0;
  std::string got = stampede::get_or_compute(client, key, 30s, [&] {
    ++loads;
    return "fresh"s;
  });
  INFO("get_or_compute returned \""
       << got << "\" and called the loader " << loads
       << " time(s); the key held \"cached\": expected \"cached\" and no load.");
  REQUIRE(loads == 0);
  REQUIRE(got == "cached");
}

TEST_CASE("a miss calls the loader once, caches its value with the TTL and removes the lock",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  int loads = 0;
  std::string got = stampede::get_or_compute(client, key, 30000ms, [&] {
    ++loads;
    return "fresh"s;
  });
  {
    INFO("On a miss: loader calls " << loads << ", returned \"" << got << "\".");
    REQUIRE(loads == 1);
    REQUIRE(got == "fresh");
  }
  auto cached = client.get(key);
  {
    INFO("After the load, the key holds " << shown(cached) << "; expected \"fresh\".");
    REQUIRE(cached == "fresh"s);
  }
  long long pttl = client.pttl(key);
  {
    INFO("PTTL of the cached value is " << pttl
                                        << " ms; expected a little under 30000 (the ttl "
                                           "you were given, as PX).");
    REQUIRE(pttl > 25000);
    REQUIRE(pttl <= 30000);
  }
  INFO("The lock " << stampede::lock_key_for(key)
                   << " is still there after the load: release it "
                      "as soon as the value is stored, or the next miss waits for nothing.");
  REQUIRE(client.exists(stampede::lock_key_for(key)) == 0);
}

TEST_CASE("32 callers on a cold key: the loader runs exactly once and all 32 get its value",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();  // shared: each call borrows its own connection
  client.workbook_record_commands();
  const std::string key = keys.key("hot");
  constexpr int callers = 32;
  std::atomic<int> loads{0};
  std::vector<std::string> got(callers);
  stampede::LockOptions options;
  options.lock_ttl = 5000ms;
  options.max_wait = 5000ms;

  grading::run_together(callers, [&](int i) {
    got[static_cast<std::size_t>(i)] = stampede::get_or_compute(
        client, key, 30s,
        [&] {
          ++loads;
          std::this_thread::sleep_for(100ms);  // a slow query
          return "fresh"s;
        },
        options);
  });

  auto sent = client.workbook_recorded_commands();
  {
    INFO(callers << " callers missed together; the loader ran " << loads.load()
                 << " times, "
                    "expected once. "
                 << (loads > 1 ? why_loaded_twice(sent, stampede::lock_key_for(key)) : ""));
    REQUIRE(loads == 1);
  }
  auto wrong =
      std::count_if(got.begin(), got.end(), [](const std::string& s) { return s != "fresh"; });
  {
    INFO(wrong << " of " << callers << " callers did not get the loader's value \"fresh\".");
    REQUIRE(wrong == 0);
  }
  INFO("The lock is still there after everyone finished.");
  REQUIRE(client.exists(stampede::lock_key_for(key)) == 0);
}

TEST_CASE("a miss takes the lock <key>:lock with one SET NX PX before loading", "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);
  client.workbook_record_commands();
  std::vector<wb::SentCommand> before_load;
  stampede::get_or_compute(client, key, 30s, [&] {
    before_load = client.workbook_recorded_commands();
    return "fresh"s;
  });
  auto sets = lock_sets(before_load, lock);
  {
    INFO("Before the loader ran, get_or_compute sent:\n"
         << grading::describe(before_load) << "Expected SET " << lock
         << " <token> NX PX <lock_ttl>. "
         << (sets.empty() ? "There was no SET on the lock: without a lock, every caller that "
                            "misses at the same moment runs the loader (mistake: no lock)."
                          : ""));
    REQUIRE(sets.size() == 1);
  }
  const bool nx = grading::has_arg(sets[0], "NX");
  INFO("The lock was taken with "
       << sets[0].to_string() << ". "
       << (!nx ? "It has no NX: checking the lock with GET and then SETting it lets two callers "
                 "both find the lock free and both load; SET ... NX decides in one step. "
               : "")
       << (!grading::has_arg(sets[0], "PX")
               ? "It has no PX: a crashed owner's lock never goes away, and the key is never "
                 "rebuilt."
               : ""));
  REQUIRE(grading::has_arg(sets[0], "NX"));
  REQUIRE((grading::has_arg(sets[0], "PX") || grading::has_arg(sets[0], "EX")));
}

TEST_CASE("while the loader runs, <key>:lock holds a random token and expires within lock_ttl",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  auto probe = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);
  stampede::LockOptions options;
  options.lock_ttl = 3000ms;
  std::optional<std::string> held;
  long long pttl = 0;
  stampede::get_or_compute(
      client, key, 30s,
      [&] {
        held = probe.get(lock);
        pttl = probe.pttl(lock);
        return "fresh"s;
      },
      options);
  {
    INFO("While the loader ran, "
         << lock << " held " << shown(held)
         << ". Expected a token from make_token (32 hex characters): the lock is how other "
            "callers know someone is already loading, and the token is how its owner knows it "
            "is still theirs.");
    REQUIRE(held.has_value());
    REQUIRE(is_token(*held));
  }
  INFO("While the loader ran, the lock's PTTL was "
       << pttl
       << " ms; expected between 1 and "
          "3000 (options.lock_ttl). -1: the lock has no expiry.");
  REQUIRE(pttl > 0);
  REQUIRE(pttl <= 3000);
}

TEST_CASE("after winning the lock, get_or_compute reads the cache again before loading",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);
  client.workbook_record_commands();
  std::vector<wb::SentCommand> before_load;
  stampede::get_or_compute(client, key, 30s, [&] {
    before_load = client.workbook_recorded_commands();
    return "fresh"s;
  });
  auto taken = std::find_if(before_load.begin(), before_load.end(), [&](const wb::SentCommand& c) {
    return c.name() == "SET" && c.argv.size() > 1 && c.argv[1] == lock;
  });
  {
    INFO("Before the loader ran, get_or_compute sent:\n" << grading::describe(before_load));
    INFO("No SET on " << lock << " before the loader: the lock was not taken.");
    REQUIRE(taken != before_load.end());
  }
  bool reread = std::any_of(taken + 1, before_load.end(), [&](const wb::SentCommand& c) {
    return c.argv.size() > 1 && c.argv[1] == key;
  });
  INFO("Before the loader ran, get_or_compute sent:\n"
       << grading::describe(before_load)
       << "Between taking the lock and loading, the cache was not read again. The race: you GET "
          "(miss); meanwhile another caller loads, stores and releases; your SET NX then wins a "
          "free lock and you load a second time. After winning the lock, read the cache again "
          "before loading.");
  REQUIRE(reread);
}

TEST_CASE("a loader that throws releases the lock, and the next caller retries", "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);

  {
    INFO(
        "The loader threw LoaderFailed; get_or_compute must let that very exception go on "
        "(after releasing the lock), not swallow it or replace it.");
    REQUIRE_THROWS_AS(
        stampede::get_or_compute(client, key, 30s,
                                 []() -> std::string { throw LoaderFailed("database down"); }),
        LoaderFailed);
  }
  auto held = client.get(lock);
  {
    INFO("After the loader threw, "
         << lock << " still holds " << shown(held)
         << ". Release the "
            "lock on the way out (a catch that releases and rethrows, or an RAII guard); otherwise "
            "every caller waits for a value that nobody is computing.");
    REQUIRE_FALSE(held.has_value());
  }
  INFO("Nothing should be cached when the loader failed.");
  REQUIRE(client.exists(key) == 0);

  int loads = 0;
  std::string got = stampede::get_or_compute(client, key, 30s, [&] {
    ++loads;
    return "second try"s;
  });
  INFO("The next caller got \"" << got << "\" with " << loads
                                << " load(s); expected its own "
                                   "load, \"second try\".");
  REQUIRE(loads == 1);
  REQUIRE(got == "second try");
}

TEST_CASE("an owner whose lock expired and was taken by another leaves the new owner's lock",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  auto probe = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);
  stampede::LockOptions options;
  options.lock_ttl = 50ms;  // the load takes longer than the lock lasts
  bool expired = false;

  stampede::get_or_compute(
      client, key, 30s,
      [&] {
        auto give_up = steady_clock::now() + 1s;
        while (probe.exists(lock) == 1 && steady_clock::now() < give_up)
          std::this_thread::sleep_for(5ms);
        expired = probe.exists(lock) == 0;
        if (expired) probe.set(lock, "second-owner", 5000ms, wb::UpdateType::NOT_EXIST);
        return "fresh"s;
      },
      options);

  {
    INFO("With lock_ttl = 50 ms, the lock was still there a second later: it has no expiry.");
    REQUIRE(expired);
  }
  auto held = client.get(lock);
  INFO(
      "The first owner's lock ran out during its load, and another caller took the lock. After "
      "the first owner finished, the lock holds "
      << shown(held)
      << ", expected \"second-owner\". "
         "Deleting it without comparing tokens frees the lock while the second owner works, and a "
         "third caller starts loading too: release with compare-and-delete (task 3).");
  REQUIRE(held == "second-owner"s);
}

TEST_CASE("a caller that finds the lock taken waits for the owner's value instead of loading",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  auto owner = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);
  owner.set(lock, "owners-token", 5000ms);
  stampede::LockOptions options;
  options.max_wait = 900ms;
  int loads = 0;
  std::string got;
  long long waited = 0;

  grading::run_together(2, [&](int i) {
    if (i == 0) {
      auto start = steady_clock::now();
      got = stampede::get_or_compute(
          client, key, 30s,
          [&] {
            ++loads;
            return "loaded-by-waiter"s;
          },
          options);
      waited = ms_since(start);
    } else {
      std::this_thread::sleep_for(150ms);  // the owner's load
      owner.set(key, "from-owner", 30s);
    }
  });

  {
    INFO(
        "Another caller held the lock and stored \"from-owner\" 150 ms later. get_or_compute "
        "returned \""
        << got << "\" after " << waited << " ms, with " << loads
        << " load(s). "
           "A caller that finds the lock taken should wait (read the cache again after short "
           "pauses) "
           "and return the owner's value, not load it a second time.");
    REQUIRE(loads == 0);
    REQUIRE(got == "from-owner");
  }
  INFO("The waiter changed the owner's lock (now " << shown(client.get(lock))
                                                   << "); it is not "
                                                      "the waiter's to touch.");
  REQUIRE(client.get(lock) == "owners-token"s);
}

TEST_CASE("callers waiting on an owner whose loader failed take the lock over: one more load",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  constexpr int callers = 8;
  std::atomic<int> loads{0}, failures{0};
  std::vector<std::string> got(callers);
  stampede::LockOptions options;
  options.max_wait = 3000ms;
  auto start = steady_clock::now();

  grading::run_together(callers, [&](int i) {
    try {
      got[static_cast<std::size_t>(i)] = stampede::get_or_compute(
          client, key, 30s,
          [&] {
            if (++loads == 1) {
              std::this_thread::sleep_for(100ms);
              throw LoaderFailed("database down");
            }
            return "recovered"s;
          },
          options);
    } catch (const LoaderFailed&) {
      ++failures;
    }
  });
  long long took = ms_since(start);

  {
    INFO(callers << " callers missed together; the first owner's loader failed after 100 ms. "
                    "Loads: "
                 << loads.load()
                 << " (expected 2: the failed one, then one by the caller that "
                    "takes the free lock), failures seen: "
                 << failures.load() << " (expected 1), time: " << took
                 << " ms. Waiters should try the lock again when it is free, not wait for "
                    "max_wait and then each load on their own.");
    REQUIRE(failures == 1);
    REQUIRE(loads == 2);
  }
  auto recovered = std::count(got.begin(), got.end(), "recovered"s);
  INFO(recovered << " of " << callers - 1 << " remaining callers got \"recovered\".");
  REQUIRE(recovered == callers - 1);
}

TEST_CASE("a waiter that reaches max_wait loads for itself and leaves the lock and cache alone",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  auto owner = grading::connect();
  const std::string key = keys.key("report");
  const std::string lock = stampede::lock_key_for(key);
  owner.set(lock, "owners-token", 5000ms);  // an owner that is very slow
  stampede::LockOptions options;
  options.max_wait = 200ms;
  int loads = 0;

  auto start = steady_clock::now();
  std::string got = stampede::get_or_compute(
      client, key, 30s,
      [&] {
        ++loads;
        return "fallback"s;
      },
      options);
  long long waited = ms_since(start);

  {
    INFO(
        "The owner never stored a value. After max_wait (200 ms) the waiter should load for "
        "itself: it returned \""
        << got << "\" with " << loads << " load(s) after " << waited << " ms.");
    REQUIRE(loads == 1);
    REQUIRE(got == "fallback");
  }
  {
    INFO("It gave up after " << waited << " ms, before max_wait = 200 ms.");
    REQUIRE(waited >= 190);
  }
  {
    INFO("It waited " << waited << " ms, far beyond max_wait = 200 ms.");
    REQUIRE(waited < 900);
  }
  auto held = client.get(lock);
  {
    INFO("The owner's lock now holds " << shown(held)
                                       << ", expected \"owners-token\": a waiter "
                                          "never deletes or overwrites a lock it does not own.");
    REQUIRE(held == "owners-token"s);
  }
  auto cached = client.get(key);
  INFO("The waiter wrote " << shown(cached)
                           << " to the cache. The owner is still loading and "
                              "will write; the fallback only serves this one caller.");
  REQUIRE_FALSE(cached.has_value());
}

TEST_CASE("a waiting caller reads again after short pauses: not a busy loop, not one long sleep",
          "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  auto owner = grading::connect();
  const std::string key = keys.key("report");
  owner.set(stampede::lock_key_for(key), "owners-token", 5000ms);
  stampede::LockOptions options;
  options.max_wait = 300ms;
  client.workbook_record_commands();
  stampede::get_or_compute(
      client, key, 30s, [] { return "fallback"s; }, options);
  auto sent = client.workbook_recorded_commands();
  std::size_t reads = 0;
  for (const auto& c : sent)
    if (c.argv.size() > 1 && c.argv[1] == key && c.name() != "SET") ++reads;
  INFO("While waiting 300 ms for the owner, get_or_compute read the key "
       << reads
       << " times. "
          "Expected between 3 and 60: pauses that start at a few ms and grow to at most 50 ms. "
          "Hundreds of reads mean a busy loop that hammers the server exactly when it is busiest "
          "(every waiter does it); one or two mean a long sleep that keeps callers waiting after "
          "the value is there.");
  REQUIRE(reads <= 60);
  REQUIRE(reads >= 3);
}

TEST_CASE("get_or_compute refuses a ttl, lock_ttl or max_wait of zero or less", "[task4]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  client.workbook_record_commands();
  auto loader = [] { return "v"s; };
  stampede::LockOptions no_lock_ttl, no_wait;
  no_lock_ttl.lock_ttl = 0ms;
  no_wait.max_wait = -1ms;
  {
    INFO("Task 4 asks for std::invalid_argument when ttl, lock_ttl or max_wait is not positive.");
    REQUIRE_THROWS_AS(stampede::get_or_compute(client, keys.key("k"), 0ms, loader),
                      std::invalid_argument);
    REQUIRE_THROWS_AS(stampede::get_or_compute(client, keys.key("k"), 30s, loader, no_lock_ttl),
                      std::invalid_argument);
    REQUIRE_THROWS_AS(stampede::get_or_compute(client, keys.key("k"), 30s, loader, no_wait),
                      std::invalid_argument);
  }
  auto sent = client.workbook_recorded_commands();
  INFO("Commands sent before refusing:\n" << grading::describe(sent));
  REQUIRE(sent.empty());
}

// ---- Task 5: unit_interval ----------------------------------------------------------

TEST_CASE("unit_interval never returns 0: ln(0) would be minus infinity", "[task5]") {
  double u = stampede::unit_interval(0);
  INFO("unit_interval(0) returned "
       << u
       << ". u must lie in (0, 1]: the all-zero word gives "
          "the smallest u, a tiny positive number. With u = 0, ln(u) is -infinity and the "
          "formula says \"recompute\" for any time left (or NaN when delta is 0). "
          "std::uniform_real_distribution(0, 1) draws from [0, 1): 0 is possible, 1 is not.");
  REQUIRE(u > 0.0);
  REQUIRE(u < 1e-9);
}

TEST_CASE("unit_interval gives exactly 1 for the all-ones word", "[task5]") {
  double u = stampede::unit_interval(std::numeric_limits<std::uint64_t>::max());
  INFO("unit_interval(2^64 - 1) returned " << u << " (1 - u = " << 1.0 - u
                                           << "); expected "
                                              "exactly 1.0, the closed end of (0, 1].");
  REQUIRE(u == 1.0);
}

TEST_CASE("unit_interval is uniform and in order", "[task5]") {
  std::mt19937_64 source(6);
  std::vector<std::uint64_t> words{0, 1, 2047, 2048, 1ull << 63, ~0ull - 2048, ~0ull};
  for (int i = 0; i < 5000; ++i) words.push_back(source());
  std::sort(words.begin(), words.end());
  double previous = 0.0;
  for (std::uint64_t w : words) {
    double u = stampede::unit_interval(w);
    double expected = std::ldexp(static_cast<double>(w), -64);
    {
      INFO("unit_interval(" << w << ") = " << u << "; a uniform, in-order map gives about "
                            << expected
                            << " (the word divided by 2^64), in (0, 1], and never less than for a "
                               "smaller word (previous: "
                            << previous << ").");
      REQUIRE(u > 0.0);
      REQUIRE(u <= 1.0);
      REQUIRE(std::fabs(u - expected) <= 1e-9);
      REQUIRE(u >= previous);
    }
    previous = u;
  }
}

// ---- Task 6: should_recompute_early ---------------------------------------------------

TEST_CASE("should_recompute_early follows -delta*beta*ln(u) >= time_left", "[task6]") {
  struct Case {
    long long time_left, delta;
    double beta, u;
  };
  // Worked examples: -1000 * ln(0.5) = 693.15; with beta 2: 1386.29.
  std::vector<Case> cases{{693, 1000, 1.0, 0.5},  {694, 1000, 1.0, 0.5}, {1386, 1000, 2.0, 0.5},
                          {1387, 1000, 2.0, 0.5}, {10, 5, 1.0, 1e-300},  {20000, 100, 1.0, 1.0}};
  std::mt19937_64 source(2015);
  const double betas[] = {0.0, 0.5, 1.0, 2.0, 3.7};
  for (int i = 0; i < 3000; ++i) {
    long long t = static_cast<long long>(source() % 20000) + 1;
    long long d = static_cast<long long>(source() % 5000);
    double beta = betas[source() % 5];
    double u = std::ldexp(static_cast<double>((source() >> 11) + 1), -53);
    if (i % 10 == 0) u = std::pow(u, 8.0) + 1e-300;  // some u very near 0
    cases.push_back({t, d, beta, u});
  }
  int checked = 0;
  for (const auto& c : cases) {
    double head_start = -static_cast<double>(c.delta) * c.beta * std::log(c.u);
    // Ties are left out: there, the order of the multiplications decides.
    if (std::fabs(head_start - static_cast<double>(c.time_left)) < 1e-6) continue;
    bool expected = head_start >= static_cast<double>(c.time_left);
    bool got = stampede::should_recompute_early(milliseconds(c.time_left), milliseconds(c.delta),
                                                c.beta, c.u);
    {
      INFO("time_left = " << c.time_left << " ms, delta = " << c.delta << " ms, beta = " << c.beta
                          << ", u = " << c.u << ": -delta*beta*ln(u) = " << head_start
                          << " ms, so expected "
                          << (expected ? "true (recompute now)" : "false (keep)") << ", got "
                          << std::boolalpha << got
                          << (got == (-head_start >= static_cast<double>(c.time_left))
                                  ? ". That is the answer without the minus sign: ln(u) is "
                                    "negative, and the minus sign turns it into a head start."
                                  : ". ln(u) is negative: the minus sign turns it into a head "
                                    "start."));
      REQUIRE(got == expected);
    }
    ++checked;
  }
  REQUIRE(checked > 2900);
}

TEST_CASE("should_recompute_early: an entry with no time left is always recomputed", "[task6]") {
  for (long long t : {0LL, -1LL, -5000LL}) {
    for (double u : {1.0, 0.5}) {
      for (long long d : {0LL, 100LL}) {
        bool got = stampede::should_recompute_early(milliseconds(t), milliseconds(d), 1.0, u);
        INFO("time_left = "
             << t << " ms, delta = " << d << " ms, u = " << u << ": got " << std::boolalpha << got
             << ", expected true. At time_left 0 the head start -delta*beta*ln(u) is >= 0 = "
                "time_left: the comparison is >=, not >.");
        REQUIRE(got);
      }
    }
  }
}

TEST_CASE("should_recompute_early: beta = 0 or delta = 0 never recomputes before expiry",
          "[task6]") {
  for (double u : {1e-300, 0.001, 0.5, 1.0}) {
    INFO("u = " << u
                << ", time_left = 1 ms: with beta = 0, or delta = 0, the head start is 0, "
                   "so only an expired entry is recomputed.");
    REQUIRE_FALSE(stampede::should_recompute_early(1ms, 1000ms, 0.0, u));
    REQUIRE_FALSE(stampede::should_recompute_early(1ms, 0ms, 1.0, u));
  }
}

TEST_CASE("should_recompute_early refuses u outside (0, 1], a negative delta or beta", "[task6]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  INFO(
      "Task 6 asks for std::invalid_argument: u = 0 would take ln(0); u > 1 or NaN is not a "
      "probability; a negative delta or beta turns the head start around.");
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, 10ms, 1.0, 0.0), std::invalid_argument);
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, 10ms, 1.0, -0.25),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, 10ms, 1.0, 1.5), std::invalid_argument);
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, 10ms, 1.0, nan), std::invalid_argument);
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, -1ms, 1.0, 0.5), std::invalid_argument);
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, 10ms, -1.0, 0.5),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(stampede::should_recompute_early(100ms, 10ms, nan, 0.5), std::invalid_argument);
}

// ---- Task 7: get_or_compute_early ------------------------------------------------------

TEST_CASE("early: a miss loads and stores value, delta_ms (timed with options.now) and the TTL",
          "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  FakeClock clock;
  stampede::EarlyOptions options;
  options.now = [&] { return clock.now; };
  int loads = 0;
  std::string got = stampede::get_or_compute_early(
      client, key, 20000ms,
      [&] {
        ++loads;
        clock.now += 250ms;  // the load takes 250 ms on the fake clock
        return "computed"s;
      },
      options);
  {
    INFO("On a miss: " << loads << " load(s), returned \"" << got << "\".");
    REQUIRE(loads == 1);
    REQUIRE(got == "computed");
  }
  auto value = client.hget(key, stampede::kValueField);
  auto delta = client.hget(key, stampede::kDeltaField);
  {
    INFO("The entry's fields: value = "
         << shown(value) << ", delta_ms = " << shown(delta)
         << ". Expected \"computed\" and \"250\": the fake clock (options.now) moved 250 ms while "
            "loader() ran; delta is after - before, in whole milliseconds.");
    REQUIRE(value == "computed"s);
    REQUIRE(delta == "250"s);
  }
  long long pttl = client.pttl(key);
  INFO("PTTL of the entry is " << pttl << " ms; expected a little under 20000 (the ttl).");
  REQUIRE(pttl > 15000);
  REQUIRE(pttl <= 20000);
}

TEST_CASE("early: far from expiry, the formula says keep, and the cached value is returned",
          "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  put_entry(client, key, "old", "1000", 10000ms);
  stampede::EarlyOptions options;
  options.random_bits = [] { return bits_for(std::exp(-9.0)); };
  int loads = 0;
  std::string got = stampede::get_or_compute_early(
      client, key, 20000ms,
      [&] {
        ++loads;
        return "new"s;
      },
      options);
  INFO(
      "Entry: delta_ms = 1000, PTTL about 10000; random bits giving u = e^-9, beta = 1: "
      "-1000 * 1 * ln(e^-9) = 9000 < 10000, so keep. Got \""
      << got << "\" with " << loads
      << " load(s). Use options.random_bits (through unit_interval), the stored delta_ms and "
         "the key's PTTL.");
  REQUIRE(loads == 0);
  REQUIRE(got == "old");
}

TEST_CASE("early: near expiry, the formula says recompute, and the entry is refreshed", "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  put_entry(client, key, "old", "1000", 10000ms);
  FakeClock clock;
  stampede::EarlyOptions options;
  options.now = [&] { return clock.now; };
  options.random_bits = [] { return bits_for(std::exp(-11.0)); };
  int loads = 0;
  std::string got = stampede::get_or_compute_early(
      client, key, 20000ms,
      [&] {
        ++loads;
        clock.now += 40ms;
        return "new"s;
      },
      options);
  {
    INFO(
        "Entry: delta_ms = 1000, PTTL about 10000; u = e^-11, beta = 1: -1000 * ln(e^-11) = "
        "11000 >= 10000, so recompute now. Got \""
        << got << "\" with " << loads << " load(s).");
    REQUIRE(loads == 1);
    REQUIRE(got == "new");
  }
  auto value = client.hget(key, stampede::kValueField);
  auto delta = client.hget(key, stampede::kDeltaField);
  long long pttl = client.pttl(key);
  INFO("After recomputing: value = "
       << shown(value) << ", delta_ms = " << shown(delta) << ", PTTL = " << pttl
       << ". Expected \"new\", \"40\" and a fresh TTL a little under 20000.");
  REQUIRE(value == "new"s);
  REQUIRE(delta == "40"s);
  REQUIRE(pttl > 15000);
}

TEST_CASE("early: a larger beta recomputes earlier", "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  put_entry(client, key, "old", "1000", 10000ms);
  stampede::EarlyOptions options;
  options.random_bits = [] { return bits_for(std::exp(-6.0)); };
  int loads = 0;
  auto loader = [&] {
    ++loads;
    return "new"s;
  };
  options.beta = 1.0;
  std::string with_1 = stampede::get_or_compute_early(client, key, 20000ms, loader, options);
  {
    INFO("beta = 1, u = e^-6, delta 1000: head start 6000 < 10000 left: keep. Got \""
         << with_1 << "\", " << loads << " load(s).");
    REQUIRE(loads == 0);
  }
  options.beta = 2.0;
  std::string with_2 = stampede::get_or_compute_early(client, key, 20000ms, loader, options);
  INFO("beta = 2, same u: head start 12000 >= 10000 left: recompute. Got \""
       << with_2 << "\", " << loads << " load(s). Multiply by options.beta.");
  REQUIRE(loads == 1);
  REQUIRE(with_2 == "new");
}

TEST_CASE("early: a hit reads the entry and its PTTL in one round trip", "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  put_entry(client, key, "old", "1000", 10000ms);
  stampede::EarlyOptions options;
  options.random_bits = [] { return ~0ull; };  // u = 1: never early
  client.workbook_record_commands();
  stampede::get_or_compute_early(
      client, key, 20000ms, [] { return "new"s; }, options);
  auto sent = client.workbook_recorded_commands();
  INFO("A hit sent:\n"
       << grading::describe(sent) << "in " << grading::round_trips(sent)
       << " round trip(s). Expected one: the fields and PTTL in a pipeline. Separate reads cost "
          "a round trip each, and the entry can expire between them.");
  REQUIRE(grading::round_trips(sent) == 1);
}

TEST_CASE("early: an entry that is not a sound one of ours is recomputed, never an error",
          "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  struct Broken {
    const char* what;
    std::function<void(const std::string&)> make;
  };
  std::vector<Broken> broken{
      {"delta_ms missing",
       [&](const std::string& k) {
         client.command("HSET", k, stampede::kValueField, "old");
         client.pexpire(k, 10000ms);
       }},
      {"delta_ms is \"abc\"",
       [&](const std::string& k) { put_entry(client, k, "old", "abc", 10000ms); }},
      {"delta_ms is \"-5\"",
       [&](const std::string& k) { put_entry(client, k, "old", "-5", 10000ms); }},
      {"value missing",
       [&](const std::string& k) {
         client.command("HSET", k, stampede::kDeltaField, "10");
         client.pexpire(k, 10000ms);
       }},
      {"no expiry (PTTL -1)",
       [&](const std::string& k) {
         put_entry(client, k, "old", "10", 10000ms);
         client.persist(k);
       }},
      {"a plain string (an older format)",
       [&](const std::string& k) { client.set(k, "old", 10000ms); }},
  };
  stampede::EarlyOptions options;
  options.random_bits = [] { return ~0ull; };  // u = 1: a sound entry would be kept
  int i = 0;
  for (const auto& b : broken) {
    const std::string key = keys.key("broken:" + std::to_string(i++));
    b.make(key);
    int loads = 0;
    std::string got;
    std::string error;
    try {
      got = stampede::get_or_compute_early(
          client, key, 20000ms,
          [&] {
            ++loads;
            return "fresh"s;
          },
          options);
    } catch (const wb::NotImplemented&) {
      throw;
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      INFO("Entry with " << b.what << ": "
                         << (error.empty() ? "" : "get_or_compute_early threw \"" + error + "\". ")
                         << "Got \"" << got << "\" with " << loads
                         << " load(s). Expected a recompute: an entry "
                            "that is not a sound one of ours is a miss, never an error.");
      REQUIRE(error.empty());
      REQUIRE(loads == 1);
      REQUIRE(got == "fresh");
    }
    // TYPE first: an HGET of the grader's own on a string would throw
    // WRONGTYPE, and this explanation would never be shown.
    const std::string type = client.type(key);
    std::optional<std::string> value;
    if (type == "hash") value = client.hget(key, stampede::kValueField);
    INFO("Entry with " << b.what << ": afterwards the key is a " << type
                       << (type == "hash" ? " with value " + shown(value) : std::string())
                       << "; expected a hash with value \"fresh\". "
                       << (type != "hash"
                               ? "The rewrite did not replace the old entry: HSET cannot write "
                                 "into a key of another type, and inside MULTI/EXEC its error "
                                 "does not stop the other commands. Delete the key first, in "
                                 "the same transaction, so the entry is replaced whole."
                               : "Replace the entry whole: DEL, HSET and PEXPIRE in one "
                                 "MULTI/EXEC."));
    REQUIRE(type == "hash");
    REQUIRE(value == "fresh"s);
    REQUIRE(client.pttl(key) > 0);
  }
}

TEST_CASE("early: a loader that throws leaves the entry as it was", "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  const std::string key = keys.key("report");
  put_entry(client, key, "old", "1000", 10000ms);
  stampede::EarlyOptions options;
  options.random_bits = [] { return bits_for(std::exp(-11.0)); };  // recompute
  INFO("The loader threw LoaderFailed: get_or_compute_early must let it go on.");
  REQUIRE_THROWS_AS(
      stampede::get_or_compute_early(
          client, key, 20000ms, []() -> std::string { throw LoaderFailed("db down"); }, options),
      LoaderFailed);
  auto value = client.hget(key, stampede::kValueField);
  INFO("After the failed recompute the entry's value is "
       << shown(value)
       << ", expected \"old\": "
          "an early recompute that fails should leave the still-valid entry for the next reader.");
  REQUIRE(value == "old"s);
}

TEST_CASE("early: refuses a ttl of zero or less, and a negative beta", "[task7]") {
  grading::KeyScope keys("stampede");
  auto client = grading::connect();
  client.workbook_record_commands();
  auto loader = [] { return "v"s; };
  stampede::EarlyOptions negative;
  negative.beta = -1.0;
  {
    INFO("Task 7 asks for std::invalid_argument before anything is sent.");
    REQUIRE_THROWS_AS(stampede::get_or_compute_early(client, keys.key("k"), 0ms, loader),
                      std::invalid_argument);
    REQUIRE_THROWS_AS(
        stampede::get_or_compute_early(client, keys.key("k"), 20000ms, loader, negative),
        std::invalid_argument);
  }
  auto sent = client.workbook_recorded_commands();
  INFO("Commands sent before refusing:\n" << grading::describe(sent));
  REQUIRE(sent.empty());
}
