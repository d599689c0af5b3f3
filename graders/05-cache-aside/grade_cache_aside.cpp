// Grader for lesson 05 - cache-aside in front of PostgreSQL (the Staff tables).
//
// Every test works on its own copy of the Staff tables (staff_copy.hpp) and
// its own keys; the query counter of the learner's wb::Database is the oracle.
#include <chrono>
#include <exception>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache_aside.hpp"
#include "staff_copy.hpp"
#include "workbook/grading.hpp"

using namespace std::string_literals;
namespace grading = wb::grading;
using cache_aside::Staff;
using cache_aside::StaffRow;
using staff_copy::StaffCopy;

namespace {

std::string show(const std::optional<std::string>& value) {
  if (!value) return "std::nullopt";
  if (*value == cache_aside::not_found_marker) return "not_found_marker";
  return "\"" + *value + "\"";
}

// What a cache key holds, for a message: its value, or that it is gone.
std::string holds(const std::optional<std::string>& value) {
  return value ? "holds " + show(value) : "is gone";
}

std::string show(const std::vector<StaffRow>& rows) {
  if (rows.empty()) return "(no rows)";
  std::string out;
  for (const auto& r : rows)
    out += "\n    " + std::to_string(r.id) + " | " + r.name + " | " + r.department + " | " +
           r.job_title;
  return out;
}

// What staff_in should answer, asked of the database directly (grader's connection).
std::vector<StaffRow> expected_staff(StaffCopy& copy, std::vector<std::string> departments) {
  std::vector<StaffRow> rows;
  for (const auto& r :
       copy.admin().query(cache_aside::staff_in_sql, nlohmann::json(departments).dump()))
    rows.push_back(StaffRow{r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(),
                            r[3].as<std::string>()});
  return rows;
}

// Newlines and tabs spelled \n and \t, for messages.
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : std::string(1, c);
  return out;
}

// The text query_key digests, built by the rules in the header.
std::string key_text(const std::string& normalized_sql, const std::vector<std::string>& params) {
  std::string text = normalized_sql;
  for (const auto& p : params) text += "\n" + std::to_string(p.size()) + ":" + p;
  return text;
}

std::string normalized(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The key staff_in must use for a set of departments (sorted, no repeats).
std::string staff_in_key(const std::string& prefix, const std::string& sorted_json) {
  return prefix + "query:" +
         staff_copy::sha256_hex(key_text(normalized(cache_aside::staff_in_sql), {sorted_json}));
}

std::vector<std::string> query_keys(const grading::KeyScope& keys) {
  std::vector<std::string> found;
  for (const auto& k : keys.keys())
    if (k.compare(0, keys.prefix().size() + 6, keys.prefix() + "query:") == 0) found.push_back(k);
  return found;
}

// A PTTL as a learner should read it: -1 and -2 are not durations.
std::string show_pttl(long long pttl) {
  if (pttl == -1) return "-1 (no expiry: it lives forever)";
  if (pttl == -2) return "-2 (the key is gone)";
  return std::to_string(pttl) + " ms";
}

// What a wrong PTTL usually means, for a copy that should live `want` (one of
// the header's TTLs): no TTL at all, or another kind of copy's TTL.
std::string ttl_mistake(long long pttl, std::chrono::milliseconds want, const std::string& what) {
  auto near = [&](std::chrono::milliseconds ttl) {
    return ttl != want && pttl > ttl.count() * 9 / 10 && pttl <= ttl.count();
  };
  if (pttl == -1)
    return what + " has no TTL at all (-1): it would be served forever, long after the " +
           "database changed. Give it its TTL in the same command that writes it.";
  if (pttl == -2) return what + " is not in the cache at all (-2).";
  if (near(cache_aside::name_ttl))
    return "That is name_ttl (30 s), the names' TTL: " + what + " has its own.";
  if (near(cache_aside::query_ttl))
    return "That is query_ttl (120 s), the query results' TTL: " + what + " has its own.";
  if (near(cache_aside::not_found_ttl))
    return "That is not_found_ttl (5 s), the not-found marker's TTL: " + what + " has its own.";
  return "That is none of name_ttl, not_found_ttl and query_ttl: is the TTL sent in the wrong "
         "unit (seconds where the command takes milliseconds, or the other way round)?";
}

bool is_expiry(const wb::SentCommand& c) {
  return c.name() == "EXPIRE" || c.name() == "PEXPIRE" || c.name() == "EXPIREAT" ||
         c.name() == "PEXPIREAT";
}

// staff_in over a cached entry that is damaged as `damage` says: an
// exception fails the test with what it usually means, not a bare e.what().
std::vector<StaffRow> staff_in_on_damaged(cache_aside::Staff& staff,
                                          std::vector<std::string> departments,
                                          const std::string& damage) {
  try {
    return cache_aside::staff_in(staff, std::move(departments));
  } catch (const wb::NotImplemented&) {
    throw;
  } catch (const std::exception& e) {
    FAIL("With the cached result damaged ("
         << damage << "), staff_in threw: " << e.what()
         << ". A cache entry that cannot be read is a miss: ask the database and cache the "
            "answer again. Parse numbers with std::from_chars (std::stoll throws on \"lots\") "
            "and check every field exists.");
  }
  return {};
}

}  // namespace

