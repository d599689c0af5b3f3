// Lesson 06 - Stampedes: the contract of the exercise.
//
// Write the functions in stampede.cpp. `make test-6` grades them against a
// real Valkey server; the lesson is lessons/06-stampede/README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace stampede {

// ---- Part A: a rebuild lock ------------------------------------------------

// Task 1. A fresh lock token: 16 bytes (128 bits) from OpenSSL's RAND_bytes,
// written as 32 lowercase hex characters. When RAND_bytes reports a failure,
// throw std::runtime_error: never fall back to a weaker source. The grader
// links in a RAND_bytes of its own in place of OpenSSL's (as lesson 03's
// does): it hands out chosen bytes, which must come out as the token in their
// order (each byte high half first), and fails on purpose.
std::string make_token();

// Task 2. Try to take the lock `lock_key` for `ttl`, in ONE command: SET with
// NX and PX, holding a new token. Return the token when the lock is now yours,
// std::nullopt when someone else holds it (their lock stays as it is).
// A ttl of zero or less: std::invalid_argument, before sending anything.
std::optional<std::string> acquire_lock(wb::Valkey& client, std::string_view lock_key,
                                        std::chrono::milliseconds ttl);

// Task 3. Release the lock, but only if it still holds `token`: compare and
// delete in ONE step inside the server (EVAL of a script using redis.call).
// True when this call deleted the lock; false when it had expired or holds
// someone else's token now (that lock stays).
bool release_lock(wb::Valkey& client, std::string_view lock_key, std::string_view token);

struct LockOptions {
  // The lock's PX: comfortably longer than a load takes.
  std::chrono::milliseconds lock_ttl{2000};
  // How long a caller who lost the race waits for the winner's value.
  std::chrono::milliseconds max_wait{1000};
};

// The lock that guards `key`: "<key>:lock", next to the key it protects.
inline std::string lock_key_for(std::string_view key) { return std::string(key) + ":lock"; }

// Task 4. The value cached under `key`; on a miss, `loader` runs at most once
// at a time, however many callers miss together.
//  - A hit returns the cached value; the loader is not called.
//  - On a miss, take the lock lock_key_for(key) with options.lock_ttl
//    (task 2). The winner reads the cache once more (another caller may have
//    filled it just before), then calls loader(), stores the value under `key`
//    with PX `ttl`, releases the lock (task 3) and returns the value. If the
//    loader throws, release the lock and let the exception go on.
//  - A caller that finds the lock taken waits: it reads the cache again after
//    pauses that start at a few milliseconds and grow (at most 50 ms each),
//    and tries the lock again when it is free (its owner may have failed).
//    After options.max_wait it calls loader() itself and returns that value,
//    without writing the cache and without touching the lock.
// ttl, lock_ttl and max_wait must be positive: std::invalid_argument.
std::string get_or_compute(wb::Valkey& client, std::string_view key, std::chrono::milliseconds ttl,
                           const std::function<std::string()>& loader,
                           const LockOptions& options = {});

// ---- Part B: probabilistic early expiration (XFetch) -----------------------

// Task 5. Turn 64 random bits into u, uniform in (0, 1]: never 0 (ln(0) is
// minus infinity), exactly 1 for the all-ones word, and in order (a larger
// word never gives a smaller u). Careful: std::uniform_real_distribution(0, 1)
// draws from [0, 1), the wrong end open.
double unit_interval(std::uint64_t bits);

// Task 6. The XFetch decision (Vattani, Chierichetti and Lowenstein, VLDB
// 2015): recompute now, before the entry expires, when
//     -delta * beta * ln(u) >= time_left
// which is the paper's  now - delta*beta*ln(u) >= expiry  with
// time_left = expiry - now. delta: how long computing the value took;
// beta: eagerness (1 is the paper's default, larger recomputes earlier,
// 0 never early); u: from task 5. An entry with no time left
// (time_left <= 0) is always recomputed.
// std::invalid_argument for u outside (0, 1], a negative delta or beta.
bool should_recompute_early(std::chrono::milliseconds time_left, std::chrono::milliseconds delta,
                            double beta, double u);

// An early-expiration entry is a hash under the key, with these two fields,
// and the key's PX as its expiry.
inline constexpr const char* kValueField = "value";     // the cached value
inline constexpr const char* kDeltaField = "delta_ms";  // whole ms computing it took

// The default random source: a per-thread generator. u decides "when", it is
// no secret, so a fast non-cryptographic generator is the right tool here.
inline std::uint64_t default_random_bits() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

struct EarlyOptions {
  double beta = 1.0;
  // The clock that measures delta. Tests put a fake clock here.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  // 64 random bits per call, turned into u by task 5. Tests replace it.
  std::function<std::uint64_t()> random_bits = default_random_bits;
};

// Task 7. Like get_or_compute, without a lock: each reader decides for itself,
// with a little randomness, whether to recompute before the entry expires.
//  - Read both fields and the key's PTTL in one round trip (a pipeline).
//  - A miss, or an entry that is not a sound one of ours (a field missing,
//    delta_ms not a whole number >= 0, no expiry, a key of another type such
//    as a plain string), is recomputed, never an error.
//  - A hit is recomputed when should_recompute_early(PTTL, delta_ms,
//    options.beta, unit_interval(options.random_bits())) says so; otherwise
//    return the cached value.
//  - To recompute: time loader() with options.now (delta = after - before, in
//    whole milliseconds), replace the entry whole (value, delta_ms and PX
//    `ttl`, in one MULTI/EXEC so it never exists without its expiry) and
//    return the value. A loader that throws leaves the entry as it was.
// ttl must be positive and beta >= 0 (a NaN beta is not): std::invalid_argument.
std::string get_or_compute_early(wb::Valkey& client, std::string_view key,
                                 std::chrono::milliseconds ttl,
                                 const std::function<std::string()>& loader,
                                 const EarlyOptions& options = {});

}  // namespace stampede
