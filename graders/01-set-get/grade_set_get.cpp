// Grader for lesson 01 - SET, GET and DEL.
#include <algorithm>
#include <atomic>
#include <string>

#include "set_get.hpp"
#include "workbook/grading.hpp"

using namespace std::string_literals;
namespace grading = wb::grading;

TEST_CASE("set_key stores the value under the key, for GET to read back", "[task1]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("greeting");

  client.workbook_record_commands();
  set_get::set_key(client, key, "hello");
  auto sent = client.workbook_recorded_commands();

  auto stored = client.get(key);
  // The mistake first, when the commands sent show it.
  INFO((grading::count(sent, "SET") == 0
            ? "set_key never sent SET: it returned the value without storing it. Send SET with "
              "the key and the value to the server, then return the value."
            : ""));
  INFO("After set_key(client, key, \"hello\"), GET key returned "
       << (stored ? "\"" + *stored + "\"" : "nil (no such key)") << ".");
  INFO("Expected \"hello\". Did set_key send SET with this very key and value?");
  REQUIRE(stored == "hello"s);
}

TEST_CASE("set_key returns the value it stored", "[task1]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  std::string returned = set_get::set_key(client, keys.key("city"), "Lisbon");
  INFO("set_key returned \"" << returned << "\"; expected \"Lisbon\", the value now stored.");
  REQUIRE(returned == "Lisbon");
}

TEST_CASE("set_key overwrites an existing value and leaves no expiry", "[task1]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("colour");
  client.set(key, "red", std::chrono::seconds(100));

  set_get::set_key(client, key, "blue");

  INFO("SET replaces the old value (and, unless told otherwise, its TTL).");
  REQUIRE(client.get(key) == "blue"s);
  long long ttl = client.ttl(key);
  INFO("TTL after set_key was " << ttl
                                << "; a plain SET leaves -1 (no expiry). "
                                   "Task 1 asks for a plain SET, without EX or KEEPTTL.");
  REQUIRE(ttl == -1);
}

TEST_CASE("set_key keeps values byte for byte: UTF-8, NUL bytes and 1 MiB", "[task1]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string utf8 = "caf\xc3\xa9 \xe2\x98\x95";
  const std::string with_nul = "a\0b\0c"s;
  const std::string big(1024 * 1024, 'x');

  set_get::set_key(client, keys.key("utf8"), utf8);
  set_get::set_key(client, keys.key("nul"), with_nul);
  set_get::set_key(client, keys.key("big"), big);

  INFO(
      "Values are bytes, not C strings: use the std::string_view you were given "
      "as it is (a .c_str() or a char* stops at the first NUL byte).");
  CHECK(client.get(keys.key("utf8")) == utf8);
  CHECK(client.get(keys.key("nul")) == with_nul);
  auto stored_big = client.get(keys.key("big"));
  REQUIRE(stored_big.has_value());
  REQUIRE(stored_big->size() == big.size());
}

TEST_CASE("set_key refuses an empty key before sending anything", "[task1]") {
  // A dry run: whatever set_key tries to send is recorded, not sent, so a
  // wrong answer cannot write to the key "" of whoever else uses the server.
  bool refused = false;
  auto sent = grading::dry_run([&](wb::Valkey& client) {
    try {
      set_get::set_key(client, "", "value");
    } catch (const std::invalid_argument&) {
      refused = true;
    }
  });
  INFO("set_key(client, \"\", \"value\") tried to send:\n"
       << grading::describe(sent)
       << "An empty key usually means an id that was never filled in. Task 1 asks set_key "
          "to throw std::invalid_argument for it, before sending anything. (This grader "
          "did not let the command reach the server.)");
  CHECK(sent.empty());
  REQUIRE(refused);
}