// What most tests start with: a private copy of the tables, a key scope, a
// client (shared by threads: each call borrows its own connection), and the
// Staff the learner's functions receive.
struct StaffTest {
  StaffCopy copy;
  grading::KeyScope keys{"cache-aside"};
  wb::Valkey client = grading::connect();
  Staff staff{copy.db(), client, keys.prefix()};
};

// ---- task 1: employee_name ----------------------------------------------------------

TEST_CASE_METHOD(StaffTest, "employee_name reads the name from the database on a miss", "[task1]") {
  auto name = cache_aside::employee_name(staff, 3);

  INFO("employee_name(3) returned "
       << show(name) << " after " << copy.db().query_count()
       << " database queries; the database says \"" << copy.name_in_db(3)
       << "\". On a miss, "
          "read employees.name by id: SELECT name FROM employees WHERE id = $1.");
  REQUIRE(name == copy.name_in_db(3));
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest, "100 reads of the same id make exactly one query", "[task1]") {
  for (int i = 0; i < 100; ++i) cache_aside::employee_name(staff, 2);

  INFO("100 calls of employee_name(2) made "
       << copy.db().query_count()
       << " database queries; "
          "expected 1: the first read misses and fills the cache, the other 99 are hits. Does "
          "employee_name look in the cache (GET employee:<id>) before asking the database, and "
          "store what it read?");
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest, "the name is cached under employee:<id> for 30 seconds", "[task1]") {
  const std::string key = keys.key("employee:4");

  cache_aside::employee_name(staff, 4);

  auto stored = client.get(key);
  long long pttl = client.pttl(key);
  INFO("After employee_name(4), GET employee:4 gave " << show(stored) << " with PTTL "
                                                      << show_pttl(pttl) << ".");
  REQUIRE(stored == copy.name_in_db(4));
  INFO("Expected a TTL just under 30000 ms (name_ttl). "
       << ttl_mistake(pttl, cache_aside::name_ttl, "the cached name"));
  REQUIRE(pttl > 27000);
  REQUIRE(pttl <= 30000);
}

TEST_CASE_METHOD(StaffTest, "the name and its expiry are written in one command", "[task1]") {
  client.workbook_record_commands();

  cache_aside::employee_name(staff, 4);

  auto sent = client.workbook_recorded_commands();
  auto sets = grading::only(sent, "SET");
  bool with_expiry =
      sets.size() == 1 && (grading::has_arg(sets[0], "EX") || grading::has_arg(sets[0], "PX"));
  INFO("employee_name sent:\n" << grading::describe(sent));
  INFO(
      "SET then EXPIRE is two commands: if the program stops in between, the name stays "
      "cached forever. SET key name EX 30 (the client's set(key, name, ttl)) does both at once.");
  REQUIRE(with_expiry);
  REQUIRE(grading::count(sent, "EXPIRE") + grading::count(sent, "PEXPIRE") == 0);
}

