// Lesson 09 example: three rate limiters side by side - fixed window,
// sliding-window log, sliding-window counter - on the same schedule of
// requests, so you can see where each one lets too much (or too little)
// through. Run it with `make example-9`.
//
// Every key it writes starts with "example:09:" and is deleted at the end.
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

// Fixed window: INCR and PEXPIRE ... NX in one MULTI/EXEC.
bool fixed_window(wb::Valkey& client, const std::string& key) {
  auto r = client.transaction().incr(key).command("PEXPIRE", key, window_ms, "NX").exec();
  return r.get<long long>(0) <= limit;
}

// Sliding-window log: one member per allowed request, in one script.
const char* const log_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window_us = tonumber(ARGV[2]) * 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_us)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, string.format('%d', now) .. '-' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

long long request_number = 0;  // unique within this one program: good enough for an example

bool sliding_log(wb::Valkey& client, const std::string& key) {
  std::vector<std::string> keys{key};
  std::vector<std::string> args{std::to_string(limit), std::to_string(window_ms),
                                std::to_string(++request_number)};
  return client.eval<long long>(log_script, keys, args) == 1;
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
  return client.eval<long long>(counter_script, keys, args) == 1;
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
      std::vector<std::string>{prefix + "time"}, std::vector<std::string>{});
  std::cout << "    TIME inside EVAL -> " << t[0] << " s " << t[1] << " us; GET -> "
            << client.get(prefix + "time").value_or("(nil)") << "\n\n";
  client.del(prefix + "time");

  std::cout << "2. The fixed window's counter and its TTL (limit " << limit << " per " << window_ms
            << " ms)\n";
  for (int i = 1; i <= 7; ++i) {
    bool ok = fixed_window(client, prefix + "fixed");
    std::cout << "    request " << i << ": " << (ok ? "allowed" : "refused") << "  (count "
              << client.get(prefix + "fixed").value_or("?") << ", PTTL "
              << client.pttl(prefix + "fixed") << " ms)\n";
  }
  client.del(prefix + "fixed");
  std::cout << "\n";

  std::cout << "3. Bursts at a window's edge: 1 request at 0 ms, 4 at 440 ms, 5 at 520 ms\n"
            << "   (limit " << limit << " per " << window_ms
            << " ms: no 500 ms span should see more than " << limit << ")\n";
  compare(client, {{0, 1}, {440, 4}, {520, 5}});
  std::cout << "\n";

  std::cout << "4. Where the counter guesses: it assumes the previous window's requests were "
               "spread evenly\n";
  std::cout << "   a) 5 requests at 0 ms, 5 more at 520 ms (the first 5 have left the window)\n";
  compare(client, {{0, 5}, {520, 5}});
  std::cout
      << "   b) 5 requests at 440 ms, 5 more at 750 ms (the first 5 are still in the window)\n";
  compare(client, {{440, 5}, {750, 5}});

  std::cout << "\n5. The sliding log holds one member per allowed request\n";
  for (int i = 0; i < 3; ++i) sliding_log(client, prefix + "log");
  std::vector<std::pair<std::string, double>> members;
  client.zrange(prefix + "log", 0, -1, std::back_inserter(members));
  for (const auto& [member, score] : members)
    std::cout << "    " << member << "  score " << static_cast<long long>(score) << " (us)\n";
  client.del(prefix + "log");

  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-9).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
