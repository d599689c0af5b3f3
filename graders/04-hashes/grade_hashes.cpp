// Grader for lesson 04 - hashes: an employee record as one hash.
#include <functional>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "hashes.hpp"
#include "workbook/grading.hpp"

using namespace std::string_literals;
namespace grading = wb::grading;
using hashes::Employee;

namespace {

using Fields = std::map<std::string, std::string>;

const Employee chloe{"Chloe Nguyen", "Finance", "Financial Analyst", 25};

Fields fields_of(wb::Valkey& client, const std::string& key) {
  Fields fields;
  client.hgetall(key, std::inserter(fields, fields.end()));
  return fields;
}

std::string show(const Fields& fields) {
  if (fields.empty()) return "(no such key)";
  std::string out = "{";
  for (const auto& [field, value] : fields)
    out += (out.size() > 1 ? ", " : "") + field + ": \"" + value + "\"";
  return out + "}";
}

std::string show(const std::optional<Employee>& e) {
  if (!e) return "std::nullopt";
  return "Employee{\"" + e->name + "\", \"" + e->department + "\", \"" + e->job_title + "\", " +
         std::to_string(e->vacation_days) + "}";
}

// Writes Chloe's record the way the contract describes it, without the
// learner's code, so each test depends on one task only.
void store_chloe(wb::Valkey& client, const std::string& key) {
  client.hset(key, {{"name", "Chloe Nguyen"},
                    {"department", "Finance"},
                    {"job_title", "Financial Analyst"},
                    {"vacation_days", "25"}});
}

// Round trips, not counting a SCRIPT LOAD (loading a script once and then
// calling it with EVALSHA is fine).
std::size_t trips_without_script_load(const std::vector<wb::SentCommand>& sent) {
  std::vector<wb::SentCommand> rest;
  for (const auto& c : sent)
    if (c.name() != "SCRIPT LOAD") rest.push_back(c);
  return grading::round_trips(rest);
}

// What a call the code must refuse tried to send, and whether it threw
// std::invalid_argument. The call runs in a dry run (grading::dry_run): it
// gets a client that records and sends nothing, so a wrong answer cannot
// write to, or read, a key outside the test's own - the key "" included.
struct Attempt {
  bool refused = false;
  std::vector<wb::SentCommand> sent;
};

Attempt in_dry_run(const std::function<void(wb::Valkey&)>& call) {
  Attempt attempt;
  attempt.sent = grading::dry_run([&](wb::Valkey& client) {
    try {
      call(client);
    } catch (const std::invalid_argument&) {
      attempt.refused = true;
    }
  });
  return attempt;
}

// Chloe's whole record, stored under `key` before the test starts. The client
// may be shared by threads: each call borrows its own connection.
struct ChloeStored {
  grading::KeyScope keys{"hashes"};
  wb::Valkey client = grading::connect();
  const std::string key = keys.key("employee:3");
  ChloeStored() { store_chloe(client, key); }
};

}  // namespace

// ---- task 1: save_employee ----------------------------------------------------

TEST_CASE("save_employee writes the four fields of the record", "[task1]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string key = keys.key("employee:3");

  hashes::save_employee(client, key, chloe);

  Fields stored = fields_of(client, key);
  INFO("After save_employee(Chloe), HGETALL answered " << show(stored) << ".");
  INFO(
      "Expected {department: \"Finance\", job_title: \"Financial Analyst\", name: \"Chloe "
      "Nguyen\", vacation_days: \"25\"}: one hash, these four field names, the number "
      "in decimal.");
  REQUIRE(stored == Fields{{"name", "Chloe Nguyen"},
                           {"department", "Finance"},
                           {"job_title", "Financial Analyst"},
                           {"vacation_days", "25"}});
}

