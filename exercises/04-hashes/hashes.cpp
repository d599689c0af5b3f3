// Lesson 04 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-4` tells you what works so far. The contract of every
// function is in hashes.hpp.
#include "hashes.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace hashes {

long long save_employee(wb::Valkey& client, std::string_view key, const Employee& employee) {
  WB_TODO("task 1 (save_employee)", client, key, employee);
}

std::optional<Employee> load_employee(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 2 (load_employee)", client, key);
}

bool change_job(wb::Valkey& client, std::string_view key, std::string_view department,
                std::string_view job_title) {
  WB_TODO("task 3 (change_job)", client, key, department, job_title);
}

std::optional<long long> add_vacation_days(wb::Valkey& client, std::string_view key,
                                           long long days) {
  WB_TODO("task 4 (add_vacation_days)", client, key, days);
}

}  // namespace hashes