TEST_CASE("set_key stores an empty value: only an empty key is refused", "[task1]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("nickname");
  std::string refusal;
  try {
    set_get::set_key(client, key, "");
  } catch (const std::invalid_argument& e) {
    refusal = e.what();
    if (refusal.empty()) refusal = "(no message)";
  }
  INFO((refusal.empty() ? std::string()
                        : "set_key refused an empty value (std::invalid_argument: \"" + refusal +
                              "\"). Only an empty key is refused: the empty string is a value "
                              "like any other, and GET must then find it."));
  REQUIRE(refusal.empty());
  auto stored = client.get(key);
  INFO("After set_key(client, key, \"\"), GET key returned "
       << (stored ? "\"" + *stored + "\"" : "nil (no such key)")
       << ". Expected \"\": a key that holds the empty string exists.");
  REQUIRE(stored == ""s);
}

TEST_CASE("get_key returns the stored value", "[task2]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  client.set(keys.key("language"), "C++");
  auto value = set_get::get_key(client, keys.key("language"));
  INFO("get_key returned " << (value ? "\"" + *value + "\"" : "std::nullopt")
                           << "; the key holds \"C++\".");
  REQUIRE(value == "C++"s);
}

TEST_CASE("a missing key is std::nullopt, not an empty string", "[task2]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  auto value = set_get::get_key(client, keys.key("never-set"));
  INFO("get_key on a key that does not exist returned \""
       << value.value_or("")
       << "\" instead of std::nullopt. A cache must tell "
          "\"not cached\" (nullopt: go to the database) from \"cached, and empty\". "
          "Do not turn the client's nullopt into \"\" with value_or.");
  REQUIRE_FALSE(value.has_value());
}

TEST_CASE("a key holding the empty string is found, and is empty", "[task2]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  client.set(keys.key("empty"), "");
  auto value = set_get::get_key(client, keys.key("empty"));
  INFO("The key exists and holds \"\": get_key must return \"\", not std::nullopt.");
  REQUIRE(value == ""s);
}

TEST_CASE("a key holding a list is the server's error, not a missing key", "[task2]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("queue");
  client.rpush(key, "job-1");
  std::optional<std::string> value;
  bool reply_error = false;
  try {
    value = set_get::get_key(client, key);
  } catch (const wb::ReplyError&) {
    reply_error = true;
  }
  INFO("get_key on a key that holds a list returned "
       << (value ? "\"" + *value + "\"" : "std::nullopt")
       << " instead of throwing. The server answered WRONGTYPE: that is an error, not a miss. "
          "Turned into std::nullopt it tells the caller \"not cached\": a cache-aside caller "
          "then asks the database and its SET replaces the list, someone else's data. Let the "
          "client's wb::ReplyError reach the caller.");
  REQUIRE(reply_error);
  REQUIRE(client.type(key) == "list");
}

TEST_CASE("delete_key returns 1 when it deleted the key, and the key is gone", "[task3]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("session");
  client.set(key, "x");
  long long deleted = set_get::delete_key(client, key);
  INFO("delete_key returned " << deleted << " for a key that existed; expected 1.");
  CHECK(deleted == 1);
  INFO("After delete_key, EXISTS still found the key: was DEL sent with this key?");
  REQUIRE(client.exists(key) == 0);
}

TEST_CASE("delete_key returns 0 when there was nothing to delete", "[task3]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  long long deleted = set_get::delete_key(client, keys.key("not-there"));
  INFO("delete_key returned "
       << deleted
       << " for a key that does not exist. DEL "
          "answers with the number of keys it removed: return that, do not assume 1.");
  REQUIRE(deleted == 0);
}

TEST_CASE("delete_key deletes a key of any type: a list too", "[task3]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("queue");
  client.rpush(key, "job-1");
  long long deleted = -1;
  const std::string thrown =
      grading::what_was_thrown([&] { deleted = set_get::delete_key(client, key); });
  INFO("delete_key on a key that holds a list "
       << (thrown == "nothing" ? "returned " + std::to_string(deleted) : "threw " + thrown)
       << ". DEL removes a key whatever it holds and answers 1. A delete_key that reads the "
          "value first (GET, then DEL) fails with WRONGTYPE on a list, and is two commands "
          "where one does it.");
  REQUIRE(thrown == "nothing");
  REQUIRE(deleted == 1);
  INFO("After delete_key, EXISTS still found the key: was DEL sent with this key?");
  REQUIRE(client.exists(key) == 0);
}

