// Lesson 12 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-12` tells you what works so far. The contract of every
// function is in write_through.hpp.
#include "write_through.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace write_through {

bool rename_employee(Staff& staff, long long id, std::string_view new_name) {
  WB_TODO("task 1 (rename_employee)", staff, id, new_name);
}

long long record_change(Staff& staff, long long id, std::string_view status) {
  WB_TODO("task 2 (record_change)", staff, id, status);
}

std::size_t flush_batch(Staff& staff, std::string_view worker, std::size_t max_changes) {
  WB_TODO("task 3 (flush_batch)", staff, worker, max_changes);
}

}  // namespace write_through