TEST_CASE("save_employee sends one HSET carrying every field", "[task1]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  client.record_commands();

  hashes::save_employee(client, keys.key("employee:3"), chloe);

  auto sent = client.recorded_commands();
  INFO("save_employee sent:\n" << grading::describe(sent));
  INFO(
      "One HSET per field costs a round trip each, and for a moment the record exists "
      "half written (a reader can see the name without the department). HSET takes "
      "many field/value pairs: HSET key name ... department ... job_title ... "
      "vacation_days ...");
  REQUIRE(grading::count(sent, "HSET") == 1);
  REQUIRE(sent.size() == 1);
}

TEST_CASE("save_employee returns how many fields were new: 4, then 0 when saved again", "[task1]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string key = keys.key("employee:3");

  long long first = hashes::save_employee(client, key, chloe);
  Employee moved = chloe;
  moved.department = "Sales";
  long long second = hashes::save_employee(client, key, moved);

  INFO("The first save returned "
       << first
       << " (expected 4: every field was new); saving "
          "the same employee again returned "
       << second
       << " (expected 0). HSET counts only "
          "the fields it CREATED; an overwritten field counts 0. Return HSET's answer, do not "
          "count the fields you sent.");
  CHECK(first == 4);
  REQUIRE(second == 0);
  REQUIRE(client.hget(key, "department") == "Sales"s);
}

TEST_CASE("save_employee refuses an empty key or a nameless employee, sending nothing", "[task1]") {
  grading::KeyScope keys("hashes");
  Employee nameless = chloe;
  nameless.name.clear();
  auto empty_key = in_dry_run([&](wb::Valkey& c) { hashes::save_employee(c, "", chloe); });
  auto no_name = in_dry_run(
      [&](wb::Valkey& c) { hashes::save_employee(c, keys.key("employee:3"), nameless); });

  INFO(
      "An empty key is an id that was never filled in; an employee without a name is "
      "not a record worth keeping. Both must throw std::invalid_argument before "
      "anything is sent. (This grader did not let the commands reach the server.)");
  INFO("save_employee(client, \"\", chloe) tried to send:\n"
       << grading::describe(empty_key.sent)
       << "save_employee(client, key, employee without a name) tried to send:\n"
       << grading::describe(no_name.sent));
  REQUIRE(empty_key.refused);
  REQUIRE(no_name.refused);
  REQUIRE(empty_key.sent.empty());
  REQUIRE(no_name.sent.empty());
}

// ---- task 2: load_employee -------------------------------------------------------

TEST_CASE("load_employee reads back the stored record", "[task2]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string key = keys.key("employee:4");
  client.hset(key, {{"name", "Dmitri Ivanov"},
                    {"department", "Engineering"},
                    {"job_title", "Site Reliability Engineer"},
                    {"vacation_days", "-2"}});

  auto loaded = hashes::load_employee(client, key);

  INFO("load_employee returned "
       << show(loaded)
       << "; the hash holds Dmitri Ivanov, "
          "Engineering, Site Reliability Engineer, -2 vacation days (overdrawn).");
  REQUIRE(loaded.has_value());
  REQUIRE(*loaded == Employee{"Dmitri Ivanov", "Engineering", "Site Reliability Engineer", -2});
}

TEST_CASE("a missing employee is std::nullopt, not an empty Employee", "[task2]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();

  auto loaded = hashes::load_employee(client, keys.key("employee:404"));

  INFO("load_employee on a key that does not exist returned "
       << show(loaded)
       << ". "
          "HGETALL answers an empty list for a missing key; turning that into Employee{} "
          "gives the caller an employee with no name instead of \"there is none\". Return "
          "std::nullopt.");
  REQUIRE_FALSE(loaded.has_value());
}

TEST_CASE_METHOD(ChloeStored, "load_employee reads the record in one round trip", "[task2]") {
  client.record_commands();

  auto loaded = hashes::load_employee(client, key);

  auto sent = client.recorded_commands();
  INFO("load_employee sent:\n" << grading::describe(sent));
  INFO(
      "One HGET per field is four round trips, and another client can change the record "
      "between them, so you may read a department that never went with that name. "
      "HGETALL (or HMGET) reads every field in one command.");
  REQUIRE(grading::round_trips(sent) == 1);
  REQUIRE(loaded == chloe);
}

