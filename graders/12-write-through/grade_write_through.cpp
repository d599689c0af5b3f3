// Grader for lesson 12 - write-through and write-behind over the Staff database.
//
// Every test works in a schema of its own (staff_schema.hpp) and on its own
// keys. The schema's instruments are the oracles: a log of every row the
// database wrote into employee_status (and in which transaction), a switch
// that makes COMMITs fail, and two names the database refuses.
#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "staff_schema.hpp"
#include "workbook/grading.hpp"
#include "write_through.hpp"

using namespace std::string_literals;
namespace grading = wb::grading;
using staff_schema::StaffSchema;
using write_through::Staff;

namespace {

using Fields = std::map<std::string, std::string>;

Fields fields_of(wb::Valkey& client, const std::string& key) {
  Fields fields;
  if (client.type(key) == "hash") client.hgetall(key, std::inserter(fields, fields.end()));
  return fields;
}

std::string show(const Fields& fields) {
  if (fields.empty()) return "(nothing)";
  std::string out = "{";
  for (const auto& [field, value] : fields)
    out += (out.size() > 1 ? ", " : "") + field + ": \"" + value + "\"";
  return out + "}";
}

// What a key holds, in words, for messages.
std::string holds(wb::Valkey& client, const std::string& key) {
  const std::string type = client.type(key);
  if (type == "none") return "nothing (no such key)";
  if (type == "hash") return "the hash " + show(fields_of(client, key));
  if (type == "string") return "the string \"" + client.get(key).value_or("") + "\"";
  return "a " + type;
}

std::vector<std::string> list_of(wb::Valkey& client, const std::string& key) {
  std::vector<std::string> items;
  if (client.type(key) == "list") client.lrange(key, 0, -1, std::back_inserter(items));
  return items;
}

std::string show(const std::vector<std::string>& items) {
  if (items.empty()) return "(empty)";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + ("\"" + item + "\"");
  return "[" + out + "]";
}

std::string show(const std::optional<staff_schema::StatusRow>& row) {
  if (!row) return "missing (employee_status has no row for it)";
  return "\"" + row->status + "\" (version " + std::to_string(row->version) + ")";
}

// Where the entries are now: every list of the test's scope that holds any
// of them, with how many (for "lost" messages).
std::string whereabouts(wb::Valkey& client, const grading::KeyScope& keys,
                        const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& key : keys.keys()) {
    if (client.type(key) != "list") continue;
    auto items = list_of(client, key);
    long long found = 0;
    for (const auto& e : entries) found += std::count(items.begin(), items.end(), e);
    if (found > 0)
      out += "\n    " + key.substr(keys.prefix().size()) + " holds " + std::to_string(found);
  }
  return out.empty() ? "\n    no list of the test holds any of them" : out;
}

bool sent_any(const std::vector<wb::SentCommand>& sent, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (grading::count(sent, name) > 0) return true;
  return false;
}

bool atomic_on_server(const std::vector<wb::SentCommand>& sent) {
  return sent_any(sent, {"EVAL", "EVALSHA", "EVAL_RO", "FCALL", "MULTI"});
}

// Runs `work`; the message of what it threw, or nullopt. "Not implemented"
// goes through, so that a stub is reported as a stub.
template <typename F>
std::optional<std::string> thrown_by(F&& work) {
  try {
    work();
  } catch (const wb::NotImplemented&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();  // PostgreSQL's messages end with a newline
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    return what;
  }
  return std::nullopt;
}

// What the database's error usually means here, for messages.
std::string explained(const std::string& error) {
  auto has = [&](const char* part) { return error.find(part) != std::string::npos; };
  if (has("duplicate key"))
    return " The row already exists, and a plain INSERT fails on it: a change for an existing "
           "row must update it, in one statement (INSERT ... ON CONFLICT ... DO UPDATE).";
  if (has("affect row a second time"))
    return " One statement wrote the same employee twice: coalesce the batch first, the newest "
           "change per employee.";
  if (has("foreign key"))
    return " A change for an employee the database does not have can never be written: drop "
           "it, or every run fails on it again and the queue behind it stops.";
  if (has("deadlock"))
    return " Two workers waited for each other's rows (a deadlock): write a batch's rows in "
           "ascending employee id.";
  return "";
}

