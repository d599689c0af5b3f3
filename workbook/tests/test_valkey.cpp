// The Valkey client's commands, group by group, against the real server.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "support.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using wb::UpdateType;
using wb_test::thrown_by;

// ---- connection ------------------------------------------------------------------

TEST_CASE("ping answers PONG and the server names itself redis or valkey with a version") {
  auto client = grading::connect();
  REQUIRE(client.ping() == "PONG");
  std::string name = client.server_name();
  CAPTURE(name);
  REQUIRE((name == "redis" || name == "valkey"));
  std::string version = client.server_version();
  CAPTURE(version);
  REQUIRE(!version.empty());
  REQUIRE(std::isdigit(static_cast<unsigned char>(version[0])));
  REQUIRE(wb_test::contains(client.info("server"), "process_id:"));
}

// ---- strings ---------------------------------------------------------------------

TEST_CASE("set stores a value that get returns, and a missing key is nullopt") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.set(keys.key("a"), "1"));
  REQUIRE(client.get(keys.key("a")) == "1"s);
  REQUIRE(client.get(keys.key("missing")) == std::nullopt);
  REQUIRE(client.set(keys.key("empty"), ""));
  REQUIRE(client.get(keys.key("empty")) == ""s);
}

TEST_CASE("set with a ttl sends PX in milliseconds and the key expires") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.record_commands();
  REQUIRE(client.set(keys.key("a"), "v", 1500ms));
  auto sent = client.recorded_commands();
  INFO(grading::describe(sent));
  REQUIRE(sent.size() == 1u);
  REQUIRE(sent[0].argv == std::vector<std::string>{"SET", keys.key("a"), "v", "PX", "1500"});
  long long pttl = client.pttl(keys.key("a"));
  CAPTURE(pttl);
  REQUIRE(pttl > 1000);
  REQUIRE(pttl <= 1500);

  REQUIRE(client.set(keys.key("short"), "v", 30ms));
  std::this_thread::sleep_for(80ms);
  REQUIRE(client.get(keys.key("short")) == std::nullopt);
}

TEST_CASE("set without a ttl clears the expiry the key had") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "old", 100s);
  REQUIRE(client.set(keys.key("a"), "new"));
  REQUIRE(client.ttl(keys.key("a")) == -1);
}

TEST_CASE("set with NOT_EXIST stores only when the key is missing") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.set(keys.key("lock"), "first", 0ms, UpdateType::NOT_EXIST));
  REQUIRE_FALSE(client.set(keys.key("lock"), "second", 0ms, UpdateType::NOT_EXIST));
  REQUIRE(client.get(keys.key("lock")) == "first"s);
  REQUIRE(client.set(keys.key("lock2"), "t", 5s, UpdateType::NOT_EXIST));
  REQUIRE(client.pttl(keys.key("lock2")) > 0);
}

TEST_CASE("set with EXIST stores only when the key is already there") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE_FALSE(client.set(keys.key("a"), "x", 0ms, UpdateType::EXIST));
  REQUIRE(client.exists(keys.key("a")) == 0);
  client.set(keys.key("a"), "1");
  REQUIRE(client.set(keys.key("a"), "2", 0ms, UpdateType::EXIST));
  REQUIRE(client.get(keys.key("a")) == "2"s);
}

TEST_CASE("set with keepttl replaces the value and keeps the key's expiry") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "old", 50s);
  client.record_commands();
  REQUIRE(client.set(keys.key("a"), "new", true));
  REQUIRE(grading::has_arg(client.recorded_commands().at(0), "KEEPTTL"));
  REQUIRE(client.get(keys.key("a")) == "new"s);
  long long ttl = client.ttl(keys.key("a"));
  CAPTURE(ttl);
  REQUIRE(ttl > 40);
  REQUIRE(client.set(keys.key("a"), "newer", true, 0ms, UpdateType::EXIST));
  REQUIRE_FALSE(client.set(keys.key("b"), "x", true, 0ms, UpdateType::EXIST));
}

TEST_CASE("set refuses impossible options with std::invalid_argument before sending") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.record_commands();
  REQUIRE_THROWS_AS(client.set(keys.key("a"), "v", true, 10ms), std::invalid_argument);
  REQUIRE_THROWS_AS(client.set(keys.key("a"), "v", -5ms), std::invalid_argument);
  REQUIRE_THROWS_AS(client.set(keys.key("a"), "v", 0ms, UpdateType::GREATER),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(client.set(keys.key("a"), "v", 0ms, UpdateType::LESS), std::invalid_argument);
  REQUIRE(client.recorded_commands().empty());
}

TEST_CASE("getdel returns the value and removes the key") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "once");
  REQUIRE(client.getdel(keys.key("a")) == "once"s);
  REQUIRE(client.exists(keys.key("a")) == 0);
  REQUIRE(client.getdel(keys.key("a")) == std::nullopt);
}