TEST_CASE("a record with a field missing is std::nullopt, not a half-filled Employee", "[task2]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string key = keys.key("employee:3");
  client.hset(key, {{"name", "Chloe Nguyen"}, {"department", "Finance"}});

  auto loaded = hashes::load_employee(client, key);

  INFO("The hash holds only name and department; load_employee returned "
       << show(loaded)
       << ". Filling the missing fields with \"\" and 0 invents a record nobody wrote. A "
          "record that is not whole is std::nullopt (for a cache: a miss).");
  REQUIRE_FALSE(loaded.has_value());
}

TEST_CASE("a vacation_days that is not a whole number is std::nullopt, not an exception",
          "[task2]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string spelled = keys.key("employee:spelled");
  const std::string suffixed = keys.key("employee:suffixed");
  for (const auto* key : {&spelled, &suffixed}) store_chloe(client, *key);
  client.hset(spelled, "vacation_days", "twenty");
  client.hset(suffixed, "vacation_days", "12 days");

  std::optional<Employee> from_spelled, from_suffixed;
  try {
    from_spelled = hashes::load_employee(client, spelled);
    from_suffixed = hashes::load_employee(client, suffixed);
  } catch (const wb::NotImplemented&) {
    throw;
  } catch (const std::exception& e) {
    FAIL("load_employee threw ("
         << e.what()
         << ") for a vacation_days of \"twenty\" or \"12 "
            "days\". std::stoll throws on the first and quietly reads 12 from the second. A "
            "corrupt record is std::nullopt, never an exception: parse with std::from_chars "
            "and check it used every character.");
  }
  INFO("vacation_days \"twenty\" gave "
       << show(from_spelled) << ", \"12 days\" gave " << show(from_suffixed)
       << "; both should be std::nullopt. Accepting \"12 days\" as "
          "12 means the whole text was not checked (std::stoll stops at the space).");
  CHECK_FALSE(from_spelled.has_value());
  REQUIRE_FALSE(from_suffixed.has_value());
}

TEST_CASE_METHOD(ChloeStored, "load_employee ignores fields it does not know", "[task2]") {
  client.hset(key, "badge", "F-0031");

  auto loaded = hashes::load_employee(client, key);
  INFO("The record has one extra field (badge); load_employee returned "
       << show(loaded) << ". Other programs may add fields: ignore the ones you do not need.");
  REQUIRE(loaded == chloe);
}

TEST_CASE("load_employee refuses an empty key", "[task2]") {
  auto attempt = in_dry_run([](wb::Valkey& c) { hashes::load_employee(c, ""); });
  INFO("load_employee(client, \"\") tried to send:\n"
       << grading::describe(attempt.sent)
       << "An empty key must throw std::invalid_argument, before anything is sent. (This "
          "grader did not let the command reach the server.)");
  CHECK(attempt.sent.empty());
  REQUIRE(attempt.refused);
}

// ---- task 3: change_job -------------------------------------------------------------

TEST_CASE_METHOD(ChloeStored,
                 "change_job sets department and job title and leaves the other fields alone",
                 "[task3]") {
  client.hset(key, "badge", "F-0031");

  bool changed = hashes::change_job(client, key, "Engineering", "Data Engineer");

  Fields stored = fields_of(client, key);
  INFO("change_job returned " << std::boolalpha << changed << " and the hash is now "
                              << show(stored) << ".");
  INFO(
      "Expected department \"Engineering\", job_title \"Data Engineer\", and name, "
      "vacation_days and badge exactly as before; change_job returns true.");
  CHECK(changed);
  REQUIRE(stored == Fields{{"name", "Chloe Nguyen"},
                           {"department", "Engineering"},
                           {"job_title", "Data Engineer"},
                           {"vacation_days", "25"},
                           {"badge", "F-0031"}});
}

