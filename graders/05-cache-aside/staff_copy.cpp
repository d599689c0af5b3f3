#include "staff_copy.hpp"

#include <random>
#include <thread>

#include "workbook/grading.hpp"

namespace staff_copy {

namespace {
long long random_gate_key() {
  std::random_device source;
  // Positive and below 2^31: pg_locks then shows it whole in objid.
  return static_cast<long long>(source() & 0x7fffffffu);
}
}  // namespace

StaffCopy::StaffCopy()
    : schema_("wbtest_" + wb::grading::random_hex(6)), gate_key_(random_gate_key()) {
  pqxx::work tx(admin_.connection());
  const std::string s = tx.quote_name(schema_);
  // DDL takes no $1 parameters: the only things pasted in are the schema's
  // name (random hex, quoted anyway) and the gate's number.
  tx.exec("CREATE SCHEMA " + s);
  tx.exec("CREATE TABLE " + s + ".employees (LIKE public.employees INCLUDING ALL)");
  tx.exec("CREATE TABLE " + s + ".department (LIKE public.department INCLUDING ALL)");
  tx.exec("INSERT INTO " + s + ".employees SELECT * FROM public.employees");
  tx.exec("INSERT INTO " + s + ".department SELECT * FROM public.department");
  tx.exec("ALTER TABLE " + s + ".department ADD FOREIGN KEY (employee_id) REFERENCES " + s +
          ".employees (id)");
  tx.exec("CREATE FUNCTION " + s +
          ".commit_gate() RETURNS trigger LANGUAGE plpgsql AS "
          "$$ BEGIN PERFORM pg_advisory_xact_lock(" +
          std::to_string(gate_key_) + "); RETURN NULL; END $$");
  tx.exec("CREATE CONSTRAINT TRIGGER commit_gate AFTER UPDATE ON " + s +
          ".employees DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + s +
          ".commit_gate()");
  tx.commit();
  admin_.use_schema(schema_);
  db_ = connect();
}

StaffCopy::~StaffCopy() {
  db_.reset();
  try {
    pqxx::nontransaction tx(admin_.connection());
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
  } catch (...) {
    // The server went away: nothing to drop.
  }
}

std::unique_ptr<wb::Database> StaffCopy::connect() const {
  auto db = std::make_unique<wb::Database>();
  db->use_schema(schema_);
  return db;
}

std::string StaffCopy::name_in_db(long long id) {
  auto rows = admin_.query("SELECT name FROM employees WHERE id = $1", id);
  return rows.empty() ? std::string("(no such employee)") : rows[0][0].as<std::string>();
}

std::string sha256_hex(const std::string& text) {
  return wb::grading::database()
      .query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", text)[0][0]
      .as<std::string>();
}

StaffCopy::Gate::Gate(const StaffCopy& copy) : key_(copy.gate_key_) {
  connection_.query("SELECT pg_advisory_lock($1)", key_);
}

StaffCopy::Gate::~Gate() {
  try {
    open();
  } catch (...) {
    // Closing the connection releases the lock as well.
  }
}

bool StaffCopy::Gate::someone_waits(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    auto rows = connection_.query(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = 0 AND objid::bigint = $1",
        key_);
    if (rows[0][0].as<long long>() > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void StaffCopy::Gate::open() {
  if (!closed_) return;
  closed_ = false;
  connection_.query("SELECT pg_advisory_unlock($1)", key_);
}

}  // namespace staff_copy
