// Grader for lesson 14 - pipelining and batching.
//
// The oracle is the client's own record of what it sent: every command with
// the number of the round trip it went in (SentCommand::round_trip). The
// values are checked against plain GETs, one by one.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pipelining.hpp"
#include "workbook/grading.hpp"
#include "workbook/own_server.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace grading = wb::grading;
using pipelining::Row;
using std::chrono::milliseconds;

namespace {

// One check: when it fails, `message` is what the learner reads first, so it
// starts with the rule that was broken.
void expect(bool ok, const std::string& message) {
  INFO(message);
  REQUIRE(ok);
}

// The database the grader hands to load_many: a map, and a record of every
// call (one call is one query).
struct Database {
  std::map<std::string, std::string> rows;
  std::vector<std::vector<std::string>> calls;
  std::map<std::string, std::string> extra;  // returned although nobody asked for it

  pipelining::BatchLoader loader() {
    return [this](const std::vector<std::string>& ids) {
      calls.push_back(ids);
      std::map<std::string, std::string> found = extra;
      for (const auto& id : ids)
        if (auto it = rows.find(id); it != rows.end()) found[id] = it->second;
      return found;
    };
  }
};

std::string show(const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : "nullopt"; }

std::string show_pttl(long long pttl) {
  if (pttl == -1) return "-1 (no expiry)";
  if (pttl == -2) return "-2 (no such key)";
  return std::to_string(pttl) + " ms";
}

std::string show_ids(const std::vector<std::string>& ids, std::size_t max = 12) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size() && i < max; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > max) out += ", ... " + std::to_string(ids.size()) + " ids";
  return out + "}";
}

std::string show_calls(const Database& db) {
  if (db.calls.empty()) return "load() was not called";
  std::string out = "load() was called " + std::to_string(db.calls.size()) + " time(s):";
  for (std::size_t i = 0; i < db.calls.size() && i < 5; ++i) out += " " + show_ids(db.calls[i], 6);
  return out;
}

// What was sent, one line per round trip: "3 round trips: [MGET x1] [SET x60] ...".
std::string trips(const std::vector<wb::SentCommand>& sent) {
  std::map<std::uint64_t, std::vector<std::string>> by_trip;
  for (const auto& c : sent) by_trip[c.round_trip].push_back(c.name());
  std::ostringstream out;
  out << by_trip.size() << " round trip(s):";
  for (const auto& [trip, names] : by_trip) {
    out << " [";
    std::map<std::string, int> counts;
    std::vector<std::string> order;
    for (const auto& n : names)
      if (counts[n]++ == 0) order.push_back(n);
    for (std::size_t i = 0; i < order.size(); ++i)
      out << (i ? " " : "") << order[i] << " x" << counts[order[i]];
    out << "]";
  }
  return out.str();
}

// The keys each round trip wrote a value to (SET, MSET, SETEX, PSETEX).
std::vector<std::vector<std::string>> written_per_trip(const std::vector<wb::SentCommand>& sent) {
  std::map<std::uint64_t, std::vector<std::string>> by_trip;
  for (const auto& c : sent) {
    const std::string name = c.name();
    auto& keys = by_trip[c.round_trip];
    if ((name == "SET" || name == "SETEX" || name == "PSETEX") && c.argv.size() > 1)
      keys.push_back(c.argv[1]);
    if (name == "MSET")
      for (std::size_t i = 1; i < c.argv.size(); i += 2) keys.push_back(c.argv[i]);
  }
  std::vector<std::vector<std::string>> out;
  for (auto& [trip, keys] : by_trip)
    if (!keys.empty()) out.push_back(keys);
  return out;
}

std::size_t writes(const std::vector<wb::SentCommand>& sent) {
  std::size_t n = 0;
  for (const auto& keys : written_per_trip(sent)) n += keys.size();
  return n;
}

std::vector<std::string> numbered(const std::string& stem, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(stem + std::to_string(i));
  return ids;
}

// Milliseconds since construction, rounded up: a TTL read back is at least
// `ttl - ms()`.
class Stopwatch {
 public:
  long long ms() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
                   .count() /
               1000 +
           1;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

using wb::grading::what_was_thrown;

// "threw ..." or, when the code went on to send (the grader's dry run
// stopped it), what it tried to send.
std::string refused_or_sent(const std::string& function, const std::string& thrown,
                            const std::vector<wb::SentCommand>& sent) {
  if (sent.empty()) return function + " threw " + thrown;
  return function + " did not refuse it and went on to send " + trips(sent);
}

}  // namespace

