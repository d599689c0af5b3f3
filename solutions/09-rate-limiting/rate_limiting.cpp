// Lesson 09 - reference solution.
#include "rate_limiting.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace rate_limiting {

namespace {

void check(std::string_view key, long long limit, std::chrono::milliseconds window) {
  if (key.empty()) throw std::invalid_argument("rate limiter: the key must not be empty");
  if (limit < 1) throw std::invalid_argument("rate limiter: the limit must be at least 1");
  if (window.count() < 1) throw std::invalid_argument("rate limiter: the window must be >= 1 ms");
}

// Tells this request's member apart from every other one, even from a request
// that reaches the server in the same microsecond from another app server.
std::string request_token() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("rate limiter: the random source failed");
  static const char* hex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += hex[b >> 4];
    token += hex[b & 15];
  }
  return token;
}

// KEYS[1] the log; ARGV[1] limit, ARGV[2] window (ms), ARGV[3] request token.
// Returns {allowed (1/0), remaining, retry_after_ms}.
const char* const sliding_log_script = R"lua(
local limit = tonumber(ARGV[1])
local window_us = tonumber(ARGV[2]) * 1000
local t = redis.call('TIME')  -- the server's clock: one clock for every app server
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_us)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, string.format('%d', now) .. '-' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, math.ceil((tonumber(oldest[2]) + window_us - now) / 1000)}
)lua";

}  // namespace

Decision fixed_window(wb::Valkey& client, std::string_view key, long long limit,
                      std::chrono::milliseconds window) {
  check(key, limit, window);
  // MULTI/EXEC: the server runs the three commands back to back, so no
  // counter can exist without its expiry. NX: only a key without an expiry
  // gets one, so the window ends `window` after its first request.
  auto replies = client.transaction(true, false)
                     .incr(key)
                     .command("PEXPIRE", key, static_cast<long long>(window.count()), "NX")
                     .pttl(key)
                     .exec();
  long long count = replies.get<long long>(0);
  long long ttl = replies.get<long long>(2);
  if (count <= limit) return {true, limit - count, std::chrono::milliseconds(0)};
  return {false, 0, std::chrono::milliseconds(std::max(ttl, 1LL))};
}

Decision sliding_log(wb::Valkey& client, std::string_view key, long long limit,
                     std::chrono::milliseconds window) {
  check(key, limit, window);
  std::vector<std::string> keys{std::string(key)};
  std::vector<std::string> args{std::to_string(limit), std::to_string(window.count()),
                                request_token()};
  auto reply = client.eval<std::vector<long long>>(sliding_log_script, keys.begin(), keys.end(),
                                                   args.begin(), args.end());
  if (reply.size() != 3) throw std::runtime_error("sliding_log: unexpected reply from the script");
  return {reply[0] == 1, reply[1], std::chrono::milliseconds(reply[2])};
}

}  // namespace rate_limiting
