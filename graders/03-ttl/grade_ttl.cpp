// Grader for lesson 03 - expiry: TTLs, KEEPTTL and one-time passwords.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ttl.hpp"
#include "workbook/grading.hpp"
#include "workbook/grading_random.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using std::chrono::milliseconds;

// The grader's RAND_bytes (workbook/grading_random.hpp) stands in for
// OpenSSL's: the task 5 tests feed new_otp_code chosen bytes, or a failing
// source, through it; elsewhere it hands out real random bytes.
namespace fake_rand = wb::grading::fake_rand;

namespace {

// Time since construction, in whole milliseconds rounded up. The server's
// clock runs while the grader waits for replies, so a TTL read back is at
// least `ttl - elapsed` (and at most `ttl`), however busy the machine is.
class Stopwatch {
 public:
  long long ms() const {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start_)
                  .count();
    return us / 1000 + 1;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string show_pttl(long long pttl) {
  if (pttl == -2) return "-2 (no such key)";
  if (pttl == -1) return "-1 (no expiry: the key lives forever)";
  return std::to_string(pttl) + " ms";
}

std::string show(const std::optional<std::string>& v) {
  return v ? "\"" + *v + "\"" : "std::nullopt";
}

// What a key holds, for a message: its value, or that it is gone.
std::string holds(const std::optional<std::string>& v) {
  return v ? "holds \"" + *v + "\"" : "does not exist (GET answers nil)";
}

std::string show(const ttl::TimeLeft& t) {
  switch (t.kind) {
    case ttl::TimeLeft::Kind::no_such_key: return "no_such_key";
    case ttl::TimeLeft::Kind::never_expires: return "never_expires";
    case ttl::TimeLeft::Kind::expires:
      return "expires, left " + std::to_string(t.left.count()) + " ms";
  }
  return "?";
}

bool is_code(const std::string& s) {
  return s.size() == 6 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// ---- task 1: cache_for ------------------------------------------------------------------

TEST_CASE("cache_for stores the value with an expiry", "[task1]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("price");
  ttl::cache_for(client, key, "9.99", 60s);
  auto value = client.get(key);
  long long pttl = client.pttl(key);
  // The mistake first, in the learner's terms, when the state shows which one it is.
  INFO((value && pttl == -1 ? "cache_for stored the value without an expiry: give the SET an "
                              "expiry of ttl (its PX option) in the same command."
                            : ""));
  INFO("After cache_for(key, \"9.99\", 60s): GET gave "
       << show(value) << ", PTTL " << show_pttl(pttl)
       << ". Expected \"9.99\" and about 60000 ms. A SET without EX or PX "
          "keeps the entry forever: the cache never forgets, memory only grows, and a server with "
          "maxmemory-policy noeviction then refuses every write.");
  CHECK(value == "9.99"s);
  REQUIRE(pttl > 0);
}

TEST_CASE("cache_for keeps millisecond precision: 1500ms is not 1s", "[task1]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("price");
  Stopwatch clock;
  ttl::cache_for(client, key, "9.99", 1500ms);
  long long pttl = client.pttl(key);
  long long least = 1500 - clock.ms();
  INFO("cache_for(key, value, 1500ms) left a PTTL of "
       << show_pttl(pttl) << "; expected between " << least
       << " and 1500 ms. Converting to whole seconds for EX loses the half second (1500ms "
          "becomes EX 1); PX takes milliseconds.");
  REQUIRE(pttl >= least);
  REQUIRE(pttl <= 1500);
}

TEST_CASE("cache_for writes the value and its expiry in one command", "[task1]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  client.workbook_record_commands();
  ttl::cache_for(client, keys.key("price"), "9.99", 30s);
  auto sent = client.workbook_recorded_commands();
  INFO("cache_for sent:\n"
       << grading::describe(sent)
       << "Expected one SET with PX (or EX). SET and then EXPIRE leaves a moment in which the key "
          "exists without an expiry: if the program stops there (a crash, a timeout, a deploy), "
          "that entry never expires.");
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].name() == "SET");
  REQUIRE((grading::has_arg(sent[0], "PX") || grading::has_arg(sent[0], "EX")));
}

TEST_CASE("cache_for replaces an old value and its old expiry", "[task1]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("price");
  client.set(key, "old", 100s);
  Stopwatch clock;
  ttl::cache_for(client, key, "new", 2s);
  long long pttl = client.pttl(key);
  INFO("The key held \"old\" for 100 s; after cache_for(key, \"new\", 2s): GET "
       << show(client.get(key)) << ", PTTL " << show_pttl(pttl)
       << ". Expected \"new\" and at "
          "most 2000 ms: a new entry gets a new expiry.");
  CHECK(client.get(key) == "new"s);
  REQUIRE(pttl >= 2000 - clock.ms());
  REQUIRE(pttl <= 2000);
}

TEST_CASE("cache_for refuses a ttl of zero or less and leaves the old value alone", "[task1]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("price");
  client.set(key, "old");
  client.workbook_record_commands();
  INFO(
      "cache_for(key, value, 0ms) must throw std::invalid_argument. Passed on, a zero ttl "
      "means \"no expiry\" to the client (SET without PX): the entry would live forever.");
  CHECK_THROWS_AS(ttl::cache_for(client, key, "new", 0ms), std::invalid_argument);
  CHECK_THROWS_AS(ttl::cache_for(client, key, "new", -5ms), std::invalid_argument);
  auto sent = client.workbook_recorded_commands();
  INFO("Sent before refusing:\n"
       << grading::describe(sent) << "The key now " << holds(client.get(key))
       << " (expected \"old\", untouched).");
  CHECK(sent.empty());
  REQUIRE(client.get(key) == "old"s);
}

// ---- task 2: time_left -------------------------------------------------------------------

TEST_CASE("time_left: a missing key is no_such_key", "[task2]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  auto t = ttl::time_left(client, keys.key("never-set"));
  INFO("time_left on a key that does not exist returned "
       << show(t)
       << ". PTTL answers -2 for "
          "\"no such key\" and -1 for \"no expiry\": expected no_such_key.");
  REQUIRE(t.kind == ttl::TimeLeft::Kind::no_such_key);
}

TEST_CASE("time_left: a key without expiry is never_expires", "[task2]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("config");
  client.set(key, "on");
  auto t = ttl::time_left(client, key);
  INFO("time_left on a key without expiry returned "
       << show(t)
       << ". PTTL answers -1 for "
          "\"no expiry\" and -2 for \"no such key\": expected never_expires.");
  REQUIRE(t.kind == ttl::TimeLeft::Kind::never_expires);
}

TEST_CASE("time_left reports an expiry to the millisecond", "[task2]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("session");
  Stopwatch clock;
  client.set(key, "x", 700ms);
  auto t = ttl::time_left(client, key);
  long long least = 700 - clock.ms();
  INFO("The key expires 700 ms after it was written; time_left returned "
       << show(t) << ", expected expires with between " << least
       << " and 700 ms. TTL answers in whole "
          "seconds (700 ms reads as 1 s); PTTL answers in milliseconds.");
  REQUIRE(t.kind == ttl::TimeLeft::Kind::expires);
  REQUIRE(t.left.count() >= least);
  REQUIRE(t.left.count() <= 700);
}

TEST_CASE("time_left sees a key expire", "[task2]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("blink");
  client.set(key, "x", 50ms);
  std::this_thread::sleep_for(120ms);
  auto t = ttl::time_left(client, key);
  INFO("The key had a 50 ms expiry and 120 ms have passed; time_left returned "
       << show(t) << ", expected no_such_key.");
  REQUIRE(t.kind == ttl::TimeLeft::Kind::no_such_key);
}

// ---- task 3: extend_ttl ------------------------------------------------------------------

TEST_CASE("extend_ttl moves a sooner expiry out to ttl", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("session");
  client.set(key, "x", 500ms);
  Stopwatch clock;
  bool moved = ttl::extend_ttl(client, key, 2000ms);
  long long pttl = client.pttl(key);
  INFO("The key had 500 ms left; extend_ttl(key, 2000ms) returned "
       << std::boolalpha << moved << " and left a PTTL of " << show_pttl(pttl)
       << ". Expected true and between " << 2000 - clock.ms() << " and 2000 ms.");
  CHECK(moved);
  REQUIRE(pttl >= 2000 - clock.ms());
  REQUIRE(pttl <= 2000);
}

TEST_CASE("extend_ttl never brings an expiry closer", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("session");
  Stopwatch clock;
  client.set(key, "x", 5000ms);
  bool moved = ttl::extend_ttl(client, key, 1000ms);
  long long pttl = client.pttl(key);
  const bool closer = pttl >= 0 && pttl < 5000 - clock.ms();
  INFO((closer ? "extend_ttl brought the expiry closer (5000 ms left became " +
                     std::to_string(pttl) + " ms): it must only ever move an expiry later."
               : std::string()));
  INFO("The key had 5000 ms left; extend_ttl(key, 1000ms) returned "
       << std::boolalpha << moved << " and left a PTTL of " << show_pttl(pttl)
       << ". Expected false and the 5000 ms kept: "
          "a plain PEXPIRE sets the new time even when it is shorter. PEXPIRE ... GT changes it "
          "only when the new expiry is later.");
  CHECK_FALSE(moved);
  REQUIRE(pttl >= 5000 - clock.ms());
}

TEST_CASE("extend_ttl leaves a key that never expires without expiry", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("config");
  client.set(key, "on");
  bool moved = ttl::extend_ttl(client, key, 1000ms);
  long long pttl = client.pttl(key);
  INFO("The key had no expiry; extend_ttl(key, 1000ms) returned "
       << std::boolalpha << moved << " and left a PTTL of " << show_pttl(pttl)
       << ". Expected false and -1: \"never\" is "
          "later than any time, so extending must not give the key an expiry. (Comparing PTTL's -1 "
          "with the new ttl as a number gets this wrong; GT treats a key without expiry as "
          "expiring never.)");
  CHECK_FALSE(moved);
  REQUIRE(pttl == -1);
}

TEST_CASE("extend_ttl leaves a missing key missing", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("gone");
  bool moved = ttl::extend_ttl(client, key, 1000ms);
  INFO("extend_ttl on a key that does not exist returned "
       << std::boolalpha << moved << "; EXISTS now says " << client.exists(key)
       << ". Expected false and 0.");
  CHECK_FALSE(moved);
  REQUIRE(client.exists(key) == 0);
}

TEST_CASE("extend_ttl decides inside the server, in one command", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("session");
  client.set(key, "x", 500ms);
  client.workbook_record_commands();
  ttl::extend_ttl(client, key, 2000ms);
  auto sent = client.workbook_recorded_commands();
  INFO("extend_ttl sent:\n"
       << grading::describe(sent)
       << "Reading PTTL and then sending PEXPIRE is two steps: between them another caller can "
          "set a longer expiry, which yours then shortens again. Let the server compare: "
          "PEXPIRE key ms GT.");
  REQUIRE(sent.size() == 1);
}

TEST_CASE("eight callers extending at once leave the longest expiry", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  for (int round = 1; round <= 5; ++round) {
    const std::string key = keys.key("race:" + std::to_string(round));
    client.set(key, "x", 1000ms);
    Stopwatch clock;
    grading::run_together(
        8, [&](int i) { ttl::extend_ttl(client, key, milliseconds(2000 + 250 * i)); });
    long long pttl = client.pttl(key);
    INFO("Round " << round
                  << ": 8 callers extended the key to 2000, 2250, ... 3750 ms at the "
                     "same moment; its PTTL is now "
                  << show_pttl(pttl) << ", expected at least " << 3750 - clock.ms()
                  << " ms. A shorter extension won: check and change must be one "
                     "step inside the server.");
    REQUIRE(pttl >= 3750 - clock.ms());
  }
}

TEST_CASE("extend_ttl refuses a ttl of zero or less before sending anything", "[task3]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("session");
  client.set(key, "x", 5000ms);
  client.workbook_record_commands();
  INFO(
      "extend_ttl(key, 0ms) must throw std::invalid_argument: PEXPIRE with 0 or less deletes "
      "the key.");
  CHECK_THROWS_AS(ttl::extend_ttl(client, key, 0ms), std::invalid_argument);
  auto sent = client.workbook_recorded_commands();
  INFO("Sent before refusing:\n" << grading::describe(sent));
  CHECK(sent.empty());
  REQUIRE(client.exists(key) == 1);
}

// ---- task 4: replace_keeping_ttl -------------------------------------------------------------

TEST_CASE("replace_keeping_ttl changes the value and keeps the expiry", "[task4]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("profile");
  Stopwatch clock;
  client.set(key, "v1", 3000ms);
  bool replaced = ttl::replace_keeping_ttl(client, key, "v2");
  long long pttl = client.pttl(key);
  INFO("The key held \"v1\" with 3000 ms to live; replace_keeping_ttl(key, \"v2\") returned "
       << std::boolalpha << replaced << ", GET gives " << show(client.get(key)) << " and PTTL "
       << show_pttl(pttl) << ". Expected true, \"v2\" and the old expiry (between "
       << 3000 - clock.ms()
       << " and 3000 ms). A plain SET removes the expiry: the entry would "
          "then never expire. SET ... KEEPTTL keeps it.");
  CHECK(replaced);
  CHECK(client.get(key) == "v2"s);
  REQUIRE(pttl >= 3000 - clock.ms());
  REQUIRE(pttl <= 3000);
}

TEST_CASE("replace_keeping_ttl keeps a key that never expires without expiry", "[task4]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("settings");
  client.set(key, "v1");
  std::string error;
  bool replaced = false;
  try {
    replaced = ttl::replace_keeping_ttl(client, key, "v2");
  } catch (const wb::NotImplemented&) {
    throw;  // a stub reports itself as one
  } catch (const std::exception& e) {
    error = e.what();
  }
  long long pttl = client.pttl(key);
  INFO((!error.empty() || pttl >= 0
            ? "replace_keeping_ttl copied the key's TTL instead of keeping it: a key that never "
              "expires has no time to copy (PTTL answers -1). Keep the expiry as it is, whatever "
              "it is, in the same command that writes the value."
            : ""));
  INFO("The key held \"v1\" with no expiry; replace_keeping_ttl(key, \"v2\") "
       << (error.empty() ? "returned " + std::string(replaced ? "true" : "false")
                         : "threw \"" + error + "\"")
       << ", GET gives " << show(client.get(key)) << " and PTTL " << show_pttl(pttl)
       << ". Expected true, \"v2\" and still no expiry.");
  REQUIRE(error.empty());
  CHECK(replaced);
  CHECK(client.get(key) == "v2"s);
  REQUIRE(pttl == -1);
}

TEST_CASE("replace_keeping_ttl does not create a missing key", "[task4]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("profile");
  bool replaced = ttl::replace_keeping_ttl(client, key, "v2");
  long long pttl = client.pttl(key);
  INFO("replace_keeping_ttl on a missing key returned "
       << std::boolalpha << replaced << "; the key's PTTL is now " << show_pttl(pttl)
       << ". Expected false and no key: there "
          "is no expiry to keep, and a key created here would never expire. SET ... XX writes only "
          "when the key exists.");
  CHECK_FALSE(replaced);
  REQUIRE(client.exists(key) == 0);
}

// ---- task 5: new_otp_code ----------------------------------------------------------------

TEST_CASE("new_otp_code gives six decimal digits", "[task5]") {
  for (int i = 0; i < 3000; ++i) {
    std::string code = ttl::new_otp_code();
    INFO("Code number "
         << i + 1 << " was \"" << code
         << "\"; expected exactly 6 digits. A "
            "number below 100000 must keep its leading zeros: 42 is \"000042\" (format with "
            "%06u, or pad the string).");
    REQUIRE(is_code(code));
  }
}

TEST_CASE("every code from 000000 to 999999 can come: each digit is equally likely", "[task5]") {
  // 3000 codes: each digit should appear about 300 times in each position.
  // The window below is nine standard deviations wide on either side, so a
  // good generator never fails it, while a digit that never comes always does.
  int counts[6][10] = {};
  for (int i = 0; i < 3000; ++i) {
    std::string code = ttl::new_otp_code();
    REQUIRE(is_code(code));
    for (int p = 0; p < 6; ++p) ++counts[p][code[static_cast<std::size_t>(p)] - '0'];
  }
  for (int p = 0; p < 6; ++p) {
    for (int d = 0; d < 10; ++d) {
      INFO("In 3000 codes, digit "
           << d << " stood in position " << p + 1 << " " << counts[p][d]
           << " times; expected about 300 (150 to 450). A first digit that is "
              "never 0 means codes start at 100000 (like 100000 + r % 900000): a tenth of the "
              "codes can never come, which makes guessing easier.");
      REQUIRE(counts[p][d] >= 150);
      REQUIRE(counts[p][d] <= 450);
    }
  }
}

TEST_CASE("new_otp_code does not repeat itself", "[task5]") {
  std::set<std::string> seen;
  for (int i = 0; i < 3000; ++i) seen.insert(ttl::new_otp_code());
  INFO("3000 codes held only " << seen.size()
                               << " different ones; with a million possible "
                                  "codes, about 4 repeats are expected, not more than 25.");
  REQUIRE(seen.size() >= 2975);
}

// The tests below feed new_otp_code chosen bytes, or a failing source, through
// the grader's RAND_bytes (workbook/grading_random.hpp).

TEST_CASE("new_otp_code makes its code from RAND_bytes and from nothing else", "[task5]") {
  std::string first, second;
  int calls = 0;
  {
    auto fed = fake_rand::chosen(0x01, 0x01);
    first = ttl::new_otp_code();
    calls = fake_rand::state().calls;
  }
  {
    INFO("new_otp_code returned \"" << first
                                    << "\" and never called RAND_bytes. A code from "
                                       "std::rand or std::mt19937 (seeded from the time, or "
                                       "once from one 32-bit value) can be predicted: whoever "
                                       "guesses the seed knows every code to come. Take the "
                                       "bytes from RAND_bytes (<openssl/rand.h>).");
    REQUIRE(calls > 0);
  }
  {
    auto fed = fake_rand::chosen(0x01, 0x01);
    second = ttl::new_otp_code();
  }
  INFO("Fed the same bytes by RAND_bytes (all 0x01) twice, new_otp_code returned \""
       << first << "\", then \"" << second
       << "\". The code must follow from those bytes alone: something else (the time, "
          "std::rand) went into it.");
  REQUIRE(is_code(first));
  REQUIRE(first == second);
}

namespace {

struct Draw {
  std::string code;
  int calls = 0;
  long long bytes = 0;
};

// One code, with every byte of RAND_bytes's first call `first`, of the calls
// after it 0x01.
Draw draw_with_first(unsigned char first) {
  auto fed = fake_rand::chosen(first, 0x01);
  Draw d;
  d.code = ttl::new_otp_code();
  d.calls = fake_rand::state().calls;
  d.bytes = fake_rand::state().bytes;
  return d;
}

std::string took(const Draw& d) {
  return std::to_string(d.bytes) + " bytes (in " + std::to_string(d.calls) +
         (d.calls == 1 ? " call" : " calls") + ") and returned \"" + d.code + "\"";
}

}  // namespace

TEST_CASE("new_otp_code draws again where bytes cannot be spread evenly over the codes",
          "[task5]") {
  // No mapping of random bytes onto a million codes is even without drawing
  // again sometimes (a million is 2^6 * 5^6, and no power of 256 is a multiple
  // of 5). Where the uneven stretch lies depends on the method: at the top of
  // the range (n % 1000000 with n drawn again from 4294000000 up, a byte drawn
  // again from 250 up) or at the bottom (Lemire's method, OpenBSD's
  // arc4random_uniform). All-0xFF bytes land in the first, all-0x00 in the
  // second; all-0x01 bytes in neither.
  Draw plain = draw_with_first(0x01);
  Draw top = draw_with_first(0xFF);
  Draw bottom = draw_with_first(0x00);
  INFO("Fed all-0x01 bytes by RAND_bytes, new_otp_code took "
       << took(plain) << "; with the first call's bytes all 0xFF it took " << took(top)
       << "; with them all 0x00, " << took(bottom)
       << ". It never draws again, so some codes come more often than others: 4 random bytes "
          "are 4294967296 values, 4294 x 1000000 + 967296, so n % 1000000 gives each code from "
          "000000 to 967295 for 4295 of them and each of the others for 4294; a byte % 10 per "
          "digit gives the digits 0 to 5 in 26 of 256 cases and 6 to 9 in 25. Throw away the bytes "
          "that land in the "
          "incomplete stretch and draw new ones.");
  REQUIRE(is_code(plain.code));
  REQUIRE(is_code(top.code));
  REQUIRE(is_code(bottom.code));
  REQUIRE((top.bytes > plain.bytes || bottom.bytes > plain.bytes));
}

namespace {

void require_failure_thrown(int fail_with) {
  fake_rand::require_throws_when_failing(fail_with, "new_otp_code", "code", ttl::new_otp_code);
}

}  // namespace

TEST_CASE("new_otp_code throws std::runtime_error when RAND_bytes fails with 0", "[task5]") {
  require_failure_thrown(0);
}

TEST_CASE("new_otp_code throws std::runtime_error when RAND_bytes fails with -1", "[task5]") {
  require_failure_thrown(-1);
}

// ---- task 6: issue_otp -------------------------------------------------------------------

TEST_CASE("issue_otp stores a new code with its expiry and returns it", "[task6]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("otp:user:42");
  Stopwatch clock;
  auto code = ttl::issue_otp(client, key, 2000ms);
  auto stored = client.get(key);
  long long pttl = client.pttl(key);
  INFO("issue_otp(key, 2000ms) returned " << show(code) << "; the key " << holds(stored)
                                          << " with PTTL " << show_pttl(pttl)
                                          << ". Expected the same 6-digit code in both, "
                                             "expiring in "
                                          << 2000 - clock.ms()
                                          << " to 2000 ms. A code without expiry stays valid "
                                             "forever.");
  REQUIRE(code.has_value());
  CHECK(is_code(*code));
  CHECK(stored == code);
  REQUIRE(pttl >= 2000 - clock.ms());
  REQUIRE(pttl <= 2000);
}

TEST_CASE("asking again while a code is active changes nothing", "[task6]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("otp:user:42");
  auto first = ttl::issue_otp(client, key, 5000ms);
  REQUIRE(first.has_value());
  auto second = ttl::issue_otp(client, key, 60000ms);
  auto stored = client.get(key);
  long long pttl = client.pttl(key);
  INFO((stored && stored != first
            ? "issue_otp replaced the active code with a new one: while a code is active, asking "
              "again must leave it as it is and return std::nullopt."
            : ""));
  INFO("A code was issued for 5 s, then issue_otp was asked again (60 s): it returned "
       << show(second) << "; the key " << holds(stored) << " (first code " << show(first)
       << ") with PTTL " << show_pttl(pttl)
       << ". Expected std::nullopt, the first code and at "
          "most 5000 ms. If asking again replaces the code, anyone who knows the user's name can "
          "cancel their code, or keep a code alive forever; SET ... NX writes only when no code is "
          "there.");
  CHECK_FALSE(second.has_value());
  CHECK(stored == first);
  REQUIRE(pttl <= 5000);
}

TEST_CASE("issue_otp writes the code and its expiry in one command", "[task6]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  client.workbook_record_commands();
  ttl::issue_otp(client, keys.key("otp:user:42"), 30s);
  auto sent = client.workbook_recorded_commands();
  INFO("issue_otp sent:\n"
       << grading::describe(sent)
       << "Expected one SET with NX and PX (or EX). SET NX and then PEXPIRE leaves a moment in "
          "which the code exists without an expiry: if the program stops there, that code is "
          "valid forever.");
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].name() == "SET");
  CHECK(grading::has_arg(sent[0], "NX"));
  REQUIRE((grading::has_arg(sent[0], "PX") || grading::has_arg(sent[0], "EX")));
}

