// Grader for lesson 08 - Sessions.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sessions.hpp"
#include "workbook/grading.hpp"
#include "workbook/grading_random.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
namespace fake_rand = wb::grading::fake_rand;

namespace {

bool is_base64url(const std::string& id) {
  return id.size() == 43 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The ids of the sessions that exist under the scope's prefix (found by SCAN).
std::vector<std::string> live_session_ids(const grading::KeyScope& keys) {
  const std::string start = keys.prefix() + "session:";
  std::vector<std::string> ids;
  for (const auto& k : keys.keys())
    if (k.rfind(start, 0) == 0) ids.push_back(k.substr(start.size()));
  return ids;
}

std::set<std::string> members(wb::Valkey& client, const std::string& key) {
  std::set<std::string> out;
  client.smembers(key, std::inserter(out, out.end()));
  return out;
}

const sessions::Policy long_policy{60s, 120s};

}  // namespace

// ---- task 1: new_session_id ------------------------------------------------------

TEST_CASE("a session id is 43 base64url characters (32 random bytes)", "[task1]") {
  for (int i = 0; i < 100; ++i) {
    std::string id = sessions::new_session_id();
    INFO("new_session_id() returned \""
         << id << "\" (" << id.size()
         << " characters). Expected 43 characters from A-Z a-z 0-9 - _: 32 bytes from RAND_bytes "
            "in base64url without '=' padding. '+', '/' and '=' need escaping in URLs and "
            "cookies; fewer bytes make ids easier to guess.");
    REQUIRE(is_base64url(id));
  }
}

TEST_CASE("session ids never repeat: 20000 ids made by 4 threads at once", "[task1]") {
  constexpr int threads = 4;
  constexpr int each = 5000;
  std::vector<std::vector<std::string>> made(threads);
  grading::run_together(threads, [&](int t) {
    for (int i = 0; i < each; ++i)
      made[static_cast<std::size_t>(t)].push_back(sessions::new_session_id());
  });
  std::set<std::string> distinct;
  for (const auto& v : made) distinct.insert(v.begin(), v.end());
  INFO(threads * each
       << " ids were made, " << distinct.size()
       << " of them distinct. Repeats mean ids built from the time, or from a generator seeded "
          "with the time: two logins in the same instant get the same id, and anyone who knows "
          "the time can guess it. Use RAND_bytes.");
  REQUIRE(distinct.size() == static_cast<std::size_t>(threads * each));
}

TEST_CASE("session ids look random: no two of 20000 start with the same 10 characters", "[task1]") {
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(sessions::new_session_id());
  std::sort(ids.begin(), ids.end());
  std::size_t longest = 0;
  std::string example;
  for (std::size_t i = 1; i < ids.size(); ++i) {
    auto diff = std::mismatch(ids[i - 1].begin(), ids[i - 1].end(), ids[i].begin(), ids[i].end());
    auto common = static_cast<std::size_t>(diff.first - ids[i - 1].begin());
    if (common > longest) {
      longest = common;
      example = ids[i - 1];
    }
  }
  INFO("Two ids share their first "
       << longest << " characters (" << example.substr(0, 12)
       << "...). Random ids almost never share more than 5. A long shared start is usually a "
          "timestamp or a counter inside the id: predictable.");
  REQUIRE(longest < 10);
}

TEST_CASE("every character of a session id is random, the last ones too", "[task1]") {
  // 32 random bytes are 256 bits; base64url writes 6 bits per character, so
  // the first 42 characters can each be any of 64, and the 43rd (4 bits) any
  // of 16. In 4000 ids, a character that is random shows nearly all of them.
  constexpr int count = 4000;
  std::vector<std::set<char>> seen(43);
  for (int i = 0; i < count; ++i) {
    std::string id = sessions::new_session_id();
    REQUIRE(id.size() == 43);
    for (std::size_t at = 0; at < id.size(); ++at) seen[at].insert(id[at]);
  }
  std::string fixed;
  for (std::size_t at = 0; at < seen.size(); ++at) {
    const std::size_t expected = at == 42 ? 16 : 64;
    if (seen[at].size() < expected * 3 / 4)
      fixed += (fixed.empty() ? "" : ", ") + std::to_string(at + 1) + " (" +
               std::to_string(seen[at].size()) + " of " + std::to_string(expected) + ")";
  }
  INFO("In " << count << " ids, these characters took only a few values: " << fixed
             << ". Those characters are not random: fewer than 32 random bytes went into the "
                "id (RAND_bytes asked for fewer than 32, the rest of the buffer left as "
                "zeros), or part of it is fixed. The start of the id looks fine, so the "
                "mistake hides; every one of the 32 bytes must come from the random source.");
  REQUIRE(fixed.empty());
}

TEST_CASE("session ids do not come from std::rand", "[task1]") {
  std::srand(12345);
  std::string first = sessions::new_session_id();
  std::srand(12345);
  std::string second = sessions::new_session_id();
  INFO("After std::srand(12345) the same id came out twice ("
       << first.substr(0, 6)
       << "...). The id is made from std::rand, whose whole future follows from one small seed: "
          "an attacker who sees one id can compute the next. Use RAND_bytes.");
  REQUIRE(first != second);
}

// The tests below feed new_session_id chosen bytes, or a failing source,
// through the grader's RAND_bytes (workbook/grading_random.hpp).

TEST_CASE("a session id is the base64url of the 32 bytes RAND_bytes gave", "[task1]") {
  // fb ff bf are "+/+/" in standard base64, "-_-_" in base64url; the last
  // two bytes make the 43rd character.
  const std::vector<unsigned char> bytes = {0xfb, 0xff, 0xbf, 0x00, 0x01, 0x02, 0x03, 0x04,
                                            0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
                                            0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
                                            0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c};
  const std::string expected = "-_-_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw";
  const fake_rand::Drawn drawn = fake_rand::call_with_bytes(bytes, sessions::new_session_id);
  {
    INFO("new_session_id returned \""
         << drawn.returned
         << "\" and never called RAND_bytes. An id from std::random_device or std::mt19937 "
            "(however it is seeded) does not come from OpenSSL's generator: take all 32 bytes "
            "from RAND_bytes (<openssl/rand.h>).");
    REQUIRE(drawn.calls > 0);
  }
  INFO("Fed the bytes fb ff bf 00 01 02 ... 1c by RAND_bytes (asked for "
       << drawn.bytes << " bytes in " << drawn.calls << (drawn.calls == 1 ? " call" : " calls")
       << "), new_session_id returned \"" << drawn.returned << "\"; expected \"" << expected
       << "\": those 32 bytes in base64 (EVP_EncodeBlock's alphabet), with '-' for '+', '_' for "
          "'/' and no '=' padding. Nothing else goes into the id.");
  REQUIRE(drawn.returned == expected);
}

TEST_CASE("new_session_id throws std::runtime_error when RAND_bytes fails with 0", "[task1]") {
  fake_rand::require_throws_when_failing(0, "new_session_id", "session id",
                                         sessions::new_session_id);
}

TEST_CASE("new_session_id throws std::runtime_error when RAND_bytes fails with -1", "[task1]") {
  fake_rand::require_throws_when_failing(-1, "new_session_id", "session id",
                                         sessions::new_session_id);
}

// ---- task 2: create --------------------------------------------------------------

TEST_CASE("create stores the user and the data in the session's hash", "[task2]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::string id = sessions::create(client, keys.prefix(), "ada",
                                    {{"cart", "3 books"}, {"lang", "pt"}}, long_policy);
  {
    INFO("create returned the id \"" << id << "\"; expected one from new_session_id().");
    REQUIRE(is_base64url(id));
  }
  const std::string key = sessions::session_key(keys.prefix(), id);
  INFO(
      "The contract (sessions.hpp) says the session is a hash at <prefix>session:<id> with "
      "fields user, deadline_ms and data:<name> for each data entry.");
  CHECK(client.type(key) == "hash");
  CHECK(client.hget(key, "user") == "ada"s);
  CHECK(client.hget(key, "data:cart") == "3 books"s);
  CHECK(client.hget(key, "data:lang") == "pt"s);
  REQUIRE(client.hexists(key, "deadline_ms"));
}

