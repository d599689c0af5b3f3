// Lesson 14 example: round trips, measured. Run it with `make example-14`.
//
// A delaying proxy of the workbook's own (wb::DelayProxy) sits between this
// example and your server, on loopback, and adds a network's latency to
// every round trip. Then: one command per round trip against 10, 100, 1000;
// MGET; what a pipeline does NOT promise (atomicity) and what MULTI/EXEC and
// a script do; a batched cache-aside loader; a bulk import in batches.
//
// Every key it writes starts with "example:14:" and is deleted at the end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "workbook/delay_proxy.hpp"
#include "workbook/example.hpp"
#include "workbook/measure.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string prefix = "example:14:";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A client of your server (VALKEY_URL, its password and database too),
// straight or through a proxy.
wb::Valkey client_via(const wb::DelayProxy* proxy) {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  if (proxy) {
    o.host = "127.0.0.1";
    o.port = proxy->port();
  }
  o.socket_timeout = 10s;
  return wb::Valkey(o);
}

std::vector<std::string> keys(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + "item:" + std::to_string(i));
  return out;
}

// GETs of the keys, `per_trip` commands per round trip, repeated for at least
// `budget`: commands per second.
double gets_per_second(wb::Valkey& c, const std::vector<std::string>& names, std::size_t per_trip,
                       std::chrono::milliseconds budget) {
  long long done = 0;
  auto start = Clock::now();
  std::size_t next = 0;
  do {
    if (per_trip == 1) {
      c.get(names[next]);
      next = (next + 1) % names.size();
      ++done;
    } else {
      auto pipe = c.pipeline();
      for (std::size_t i = 0; i < per_trip; ++i) pipe.get(names[(next + i) % names.size()]);
      pipe.exec();
      next = (next + per_trip) % names.size();
      done += static_cast<long long>(per_trip);
    }
  } while (Clock::now() - start < budget);
  return static_cast<double>(done) / seconds_since(start);
}

std::string rate(double per_second) {
  char text[32];
  if (per_second >= 10000)
    std::snprintf(text, sizeof text, "%.0fk", per_second / 1000);
  else
    std::snprintf(text, sizeof text, "%.0f", per_second);
  return text;
}

void round_trip_versus_command(wb::Valkey& direct) {
  std::cout << "1. A round trip is not a command. 100 GETs through the proxy with 1 ms added:\n";
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  wb::DelayProxy proxy(o.host, o.port, 1000us);
  auto c = client_via(&proxy);
  c.ping();
  auto names = keys(100);
  auto start = Clock::now();
  for (const auto& k : names) c.get(k);
  double one_by_one = seconds_since(start);
  start = Clock::now();
  auto pipe = c.pipeline();
  for (const auto& k : names) pipe.get(k);
  pipe.exec();
  double pipelined = seconds_since(start);
  start = Clock::now();
  std::vector<wb::OptionalString> values;
  c.mget(names.begin(), names.end(), std::back_inserter(values));
  double mget = seconds_since(start);
  std::printf("    one GET per round trip:    %7.1f ms  (100 round trips)\n", one_by_one * 1000);
  std::printf("    one pipeline of 100 GETs:  %7.1f ms  (1 round trip, 100 commands)\n",
              pipelined * 1000);
  std::printf("    one MGET of 100 keys:      %7.1f ms  (1 round trip, 1 command)\n", mget * 1000);
  wb::Timings ping = wb::time_calls(50, [&] { direct.ping(); });
  std::printf("    (a PING straight to the server, no proxy: median %.1f us)\n\n", ping.median());
}

