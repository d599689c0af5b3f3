// Lesson 04 - Hashes: the contract of the exercise.
//
// Write the functions in hashes.cpp. `make test-4` grades them against a real
// Valkey server; the lesson is lessons/04-hashes/README.md.
//
// An employee is kept as ONE hash under a key the caller chooses (for example
// "staff:employee:3"), with exactly these four fields:
//
//   name           "Chloe Nguyen"
//   department     "Finance"
//   job_title      "Financial Analyst"
//   vacation_days  "25"            (a whole number, written in decimal)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace hashes {

struct Employee {
  std::string name;
  std::string department;
  std::string job_title;
  long long vacation_days = 0;

  bool operator==(const Employee& other) const {
    return name == other.name && department == other.department && job_title == other.job_title &&
           vacation_days == other.vacation_days;
  }
};

// Every function refuses an empty key with std::invalid_argument, before
// sending anything: an empty key is an id that was never filled in.
//
// An employee exists when its key holds a `name` field: a key holding only
// stray fields (say, vacation_days alone) is no employee.

// Task 1. Store `employee` under `key`: the four fields above, in ONE HSET
// command (one round trip, and no moment where the record is half written).
// Return what HSET answers: how many of the fields were NEW - 4 for a new
// record, 0 when all four were already there and were overwritten. An
// employee without a name is refused with std::invalid_argument.
long long save_employee(wb::Valkey& client, std::string_view key, const Employee& employee);

// Task 2. The employee stored under `key`, read in ONE round trip, or
// std::nullopt when there is no such key. A record that is not whole (a field
// missing, or vacation_days not a whole number) is std::nullopt too: never a
// half-filled Employee, never an exception. Other fields are ignored.
std::optional<Employee> load_employee(wb::Valkey& client, std::string_view key);

// Task 3. The employee moves: set department and job_title, and touch no
// other field (a colleague may be changing vacation_days at this very
// moment). Only an existing employee is changed: for a missing one create
// nothing (no half record) and return false; otherwise return true. Check and
// change in ONE command (a small script), so the record cannot be deleted in
// between; the department and job title reach the script as arguments, never
// as part of its text. An empty department or job title is
// std::invalid_argument.
bool change_job(wb::Valkey& client, std::string_view key, std::string_view department,
                std::string_view job_title);

// Task 4. Add `days` (negative takes days away) to vacation_days and return
// the new total. Many callers may add to the same employee at once: none of
// their additions may be lost. A missing employee is not created: return
// std::nullopt and write nothing. Check and add in ONE command, as in task 3.
std::optional<long long> add_vacation_days(wb::Valkey& client, std::string_view key,
                                           long long days);

}  // namespace hashes
