// Grader for lesson 13 - eviction and memory.
//
// Every test runs on a server of its own (wb::OwnServer: valkey-server or
// redis-server, the same kind as the learner's, or $WORKBOOK_SERVER_BIN),
// started with the memory limit and policy the test needs and stopped when
// the test ends: the learner's server is never reconfigured.
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eviction.hpp"
#include "workbook/grading.hpp"
#include "workbook/own_server.hpp"
#include "workloads.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using eviction::CacheCounters;
using eviction::Workload;
using eviction::Worth;
using std::chrono::milliseconds;

namespace {

wb::OwnServer own_server(const std::string& policy, const std::string& maxmemory = "2mb") {
  return workloads::start_server({{"maxmemory", maxmemory}, {"maxmemory-policy", policy}});
}

std::string show(const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : "(nil)"; }

bool is_oom(const wb::ReplyError& e) { return e.server_text().rfind("OOM", 0) == 0; }

// Makes the server full for good: 2 MB of keys without expiry, then a
// maxmemory of 1 MB under them. With noeviction, or a volatile-* policy (none
// of these keys has an expiry), it then refuses every write that needs memory
// and still serves reads. (Filling up to the limit is not enough: a write is
// refused while its own arguments push the count over, and the next, smaller
// one may pass.) Ends with one refused write of its own.
void make_full(wb::Valkey& admin) {
  const std::string block(10000, 'f');
  for (int i = 0; i < 200; ++i) admin.set("filler:" + std::to_string(i), block);
  admin.command("CONFIG", "SET", "maxmemory", "1mb");
  try {
    admin.set("probe", "x");
  } catch (const wb::ReplyError& e) {
    if (is_oom(e)) return;
    throw;
  }
  FAIL("the grader's own server did not refuse a write: its maxmemory is not in force");
}

// A loader that counts its calls.
struct Loader {
  std::string value = "loaded";
  int calls = 0;
  std::function<std::string()> fn() {
    return [this] {
      ++calls;
      return value;
    };
  }
};

using wb::grading::what_was_thrown;

}  // namespace

// ---- task 1: read_through ---------------------------------------------------------------

namespace {

// One check: when it fails, `message` is what the learner reads first, so it
// starts with the rule that was broken.
void expect(bool ok, const std::string& message) {
  INFO(message);
  REQUIRE(ok);
}

std::string times(int n) { return n == 1 ? "once" : std::to_string(n) + " times"; }

// Sets up a miss on a full server and calls read_through once.
struct MissOnFullServer {
  explicit MissOnFullServer(const std::string& policy) : server(own_server(policy, "0")) {
    make_full(client);
    thrown = what_was_thrown(
        [&] { got = eviction::read_through(client, "page:full", 30s, loader.fn(), counters); });
  }
  wb::OwnServer server;
  wb::Valkey client{server.url()};
  CacheCounters counters;
  Loader loader;
  std::string got;
  std::string thrown;
};

void check_not_cached(const MissOnFullServer& m, const std::string& situation) {
  // A first try often catches the refusal and looks for "OOM" at the start of
  // what(), which begins with the command and the key instead.
  const bool oom_escaped =
      m.thrown.rfind("wb::ReplyError", 0) == 0 && m.thrown.find("OOM") != std::string::npos;
  expect(m.thrown == "nothing",
         "A full cache must not fail the request: " + situation + " read_through threw " +
             m.thrown +
             ". An OOM refusal of the store means \"not cached\": return the loaded "
             "value and count it." +
             (oom_escaped ? " If your code catches the refusal and looks for \"OOM\": what() "
                            "starts with the command and the key, as above, not with the "
                            "server's reply; the server's reply alone starts with \"OOM\" "
                            "(see wb::ReplyError in workbook/valkey.hpp)."
                          : ""));
  expect(m.got == "loaded",
         "On a full cache, read_through must still return what load() gave "
         "(\"loaded\"); it returned \"" +
             m.got + "\".");
  expect(m.loader.calls == 1,
         "read_through called load() " + times(m.loader.calls) + " on one miss; expected once.");
  expect(m.counters.not_cached == 1,
         "The refused store must be counted once in counters.not_cached; it is " +
             std::to_string(m.counters.not_cached) + ".");
}

}  // namespace

