// Lesson 03 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-3` tells you what works so far. The contract of every
// function is in ttl.hpp.
#include "ttl.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace ttl {

void cache_for(wb::Valkey& client, std::string_view key, std::string_view value, milliseconds ttl) {
  WB_TODO("task 1 (cache_for)", client, key, value, ttl);
}

TimeLeft time_left(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 2 (time_left)", client, key);
}

bool extend_ttl(wb::Valkey& client, std::string_view key, milliseconds ttl) {
  WB_TODO("task 3 (extend_ttl)", client, key, ttl);
}

bool replace_keeping_ttl(wb::Valkey& client, std::string_view key, std::string_view value) {
  WB_TODO("task 4 (replace_keeping_ttl)", client, key, value);
}

std::string new_otp_code() { WB_TODO("task 5 (new_otp_code)"); }

std::optional<std::string> issue_otp(wb::Valkey& client, std::string_view key, milliseconds ttl) {
  WB_TODO("task 6 (issue_otp)", client, key, ttl);
}

bool verify_otp(wb::Valkey& client, std::string_view key, std::string_view code) {
  WB_TODO("task 7 (verify_otp)", client, key, code);
}

}  // namespace ttl
