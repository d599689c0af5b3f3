// Lesson 06 example: a cache stampede, and three remedies - a rebuild lock,
// probabilistic early expiration (XFetch), TTL jitter. Run it with
// `make example-6`.
//
// Every key it writes starts with "example:06:" and is deleted at the end.
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

const std::string prefix = "example:06:";

// Stands in for a slow query: 100 ms, and it counts how often it runs.
std::atomic<int> queries{0};
std::string slow_query() {
  ++queries;
  std::this_thread::sleep_for(100ms);
  return "report for today";
}

void run_threads(int n, const std::function<void()>& work) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(work);
  for (auto& t : threads) t.join();
}

std::string token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string hex;
  for (unsigned char b : bytes) {
    hex += "0123456789abcdef"[b >> 4];
    hex += "0123456789abcdef"[b & 15];
  }
  return hex;
}

// Deletes the lock only if it still holds our token, in one step.
const char* release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

// Plain cache-aside: on a miss, everyone queries.
std::string naive_get(wb::Valkey& cache, const std::string& key) {
  if (auto hit = cache.get(key)) return *hit;
  std::string value = slow_query();
  cache.set(key, value, 30s);
  return value;
}

// With a rebuild lock: one caller queries, the others wait for its value.
std::string locked_get(wb::Valkey& cache, const std::string& key) {
  const std::string lock = key + ":lock";
  milliseconds pause(5);
  for (;;) {
    if (auto hit = cache.get(key)) return *hit;
    const std::string mine = token();
    if (cache.set(lock, mine, 2s, wb::UpdateType::NOT_EXIST)) {
      std::string value = cache.get(key).value_or("");  // filled meanwhile?
      if (value.empty()) {
        value = slow_query();
        cache.set(key, value, 30s);
      }
      cache.eval<long long>(release_script, {lock}, {mine});
      return value;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(50));
  }
}

}  // namespace

int main() try {
  wb::Valkey cache;
  std::cout << wb::example::banner(cache) << "\n\n";

  std::cout << "1. The stampede: 20 requests miss the same cold key at once (plain cache-aside)\n";
  const std::string report = prefix + "report";
  run_threads(20, [&] { naive_get(cache, report); });
  std::cout << "    the 100 ms query ran " << queries << " times for 20 requests\n\n";

  std::cout << "2. The same 20 requests with a rebuild lock (SET lock token NX PX 2000)\n";
  cache.del(report);
  queries = 0;
  auto start = std::chrono::steady_clock::now();
  run_threads(20, [&] { locked_get(cache, report); });
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "    the query ran " << queries << " time(s); all 20 had the value after "
            << took.count() << " ms\n\n";

  std::cout << "3. Why the lock holds a token: owner A's lock expires while A is still working\n";
  const std::string lock = prefix + "report:lock";
  const std::string a = token(), b = token();
  cache.set(lock, a, 50ms, wb::UpdateType::NOT_EXIST);
  std::this_thread::sleep_for(80ms);  // A's query takes longer than its lock lasts
  cache.set(lock, b, 2s, wb::UpdateType::NOT_EXIST);
  std::cout << "    A's lock ran out; B took it:           lock = " << cache.get(lock)->substr(0, 8)
            << "... (B's)\n";
  long long deleted = cache.eval<long long>(release_script, {lock}, {a});
  std::cout << "    A releases with compare-and-delete:   deleted " << deleted
            << ", lock = " << cache.get(lock).value_or("(nil)").substr(0, 8) << "... (still B's)\n";
  cache.del(lock);
  std::cout << "    A releasing with a plain DEL would have freed B's lock, and a third caller\n"
            << "    would start the query while B is still running it.\n\n";

  std::cout << "4. XFetch: how likely is an early recompute? delta = 100 ms, beta = 1\n";
  std::mt19937_64 engine(2015);
  for (int left : {1000, 300, 100, 30, 10}) {
    int early = 0;
    const int draws = 100000;
    for (int i = 0; i < draws; ++i) {
      double u = static_cast<double>((engine() >> 11) + 1) * 0x1.0p-53;  // (0, 1]
      if (-100.0 * 1.0 * std::log(u) >= left) ++early;
    }
    std::cout << "    " << left << " ms left: " << 100.0 * early / draws << "% of reads recompute"
              << " (exp(-" << left << "/100) = " << 100.0 * std::exp(-left / 100.0) << "%)\n";
  }
  std::cout << "\n";

  std::cout << "5. On the server: 10 readers, each every 10 ms, for 1.5 s; the entry lives 1 s\n";
  const std::string entry = prefix + "xfetch";
  const std::string entry_lock = entry + ":lock";
  auto recompute = [&] {
    auto t0 = std::chrono::steady_clock::now();
    std::string value = slow_query();
    auto delta = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
    cache.transaction()
        .del(entry)
        .command("HSET", entry, "value", value, "delta_ms", delta.count())
        .pexpire(entry, 1000ms)
        .exec();
  };
  enum Mode { plain, xfetch, xfetch_and_lock };
  for (Mode mode : {plain, xfetch, xfetch_and_lock}) {
    recompute();
    queries = 0;
    std::atomic<int> misses{0};
    auto until = std::chrono::steady_clock::now() + 1500ms;
    run_threads(10, [&] {
      std::mt19937_64 rng{std::random_device{}()};
      while (std::chrono::steady_clock::now() < until) {
        auto replies =
            cache.pipeline().command("HMGET", entry, "value", "delta_ms").pttl(entry).exec();
        auto fields = replies.get<std::vector<wb::OptionalString>>(0);
        long long left = replies.get<long long>(1);
        bool miss = !fields[0] || left <= 0;
        double u = static_cast<double>((rng() >> 11) + 1) * 0x1.0p-53;
        bool early = !miss && mode != plain &&
                     -std::stod(*fields[1]) * std::log(u) >= static_cast<double>(left);
        if (miss) ++misses;
        if (miss || early) {
          if (mode != xfetch_and_lock) {
            recompute();
          } else if (const std::string mine = token();
                     cache.set(entry_lock, mine, 2s, wb::UpdateType::NOT_EXIST)) {
            recompute();
            cache.eval<long long>(release_script, {entry_lock}, {mine});
          }  // else: someone is recomputing; keep serving the current value
        }
        std::this_thread::sleep_for(10ms);
      }
    });
    const char* name[] = {"plain TTL       ", "XFetch          ", "XFetch + a lock "};
    std::cout << "    " << name[mode] << queries << " recomputes, " << misses
              << " reads found the entry gone\n";
  }
  std::cout << "\n";

  std::cout << "6. TTL jitter: 5 keys written in the same second, TTL 60 s plus up to 10%\n";
  std::uniform_int_distribution<long long> jitter(0, 6000);
  for (int i = 0; i < 5; ++i) {
    const std::string key = prefix + "jitter:" + std::to_string(i);
    cache.set(key, "v", milliseconds(60000 + jitter(engine)));
    std::cout << "    " << key << "  PTTL " << cache.pttl(key) << " ms\n";
    cache.del(key);
  }

  cache.del({report, entry});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-6).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
