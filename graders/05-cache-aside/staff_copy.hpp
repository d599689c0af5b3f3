// Lesson 05's grader fixture: a private copy of the Staff tables per test.
//
// Each test gets a schema wbtest_<random hex> holding copies of employees and
// department (same columns, keys and rows), a wb::Database whose unqualified
// table names resolve there, and the schema is dropped when the test ends.
// The shared tables in `public` are only ever read.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/postgres.hpp"

namespace staff_copy {

class StaffCopy {
 public:
  StaffCopy();
  ~StaffCopy();
  StaffCopy(const StaffCopy&) = delete;
  StaffCopy& operator=(const StaffCopy&) = delete;

  const std::string& schema() const noexcept { return schema_; }
  // The connection the learner's code gets: its query_count() is the oracle.
  wb::Database& db() noexcept { return *db_; }
  // Another connection on the copy, for a second reader.
  std::unique_ptr<wb::Database> connect() const;
  // The grader's own connection on the copy (its queries are not the learner's).
  wb::Database& admin() noexcept { return admin_; }

  // What the database itself says, for expectations and checks.
  std::string name_in_db(long long id);

  // The commit gate: while it is closed, a transaction that updated a row of
  // employees waits at its COMMIT until the gate opens.
  class Gate {
   public:
    explicit Gate(const StaffCopy& copy);
    ~Gate();
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;
    // True once some transaction is waiting at the gate (false after `limit`).
    bool someone_waits(std::chrono::milliseconds limit);
    void open();

   private:
    long long key_;
    wb::Database connection_;
    bool closed_ = true;
  };

 private:
  std::string schema_;
  long long gate_key_;
  wb::Database admin_;
  std::unique_ptr<wb::Database> db_;
};

// SHA-256 of `text`, in hex, computed by PostgreSQL: an implementation
// independent of the learner's.
std::string sha256_hex(const std::string& text);

}  // namespace staff_copy
