#include "staff_schema.hpp"

#include "workbook/grading.hpp"

namespace staff_schema {

StaffSchema::StaffSchema() : schema_("wbtest_" + wb::grading::random_hex(6)) {
  pqxx::work tx(admin_.connection());
  const std::string s = tx.quote_name(schema_);
  // DDL takes no $1 parameters: the only things pasted in are the schema's
  // name (random hex, quoted anyway) and the grader's own fixed names.
  const std::string refused = tx.quote(refused_name);
  const std::string refused_commit = tx.quote(refused_at_commit);
  for (const std::string& statement : {
           "CREATE SCHEMA " + s,
           "CREATE TABLE " + s + ".employees (LIKE public.employees INCLUDING ALL)",
           "CREATE TABLE " + s + ".department (LIKE public.department INCLUDING ALL)",
           "INSERT INTO " + s + ".employees SELECT * FROM public.employees",
           "INSERT INTO " + s + ".department SELECT * FROM public.department",
           "ALTER TABLE " + s + ".department ADD FOREIGN KEY (employee_id) REFERENCES " + s +
               ".employees (id)",
           // The lesson's objects, as the header states them.
           "CREATE SEQUENCE " + s + ".name_versions",
           "CREATE TABLE " + s + ".employee_status (employee_id integer PRIMARY KEY REFERENCES " +
               s + ".employees (id), status text NOT NULL, version bigint NOT NULL)",
           // The grader's instruments.
           "CREATE TABLE " + s +
               ".wbgrader_writes (n bigserial PRIMARY KEY, employee_id integer, status text, "
               "version bigint, tx bigint)",
           "CREATE FUNCTION " + s +
               ".wbgrader_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO " + s +
               ".wbgrader_writes (employee_id, status, version, tx) VALUES (NEW.employee_id, "
               "NEW.status, NEW.version, txid_current()); RETURN NULL; END $$",
           "CREATE TRIGGER wbgrader_log AFTER INSERT OR UPDATE ON " + s +
               ".employee_status FOR EACH ROW EXECUTE FUNCTION " + s + ".wbgrader_log()",
           "CREATE TABLE " + s + ".wbgrader_fail (on_commit boolean)",
           "CREATE FUNCTION " + s +
               ".wbgrader_fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS "
               "(SELECT 1 FROM " +
               s +
               ".wbgrader_fail) THEN RAISE EXCEPTION 'the grader made this COMMIT fail (as if "
               "the database had gone away)'; END IF; RETURN NULL; END $$",
           "CREATE CONSTRAINT TRIGGER wbgrader_fail AFTER INSERT OR UPDATE ON " + s +
               ".employee_status DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + s +
               ".wbgrader_fail_commit()",
           "CREATE FUNCTION " + s +
               ".wbgrader_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.name = " +
               refused +
               " THEN RAISE EXCEPTION 'the database refuses the name %', NEW.name; END "
               "IF; RETURN NEW; END $$",
           "CREATE TRIGGER wbgrader_refuse BEFORE UPDATE ON " + s +
               ".employees FOR EACH ROW EXECUTE FUNCTION " + s + ".wbgrader_refuse()",
           "CREATE FUNCTION " + s +
               ".wbgrader_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
               "NEW.name = " +
               refused_commit +
               " THEN RAISE EXCEPTION 'the database refuses the name % at COMMIT', NEW.name; "
               "END IF; RETURN NULL; END $$",
           "CREATE CONSTRAINT TRIGGER wbgrader_refuse_commit AFTER UPDATE ON " + s +
               ".employees DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + s +
               ".wbgrader_refuse_commit()",
       })
    tx.exec(statement);
  tx.commit();
  admin_.use_schema(schema_);
  db_ = connect();
}

StaffSchema::~StaffSchema() {
  db_.reset();
  try {
    pqxx::nontransaction tx(admin_.connection());
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
  } catch (...) {
    // The server went away: nothing to drop.
  }
}

std::unique_ptr<wb::Database> StaffSchema::connect() const {
  auto db = std::make_unique<wb::Database>();
  db->use_schema(schema_);
  return db;
}

std::string StaffSchema::name_in_db(long long id) {
  auto rows = admin_.query("SELECT name FROM employees WHERE id = $1", id);
  return rows.empty() ? std::string("(no such employee)") : rows[0][0].as<std::string>();
}

std::optional<StatusRow> StaffSchema::status_in_db(long long id) {
  auto rows =
      admin_.query("SELECT status, version FROM employee_status WHERE employee_id = $1", id);
  if (rows.empty()) return std::nullopt;
  return StatusRow{rows[0][0].as<std::string>(), rows[0][1].as<long long>()};
}

std::vector<Write> StaffSchema::writes() {
  std::vector<Write> out;
  for (const auto& r :
       admin_.query("SELECT employee_id, status, version, tx FROM wbgrader_writes ORDER BY n"))
    out.push_back(Write{r[0].as<long long>(), r[1].as<std::string>(), r[2].as<long long>(),
                        r[3].as<long long>()});
  return out;
}

void StaffSchema::fail_status_commits(bool on) {
  admin_.query("DELETE FROM wbgrader_fail");
  if (on) admin_.query("INSERT INTO wbgrader_fail VALUES (true)");
}

long long StaffSchema::last_name_version() {
  auto rows =
      admin_.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM name_versions");
  return rows[0][0].as<long long>();
}

void StaffSchema::set_name_version(long long value) {
  admin_.query("SELECT setval('name_versions', $1)", value);
}

}  // namespace staff_schema
