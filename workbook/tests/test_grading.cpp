// The grading harness's helpers: key scopes, threads started together, and
// what graders use to read the commands a learner sent.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../src/grading_internal.hpp"
#include "support.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using wb_test::contains;

TEST_CASE("a KeyScope's keys share one unique prefix with its label") {
  grading::KeyScope a("scope-label");
  grading::KeyScope b("scope-label");
  CHECK(a.prefix().rfind("wbtest:scope-label:" + grading::internal::run_id() + ".", 0) == 0);
  CHECK(a.prefix().back() == ':');
  CHECK(a.prefix() != b.prefix());
  CHECK(a.key("user:1") == a.prefix() + "user:1");
}

TEST_CASE("a KeyScope removes all of its own keys and leaves a neighbour's untouched") {
  grading::KeyScope outer("grading");
  auto client = grading::connect();
  const std::string neighbour = outer.key("neighbour");
  client.set(neighbour, "still here");
  std::string inner_prefix;
  {
    grading::KeyScope inner("grading");
    inner_prefix = inner.prefix();
    // More keys than one SCAN batch of the scope (500), of every type.
    auto fill = client.pipeline();
    for (int i = 0; i < 700; ++i) fill.set(inner.key("s:" + std::to_string(i)), "v");
    fill.exec();
    client.hset(inner.key("h"), "f", "v");
    client.rpush(inner.key("l"), "v");
    client.sadd(inner.key("set"), "v");
    client.zadd(inner.key("z"), "m", 1);
    client.set(inner.key("ttl"), "v", 60s);
    REQUIRE(inner.keys().size() == 705u);
  }
  long long left = 0;
  long long cursor = 0;
  do {
    std::vector<std::string> batch;
    cursor = client.scan(cursor, inner_prefix + "*", 1000, std::back_inserter(batch));
    left += static_cast<long long>(batch.size());
  } while (cursor != 0);
  REQUIRE(left == 0);
  REQUIRE(client.get(neighbour) == "still here"s);
}

TEST_CASE("a KeyScope's view shows each key's type, TTL and value") {
  grading::KeyScope keys("grading");
  auto client = grading::connect();
  REQUIRE(contains(keys.view(), "(no keys)"));
  client.set(keys.key("greeting"), "hello", 60s);
  client.hset(keys.key("user"), {{"name", "Ada"}});
  client.zadd(keys.key("board"), "ada", 3);
  client.rpush(keys.key("queue"), "job");
  client.sadd(keys.key("tags"), "red");
  client.set(keys.key("bin"), "a\0b"s);
  std::string view = keys.view();
  INFO(view);
  CHECK(contains(view, "greeting  [string, TTL "));
  CHECK(contains(view, "\"hello\""));
  CHECK(contains(view, "user  [hash, no TTL]  {name: Ada}"));
  CHECK(contains(view, "board  [zset, no TTL]  highest first: ada=3"));
  CHECK(contains(view, "queue  [list, no TTL]  [job]"));
  CHECK(contains(view, "tags  [set, no TTL]  {red}"));
  CHECK(contains(view, "\"a\\x00b\""));
  CHECK_FALSE(contains(view, keys.prefix()));
}

TEST_CASE("run_together starts every thread before any of them goes on") {
  constexpr int n = 12;
  std::atomic<int> arrived{0};
  std::atomic<int> saw_all{0};
  grading::run_together(n, [&](int) {
    ++arrived;
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (arrived < n && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (arrived == n) ++saw_all;
  });
  REQUIRE(saw_all == n);
}

TEST_CASE("run_together gives each thread its own index and rethrows a thread's exception") {
  std::mutex m;
  std::set<int> seen;
  grading::run_together(5, [&](int i) {
    std::lock_guard<std::mutex> lock(m);
    seen.insert(i);
  });
  REQUIRE(seen == std::set<int>{0, 1, 2, 3, 4});
  std::atomic<int> finished{0};
  auto t = wb_test::thrown_by([&] {
    grading::run_together(4, [&](int i) {
      if (i == 2) throw std::runtime_error("thread 2 failed");
      ++finished;
    });
  });
  REQUIRE(t.what == "thread 2 failed");
  REQUIRE(finished == 3);  // the others ran to the end and were joined
}

TEST_CASE("count, only and has_arg read recorded commands by name, ignoring case") {
  std::vector<wb::SentCommand> sent{
      {{"set", "k", "v", "px", "100"}, 1},
      {{"GET", "k"}, 2},
      {{"script", "load", "return 1"}, 3},
      {{"SET", "ex", "v"}, 3},
  };
  CHECK(grading::count(sent, "SET") == 2u);
  CHECK(grading::count(sent, "set") == 2u);
  CHECK(grading::count(sent, "SCRIPT LOAD") == 1u);
  CHECK(grading::count(sent, "SCRIPT") == 0u);
  CHECK(grading::count(sent, "DEL") == 0u);
  auto sets = grading::only(sent, "set");
  REQUIRE(sets.size() == 2u);
  CHECK(grading::has_arg(sets[0], "PX"));
  CHECK_FALSE(grading::has_arg(sets[0], "EX"));
  CHECK_FALSE(grading::has_arg(sets[0], "SET"));  // the command name is not an argument
  CHECK(grading::has_arg(sets[1], "EX"));         // (a key named "ex" is still an argument)
  CHECK(grading::round_trips(sent) == 3u);
  CHECK(grading::round_trips({}) == 0u);
}

TEST_CASE("describe lists commands one per line, and says how many it left out") {
  std::vector<wb::SentCommand> sent;
  for (int i = 0; i < 25; ++i) sent.push_back({{"INCR", "n" + std::to_string(i)}, 1});
  std::string text = grading::describe(sent, 3);
  INFO(text);
  CHECK(text == "  INCR \"n0\"\n  INCR \"n1\"\n  INCR \"n2\"\n  ... and 22 more\n");
  CHECK(contains(grading::describe({}), "(no commands)"));
  CHECK(contains(grading::describe(sent), "... and 5 more"));
}

TEST_CASE("random_hex gives that many bytes as lower-case hex, different each time") {
  std::string a = grading::random_hex(16);
  std::string b = grading::random_hex(16);
  REQUIRE(a.size() == 32u);
  REQUIRE(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  REQUIRE(a != b);
  REQUIRE(grading::random_hex(0).empty());
}

TEST_CASE("the workbook's own tests register as lesson 00-workbook, needing PostgreSQL") {
  REQUIRE(grading::lesson().id == "00-workbook");
  REQUIRE(grading::lesson().needs_postgres);
  REQUIRE(grading::Lesson{"01-set-get", false}.number() == "1");
  REQUIRE(grading::Lesson{"10-leaderboards", false}.number() == "10");
}

TEST_CASE("a dry run records what the code tried to send and sends nothing") {
  wb::grading::KeyScope keys("dry-run");
  const std::string key = keys.key("never-written");
  auto sent = wb::grading::dry_run([&](wb::Valkey& client) {
    client.set(key, "v");  // stopped here: ClosedError
    client.del(key);       // never reached
  });
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].name() == "SET");
  auto client = wb::grading::connect();
  REQUIRE(client.exists(key) == 0);
}