TEST_CASE("read_through answers a hit from the cache without loading or writing", "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  client.set("page:1", "cached", 60s);
  CacheCounters counters;
  Loader loader;
  client.record_commands();
  std::string got = eviction::read_through(client, "page:1", 30s, loader.fn(), counters);
  auto sent = client.recorded_commands();
  const std::string seen = " (the key held \"cached\"; read_through returned \"" + got +
                           "\", called load() " + times(loader.calls) + " and sent:\n" +
                           grading::describe(sent) + ")";
  expect(loader.calls == 0, "A hit must not call load()" + seen);
  expect(got == "cached", "A hit returns the cached value" + seen);
  expect(grading::count(sent, "SET") == 0, "A hit writes nothing" + seen);
  expect(counters.not_cached == 0, "A hit is not \"not cached\": counters.not_cached is " +
                                       std::to_string(counters.not_cached) + seen);
}

TEST_CASE("read_through caches a miss with its expiry, in one command, and loads once", "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  CacheCounters counters;
  Loader loader;
  client.record_commands();
  auto start = std::chrono::steady_clock::now();
  std::string got = eviction::read_through(client, "page:2", 1500ms, loader.fn(), counters);
  auto sent = client.recorded_commands();
  client.record_commands(false);
  long long pttl = client.pttl("page:2");
  long long least =
      1500 -
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count() -
      1;
  auto stored = client.get("page:2");
  std::size_t writes = grading::count(sent, "SET") + grading::count(sent, "PEXPIRE") +
                       grading::count(sent, "EXPIRE") + grading::count(sent, "SETEX") +
                       grading::count(sent, "PSETEX");
  const std::string seen = " (read_through(\"page:2\", 1500ms) on a miss returned \"" + got +
                           "\", called load() " + times(loader.calls) + ", sent:\n" +
                           grading::describe(sent) + "and left the key holding " + show(stored) +
                           " with PTTL " + std::to_string(pttl) + " ms)";
  expect(loader.calls == 1, "A miss calls load() once" + seen);
  expect(got == "loaded" && stored == "loaded"s,
         "A miss returns and caches what load() gave" + seen);
  expect(pttl != -1,
         "The cached value has no expiry: it stays forever, and under a volatile-* "
         "policy a key without expiry can never be evicted" +
             seen);
  expect(writes == 1,
         "The value and its expiry go in two commands: between them the key "
         "exists without expiry. One SET with PX does both" +
             seen);
  expect(pttl >= least && pttl <= 1500,
         "The expiry must be the ttl to the millisecond (between " + std::to_string(least) +
             " and 1500 ms): whole seconds turn 1500ms into 1 s" + seen);
  expect(counters.not_cached == 0,
         "A store that worked was counted as not cached: "
         "counters.not_cached is " +
             std::to_string(counters.not_cached) + seen);
}

TEST_CASE("read_through returns the loaded value when a full server refuses it, and counts it",
          "[task1]") {
  MissOnFullServer m("noeviction");
  check_not_cached(m,
                   "the server is full (noeviction, maxmemory reached) and refused the store "
                   "with \"OOM command not allowed when used memory > 'maxmemory'\", and");
  CHECK(m.client.get("page:full") == std::nullopt);
}

TEST_CASE("read_through treats volatile-lru with nothing to evict as full too", "[task1]") {
  // Only keys without expiry: volatile-lru may evict none of them.
  MissOnFullServer m("volatile-lru");
  check_not_cached(m,
                   "under volatile-lru, a server whose keys have no expiry has nothing it may "
                   "evict, so it refused the store with OOM as noeviction does, and");
}