TEST_CASE_METHOD(StaffTest, "a cached name is served without asking the database", "[task1]") {
  client.set(keys.key("employee:1"), "Name From The Cache", std::chrono::seconds(30));

  auto name = cache_aside::employee_name(staff, 1);

  INFO("employee:1 is cached as \"Name From The Cache\"; employee_name(1) returned "
       << show(name) << " after " << copy.db().query_count()
       << " queries. A hit answers from the cache "
          "and leaves the database alone (expected 0 queries).");
  REQUIRE(name == "Name From The Cache"s);
  REQUIRE(copy.db().query_count() == 0);
}

TEST_CASE_METHOD(StaffTest, "a missing employee reaches the database once, then the cache answers",
                 "[task1]") {
  auto first = cache_aside::employee_name(staff, 999999);
  auto second = cache_aside::employee_name(staff, 999999);
  auto third = cache_aside::employee_name(staff, 999999);

  INFO("Three reads of employee 999999 (there is none) returned "
       << show(first) << ", " << show(second) << ", " << show(third) << " and made "
       << copy.db().query_count()
       << " queries; expected std::nullopt each time and 1 query. Not caching \"not found\" "
          "lets anyone flood the database with ids that do not exist (cache penetration): "
          "store not_found_marker under employee:<id>.");
  CHECK_FALSE(first.has_value());
  CHECK_FALSE(second.has_value());
  CHECK_FALSE(third.has_value());
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest, "a not-found is cached briefly: 5 seconds", "[task1]") {
  const std::string key = keys.key("employee:999999");

  cache_aside::employee_name(staff, 999999);

  auto stored = client.get(key);
  long long pttl = client.pttl(key);
  INFO("After employee_name(999999), employee:999999 holds "
       << show(stored) << " with PTTL " << show_pttl(pttl)
       << ". Expected not_found_marker with a TTL just under 5000 ms "
          "(not_found_ttl): short, because the employee may be created any moment, and "
          "until the marker expires readers are told there is none.");
  bool is_marker = stored && *stored == cache_aside::not_found_marker;
  INFO((stored && stored->empty()
            ? "It holds an empty string: the literal \"\\0not-found\" made into a std::string "
              "stops at its first byte, the NUL, and an empty name is not a marker no name can "
              "be. Store not_found_marker itself (a std::string_view of all 10 bytes)."
            : ""));
  REQUIRE(is_marker);
  INFO(ttl_mistake(pttl, cache_aside::not_found_ttl, "the not-found marker"));
  REQUIRE(pttl > 3000);
  REQUIRE(pttl <= 5000);
}

TEST_CASE_METHOD(StaffTest, "8 threads reading at once after the first read make no more queries",
                 "[task1]") {
  const std::string expected = copy.name_in_db(5);
  cache_aside::employee_name(staff, 5);
  std::vector<int> wrong(8, 0);

  grading::run_together(8, [&](int t) {
    for (int i = 0; i < 50; ++i)
      if (cache_aside::employee_name(staff, 5) != expected) ++wrong[static_cast<std::size_t>(t)];
  });

  int wrong_total = 0;
  for (int w : wrong) wrong_total += w;
  INFO("After one warm-up read, 8 threads read employee 5 fifty times each: "
       << copy.db().query_count() << " queries in all (expected 1) and " << wrong_total
       << " wrong answers (expected 0).");
  CHECK(wrong_total == 0);
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest, "employee_name refuses an id below 1 without asking anyone",
                 "[task1]") {
  client.workbook_record_commands();

  INFO("Ids start at 1: 0 and -7 must throw std::invalid_argument before any query or command.");
  CHECK_THROWS_AS(cache_aside::employee_name(staff, 0), std::invalid_argument);
  CHECK_THROWS_AS(cache_aside::employee_name(staff, -7), std::invalid_argument);
  CHECK(client.workbook_recorded_commands().empty());
  REQUIRE(copy.db().query_count() == 0);
}

// ---- task 2: query_key ----------------------------------------------------------------

TEST_CASE("query_key is the prefix, \"query:\" and 64 lower-case hex digits", "[task2]") {
  const std::string key = cache_aside::query_key("p:", "SELECT name FROM employees", {});
  const std::string tail = key.size() > 8 ? key.substr(8) : "";
  bool hex = tail.size() == 64 && tail.find_first_not_of("0123456789abcdef") == std::string::npos;
  INFO("query_key(\"p:\", \"SELECT name FROM employees\", {}) returned \""
       << key
       << "\". "
          "Expected \"p:query:\" and the 64 hex digits of a SHA-256 digest. A number of up to 20 "
          "digits is usually std::hash: it is not a cache key, because its value may change "
          "with the compiler, the standard library or the run (and it collides far more often).");
  REQUIRE(key.rfind("p:query:", 0) == 0);
  REQUIRE(hex);
}