TEST_CASE("delete_key: of 8 callers deleting the same key at once, exactly one gets 1",
          "[task3]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();  // shared: each call borrows its own connection
  const std::string key = keys.key("session");
  constexpr int rounds = 100;
  constexpr int callers = 8;
  int wrong_rounds = 0;
  int most_ones = 1;
  int fewest_ones = 1;
  for (int round = 0; round < rounds; ++round) {
    client.set(key, "x");
    std::atomic<int> ones{0};
    grading::run_together(callers, [&](int) {
      if (set_get::delete_key(client, key) == 1) ++ones;
    });
    const int n = ones.load();
    if (n != 1) ++wrong_rounds;
    most_ones = std::max(most_ones, n);
    fewest_ones = std::min(fewest_ones, n);
  }
  INFO(rounds << " times, " << callers << " callers deleted the same key at once. In "
              << wrong_rounds << " of them the number of callers that got 1 was not 1 (it "
              << "ranged from " << fewest_ones << " to " << most_ones << "). "
              << (most_ones > 1
                      ? "More than one caller got 1: checking first (EXISTS, then DEL) leaves "
                        "a gap in which every caller sees the key before any of them deletes "
                        "it, and each reports the one deletion as its own. "
                      : "")
              << "DEL's own answer says whether this very call removed the key: return it.");
  REQUIRE(wrong_rounds == 0);
}

TEST_CASE("count_visit starts a counter at 1 and adds 1 each time", "[task4]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("visits");
  CHECK(set_get::count_visit(client, key) == 1);
  CHECK(set_get::count_visit(client, key) == 2);
  REQUIRE(set_get::count_visit(client, key) == 3);
  REQUIRE(client.get(key) == "3"s);
}

TEST_CASE("count_visit counts in one command: INCR", "[task4]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("visits");
  client.set(key, "41");
  client.workbook_record_commands();
  long long now = set_get::count_visit(client, key);
  auto sent = client.workbook_recorded_commands();
  INFO(
      "count_visit should send one INCR, which reads, adds and writes inside the server "
      "in one step. A GET, +1 in C++, then SET is a read-modify-write: two callers can both "
      "read 41 and both write 42, and a visit is lost. count_visit sent:\n"
      << grading::describe(sent));
  CHECK(grading::count(sent, "INCR") == 1);
  REQUIRE(sent.size() == 1);
  REQUIRE(now == 42);
}

TEST_CASE("count_visit loses no visit when 16 callers count at once", "[task4]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();  // shared: each call borrows its own connection
  const std::string key = keys.key("visits");
  constexpr int callers = 16;
  constexpr int visits_each = 50;

  grading::run_together(callers, [&](int) {
    for (int i = 0; i < visits_each; ++i) set_get::count_visit(client, key);
  });

  auto total = client.get(key);
  INFO(callers << " callers counted " << visits_each << " visits each; the counter holds "
               << total.value_or("nothing") << ", expected " << callers * visits_each
               << ". Lost visits mean a read-modify-write: use INCR.");
  REQUIRE(total == std::to_string(callers * visits_each));
}

TEST_CASE("count_visit on a value that is not a number is the server's error, and the value stays",
          "[task4]") {
  grading::KeyScope keys("set-get");
  auto client = grading::connect();
  const std::string key = keys.key("visits");
  client.set(key, "ten");
  long long returned = 0;
  const std::string thrown =
      grading::what_was_thrown([&] { returned = set_get::count_visit(client, key); });
  auto stored = client.get(key);
  INFO("count_visit on a key that holds \"ten\" "
       << (thrown == "nothing" ? "returned " + std::to_string(returned) : "threw " + thrown)
       << "; afterwards the key holds " << (stored ? "\"" + *stored + "\"" : "nothing")
       << ". INCR refuses a value that is not a whole number, and that refusal must reach the "
          "caller as the client's wb::ReplyError. Catching it and starting the counter again "
          "erases what the key held (someone else's data, or a bug you can then no longer "
          "see).");
  REQUIRE(thrown.rfind("wb::ReplyError", 0) == 0);
  REQUIRE(stored == "ten"s);
}