TEST_CASE("read_through counts every refusal once, from many threads at once", "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  make_full(client);
  CacheCounters counters;
  std::atomic<int> loads{0};
  std::atomic<int> right{0};
  grading::run_together(8, [&](int i) {
    std::string mine = "v" + std::to_string(i);
    std::string got = eviction::read_through(
        client, "page:t" + std::to_string(i), 30s,
        [&] {
          ++loads;
          return mine;
        },
        counters);
    if (got == mine) ++right;
  });
  expect(counters.not_cached == 8 && loads == 8 && right == 8,
         "8 threads each missed a different key on a full server: expected 8 refusals counted, "
         "8 loads, 8 threads with their own value; counters.not_cached is " +
             std::to_string(counters.not_cached) + ", load() ran " + std::to_string(loads) +
             " times, " + std::to_string(right) + " threads got their own value.");
}

TEST_CASE("read_through lets any other error reply through: a read-only replica refuses the store",
          "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  // A replica of a server that is not there: it serves reads and refuses
  // every write with READONLY.
  client.command("REPLICAOF", "127.0.0.1", "1");
  CacheCounters counters;
  Loader loader;
  std::string thrown = what_was_thrown(
      [&] { eviction::read_through(client, "page:5", 30s, loader.fn(), counters); });
  client.command("REPLICAOF", "NO", "ONE");
  expect(thrown.rfind("wb::ReplyError", 0) == 0 && counters.not_cached == 0,
         "Only an OOM error means the cache is full: a store refused with \"READONLY You can't "
         "write against a read only replica.\" must reach the caller, uncounted. read_through "
         "threw " +
             thrown + "; counters.not_cached is " + std::to_string(counters.not_cached) +
             ". Swallowing every error hides a broken cache (a failover gone wrong, a wrong "
             "password) behind a hit rate of zero.");
}

TEST_CASE("read_through tells OOM by the error's code, not by a word in the key", "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  client.command("REPLICAOF", "127.0.0.1", "1");
  CacheCounters counters;
  Loader loader;
  const std::string key = "game:KABOOM:OOM-level";
  std::string thrown =
      what_was_thrown([&] { eviction::read_through(client, key, 30s, loader.fn(), counters); });
  client.command("REPLICAOF", "NO", "ONE");
  expect(thrown.rfind("wb::ReplyError", 0) == 0 && counters.not_cached == 0,
         "The key's name contains OOM, and the error was READONLY: it must reach the caller, "
         "uncounted. read_through threw " +
             thrown + "; counters.not_cached is " + std::to_string(counters.not_cached) +
             ". A wb::ReplyError's what() also holds the command and the key; server_text() is "
             "the server's reply alone, and starts with the error's code.");
}

TEST_CASE("read_through lets an error reply of the read through, and loads nothing", "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  client.hset("page:6", "field", "a hash, not a string");
  CacheCounters counters;
  Loader loader;
  std::string thrown = what_was_thrown(
      [&] { eviction::read_through(client, "page:6", 30s, loader.fn(), counters); });
  expect(thrown.rfind("wb::ReplyError", 0) == 0 && loader.calls == 0 && counters.not_cached == 0,
         "A failed read is not a miss: the key holds a hash, GET is refused with WRONGTYPE, and "
         "that error must reach the caller, with no load and no count. read_through threw " +
             thrown + ", called load() " + times(loader.calls) + "; counters.not_cached is " +
             std::to_string(counters.not_cached) + ".");
}