// ---- task 1: load_many -----------------------------------------------------------------------

TEST_CASE("load_many reads every key in one round trip, and loads nothing when all are cached",
          "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  auto ids = numbered("p", 50);
  for (const auto& id : ids) client.set(keys.key(id), "cached-" + id, 60s);
  Database db;
  client.record_commands();
  auto got = pipelining::load_many(client, keys.prefix(), ids, 30s, db.loader());
  auto sent = client.recorded_commands();
  expect(grading::round_trips(sent) == 1,
         "Reading 50 cached ids must take ONE round trip (MGET, or a pipeline of GETs); "
         "load_many used " +
             trips(sent) +
             ". One command per id costs one round trip per id: "
             "at 1 ms of network each, 50 ids wait 50 ms.");
  expect(db.calls.empty(), "Nothing was missing, so load() must not be called; " + show_calls(db));
  expect(writes(sent) == 0,
         "Nothing was missing, so nothing must be written; load_many sent " + trips(sent));
  bool right = got.size() == ids.size();
  for (std::size_t i = 0; right && i < ids.size(); ++i) right = got[i] == "cached-" + ids[i];
  expect(right, "The result must hold each id's cached value, in the order of the ids.");
}

TEST_CASE("load_many loads the misses in one call and caches them in one more round trip",
          "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  // Of p0..p99: every third one cached, a few nowhere, the others in the
  // database.
  auto ids = numbered("p", 100);
  enum class Where { cache, database, nowhere };
  auto where = [](std::size_t i) {
    return i % 3 == 0 ? Where::cache : i % 7 == 0 ? Where::nowhere : Where::database;
  };
  Database db;
  std::vector<std::string> missing;
  std::size_t in_db = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (where(i) == Where::cache) client.set(keys.key(ids[i]), "cached-" + ids[i], 100s);
    if (where(i) == Where::database) {
      db.rows[ids[i]] = "db-" + ids[i];
      ++in_db;
    }
    if (where(i) != Where::cache) missing.push_back(ids[i]);
  }
  const std::string found = std::to_string(in_db);
  client.record_commands();
  Stopwatch clock;
  auto got = pipelining::load_many(client, keys.prefix(), ids, 5000ms, db.loader());
  auto sent = client.recorded_commands();
  client.record_commands(false);

  expect(db.calls.size() == 1, "All " + std::to_string(missing.size()) +
                                   " missing ids must be loaded with ONE call of load() (one "
                                   "query): " +
                                   show_calls(db) + ".");
  expect(db.calls[0] == missing,
         "load() must get every missing id once, in the order of the ids, and no cached one; it "
         "got " +
             show_ids(db.calls[0]) + ", expected " + show_ids(missing) + ".");
  expect(grading::round_trips(sent) == 2,
         "One round trip to read, one to fill the " + found +
             " values load() found: expected 2, load_many used " + trips(sent) +
             ". Filling the misses one SET at a time costs a round trip each.");
  expect(writes(sent) == in_db, "Exactly the " + found +
                                    " values load() found must be written (not the cached ones "
                                    "again, not the ids it did not find); load_many wrote " +
                                    std::to_string(writes(sent)) + " keys.");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::optional<std::string> want = where(i) == Where::cache ? "cached-" + ids[i]
                                      : where(i) == Where::database
                                          ? std::optional<std::string>("db-" + ids[i])
                                          : std::nullopt;
    expect(i < got.size() && got[i] == want,
           "The result must have one element per id, in order, as one GET per id would give: at " +
               std::to_string(i) + " (" + ids[i] + ") expected " + show(want) + ", got " +
               (i < got.size()
                    ? show(got[i])
                    : "nothing (the result has " + std::to_string(got.size()) + " elements)") +
               ".");
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string key = keys.key(ids[i]);
    long long pttl = client.pttl(key);
    long long least = 5000 - clock.ms();
    if (where(i) == Where::database)
      expect(client.get(key) == "db-" + ids[i] && pttl >= least && pttl <= 5000,
             "Every filled value must be cached with the expiry ttl (5000 ms): " + ids[i] +
                 " holds " + show(client.get(key)) + " with PTTL " + show_pttl(pttl) +
                 (pttl == -1 ? ". MSET, like a SET without PX, gives no expiry." : "."));
    if (where(i) == Where::nowhere)
      expect(client.exists(key) == 0,
             "Nothing is cached for an id load() has no value for; " + ids[i] + " was.");
    if (where(i) == Where::cache)
      expect(pttl > 90000, "A cached id must be left alone: " + ids[i] +
                               "'s expiry was changed (PTTL " + std::to_string(pttl) +
                               " ms, it had 100 s).");
  }
}

