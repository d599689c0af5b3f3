// Lesson 06 - reference solution.
#include "stampede.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <thread>

namespace stampede {

using std::chrono::milliseconds;

std::string make_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("make_token: RAND_bytes could not produce random bytes");
  static const char* hex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += hex[b >> 4];
    token += hex[b & 15];
  }
  return token;
}

std::optional<std::string> acquire_lock(wb::Valkey& client, std::string_view lock_key,
                                        milliseconds ttl) {
  if (ttl <= milliseconds(0)) throw std::invalid_argument("acquire_lock: ttl must be positive");
  std::string token = make_token();
  // NX and PX in the same command: the lock can never exist without its
  // expiry, even if this process dies right after.
  if (client.set(lock_key, token, ttl, wb::UpdateType::NOT_EXIST)) return token;
  return std::nullopt;
}

bool release_lock(wb::Valkey& client, std::string_view lock_key, std::string_view token) {
  // The comparison and the delete run inside the server as one step: between
  // a GET in C++ and a DEL, the lock could expire and be taken by another.
  static const char* script =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then "
      "  return redis.call('DEL', KEYS[1]) "
      "end "
      "return 0";
  return client.eval<long long>(script, {lock_key}, {token}) == 1;
}

namespace {

// Loads, stores and releases; the lock is released whether the loader
// returns or throws.
std::string load_as_owner(wb::Valkey& client, std::string_view key, milliseconds ttl,
                          const std::function<std::string()>& loader, const std::string& lock_key,
                          const std::string& token) {
  try {
    // Between our GET (a miss) and our SET NX, another caller may have
    // loaded, stored and released: read once more before loading.
    if (auto cached = client.get(key)) {
      release_lock(client, lock_key, token);
      return *cached;
    }
    std::string value = loader();
    client.set(key, value, ttl);
    release_lock(client, lock_key, token);
    return value;
  } catch (...) {
    try {
      release_lock(client, lock_key, token);
    } catch (...) {
      // The lock expires by itself; the first error is the one to report.
    }
    throw;
  }
}

}  // namespace

std::string get_or_compute(wb::Valkey& client, std::string_view key, milliseconds ttl,
                           const std::function<std::string()>& loader, const LockOptions& options) {
  if (ttl <= milliseconds(0) || options.lock_ttl <= milliseconds(0) ||
      options.max_wait <= milliseconds(0))
    throw std::invalid_argument("get_or_compute: ttl, lock_ttl and max_wait must be positive");

  const std::string lock_key = lock_key_for(key);
  const auto deadline = std::chrono::steady_clock::now() + options.max_wait;
  milliseconds pause(5);
  for (;;) {
    if (auto cached = client.get(key)) return *cached;
    if (auto token = acquire_lock(client, lock_key, options.lock_ttl))
      return load_as_owner(client, key, ttl, loader, lock_key, *token);
    if (std::chrono::steady_clock::now() >= deadline) {
      // The owner is slow or gone: serve this caller, leave the cache to it.
      return loader();
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(50));
  }
}

double unit_interval(std::uint64_t bits) {
  // The top 53 bits (a double's precision) give k in [0, 2^53 - 1];
  // (k + 1) / 2^53 is then in (0, 1]: the smallest value is 2^-53, never 0.
  const std::uint64_t k = bits >> 11;
  return static_cast<double>(k + 1) * 0x1.0p-53;
}

bool should_recompute_early(milliseconds time_left, milliseconds delta, double beta, double u) {
  if (!(u > 0.0 && u <= 1.0))
    throw std::invalid_argument("should_recompute_early: u must be in (0, 1]");
  if (delta < milliseconds(0)) throw std::invalid_argument("should_recompute_early: delta < 0");
  if (!(beta >= 0.0)) throw std::invalid_argument("should_recompute_early: beta must be >= 0");
  if (time_left <= milliseconds(0)) return true;
  // ln(u) <= 0, so the left side is a non-negative head start: usually small,
  // now and then (u near 0) large.
  const double head_start = -static_cast<double>(delta.count()) * beta * std::log(u);
  return head_start >= static_cast<double>(time_left.count());
}

namespace {

// "250" -> 250; anything else (empty, sign, letters, overflow) -> nullopt.
std::optional<long long> whole_ms(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  long long n = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (ec != std::errc() || ptr != end || n < 0) return std::nullopt;
  return n;
}

}  // namespace

std::string get_or_compute_early(wb::Valkey& client, std::string_view key, milliseconds ttl,
                                 const std::function<std::string()>& loader,
                                 const EarlyOptions& options) {
  if (ttl <= milliseconds(0))
    throw std::invalid_argument("get_or_compute_early: ttl must be positive");
  if (!(options.beta >= 0.0))
    throw std::invalid_argument("get_or_compute_early: beta must be >= 0");

  // Both fields and the time left, in one round trip.
  auto replies =
      client.pipeline(false).command("HMGET", key, kValueField, kDeltaField).pttl(key).exec();
  // A key of another type (say, a plain string from before this cache used
  // hashes) answers WRONGTYPE: not ours, so recompute and replace it.
  std::vector<wb::OptionalString> fields(2);
  try {
    fields = replies.get<std::vector<wb::OptionalString>>(0);
  } catch (const wb::ReplyError&) {
  }
  const long long pttl = replies.get<long long>(1);
  const auto delta = whole_ms(fields[1]);

  const bool sound = fields[0].has_value() && delta.has_value() && pttl > 0;
  if (sound) {
    const double u = unit_interval(options.random_bits());
    if (!should_recompute_early(milliseconds(pttl), milliseconds(*delta), options.beta, u))
      return *fields[0];
  }

  const auto started = options.now();
  std::string value = loader();
  const auto took = std::chrono::duration_cast<milliseconds>(options.now() - started);

  client.transaction(true, false)
      .del(key)
      .command("HSET", key, kValueField, value, kDeltaField, took.count())
      .pexpire(key, ttl)
      .exec();
  return value;
}

}  // namespace stampede