TEST_CASE("read_through lets load()'s exception through, storing and counting nothing", "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  CacheCounters counters;
  std::string thrown = what_was_thrown([&] {
    eviction::read_through(
        client, "page:7", 30s, []() -> std::string { throw std::runtime_error("database down"); },
        counters);
  });
  auto stored = client.get("page:7");
  expect(
      thrown == "an exception: database down" && stored == std::nullopt && counters.not_cached == 0,
      "load()'s exception must reach the caller, with nothing cached or counted: load() threw "
      "std::runtime_error(\"database down\"); read_through threw " +
          thrown + ", the key holds " + show(stored) + ", counters.not_cached is " +
          std::to_string(counters.not_cached) + ".");
}

TEST_CASE("read_through fails when the server goes away, instead of calling it not cached",
          "[task1]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  client.ping();
  CacheCounters counters;
  // The server crashes while the value is being loaded: the store cannot be
  // sent, or gets no answer.
  auto load = [&] {
    server.kill();
    return std::string("loaded");
  };
  std::string thrown =
      what_was_thrown([&] { eviction::read_through(client, "page:8", 30s, load, counters); });
  expect(thrown.rfind("wb::Error", 0) == 0 && counters.not_cached == 0,
         "A cache server that went away is an outage to report, not a full cache: the server "
         "died while load() ran, and the client's wb::Error (an I/O error or a closed "
         "connection) must reach the caller, uncounted. read_through threw " +
             thrown + "; counters.not_cached is " + std::to_string(counters.not_cached) + ".");
}

TEST_CASE("read_through refuses a ttl of zero or less before sending anything", "[task1]") {
  CacheCounters counters;
  Loader loader;
  for (milliseconds ttl : {0ms, -5ms}) {
    std::string thrown;
    auto sent = grading::dry_run([&](wb::Valkey& client) {
      thrown = what_was_thrown(
          [&] { eviction::read_through(client, "page:9", ttl, loader.fn(), counters); });
    });
    expect(
        thrown.rfind("std::invalid_argument", 0) == 0 && sent.empty(),
        "A ttl of " + std::to_string(ttl.count()) +
            "ms must throw std::invalid_argument before any command (to the client a zero "
            "TTL means no expiry at all). read_through " +
            (sent.empty() ? "threw " + thrown
                          : "did not refuse it and went on to send:\n" + grading::describe(sent)));
  }
  REQUIRE(loader.calls == 0);
}

// ---- task 2: memory_report -------------------------------------------------------------------

namespace {

// The policy check of every memory_report test: the \r left by a split on
// '\n' is the usual reason for a policy that looks right and is not.
std::string policy_message(const std::string& expected, const std::string& got);

// INFO's "name:value" for one name, read by the grader itself.
std::string info_value(const std::string& info, const std::string& name) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

long long info_number(const std::string& info, const std::string& name) {
  std::string v = info_value(info, name);
  return v.empty() ? -1 : std::stoll(v);
}

std::string visible(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\r' ? "\\r" : c == '\n' ? "\\n" : std::string(1, c);
  return "\"" + out + "\"";
}

std::string policy_message(const std::string& expected, const std::string& got) {
  return "The policy must be exactly \"" + expected + "\"; memory_report gave " + visible(got) +
         (got.find('\r') != std::string::npos
              ? ". INFO's lines end in \"\\r\\n\": split on '\\n' alone and a \\r stays at "
                "the end of every value."
              : ".");
}

std::string show(const std::optional<double>& f) {
  return f ? std::to_string(*f) : std::string("nullopt");
}

// Writes `n` keys of `size` bytes in pipelines.
void write_many(wb::Valkey& client, const std::string& prefix, int n, std::size_t size,
                milliseconds ttl = milliseconds(0)) {
  const std::string value(size, 'w');
  for (int i = 0; i < n; i += 100) {
    auto pipe = client.pipeline();
    for (int j = i; j < std::min(n, i + 100); ++j) pipe.set(prefix + std::to_string(j), value, ttl);
    pipe.exec();
  }
}

}  // namespace

