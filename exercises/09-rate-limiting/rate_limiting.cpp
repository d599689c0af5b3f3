// Lesson 09 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-9` tells you what works so far. The contract of every
// function is in rate_limiting.hpp.
#include "rate_limiting.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <string>

#include "workbook/exercise.hpp"

namespace rate_limiting {

Decision fixed_window(wb::Valkey& client, std::string_view key, long long limit,
                      std::chrono::milliseconds window) {
  WB_TODO("task 1 (fixed_window)", client, key, limit, window);
}

Decision sliding_log(wb::Valkey& client, std::string_view key, long long limit,
                     std::chrono::milliseconds window) {
  WB_TODO("task 2 (sliding_log)", client, key, limit, window);
}

}  // namespace rate_limiting