TEST_CASE("getex returns the value and gives the key a new expiry") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "v");
  REQUIRE(client.getex(keys.key("a"), 2500ms) == "v"s);
  long long pttl = client.pttl(keys.key("a"));
  CAPTURE(pttl);
  REQUIRE(pttl > 2000);
  REQUIRE(pttl <= 2500);
  REQUIRE(client.getex(keys.key("missing"), 1s) == std::nullopt);
  REQUIRE_THROWS_AS(client.getex(keys.key("a"), 0ms), std::invalid_argument);
}

TEST_CASE("getex_persist returns the value and removes the expiry") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "v", 10s);
  REQUIRE(client.getex_persist(keys.key("a")) == "v"s);
  REQUIRE(client.ttl(keys.key("a")) == -1);
  REQUIRE(client.getex_persist(keys.key("missing")) == std::nullopt);
}

TEST_CASE("incr, incrby, decr and decrby count from 0 on a missing key") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.incr(keys.key("n")) == 1);
  REQUIRE(client.incrby(keys.key("n"), 10) == 11);
  REQUIRE(client.decr(keys.key("n")) == 10);
  REQUIRE(client.decrby(keys.key("n"), 15) == -5);
  REQUIRE(client.decr(keys.key("m")) == -1);
  REQUIRE(client.incrby(keys.key("big"), 9'000'000'000'000'000'000LL) ==
          9'000'000'000'000'000'000LL);
}

TEST_CASE("incrbyfloat adds fractions and strlen and append measure and extend strings") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.incrbyfloat(keys.key("f"), 0.5) == 0.5);
  REQUIRE(client.incrbyfloat(keys.key("f"), 2.25) == 2.75);
  REQUIRE(client.append(keys.key("s"), "ab") == 2);
  REQUIRE(client.append(keys.key("s"), "cde") == 5);
  REQUIRE(client.strlen(keys.key("s")) == 5);
  REQUIRE(client.strlen(keys.key("missing")) == 0);
}

// ---- keys ------------------------------------------------------------------------

TEST_CASE("del returns how many of the keys existed, for one key, a list and a range") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  for (const char* k : {"a", "b", "c", "d"}) client.set(keys.key(k), "v");
  REQUIRE(client.del(keys.key("a")) == 1);
  REQUIRE(client.del(keys.key("a")) == 0);
  REQUIRE(client.del({keys.key("b"), keys.key("missing")}) == 1);
  std::vector<std::string> rest{keys.key("c"), keys.key("d"), keys.key("nope")};
  REQUIRE(client.del(rest.begin(), rest.end()) == 2);
  std::vector<std::string> none;
  REQUIRE(client.del(none.begin(), none.end()) == 0);
  REQUIRE(client.unlink(keys.key("c")) == 0);
  client.set(keys.key("e"), "v");
  REQUIRE(client.unlink(keys.key("e")) == 1);
  REQUIRE(keys.keys().empty());
}

TEST_CASE("exists counts every key named, a key named twice counting twice") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "v");
  REQUIRE(client.exists(keys.key("a")) == 1);
  REQUIRE(client.exists(keys.key("b")) == 0);
  REQUIRE(client.exists({keys.key("a"), keys.key("b"), keys.key("a")}) == 2);
}

TEST_CASE("expire and pexpire return true only for a key that exists") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE_FALSE(client.expire(keys.key("a"), 10s));
  REQUIRE_FALSE(client.pexpire(keys.key("a"), 10000ms));
  client.set(keys.key("a"), "v");
  REQUIRE(client.expire(keys.key("a"), 10s));
  REQUIRE(client.ttl(keys.key("a")) == 10);
  REQUIRE(client.expire(keys.key("a"), 20LL));
  REQUIRE(client.ttl(keys.key("a")) == 20);
  REQUIRE(client.pexpire(keys.key("a"), 1500ms));
  long long pttl = client.pttl(keys.key("a"));
  CAPTURE(pttl);
  REQUIRE(pttl > 1000);
  REQUIRE(pttl <= 1500);
}

TEST_CASE("ttl and pttl are -2 for a missing key and -1 for a key without expiry") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.ttl(keys.key("missing")) == -2);
  REQUIRE(client.pttl(keys.key("missing")) == -2);
  client.set(keys.key("a"), "v");
  REQUIRE(client.ttl(keys.key("a")) == -1);
  REQUIRE(client.pttl(keys.key("a")) == -1);
}

TEST_CASE("persist returns true only when it removed an expiry") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE_FALSE(client.persist(keys.key("a")));
  client.set(keys.key("a"), "v");
  REQUIRE_FALSE(client.persist(keys.key("a")));
  client.expire(keys.key("a"), 100s);
  REQUIRE(client.persist(keys.key("a")));
  REQUIRE(client.ttl(keys.key("a")) == -1);
}

