// Lesson 12's grader fixture: a schema of the test's own, per test.
//
// It holds copies of the Staff tables (employees and department, same
// columns, keys and rows), the lesson's own objects (the sequence
// name_versions and the table employee_status, as write_through.hpp states
// them), and the grader's instruments, which the learner's code never needs:
//   - every row the database writes into employee_status is logged, with the
//     transaction that wrote it (a trigger), so a test can count writes;
//   - a switch that makes every COMMIT that wrote employee_status fail;
//   - two names the database refuses: refused_name at the UPDATE itself,
//     refused_at_commit only when the transaction commits.
// The schema is dropped when the test ends; the shared tables are only read.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "workbook/postgres.hpp"

namespace staff_schema {

// Renames the grader's database refuses (see above).
inline constexpr const char* refused_name = "Refused By The Database";
inline constexpr const char* refused_at_commit = "Refused At Commit";

struct Write {
  long long employee_id = 0;
  std::string status;
  long long version = 0;
  long long transaction = 0;
};

struct StatusRow {
  std::string status;
  long long version = 0;
};

class StaffSchema {
 public:
  StaffSchema();
  ~StaffSchema();
  StaffSchema(const StaffSchema&) = delete;
  StaffSchema& operator=(const StaffSchema&) = delete;

  const std::string& schema() const noexcept { return schema_; }
  // The connection the learner's code gets: its query_count() is an oracle.
  wb::Database& db() noexcept { return *db_; }
  // Another connection on the schema (for a second worker, a second writer).
  std::unique_ptr<wb::Database> connect() const;
  // The grader's own connection on the schema.
  wb::Database& admin() noexcept { return admin_; }

  std::string name_in_db(long long id);
  std::optional<StatusRow> status_in_db(long long id);
  // Every row written into employee_status so far, in the order written.
  std::vector<Write> writes();
  // While on, every transaction that wrote employee_status fails at COMMIT.
  void fail_status_commits(bool on);
  // The sequence name_versions: its last value (0 before the first nextval),
  // and a way to move it on.
  long long last_name_version();
  void set_name_version(long long value);

 private:
  std::string schema_;
  wb::Database admin_;
  std::unique_ptr<wb::Database> db_;
};

}  // namespace staff_schema