TEST_CASE("load_many answers an id given twice at both places and loads it once", "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  client.set(keys.key("a"), "cached-a", 60s);
  Database db;
  db.rows = {{"b", "db-b"}, {"c", "db-c"}};
  std::vector<std::string> ids{"b", "a", "b", "c", "a", "b"};
  client.record_commands();
  auto got = pipelining::load_many(client, keys.prefix(), ids, 30s, db.loader());
  auto sent = client.recorded_commands();
  expect(db.calls.size() == 1 && db.calls[0] == std::vector<std::string>{"b", "c"},
         "load() must get each missing id once: ids {b, a, b, c, a, b} with a cached means "
         "load({b, c}); " +
             show_calls(db) + ".");
  expect(writes(sent) == 2, "Each missing id is cached once; load_many wrote " +
                                std::to_string(writes(sent)) + " keys for b and c.");
  std::vector<std::optional<std::string>> want{"db-b", "cached-a", "db-b",
                                               "db-c", "cached-a", "db-b"};
  std::string seen;
  for (const auto& v : got) seen += " " + show(v);
  expect(got == want,
         "Every position answers its own id, the repeated ones too: expected "
         "\"db-b\" \"cached-a\" \"db-b\" \"db-c\" \"cached-a\" \"db-b\", got" +
             seen + ".");
}

TEST_CASE("load_many reads a thousand ids in one round trip", "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  auto ids = numbered("k", 1000);
  Database db;
  for (const auto& id : ids) db.rows[id] = "v" + id;
  client.record_commands();
  auto got = pipelining::load_many(client, keys.prefix(), ids, 30s, db.loader());
  auto sent = client.recorded_commands();
  expect(grading::round_trips(sent) == 2,
         "1000 ids, none cached: one round trip to read them all, one to fill them all; "
         "load_many used " +
             trips(sent) + ". A round trip is one wait for the network, whatever it carries.");
  expect(db.calls.size() == 1, "The 1000 misses must be one call of load(); " + show_calls(db));
  REQUIRE(got.size() == ids.size());
}

TEST_CASE("load_many caches nothing that was not asked for", "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  Database db;
  db.rows = {{"x", "db-x"}};
  db.extra = {{"intruder", "not asked for"}};
  auto got = pipelining::load_many(client, keys.prefix(), {"x"}, 30s, db.loader());
  expect(client.exists(keys.key("intruder")) == 0,
         "load() also returned a value for \"intruder\", which nobody asked for: it must not be "
         "cached (a loader that returns more than asked would fill the cache with what no "
         "reader wants).");
  expect(got == std::vector<std::optional<std::string>>{"db-x"s},
         "The result holds the one id asked for.");
}

TEST_CASE("load_many lets load()'s exception through and caches nothing", "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  client.record_commands();
  std::string thrown = what_was_thrown([&] {
    pipelining::load_many(
        client, keys.prefix(), {"a", "b"}, 30s,
        [](const std::vector<std::string>&) -> std::map<std::string, std::string> {
          throw std::runtime_error("database down");
        });
  });
  auto sent = client.recorded_commands();
  expect(thrown == "an exception: database down" && writes(sent) == 0,
         "load()'s exception must reach the caller with nothing cached; load_many threw " + thrown +
             " and sent " + trips(sent) + ".");
}

TEST_CASE("load_many sends nothing for no ids", "[task1]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  Database db;
  client.record_commands();
  auto got = pipelining::load_many(client, keys.prefix(), {}, 30s, db.loader());
  auto sent = client.recorded_commands();
  expect(got.empty() && sent.empty() && db.calls.empty(),
         "No ids: an empty result, no command, no call of load(); load_many sent " + trips(sent) +
             " and " + show_calls(db) + ".");
}