TEST_CASE("type names the kind of value and none for a missing key") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("s"), "v");
  client.hset(keys.key("h"), "f", "v");
  client.rpush(keys.key("l"), "v");
  client.sadd(keys.key("set"), "v");
  client.zadd(keys.key("z"), "m", 1);
  CHECK(client.type(keys.key("s")) == "string");
  CHECK(client.type(keys.key("h")) == "hash");
  CHECK(client.type(keys.key("l")) == "list");
  CHECK(client.type(keys.key("set")) == "set");
  CHECK(client.type(keys.key("z")) == "zset");
  CHECK(client.type(keys.key("missing")) == "none");
}

TEST_CASE("scan with MATCH and COUNT finds every key of a pattern over several batches") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::set<std::string> expected;
  auto fill = client.pipeline();
  for (int i = 0; i < 300; ++i) {
    expected.insert(keys.key("user:" + std::to_string(i)));
    fill.set(keys.key("user:" + std::to_string(i)), "v");
  }
  for (int i = 0; i < 20; ++i) fill.set(keys.key("other:" + std::to_string(i)), "v");
  fill.exec();

  client.record_commands();
  std::set<std::string> found;
  int batches = 0;
  long long cursor = 0;
  do {
    cursor = client.scan(cursor, keys.key("user:*"), 100, std::inserter(found, found.end()));
    ++batches;
  } while (cursor != 0 && batches < 100000);
  CAPTURE(batches);
  REQUIRE(batches > 1);
  REQUIRE(found == expected);
  auto first = client.recorded_commands().at(0);
  INFO(first.to_string());
  REQUIRE(first.argv ==
          std::vector<std::string>{"SCAN", "0", "MATCH", keys.key("user:*"), "COUNT", "100"});

  // The shorter overloads: COUNT 10, and no MATCH at all.
  std::vector<std::string> some;
  client.clear_recorded_commands();
  client.scan(0, keys.key("other:*"), std::back_inserter(some));
  client.scan(0, std::back_inserter(some));
  auto sent = client.recorded_commands();
  REQUIRE(sent.at(0).argv ==
          std::vector<std::string>{"SCAN", "0", "MATCH", keys.key("other:*"), "COUNT", "10"});
  REQUIRE(sent.at(1).argv == std::vector<std::string>{"SCAN", "0", "COUNT", "10"});
}

// ---- hashes ----------------------------------------------------------------------

TEST_CASE("hset counts 1 for a new field and 0 for an overwritten one") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.hset(keys.key("h"), "name", "Ada") == 1);
  REQUIRE(client.hset(keys.key("h"), "name", "Grace") == 0);
  REQUIRE(client.hget(keys.key("h"), "name") == "Grace"s);
  REQUIRE(client.hget(keys.key("h"), "missing") == std::nullopt);
  REQUIRE(client.hget(keys.key("missing"), "name") == std::nullopt);
}

TEST_CASE("hset with many fields sets them in one command, from a list or a range") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.record_commands();
  REQUIRE(client.hset(keys.key("h"), {{"a", "1"}, {"b", "2"}}) == 2);
  std::map<std::string, std::string> more{{"b", "20"}, {"c", "3"}};
  REQUIRE(client.hset(keys.key("h"), more.begin(), more.end()) == 1);
  REQUIRE(grading::count(client.recorded_commands(), "HSET") == 2);
  REQUIRE(client.hget(keys.key("h"), "b") == "20"s);
  std::map<std::string, std::string> none;
  REQUIRE_THROWS_AS(client.hset(keys.key("h"), none.begin(), none.end()), std::invalid_argument);
}

TEST_CASE("hgetall writes every field into a std::map or a std::unordered_map") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.hset(keys.key("h"), {{"name", "Ada"}, {"role", "engineer"}, {"empty", ""}});
  std::map<std::string, std::string> ordered;
  client.hgetall(keys.key("h"), std::inserter(ordered, ordered.end()));
  REQUIRE(ordered ==
          std::map<std::string, std::string>{{"name", "Ada"}, {"role", "engineer"}, {"empty", ""}});
  std::unordered_map<std::string, std::string> hashed;
  client.hgetall(keys.key("h"), std::inserter(hashed, hashed.end()));
  REQUIRE(hashed.size() == 3u);
  REQUIRE(hashed.at("role") == "engineer");
  std::vector<std::pair<std::string, std::string>> pairs;
  client.hgetall(keys.key("missing"), std::back_inserter(pairs));
  REQUIRE(pairs.empty());
}

TEST_CASE("hmget returns one optional per field, in order, nullopt for a missing field") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.hset(keys.key("h"), {{"a", "1"}, {"c", "3"}});
  std::vector<wb::OptionalString> values;
  client.hmget(keys.key("h"), {"a", "b", "c"}, std::back_inserter(values));
  REQUIRE(values == std::vector<wb::OptionalString>{"1"s, std::nullopt, "3"s});
  std::vector<std::string> fields{"c", "a"};
  values.clear();
  client.hmget(keys.key("h"), fields.begin(), fields.end(), std::back_inserter(values));
  REQUIRE(values == std::vector<wb::OptionalString>{"3"s, "1"s});
}