TEST_CASE("memory_report reads maxmemory and the policy exactly", "[task2]") {
  auto server = own_server("allkeys-lru", "5mb");
  wb::Valkey client(server.url());
  auto r = eviction::memory_report(client);
  expect(r.policy == "allkeys-lru", policy_message("allkeys-lru", r.policy));
  expect(r.limit_bytes == 5 * 1024 * 1024,
         "limit_bytes must be INFO's maxmemory in bytes, 5242880 for 5mb; memory_report gave " +
             std::to_string(r.limit_bytes) +
             " (maxmemory_human would say 5.00M: it is for people, not for programs).");
}

TEST_CASE("memory_report's used_bytes is used_memory, not the peak, the RSS or the dataset",
          "[task2]") {
  auto server = own_server("noeviction", "64mb");
  wb::Valkey client(server.url());
  // Fill and empty again: the peak stays high, used_memory falls back.
  write_many(client, "p:", 300, 10000);
  client.command("FLUSHALL", "SYNC");
  std::string before = client.info("memory");
  auto r = eviction::memory_report(client);
  std::string after = client.info("memory");
  long long low = std::min(info_number(before, "used_memory"), info_number(after, "used_memory"));
  long long high = std::max(info_number(before, "used_memory"), info_number(after, "used_memory"));
  std::string which = "none of INFO's memory figures";
  for (const char* name : {"used_memory", "used_memory_peak", "used_memory_rss",
                           "used_memory_dataset", "used_memory_overhead", "used_memory_startup"})
    if (std::llabs(r.used_bytes - info_number(after, name)) < 16 * 1024) {
      which = name;
      break;
    }
  expect(r.used_bytes >= low - 32 * 1024 && r.used_bytes <= high + 32 * 1024,
         "used_bytes must be INFO's used_memory (" + std::to_string(low) + " to " +
             std::to_string(high) + " around the call); memory_report gave " +
             std::to_string(r.used_bytes) + ", which is " + which + " (used_memory_peak " +
             std::to_string(info_number(after, "used_memory_peak")) + ", used_memory_rss " +
             std::to_string(info_number(after, "used_memory_rss")) +
             "). used_memory is what maxmemory is compared with; the peak is the highest it ever "
             "was, RSS is what the operating system counts.");
}

TEST_CASE("memory_report's used_fraction is used_bytes over the limit", "[task2]") {
  auto server = own_server("noeviction", "4mb");
  wb::Valkey client(server.url());
  auto r = eviction::memory_report(client);
  double expected = static_cast<double>(r.used_bytes) / (4.0 * 1024 * 1024);
  expect(r.used_fraction && std::fabs(*r.used_fraction - expected) < 1e-9,
         "used_fraction must be used_bytes / limit_bytes, a fraction (" + std::to_string(expected) +
             " here), not a percentage; memory_report gave " + show(r.used_fraction) +
             " with used_bytes " + std::to_string(r.used_bytes) + " and maxmemory 4mb.");
}

TEST_CASE("memory_report says there is no limit when maxmemory is 0", "[task2]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  auto r = eviction::memory_report(client);
  expect(!r.used_fraction && r.limit_bytes == 0,
         "With maxmemory 0 (the default: no limit), used_fraction must be nullopt and "
         "limit_bytes 0: a fraction of \"no limit\" is no number (dividing by 0 gives inf). "
         "memory_report gave limit_bytes " +
             std::to_string(r.limit_bytes) + ", used_fraction " + show(r.used_fraction) + ".");
  expect(r.policy == "noeviction", policy_message("noeviction", r.policy));
}

