// Lesson 06 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-6` tells you what works so far. The contract of every
// function is in stampede.hpp.
#include "stampede.hpp"

#include <openssl/rand.h>

#include <cmath>
#include <stdexcept>
#include <thread>

#include "workbook/exercise.hpp"

namespace stampede {

std::string make_token() { WB_TODO("task 1 (make_token)"); }

std::optional<std::string> acquire_lock(wb::Valkey& client, std::string_view lock_key,
                                        std::chrono::milliseconds ttl) {
  WB_TODO("task 2 (acquire_lock)", client, lock_key, ttl);
}

bool release_lock(wb::Valkey& client, std::string_view lock_key, std::string_view token) {
  WB_TODO("task 3 (release_lock)", client, lock_key, token);
}

std::string get_or_compute(wb::Valkey& client, std::string_view key, std::chrono::milliseconds ttl,
                           const std::function<std::string()>& loader, const LockOptions& options) {
  WB_TODO("task 4 (get_or_compute)", client, key, ttl, loader, options);
}

double unit_interval(std::uint64_t bits) { WB_TODO("task 5 (unit_interval)", bits); }

bool should_recompute_early(std::chrono::milliseconds time_left, std::chrono::milliseconds delta,
                            double beta, double u) {
  WB_TODO("task 6 (should_recompute_early)", time_left, delta, beta, u);
}

std::string get_or_compute_early(wb::Valkey& client, std::string_view key,
                                 std::chrono::milliseconds ttl,
                                 const std::function<std::string()>& loader,
                                 const EarlyOptions& options) {
  WB_TODO("task 7 (get_or_compute_early)", client, key, ttl, loader, options);
}

}  // namespace stampede