TEST_CASE("hincrby and hincrbyfloat count from 0 on a missing field") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.hincrby(keys.key("h"), "n", 5) == 5);
  REQUIRE(client.hincrby(keys.key("h"), "n", -7) == -2);
  REQUIRE(client.hincrbyfloat(keys.key("h"), "f", 1.5) == 1.5);
}

TEST_CASE("hexists, hlen, hdel, hsetnx, hkeys and hvals report on the fields") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.hset(keys.key("h"), {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  REQUIRE(client.hexists(keys.key("h"), "a"));
  REQUIRE_FALSE(client.hexists(keys.key("h"), "z"));
  REQUIRE(client.hlen(keys.key("h")) == 3);
  REQUIRE(client.hlen(keys.key("missing")) == 0);
  REQUIRE(client.hdel(keys.key("h"), "a") == 1);
  REQUIRE(client.hdel(keys.key("h"), {"b", "z"}) == 1);
  REQUIRE(client.hsetnx(keys.key("h"), "d", "4"));
  REQUIRE_FALSE(client.hsetnx(keys.key("h"), "d", "5"));
  std::vector<std::string> names, values;
  client.hkeys(keys.key("h"), std::back_inserter(names));
  client.hvals(keys.key("h"), std::back_inserter(values));
  std::sort(names.begin(), names.end());
  std::sort(values.begin(), values.end());
  REQUIRE(names == std::vector<std::string>{"c", "d"});
  REQUIRE(values == std::vector<std::string>{"3", "4"});
}

// ---- lists and sets ---------------------------------------------------------------

TEST_CASE("lpush and rpush return the new length and lrange reads in order") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.rpush(keys.key("l"), "b") == 1);
  REQUIRE(client.rpush(keys.key("l"), {"c", "d"}) == 3);
  REQUIRE(client.lpush(keys.key("l"), "a") == 4);
  REQUIRE(client.lpush(keys.key("l"), {"y", "z"}) == 6);
  std::vector<std::string> items;
  client.lrange(keys.key("l"), 0, -1, std::back_inserter(items));
  REQUIRE(items == std::vector<std::string>{"z", "y", "a", "b", "c", "d"});
  REQUIRE(client.llen(keys.key("l")) == 6);
}

TEST_CASE("lpop and rpop take from the ends and give nullopt on an empty list") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.rpush(keys.key("l"), {"a", "b", "a", "c", "a"});
  REQUIRE(client.lrem(keys.key("l"), 2, "a") == 2);
  client.ltrim(keys.key("l"), 0, 1);
  REQUIRE(client.llen(keys.key("l")) == 2);
  REQUIRE(client.lpop(keys.key("l")) == "b"s);
  REQUIRE(client.rpop(keys.key("l")) == "c"s);
  REQUIRE(client.lpop(keys.key("l")) == std::nullopt);
  REQUIRE(client.rpop(keys.key("l")) == std::nullopt);
}

TEST_CASE("lpush and rpush take a range of values in one command") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const std::vector<std::string> values{"a", "b", "c"};
  client.record_commands();
  REQUIRE(client.lpush(keys.key("l"), values.begin(), values.end()) == 3);
  REQUIRE(client.rpush(keys.key("l"), values.begin(), values.begin() + 1) == 4);
  REQUIRE(client.recorded_commands().size() == 2);
  std::vector<std::string> items;
  client.lrange(keys.key("l"), 0, -1, std::back_inserter(items));
  REQUIRE(items == std::vector<std::string>{"c", "b", "a", "a"});
  REQUIRE(thrown_by([&] { client.lpush(keys.key("l"), values.end(), values.end()); }).type ==
          "std::invalid_argument");
}

TEST_CASE("lmove moves one element between the chosen ends and gives nullopt when empty") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.rpush(keys.key("q"), {"1", "2", "3"});
  using wb::ListWhence;
  REQUIRE(client.lmove(keys.key("q"), keys.key("p"), ListWhence::RIGHT, ListWhence::LEFT) == "3"s);
  REQUIRE(client.lmove(keys.key("q"), keys.key("p"), ListWhence::LEFT, ListWhence::RIGHT) == "1"s);
  std::vector<std::string> taken;
  client.lrange(keys.key("p"), 0, -1, std::back_inserter(taken));
  REQUIRE(taken == std::vector<std::string>{"3", "1"});
  REQUIRE(client.lmove(keys.key("q"), keys.key("p"), ListWhence::RIGHT, ListWhence::LEFT) == "2"s);
  REQUIRE(client.lmove(keys.key("q"), keys.key("p"), ListWhence::RIGHT, ListWhence::LEFT) ==
          std::nullopt);
  REQUIRE(client.exists(keys.key("q")) == 0);
}