TEST_CASE("memory_report counts evicted keys, not expired ones", "[task2]") {
  auto server = own_server("allkeys-random", "3mb");
  wb::Valkey client(server.url());
  // 200 keys that expire at once and are seen to be gone...
  write_many(client, "short:", 200, 1, 1ms);
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 200; ++i) client.get("short:" + std::to_string(i));
  // ... and more than fits, so that keys are evicted.
  write_many(client, "big:", 4000, 1000);
  // The server may go on evicting for a moment after the last write (an
  // eviction cycle that ran out of time continues in the background): the
  // report must lie between INFO read just before and just after it.
  std::string stats = client.info("stats");
  auto r = eviction::memory_report(client);
  std::string stats_after = client.info("stats");
  long long evicted = info_number(stats, "evicted_keys");
  long long evicted_after = info_number(stats_after, "evicted_keys");
  long long expired = info_number(stats, "expired_keys");
  REQUIRE(evicted > 0);
  const std::string expected =
      evicted == evicted_after ? std::to_string(evicted)
                               : std::to_string(evicted) + " to " + std::to_string(evicted_after);
  expect(r.evicted_keys >= evicted && r.evicted_keys <= evicted_after,
         "evicted_keys must be INFO stats' evicted_keys (" + expected + "); memory_report gave " +
             std::to_string(r.evicted_keys) +
             (r.evicted_keys == expired
                  ? ", which is expired_keys: an expired key reached the end of its TTL, an "
                    "evicted one was removed early to make room."
                  : "."));
}

TEST_CASE("memory_report counts OOM refusals, and 0 before the first one", "[task2]") {
  auto server = own_server("noeviction", "0");
  wb::Valkey client(server.url());
  // Other errors first: their errorstat lines come before errorstat_OOM.
  for (int i = 0; i < 5; ++i) {
    try {
      client.command("NO-SUCH-COMMAND");
    } catch (const wb::ReplyError&) {
    }
  }
  eviction::MemoryReport before;
  std::string thrown = what_was_thrown([&] { before = eviction::memory_report(client); });
  expect(thrown == "nothing",
         "Before the first OOM error INFO has no errorstat_OOM line at all: a line that is not "
         "there means none yet, not a failure. memory_report threw " +
             thrown + ".");
  expect(before.oom_errors == 0,
         "oom_errors must be 0 before any OOM error; memory_report gave " +
             std::to_string(before.oom_errors) +
             (before.oom_errors == 5 ? ", the count of errorstat_ERR: read the errorstat_OOM line, "
                                       "not another error's line."
                                     : "."));
  make_full(client);  // one refusal
  for (int i = 0; i < 2; ++i) {
    try {
      client.set("more:" + std::to_string(i), "x");
    } catch (const wb::ReplyError&) {
    }
  }
  std::string errors = client.info("errorstats");
  auto after = eviction::memory_report(client);
  expect(after.oom_errors == 3,
         "After 3 OOM refusals oom_errors must be 3, the count in errorstat_OOM's "
         "\"count=3,...\"; memory_report gave " +
             std::to_string(after.oom_errors) + ". INFO errorstats says:\n" + errors);
}

TEST_CASE("memory_report asks the server once", "[task2]") {
  auto server = own_server("noeviction", "3mb");
  wb::Valkey client(server.url());
  client.record_commands();
  eviction::memory_report(client);
  auto sent = client.recorded_commands();
  expect(sent.size() == 1 && sent[0].name() == "INFO",
         "memory_report must ask with one INFO: plain INFO holds the memory, stats and "
         "errorstats sections, and figures from one reply belong to the same moment. It sent:\n" +
             grading::describe(sent));
}

TEST_CASE("memory_report lets the client's error through when the server is down", "[task2]") {
  auto server = own_server("noeviction", "3mb");
  wb::Valkey client(server.url());
  server.kill();
  std::string thrown = what_was_thrown([&] { eviction::memory_report(client); });
  expect(thrown.rfind("wb::Error", 0) == 0,
         "A server that cannot be asked must be an error, not a report of zeros (which looks like "
         "an empty server): memory_report threw " +
             thrown + ".");
}

// ---- task 3: choose_policy ---------------------------------------------------------------------

