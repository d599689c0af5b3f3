// Lesson 09 example: three rate limiters side by side - fixed window,
// sliding-window log, sliding-window counter - on the same schedule of
// requests, so you can see where each one lets too much (or too little)
// through. Run it with `make example-9`.
//
// The fixed window and the log here are deliberately simpler than the
// exercise, and say so as they run: the fixed window sends INCR and then,
// in a second round trip, PEXPIRE when INCR returned 1; the log drops, counts
// and adds with separate commands, and names its members with a counter of
// this one program. Steps 2 and 5 show what each of those costs: a counter
// left without an expiry by a process that died in between, and two app
// servers that both count 4 under a limit of 5 and both add. What they leave
// out is what fixed_window and sliding_log must add: one atomic step each,
// and members no other app server can make.
//
// Every key it writes starts with "example:09:" and is deleted at the end.
#include <atomic>
#include <chrono>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string prefix = "example:09:";
constexpr long long limit = 5;
constexpr long long window_ms = 500;

// A PTTL as words: -1 and -2 are answers, not durations.
std::string pttl_text(long long pttl) {
  if (pttl == -1) return "no expiry (PTTL -1)";
  if (pttl == -2) return "gone (PTTL -2)";
  return "PTTL " + std::to_string(pttl) + " ms";
}

// Fixed window, the naive way: INCR, then - a second round trip - PEXPIRE
// when INCR returned 1. (The exercise's fixed_window does both in one step.)
bool fixed_window(wb::Valkey& client, const std::string& key) {
  long long count = client.incr(key);
  if (count == 1) client.pexpire(key, window_ms);
  return count <= limit;
}

// The server's clock in microseconds, from TIME.
long long server_time_us(wb::Valkey& client) {
  auto t = client.command<std::vector<std::string>>("TIME");
  return std::stoll(t[0]) * 1000000 + std::stoll(t[1]);
}

// Members "<time>-<n>": n counts the requests of this one program, so its
// members are unique here, and only here (step 6 says why).
std::atomic<long long> request_number{0};

// Sliding-window log, the naive way: every step a command of its own, so
// another app server's request can run between any two of them (step 5).
// (The exercise's sliding_log does them in one script.)
bool log_request(wb::Valkey& client, const std::string& key, long long max, long long window) {
  long long now = server_time_us(client);
  client.zremrangebyscore(key, "-inf", std::to_string(now - window * 1000));
  if (client.zcard(key) >= max) return false;
  client.zadd(key, std::to_string(now) + "-" + std::to_string(++request_number),
              static_cast<double>(now));
  client.pexpire(key, window);
  return true;
}

bool sliding_log(wb::Valkey& client, const std::string& key) {
  return log_request(client, key, limit, window_ms);
}

// Sliding-window counter: one count per aligned window (fields of one hash),
// the previous window's count weighted by how much of it still overlaps.
const char* const counter_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[2])
local current = math.floor(now / w)
local this = tonumber(redis.call('HGET', KEYS[1], tostring(current)) or '0')
local before = tonumber(redis.call('HGET', KEYS[1], tostring(current - 1)) or '0')
local estimate = before * (1 - (now - current * w) / w) + this
if estimate >= tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], tostring(current), 1)
redis.call('HDEL', KEYS[1], tostring(current - 2))
redis.call('PEXPIRE', KEYS[1], 2 * w)
return 1
)lua";

bool sliding_counter(wb::Valkey& client, const std::string& key) {
  std::vector<std::string> keys{key};
  std::vector<std::string> args{std::to_string(limit), std::to_string(window_ms)};
  return client.eval<long long>(counter_script, keys.begin(), keys.end(), args.begin(),
                                args.end()) == 1;
}

