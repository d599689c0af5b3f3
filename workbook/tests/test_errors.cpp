// Typed errors: what the server refuses is a ReplyError that names the
// command and the server, and the client goes on working afterwards.
#include <string>
#include <type_traits>
#include <vector>

#include "support.hpp"
#include "workbook/grading.hpp"

using namespace std::string_literals;
namespace grading = wb::grading;
using wb_test::contains;
using wb_test::thrown_by;

static_assert(std::is_base_of_v<std::runtime_error, wb::Error>);
static_assert(std::is_base_of_v<wb::Error, wb::IoError>);
static_assert(std::is_base_of_v<wb::IoError, wb::TimeoutError>);
static_assert(std::is_base_of_v<wb::Error, wb::ClosedError>);
static_assert(std::is_base_of_v<wb::Error, wb::ReplyError>);
static_assert(!std::is_base_of_v<wb::IoError, wb::ReplyError>);

TEST_CASE("a command on a key of the wrong type is a ReplyError naming command, key and server") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.hset(keys.key("h"), "f", "v");
  std::string server_text;
  auto t = thrown_by([&] {
    try {
      client.get(keys.key("h"));
    } catch (const wb::ReplyError& e) {
      server_text = e.server_text();
      throw;
    }
  });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "GET '" + keys.key("h") + "'"));
  REQUIRE(contains(t.what, " on " + client.options().address()));
  REQUIRE(contains(t.what, "WRONGTYPE"));
  REQUIRE(server_text.rfind("WRONGTYPE", 0) == 0);
}

TEST_CASE("after a ReplyError the client goes on, on the same connection") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("s"), "text");
  auto id = client.command<long long>("CLIENT", "ID");
  REQUIRE_THROWS_AS(client.incr(keys.key("s")), wb::ReplyError);
  REQUIRE_THROWS_AS(client.hset(keys.key("s"), "f", "v"), wb::ReplyError);
  REQUIRE(client.get(keys.key("s")) == "text"s);
  REQUIRE(client.command<long long>("CLIENT", "ID") == id);
}

TEST_CASE("INCR on a value that is not a number says so, naming INCR and the key") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("views"), "many");
  auto t = thrown_by([&] { client.incr(keys.key("views")); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "INCR '" + keys.key("views") + "' on "));
  REQUIRE(contains(t.what, "not an integer"));
}

TEST_CASE("an unknown command is a ReplyError naming it") {
  auto client = grading::connect();
  auto t = thrown_by([&] { client.command("NOSUCHCOMMAND", "x"); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "NOSUCHCOMMAND"));
  REQUIRE(client.ping() == "PONG");
}

TEST_CASE("a failing script is a ReplyError naming EVAL and the script's error") {
  auto client = grading::connect();
  auto t = thrown_by([&] { client.eval<long long>("return redis.call('NOSUCH')", {}, {}); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "EVAL"));
  REQUIRE(contains(t.what, client.options().address()));
  auto syntax = thrown_by([&] { client.eval<long long>("this is not lua", {}, {}); });
  INFO(syntax.what);
  REQUIRE(syntax.type == "ReplyError");
}

TEST_CASE("an empty command is refused with std::invalid_argument before sending") {
  auto client = grading::connect();
  client.workbook_record_commands();
  std::vector<std::string> none;
  REQUIRE_THROWS_AS(client.command(none.begin(), none.end()), std::invalid_argument);
  REQUIRE(client.workbook_recorded_commands().empty());
}

TEST_CASE("reply_cast turns an error reply into a ReplyError and a nil into nullopt") {
  wb::Reply error;
  error.type = wb::Reply::Type::Error;
  error.str = "ERR boom";
  auto t = thrown_by([&] { wb::reply_cast<std::string>(error, "TEST"); });
  REQUIRE(t.type == "ReplyError");
  REQUIRE(t.what == "TEST: ERR boom");
  wb::Reply nil;
  REQUIRE(wb::reply_cast<wb::OptionalString>(nil) == std::nullopt);
  REQUIRE(wb::reply_cast<wb::OptionalLongLong>(nil) == std::nullopt);
  REQUIRE_FALSE(wb::reply_cast<bool>(nil));
  auto shape = thrown_by([&] { wb::reply_cast<std::string>(nil, "TEST"); });
  REQUIRE(shape.type == "Error");
  REQUIRE(contains(shape.what, "expected a string"));
}

TEST_CASE("commands that would change a pooled connection's state are refused") {
  // SELECT, MULTI, WATCH ... through command() would change one pooled
  // connection and not the others: later commands would land in another
  // database, or be QUEUED instead of run, depending on which connection they
  // borrow.
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.workbook_record_commands();
  for (const char* name : {"SELECT", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE",
                           "PSUBSCRIBE", "MONITOR", "QUIT", "RESET", "AUTH", "HELLO"}) {
    auto t = thrown_by([&] { client.command(name, "1"); });
    INFO(name << ": " << t.type << " " << t.what);
    CHECK(t.type == "std::invalid_argument");
    CHECK(contains(t.what, name));
  }
  auto lower = thrown_by([&] { client.command("multi"); });
  CHECK(lower.type == "std::invalid_argument");
  auto in_pipeline = thrown_by([&] { client.pipeline().command("SELECT", 2); });
  CHECK(in_pipeline.type == "std::invalid_argument");
  auto reply_off = thrown_by([&] { client.command("CLIENT", "REPLY", "OFF"); });
  CHECK(reply_off.type == "std::invalid_argument");
  REQUIRE(client.workbook_recorded_commands().empty());
  // And nothing was left behind: a plain SET and GET still work.
  REQUIRE(client.set(keys.key("a"), "v"));
  REQUIRE(client.get(keys.key("a")) == "v"s);
}

TEST_CASE("an error about a key with a NUL byte still shows the server's words") {
  // what() is a C string: a raw NUL byte in it would hide everything after it.
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  const std::string key = keys.key("a\0b"s);
  client.hset(key, "f", "v");
  std::string what;
  try {
    client.get(key);
  } catch (const wb::ReplyError& e) {
    what = e.what();  // read as a C string, the way a learner's program prints it
  }
  INFO(what);
  REQUIRE(contains(what, "WRONGTYPE"));
  REQUIRE(contains(what, "a\\x00b"));
}

TEST_CASE("a value is an integer only when all of it is, NUL bytes included") {
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  client.set(keys.key("n"), "12");
  client.set(keys.key("tricky"), "12\0abc"s);
  REQUIRE(client.command<long long>("GET", keys.key("n")) == 12);
  auto t = thrown_by([&] { client.command<long long>("GET", keys.key("tricky")); });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "Error");
  REQUIRE(contains(t.what, "12\\x00abc"));
  REQUIRE(thrown_by([&] { client.command<double>("GET", keys.key("tricky")); }).type == "Error");
}