namespace {

std::string family(const std::string& policy) {
  if (policy == "noeviction") return "noeviction";
  if (policy.rfind("allkeys-", 0) == 0) return "allkeys";
  if (policy.rfind("volatile-", 0) == 0) return "volatile";
  return "?";
}

// What the policy looks at when it picks a key, for messages.
std::string looks_at(const std::string& policy) {
  if (policy.find("-lru") != std::string::npos) return "LRU looks only at when a key was last read";
  if (policy.find("-lfu") != std::string::npos)
    return "LFU looks at how often a key was read, however long ago";
  if (policy.find("-random") != std::string::npos) return "random picks any key it may evict";
  if (policy == "volatile-ttl") return "volatile-ttl looks only at the time left";
  return policy + " never evicts";
}

std::string advice(Worth worth) {
  switch (worth) {
    case Worth::often_read:
      return "Only LFU counts how often a key is read, so a one-off scan of many new entries "
             "(read once each) goes first and the often-read entries stay.";
    case Worth::recently_read:
      return "Only LRU keeps what was read most recently: entries that were popular long ago "
             "but are not read any more go first.";
    case Worth::most_time_left:
      return "Only volatile-ttl evicts the keys whose expiry is nearest first.";
    case Worth::all_alike: break;
  }
  return "";
}

std::string report(const Workload& w, const std::string& policy, const workloads::Outcome& o) {
  std::ostringstream out;
  out << "Workload " << workloads::describe(w) << "\nchoose_policy returned \"" << policy
      << "\". On " << o.server << " with maxmemory " << workloads::maxmemory
      << " and that policy, the grader wrote " << o.writes << " keys of 1000 bytes:\n"
      << "  writes refused (OOM): " << o.refused << "\n  keys evicted: " << o.evicted << "\n";
  if (w.has_data_to_keep)
    out << "  data to keep (no expiry) still there: " << o.keep_present << " of " << o.keep_stored
        << "\n";
  if (!o.worth_label.empty())
    out << "  worth keeping: " << o.worth_label << ": " << o.worth_present << " of "
        << o.worth_stored << " stored are still there\n";
  return out.str();
}

// Runs the learner's choice for `w` and checks the four requirements of the
// header, in order. Each failure leads with the requirement and why the
// policy broke it, then shows what happened.
void check_workload(const Workload& w) {
  std::string policy = eviction::choose_policy(w);
  workloads::Outcome o = workloads::play(w, policy);
  const std::string happened = report(w, policy, o);
  auto require = [&](bool ok, const std::string& why) {
    INFO(why << "\n" << happened);
    REQUIRE(ok);
  };
  require(o.policy_accepted,
          "\"" + policy + "\" is not a maxmemory-policy: the server said " + o.policy_error +
              ". The eight names are noeviction, allkeys-lru, allkeys-lfu, allkeys-random, "
              "volatile-lru, volatile-lfu, volatile-random and volatile-ttl.");
  if (!w.no_key_may_be_lost) {
    std::string why;
    if (family(policy) == "noeviction")
      why =
          "noeviction never evicts: a full server refuses writes. That suits data that must "
          "not be lost, not a cache, whose entries can always be loaded again.";
    else if (family(policy) == "volatile" && !w.entries_have_ttl)
      why =
          "volatile-* policies evict only keys that have an expiry, and these entries had "
          "none: with nothing it was allowed to evict, the server refused writes exactly as "
          "noeviction does.";
    else
      why = "The server had nothing it was allowed to evict.";
    require(o.refused == 0,
            std::to_string(o.refused) + " writes were refused; expected none. " + why);
  }
  if (w.has_data_to_keep && !w.no_key_may_be_lost)
    require(o.keep_present == o.keep_stored,
            std::to_string(o.keep_stored - o.keep_present) + " of the " +
                std::to_string(o.keep_stored) +
                " keys without expiry (the data to keep) were evicted; expected none. allkeys-* "
                "policies may evict any key; volatile-* ones evict only keys with an expiry, "
                "which is what marks the cache entries here.");
  if (w.no_key_may_be_lost) {
    std::string why = "Only noeviction never evicts a key.";
    if (family(policy) == "volatile" && w.entries_have_ttl)
      why +=
          " Under volatile-*, a key with an expiry may be evicted before it expires: an "
          "expiry says when a key must go at the latest, not that it may go early.";
    require(o.evicted == 0,
            std::to_string(o.evicted) + " keys were evicted although no key may be lost. " + why);
  }
  if (!o.worth_label.empty())
    require(o.worth_stored > 0 && o.worth_present * 10 >= o.worth_stored * 9,
            "Only " + std::to_string(o.worth_present) + " of " + std::to_string(o.worth_stored) +
                " entries worth keeping survived; expected at least 9 in 10. " + looks_at(policy) +
                ". " + advice(w.worth));
}

void check_impossible(const Workload& w, const std::string& why) {
  std::string thrown;
  std::string returned;
  thrown = what_was_thrown([&] { returned = eviction::choose_policy(w); });
  INFO("Workload " << workloads::describe(w) << ": choose_policy "
                   << (returned.empty() ? "threw " + thrown : "returned \"" + returned + "\"")
                   << ". Expected std::invalid_argument: no policy meets it. " << why);
  REQUIRE(thrown.rfind("std::invalid_argument", 0) == 0);
}

Workload workload(bool ttl, bool keep, bool lost, Worth worth) {
  Workload w;
  w.entries_have_ttl = ttl;
  w.has_data_to_keep = keep;
  w.no_key_may_be_lost = lost;
  w.worth = worth;
  return w;
}

}  // namespace