TEST_CASE("blmove and brpop wait for an element, and give nullopt when the time runs out") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  using wb::ListWhence;
  auto start = std::chrono::steady_clock::now();
  REQUIRE(client.blmove(keys.key("q"), keys.key("p"), ListWhence::RIGHT, ListWhence::LEFT, 1s) ==
          std::nullopt);
  REQUIRE(client.brpop(keys.key("q"), 1s) == std::nullopt);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 1900ms);

  std::thread pusher([&] {
    std::this_thread::sleep_for(100ms);
    auto other = grading::connect();
    other.lpush(keys.key("q"), "x");
    std::this_thread::sleep_for(100ms);
    other.lpush(keys.key("q"), "y");
  });
  auto moved = client.blmove(keys.key("q"), keys.key("p"), ListWhence::RIGHT, ListWhence::LEFT, 1s);
  auto popped = client.brpop(keys.key("q"), 1);
  pusher.join();
  REQUIRE(moved == "x"s);
  REQUIRE(popped == std::make_pair(keys.key("q"), "y"s));
  REQUIRE(client.lpop(keys.key("p")) == "x"s);
}

TEST_CASE("sadd and srem count only the members they really added or removed") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.sadd(keys.key("s"), "a") == 1);
  REQUIRE(client.sadd(keys.key("s"), {"a", "b", "c"}) == 2);
  REQUIRE(client.scard(keys.key("s")) == 3);
  REQUIRE(client.sismember(keys.key("s"), "b"));
  REQUIRE_FALSE(client.sismember(keys.key("s"), "z"));
  REQUIRE(client.srem(keys.key("s"), "b") == 1);
  REQUIRE(client.srem(keys.key("s"), {"b", "c", "z"}) == 1);
  std::set<std::string> members;
  client.smembers(keys.key("s"), std::inserter(members, members.end()));
  REQUIRE(members == std::set<std::string>{"a"});
}

// ---- sorted sets -------------------------------------------------------------------

TEST_CASE("zadd counts added members, and with changed also the updated ones") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.zadd(keys.key("z"), "a", 1) == 1);
  REQUIRE(client.zadd(keys.key("z"), "a", 2) == 0);
  REQUIRE(client.zadd(keys.key("z"), "a", 3, UpdateType::ALWAYS, true) == 1);
  REQUIRE(client.zadd(keys.key("z"), "a", 3, UpdateType::ALWAYS, true) == 0);
  REQUIRE(client.zscore(keys.key("z"), "a") == 3.0);
}

TEST_CASE("zadd with NOT_EXIST adds new members and never updates an existing one") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.record_commands();
  REQUIRE(client.zadd(keys.key("z"), "a", 1, UpdateType::NOT_EXIST) == 1);
  REQUIRE(client.zadd(keys.key("z"), "a", 9, UpdateType::NOT_EXIST, true) == 0);
  REQUIRE(client.zscore(keys.key("z"), "a") == 1.0);
  REQUIRE(client.recorded_commands().at(1).argv ==
          std::vector<std::string>{"ZADD", keys.key("z"), "NX", "CH", "9", "a"});
}

TEST_CASE("zadd with EXIST updates existing members and never adds a new one") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.zadd(keys.key("z"), "a", 1);
  REQUIRE(client.zadd(keys.key("z"), "b", 5, UpdateType::EXIST) == 0);
  REQUIRE(client.zscore(keys.key("z"), "b") == std::nullopt);
  REQUIRE(client.zadd(keys.key("z"), "a", 5, UpdateType::EXIST, true) == 1);
  REQUIRE(client.zscore(keys.key("z"), "a") == 5.0);
}

TEST_CASE("zadd with GREATER only raises a score and with LESS only lowers it") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.zadd(keys.key("z"), "a", 10);
  REQUIRE(client.zadd(keys.key("z"), "a", 5, UpdateType::GREATER, true) == 0);
  REQUIRE(client.zscore(keys.key("z"), "a") == 10.0);
  REQUIRE(client.zadd(keys.key("z"), "a", 15, UpdateType::GREATER, true) == 1);
  REQUIRE(client.zscore(keys.key("z"), "a") == 15.0);
  REQUIRE(client.zadd(keys.key("z"), "a", 20, UpdateType::LESS, true) == 0);
  REQUIRE(client.zadd(keys.key("z"), "a", 1, UpdateType::LESS, true) == 1);
  REQUIRE(client.zscore(keys.key("z"), "a") == 1.0);
  // GT and LT still add members that are not there yet.
  REQUIRE(client.zadd(keys.key("z"), "b", 7, UpdateType::GREATER) == 1);
}

TEST_CASE("zadd with many members sends one command and refuses an empty range") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{{"a", 1}, {"b", 2.5}, {"c", -3}};
  client.record_commands();
  REQUIRE(client.zadd(keys.key("z"), members.begin(), members.end()) == 3);
  REQUIRE(client.recorded_commands().size() == 1u);
  REQUIRE(client.zcard(keys.key("z")) == 3);
  REQUIRE(client.zscore(keys.key("z"), "b") == 2.5);
  std::map<std::string, double> none;
  REQUIRE_THROWS_AS(client.zadd(keys.key("z"), none.begin(), none.end()), std::invalid_argument);
}