// Waits until the server's clock is 5 ms into a new aligned window, so that
// the counter's windows line up with the schedule below.
void wait_for_window_start(wb::Valkey& client) {
  auto t = client.command<std::vector<std::string>>("TIME");
  long long now_ms = std::stoll(t[0]) * 1000 + std::stoll(t[1]) / 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms - now_ms % window_ms + 5));
}

// Runs a schedule of (time from start, how many requests) against one limiter.
using Limiter = bool (*)(wb::Valkey&, const std::string&);
void run(wb::Valkey& client, const char* name, Limiter limiter, const std::string& key,
         const std::vector<std::pair<long long, int>>& schedule) {
  wait_for_window_start(client);
  auto start = Clock::now();
  std::cout << "    " << name << ":";
  int total = 0;
  for (const auto& [at, count] : schedule) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(at));
    int allowed = 0;
    for (int i = 0; i < count; ++i) allowed += limiter(client, key) ? 1 : 0;
    total += allowed;
    std::cout << "  t=" << at << "ms " << allowed << "/" << count;
  }
  std::cout << "  -> " << total << " allowed\n";
  client.del(key);
}

void compare(wb::Valkey& client, const std::vector<std::pair<long long, int>>& schedule) {
  run(client, "fixed window   ", fixed_window, prefix + "fixed", schedule);
  run(client, "sliding log    ", sliding_log, prefix + "log", schedule);
  run(client, "sliding counter", sliding_counter, prefix + "counter", schedule);
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";

  std::cout << "1. A script may read TIME and then write (scripts replicate their effects):\n";
  auto t = client.eval<std::vector<std::string>>(
      "local t = redis.call('TIME'); redis.call('SET', KEYS[1], t[1], 'PX', 1000); return t",
      {prefix + "time"}, {});
  std::cout << "    TIME inside EVAL -> " << t[0] << " s " << t[1] << " us; GET -> "
            << client.get(prefix + "time").value_or("(nil)") << "\n\n";
  client.del(prefix + "time");

  const std::string fixed = prefix + "fixed";
  std::cout << "2. A fixed window, the naive way: INCR, then PEXPIRE when INCR returned 1, in two\n"
            << "   round trips (limit " << limit << " per " << window_ms << " ms)\n";
  for (int i = 1; i <= 7; ++i) {
    bool ok = fixed_window(client, fixed);
    std::cout << "    request " << i << ": " << (ok ? "allowed" : "refused") << "  (count "
              << client.get(fixed).value_or("?") << ", " << pttl_text(client.pttl(fixed)) << ")\n";
  }
  client.del(fixed);
  std::cout << "   Now a process that dies between the two (simulated: its INCR is sent, its\n"
            << "   PEXPIRE never is):\n";
  long long count = client.incr(fixed);
  std::cout << "    INCR -> " << count
            << ", then the process is gone: " << pttl_text(client.pttl(fixed)) << "\n";
  for (int i = 1; i <= 5; ++i) {
    bool ok = fixed_window(client, fixed);
    std::cout << "    next request: " << (ok ? "allowed" : "refused") << "  (count "
              << client.get(fixed).value_or("?") << ", " << pttl_text(client.pttl(fixed)) << ")\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms + 100));
  bool ok = fixed_window(client, fixed);
  std::cout
      << "    " << window_ms + 100
      << " ms later, a window and more: " << (ok ? "allowed" : "refused") << "  (count "
      << client.get(fixed).value_or("?") << ", " << pttl_text(client.pttl(fixed)) << ")\n"
      << "   INCR never returns 1 again, so no request gives the counter an expiry: this\n"
      << "   caller is refused for good. The exercise's fixed_window makes the count and\n"
      << "   the expiry one atomic step, and gives a counter found like this one an expiry.\n";
  client.del(fixed);
  std::cout << "\n";

  std::cout << "3. Bursts at a window's edge: 1 request at 0 ms, 4 at 440 ms, 5 at 520 ms\n"
            << "   (limit " << limit << " per " << window_ms
            << " ms: no 500 ms span should see more than " << limit << ";\n"
            << "   the fixed window and the log are the naive ones of steps 2 and 5: with one\n"
            << "   caller at a time they count as the exercise's do)\n";
  compare(client, {{0, 1}, {440, 4}, {520, 5}});
  std::cout << "\n";

  std::cout << "4. Where the counter guesses: it assumes the previous window's requests were "
               "spread evenly\n";
  std::cout << "   a) 5 requests at 0 ms, 5 more at 520 ms (the first 5 have left the window)\n";
  compare(client, {{0, 5}, {520, 5}});
  std::cout
      << "   b) 5 requests at 440 ms, 5 more at 750 ms (the first 5 are still in the window)\n";
  compare(client, {{440, 5}, {750, 5}});

  const std::string log = prefix + "log";
  std::cout << "\n5. The log above sends its steps one by one. Two app servers, A and B, each\n"
            << "   with a connection of its own, on a log of limit " << limit
            << " that holds 4 requests:\n";
  for (int i = 0; i < 4; ++i) sliding_log(client, log);
  wb::Valkey a, b;
  long long a_now = server_time_us(a);
  a.zremrangebyscore(log, "-inf", std::to_string(a_now - window_ms * 1000));
  long long a_count = a.zcard(log);
  std::cout << "    A: ZREMRANGEBYSCORE, ZCARD -> " << a_count << " (below " << limit
            << ": allowed)\n";
  long long b_now = server_time_us(b);
  b.zremrangebyscore(log, "-inf", std::to_string(b_now - window_ms * 1000));
  long long b_count = b.zcard(log);
  std::cout << "    B: ZREMRANGEBYSCORE, ZCARD -> " << b_count << " (below " << limit
            << ": allowed)\n";
  a.zadd(log, std::to_string(a_now) + "-" + std::to_string(++request_number),
         static_cast<double>(a_now));
  b.zadd(log, std::to_string(b_now) + "-" + std::to_string(++request_number),
         static_cast<double>(b_now));
  std::cout << "    A: ZADD; B: ZADD; ZCARD -> " << client.zcard(log) << " requests in the window, "
            << "under a limit of " << limit << "\n";
  client.del(log);
  constexpr int threads = 8;
  constexpr int each = 25;
  std::atomic<int> allowed{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&] {
      wb::Valkey own;  // an app server of its own
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();  // all start together
      for (int j = 0; j < each; ++j)
        if (log_request(own, log, 100, 60000)) ++allowed;
    });
  for (auto& w : workers) w.join();
  std::cout << "   The same race on its own: " << threads << " threads x " << each
            << " requests, limit 100 per 60 s:\n    " << allowed.load()
            << " allowed, the log holds " << client.zcard(log) << "\n";
  if (allowed.load() > 100)
    std::cout << "    " << allowed.load() - 100
              << " more than the limit: requests that counted the same number before either "
                 "added.\n";
  else
    std::cout << "    This run stayed at the limit; the gap between ZCARD and ZADD is still "
                 "there\n    (run it again).\n";
  std::cout << "   MULTI/EXEC cannot close it: it cannot add \"only if the count was below the\n"
            << "   limit\". The exercise's sliding_log runs its steps in one script.\n";
  client.del(log);

  std::cout << "\n6. The log holds one member per allowed request\n";
  for (int i = 0; i < 3; ++i) sliding_log(client, log);
  std::vector<std::pair<std::string, double>> members;
  client.zrange(log, 0, -1, std::back_inserter(members));
  for (const auto& [member, score] : members)
    std::cout << "    " << member << "  score " << static_cast<long long>(score) << " (us)\n";
  client.del(log);
  std::cout << "   The number after the dash counts the requests of this one program: a second\n"
            << "   app server counting its own from 1 would make the same member in the same\n"
            << "   microsecond, and ZADD would keep one. The exercise's members are what its\n"
            << "   header says.\n";
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-9).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
