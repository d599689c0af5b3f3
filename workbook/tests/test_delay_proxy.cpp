// wb::DelayProxy: a loopback proxy that adds latency, in front of the real server.
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"
#include "workbook/delay_proxy.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using wb_test::millis_of;
using wb_test::thrown_by;

namespace {

// A client of VALKEY_URL's server (its password and database too), through the proxy.
wb::Valkey through(const wb::DelayProxy& proxy) {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  o.host = "127.0.0.1";
  o.port = proxy.port();
  return wb::Valkey(o);
}

wb::DelayProxy proxy_for_server(std::chrono::microseconds added) {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  return wb::DelayProxy(o.host, o.port, added);
}

}  // namespace

TEST_CASE("a DelayProxy passes commands and replies through unchanged") {
  grading::KeyScope keys("lib");
  auto proxy = proxy_for_server(0us);
  auto client = through(proxy);
  const std::string binary("a\0b\r\nc", 6);
  CHECK(client.set(keys.key("k"), binary));
  CHECK(client.get(keys.key("k")) == binary);
  CHECK(grading::connect().get(keys.key("k")) == binary);  // it reached the real server
  CHECK(proxy.connections() == 1);
}

TEST_CASE("each round trip through a DelayProxy waits the added time, a pipeline only once") {
  auto proxy = proxy_for_server(20ms);
  CHECK(proxy.added_round_trip() == 20ms);
  auto client = through(proxy);
  client.ping();  // the connection is open before the clock starts
  long long five = millis_of([&] {
    for (int i = 0; i < 5; ++i) client.ping();
  });
  INFO("5 PINGs, one after the other, took " << five << " ms");
  CHECK(five >= 5 * 20 - 1);
  long long pipelined = millis_of([&] {
    auto pipe = client.pipeline();
    for (int i = 0; i < 50; ++i) pipe.command("PING");
    pipe.exec();
  });
  INFO("50 PINGs in one pipeline took " << pipelined << " ms");
  CHECK(pipelined >= 20 - 1);
  // Generous: one wait of 20 ms plus the work, far below 50 waits.
  CHECK(pipelined < 25 * 20);
}

TEST_CASE("a DelayProxy carries large values and several connections at once") {
  grading::KeyScope keys("lib");
  auto proxy = proxy_for_server(2ms);
  const std::string big(3 << 20, 'z');
  std::vector<std::thread> threads;
  std::vector<bool> ok(4, false);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto client = through(proxy);
      std::string key = keys.key("big" + std::to_string(t));
      client.set(key, big);
      ok[static_cast<std::size_t>(t)] = client.get(key) == big;
    });
  for (auto& t : threads) t.join();
  for (bool b : ok) CHECK(b);
  CHECK(proxy.connections() == 4);
}

TEST_CASE("a DelayProxy stops with connections still open, and refuses a negative delay") {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  std::optional<wb::DelayProxy> proxy;
  proxy.emplace(o.host, o.port, 1ms);
  auto client = through(*proxy);
  client.ping();
  long long stopping = millis_of([&] { proxy.reset(); });
  CHECK(stopping < 2000);
  // The client's connection is gone with it: the next command is an I/O error.
  CHECK(thrown_by([&] { client.ping(); }).type != "nothing");
  CHECK(thrown_by([] { wb::DelayProxy p("127.0.0.1", 6379, -1us); }).type ==
        "std::invalid_argument");
}