void latency_table(wb::Valkey& direct) {
  std::cout << "2. Commands per second by commands per round trip and added round-trip time\n"
               "   (GETs of 100 keys, each cell measured for 300 ms; 'none' is straight to the\n"
               "   server, the others go through the proxy)\n";
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  const std::vector<std::chrono::microseconds> added{0us, 200us, 1000us, 5000us};
  std::printf("    %-18s %10s", "per round trip", "none");
  for (auto a : added) {
    char label[32];
    std::snprintf(label, sizeof label, "+%g ms", static_cast<double>(a.count()) / 1000);
    std::printf(" %10s", label);
  }
  std::printf("\n");
  // What a round trip really costs in each column: the median of 50 PINGs.
  auto median_ms = [](wb::Valkey& c) {
    c.ping();
    return wb::time_calls(50, [&] { c.ping(); }).median() / 1000;
  };
  std::printf("    %-18s %7.2f ms", "(PING, median)", median_ms(direct));
  for (auto a : added) {
    wb::DelayProxy proxy(o.host, o.port, a);
    auto c = client_via(&proxy);
    std::printf(" %7.2f ms", median_ms(c));
  }
  std::printf("\n");
  auto names = keys(100);
  for (std::size_t per_trip :
       {std::size_t{1}, std::size_t{10}, std::size_t{100}, std::size_t{1000}}) {
    std::printf("    %-18zu %10s", per_trip,
                rate(gets_per_second(direct, names, per_trip, 300ms)).c_str());
    for (auto a : added) {
      wb::DelayProxy proxy(o.host, o.port, a);
      auto c = client_via(&proxy);
      c.ping();
      std::printf(" %10s", rate(gets_per_second(c, names, per_trip, 300ms)).c_str());
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  std::cout
      << "   (+0 ms: the proxy's own cost, an extra hop on loopback. The proxy wakes up late on\n"
         "    a busy machine: the PING row shows what a round trip really cost";
  std::ifstream load("/proc/loadavg");
  std::string one_minute;
  if (load >> one_minute)
    std::cout << "; this machine's load average: " << one_minute << " on "
              << std::thread::hardware_concurrency() << " cores";
  std::cout << ")\n\n";
}

// A reader polls `key` while a writer adds 1 to it 200000 times in one round
// trip: which values does the reader see, and how long must it wait?
void atomicity(wb::Valkey& writer) {
  std::cout
      << "3. What each batch promises: 200000 INCRs of one key in one round trip, while another\n"
         "   client reads the key (GET) as fast as it can\n";
  const std::string key = prefix + "counter";
  const int n = 200000;
  auto watch = [&](const char* how, const std::function<void()>& batch) {
    writer.set(key, "0");
    std::atomic<bool> stop{false};
    std::set<long long> seen;
    double longest = 0;
    std::thread reader([&] {
      auto r = client_via(nullptr);
      while (!stop) {
        auto start = Clock::now();
        long long v = std::stoll(r.get(key).value_or("0"));
        longest = std::max(longest, seconds_since(start));
        seen.insert(v);
      }
    });
    std::this_thread::sleep_for(50ms);
    batch();
    std::this_thread::sleep_for(50ms);
    stop = true;
    reader.join();
    long long between = 0;
    for (long long v : seen)
      if (v != 0 && v != n) ++between;
    std::printf(
        "    %s: values seen between 0 and %d: %3lld; the reader's longest wait for one "
        "GET: %6.1f ms\n",
        how, n, between, longest * 1000);
  };
  watch("pipeline       ", [&] {
    auto p = writer.pipeline();
    for (int i = 0; i < n; ++i) p.incr(key);
    p.exec();
  });
  watch("MULTI ... EXEC ", [&] {
    auto t = writer.transaction();
    for (int i = 0; i < n; ++i) t.incr(key);
    t.exec();
  });
  watch("EVAL (a script)", [&] {
    writer.eval<long long>(
        "for i = 1, tonumber(ARGV[1]) do redis.call('INCR', KEYS[1]) end return 1", {key},
        {std::to_string(n)});
  });
  std::cout << "\n";
}

void batched_loader() {
  std::cout
      << "4. Cache-aside for 100 ids, half of them cached, through the proxy with 1 ms added\n";
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  wb::DelayProxy proxy(o.host, o.port, 1000us);
  auto c = client_via(&proxy);
  c.ping();
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(std::to_string(i));
  auto key = [](const std::string& id) { return prefix + "product:" + id; };
  int queries = 0;
  auto load_one = [&](const std::string& id) {
    ++queries;
    return "product " + id;
  };
  auto reset = [&] {
    for (const auto& id : ids) c.del(key(id));
    for (int i = 0; i < 100; i += 2)
      c.set(key(ids[static_cast<std::size_t>(i)]), "product " + ids[static_cast<std::size_t>(i)],
            60s);
    queries = 0;
  };

  reset();
  auto before = c.round_trips();
  auto start = Clock::now();
  for (const auto& id : ids)
    if (!c.get(key(id))) c.set(key(id), load_one(id), 60s);
  double slow = seconds_since(start);
  auto slow_trips = c.round_trips() - before;
  int slow_queries = queries;

  reset();
  before = c.round_trips();
  start = Clock::now();
  std::vector<std::string> names;
  for (const auto& id : ids) names.push_back(key(id));
  std::vector<wb::OptionalString> values;
  c.mget(names.begin(), names.end(), std::back_inserter(values));
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!values[i]) missing.push_back(ids[i]);
  ++queries;  // one query for all of them (SELECT ... WHERE id = ANY($1))
  auto fill = c.pipeline();
  for (const auto& id : missing) fill.set(key(id), "product " + id, 60s);
  fill.exec();
  double fast = seconds_since(start);
  auto fast_trips = c.round_trips() - before;

  std::printf("    one id at a time:  %6.1f ms, %3llu round trips, %d database queries\n",
              slow * 1000, static_cast<unsigned long long>(slow_trips), slow_queries);
  std::printf("    batched:           %6.1f ms, %3llu round trips, %d database query\n\n",
              fast * 1000, static_cast<unsigned long long>(fast_trips), queries);
}

void bulk_import() {
  std::cout
      << "5. Importing 20000 rows (SET with PX) in batches, through the proxy with 1 ms added\n";
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  wb::DelayProxy proxy(o.host, o.port, 1000us);
  auto c = client_via(&proxy);
  c.ping();
  const std::string value(100, 'r');
  for (std::size_t batch :
       {std::size_t{10}, std::size_t{100}, std::size_t{1000}, std::size_t{20000}}) {
    auto before = c.round_trips();
    auto start = Clock::now();
    for (std::size_t first = 0; first < 20000; first += batch) {
      auto p = c.pipeline();
      for (std::size_t i = first; i < std::min<std::size_t>(20000, first + batch); ++i)
        p.set(prefix + "row:" + std::to_string(i), value, 60s);
      p.exec();
    }
    std::printf("    batches of %5zu: %7.1f ms, %5llu round trips\n", batch,
                seconds_since(start) * 1000,
                static_cast<unsigned long long>(c.round_trips() - before));
  }
  std::cout
      << "   (one row per round trip would be 20000 round trips: 20 s at 1 ms each, more with\n"
         "    the proxy's own delay)\n";
}

void clean_up(wb::Valkey& c) {
  std::vector<std::string> found;
  long long cursor = 0;
  do {
    cursor = c.scan(cursor, prefix + "*", 1000, std::back_inserter(found));
  } while (cursor != 0);
  for (std::size_t i = 0; i < found.size(); i += 1000) {
    auto end = found.begin() + static_cast<long>(std::min(found.size(), i + 1000));
    c.del(found.begin() + static_cast<long>(i), end);
  }
}

}  // namespace

int main() try {
  wb::Valkey client = client_via(nullptr);
  std::cout << wb::example::banner(client) << "\n\n";
  auto names = keys(100);
  for (const auto& k : names) client.set(k, "value of " + k);

  round_trip_versus_command(client);
  latency_table(client);
  atomicity(client);
  batched_loader();
  bulk_import();

  clean_up(client);
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-14).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
