// Pipelines (one round trip) and MULTI/EXEC transactions.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using wb_test::contains;
using wb_test::thrown_by;

TEST_CASE("a pipeline sends every queued command in one round trip") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.workbook_record_commands();
  auto before = client.workbook_round_trips();
  auto pipe = client.pipeline();
  pipe.set(keys.key("a"), "1").incr(keys.key("a")).get(keys.key("a")).ttl(keys.key("a"));
  REQUIRE(pipe.size() == 4u);
  REQUIRE(client.workbook_round_trips() == before);
  auto replies = pipe.exec();
  REQUIRE(client.workbook_round_trips() == before + 1);
  auto sent = client.workbook_recorded_commands();
  INFO(grading::describe(sent));
  REQUIRE(sent.size() == 4u);
  REQUIRE(grading::round_trips(sent) == 1u);
  REQUIRE(replies.size() == 4u);
  REQUIRE(replies.get<bool>(0));
  REQUIRE(replies.get<long long>(1) == 2);
  REQUIRE(replies.get<std::string>(2) == "2");
  REQUIRE(replies.get<long long>(3) == -1);
}

TEST_CASE("every queueing method of a pipeline sends its command and gives its reply") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::map<std::string, std::string> fields{{"x", "1"}, {"y", "2"}};
  auto r = client.pipeline()
               .set(keys.key("s"), "v", 5s, wb::UpdateType::NOT_EXIST)  // 0
               .exists(keys.key("s"))                                   // 1
               .expire(keys.key("s"), 100s)                             // 2
               .pexpire(keys.key("s"), 50000ms)                         // 3
               .pttl(keys.key("s"))                                     // 4
               .incrby(keys.key("n"), 7)                                // 5
               .hset(keys.key("h"), "f", "v")                           // 6
               .hset(keys.key("h"), fields.begin(), fields.end())       // 7
               .hget(keys.key("h"), "x")                                // 8
               .hincrby(keys.key("h"), "c", 3)                          // 9
               .hdel(keys.key("h"), "f")                                // 10
               .hgetall(keys.key("h"))                                  // 11
               .sadd(keys.key("set"), "m")                              // 12
               .srem(keys.key("set"), "m")                              // 13
               .zadd(keys.key("z"), "a", 1)                             // 14
               .zincrby(keys.key("z"), 2, "a")                          // 15
               .zscore(keys.key("z"), "a")                              // 16
               .zrevrank(keys.key("z"), "a")                            // 17
               .zcard(keys.key("z"))                                    // 18
               .zremrangebyscore(keys.key("z"), "-inf", "+inf")         // 19
               .del(keys.key("s"))                                      // 20
               .command("STRLEN", keys.key("n"))                        // 21
               .exec();
  REQUIRE(r.size() == 22u);
  CHECK(r.get<bool>(0));
  CHECK(r.get<long long>(1) == 1);
  CHECK(r.get<bool>(2));
  CHECK(r.get<bool>(3));
  CHECK(r.get<long long>(4) > 49000);
  CHECK(r.get<long long>(5) == 7);
  CHECK(r.get<long long>(6) == 1);
  CHECK(r.get<long long>(7) == 2);
  CHECK(r.get<wb::OptionalString>(8) == "1"s);
  CHECK(r.get<long long>(9) == 3);
  CHECK(r.get<long long>(10) == 1);
  CHECK(r.get<std::vector<std::string>>(11).size() == 6u);
  CHECK(r.get<long long>(12) == 1);
  CHECK(r.get<long long>(13) == 1);
  CHECK(r.get<long long>(14) == 1);
  CHECK(r.get<double>(15) == 3.0);
  CHECK(r.get<wb::OptionalDouble>(16) == 3.0);
  CHECK(r.get<wb::OptionalLongLong>(17) == 0LL);
  CHECK(r.get<long long>(18) == 1);
  CHECK(r.get<long long>(19) == 1);
  CHECK(r.get<long long>(20) == 1);
  CHECK(r.get<long long>(21) == 1);
  REQUIRE_THROWS_AS(r.get<long long>(22), wb::Error);  // as redis-plus-plus: Error, "Out of range"
}