TEST_CASE("load_many refuses an empty id or a ttl of zero before sending anything", "[task1]") {
  Database db;
  struct Case {
    std::vector<std::string> ids;
    milliseconds ttl;
    const char* what;
  };
  for (const Case& c : {Case{{"a", "", "b"}, 30s, "an empty id"}, Case{{"a"}, 0ms, "a ttl of 0"},
                        Case{{"a"}, -1ms, "a negative ttl"}}) {
    std::string thrown;
    auto sent = grading::dry_run([&](wb::Valkey& client) {
      thrown = what_was_thrown(
          [&] { pipelining::load_many(client, "pipe:dry:", c.ids, c.ttl, db.loader()); });
    });
    expect(thrown.rfind("std::invalid_argument", 0) == 0 && sent.empty(),
           std::string(c.what) + " must throw std::invalid_argument before anything is sent; " +
               refused_or_sent("load_many", thrown, sent) + ".");
  }
  REQUIRE(db.calls.empty());
}

// ---- task 2: bulk_import ---------------------------------------------------------------------

namespace {

std::vector<Row> rows_of(const std::vector<std::string>& ids) {
  std::vector<Row> rows;
  for (const auto& id : ids) rows.push_back(Row{id, "value-" + id});
  return rows;
}

std::string sizes(const std::vector<std::vector<std::string>>& per_trip) {
  std::string out;
  for (std::size_t i = 0; i < per_trip.size() && i < 12; ++i)
    out += (i ? ", " : "") + std::to_string(per_trip[i].size());
  if (per_trip.size() > 12) out += ", ...";
  return "[" + out + "]";
}

// Runs f on a thread of its own and waits up to `limit`: a loop that never
// ends (a batch of 0 rows) must fail the test, not hang the grader. The
// inputs live in shared_ptrs the thread keeps alive.
bool finishes_within(std::chrono::milliseconds limit, std::function<void()> f) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  std::thread([f = std::move(f), done] {
    try {
      f();
    } catch (...) {
    }
    done->set_value();
  }).detach();
  return future.wait_for(limit) == std::future_status::ready;
}

}  // namespace

TEST_CASE("bulk_import writes every row with its expiry", "[task2]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  auto rows = rows_of(numbered("r", 250));
  Stopwatch clock;
  pipelining::bulk_import(client, keys.prefix(), rows, 20000ms, 100);
  for (const auto& row : rows) {
    auto value = client.get(keys.key(row.id));
    long long pttl = client.pttl(keys.key(row.id));
    long long least = 20000 - clock.ms();
    expect(value == row.value && pttl >= least && pttl <= 20000,
           "Every row must be written with the expiry ttl (20000 ms): " + row.id + " holds " +
               show(value) + " with PTTL " + show_pttl(pttl) + ".");
  }
}

TEST_CASE("bulk_import sends full batches of batch_size rows, as few round trips as needed",
          "[task2]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  for (std::size_t batch : {std::size_t{100}, std::size_t{1}, std::size_t{1000}}) {
    auto rows = rows_of(numbered("b" + std::to_string(batch) + "-", 250));
    client.record_commands();
    client.clear_recorded_commands();
    pipelining::bulk_import(client, keys.prefix(), rows, 30s, batch);
    auto sent = client.recorded_commands();
    auto per_trip = written_per_trip(sent);
    std::size_t needed = (rows.size() + batch - 1) / batch;
    bool full = per_trip.size() == needed;
    for (std::size_t i = 0; full && i < per_trip.size(); ++i)
      full = per_trip[i].size() == (i + 1 < per_trip.size() ? batch : rows.size() - batch * i);
    std::size_t biggest = 0;
    for (const auto& t : per_trip) biggest = std::max(biggest, t.size());
    expect(biggest <= batch,
           "A batch must carry at most batch_size rows: with 250 rows and batch_size " +
               std::to_string(batch) + ", bulk_import wrote " + sizes(per_trip) +
               " rows per round trip. One unbounded pipeline holds every row in memory at once, "
               "in the client and in the server.");
    expect(full, "Every batch but the last must be full: 250 rows in batches of " +
                     std::to_string(batch) + " are " + std::to_string(needed) +
                     " round trips; bulk_import wrote " + sizes(per_trip) +
                     " rows per round trip.");
  }
}