TEST_CASE("choose_policy: a catalogue cache with expiries, a few products read all the time",
          "[task3]") {
  check_workload(workload(true, false, false, Worth::often_read));
}

TEST_CASE("choose_policy: rendered pages without expiry, a few read all the time", "[task3]") {
  check_workload(workload(false, false, false, Worth::often_read));
}

TEST_CASE("choose_policy: a news cache with expiries, where what was read recently matters",
          "[task3]") {
  check_workload(workload(true, false, false, Worth::recently_read));
}

TEST_CASE("choose_policy: feature flags to keep beside cached profiles read recently", "[task3]") {
  check_workload(workload(true, true, false, Worth::recently_read));
}

TEST_CASE("choose_policy: data to keep beside cached results read all the time", "[task3]") {
  check_workload(workload(true, true, false, Worth::often_read));
}

TEST_CASE("choose_policy: data to keep beside cache entries that are all alike", "[task3]") {
  check_workload(workload(true, true, false, Worth::all_alike));
}

TEST_CASE("choose_policy: quotes worth more the longer they stay valid", "[task3]") {
  check_workload(workload(true, false, false, Worth::most_time_left));
}

TEST_CASE("choose_policy: thumbnails without expiry, all alike", "[task3]") {
  check_workload(workload(false, false, false, Worth::all_alike));
}

TEST_CASE("choose_policy: a job store where no key may be lost", "[task3]") {
  check_workload(workload(false, false, true, Worth::all_alike));
}

TEST_CASE("choose_policy: sessions with expiries that must not be evicted before they expire",
          "[task3]") {
  check_workload(workload(true, false, true, Worth::all_alike));
}

TEST_CASE("choose_policy refuses data to keep beside entries without expiry", "[task3]") {
  check_impossible(workload(false, true, false, Worth::recently_read),
                   "Nothing tells the data from the cache entries: allkeys-* would evict the "
                   "data too, and volatile-* would evict nothing and refuse writes. Give the "
                   "entries an expiry, or put the data in a server of its own.");
}

TEST_CASE("choose_policy refuses worth by time left when the entries have no expiry", "[task3]") {
  check_impossible(workload(false, false, false, Worth::most_time_left),
                   "Without expiries there is no time left to compare: volatile-ttl would have "
                   "nothing it may evict.");
}
