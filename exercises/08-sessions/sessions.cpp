// Lesson 08 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-8` tells you what works so far. The contract of every
// function is in sessions.hpp.
#include "sessions.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace sessions {

std::string new_session_id() { WB_TODO("task 1 (new_session_id)"); }

std::string create(wb::Valkey& client, std::string_view prefix, std::string_view user_id,
                   const std::map<std::string, std::string>& data, const Policy& policy) {
  WB_TODO("task 2 (create)", client, prefix, user_id, data, policy);
}

std::optional<Session> load(wb::Valkey& client, std::string_view prefix, std::string_view id,
                            const Policy& policy) {
  WB_TODO("task 3 (load)", client, prefix, id, policy);
}

bool destroy(wb::Valkey& client, std::string_view prefix, std::string_view id) {
  WB_TODO("task 4 (destroy)", client, prefix, id);
}

long long destroy_all_for_user(wb::Valkey& client, std::string_view prefix,
                               std::string_view user_id) {
  WB_TODO("task 5 (destroy_all_for_user)", client, prefix, user_id);
}

std::optional<std::string> rotate(wb::Valkey& client, std::string_view prefix,
                                  std::string_view old_id) {
  WB_TODO("task 6 (rotate)", client, prefix, old_id);
}

}  // namespace sessions