TEST_CASE("a refused command in a pipeline throws only when its own reply is read") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.hset(keys.key("h"), "f", "v");
  auto r = client.pipeline().set(keys.key("a"), "1").incr(keys.key("h")).get(keys.key("a")).exec();
  REQUIRE(r.get<std::string>(2) == "1");
  REQUIRE(r.reply(1).type == wb::Reply::Type::Error);
  auto t = thrown_by([&] { r.get<long long>(1); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "INCR '" + keys.key("h") + "'"));
  REQUIRE(contains(t.what, "WRONGTYPE"));
  REQUIRE(contains(t.what, client.options().address()));
}

TEST_CASE("a pipeline is empty after exec and can be used again; discard drops the queue") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  auto pipe = client.pipeline();
  pipe.incr(keys.key("n"));
  REQUIRE(pipe.exec().get<long long>(0) == 1);
  REQUIRE(pipe.size() == 0u);
  pipe.incr(keys.key("n")).incr(keys.key("n"));
  REQUIRE(pipe.exec().get<long long>(1) == 3);
  pipe.incr(keys.key("n"));
  pipe.discard();
  auto before = client.workbook_round_trips();
  REQUIRE(pipe.exec().size() == 0u);
  REQUIRE(client.workbook_round_trips() == before);
  REQUIRE(client.get(keys.key("n")) == "3"s);
}

TEST_CASE("a transaction wraps the queued commands in MULTI and EXEC, in one round trip") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.workbook_record_commands();
  auto r = client.transaction().set(keys.key("a"), "v").pexpire(keys.key("a"), 30s).exec();
  auto sent = client.workbook_recorded_commands();
  INFO(grading::describe(sent));
  REQUIRE(sent.size() == 4u);
  REQUIRE(sent.front().name() == "MULTI");
  REQUIRE(sent.back().name() == "EXEC");
  REQUIRE(grading::round_trips(sent) == 1u);
  REQUIRE(r.size() == 2u);
  REQUIRE(r.get<bool>(0));
  REQUIRE(r.get<bool>(1));
  REQUIRE(client.pttl(keys.key("a")) > 29000);
}

TEST_CASE("a transaction with a command refused while queueing runs nothing and names it") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  auto tx = client.transaction();
  tx.set(keys.key("a"), "v").command("NOSUCHCOMMAND", keys.key("a")).incr(keys.key("n"));
  auto t = thrown_by([&] { tx.exec(); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "EXECABORT"));
  REQUIRE(contains(t.what, "NOSUCHCOMMAND"));
  REQUIRE(contains(t.what, client.options().address()));
  REQUIRE(client.exists({keys.key("a"), keys.key("n")}) == 0);
  // The connection went back to the pool outside MULTI: plain commands answer.
  REQUIRE(client.set(keys.key("after"), "x"));
  REQUIRE(client.get(keys.key("after")) == "x"s);
}

TEST_CASE("a command that fails inside EXEC does not undo the others; its reply throws") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("text"), "abc");
  auto r = client.transaction().incr(keys.key("text")).incr(keys.key("n")).exec();
  REQUIRE(r.size() == 2u);
  REQUIRE(r.get<long long>(1) == 1);
  auto t = thrown_by([&] { r.get<long long>(0); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "INCR"));
  REQUIRE(contains(t.what, "not an integer"));
}

TEST_CASE("no other client's command runs between the commands of a transaction") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const std::string counter = keys.key("n");
  std::vector<std::vector<long long>> seen(16);
  grading::run_together(16, [&](int i) {
    for (int round = 0; round < 10; ++round) {
      auto r = client.transaction().incr(counter).incr(counter).incr(counter).exec();
      seen[static_cast<std::size_t>(i)].push_back(r.get<long long>(0));
      seen[static_cast<std::size_t>(i)].push_back(r.get<long long>(2));
    }
  });
  for (const auto& pairs : seen)
    for (std::size_t j = 0; j + 1 < pairs.size(); j += 2) {
      INFO("a transaction's INCRs returned " << pairs[j] << " and " << pairs[j + 1]);
      REQUIRE(pairs[j + 1] == pairs[j] + 2);
    }
  REQUIRE(client.get(counter) == "480"s);
}

TEST_CASE("a pipeline of 20,000 commands still goes in one round trip") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  auto pipe = client.pipeline();
  for (int i = 0; i < 20000; ++i) pipe.incr(keys.key("n"));
  auto before = client.workbook_round_trips();
  auto r = pipe.exec();
  REQUIRE(client.workbook_round_trips() == before + 1);
  REQUIRE(r.size() == 20000u);
  REQUIRE(r.get<long long>(19999) == 20000);
}
