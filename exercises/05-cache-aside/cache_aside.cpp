// Lesson 05 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-5` tells you what works so far. The contract of every
// function is in cache_aside.hpp.
#include "cache_aside.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace cache_aside {

std::optional<std::string> employee_name(Staff& staff, long long id) {
  WB_TODO("task 1 (employee_name)", staff, id);
}

std::string query_key(std::string_view prefix, std::string_view sql,
                      const std::vector<std::string>& params) {
  WB_TODO("task 2 (query_key)", prefix, sql, params);
}

std::vector<StaffRow> staff_in(Staff& staff, std::vector<std::string> departments) {
  WB_TODO("task 3 (staff_in)", staff, departments);
}

bool rename_employee(Staff& staff, long long id, std::string_view new_name) {
  WB_TODO("task 4 (rename_employee)", staff, id, new_name);
}

}  // namespace cache_aside