TEST_CASE("bulk_import batches are pipelines, not transactions", "[task2]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  client.record_commands();
  pipelining::bulk_import(client, keys.prefix(), rows_of(numbered("t", 30)), 30s, 10);
  auto sent = client.recorded_commands();
  expect(grading::count(sent, "MULTI") == 0 && grading::count(sent, "EXEC") == 0,
         "An import must not wrap its batches in MULTI/EXEC: the server runs a transaction's "
         "commands with no other client's in between, so every other client waits while a "
         "batch runs. bulk_import sent " +
             trips(sent) + ".");
}

TEST_CASE("bulk_import keeps the last value of an id that comes twice", "[task2]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  std::vector<Row> rows{{"a", "first"}, {"b", "only"}, {"a", "second"}, {"a", "last"}};
  pipelining::bulk_import(client, keys.prefix(), rows, 30s, 2);
  expect(client.get(keys.key("a")) == "last"s,
         "Rows are written in order, so the id given three times keeps its last value, \"last\"; "
         "it holds " +
             show(client.get(keys.key("a"))) + ".");
  REQUIRE(client.get(keys.key("b")) == "only"s);
}

TEST_CASE("bulk_import throws when the server refuses a write", "[task2]") {
  // A read-only replica of a server that is not there: it refuses every
  // write with READONLY. (A server of the grader's own: yours is never made
  // a replica.)
  wb::Valkey learners = grading::connect();
  wb::own_servers_like(learners);
  wb::OwnServer server;
  wb::Valkey client(server.url());
  client.command("REPLICAOF", "127.0.0.1", "1");
  std::string thrown = what_was_thrown(
      [&] { pipelining::bulk_import(client, "import:", rows_of(numbered("x", 20)), 30s, 10); });
  client.command("REPLICAOF", "NO", "ONE");
  expect(thrown.rfind("wb::ReplyError", 0) == 0,
         "A write the server refuses must not pass in silence: every SET of this import was "
         "refused with READONLY, and bulk_import threw " +
             thrown +
             ". exec() returns the replies without throwing; reading a refused one (get<T>(i)) "
             "throws its wb::ReplyError.");
}

TEST_CASE("bulk_import sends nothing for no rows, and refuses bad input before sending",
          "[task2]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  client.record_commands();
  pipelining::bulk_import(client, keys.prefix(), {}, 30s, 10);
  expect(client.recorded_commands().empty(), "No rows: bulk_import must send nothing; it sent " +
                                                 trips(client.recorded_commands()) + ".");
  struct Case {
    std::vector<Row> rows;
    milliseconds ttl;
    std::size_t batch;
    const char* what;
  };
  for (const Case& c : {Case{rows_of({"a", "b"}), 30s, 0, "a batch_size of 0"},
                        Case{{{"a", "1"}, {"", "2"}}, 30s, 10, "an empty id"},
                        Case{rows_of({"a"}), 0ms, 10, "a ttl of 0"}}) {
    auto thrown = std::make_shared<std::string>("nothing");
    auto sent = std::make_shared<std::vector<wb::SentCommand>>();
    bool finished = finishes_within(2s, [c, thrown, sent] {
      *sent = grading::dry_run([&](wb::Valkey& dry) {
        *thrown = what_was_thrown(
            [&] { pipelining::bulk_import(dry, "pipe:dry:", c.rows, c.ttl, c.batch); });
      });
    });
    expect(finished, std::string(c.what) +
                         " must throw std::invalid_argument at once; bulk_import had not "
                         "returned after 2 s (with batches of 0 rows, a loop never ends).");
    expect(thrown->rfind("std::invalid_argument", 0) == 0 && sent->empty(),
           std::string(c.what) + " must throw std::invalid_argument before anything is sent; " +
               refused_or_sent("bulk_import", *thrown, *sent) + ".");
  }
}

// ---- task 3: write_together ------------------------------------------------------------------

namespace {

// True when every write of `sent` is inside one MULTI ... EXEC, or is one
// EVAL: then no other client's command can come between them.
bool all_in_one_atomic_step(const std::vector<wb::SentCommand>& sent) {
  if (sent.size() == 1 && (sent[0].name() == "EVAL" || sent[0].name() == "EVALSHA")) return true;
  if (sent.size() < 3 || sent.front().name() != "MULTI" || sent.back().name() != "EXEC")
    return false;
  for (std::size_t i = 1; i + 1 < sent.size(); ++i)
    if (sent[i].name() == "MULTI" || sent[i].name() == "EXEC") return false;
  return true;
}

}  // namespace