TEST_CASE_METHOD(ChloeStored, "change_job writes only department and job_title", "[task3]") {
  client.record_commands();

  hashes::change_job(client, key, "Engineering", "Data Engineer");

  auto sent = client.recorded_commands();
  bool rewrote_others = false;
  for (const auto& command : sent) {
    bool field_write =
        command.name() == "HSET" || command.name() == "HMSET" || command.name() == "HSETNX";
    if (field_write &&
        (grading::has_arg(command, "vacation_days") || grading::has_arg(command, "name")))
      rewrote_others = true;
  }
  INFO("change_job sent:\n" << grading::describe(sent));
  INFO(
      "It wrote name or vacation_days too. Reading the whole record, changing two fields "
      "in C++ and saving it all back overwrites what others changed in between: a "
      "vacation day added at that moment is lost. Write only the two fields that change: "
      "that is what a hash is for.");
  REQUIRE_FALSE(rewrote_others);
}

TEST_CASE("change_job on a missing employee creates nothing and returns false", "[task3]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string key = keys.key("employee:404");

  bool changed = hashes::change_job(client, key, "Engineering", "Data Engineer");

  Fields stored = fields_of(client, key);
  INFO("change_job on a key that did not exist returned "
       << std::boolalpha << changed << " and left " << show(stored)
       << ". HSET creates the key when it is missing: "
          "a plain HSET leaves a half record (department and job title, no name). Check "
          "that the employee exists (HEXISTS key name) and change only then.");
  CHECK(stored.empty());
  REQUIRE_FALSE(changed);
}

TEST_CASE_METHOD(ChloeStored, "change_job checks and changes in one command", "[task3]") {
  client.record_commands();

  hashes::change_job(client, key, "Engineering", "Data Engineer");

  auto sent = client.recorded_commands();
  INFO("change_job sent:\n" << grading::describe(sent));
  INFO(
      "A check (HEXISTS) and then a change (HSET) are two commands: between them another "
      "client can delete the employee, and your HSET creates a half record after all. "
      "Put the check and the change in one small script (EVAL), which the server runs "
      "as one step.");
  REQUIRE(trips_without_script_load(sent) == 1);
}

TEST_CASE_METHOD(ChloeStored, "change_job refuses an empty key, department or job title",
                 "[task3]") {
  INFO("Each of these must throw std::invalid_argument and change nothing.");
  {
    auto empty_key = in_dry_run([](wb::Valkey& c) { hashes::change_job(c, "", "Sales", "Buyer"); });
    INFO("change_job(client, \"\", \"Sales\", \"Buyer\") tried to send:\n"
         << grading::describe(empty_key.sent)
         << "An empty key is refused before anything is sent. (This grader did not let the "
            "command reach the server.)");
    CHECK(empty_key.refused);
    CHECK(empty_key.sent.empty());
  }
  CHECK_THROWS_AS(hashes::change_job(client, key, "", "Buyer"), std::invalid_argument);
  CHECK_THROWS_AS(hashes::change_job(client, key, "Sales", ""), std::invalid_argument);
  REQUIRE(client.hget(key, "department") == "Finance"s);
}

TEST_CASE_METHOD(ChloeStored, "change_job loses no vacation day added at the same moment",
                 "[task3]") {
  constexpr int threads = 8;
  constexpr int rounds = 60;

  // Half the threads move Chloe between jobs, the other half add one vacation
  // day at a time with the grader's own HINCRBY.
  grading::run_together(threads, [&](int i) {
    for (int r = 0; r < rounds; ++r) {
      if (i % 2 == 0)
        hashes::change_job(client, key, r % 2 ? "Finance" : "Engineering", "Analyst");
      else
        client.hincrby(key, "vacation_days", 1);
    }
  });

  auto days = client.hget(key, "vacation_days");
  const long long expected = 25 + (threads / 2) * rounds;
  INFO("While change_job ran, 4 threads added "
       << (threads / 2) * rounds
       << " vacation days "
          "to 25; the record now holds "
       << days.value_or("nothing") << ", expected " << expected
       << ". Lost days mean change_job wrote vacation_days back from an old copy.");
  REQUIRE(days == std::to_string(expected));
}