TEST_CASE("a dry-run client throws ClosedError and counts no round trip") {
  auto client = wb::grading::connect();
  client.dry_run();
  REQUIRE_THROWS_AS(client.get("anything"), wb::ClosedError);
  CHECK(client.round_trips() == 0);
  client.dry_run(false);
  REQUIRE(client.ping() == "PONG");
}

TEST_CASE("a dry run lets a stub's not-implemented through") {
  REQUIRE_THROWS_AS(wb::grading::dry_run([](wb::Valkey&) { WB_TODO("task 0 (nothing)"); }),
                    wb::NotImplemented);
}

// ---- what an earlier, broken run left ------------------------------------------------------
namespace {
long long count_matching(wb::Valkey& client, const std::string& pattern) {
  long long n = 0;
  long long cursor = 0;
  do {
    std::vector<std::string> batch;
    cursor = client.scan(cursor, pattern, 1000, std::back_inserter(batch));
    n += static_cast<long long>(batch.size());
  } while (cursor != 0);
  return n;
}
}  // namespace

TEST_CASE("a run whose lease expired has its keys swept; a live run's keys stay") {
  namespace internal = grading::internal;
  auto client = grading::connect();
  const std::string dead = grading::random_hex(6);
  const std::string alive = grading::random_hex(6);
  // The dead run: in the set, its keys there, no lease (it was killed).
  client.sadd(internal::runs_key, dead);
  client.set("wbtest:lesson-x:" + dead + ".1:a", "left behind");
  client.hset("wbtest:lesson:with:colons:" + dead + ".12:h", "f", "v");
  // The live one: in the set, a lease, its keys in use.
  client.sadd(internal::runs_key, alive);
  client.set(internal::lease_key(alive), "grader", 30s);
  client.set("wbtest:lesson-x:" + alive + ".1:a", "in use");
  // Keys that only look alike are not a run's: another shape of name.
  const std::string lookalike = "wbtest:" + dead + ":not-a-scope";
  client.set(lookalike, "x");

  int runs = 0;
  long long swept = internal::sweep_runs({dead, alive}, &runs);

  CHECK(swept == 2);
  CHECK(runs == 1);
  CHECK(count_matching(client, "wbtest:*" + dead + ".*") == 0);
  CHECK(client.get("wbtest:lesson-x:" + alive + ".1:a") == "in use"s);
  CHECK(client.get(lookalike) == "x"s);
  std::vector<std::string> members;
  client.smembers(internal::runs_key, std::back_inserter(members));
  CHECK(std::count(members.begin(), members.end(), dead) == 0);
  CHECK(std::count(members.begin(), members.end(), alive) == 1);

  client.srem(internal::runs_key, alive);
  client.del({internal::lease_key(alive), "wbtest:lesson-x:" + alive + ".1:a", lookalike});
}

TEST_CASE("this run holds a lease while it runs, and is in the set of runs") {
  namespace internal = grading::internal;
  auto client = grading::connect();
  REQUIRE(client.exists(internal::lease_key(internal::run_id())) == 1);
  long long pttl = client.pttl(internal::lease_key(internal::run_id()));
  CHECK(pttl > 0);
  CHECK(pttl <= 60000);
  std::vector<std::string> members;
  client.smembers(internal::runs_key, std::back_inserter(members));
  CHECK(std::count(members.begin(), members.end(), internal::run_id()) == 1);
}

TEST_CASE("the server's run_id is read from INFO server") {
  std::string id = grading::internal::server_run_id();
  CHECK(id.size() == 40);
  CHECK(id == grading::internal::server_run_id());
}