TEST_CASE("write_together writes every row with its expiry", "[task3]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  auto rows = rows_of(numbered("w", 40));
  Stopwatch clock;
  pipelining::write_together(client, keys.prefix(), rows, 20000ms);
  for (const auto& row : rows) {
    auto value = client.get(keys.key(row.id));
    long long pttl = client.pttl(keys.key(row.id));
    long long least = 20000 - clock.ms();
    expect(value == row.value && pttl >= least && pttl <= 20000,
           "Every row must be written with the expiry ttl (20000 ms): " + row.id + " holds " +
               show(value) + " with PTTL " + show_pttl(pttl) +
               (pttl == -1 ? ". MSET alone sets no expiry." : "."));
  }
}

TEST_CASE("write_together writes in one round trip, as one atomic step", "[task3]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  client.record_commands();
  pipelining::write_together(client, keys.prefix(), rows_of(numbered("w", 20)), 30s);
  auto sent = client.recorded_commands();
  expect(grading::round_trips(sent) == 1,
         "write_together must take ONE round trip; it used " + trips(sent) +
             ". Between two round trips other clients see the first half written.");
  expect(all_in_one_atomic_step(sent),
         "The writes must be one atomic step - inside MULTI ... EXEC, or one script - so that "
         "no other client sees some new values beside old ones, or a value before its expiry. "
         "A plain pipeline is one round trip but not atomic: the server may run other clients' "
         "commands between its commands. write_together sent " +
             trips(sent) + ".");
}

TEST_CASE("write_together: a reader never sees old and new values mixed", "[task3]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  auto ids = numbered("m", 300);
  std::vector<std::string> all_keys;
  for (const auto& id : ids) all_keys.push_back(keys.key(id));
  const std::string big(2000, 'x');
  auto generation = [&](int g) {
    std::vector<Row> rows;
    for (const auto& id : ids) rows.push_back(Row{id, std::to_string(g) + big});
    return rows;
  };
  pipelining::write_together(client, keys.prefix(), generation(0), 30s);
  // A reader takes snapshots with MGET (one command: itself atomic) while
  // the writer replaces all 300 values, 20 times.
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0};
  std::atomic<int> snapshots{0};
  std::thread reader([&] {
    auto r = grading::connect();
    while (!stop) {
      std::vector<wb::OptionalString> values;
      r.mget(all_keys.begin(), all_keys.end(), std::back_inserter(values));
      std::set<char> generations;
      for (const auto& v : values)
        if (v && !v->empty()) generations.insert((*v)[0]);
      if (generations.size() > 1) ++mixed;
      ++snapshots;
    }
  });
  for (int g = 1; g <= 20; ++g)
    pipelining::write_together(client, keys.prefix(), generation(g % 10), 30s);
  stop = true;
  reader.join();
  expect(mixed == 0, "A reader's snapshot (one MGET) saw old and new values mixed " +
                         std::to_string(mixed.load()) + " times in " +
                         std::to_string(snapshots.load()) +
                         " snapshots: the writes were not one atomic step. A pipeline sends "
                         "them together, but the server may run other commands between them.");
}

TEST_CASE("write_together sends nothing for no rows, and refuses bad input before sending",
          "[task3]") {
  grading::KeyScope keys("pipe");
  auto client = grading::connect();
  client.record_commands();
  pipelining::write_together(client, keys.prefix(), {}, 30s);
  expect(client.recorded_commands().empty(),
         "No rows: write_together must send nothing (an empty MULTI ... EXEC is still a round "
         "trip); it sent " +
             trips(client.recorded_commands()) + ".");
  for (const auto& call : std::vector<std::pair<std::vector<Row>, milliseconds>>{
           {{{"a", "1"}, {"", "2"}}, 30s}, {rows_of({"a"}), 0ms}}) {
    // (Named, not a structured binding: a lambda may capture those only from C++20.)
    const std::vector<Row>& rows = call.first;
    const milliseconds ttl = call.second;
    std::string thrown;
    auto sent = grading::dry_run([&](wb::Valkey& dry) {
      thrown = what_was_thrown([&] { pipelining::write_together(dry, "pipe:dry:", rows, ttl); });
    });
    expect(thrown.rfind("std::invalid_argument", 0) == 0 && sent.empty(),
           "An empty id or a ttl of 0 must throw std::invalid_argument before anything is sent; " +
               refused_or_sent("write_together", thrown, sent) + ".");
  }
}
