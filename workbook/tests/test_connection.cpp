// Connecting: URLs, servers that are not there or do not answer, reconnecting
// after an I/O error, and moving a client.
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fake_server.hpp"
#include "support.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using wb::ConnectionOptions;
using wb_test::contains;
using wb_test::EnvGuard;
using wb_test::millis_of;
using wb_test::thrown_by;

namespace {
wb::Valkey fake_client(const wb_test::FakeServer& server, std::chrono::milliseconds timeout = 1s) {
  ConnectionOptions o = ConnectionOptions::from_url(server.url());
  o.socket_timeout = timeout;
  return wb::Valkey(o);
}

std::vector<std::vector<std::string>> on_connection(const wb_test::FakeServer& server, int index) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : server.received())
    if (r.connection == index) out.push_back(r.argv);
  return out;
}
}  // namespace

// ---- URLs ------------------------------------------------------------------------------

TEST_CASE("a URL gives host, port, user, password and database") {
  auto o = ConnectionOptions::from_url("redis://alice:s3cret@cache.example:6380/2");
  CHECK(o.host == "cache.example");
  CHECK(o.port == 6380);
  CHECK(o.user == "alice");
  CHECK(o.password == "s3cret");
  CHECK(o.db == 2);
  CHECK(o.address() == "cache.example:6380/2");
}

TEST_CASE("a URL may leave out the user, the password, the port and the database") {
  auto plain = ConnectionOptions::from_url("redis://10.1.2.3");
  CHECK(plain.host == "10.1.2.3");
  CHECK(plain.port == 6379);
  CHECK(plain.user.empty());
  CHECK(plain.password.empty());
  CHECK(plain.db == 0);
  CHECK(plain.address() == "10.1.2.3:6379");

  auto password_only = ConnectionOptions::from_url("redis://:pw@localhost:7000");
  CHECK(password_only.user.empty());
  CHECK(password_only.password == "pw");
  CHECK(password_only.port == 7000);

  auto no_colon = ConnectionOptions::from_url("valkey://pw@localhost/");
  CHECK(no_colon.password == "pw");
  CHECK(no_colon.db == 0);

  auto at_in_password = ConnectionOptions::from_url("redis://u:p@ss@h:1/15");
  CHECK(at_in_password.password == "p@ss");
  CHECK(at_in_password.host == "h");
  CHECK(at_in_password.db == 15);
}

TEST_CASE("a bracketed IPv6 address in a URL is a host without its brackets") {
  auto o = ConnectionOptions::from_url("redis://[::1]:6390/1");
  CHECK(o.host == "::1");
  CHECK(o.port == 6390);
  CHECK(o.db == 1);
  CHECK(o.address() == "[::1]:6390/1");
  auto no_port = ConnectionOptions::from_url("redis://[::1]");
  CHECK(no_port.host == "::1");
  CHECK(no_port.port == 6379);
}

TEST_CASE("a bad URL is refused with std::invalid_argument that says what is wrong") {
  struct Case {
    const char* url;
    const char* reason;
  };
  for (Case c : {Case{"http://127.0.0.1:6379", "redis://"}, Case{"127.0.0.1:6379", "redis://"},
                 Case{"redis://host:port", "port"}, Case{"redis://host:", "port"},
                 Case{"redis://host:70000", "port"}, Case{"redis://host:0", "port"},
                 Case{"redis://host:6379/zero", "database"},
                 Case{"redis://host:6379/99999999999999999999", "database"},
                 Case{"redis://[::1:6379", "]"}}) {
    auto t = thrown_by([&] { ConnectionOptions::from_url(c.url); });
    INFO(c.url << " -> " << t.type << ": " << t.what);
    CHECK(t.type == "std::invalid_argument");
    CHECK(contains(t.what, c.reason));
    CHECK(contains(t.what, "redis://[user:password@]host:port[/db]"));
  }
}

TEST_CASE("an error about a URL never shows its password") {
  auto t = thrown_by([] { ConnectionOptions::from_url("redis://alice:hunter2@host:oops"); });
  INFO(t.what);
  REQUIRE(t.type == "std::invalid_argument");
  REQUIRE_FALSE(contains(t.what, "hunter2"));
  REQUIRE(contains(t.what, "alice:***@host:oops"));
  auto o = ConnectionOptions::from_url("redis://alice:hunter2@host:1");
  REQUIRE_FALSE(contains(o.address(), "hunter2"));
}

TEST_CASE("from_env reads VALKEY_URL and falls back to redis://127.0.0.1:6379") {
  {
    EnvGuard env("VALKEY_URL", "redis://example.invalid:1234/3");
    REQUIRE(wb::valkey_url_from_env() == "redis://example.invalid:1234/3");
    auto o = ConnectionOptions::from_env();
    CHECK(o.host == "example.invalid");
    CHECK(o.port == 1234);
    CHECK(o.db == 3);
  }
  {
    EnvGuard env("VALKEY_URL", nullptr);
    REQUIRE(wb::valkey_url_from_env() == "redis://127.0.0.1:6379");
  }
  {
    EnvGuard env("VALKEY_URL", "");
    REQUIRE(wb::valkey_url_from_env() == "redis://127.0.0.1:6379");
  }
}