TEST_CASE("zincrby returns the new score and starts a missing member at 0") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  REQUIRE(client.zincrby(keys.key("z"), 2.5, "a") == 2.5);
  REQUIRE(client.zincrby(keys.key("z"), -1, "a") == 1.5);
}

TEST_CASE("zscore is nullopt for a missing member and exact for fractions and infinities") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.zadd(keys.key("z"), "tenth", 0.1);
  client.zadd(keys.key("z"), "top", std::numeric_limits<double>::infinity());
  client.zadd(keys.key("z"), "bottom", -std::numeric_limits<double>::infinity());
  REQUIRE(client.zscore(keys.key("z"), "tenth") == 0.1);
  REQUIRE(client.zscore(keys.key("z"), "top") == std::numeric_limits<double>::infinity());
  REQUIRE(client.zscore(keys.key("z"), "bottom") == -std::numeric_limits<double>::infinity());
  REQUIRE(client.zscore(keys.key("z"), "missing") == std::nullopt);
  REQUIRE(client.zscore(keys.key("nokey"), "a") == std::nullopt);
}

TEST_CASE("zrank counts from the lowest score and zrevrank from the highest, from 0") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{{"low", 1}, {"mid", 2}, {"high", 3}};
  client.zadd(keys.key("z"), members.begin(), members.end());
  REQUIRE(client.zrank(keys.key("z"), "low") == 0LL);
  REQUIRE(client.zrank(keys.key("z"), "high") == 2LL);
  REQUIRE(client.zrevrank(keys.key("z"), "high") == 0LL);
  REQUIRE(client.zrevrank(keys.key("z"), "low") == 2LL);
  REQUIRE(client.zrank(keys.key("z"), "missing") == std::nullopt);
  REQUIRE(client.zrevrank(keys.key("z"), "missing") == std::nullopt);
}

TEST_CASE("zrange and zrevrange write members only into a string output") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{{"a", 1}, {"b", 2}, {"c", 3}};
  client.zadd(keys.key("z"), members.begin(), members.end());
  client.record_commands();
  std::vector<std::string> up, down;
  client.zrange(keys.key("z"), 0, -1, std::back_inserter(up));
  client.zrevrange(keys.key("z"), 0, 1, std::back_inserter(down));
  REQUIRE(up == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(down == std::vector<std::string>{"c", "b"});
  for (const auto& c : client.recorded_commands()) REQUIRE_FALSE(grading::has_arg(c, "WITHSCORES"));
}

TEST_CASE("zrange and zrevrange with pair<string, double> output also write the scores") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{{"a", 1.5}, {"b", 2}, {"c", 30}};
  client.zadd(keys.key("z"), members.begin(), members.end());
  std::vector<std::pair<std::string, double>> top;
  client.zrevrange(keys.key("z"), 0, 1, std::back_inserter(top));
  REQUIRE(top == std::vector<std::pair<std::string, double>>{{"c", 30}, {"b", 2}});
  std::map<std::string, double> all;
  client.zrange(keys.key("z"), 0, -1, std::inserter(all, all.end()));
  REQUIRE(all == std::map<std::string, double>{{"a", 1.5}, {"b", 2}, {"c", 30}});
  std::vector<std::string> none;
  client.zrevrange(keys.key("missing"), 0, -1, std::back_inserter(none));
  REQUIRE(none.empty());
}

TEST_CASE("zrangebyscore takes inclusive, exclusive and infinite bounds") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
  client.zadd(keys.key("z"), members.begin(), members.end());
  std::vector<std::string> inclusive, exclusive, everything, reversed;
  client.zrangebyscore(keys.key("z"), "2", "3", std::back_inserter(inclusive));
  client.zrangebyscore(keys.key("z"), "(2", "+inf", std::back_inserter(exclusive));
  client.zrangebyscore(keys.key("z"), "-inf", "+inf", std::back_inserter(everything));
  client.zrevrangebyscore(keys.key("z"), "3", "(1", std::back_inserter(reversed));
  REQUIRE(inclusive == std::vector<std::string>{"b", "c"});
  REQUIRE(exclusive == std::vector<std::string>{"c", "d"});
  REQUIRE(everything.size() == 4u);
  REQUIRE(reversed == std::vector<std::string>{"c", "b"});
  std::vector<std::pair<std::string, double>> scored;
  client.zrangebyscore(keys.key("z"), "4", "4", std::back_inserter(scored));
  REQUIRE(scored == std::vector<std::pair<std::string, double>>{{"d", 4}});
}