TEST_CASE("a new session's TTL is its idle timeout and its deadline the absolute lifetime",
          "[task2]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{20s, 90s};
  long long before = now_ms();
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  const std::string key = sessions::session_key(keys.prefix(), id);
  long long pttl = client.pttl(key);
  {
    INFO("PTTL of the new session is "
         << pttl
         << " ms; expected just under 20000 (the idle "
            "timeout). -1 means no TTL at all: an abandoned session would live forever.");
    REQUIRE(pttl > 18000);
    REQUIRE(pttl <= 20000);
  }
  auto deadline = client.hget(key, "deadline_ms").value_or("?");
  INFO("deadline_ms is \"" << deadline << "\"; expected about " << before + 90000
                           << " (now + the absolute lifetime, in milliseconds since 1970).");
  long long value = std::atoll(deadline.c_str());
  REQUIRE(value >= before + 90000 - 2000);
  REQUIRE(value <= now_ms() + 90000 + 2000);
}

TEST_CASE("a new session's TTL never exceeds the absolute lifetime", "[task2]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{60s, 800ms};  // the cap is shorter than the idle timeout
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  long long pttl = client.pttl(sessions::session_key(keys.prefix(), id));
  INFO("Idle timeout 60 s, absolute lifetime 800 ms: the session's PTTL is "
       << pttl
       << " ms; expected at most 800, min(idle, absolute). A TTL of the idle timeout "
          "alone ignores the absolute cap: the session outlives its lifetime.");
  REQUIRE(pttl > 0);
  REQUIRE(pttl <= 800);
}

