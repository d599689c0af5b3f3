// Lesson 02 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-2` tells you what works so far. The contract of every
// function is in namespacing.hpp.
#include "namespacing.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace namespacing {

std::string make_key(const std::vector<std::string_view>& parts) {
  WB_TODO("task 1 (make_key)", parts);
}

std::vector<std::string> list_namespace(wb::Valkey& client, std::string_view ns) {
  WB_TODO("task 2 (list_namespace)", client, ns);
}

long long delete_namespace(wb::Valkey& client, std::string_view ns) {
  WB_TODO("task 3 (delete_namespace)", client, ns);
}

}  // namespace namespacing