TEST_CASE("zremrangebyscore, zremrangebyrank and zrem return how many they removed") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{
      {"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}};
  client.zadd(keys.key("z"), members.begin(), members.end());
  REQUIRE(client.zremrangebyscore(keys.key("z"), "-inf", "(2") == 1);
  REQUIRE(client.zremrangebyrank(keys.key("z"), 0, 0) == 1);
  REQUIRE(client.zrem(keys.key("z"), "e") == 1);
  REQUIRE(client.zrem(keys.key("z"), "e") == 0);
  std::vector<std::string> left;
  client.zrange(keys.key("z"), 0, -1, std::back_inserter(left));
  REQUIRE(left == std::vector<std::string>{"c", "d"});
}

TEST_CASE("zcount counts the members between two bounds and zcard counts them all") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, double>> members{{"a", 1}, {"b", 2}, {"c", 3}};
  client.zadd(keys.key("z"), members.begin(), members.end());
  REQUIRE(client.zcount(keys.key("z"), "2", "+inf") == 2);
  REQUIRE(client.zcount(keys.key("z"), "(1", "(3") == 1);
  REQUIRE(client.zcard(keys.key("z")) == 3);
  REQUIRE(client.zcard(keys.key("missing")) == 0);
}

// ---- scripts and the generic command ------------------------------------------------

TEST_CASE("eval runs a script with its keys and arguments and converts the reply") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const char* set_and_read =
      "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";
  REQUIRE(client.eval<std::string>(set_and_read, {keys.key("a")}, {"hello"}) == "hello");
  REQUIRE(client.eval<long long>("return redis.call('STRLEN', KEYS[1])", {keys.key("a")}, {}) == 5);
  REQUIRE(client.eval<wb::OptionalString>("return redis.call('GET', KEYS[1])",
                                          {keys.key("missing")}, {}) == std::nullopt);
  std::vector<std::string> ks{keys.key("a"), keys.key("b")};
  std::vector<std::string> args{"x", "y"};
  REQUIRE(client.eval<std::vector<std::string>>("return {KEYS[2], ARGV[2]}", ks, args) ==
          std::vector<std::string>{keys.key("b"), "y"});
  REQUIRE(client.eval<bool>("return 1", {}, {}));
}

TEST_CASE("evalsha runs a script that script_load loaded") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::string sha = client.script_load("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  REQUIRE(sha.size() == 40u);
  REQUIRE(client.evalsha<long long>(sha, {keys.key("n")}, {"5"}) == 5);
  std::vector<std::string> ks{keys.key("n")};
  std::vector<std::string> args{"2"};
  REQUIRE(client.evalsha<long long>(sha, ks, args) == 7);
  auto unknown = thrown_by([&] {
    client.evalsha<long long>("0000000000000000000000000000000000000000", {keys.key("n")}, {});
  });
  INFO(unknown.what);
  REQUIRE(unknown.type == "ReplyError");
  REQUIRE(wb_test::contains(unknown.what, "NOSCRIPT"));
}

TEST_CASE("command<T> sends any command and converts its reply to T") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "hello");
  REQUIRE(client.command<long long>("STRLEN", keys.key("a")) == 5);
  REQUIRE(client.command<std::string>("ECHO", "hi there") == "hi there");
  REQUIRE(client.command<wb::OptionalString>("GET", keys.key("missing")) == std::nullopt);
  REQUIRE(client.command<long long>("EXPIRE", keys.key("a"), 100) == 1);
  REQUIRE(client.command<double>("INCRBYFLOAT", keys.key("f"), 0.25) == 0.25);
  client.command<void>("SET", keys.key("b"), "x");
  wb::Reply raw = client.command("MGET", keys.key("a"), keys.key("missing"));
  REQUIRE(raw.type == wb::Reply::Type::Array);
  REQUIRE(raw.elements.size() == 2u);
  REQUIRE(raw.elements[0].str == "hello");
  REQUIRE(raw.elements[1].is_nil());
  wb::Reply from_argv = client.command(std::vector<std::string>{"GET", keys.key("b")});
  REQUIRE(from_argv.str == "x");
  REQUIRE(client.command<std::vector<long long>>("EVAL", "return {1, 2, 3}", 0) ==
          std::vector<long long>{1, 2, 3});
}

TEST_CASE("a reply of the wrong shape for T is an Error that says what was expected") {
  auto client = grading::connect();
  auto t = thrown_by([&] { client.command<long long>("ECHO", "not a number"); });
  INFO(t.what);
  REQUIRE(t.type == "Error");
  REQUIRE(wb_test::contains(t.what, "ECHO"));
  REQUIRE(wb_test::contains(t.what, "an integer"));
  REQUIRE(client.ping() == "PONG");
}

// ---- binary safety -------------------------------------------------------------------

