// Lesson 01 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-1` tells you what works so far. The contract of every
// function is in set_get.hpp.
#include "set_get.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace set_get {

std::string set_key(wb::Valkey& client, std::string_view key, std::string_view value) {
  WB_TODO("task 1 (set_key)", client, key, value);
}

std::optional<std::string> get_key(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 2 (get_key)", client, key);
}

long long delete_key(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 3 (delete_key)", client, key);
}

long long count_visit(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 4 (count_visit)", client, key);
}

}  // namespace set_get