TEST_CASE("query_key ignores how the SQL is spread over lines", "[task2]") {
  const auto one_line =
      cache_aside::query_key("p:", "SELECT name FROM employees WHERE id = $1", {"3"});
  const auto spread = cache_aside::query_key(
      "p:", "\n  SELECT name\n\t FROM employees\r\n  WHERE id = $1  \n", {"3"});
  INFO("The same query on one line gave \""
       << one_line << "\", spread over lines \"" << spread
       << "\". Without normalising the white space, two places that write the same query "
          "differently never share a cached result.");
  REQUIRE(one_line == spread);
}

TEST_CASE("query_key keeps parameters apart", "[task2]") {
  const std::string sql = "SELECT $1, $2";
  const auto ab_c = cache_aside::query_key("p:", sql, {"ab", "c"});
  const auto a_bc = cache_aside::query_key("p:", sql, {"a", "bc"});
  const auto three =
      cache_aside::query_key("p:", "SELECT name FROM employees WHERE id = $1", {"3"});
  const auto four = cache_aside::query_key("p:", "SELECT name FROM employees WHERE id = $1", {"4"});
  INFO("{\"ab\", \"c\"} gave \""
       << ab_c << "\" and {\"a\", \"bc\"} gave \"" << a_bc
       << "\". "
          "Pasting the parameters together makes both \"abc\": two different questions would "
          "share one cached answer. Put each parameter's length in front of it.");
  CHECK(ab_c != a_bc);
  {
    INFO("Parameters 3 and 4 gave the same key: the parameters must be part of the digest.");
    CHECK(three != four);
  }
}

TEST_CASE("query_key is the SHA-256 of the text the contract describes", "[task2]") {
  struct Case {
    std::string sql;
    std::vector<std::string> params;
    std::string text;
  };
  const std::vector<Case> cases{
      {" SELECT  1 ", {"ab"}, "SELECT 1\n2:ab"},
      {"SELECT name FROM employees WHERE id = $1",
       {"3"},
       "SELECT name FROM employees WHERE id = $1\n1:3"},
      {"SELECT\t1", {}, "SELECT 1"},
      {"SELECT $1, $2", {"caf\xc3\xa9", ""}, "SELECT $1, $2\n5:caf\xc3\xa9\n0:"},
  };
  for (const auto& c : cases) {
    const std::string expected = "k:query:" + staff_copy::sha256_hex(c.text);
    const std::string got = cache_aside::query_key("k:", c.sql, c.params);
    INFO("For SQL \""
         << escaped(c.sql) << "\" with " << c.params.size()
         << " parameter(s), "
            "the text to digest is \""
         << escaped(c.text) << "\", whose SHA-256 makes \"" << expected
         << "\"; query_key returned \"" << got
         << "\". Check the normalisation, the "
            "\\n<length>:<value> per parameter, and that you hex-encode all 32 bytes, two "
            "lower-case digits each.");
    REQUIRE(got == expected);
  }
}

TEST_CASE("query_key refuses an SQL text of only white space", "[task2]") {
  INFO("An SQL text that is empty after normalising is a bug: std::invalid_argument.");
  CHECK_THROWS_AS(cache_aside::query_key("p:", "", {}), std::invalid_argument);
  REQUIRE_THROWS_AS(cache_aside::query_key("p:", " \n\t ", {"1"}), std::invalid_argument);
}

// ---- task 3: staff_in ---------------------------------------------------------------------