TEST_CASE("the user's set lists the session and expires with the absolute lifetime", "[task2]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{20s, 90s};
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  const std::string index = sessions::user_sessions_key(keys.prefix(), "ada");
  {
    INFO(
        "After create, SISMEMBER <prefix>user:ada:sessions <id> is false: \"log out "
        "everywhere\" could never find this session.");
    REQUIRE(client.sismember(index, id));
  }
  long long pttl = client.pttl(index);
  INFO("PTTL of the user's set is "
       << pttl
       << " ms; expected just under 90000 (the absolute "
          "lifetime). -1 means the set never expires: every user who ever logged in keeps a set "
          "forever, and memory only grows.");
  REQUIRE(pttl > 88000);
  REQUIRE(pttl <= 90000);
}

TEST_CASE(
    "every login sets the user's set's TTL again: the set lives as long as the newest session",
    "[task2]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const std::string index = sessions::user_sessions_key(keys.prefix(), "ada");
  sessions::create(client, keys.prefix(), "ada", {}, sessions::Policy{2s, 3s});
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, sessions::Policy{20s, 90s});
  long long pttl = client.pttl(index);
  INFO(
      "ada logged in with an absolute lifetime of 3 s, then again with 90 s. The user's set now "
      "has a PTTL of "
      << pttl
      << " ms; expected just under 90000. The set's TTL was kept from the first login (set "
         "only when the set was new: PEXPIRE ... NX, or a check that it exists): the second "
         "session outlives the set that lists it, and \"log out everywhere\" can no longer "
         "find it. Set the set's TTL on every create.");
  REQUIRE(client.sismember(index, id));
  REQUIRE(pttl > 88000);
  REQUIRE(pttl <= 90000);
}

