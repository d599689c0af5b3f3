// MGET, MSET and DBSIZE, directly and in pipelines.
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"
#include "workbook/grading.hpp"
#include "workbook/own_server.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using wb_test::thrown_by;

TEST_CASE("mget reads many keys in one command, nullopt for a missing key or a non-string") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "1");
  client.set(keys.key("c"), std::string("x\0y", 3));
  client.hset(keys.key("h"), "f", "v");
  std::vector<std::string> wanted{keys.key("a"), keys.key("b"), keys.key("c"), keys.key("h")};
  client.record_commands();
  std::vector<wb::OptionalString> values;
  client.mget(wanted.begin(), wanted.end(), std::back_inserter(values));
  auto sent = client.recorded_commands();
  INFO(grading::describe(sent));
  REQUIRE(sent.size() == 1u);
  CHECK(sent[0].argv ==
        std::vector<std::string>{"MGET", wanted[0], wanted[1], wanted[2], wanted[3]});
  REQUIRE(values.size() == 4u);
  CHECK(values[0] == "1"s);
  CHECK(values[1] == std::nullopt);
  CHECK(values[2] == std::string("x\0y", 3));
  CHECK(values[3] == std::nullopt);

  std::vector<wb::OptionalString> listed;
  client.mget({keys.key("a"), keys.key("b")}, std::back_inserter(listed));
  CHECK(listed == std::vector<wb::OptionalString>{"1"s, std::nullopt});
}

TEST_CASE("mset writes every pair in one command, without expiry") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("a"), "old", 60s);
  std::map<std::string, std::string> pairs{{keys.key("a"), "1"}, {keys.key("b"), "2"}};
  client.record_commands();
  client.mset(pairs.begin(), pairs.end());
  auto sent = client.recorded_commands();
  REQUIRE(sent.size() == 1u);
  CHECK(sent[0].argv == std::vector<std::string>{"MSET", keys.key("a"), "1", keys.key("b"), "2"});
  CHECK(client.get(keys.key("a")) == "1"s);
  CHECK(client.get(keys.key("b")) == "2"s);
  CHECK(client.pttl(keys.key("a")) == -1);  // MSET, like SET, drops the old expiry
  client.mset({std::make_pair(keys.key("c"), "3")});
  CHECK(client.get(keys.key("c")) == "3"s);
}

TEST_CASE("mget and mset of an empty range send nothing") {
  auto client = grading::connect();
  client.record_commands();
  std::vector<std::string> none;
  std::vector<wb::OptionalString> values;
  client.mget(none.begin(), none.end(), std::back_inserter(values));
  std::vector<std::pair<std::string, std::string>> no_pairs;
  client.mset(no_pairs.begin(), no_pairs.end());
  CHECK(values.empty());
  CHECK(client.recorded_commands().empty());
}

TEST_CASE("a pipeline queues mget and mset as one command each") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  std::vector<std::pair<std::string, std::string>> pairs{{keys.key("a"), "1"},
                                                         {keys.key("b"), "2"}};
  std::vector<std::string> wanted{keys.key("a"), keys.key("z"), keys.key("b")};
  client.record_commands();
  auto replies = client.pipeline()
                     .mset(pairs.begin(), pairs.end())
                     .mget(wanted.begin(), wanted.end())
                     .mget({keys.key("b")})
                     .exec();
  auto sent = client.recorded_commands();
  INFO(grading::describe(sent));
  CHECK(sent.size() == 3u);
  CHECK(grading::round_trips(sent) == 1u);
  REQUIRE(replies.size() == 3u);
  CHECK(replies.get<std::vector<wb::OptionalString>>(1) ==
        std::vector<wb::OptionalString>{"1"s, std::nullopt, "2"s});
  CHECK(replies.get<std::vector<wb::OptionalString>>(2) == std::vector<wb::OptionalString>{"2"s});
}

TEST_CASE("a pipeline refuses an empty mget or mset instead of shifting the replies") {
  auto client = grading::connect();
  auto pipe = client.pipeline();
  std::vector<std::string> none;
  CHECK(thrown_by([&] { pipe.mget(none.begin(), none.end()); }).type == "std::invalid_argument");
  std::vector<std::pair<std::string, std::string>> no_pairs;
  CHECK(thrown_by([&] { pipe.mset(no_pairs.begin(), no_pairs.end()); }).type ==
        "std::invalid_argument");
  CHECK(pipe.size() == 0u);
}

TEST_CASE("dbsize counts the keys of the database") {
  // On a server of the test's own: the shared one has other tests' keys.
  wb::OwnServer server;
  wb::Valkey client(server.url());
  CHECK(client.dbsize() == 0);
  client.mset({std::make_pair("a", "1"), std::make_pair("b", "2"), std::make_pair("c", "3")});
  CHECK(client.dbsize() == 3);
}