TEST_CASE("after a code expires, a new one can be issued", "[task6]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("otp:user:42");
  REQUIRE(ttl::issue_otp(client, key, 80ms).has_value());
  std::this_thread::sleep_for(150ms);
  auto again = ttl::issue_otp(client, key, 2000ms);
  INFO("The first code expired (80 ms, 150 ms ago); issue_otp returned "
       << show(again) << ", expected a new code.");
  REQUIRE(again.has_value());
  REQUIRE(client.get(key) == again);
}

TEST_CASE("issue_otp refuses a ttl of zero or less", "[task6]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  client.workbook_record_commands();
  INFO("issue_otp(key, 0ms) must throw std::invalid_argument: a code must expire.");
  CHECK_THROWS_AS(ttl::issue_otp(client, keys.key("otp:user:42"), 0ms), std::invalid_argument);
  auto sent = client.workbook_recorded_commands();
  INFO("Sent before refusing:\n" << grading::describe(sent));
  REQUIRE(sent.empty());
}

// ---- task 7: verify_otp ------------------------------------------------------------------

TEST_CASE("the right code is accepted once, then it is used up", "[task7]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("otp:user:42");
  client.set(key, "042917", 60s);
  bool first = ttl::verify_otp(client, key, "042917");
  INFO("verify_otp with the right code returned " << std::boolalpha << first << "; expected true.");
  REQUIRE(first);
  bool second = ttl::verify_otp(client, key, "042917");
  INFO("The same code again returned " << std::boolalpha << second << " and the key "
                                       << (client.exists(key) ? "still exists" : "is gone")
                                       << ". Expected false: a one-time "
                                          "password works once. Delete it when it is accepted.");
  REQUIRE_FALSE(second);
}