std::string printable(const std::string& text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

// What most tests start with: a schema of its own with the Staff tables, a
// key scope, a client (shared by threads: each call borrows its own
// connection), and the Staff the learner's functions receive.
struct WriteTest {
  StaffSchema copy;
  grading::KeyScope keys{"write-through"};
  wb::Valkey client = grading::connect();
  Staff staff{copy.db(), client, keys.prefix()};

  std::string key(const std::string& name) const { return keys.key(name); }
  std::vector<std::string> queue() { return list_of(client, key("writebehind:queue")); }
  std::vector<std::string> processing(const std::string& worker) {
    return list_of(client, key("writebehind:processing:" + worker));
  }
  // Queues a change as record_change does (the grader's own, so that task 3
  // is graded apart from task 2): its version is the counter raised by 1.
  long long queue_change(long long id, const std::string& status) {
    return client.eval<long long>(
        "local v = redis.call('INCR', KEYS[1]) "
        "redis.call('LPUSH', KEYS[2], string.format('%d', v) .. ':' .. ARGV[1] .. ':' .. ARGV[2]) "
        "return v",
        {key("writebehind:version"), key("writebehind:queue")}, {std::to_string(id), status});
  }
  // employee_status's row for `id`: its status ("(no row)" when there is
  // none) and its version (0 when there is none).
  std::string db_status(long long id) {
    auto row = copy.status_in_db(id);
    return row ? row->status : "(no row)";
  }
  long long db_version(long long id) {
    auto row = copy.status_in_db(id);
    return row ? row->version : 0;
  }
  // Plants a cached {name, version} as a rename would have left it.
  void plant_name(long long id, const std::string& name, long long version) {
    const std::string k = key("employee:" + std::to_string(id));
    client.hset(k,
                {std::make_pair("name", name), std::make_pair("version", std::to_string(version))});
    client.pexpire(k, std::chrono::seconds(30));
  }
};

// ---- task 1: rename_employee, write-through ------------------------------------------

TEST_CASE_METHOD(WriteTest, "rename_employee changes the name in the database", "[task1]") {
  bool renamed = write_through::rename_employee(staff, 3, "Chloe Brown");

  INFO("rename_employee(3, \"Chloe Brown\") returned "
       << std::boolalpha << renamed << "; the database now says \"" << copy.name_in_db(3)
       << "\". Write-through writes the database, the truth, first.");
  CHECK(renamed);
  REQUIRE(copy.name_in_db(3) == "Chloe Brown");
}

TEST_CASE_METHOD(WriteTest, "after a rename the cache holds the new name and its version",
                 "[task1]") {
  copy.set_name_version(40);

  write_through::rename_employee(staff, 3, "Chloe Brown");

  const std::string k = key("employee:3");
  INFO("After rename_employee(3, \"Chloe Brown\"), employee:3 holds "
       << holds(client, k) << ". Expected the hash {name: \"Chloe Brown\", version: \""
       << copy.last_name_version()
       << "\"}: write-through writes the new value into the cache right after the database.");
  REQUIRE(client.type(k) == "hash");
  auto cached = fields_of(client, k);
  REQUIRE(cached["name"] == "Chloe Brown");
  INFO(
      "The version must be the number nextval('name_versions') drew in the UPDATE: the "
      "sequence is now at "
      << copy.last_name_version() << ", the cache says \"" << cached["version"]
      << "\". A version from anywhere else (a counter in Valkey, the clock) does not follow the "
         "order in which the renames committed.");
  REQUIRE(cached["version"] == std::to_string(copy.last_name_version()));
}

TEST_CASE_METHOD(WriteTest, "a rename the database refuses leaves the cache as it was", "[task1]") {
  plant_name(3, "Chloe Nguyen", 0);

  auto error =
      thrown_by([&] { write_through::rename_employee(staff, 3, staff_schema::refused_name); });

  auto cached = fields_of(client, key("employee:3"));
  INFO("The grader's database refuses the name \""
       << staff_schema::refused_name << "\" at the UPDATE. After rename_employee(3, \""
       << staff_schema::refused_name << "\") the database says \"" << copy.name_in_db(3)
       << "\" and employee:3 holds " << show(cached) << ".");
  INFO((cached["name"] == "Chloe Nguyen"
            ? "The cache is as it was: good."
            : "The cache was written before the database accepted the rename: readers are now "
              "served a name the database never had. The database first; the cache only once "
              "the rename has committed."));
  REQUIRE(cached["name"] == "Chloe Nguyen");
  INFO(
      "rename_employee returned normally although the database refused: let the database's "
      "exception through, so the caller knows the rename did not happen.");
  REQUIRE(error.has_value());
}

TEST_CASE_METHOD(WriteTest, "a rename whose COMMIT fails leaves the cache as it was", "[task1]") {
  plant_name(3, "Chloe Nguyen", 0);

  auto error =
      thrown_by([&] { write_through::rename_employee(staff, 3, staff_schema::refused_at_commit); });

  auto cached = fields_of(client, key("employee:3"));
  INFO("The grader's database accepts the UPDATE to \""
       << staff_schema::refused_at_commit
       << "\" but refuses to COMMIT it. Afterwards the database says \"" << copy.name_in_db(3)
       << "\" and employee:3 holds " << show(cached) << ".");
  INFO((cached["name"] == "Chloe Nguyen"
            ? "The cache is as it was: good."
            : "The cache was written before the COMMIT had succeeded (before the UPDATE, or "
              "inside the database transaction after it): a database write is done only when "
              "its COMMIT returns, and this one never did."));
  REQUIRE(cached["name"] == "Chloe Nguyen");
  INFO(
      "rename_employee returned normally although the COMMIT failed: let the exception "
      "through.");
  REQUIRE(error.has_value());
}

TEST_CASE_METHOD(WriteTest, "a rename stands when the cache cannot be written after the commit",
                 "[task1]") {
  // A client whose every command fails as if Valkey had gone away (a dry run:
  // it sends nothing, and throws wb::ClosedError).
  wb::Valkey down = grading::connect();
  down.dry_run();
  Staff without_cache{copy.db(), down, keys.prefix()};

  std::optional<bool> renamed;
  auto error =
      thrown_by([&] { renamed = write_through::rename_employee(without_cache, 3, "Chloe Brown"); });

  INFO(
      "The grader gave rename_employee a client for a Valkey that has gone away: every "
      "command it sends fails with a wb::Error (here wb::ClosedError, \"... was not sent ...: "
      "this client is in a dry run\"). With that, rename_employee(3, \"Chloe Brown\") "
      << (error ? "threw: " + *error : "returned " + std::string(*renamed ? "true" : "false"))
      << "; the database says \"" << copy.name_in_db(3) << "\".");
  {
    INFO(
        "The database was never changed: the code talked to the cache before the database, "
        "and with the cache down the rename was lost. The database comes first.");
    REQUIRE(copy.name_in_db(3) == "Chloe Brown");
  }
  INFO("The rename had committed when the cache failed, yet rename_employee "
       << (error ? "threw" : "returned false")
       << ": the caller is told it failed although it happened, and may retry or report an "
          "error. The cache is a copy: catch its wb::Error after the commit and return true "
          "(the old copy expires within name_ttl).");
  REQUIRE_FALSE(error.has_value());
  REQUIRE(renamed == true);
}

TEST_CASE_METHOD(WriteTest, "the cached name expires after name_ttl", "[task1]") {
  write_through::rename_employee(staff, 3, "Chloe Brown");

  long long pttl = client.pttl(key("employee:3"));
  INFO("employee:3's PTTL after the rename is "
       << pttl
       << " ms; expected just under 30000 (name_ttl). -1 means the copy never expires: should "
          "the cache ever miss a write (Valkey down for a moment), the stale name would be "
          "served forever instead of for at most 30 seconds.");
  REQUIRE(pttl > 27000);
  REQUIRE(pttl <= 30000);
}

TEST_CASE_METHOD(WriteTest, "the rename is one UPDATE statement that also draws the version",
                 "[task1]") {
  write_through::rename_employee(staff, 3, "Chloe Brown");

  INFO("rename_employee sent "
       << copy.db().query_count()
       << " statements to the database; expected 1: the UPDATE, returning the version "
          "nextval('name_versions') in the same statement. Drawn while the UPDATE holds the "
          "row, versions follow the order in which renames commit; a version drawn in a "
          "statement of its own can come out the other way round.");
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(WriteTest, "the cached name is checked and written in one atomic step",
                 "[task1]") {
  client.record_commands();

  write_through::rename_employee(staff, 3, "Chloe Brown");

  auto sent = client.recorded_commands();
  INFO("rename_employee sent to Valkey:\n" << grading::describe(sent));
  INFO(
      "Comparing the cached version and writing the new entry must be one atomic step on "
      "the server (a script): as separate commands, another rename can write between the "
      "check and the write, and its newer name is then overwritten.");
  REQUIRE(grading::round_trips(sent) == 1);
  REQUIRE(atomic_on_server(sent));
}

TEST_CASE_METHOD(WriteTest,
                 "a rename never replaces a cached entry with the same or a higher version",
                 "[task1]") {
  plant_name(3, "Chloe Later", 1000000);

  write_through::rename_employee(staff, 3, "Chloe Brown");

  auto cached = fields_of(client, key("employee:3"));
  INFO(
      "employee:3 held {name: \"Chloe Later\", version: \"1000000\"}: another rename, which "
      "committed after this one, got to the cache first. After rename_employee(3, \"Chloe "
      "Brown\") with version "
      << copy.last_name_version() << " it holds " << show(cached)
      << ". The older rename replaced a newer cached name: keep the entry when its version "
         "is higher than the rename's.");
  REQUIRE(cached["name"] == "Chloe Later");
  REQUIRE(cached["version"] == "1000000");

  copy.set_name_version(20);
  plant_name(4, "Dmitri Already", 21);
  write_through::rename_employee(staff, 4, "Dmitri Ivanov-Petrov");
  cached = fields_of(client, key("employee:4"));
  INFO(
      "employee:4 held version 21, the very version this rename drew (as after a first "
      "attempt that did write): it now holds "
      << show(cached) << ". The same version is not newer: leave the entry as it is.");
  REQUIRE(cached["name"] == "Dmitri Already");
}

TEST_CASE_METHOD(WriteTest, "a rename replaces a cached entry with a lower version", "[task1]") {
  plant_name(3, "Chloe Nguyen", 2);
  copy.set_name_version(9);

  write_through::rename_employee(staff, 3, "Chloe Brown");

  auto cached = fields_of(client, key("employee:3"));
  INFO(
      "employee:3 held {name: \"Chloe Nguyen\", version: \"2\"}; the rename drew version 10. "
      "After it, employee:3 holds "
      << show(cached) << ": a newer rename must replace an older cached name.");
  REQUIRE(cached["name"] == "Chloe Brown");
  REQUIRE(cached["version"] == "10");
}

TEST_CASE_METHOD(WriteTest, "a damaged cached entry is replaced by the rename", "[task1]") {
  const std::string k = key("employee:3");
  struct Damage {
    const char* what;
    std::function<void()> plant;
  };
  const std::vector<Damage> damages{
      {"a string, not a hash", [&] { client.set(k, "Chloe Nguyen", std::chrono::seconds(30)); }},
      {"a hash whose version is \"soon\"",
       [&] {
         client.hset(k,
                     {std::make_pair("name", "Chloe Nguyen"), std::make_pair("version", "soon")});
       }},
      {"a hash with no version", [&] { client.hset(k, "name", "Chloe Nguyen"); }},
  };
  for (const auto& damage : damages) {
    client.del(k);
    damage.plant();

    auto error = thrown_by([&] { write_through::rename_employee(staff, 3, "Chloe Brown"); });

    INFO("employee:3 held " << damage.what << "; rename_employee(3, \"Chloe Brown\") "
                            << (error ? "threw: " + *error : "returned")
                            << ", and employee:3 now holds " << holds(client, k)
                            << ". An entry that is not a {name, version} hash with a number "
                               "for a version cannot be newer than anything: replace it (if "
                               "your script fails on it instead, the old name stays cached; "
                               "if the error escapes, a rename that committed is reported as "
                               "failed).");
    REQUIRE_FALSE(error.has_value());
    REQUIRE(fields_of(client, k)["name"] == "Chloe Brown");
  }
}

TEST_CASE_METHOD(WriteTest,
                 "renames of one employee at the same moment leave the cache as the database",
                 "[task1]") {
  const int threads = 6;
  std::vector<std::unique_ptr<wb::Database>> connections;
  std::vector<std::unique_ptr<Staff>> staffs;
  for (int t = 0; t < threads; ++t) {
    connections.push_back(copy.connect());
    staffs.push_back(std::make_unique<Staff>(Staff{*connections.back(), client, keys.prefix()}));
  }

  for (int round = 0; round < 8; ++round) {
    grading::run_together(threads, [&](int t) {
      write_through::rename_employee(*staffs[static_cast<std::size_t>(t)], 3,
                                     "Name " + std::to_string(round) + "-" + std::to_string(t));
    });
    auto cached = fields_of(client, key("employee:3"));
    INFO("Round " << round << ": " << threads
                  << " threads renamed employee 3 at once. The database says \""
                  << copy.name_in_db(3) << "\" (the last rename to commit, version "
                  << copy.last_name_version() << "); employee:3 holds " << show(cached)
                  << ". Two renames can reach the cache in the other order than they committed: "
                     "the version, drawn in the UPDATE, decides which one stays.");
    REQUIRE(cached["name"] == copy.name_in_db(3));
    REQUIRE(cached["version"] == std::to_string(copy.last_name_version()));
  }
}

TEST_CASE_METHOD(WriteTest, "renaming a missing employee returns false and caches nothing",
                 "[task1]") {
  bool renamed = write_through::rename_employee(staff, 999999, "Nobody");

  INFO("rename_employee(999999, \"Nobody\") returned "
       << std::boolalpha << renamed << "; employee:999999 now holds "
       << holds(client, key("employee:999999"))
       << ". There is no such employee: the UPDATE changed no row, so return false and put "
          "nothing in the cache (a cached name for someone who does not exist).");
  CHECK_FALSE(renamed);
  REQUIRE(client.exists(key("employee:999999")) == 0);
}

TEST_CASE_METHOD(WriteTest, "a name with a quote is stored as it is (parameterised SQL)",
                 "[task1]") {
  const std::string name = "Chloe O'Neill";

  auto error = thrown_by([&] { write_through::rename_employee(staff, 3, name); });

  INFO("rename_employee(3, \""
       << name << "\") " << (error ? "threw: " + *error : "returned") << "; the database says \""
       << copy.name_in_db(3)
       << "\". A quote that breaks the UPDATE means the name was pasted into the SQL text: "
          "pass it as a parameter ($1).");
  REQUIRE_FALSE(error.has_value());
  REQUIRE(copy.name_in_db(3) == name);
}

TEST_CASE_METHOD(WriteTest, "rename_employee refuses a bad id or name before sending anything",
                 "[task1]") {
  struct Bad {
    long long id;
    std::string name;
    const char* what;
  };
  const std::vector<Bad> bad{
      {0, "Zero", "the id 0"},
      {-7, "Minus", "the id -7"},
      {3, "", "an empty name"},
      {3, "Chloe\0Brown"s, "a name with a NUL byte (libpq would store only \"Chloe\")"},
      {3, "Chlo\xe9", "a name that is not UTF-8"},
  };
  for (const auto& b : bad) {
    bool refused = false;
    auto sent = grading::dry_run([&](wb::Valkey& dry) {
      Staff s{copy.db(), dry, keys.prefix()};
      try {
        write_through::rename_employee(s, b.id, b.name);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
    });
    INFO("rename_employee(" << b.id << ", \"" << printable(b.name) << "\"): " << b.what
                            << " must be std::invalid_argument, before any query or command. "
                            << (refused ? "Refused, " : "Not refused, ") << "after "
                            << copy.db().query_count() << " database statements and " << sent.size()
                            << " Valkey commands.");
    REQUIRE((refused && sent.empty() && copy.db().query_count() == 0));
  }
  REQUIRE(copy.name_in_db(3) == "Chloe Nguyen");
}

// ---- task 2: record_change, write-behind ----------------------------------------------

TEST_CASE_METHOD(WriteTest, "record_change numbers the changes 1, 2, 3", "[task2]") {
  long long first = write_through::record_change(staff, 3, "in the office");
  long long second = write_through::record_change(staff, 4, "working from home");
  long long third = write_through::record_change(staff, 3, "at lunch");

  INFO("Three record_change calls returned "
       << first << ", " << second << ", " << third << "; writebehind:version holds "
       << client.get(key("writebehind:version")).value_or("nothing")
       << ". Expected 1, 2, 3 and \"3\": each change's version is the counter writebehind:version "
          "raised by 1.");
  REQUIRE(first == 1);
  REQUIRE(second == 2);
  REQUIRE(third == 3);
  REQUIRE(client.get(key("writebehind:version")) == "3"s);
}

TEST_CASE_METHOD(WriteTest, "a change is queued as <version>:<id>:<status>", "[task2]") {
  write_through::record_change(staff, 3, "working from home: back at 2");

  INFO("After record_change(3, \"working from home: back at 2\"), writebehind:queue is "
       << show(queue())
       << "; expected [\"1:3:working from home: back at 2\"]: an entry is "
          "<version>:<id>:<status>, the version first.");
  REQUIRE(queue() == std::vector<std::string>{"1:3:working from home: back at 2"});
}

TEST_CASE_METHOD(WriteTest, "each change goes onto the head of the queue", "[task2]") {
  write_through::record_change(staff, 1, "a");
  write_through::record_change(staff, 2, "b");
  write_through::record_change(staff, 3, "c");

  INFO("After three changes, writebehind:queue (head first) is "
       << show(queue())
       << "; expected [\"3:3:c\", \"2:2:b\", \"1:1:a\"]: new changes at the head (left), so the "
          "oldest waits at the tail (right), where the worker takes from.");
  REQUIRE(queue() == std::vector<std::string>{"3:3:c", "2:2:b", "1:1:a"});
}

TEST_CASE_METHOD(WriteTest, "status:<id> holds the newest status and its version", "[task2]") {
  write_through::record_change(staff, 3, "in the office");
  write_through::record_change(staff, 3, "at lunch");

  auto cached = fields_of(client, key("status:3"));
  INFO("After two changes for employee 3, status:3 holds "
       << holds(client, key("status:3"))
       << "; expected {status: \"at lunch\", version: \"2\"}. Readers read the status here: "
          "the database gets it only when a worker flushes.");
  REQUIRE(cached == Fields{{"status", "at lunch"}, {"version", "2"}});
}

TEST_CASE_METHOD(WriteTest, "the cached status expires after status_ttl", "[task2]") {
  write_through::record_change(staff, 3, "in the office");

  long long pttl = client.pttl(key("status:3"));
  INFO("status:3's PTTL is " << pttl
                             << " ms; expected just under 300000 (status_ttl). -1 means it "
                                "never expires.");
  REQUIRE(pttl > 297000);
  REQUIRE(pttl <= 300000);
}

TEST_CASE_METHOD(WriteTest, "record_change leaves the database alone", "[task2]") {
  write_through::record_change(staff, 3, "in the office");

  INFO("record_change sent " << copy.db().query_count() << " statements to the database and "
                             << copy.writes().size()
                             << " rows were written into employee_status; expected 0 and 0. "
                                "Write-behind: the change lands in Valkey, and the database "
                                "gets it later, in a batch, from flush_batch.");
  REQUIRE(copy.db().query_count() == 0);
  REQUIRE(copy.writes().empty());
}

TEST_CASE_METHOD(WriteTest, "the queue and the cached status change in one atomic round trip",
                 "[task2]") {
  client.record_commands();

  write_through::record_change(staff, 3, "in the office");

  auto sent = client.recorded_commands();
  INFO("record_change sent:\n" << grading::describe(sent));
  INFO("That is " << grading::round_trips(sent)
                  << " round trip(s). The queue and the cached value must change together, in "
                     "one round trip and as one atomic step (a script): updated in separate "
                     "round trips, a crash in between leaves a cached status the database will "
                     "never get, or a queued change nobody sees; and another writer's change "
                     "can land between them, so the cache shows an older status than the queue "
                     "will write.");
  REQUIRE(grading::round_trips(sent) == 1);
  REQUIRE(atomic_on_server(sent));
}

TEST_CASE_METHOD(WriteTest, "status:<id> is replaced whatever it held", "[task2]") {
  const std::string k = key("status:3");
  client.set(k, "damaged", std::chrono::seconds(30));
  auto error = thrown_by([&] { write_through::record_change(staff, 3, "in the office"); });
  // The rule first: the error text that follows can be long.
  INFO(
      "A damaged cached copy must not stop a write: replace it, whatever type it has. "
      "status:3 held a string; record_change(3, \"in the office\") "
      << (error ? "threw: " + *error : "returned") << " and status:3 now holds " << holds(client, k)
      << ".");
  REQUIRE_FALSE(error.has_value());
  REQUIRE(fields_of(client, k) == Fields{{"status", "in the office"}, {"version", "1"}});

  client.hset(k, "mood", "cheerful");
  write_through::record_change(staff, 3, "at lunch");
  INFO("status:3 also held a field \"mood\"; after record_change(3, \"at lunch\") it holds "
       << holds(client, k) << ". Expected exactly {status, version}.");
  REQUIRE(fields_of(client, k) == Fields{{"status", "at lunch"}, {"version", "2"}});
}

TEST_CASE_METHOD(WriteTest,
                 "changes recorded at the same moment get distinct versions and the cache keeps "
                 "the newest",
                 "[task2]") {
  const int threads = 8, each = 25;
  std::vector<std::vector<std::pair<long long, std::string>>> got(threads);

  grading::run_together(threads, [&](int t) {
    for (int i = 0; i < each; ++i) {
      std::string status = "thread " + std::to_string(t) + " change " + std::to_string(i);
      long long v = write_through::record_change(staff, 3, status);
      got[static_cast<std::size_t>(t)].emplace_back(v, status);
    }
  });

  std::map<long long, std::string> by_version;
  std::size_t returned = 0;
  for (const auto& list : got)
    for (const auto& [v, status] : list) {
      by_version[v] = status;
      ++returned;
    }
  const long long total = threads * each;
  INFO(threads << " threads recorded " << total << " changes for employee 3 at once: "
               << by_version.size() << " distinct versions came back (expected " << total
               << "), from " << (by_version.empty() ? 0 : by_version.begin()->first) << " to "
               << (by_version.empty() ? 0 : by_version.rbegin()->first) << "; the queue holds "
               << queue().size() << " entries.");
  REQUIRE(returned == static_cast<std::size_t>(total));
  REQUIRE(by_version.size() == static_cast<std::size_t>(total));
  REQUIRE(by_version.begin()->first == 1);
  REQUIRE(by_version.rbegin()->first == total);
  REQUIRE(queue().size() == static_cast<std::size_t>(total));
  auto cached = fields_of(client, key("status:3"));
  INFO("status:3 holds " << show(cached) << "; the newest change was version " << total << ", \""
                         << by_version[total]
                         << "\". The cache must show the newest status: numbering and writing "
                            "in one atomic step guarantees it.");
  REQUIRE(cached["version"] == std::to_string(total));
  REQUIRE(cached["status"] == by_version[total]);
}

TEST_CASE_METHOD(WriteTest, "record_change refuses bad input before sending anything", "[task2]") {
  struct Bad {
    long long id;
    std::string status;
    const char* what;
  };
  const std::vector<Bad> bad{
      {0, "in the office", "the id 0"},
      {-2, "in the office", "the id -2"},
      {3, "", "an empty status"},
      {3, std::string(write_through::max_status_bytes + 1, 'x'), "a status of 101 bytes"},
      {3, "away\0back soon"s, "a status with a NUL byte"},
      {3, "caf\xe9", "a status that is not UTF-8"},
  };
  for (const auto& b : bad) {
    bool refused = false;
    auto sent = grading::dry_run([&](wb::Valkey& dry) {
      Staff s{copy.db(), dry, keys.prefix()};
      try {
        write_through::record_change(s, b.id, b.status);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
    });
    INFO("record_change(" << b.id << ", \"" << printable(b.status).substr(0, 40)
                          << "\"): " << b.what
                          << " must be std::invalid_argument, before any command: once queued, "
                             "a change the database cannot store fails every flush that takes "
                             "it. "
                          << (refused ? "Refused" : "Not refused") << ", after " << sent.size()
                          << " commands.");
    REQUIRE((refused && sent.empty()));
  }
  const std::string longest(write_through::max_status_bytes, 'x');
  auto error = thrown_by([&] { write_through::record_change(staff, 3, longest); });
  INFO("A status of exactly max_status_bytes (100) bytes must be accepted; record_change "
       << (error ? "threw: " + *error : "accepted it") << ".");
  REQUIRE_FALSE(error.has_value());
}

// ---- task 3: flush_batch, the worker ---------------------------------------------------

TEST_CASE_METHOD(WriteTest, "flush_batch writes the queued changes into employee_status",
                 "[task3]") {
  queue_change(1, "in the office");
  queue_change(2, "working from home");
  queue_change(3, "at lunch: back at 2");

  auto finished = write_through::flush_batch(staff, "w1", 10);

  INFO("After three changes, flush_batch(\"w1\", 10) returned "
       << finished << " (expected 3); employee_status holds, for 1, 2, 3: "
       << show(copy.status_in_db(1)) << ", " << show(copy.status_in_db(2)) << ", "
       << show(copy.status_in_db(3)) << "; the queue is " << show(queue())
       << " and w1's processing list " << show(processing("w1")) << ".");
  REQUIRE(db_status(1) == "in the office");
  REQUIRE(db_status(2) == "working from home");
  {
    INFO(
        "The entry was \"3:3:at lunch: back at 2\": the status is everything after the "
        "second colon, colons included.");
    REQUIRE(db_status(3) == "at lunch: back at 2");
  }
  REQUIRE(db_version(3) == 3);
  REQUIRE(finished == 3);
  REQUIRE(queue().empty());
  REQUIRE(processing("w1").empty());
}

TEST_CASE_METHOD(WriteTest, "flush_batch takes at most max_changes, the oldest first", "[task3]") {
  for (long long id = 1; id <= 5; ++id) queue_change(id, "status of " + std::to_string(id));

  auto finished = write_through::flush_batch(staff, "w1", 2);

  std::vector<long long> written;
  for (const auto& w : copy.writes()) written.push_back(w.employee_id);
  std::string ids;
  for (long long id : written) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  INFO(
      "Five changes (employees 1 to 5, oldest first) were queued; flush_batch(\"w1\", 2) "
      "returned "
      << finished << " and wrote the rows of employees [" << ids << "]; the queue still holds "
      << queue().size()
      << ". Expected 2, employees [1, 2] and 3 left: a batch takes at most max_changes, from "
         "the tail of the queue, where the oldest changes wait.");
  REQUIRE(finished == 2);
  REQUIRE(queue().size() == 3);
  REQUIRE(written == std::vector<long long>{1, 2});
}

TEST_CASE_METHOD(WriteTest, "several changes to one employee in a batch make one write, the newest",
                 "[task3]") {
  queue_change(3, "in the office");
  queue_change(3, "at lunch");
  queue_change(4, "working from home");
  queue_change(3, "in a meeting");

  auto finished = write_through::flush_batch(staff, "w1", 10);

  std::vector<std::string> for_3;
  for (const auto& w : copy.writes())
    if (w.employee_id == 3) for_3.push_back(w.status);
  INFO(
      "Three changes to employee 3 (\"in the office\", \"at lunch\", \"in a meeting\", the "
      "newest) and one to 4 went into one batch. flush_batch returned "
      << finished << " (expected 4: every entry counts); employee 3's row is "
      << show(copy.status_in_db(3)) << ", written " << for_3.size() << " time(s): " << show(for_3)
      << ".");
  {
    INFO("The newest change of the batch must win; the row kept an older one.");
    REQUIRE(db_status(3) == "in a meeting");
  }
  INFO(
      "Coalesce: one database write per employee per batch, the newest change only; the "
      "others are already out of date. Writing every change is "
      << for_3.size() << " writes where 1 does.");
  REQUIRE(for_3.size() == 1);
  REQUIRE(finished == 4);
}

TEST_CASE_METHOD(WriteTest, "a batch is written in one database transaction", "[task3]") {
  for (long long id : {5, 2, 4, 1}) queue_change(id, "in the office");

  write_through::flush_batch(staff, "w1", 10);

  std::set<long long> transactions;
  for (const auto& w : copy.writes()) transactions.insert(w.transaction);
  INFO("A batch of four changes was written in "
       << transactions.size()
       << " database transactions; expected 1. One transaction per batch is the point of "
          "batching (one COMMIT, one wait for the disk, instead of one per change), and a "
          "batch then lands whole or not at all.");
  REQUIRE(copy.writes().size() == 4);
  REQUIRE(transactions.size() == 1);
}

TEST_CASE_METHOD(WriteTest, "a batch writes its rows in ascending employee id", "[task3]") {
  for (long long id : {5, 2, 4, 1, 3}) queue_change(id, "in the office");

  write_through::flush_batch(staff, "w1", 10);

  std::vector<long long> order;
  for (const auto& w : copy.writes()) order.push_back(w.employee_id);
  std::string ids;
  for (long long id : order) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  INFO(
      "Changes for employees 5, 2, 4, 1, 3 were queued in that order; the batch wrote the rows "
      "in the order ["
      << ids
      << "]. Expected [1, 2, 3, 4, 5]: when two workers write rows in different orders, each "
         "can hold a row the other waits for, a deadlock, and PostgreSQL aborts one of them. "
         "In one order (by id), they never do.");
  REQUIRE(order == std::vector<long long>{1, 2, 3, 4, 5});
}

TEST_CASE_METHOD(WriteTest, "an empty queue returns 0 and leaves the database alone", "[task3]") {
  auto finished = write_through::flush_batch(staff, "w1", 10);

  INFO("With nothing queued, flush_batch returned " << finished << " after "
                                                    << copy.db().query_count()
                                                    << " database statements; expected 0 and 0 "
                                                       "(a worker polls often: an empty "
                                                       "transaction each time is waste).");
  REQUIRE(finished == 0);
  REQUIRE(copy.db().query_count() == 0);
}

TEST_CASE_METHOD(WriteTest, "when the database step fails, the batch stays in the processing list",
                 "[task3]") {
  std::vector<std::string> entries;
  for (long long id = 1; id <= 5; ++id) queue_change(id, "in the office");
  entries = queue();
  std::vector<std::string> oldest_three(entries.end() - 3, entries.end());
  copy.fail_status_commits(true);
  client.record_commands();

  std::optional<std::size_t> finished;
  auto error = thrown_by([&] { finished = write_through::flush_batch(staff, "w1", 3); });

  auto sent = client.recorded_commands();
  client.record_commands(false);
  copy.fail_status_commits(false);
  auto in_processing = processing("w1");
  INFO(
      "Five changes were queued; the database refused to COMMIT the batch of flush_batch(\"w1\", "
      "3) (as a crash of the database, or of the worker, between taking the batch and "
      "committing it would). flush_batch "
      << (error ? "threw: " + *error : "returned " + std::to_string(*finished))
      << ". Where the three changes it took are now:" << whereabouts(client, keys, oldest_three)
      << "\nflush_batch sent:\n"
      << grading::describe(sent, 30));
  {
    INFO(
        "flush_batch returned normally although the database refused the batch: let the "
        "exception through, and leave the batch where it is (a worker that reports success "
        "for changes the database never got cannot be trusted).");
    REQUIRE(error.has_value());
  }
  if (in_processing.size() != 3) {
    const bool popped = sent_any(sent, {"RPOP", "LPOP", "BRPOP", "BLPOP", "LMPOP", "BLMPOP"});
    std::string why;
    if (queue().size() == 5)
      why =
          ("They are still in the queue: flush_batch must move its batch into "
           "writebehind:processing:w1 before the database step. Read from the queue without "
           "moving, the same changes can be taken by another worker at the same time.");
    else if (popped)
      why =
          ("They are lost: taken with a pop, they existed only in the worker's memory, and the "
           "failed COMMIT took them with it. Move each one into the processing list (LMOVE), and "
           "empty that list only after the COMMIT.");
    else
      why =
          ("They are not in writebehind:processing:w1. If a list above holds them, each worker "
           "needs its own processing list, named after it; if none does, they are lost: the "
           "processing list was emptied before the COMMIT had succeeded.");
    INFO(why);
    REQUIRE(in_processing.size() == 3);
  }
  INFO("The queue holds " << queue().size() << " (expected the 2 changes not taken) and the "
                          << "database wrote " << copy.writes().size() << " rows (expected 0).");
  REQUIRE(queue().size() == 2);
  REQUIRE(copy.writes().empty());
}

TEST_CASE_METHOD(WriteTest,
                 "a worker's next run finishes the batch its failed run left, then goes on",
                 "[task3]") {
  for (long long id = 1; id <= 5; ++id) queue_change(id, "status " + std::to_string(id));
  copy.fail_status_commits(true);
  thrown_by([&] { write_through::flush_batch(staff, "w1", 3); });
  copy.fail_status_commits(false);
  const auto left = processing("w1");
  {
    INFO("The failed run must leave its batch of 3 in writebehind:processing:w1, which holds "
         << show(left) << " (the test before this one says more).");
    REQUIRE(left.size() == 3);
  }
  queue_change(1, "status 1, changed again");

  auto first = write_through::flush_batch(staff, "w1", 2);

  std::set<long long> written;
  for (const auto& w : copy.writes()) written.insert(w.employee_id);
  std::string ids;
  for (long long id : written) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  INFO("The failed run left " << show(left)
                              << " in writebehind:processing:w1, and a new change was queued. "
                                 "The next flush_batch(\"w1\", 2) returned "
                              << first << " and wrote the rows of employees [" << ids
                              << "]; w1's processing list is now " << show(processing("w1"))
                              << ".");
  {
    const bool leftovers_done = written.count(2) == 1 && written.count(3) == 1;
    INFO((leftovers_done
              ? "Expected 3 and the rows of 1, 2 and 3 only: the left-over batch, all of it "
                "(even with a max_changes of 2: it was taken already), and nothing new in the "
                "same call."
              : "The left-over batch (employees 1, 2 and 3) was not finished: a worker that "
                "comes back must finish what its processing list holds before it takes "
                "anything new, or those changes wait there forever."));
    REQUIRE(written == std::set<long long>{1, 2, 3});
    REQUIRE(first == 3);
    REQUIRE(processing("w1").empty());
  }

  std::size_t rest = 0;
  auto error = thrown_by([&] {
    for (int i = 0; i < 5; ++i) rest += write_through::flush_batch(staff, "w1", 10);
  });
  {
    INFO(
        "After that, the next runs of flush_batch(\"w1\", 10), for two changes never taken "
        "and a new change to employee 1, threw: "
        << error.value_or("") << "." << explained(error.value_or("")));
    REQUIRE_FALSE(error.has_value());
  }
  std::map<std::pair<long long, long long>, int> applied;
  for (const auto& w : copy.writes()) ++applied[{w.employee_id, w.version}];
  bool twice = false;
  for (const auto& [change, times] : applied) twice = twice || times > 1;
  INFO("Further runs finished " << rest
                                << " entries (expected 3: two never taken and the new one). "
                                   "Employee 1's row is "
                                << show(copy.status_in_db(1))
                                << " (expected the newest, version 6); the queue is "
                                << show(queue()) << ".");
  REQUIRE(rest == 3);
  REQUIRE(db_status(1) == "status 1, changed again");
  REQUIRE(queue().empty());
  INFO("A change was written into the database twice.");
  REQUIRE_FALSE(twice);
}

TEST_CASE_METHOD(WriteTest, "a worker leaves another worker's batch alone", "[task3]") {
  for (long long id = 1; id <= 4; ++id) queue_change(id, "in the office");
  copy.fail_status_commits(true);
  thrown_by([&] { write_through::flush_batch(staff, "w1", 2); });
  copy.fail_status_commits(false);
  const auto w1_before = processing("w1");
  {
    INFO("w1's failed run must leave its batch of 2 in writebehind:processing:w1, which holds "
         << show(w1_before) << " (the tests before this one say more).");
    REQUIRE(w1_before.size() == 2);
  }

  auto finished = write_through::flush_batch(staff, "w2", 10);

  {
    INFO("w1 holds " << show(w1_before)
                     << " in its processing list (it may be alive, about to commit them, or it "
                        "may come back later). Then flush_batch(\"w2\", 10) returned "
                     << finished << ", and w1's list is now " << show(processing("w1"))
                     << ". Expected 2 (the two changes in the queue) and w1's list untouched: a "
                        "worker that takes over another's batch applies it a second time when "
                        "that one commits, or comes back.");
    REQUIRE(processing("w1") == w1_before);
    REQUIRE(finished == 2);
  }
  auto w1_again = write_through::flush_batch(staff, "w1", 10);
  INFO("Then w1 came back: flush_batch(\"w1\", 10) returned "
       << w1_again << " (expected 2: the batch its processing list still held) and the database "
       << "holds rows for " << copy.writes().size()
       << " changes (expected 4). A worker that comes back finishes its own left-over batch "
          "first.");
  REQUIRE(w1_again == 2);
  REQUIRE(copy.writes().size() == 4);
}

TEST_CASE_METHOD(WriteTest,
                 "each entry moves from the queue into the processing list in one atomic step",
                 "[task3]") {
  for (long long id = 1; id <= 4; ++id) queue_change(id, "in the office");
  const std::string queue_key = key("writebehind:queue");
  const std::string processing_key = key("writebehind:processing:w1");
  client.record_commands();

  write_through::flush_batch(staff, "w1", 3);

  auto sent = client.recorded_commands();
  client.record_commands(false);
  // Inside a script or an LMOVE the move is one step; anything that takes
  // from the queue, or puts into the processing list, by itself is not.
  std::string apart;
  for (const auto& c : sent) {
    const std::string name = c.name();
    const bool takes = (name == "RPOP" || name == "LPOP" || name == "BRPOP" || name == "BLPOP" ||
                        name == "LTRIM" || name == "LREM" || name == "LMPOP" || name == "BLMPOP");
    const bool puts = (name == "LPUSH" || name == "RPUSH" || name == "LPUSHX" || name == "RPUSHX");
    const bool on_queue = std::find(c.argv.begin(), c.argv.end(), queue_key) != c.argv.end();
    const bool on_processing =
        std::find(c.argv.begin(), c.argv.end(), processing_key) != c.argv.end();
    if ((takes && on_queue) || (puts && on_processing)) apart += "\n    " + c.to_string();
  }
  INFO("flush_batch sent:\n"
       << grading::describe(sent, 30)
       << "\nThese take entries off the queue, or put them into the processing list, each on "
          "its own:"
       << apart
       << "\nTaken and pushed in two steps, the entries exist only in this program's memory in "
          "between: a crash there loses them. Move each one with LMOVE (the entry is always in "
          "one of the two lists), or move them all inside one script.");
  REQUIRE(apart.empty());
}

TEST_CASE_METHOD(WriteTest, "a batch the database already has is finished without a second write",
                 "[task3]") {
  // As a worker leaves it when it committed, then stopped before emptying its
  // processing list: the change is in the database AND still in the list.
  copy.admin().query(
      "INSERT INTO employee_status (employee_id, status, version) VALUES (3, 'at lunch', 7)");
  client.lpush(key("writebehind:processing:w1"), "7:3:at lunch");
  const auto before = copy.writes().size();

  std::optional<std::size_t> finished;
  auto error = thrown_by([&] { finished = write_through::flush_batch(staff, "w1", 10); });

  INFO(
      "employee_status already had (3, \"at lunch\", version 7): w1 committed it, then "
      "stopped before emptying its processing list, which still holds \"7:3:at lunch\". "
      "flush_batch(\"w1\", 10) "
      << (error ? "threw: " + *error : "returned " + std::to_string(*finished)) << ".");
  {
    INFO(explained(error.value_or("")));
    REQUIRE_FALSE(error.has_value());
  }
  {
    INFO("The database wrote " << copy.writes().size() - before
                               << " row(s); expected 0: the change was applied a second time. "
                                  "Delivery is at least once, so the same change can come "
                                  "twice: the upsert must skip a row that already has this "
                                  "version (or a higher one).");
    REQUIRE(copy.writes().size() == before);
  }
  INFO("flush_batch returned " << *finished << " and w1's processing list is "
                               << show(processing("w1"))
                               << "; expected 1 and empty: the entry a worker left in its "
                                  "processing list is its next batch, and counts as finished "
                                  "once done (here: nothing to write, it is in the database "
                                  "already).");
  REQUIRE(finished == 1u);
  REQUIRE(processing("w1").empty());
}

TEST_CASE_METHOD(WriteTest, "an old change that comes after a newer one changes nothing",
                 "[task3]") {
  copy.admin().query(
      "INSERT INTO employee_status (employee_id, status, version) VALUES (3, 'in a meeting', 9)");
  client.lpush(key("writebehind:processing:w1"), "7:3:at lunch");

  auto error = thrown_by([&] { write_through::flush_batch(staff, "w1", 10); });

  INFO(
      "employee_status had (3, \"in a meeting\", version 9); w1's left-over batch held the "
      "older change \"7:3:at lunch\". flush_batch(\"w1\", 10) "
      << (error ? "threw: " + *error : "returned") << " and the row is "
      << show(copy.status_in_db(3)) << ".");
  REQUIRE_FALSE(error.has_value());
  INFO(
      "The database went back in time: an older change overwrote a newer one, because the "
      "upsert did not compare versions. Skip a row whose version is the same or higher.");
  REQUIRE(db_status(3) == "in a meeting");
  REQUIRE(db_version(3) == 9);
}

TEST_CASE_METHOD(WriteTest, "a change for an employee the database does not have is dropped",
                 "[task3]") {
  queue_change(999999, "nobody is here");
  queue_change(3000000000, "too big for an integer column");
  queue_change(2, "working from home");

  std::optional<std::size_t> finished;
  auto error = thrown_by([&] { finished = write_through::flush_batch(staff, "w1", 10); });

  INFO(
      "The queue held changes for employees 999999 and 3000000000 (neither exists) and for 2. "
      "flush_batch(\"w1\", 10) "
      << (error ? "threw: " + *error : "returned " + std::to_string(*finished))
      << "; employee 2's row is " << show(copy.status_in_db(2))
      << ". A change for an employee the database does not have can never be written: drop "
         "it. Otherwise the batch fails on it at every run, and the queue behind it stops.");
  REQUIRE_FALSE(error.has_value());
  REQUIRE(db_status(2) == "working from home");
  REQUIRE(finished == 3u);
  REQUIRE(processing("w1").empty());
}

TEST_CASE_METHOD(WriteTest, "an entry that cannot be read goes to writebehind:dead, once",
                 "[task3]") {
  const std::vector<std::string> bad{
      "garbage",
      "x:3:at lunch",
      "0:3:at lunch",
      "5:-3:at lunch",
      "5:3:",
      "5:3",
      "5: 3:at lunch",
      "99999999999999999999:3:at lunch",
      "6:3:caf\xe9 time",
      "7:3:" + std::string(write_through::max_status_bytes + 1, 'x'),
  };
  for (const auto& entry : bad) client.lpush(key("writebehind:queue"), entry);
  queue_change(2, "working from home");
  copy.fail_status_commits(true);
  auto first_error = thrown_by([&] { write_through::flush_batch(staff, "w1", 20); });
  copy.fail_status_commits(false);

  std::optional<std::size_t> finished;
  auto error = thrown_by([&] { finished = write_through::flush_batch(staff, "w1", 20); });

  auto dead = list_of(client, key("writebehind:dead"));
  std::multiset<std::string> dead_set(dead.begin(), dead.end());
  INFO("The queue held " << bad.size() << " entries that are not \"<version>:<id>:<status>\" "
                         << "and one good change (employee 2); a first run's COMMIT failed, the "
                            "next run "
                         << (error ? "threw: " + *error : "returned " + std::to_string(*finished))
                         << ". writebehind:dead holds " << dead.size()
                         << " entries: " << printable(show(dead)) << "; employee 2's row is "
                         << show(copy.status_in_db(2)) << ".");
  {
    const bool first_was_ours =
        !first_error || first_error->find("the grader made this COMMIT fail") != std::string::npos;
    INFO((first_was_ours ? std::string()
                         : "The first run did not reach the grader's failing COMMIT: it threw "
                           "\"" +
                               printable(*first_error) + "\". ")
         << "An entry that cannot be read stopped the batch: set it aside and apply the rest.");
    REQUIRE(first_was_ours);
    REQUIRE_FALSE(error.has_value());
    REQUIRE(copy.status_in_db(2).has_value());
  }
  std::string missing, twice, extra;
  for (const auto& entry : bad) {
    auto n = dead_set.count(entry);
    if (n == 0) missing += " \"" + printable(entry) + "\"";
    if (n > 1) twice += " \"" + printable(entry) + "\"";
  }
  for (const auto& entry : dead_set)
    if (std::find(bad.begin(), bad.end(), entry) == bad.end()) extra += " \"" + entry + "\"";
  {
    INFO("Not in writebehind:dead:" << missing
                                    << ". An unreadable entry must not be dropped without a "
                                       "trace: set aside in writebehind:dead, someone has to "
                                       "look at it.");
    REQUIRE(missing.empty());
  }
  {
    INFO("In writebehind:dead more than once:"
         << twice
         << ". The batch ran twice (its first COMMIT failed), and each run put the bad entries "
            "there: set them aside only once the batch is done, in the same step that empties "
            "the processing list.");
    REQUIRE(twice.empty());
  }
  {
    INFO("In writebehind:dead although they can be read:" << extra);
    REQUIRE(extra.empty());
  }
  REQUIRE(finished == bad.size() + 1);
  REQUIRE(processing("w1").empty());
}

TEST_CASE_METHOD(WriteTest,
                 "workers at once write every change once and the database ends with the newest",
                 "[task3]") {
  const int writers = 4, workers = 3, each = 50;
  std::vector<std::unique_ptr<wb::Database>> connections;
  std::vector<std::unique_ptr<Staff>> worker_staff;
  for (int w = 0; w < workers; ++w) {
    connections.push_back(copy.connect());
    worker_staff.push_back(
        std::make_unique<Staff>(Staff{*connections.back(), client, keys.prefix()}));
  }
  std::vector<std::vector<std::pair<long long, long long>>> recorded(writers);  // (version, id)
  std::vector<std::size_t> finished(workers, 0);
  std::atomic<int> writers_done{0};

  auto error = thrown_by([&] {
    grading::run_together(writers + workers, [&](int t) {
      if (t < writers) {
        for (int i = 0; i < each; ++i) {
          long long id = (t + i) % 5 + 1;
          long long v =
              queue_change(id, "writer " + std::to_string(t) + " change " + std::to_string(i));
          recorded[static_cast<std::size_t>(t)].emplace_back(v, id);
        }
        ++writers_done;
        return;
      }
      const auto w = static_cast<std::size_t>(t - writers);
      const std::string name = "worker-" + std::to_string(w);
      for (int rounds = 0; rounds < 10000; ++rounds) {
        const bool last = writers_done.load() == writers;
        std::size_t n = write_through::flush_batch(*worker_staff[w], name, 7);
        finished[w] += n;
        if (last && n == 0) break;
      }
    });
  });
  {
    INFO("While " << writers << " threads queued changes and " << workers
                  << " workers ran flush_batch at the same time, one of them threw: "
                  << error.value_or("") << "." << explained(error.value_or("")));
    REQUIRE_FALSE(error.has_value());
  }

  std::map<long long, long long> newest;  // id -> version
  for (const auto& list : recorded)
    for (const auto& [v, id] : list) newest[id] = std::max(newest[id], v);
  std::size_t total = 0;
  for (auto n : finished) total += n;
  std::map<std::pair<long long, long long>, int> applied;
  for (const auto& w : copy.writes()) ++applied[{w.employee_id, w.version}];
  std::string twice;
  for (const auto& [change, times] : applied)
    if (times > 1)
      twice += " (employee " + std::to_string(change.first) + ", version " +
               std::to_string(change.second) + ") " + std::to_string(times) + " times;";

  INFO(writers << " threads recorded " << writers * each << " changes while " << workers
               << " workers ran flush_batch(..., 7) at the same time. The workers finished "
               << total << " entries in all (expected exactly " << writers * each << ").");
  {
    INFO((total > static_cast<std::size_t>(writers * each)
              ? "More entries finished than changes recorded: two workers took the same "
                "change (read from the queue without moving it, or taken from a processing "
                "list that was not their own)."
              : "Fewer finished than recorded: changes were lost, or are still waiting."));
    REQUIRE(total == static_cast<std::size_t>(writers * each));
  }
  {
    INFO("The database wrote the same change more than once:" << twice);
    REQUIRE(twice.empty());
  }
  for (const auto& [id, version] : newest) {
    auto row = copy.status_in_db(id);
    INFO("Employee " << id << "'s row is " << show(row) << "; the newest change was version "
                     << version << ". The database must end with the last write per employee.");
    REQUIRE(row.has_value());
    REQUIRE(row->version == version);
  }
  INFO("Left behind: the queue is "
       << show(queue()) << "; the lists of the test are:" << whereabouts(client, keys, queue()));
  REQUIRE(client.exists(key("writebehind:queue")) == 0);
  for (int w = 0; w < workers; ++w) REQUIRE(processing("worker-" + std::to_string(w)).empty());
}

TEST_CASE_METHOD(WriteTest, "a status with quotes and accents is stored as it is", "[task3]") {
  const std::string status = "l'\xc3\xa9quipe \"rouge\", caf\xc3\xa9 \xe2\x98\x95";
  queue_change(3, status);

  auto error = thrown_by([&] { write_through::flush_batch(staff, "w1", 10); });

  INFO("The status was \"" << status << "\"; flush_batch "
                           << (error ? "threw: " + *error : "returned") << " and the row is "
                           << show(copy.status_in_db(3))
                           << ". A quote that breaks the statement means the status was pasted "
                              "into the SQL text: send it as a parameter.");
  REQUIRE_FALSE(error.has_value());
  REQUIRE(copy.status_in_db(3).has_value());
  REQUIRE(db_status(3) == status);
}

TEST_CASE_METHOD(WriteTest, "flush_batch refuses an empty worker name or a batch of 0", "[task3]") {
  queue_change(3, "in the office");
  for (const auto& call : std::vector<std::pair<std::string, std::size_t>>{{"", 10}, {"w1", 0}}) {
    // (Named, not a structured binding: a lambda may capture those only from C++20.)
    const std::string& worker = call.first;
    const std::size_t n = call.second;
    bool refused = false;
    auto sent = grading::dry_run([&](wb::Valkey& dry) {
      Staff s{copy.db(), dry, keys.prefix()};
      try {
        write_through::flush_batch(s, worker, n);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
    });
    INFO("flush_batch(\"" << worker << "\", " << n
                          << ") must be std::invalid_argument before any command (an empty name "
                             "would make the processing list of a worker with no name, shared "
                             "by every such worker). "
                          << (refused ? "Refused" : "Not refused") << ", after " << sent.size()
                          << " commands.");
    REQUIRE((refused && sent.empty()));
  }
  REQUIRE(queue().size() == 1);
}