TEST_CASE("the default timeouts are finite") {
  ConnectionOptions o;
  CHECK(o.connect_timeout.count() > 0);
  CHECK(o.connect_timeout.count() <= 5000);
  CHECK(o.socket_timeout.count() > 0);
  CHECK(o.socket_timeout.count() <= 10000);
}

// ---- servers that are not there ------------------------------------------------------------

TEST_CASE("a closed port is an IoError at once, naming the address") {
  int port = wb_test::closed_port();
  wb::Valkey client("redis://127.0.0.1:" + std::to_string(port));
  wb_test::Thrown t;
  long long ms = millis_of([&] { t = thrown_by([&] { client.ping(); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE(t.type == "IoError");
  REQUIRE(contains(t.what, "127.0.0.1:" + std::to_string(port)));
  REQUIRE(contains(t.what, "refused"));
  REQUIRE(ms < 500);
}

TEST_CASE(
    "a server that never finishes the handshake is a TimeoutError within the connect timeout") {
  wb_test::FullBacklogListener listener;
  ConnectionOptions o;
  o.port = listener.port();
  o.connect_timeout = 200ms;
  wb::Valkey client(o);
  wb_test::Thrown t;
  long long ms = millis_of([&] { t = thrown_by([&] { client.ping(); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE(t.type == "TimeoutError");
  REQUIRE(contains(t.what, "127.0.0.1:" + std::to_string(listener.port())));
  REQUIRE(ms >= 150);
  REQUIRE(ms < 1000);
}

TEST_CASE("a server that accepts and never answers is a TimeoutError within the socket timeout") {
  wb_test::FakeServer silent(true);
  auto client = fake_client(silent, 200ms);
  wb_test::Thrown t;
  long long ms = millis_of([&] { t = thrown_by([&] { client.get("some:key"); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE(t.type == "TimeoutError");
  REQUIRE(contains(t.what, "GET 'some:key'"));
  REQUIRE(contains(t.what, "127.0.0.1:" + std::to_string(silent.port())));
  REQUIRE(contains(t.what, "200 ms"));
  REQUIRE(ms >= 150);
  REQUIRE(ms < 1000);
}

TEST_CASE("after a timeout, a late reply is never taken for the next command's") {
  wb_test::FakeServer server;
  server.delay_connection(0, 500ms);
  auto client = fake_client(server, 250ms);
  REQUIRE_THROWS_AS(client.get("first"), wb::TimeoutError);
  std::this_thread::sleep_for(400ms);  // the late reply to "first" arrives meanwhile
  REQUIRE(client.get("second") == "second"s);
  REQUIRE(server.connections_accepted() == 2);
}

// ---- reconnecting ---------------------------------------------------------------------------

TEST_CASE("after its connection is killed the client reconnects, still in the URL's database") {
  grading::KeyScope keys("lib");
  wb::Valkey client(wb_test::url_with_db(1));
  REQUIRE(client.options().db == 1);
  const std::string key = keys.key("in-db-1");
  struct Cleanup {
    wb::Valkey& c;
    std::string k;
    ~Cleanup() {
      try {
        c.del(k);
      } catch (...) {
      }
    }
  } cleanup{client, key};

  client.set(key, "db one");
  auto db0 = grading::connect();
  REQUIRE(db0.exists(key) == 0);  // it really is in another database

  long long id = client.command<long long>("CLIENT", "ID");
  REQUIRE(db0.command<long long>("CLIENT", "KILL", "ID", id) == 1);

  auto t = thrown_by([&] { client.get(key); });
  INFO("the first command after the kill: " << t.type << ": " << t.what);
  REQUIRE(t.type == "ClosedError");
  REQUIRE(contains(t.what, client.options().address()));

  REQUIRE(client.get(key) == "db one"s);
  REQUIRE(client.command<long long>("CLIENT", "ID") != id);
}

TEST_CASE("a new connection sends AUTH and SELECT again and keeps the read timeout") {
  wb_test::FakeServer server;
  ConnectionOptions o = ConnectionOptions::from_url(server.url("tester:s3cret", "/3"));
  o.socket_timeout = 400ms;
  wb::Valkey client(o);
  client.record_commands();
  REQUIRE(client.ping() == "PONG");
  server.drop_connections();
  REQUIRE_THROWS_AS(client.ping(), wb::ClosedError);
  REQUIRE(client.ping() == "PONG");

  using Argv = std::vector<std::string>;
  const std::vector<Argv> handshake{{"AUTH", "tester", "s3cret"}, {"SELECT", "3"}};
  auto first = on_connection(server, 0);
  auto second = on_connection(server, 1);
  REQUIRE(first.size() >= 2u);
  REQUIRE(std::vector<Argv>(first.begin(), first.begin() + 2) == handshake);
  REQUIRE(second == std::vector<Argv>{handshake[0], handshake[1], {"PING"}});
  // AUTH and SELECT are the client's own business: not recorded as the learner's.
  REQUIRE(grading::count(client.recorded_commands(), "AUTH") == 0u);
  REQUIRE(grading::count(client.recorded_commands(), "SELECT") == 0u);

  server.set_silent(true);
  wb_test::Thrown t;
  long long ms = millis_of([&] { t = thrown_by([&] { client.ping(); }); });
  INFO(t.type << " after " << ms << " ms");
  REQUIRE(t.type == "TimeoutError");
  REQUIRE(ms < 1000);
}

TEST_CASE("after the server drops every pooled connection, only one command fails") {
  wb_test::FakeServer server;
  server.set_reply_delay(300ms);
  auto client = fake_client(server);
  // Three commands at once need three connections, which then wait in the pool.
  grading::run_together(3, [&](int) { client.ping(); });
  REQUIRE(server.connections_accepted() == 3);
  server.set_reply_delay(0ms);
  server.drop_connections();

  REQUIRE_THROWS_AS(client.ping(), wb::ClosedError);
  auto t = thrown_by([&] { client.ping(); });
  INFO("the second command after the drop: " << t.type << " " << t.what);
  REQUIRE(t.type == "nothing");
}

TEST_CASE("a wrong password is a ReplyError naming AUTH and the server, never the password") {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  o.password = "definitely-not-the-password";
  o.user = "wb-no-such-user";
  wb::Valkey client(o);
  auto t = thrown_by([&] { client.ping(); });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "AUTH"));
  REQUIRE(contains(t.what, o.address()));
  REQUIRE_FALSE(contains(t.what, "definitely-not-the-password"));
}

// ---- moving ----------------------------------------------------------------------------------

TEST_CASE("a moved client keeps working under its new name") {
  grading::KeyScope keys("lib");
  auto first = grading::connect();
  first.record_commands();
  first.set(keys.key("a"), "v");
  wb::Valkey second(std::move(first));
  REQUIRE(second.get(keys.key("a")) == "v"s);
  REQUIRE(second.recorded_commands().size() == 2u);

  wb::Valkey third = grading::connect();
  third = std::move(second);
  REQUIRE(third.get(keys.key("a")) == "v"s);
  REQUIRE(third.recorded_commands().size() == 3u);
}

TEST_CASE("a moved-from client throws ClosedError instead of crashing") {
  auto first = grading::connect();
  wb::Valkey second(std::move(first));
  // NOLINTBEGIN(bugprone-use-after-move): this is the point of the test.
  CHECK(thrown_by([&] { first.ping(); }).type == "ClosedError");
  CHECK(thrown_by([&] { first.options(); }).type == "ClosedError");
  CHECK(thrown_by([&] { first.record_commands(); }).type == "ClosedError");
  CHECK(thrown_by([&] { first.recorded_commands(); }).type == "ClosedError");
  CHECK(thrown_by([&] { first.clear_recorded_commands(); }).type == "ClosedError");
  CHECK(thrown_by([&] { first.round_trips(); }).type == "ClosedError");
  CHECK(thrown_by([&] { first.pipeline().incr("x").exec(); }).type == "ClosedError");
  // NOLINTEND(bugprone-use-after-move)
  // A moved-from client can be given a new one.
  first = grading::connect();
  REQUIRE(first.ping() == "PONG");
}

TEST_CASE("writing to a connection the server has closed is an error, not a killed process") {
  // Without care, the second write() to a socket the peer has reset raises
  // SIGPIPE, whose default action ends the program without a word.
  grading::KeyScope keys("lib");
  auto client = grading::connect();
  auto killer = grading::connect();
  const std::string big(8 * 1024 * 1024, 'x');
  for (int attempt = 0; attempt < 3; ++attempt) {
    long long id = client.command<long long>("CLIENT", "ID");
    killer.command<long long>("CLIENT", "KILL", "ID", id);
    std::this_thread::sleep_for(20ms);
    auto t = thrown_by([&] { client.set(keys.key("big"), big); });
    INFO(t.type << ": " << t.what);
    REQUIRE((t.type == "ClosedError" || t.type == "IoError"));
  }
  REQUIRE(client.set(keys.key("big"), big));
  REQUIRE(client.strlen(keys.key("big")) == static_cast<long long>(big.size()));
}

TEST_CASE(
    "a server that does not answer AUTH gives a TimeoutError that does not show the password") {
  wb_test::FakeServer silent(true);
  ConnectionOptions o = ConnectionOptions::from_url(silent.url(":s3cret-pw"));
  o.socket_timeout = 150ms;
  wb::Valkey client(o);
  auto t = thrown_by([&] { client.ping(); });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "TimeoutError");
  REQUIRE(contains(t.what, "AUTH"));
  REQUIRE_FALSE(contains(t.what, "s3cret-pw"));
}

TEST_CASE("a database number the server does not have is a ReplyError naming SELECT") {
  wb::Valkey client(wb_test::url_with_db(999));
  auto t = thrown_by([&] { client.ping(); });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "ReplyError");
  REQUIRE(contains(t.what, "SELECT"));
  REQUIRE(contains(t.what, client.options().address()));
  REQUIRE(contains(t.what, "out of range"));
}