TEST_CASE("create refuses an empty user id or a non-positive duration, before sending anything",
          "[task2]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  client.workbook_record_commands();
  INFO(
      "An empty user id, or a policy with 0 ms, is a bug in the caller: throw "
      "std::invalid_argument and send nothing.");
  REQUIRE_THROWS_AS(sessions::create(client, keys.prefix(), "", {}, long_policy),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(sessions::create(client, keys.prefix(), "ada", {}, sessions::Policy{0ms, 60s}),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(sessions::create(client, keys.prefix(), "ada", {}, sessions::Policy{60s, -1ms}),
                    std::invalid_argument);
  auto sent = client.workbook_recorded_commands();
  INFO("Commands sent before refusing:\n" << grading::describe(sent));
  REQUIRE(sent.empty());
}

// ---- task 3: load ----------------------------------------------------------------

TEST_CASE("load returns the session: its id, user and data", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::string id =
      sessions::create(client, keys.prefix(), "ada", {{"cart", "3 books"}}, long_policy);
  auto session = sessions::load(client, keys.prefix(), id, long_policy);
  {
    INFO("load of a session that was just created returned std::nullopt.");
    REQUIRE(session.has_value());
  }
  CHECK(session->id == id);
  CHECK(session->user_id == "ada");
  INFO("Session::data should hold {cart: \"3 books\"}, the names without the \"data:\" prefix.");
  REQUIRE(session->data == std::map<std::string, std::string>{{"cart", "3 books"}});
}

TEST_CASE("a session that does not exist is std::nullopt", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  auto session = sessions::load(client, keys.prefix(), sessions::new_session_id(), long_policy);
  INFO("load of an id that was never created returned a session for user \""
       << (session ? session->user_id : "") << "\".");
  REQUIRE_FALSE(session.has_value());
}

TEST_CASE("load pushes the idle expiry forward (sliding expiry)", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{1000ms, 60s};
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  const std::string key = sessions::session_key(keys.prefix(), id);
  std::this_thread::sleep_for(600ms);
  long long before = client.pttl(key);
  REQUIRE(sessions::load(client, keys.prefix(), id, policy).has_value());
  long long after = client.pttl(key);
  INFO("Idle timeout 1000 ms. 600 ms after create the PTTL was "
       << before << " ms; right after load it is " << after
       << " ms, expected close to 1000 again. "
          "Without the refresh, a user who is active the whole time is logged out 1000 ms "
          "after logging in: load must set the TTL again (PEXPIRE).");
  REQUIRE(after > 700);
}

TEST_CASE("a session used every 150 ms outlives its 600 ms idle timeout", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{600ms, 60s};
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  for (int use = 1; use <= 6; ++use) {
    std::this_thread::sleep_for(150ms);
    auto session = sessions::load(client, keys.prefix(), id, policy);
    INFO("Use " << use << " (" << use * 150
                << " ms after create) found no session. Each load "
                   "should have started the 600 ms again: this is what sliding expiry means.");
    REQUIRE(session.has_value());
  }
}

TEST_CASE("an unused session is gone after its idle timeout", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{200ms, 60s};
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  std::this_thread::sleep_for(450ms);
  auto session = sessions::load(client, keys.prefix(), id, policy);
  INFO(
      "Idle timeout 200 ms; 450 ms later load still found the session. Is the session key "
      "created with a TTL?");
  REQUIRE_FALSE(session.has_value());
}

TEST_CASE("the refresh never goes past the absolute lifetime", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{1000ms, 1200ms};
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, policy);
  const std::string key = sessions::session_key(keys.prefix(), id);
  std::this_thread::sleep_for(500ms);
  REQUIRE(sessions::load(client, keys.prefix(), id, policy).has_value());
  long long pttl = client.pttl(key);
  INFO("Idle 1000 ms, absolute lifetime 1200 ms. A load 500 ms after create set the PTTL to "
       << pttl
       << " ms; expected at most about 700, the time left until deadline_ms. A refresh "
          "of the full idle timeout lets a busy session live past its absolute lifetime.");
  REQUIRE(pttl > 0);
  REQUIRE(pttl <= 850);
}

TEST_CASE("a session past its deadline is refused and deleted, whatever its TTL says", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::string id = sessions::new_session_id();
  const std::string key = sessions::session_key(keys.prefix(), id);
  // As an older version of the code might have left it: a long TTL, a past deadline.
  client.hset(key, "user", "ada");
  client.hset(key, "deadline_ms", std::to_string(now_ms() - 1000));
  client.pexpire(key, 60s);
  auto session = sessions::load(client, keys.prefix(), id, long_policy);
  INFO(
      "deadline_ms was a second ago, the TTL 60 s: load must compare deadline_ms with the "
      "clock, refuse the session and delete it. The TTL alone is not the rule.");
  REQUIRE_FALSE(session.has_value());
  REQUIRE(client.exists(key) == 0);
}

TEST_CASE("a corrupt session is refused and deleted, not a crash", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::string bad_deadline = sessions::new_session_id();
  std::string no_user = sessions::new_session_id();
  client.hset(sessions::session_key(keys.prefix(), bad_deadline),
              {std::make_pair("user", "ada"), std::make_pair("deadline_ms", "banana")});
  client.hset(sessions::session_key(keys.prefix(), no_user), "deadline_ms",
              std::to_string(now_ms() + 60000));
  std::optional<sessions::Session> first, second;
  {
    INFO(
        "A session hash with deadline_ms \"banana\", or with no user field, must give "
        "std::nullopt. An exception here (std::stoll throws std::invalid_argument) turns one bad "
        "entry into an error page on every request that carries that cookie.");
    REQUIRE_NOTHROW(first = sessions::load(client, keys.prefix(), bad_deadline, long_policy));
    REQUIRE_NOTHROW(second = sessions::load(client, keys.prefix(), no_user, long_policy));
    REQUIRE_FALSE(first.has_value());
    REQUIRE_FALSE(second.has_value());
  }
  INFO("The corrupt hashes should be deleted, so they are not read again and again.");
  REQUIRE(client.exists(sessions::session_key(keys.prefix(), bad_deadline)) == 0);
  REQUIRE(client.exists(sessions::session_key(keys.prefix(), no_user)) == 0);
}

TEST_CASE("a malformed id is refused without asking the server", "[task3]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const std::string good = sessions::new_session_id();
  const std::vector<std::string> malformed{"",
                                           "abc",
                                           good + "A",
                                           good.substr(0, 42) + "*",
                                           good.substr(0, 42) + ":",
                                           good.substr(0, 42) + "="};
  client.workbook_record_commands();
  for (const auto& id : malformed) {
    INFO("id \"" << id << "\"");
    CHECK_FALSE(sessions::load(client, keys.prefix(), id, long_policy).has_value());
    CHECK_FALSE(sessions::destroy(client, keys.prefix(), id));
    CHECK_FALSE(sessions::rotate(client, keys.prefix(), id).has_value());
  }
  auto sent = client.workbook_recorded_commands();
  INFO(
      "A session id comes from a cookie: anyone can send anything. Check it is 43 base64url "
      "characters before it goes into a key name. Commands sent for malformed ids:\n"
      << grading::describe(sent));
  REQUIRE(sent.empty());
}

// ---- task 4: destroy ---------------------------------------------------------------

TEST_CASE("after destroy (log out) the session cannot be loaded and its key is gone", "[task4]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::string id = sessions::create(client, keys.prefix(), "ada", {}, long_policy);
  bool destroyed = sessions::destroy(client, keys.prefix(), id);
  const std::string key = sessions::session_key(keys.prefix(), id);
  {
    INFO(
        "After log out the session hash still exists: anyone holding the cookie (a shared "
        "computer, a stolen cookie) is still logged in. destroy must DEL the session key.");
    REQUIRE(client.exists(key) == 0);
    REQUIRE_FALSE(sessions::load(client, keys.prefix(), id, long_policy).has_value());
  }
  {
    INFO("destroy returned false for a live session; expected true (DEL removed 1 key).");
    REQUIRE(destroyed);
  }
  INFO("The id should also leave the user's set (SREM).");
  REQUIRE_FALSE(client.sismember(sessions::user_sessions_key(keys.prefix(), "ada"), id));
}

TEST_CASE("destroy returns false when there was no session", "[task4]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  bool destroyed = sessions::destroy(client, keys.prefix(), sessions::new_session_id());
  INFO(
      "destroy of an id that was never created returned true. DEL answers how many keys it "
      "removed: use that.");
  REQUIRE_FALSE(destroyed);
}

// ---- task 5: destroy_all_for_user ------------------------------------------------

TEST_CASE("log out everywhere deletes every session of that user, and no other", "[task5]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::vector<std::string> ada;
  for (int i = 0; i < 3; ++i)
    ada.push_back(sessions::create(client, keys.prefix(), "ada", {}, long_policy));
  std::string bob = sessions::create(client, keys.prefix(), "bob", {}, long_policy);

  long long deleted = sessions::destroy_all_for_user(client, keys.prefix(), "ada");
  for (const auto& id : ada) {
    INFO("After destroy_all_for_user(\"ada\"), one of ada's sessions still loads.");
    REQUIRE_FALSE(sessions::load(client, keys.prefix(), id, long_policy).has_value());
  }
  {
    INFO("destroy_all_for_user(\"ada\") returned " << deleted << "; ada had 3 sessions.");
    REQUIRE(deleted == 3);
  }
  {
    INFO("bob's session must not be touched.");
    REQUIRE(sessions::load(client, keys.prefix(), bob, long_policy).has_value());
  }
  {
    INFO("ada's set should be deleted too.");
    REQUIRE(client.exists(sessions::user_sessions_key(keys.prefix(), "ada")) == 0);
  }
  REQUIRE_THROWS_AS(sessions::destroy_all_for_user(client, keys.prefix(), ""),
                    std::invalid_argument);
}

TEST_CASE("log out everywhere counts the sessions it deleted, not the ids its set listed",
          "[task5]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  // One session that expires on its own (idle 50 ms): its id stays in the set.
  std::string gone =
      sessions::create(client, keys.prefix(), "ada", {}, sessions::Policy{50ms, 60s});
  for (int i = 0; i < 2; ++i) sessions::create(client, keys.prefix(), "ada", {}, long_policy);
  std::this_thread::sleep_for(200ms);
  const std::string index = sessions::user_sessions_key(keys.prefix(), "ada");
  REQUIRE(client.sismember(index, gone));
  REQUIRE(client.exists(sessions::session_key(keys.prefix(), gone)) == 0);

  long long deleted = sessions::destroy_all_for_user(client, keys.prefix(), "ada");
  INFO(
      "ada's set listed 3 ids, and one of those sessions had already expired; "
      "destroy_all_for_user returned "
      << deleted
      << ", expected 2. The set may list sessions that are gone (the contract says so): "
         "counting the ids it listed counts sessions nobody deleted. Return what DEL says it "
         "removed.");
  REQUIRE(deleted == 2);
}

TEST_CASE("log out everywhere racing with logins leaves no live session outside the set",
          "[task5]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  constexpr int creators = 6;
  constexpr int logins_each = 40;
  std::atomic<int> creating{creators};
  std::atomic<int> logouts{0};
  grading::run_together(creators + 1, [&](int t) {
    if (t < creators) {
      for (int i = 0; i < logins_each; ++i)
        sessions::create(client, keys.prefix(), "zoe", {}, long_policy);
      --creating;
    } else {
      while (creating > 0 || logouts < 20) {
        sessions::destroy_all_for_user(client, keys.prefix(), "zoe");
        ++logouts;
      }
    }
  });
  auto indexed = members(client, sessions::user_sessions_key(keys.prefix(), "zoe"));
  std::vector<std::string> forgotten;
  for (const auto& id : live_session_ids(keys))
    if (!indexed.count(id)) forgotten.push_back(id);
  {
    INFO(creators
         << " threads logged zoe in " << logins_each
         << " times each while another ran "
            "\"log out everywhere\" "
         << logouts.load() << " times. Afterwards " << forgotten.size()
         << " live session(s) were in no set: no later \"log out everywhere\" can find them. "
            "That is SMEMBERS, then DEL of the set, as two steps: a login in between is dropped "
            "from the set while its session lives on. Read and delete the set in one step "
            "(MULTI/EXEC).");
    REQUIRE(forgotten.empty());
  }
  sessions::destroy_all_for_user(client, keys.prefix(), "zoe");
  auto left = live_session_ids(keys);
  INFO("After one more \"log out everywhere\", " << left.size()
                                                 << " session(s) of zoe still live.");
  REQUIRE(left.empty());
}

// ---- task 6: rotate ----------------------------------------------------------------

TEST_CASE("rotate gives a new id with the same user, data, deadline and TTL", "[task6]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  const sessions::Policy policy{20s, 90s};
  std::string old_id =
      sessions::create(client, keys.prefix(), "ada", {{"cart", "3 books"}}, policy);
  const std::string old_key = sessions::session_key(keys.prefix(), old_id);
  auto deadline = client.hget(old_key, "deadline_ms");
  long long old_pttl = client.pttl(old_key);

  auto new_id = sessions::rotate(client, keys.prefix(), old_id);
  {
    INFO("rotate of a live session returned " << (new_id ? "\"" + *new_id + "\"" : "std::nullopt")
                                              << "; expected a new id from new_session_id().");
    REQUIRE(new_id.has_value());
    REQUIRE(is_base64url(*new_id));
    REQUIRE(*new_id != old_id);
  }
  auto session = sessions::load(client, keys.prefix(), *new_id, policy);
  {
    INFO("The new id loads no session, or not the same user and data.");
    REQUIRE(session.has_value());
    CHECK(session->user_id == "ada");
    CHECK(session->data == std::map<std::string, std::string>{{"cart", "3 books"}});
  }
  const std::string new_key = sessions::session_key(keys.prefix(), *new_id);
  {
    INFO("The deadline must stay: a new id is not a new lifetime.");
    CHECK(client.hget(new_key, "deadline_ms") == deadline);
  }
  {
    INFO("The new id should be in the user's set.");
    REQUIRE(client.sismember(sessions::user_sessions_key(keys.prefix(), "ada"), *new_id));
  }
  long long pttl = client.pttl(new_key);
  INFO("PTTL of the new session is " << pttl << " ms; the old one had " << old_pttl
                                     << " ms. RENAME keeps the TTL.");
  REQUIRE(pttl > 0);
  REQUIRE(pttl <= 20000);
}

TEST_CASE("after rotate the old id is dead", "[task6]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  std::string old_id = sessions::create(client, keys.prefix(), "ada", {}, long_policy);
  auto new_id = sessions::rotate(client, keys.prefix(), old_id);
  REQUIRE(new_id.has_value());
  {
    INFO(
        "After rotate, the old id still loads a session. Session fixation: an attacker plants "
        "an id in the victim's browser before login; if that id still works after login, the "
        "attacker is logged in as the victim. RENAME the hash (or delete the old key).");
    REQUIRE(client.exists(sessions::session_key(keys.prefix(), old_id)) == 0);
    REQUIRE_FALSE(sessions::load(client, keys.prefix(), old_id, long_policy).has_value());
  }
  INFO("The old id should also leave the user's set.");
  REQUIRE_FALSE(client.sismember(sessions::user_sessions_key(keys.prefix(), "ada"), old_id));
}

TEST_CASE("rotate of a session that does not exist is std::nullopt", "[task6]") {
  grading::KeyScope keys("sessions");
  auto client = grading::connect();
  auto new_id = sessions::rotate(client, keys.prefix(), sessions::new_session_id());
  {
    INFO("rotate of an id that was never created returned a new id: nothing to rotate.");
    REQUIRE_FALSE(new_id.has_value());
  }
  REQUIRE(live_session_ids(keys).empty());
}