TEST_CASE("values with NUL and other control bytes come back byte for byte") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const std::string value = "a\0b\r\n\0\xff"s;
  client.set(keys.key("s"), value);
  REQUIRE(client.get(keys.key("s")) == value);
  client.hset(keys.key("h"), "f\0g"s, value);
  REQUIRE(client.hget(keys.key("h"), "f\0g"s) == value);
  REQUIRE(client.hget(keys.key("h"), "f"s) == std::nullopt);
  client.zadd(keys.key("z"), "m\0n"s, 1);
  std::vector<std::string> members;
  client.zrange(keys.key("z"), 0, -1, std::back_inserter(members));
  REQUIRE(members == std::vector<std::string>{"m\0n"s});
}

TEST_CASE("keys that differ only after a NUL byte are different keys") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const std::string one = keys.key("k\0one"s);
  const std::string two = keys.key("k\0two"s);
  client.set(one, "1");
  client.set(two, "2");
  REQUIRE(client.get(one) == "1"s);
  REQUIRE(client.get(two) == "2"s);
  REQUIRE(client.get(keys.key("k")) == std::nullopt);
  REQUIRE(keys.keys().size() == 2u);
}

TEST_CASE("a 1 MiB value is stored and read back whole") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::string big(1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  client.set(keys.key("big"), big);
  REQUIRE(client.strlen(keys.key("big")) == 1024 * 1024);
  auto back = client.get(keys.key("big"));
  REQUIRE(back.has_value());
  REQUIRE(back->size() == big.size());
  REQUIRE(*back == big);
}

TEST_CASE("UTF-8 keys, fields and values round-trip") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const std::string key = keys.key("caf\xc3\xa9:\xe6\x97\xa5\xe6\x9c\xac");
  const std::string value = "\xf0\x9f\x98\x80 \xc3\xbc";
  client.set(key, value);
  REQUIRE(client.get(key) == value);
  std::vector<std::string> found;
  long long cursor = 0;
  do {
    cursor = client.scan(cursor, keys.key("caf*"), 1000, std::back_inserter(found));
  } while (cursor != 0);
  REQUIRE(found == std::vector<std::string>{key});
}

// ---- recording -----------------------------------------------------------------------

TEST_CASE("recording is off until record_commands is called") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "v");
  REQUIRE(client.recorded_commands().empty());
  client.record_commands();
  client.get(keys.key("a"));
  client.record_commands(false);
  client.get(keys.key("a"));
  REQUIRE(client.recorded_commands().size() == 1u);
  client.clear_recorded_commands();
  REQUIRE(client.recorded_commands().empty());
}

TEST_CASE("recorded commands keep their arguments and one round-trip number each") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.record_commands();
  client.set(keys.key("a"), "v", 30s);
  client.get(keys.key("a"));
  client.script_load("return 1");
  auto sent = client.recorded_commands();
  INFO(grading::describe(sent));
  REQUIRE(sent.size() == 3u);
  REQUIRE(sent[0].name() == "SET");
  REQUIRE(sent[0].argv == std::vector<std::string>{"SET", keys.key("a"), "v", "PX", "30000"});
  REQUIRE(sent[1].name() == "GET");
  REQUIRE(sent[2].name() == "SCRIPT LOAD");
  REQUIRE(sent[0].round_trip < sent[1].round_trip);
  REQUIRE(sent[1].round_trip < sent[2].round_trip);
  REQUIRE(grading::round_trips(sent) == 3u);
}

TEST_CASE("a recorded command prints quoted, with control bytes escaped and long values cut") {
  wb::SentCommand c{{"set", "k\"1", "a\0b\n"s, std::string(200, 'x')}, 1};
  std::string text = c.to_string();
  INFO(text);
  REQUIRE(wb_test::contains(text, "SET \"k\\\"1\" \"a\\x00b\\x0a\""));
  REQUIRE(wb_test::contains(text, "(200 bytes)"));
  REQUIRE(text.size() < 200u);
}

TEST_CASE("round_trips counts every command sent, recording or not") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  auto before = client.round_trips();
  client.set(keys.key("a"), "v");
  client.get(keys.key("a"));
  REQUIRE(client.round_trips() == before + 2);
}

// ---- concurrency -----------------------------------------------------------------------

TEST_CASE("32 threads sharing one client count every INCR exactly") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.record_commands();
  const std::string counter = keys.key("counter");
  constexpr int threads = 32;
  constexpr int per_thread = 50;
  std::atomic<long long> highest{0};
  grading::run_together(threads, [&](int) {
    for (int i = 0; i < per_thread; ++i) {
      long long now = client.incr(counter);
      long long seen = highest.load();
      while (now > seen && !highest.compare_exchange_weak(seen, now)) {
      }
    }
  });
  auto sent = client.recorded_commands();
  REQUIRE(client.get(counter) == std::to_string(threads * per_thread));
  REQUIRE(highest == threads * per_thread);
  REQUIRE(grading::count(sent, "INCR") == static_cast<std::size_t>(threads * per_thread));
  REQUIRE(grading::round_trips(sent) == static_cast<std::size_t>(threads * per_thread));
}
