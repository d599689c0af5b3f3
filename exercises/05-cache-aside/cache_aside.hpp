// Lesson 05 - Cache-aside in front of PostgreSQL: the contract of the exercise.
//
// Write the functions in cache_aside.cpp. `make test-5` grades them against a
// real Valkey server and a real PostgreSQL database (the Staff tables of
// infra/staff.sql); the lesson is lessons/05-cache-aside/README.md.
//
// PostgreSQL is the truth; the cache holds copies. Every cache key starts with
// the prefix the caller gives you (Staff::prefix), followed by one of:
//
//   employee:<id>            a string: the employee's name (for name_ttl), or
//                            not_found_marker (for not_found_ttl)
//   query:<64 hex digits>    a hash: one query's result (for query_ttl), the
//                            key made by query_key; fields:
//                              count        "2"            how many rows
//                              0:id         "1"            then, for each row i
//                              0:name       "Alice Martin"   (0, 1, ...), its
//                              0:department "Engineering"    four columns
//                              0:job_title  "Backend Developer"
//   employee:<id>:queries    a set: the keys of the cached query results that
//                            mention employee <id> (so a rename can find them)
//
// SQL: parameters ($1, $2, ...) only, never a value pasted into the SQL text.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/postgres.hpp"
#include "workbook/valkey.hpp"

namespace cache_aside {

// How long each kind of copy may be served before it is asked for again.
inline constexpr std::chrono::seconds name_ttl{30};
inline constexpr std::chrono::seconds not_found_ttl{5};
inline constexpr std::chrono::seconds query_ttl{120};

// What employee:<id> holds when the database has no such employee. PostgreSQL
// text can never contain a NUL byte, so no real name can look like this.
inline constexpr std::string_view not_found_marker{"\0not-found", 10};

// Where things live: the database (the truth), the cache, and the prefix
// every cache key starts with (the grader gives each test its own).
struct Staff {
  wb::Database& db;
  wb::Valkey& cache;
  std::string prefix;  // for example "staff:"
};

// One row of the staff directory.
struct StaffRow {
  long long id = 0;
  std::string name;
  std::string department;
  std::string job_title;

  bool operator==(const StaffRow& other) const {
    return id == other.id && name == other.name && department == other.department &&
           job_title == other.job_title;
  }
};

// The query staff_in runs. Its one parameter is a JSON array of department
// names, such as ["Finance","Sales"] (nlohmann::json builds it for you).
inline constexpr std::string_view staff_in_sql = R"sql(
    SELECT e.id, e.name, d.name AS department, d.job_title
      FROM employees e
      JOIN department d ON d.employee_id = e.id
     WHERE d.name IN (SELECT jsonb_array_elements_text($1::jsonb))
     ORDER BY e.id, d.id
)sql";

// Task 1. The name of employee `id`, cache-aside: on a hit, answer from the
// cache and do not touch the database; on a miss, read employees.name by id
// and cache it under employee:<id> for name_ttl, value and expiry in ONE
// command (SET ... EX). No such employee: cache not_found_marker for
// not_found_ttl (so a flood of requests for id 999999 reaches the database
// once, not every time) and return std::nullopt. An id below 1 is
// std::invalid_argument, before any query.
std::optional<std::string> employee_name(Staff& staff, long long id);

// Task 2. The cache key of a query: prefix + "query:" + the SHA-256 digest, in
// 64 lower-case hex digits, of this text:
//   the SQL with every run of white space (space, tab, newline, carriage
//   return) turned into one space and none at either end; then, for each
//   parameter in order, a newline, its length in bytes in decimal, a colon
//   and the parameter itself.
// So query_key("s:", " SELECT  1 ", {"ab"}) digests "SELECT 1\n2:ab". The same
// query gives the same key in every run, on every machine, in every language
// (std::hash does not: see the lesson). Use OpenSSL's EVP API (<openssl/evp.h>).
// An SQL text with nothing but white space is std::invalid_argument.
std::string query_key(std::string_view prefix, std::string_view sql,
                      const std::vector<std::string>& params);

// Task 3. Everyone working in one of `departments`, ordered as staff_in_sql
// orders them, with the result cached as a hash (layout above) under
// query_key(prefix, staff_in_sql, {the JSON array}). The departments are a
// set: {"Sales", "Finance"}, {"Finance", "Sales"} and {"Sales", "Finance",
// "Sales"} are the same question and must share one cached result (sort them
// and drop repeats before building the JSON array). On a miss, write the
// hash, its query_ttl expiry and the employee:<id>:queries sets (each with
// query_ttl) in ONE round trip (a MULTI/EXEC transaction), replacing anything
// that was there. An empty result is cached too. A cached entry that cannot
// be read back (count or a row field missing or not a number) is a miss:
// query again, never an exception. An empty list is std::invalid_argument.
std::vector<StaffRow> staff_in(Staff& staff, std::vector<std::string> departments);

// Task 4. Rename employee `id`. First the database: UPDATE employees, and
// let it commit. Only then delete the copies that mention the employee:
// employee:<id>, every query result listed in employee:<id>:queries, and
// that set itself - and nothing else. Return false (and change nothing) when
// there is no such employee. An empty name or an id below 1 is
// std::invalid_argument.
bool rename_employee(Staff& staff, long long id, std::string_view new_name);

}  // namespace cache_aside