TEST_CASE_METHOD(StaffTest, "staff_in returns the staff of the departments, ordered by id",
                 "[task3]") {
  auto rows = cache_aside::staff_in(staff, {"Sales", "Engineering"});

  auto expected = expected_staff(copy, {"Engineering", "Sales"});
  INFO("staff_in({\"Sales\", \"Engineering\"}) returned:"
       << show(rows) << "\nexpected:" << show(expected)
       << "\nRun staff_in_sql with one parameter, the JSON array of the "
          "departments.");
  REQUIRE(rows == expected);
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest, "a second staff_in for the same departments is served from the cache",
                 "[task3]") {
  auto first = cache_aside::staff_in(staff, {"Engineering"});
  auto second = cache_aside::staff_in(staff, {"Engineering"});

  INFO("Two calls of staff_in({\"Engineering\"}) made "
       << copy.db().query_count() << " queries (expected 1); the second returned:" << show(second)
       << "\nthe first:" << show(first));
  REQUIRE(second == first);
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest,
                 "the same departments in another order, or repeated, share one cached result",
                 "[task3]") {
  cache_aside::staff_in(staff, {"Sales", "Finance"});
  auto swapped = cache_aside::staff_in(staff, {"Finance", "Sales"});
  auto repeated = cache_aside::staff_in(staff, {"Sales", "Finance", "Sales"});

  INFO(
      "{Sales, Finance}, {Finance, Sales} and {Sales, Finance, Sales} are one question; "
      "they made "
      << copy.db().query_count() << " queries and left " << query_keys(keys).size()
      << " cached results (expected 1 and 1). Sort the departments and drop repeats before "
         "they go into the key.");
  REQUIRE(swapped == expected_staff(copy, {"Finance", "Sales"}));
  REQUIRE(repeated == swapped);
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(
    StaffTest,
    "the result is cached as a hash under query_key of the SQL and the sorted departments",
    "[task3]") {
  auto rows = cache_aside::staff_in(staff, {"Sales", "Engineering"});

  const std::string key = staff_in_key(keys.prefix(), R"(["Engineering","Sales"])");
  std::map<std::string, std::string> fields;
  client.hgetall(key, std::inserter(fields, fields.end()));
  INFO(
      "Expected a hash at query:<digest>, the digest of staff_in_sql with the parameter "
      "[\"Engineering\",\"Sales\"] (query_key's rules); TYPE of that key is "
      << client.type(key) << ".");
  REQUIRE(client.type(key) == "hash");
  INFO("Its count field is \"" << fields["count"] << "\", expected \"" << rows.size()
                               << "\"; row 0's name is \"" << fields["0:name"] << "\".");
  REQUIRE(fields["count"] == std::to_string(rows.size()));
  REQUIRE(fields["0:name"] == rows.at(0).name);
  REQUIRE(fields["0:id"] == std::to_string(rows.at(0).id));
}

TEST_CASE_METHOD(StaffTest, "a query result expires after 120 seconds", "[task3]") {
  cache_aside::staff_in(staff, {"Finance"});

  auto found = query_keys(keys);
  REQUIRE(found.size() == 1);
  long long pttl = client.pttl(found[0]);
  INFO("The cached result's PTTL is "
       << show_pttl(pttl) << "; expected just under 120000 (query_ttl). "
       << ttl_mistake(pttl, cache_aside::query_ttl, "a cached query result")
       << (pttl == -1 ? " A rename would be the only thing that ever removes it, and every other "
                        "change to the tables would be missed forever."
                      : ""));
  REQUIRE(pttl > 117000);
  REQUIRE(pttl <= 120000);
}

TEST_CASE_METHOD(StaffTest, "the result and its expiry are written in one round trip", "[task3]") {
  client.workbook_record_commands();

  cache_aside::staff_in(staff, {"Finance"});

  auto sent = client.workbook_recorded_commands();
  auto hsets = grading::only(sent, "HSET");
  bool same_trip = false;
  for (const auto& h : hsets)
    for (const auto& c : sent)
      if (is_expiry(c) && c.argv.size() > 1 && c.argv[1] == h.argv[1] &&
          c.round_trip == h.round_trip)
        same_trip = true;
  INFO("staff_in sent:\n" << grading::describe(sent));
  INFO(
      "The HSET of the result and the EXPIRE of its key must travel together (MULTI ... EXEC "
      "with the client's transaction()): sent apart, a crash in between leaves a result that "
      "never expires.");
  REQUIRE(same_trip);
}

TEST_CASE_METHOD(StaffTest,
                 "each employee in a result lists it in employee:<id>:queries, with an expiry",
                 "[task3]") {
  auto rows = cache_aside::staff_in(staff, {"Engineering"});

  auto found = query_keys(keys);
  REQUIRE(found.size() == 1);
  for (const auto& row : rows) {
    const std::string index = keys.key("employee:" + std::to_string(row.id) + ":queries");
    bool listed = client.sismember(index, found[0]);
    long long pttl = client.pttl(index);
    INFO("employee:"
         << row.id << ":queries " << (listed ? "lists" : "does not list")
         << " the cached result, PTTL " << show_pttl(pttl) << ". A rename of employee " << row.id
         << " finds the results to delete through this set; give it query_ttl too, or it "
            "outlives everything it points to.");
    CHECK(listed);
    CHECK(pttl > 0);
    CHECK(pttl <= 120000);
  }
}

TEST_CASE_METHOD(StaffTest, "a miss replaces what the key held: no field of an older entry is left",
                 "[task3]") {
  const auto expected = expected_staff(copy, {"Finance"});
  // An older, damaged entry under the very key staff_in uses: unreadable
  // (count is not a number), with a field of a row the new result lacks.
  const std::string key = staff_in_key(keys.prefix(), nlohmann::json({"Finance"}).dump());
  client.hset(key, {std::make_pair("count", "lots"), std::make_pair("7:name", "Left Over")});
  client.pexpire(key, std::chrono::milliseconds(60000));

  auto rows = staff_in_on_damaged(staff, {"Finance"}, "count is \"lots\", and a field 7:name");
  std::map<std::string, std::string> fields;
  client.hgetall(key, std::inserter(fields, fields.end()));
  std::string listed;
  for (const auto& [field, value] : fields) listed += " " + field;
  INFO(
      "query:<digest> held an older entry (count \"lots\" and a field 7:name); after staff_in "
      "the hash has the fields:"
      << listed << "\nExpected count and the four fields of each of the " << expected.size()
      << " rows, nothing else. HSET only adds and overwrites fields: the older entry's 7:name is "
         "still there. Delete the key first, in the same transaction as the HSET, so the result "
         "replaces everything that was there.");
  CHECK(rows == expected);
  REQUIRE(fields.count("7:name") == 0);
  REQUIRE(fields.size() == 1 + 4 * expected.size());
}

TEST_CASE_METHOD(StaffTest, "an empty result is cached too", "[task3]") {
  auto first = cache_aside::staff_in(staff, {"Astronomy"});
  auto second = cache_aside::staff_in(staff, {"Astronomy"});

  INFO("Nobody works in Astronomy. Two calls returned "
       << first.size() << " and " << second.size() << " rows and made " << copy.db().query_count()
       << " queries "
          "(expected 0, 0 and 1). \"Nobody\" is an answer worth caching: count \"0\".");
  CHECK(first.empty());
  CHECK(second.empty());
  REQUIRE(copy.db().query_count() == 1);
}

TEST_CASE_METHOD(StaffTest, "a cached result that cannot be read back is a miss, not an exception",
                 "[task3]") {
  const auto expected = expected_staff(copy, {"Engineering"});
  cache_aside::staff_in(staff, {"Engineering"});
  auto found = query_keys(keys);
  REQUIRE(found.size() == 1);

  struct Damage {
    const char* what;
    std::vector<std::pair<std::string, std::string>> set;
    const char* removed;
  };
  const std::vector<Damage> damages{
      {"count is \"lots\"", {{"count", "lots"}}, nullptr},
      {"0:name is missing", {}, "0:name"},
      {"1:id is \"two\"", {{"1:id", "two"}}, nullptr},
      {"count is \"9\" (more rows than stored)", {{"count", "9"}}, nullptr}};
  for (const auto& damage : damages) {
    cache_aside::staff_in(staff, {"Engineering"});  // whole again
    for (const auto& [field, value] : damage.set) client.hset(found[0], field, value);
    if (damage.removed) client.hdel(found[0], damage.removed);
    const auto queries_before = copy.db().query_count();

    auto rows = staff_in_on_damaged(staff, {"Engineering"}, damage.what);
    INFO("With the cached result damaged ("
         << damage.what << "), staff_in returned:" << show(rows) << "\nafter "
         << copy.db().query_count() - queries_before
         << " new queries; expected the real rows, read again from the database (1 query).");
    CHECK(rows == expected);
    REQUIRE(copy.db().query_count() == queries_before + 1);
  }
}

TEST_CASE_METHOD(StaffTest, "a department name cannot change the query (SQL injection)",
                 "[task3]") {
  const std::string evil = "x') OR ('a' = 'a";

  std::vector<StaffRow> rows;
  try {
    rows = cache_aside::staff_in(staff, {evil});
  } catch (const wb::NotImplemented&) {
    throw;
  } catch (const std::exception& e) {
    FAIL(
        "staff_in({\"" << evil << "\"}) threw: " << e.what()
                       << ". The department name ended "
                          "up inside the SQL text. Pass it as a parameter ($1), never by pasting.");
  }
  INFO("staff_in({\""
       << evil << "\"}) returned:" << show(rows)
       << "\nNo department has that "
          "name, so the answer is no rows. Rows mean the name was pasted into the SQL and "
          "rewrote the WHERE clause: SQL injection. Send it as the parameter $1.");
  REQUIRE(rows.empty());
}

TEST_CASE_METHOD(StaffTest, "staff_in refuses an empty list of departments", "[task3]") {
  INFO("No department at all is a caller's bug: std::invalid_argument, before any query.");
  REQUIRE_THROWS_AS(cache_aside::staff_in(staff, {}), std::invalid_argument);
  REQUIRE(copy.db().query_count() == 0);
}

// ---- task 4: rename_employee -----------------------------------------------------------

TEST_CASE_METHOD(StaffTest, "rename_employee changes the name in the database", "[task4]") {
  bool renamed = cache_aside::rename_employee(staff, 3, "Chloe Brown");

  INFO("rename_employee(3, \"Chloe Brown\") returned "
       << std::boolalpha << renamed << "; the database now says \"" << copy.name_in_db(3)
       << "\". The database is the "
          "truth: UPDATE employees SET name = $1 WHERE id = $2.");
  CHECK(renamed);
  REQUIRE(copy.name_in_db(3) == "Chloe Brown");
}

TEST_CASE_METHOD(StaffTest, "a read after a rename returns the new name", "[task4]") {
  const std::string old_name = copy.name_in_db(3);
  cache_aside::employee_name(staff, 3);

  cache_aside::rename_employee(staff, 3, "Chloe Brown");
  auto after = cache_aside::employee_name(staff, 3);

  INFO("employee_name(3) was cached as \""
       << old_name
       << "\"; after rename_employee(3, \"Chloe "
          "Brown\") it returned "
       << show(after)
       << ". A stale read: the rename changed the "
          "database but left the cached copy, which is served until its TTL runs out. Delete "
          "employee:<id> after the UPDATE.");
  REQUIRE(after == "Chloe Brown"s);
}

TEST_CASE_METHOD(StaffTest, "a rename removes the cached results that mention the employee",
                 "[task4]") {
  cache_aside::staff_in(staff, {"Finance"});

  cache_aside::rename_employee(staff, 3, "Chloe Brown");
  const bool index_left = client.exists(keys.key("employee:3:queries")) == 1;
  auto after = cache_aside::staff_in(staff, {"Finance"});

  INFO(
      "staff_in({\"Finance\"}) was cached with employee 3; after renaming 3 to Chloe Brown it "
      "returned:"
      << show(after)
      << "\nThe cached query result still has the old name. A "
         "rename must also delete every result listed in employee:<id>:queries.");
  REQUIRE(after == expected_staff(copy, {"Finance"}));
  INFO(
      "After the rename, employee:3:queries was still there: it lists results the rename "
      "deleted. The rename deletes that set itself too, with the copies it lists.");
  REQUIRE_FALSE(index_left);
}

TEST_CASE_METHOD(StaffTest, "a rename keeps the cached results that do not mention the employee",
                 "[task4]") {
  cache_aside::staff_in(staff, {"Finance"});
  cache_aside::staff_in(staff, {"Marketing"});
  cache_aside::employee_name(staff, 5);
  const auto before = copy.db().query_count();

  cache_aside::rename_employee(staff, 3, "Chloe Brown");
  cache_aside::staff_in(staff, {"Marketing"});
  cache_aside::employee_name(staff, 5);

  const auto extra = copy.db().query_count() - before;
  INFO(
      "After renaming employee 3 (Finance), reading the cached Marketing result and employee "
      "5's name made "
      << extra - 1
      << " queries besides the UPDATE (expected 0). Deleting "
         "every cached result on every write empties the cache whenever anything changes; delete "
         "only what mentions the employee.");
  REQUIRE(extra == 1);
}

TEST_CASE_METHOD(StaffTest, "rename deletes the copies only after the database has the new name",
                 "[task4]") {
  auto reader_db = copy.connect();
  Staff reader{*reader_db, client, keys.prefix()};
  const std::string old_name = copy.name_in_db(3);
  cache_aside::employee_name(staff, 3);

  // Hold the rename's COMMIT back, read while it waits, then let it go.
  std::exception_ptr failure;
  bool waited = false;
  std::optional<std::string> read_meanwhile;
  {
    StaffCopy::Gate gate(copy);
    std::thread renamer([&] {
      try {
        cache_aside::rename_employee(staff, 3, "Chloe Brown");
      } catch (...) {
        failure = std::current_exception();
      }
    });
    waited = gate.someone_waits(std::chrono::seconds(5));
    if (waited) read_meanwhile = cache_aside::employee_name(reader, 3);
    gate.open();
    renamer.join();
  }
  if (failure) std::rethrow_exception(failure);
  {
    INFO(
        "rename_employee(3, ...) never reached the COMMIT of an UPDATE of employees: it must "
        "change the database.");
    REQUIRE(waited);
  }

  auto after = cache_aside::employee_name(staff, 3);
  INFO("While the rename's UPDATE waited to commit, another reader asked for employee 3 and got "
       << show(read_meanwhile)
       << " (the old name, correct at that moment). After the rename "
          "finished, employee_name(3) returned "
       << show(after)
       << ". The rename deleted the "
          "cached name BEFORE its UPDATE committed: the reader in between missed, read the old "
          "name from the database and cached it again, for 30 seconds. Delete the copies after "
          "the database write has committed.");
  REQUIRE(after == "Chloe Brown"s);
}

TEST_CASE_METHOD(StaffTest, "a name with a quote is stored as it is (parameterised SQL)",
                 "[task4]") {
  const std::string name = "Chloe O'Neill";

  try {
    cache_aside::rename_employee(staff, 3, name);
  } catch (const wb::NotImplemented&) {
    throw;
  } catch (const std::exception& e) {
    FAIL("rename_employee(3, \""
         << name << "\") threw: " << e.what()
         << ". The quote ended the "
            "SQL string early: the name was pasted into the SQL text. A name like "
            "\"x'; DROP TABLE employees; --\" would run as SQL. Pass it as a parameter ($1).");
  }
  INFO("The database says \"" << copy.name_in_db(3) << "\", expected \"" << name << "\".");
  REQUIRE(copy.name_in_db(3) == name);
}

TEST_CASE_METHOD(StaffTest, "renaming a missing employee returns false and changes nothing",
                 "[task4]") {
  cache_aside::employee_name(staff, 999999);  // caches the not-found marker

  bool renamed = cache_aside::rename_employee(staff, 999999, "Nobody");

  {
    // Its own scope: a failure below is about the marker, and must not be
    // summed up by this line.
    INFO("rename_employee(999999, ...) returned "
         << std::boolalpha << renamed
         << "; there is no "
            "such employee, so the UPDATE changed no row: return false.");
    REQUIRE_FALSE(renamed);
  }
  auto marker = client.get(keys.key("employee:999999"));
  INFO("employee:999999 held the not-found marker; after the refused rename it "
       << holds(marker)
       << ". A rename that changed no row changes nothing: check the UPDATE's affected rows "
          "before deleting any cached copy.");
  REQUIRE((marker && *marker == cache_aside::not_found_marker));
}

TEST_CASE_METHOD(StaffTest, "rename_employee refuses an empty name or an id below 1", "[task4]") {
  INFO("An empty name and an id below 1 must throw std::invalid_argument before any query.");
  CHECK_THROWS_AS(cache_aside::rename_employee(staff, 3, ""), std::invalid_argument);
  CHECK_THROWS_AS(cache_aside::rename_employee(staff, 0, "Zero"), std::invalid_argument);
  REQUIRE(copy.db().query_count() == 0);
  REQUIRE(copy.name_in_db(3) != "");
}