TEST_CASE("a wrong code is refused and the right one still works", "[task7]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  const std::string key = keys.key("otp:user:42");
  client.set(key, "042917", 60s);
  bool wrong = ttl::verify_otp(client, key, "042918");
  auto stored = client.get(key);
  INFO("verify_otp with a wrong code returned "
       << std::boolalpha << wrong << "; the key now " << holds(stored)
       << ". Expected false, and \"042917\" still "
          "there: reading the code with GETDEL before comparing throws the right code away on "
          "every typo. Delete only when the code matches.");
  CHECK_FALSE(wrong);
  REQUIRE(stored == "042917"s);
  REQUIRE(ttl::verify_otp(client, key, "042917"));
}

TEST_CASE("no code, or an expired one, is refused", "[task7]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  INFO("verify_otp on a key that holds no code must return false.");
  CHECK_FALSE(ttl::verify_otp(client, keys.key("otp:nobody"), "000000"));
  CHECK_FALSE(ttl::verify_otp(client, keys.key("otp:nobody"), ""));
  const std::string key = keys.key("otp:user:42");
  client.set(key, "042917", 50ms);
  std::this_thread::sleep_for(120ms);
  INFO("The code expired 70 ms ago: verify_otp must return false.");
  REQUIRE_FALSE(ttl::verify_otp(client, key, "042917"));
}

TEST_CASE("two requests with the right code at the same moment: exactly one wins", "[task7]") {
  grading::KeyScope keys("ttl");
  auto client = grading::connect();
  for (int round = 1; round <= 30; ++round) {
    const std::string key = keys.key("otp:race:" + std::to_string(round));
    client.set(key, "042917", 60s);
    std::atomic<int> accepted{0};
    grading::run_together(8, [&](int) {
      if (ttl::verify_otp(client, key, "042917")) ++accepted;
    });
    INFO(
        "Round "
        << round << ": 8 requests brought the right code at once and " << accepted.load()
        << " were accepted; expected exactly 1. GET, compare, then DEL is "
           "three steps: several requests can all read the code before the first deletes it, "
           "and a stolen code is then used twice. Compare and delete in one step inside the server "
           "(a Lua script with EVAL).");
    REQUIRE(accepted.load() == 1);
  }
}