// ---- task 4: add_vacation_days --------------------------------------------------------

TEST_CASE_METHOD(ChloeStored, "add_vacation_days adds and returns the new total", "[task4]") {
  auto after_add = hashes::add_vacation_days(client, key, 3);
  auto after_take = hashes::add_vacation_days(client, key, -5);

  INFO("From 25: +3 returned " << (after_add ? std::to_string(*after_add) : "std::nullopt"s)
                               << " (expected 28), then -5 returned "
                               << (after_take ? std::to_string(*after_take) : "std::nullopt"s)
                               << " (expected 23).");
  CHECK(after_add == 28);
  REQUIRE(after_take == 23);
  REQUIRE(client.hget(key, "vacation_days") == "23"s);
}

TEST_CASE_METHOD(ChloeStored, "add_vacation_days adds inside the server, in one command",
                 "[task4]") {
  client.record_commands();

  hashes::add_vacation_days(client, key, 1);

  auto sent = client.recorded_commands();
  INFO("add_vacation_days sent:\n" << grading::describe(sent));
  INFO(
      "Reading vacation_days (HGET), adding in C++ and writing it back (HSET) is a "
      "read-modify-write: two callers both read 25, both write 26, and a day is lost. "
      "HINCRBY adds inside the server; with the existence check around it, in one "
      "script.");
  CHECK(grading::count(sent, "HSET") == 0);
  REQUIRE(trips_without_script_load(sent) == 1);
}

TEST_CASE_METHOD(ChloeStored, "no addition is lost when 16 callers add at once", "[task4]") {
  constexpr int callers = 16;
  constexpr int adds_each = 25;

  grading::run_together(callers, [&](int) {
    for (int i = 0; i < adds_each; ++i) hashes::add_vacation_days(client, key, 1);
  });

  auto days = client.hget(key, "vacation_days");
  const long long expected = 25 + callers * adds_each;
  INFO(callers << " callers added " << adds_each << " days each to 25; the record holds "
               << days.value_or("nothing") << ", expected " << expected
               << ". Lost additions mean a read-modify-write: use HINCRBY.");
  REQUIRE(days == std::to_string(expected));
}

TEST_CASE("add_vacation_days on a missing employee writes nothing and returns std::nullopt",
          "[task4]") {
  grading::KeyScope keys("hashes");
  auto client = grading::connect();
  const std::string key = keys.key("employee:404");

  auto total = hashes::add_vacation_days(client, key, 5);

  Fields stored = fields_of(client, key);
  INFO("add_vacation_days on a key that did not exist returned "
       << (total ? std::to_string(*total) : "std::nullopt"s) << " and left " << show(stored)
       << ". HINCRBY on a missing key creates it (a hash holding vacation_days alone): "
          "check that the employee exists first, in the same script.");
  CHECK(stored.empty());
  REQUIRE_FALSE(total.has_value());
}

TEST_CASE("add_vacation_days refuses an empty key", "[task4]") {
  auto attempt = in_dry_run([](wb::Valkey& c) { hashes::add_vacation_days(c, "", 1); });
  INFO("add_vacation_days(client, \"\", 1) tried to send:\n"
       << grading::describe(attempt.sent)
       << "An empty key must throw std::invalid_argument, before anything is sent. (This "
          "grader did not let the command reach the server.)");
  CHECK(attempt.sent.empty());
  REQUIRE(attempt.refused);
}
