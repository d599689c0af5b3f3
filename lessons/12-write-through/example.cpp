// Lesson 12 example: write-through and write-behind over the Staff tables.
// A rename written through (the database first, a version to keep the newest
// in the cache), a list as a queue and what a crash of its worker loses (BRPOP)
// or keeps (BLMOVE into a processing list), write-behind with batches,
// coalescing and an idempotent upsert, and, on servers of its own that it
// kills, how many queued changes survive with and without persistence. Run it
// with `make example-12`.
//
// It works on TEMPORARY copies of the tables (they vanish when the example's
// database session ends), so the shared tables are never changed. Every key it
// writes on your server starts with "example:12:" and is deleted at the end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "workbook/example.hpp"
#include "workbook/measure.hpp"
#include "workbook/own_server.hpp"
#include "workbook/postgres.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;

namespace {

const std::string prefix = "example:12:";

// The cache side of a rename: write {name, version} unless the entry already
// has this version or a newer one. 1: written, 0: kept.
const char* write_if_newer = R"lua(
  local current = nil
  if redis.call('TYPE', KEYS[1]).ok == 'hash' then
    current = tonumber(redis.call('HGET', KEYS[1], 'version'))
  end
  if current and current >= tonumber(ARGV[2]) then return 0 end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'version', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 30000)
  return 1
)lua";

// A write-behind change: numbered, queued and cached in one atomic step.
const char* record = R"lua(
  local version = redis.call('INCR', KEYS[1])
  redis.call('LPUSH', KEYS[2], string.format('%d', version) .. ':' .. ARGV[1] .. ':' .. ARGV[2])
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'status', ARGV[2], 'version', version)
  redis.call('PEXPIRE', KEYS[3], 300000)
  return version
)lua";

const char* upsert = R"sql(
  INSERT INTO employee_status (employee_id, status, version)
  SELECT c.id, c.status, c.version
    FROM jsonb_to_recordset($1::jsonb) AS c(id bigint, status text, version bigint)
    JOIN employees e ON e.id = c.id
   ORDER BY c.id
  ON CONFLICT (employee_id) DO UPDATE
     SET status = EXCLUDED.status, version = EXCLUDED.version
   WHERE employee_status.version < EXCLUDED.version
)sql";

std::string show_hash(wb::Valkey& cache, const std::string& key) {
  std::map<std::string, std::string> fields;
  cache.hgetall(key, std::inserter(fields, fields.end()));
  std::string out;
  for (const auto& [f, v] : fields) out += (out.empty() ? "" : ", ") + f + ": " + v;
  return "{" + out + "}";
}

struct Change {
  long long version = 0;
  long long id = 0;
  std::string status;
};

// "<version>:<id>:<status>" back into a change (the example's own entries
// are always well formed).
Change read_change(const std::string& entry) {
  auto first = entry.find(':'), second = entry.find(':', first + 1);
  return Change{std::stoll(entry.substr(0, first)),
                std::stoll(entry.substr(first + 1, second - first - 1)), entry.substr(second + 1)};
}

// Writes a batch: the newest change per employee, one statement, one COMMIT.
// Returns the rows the database changed.
long long write_batch(wb::Database& db, const std::vector<std::string>& batch) {
  std::map<long long, Change> newest;
  for (const auto& entry : batch) {
    Change c = read_change(entry);
    if (c.version > newest[c.id].version) newest[c.id] = c;
  }
  auto rows = nlohmann::json::array();
  for (const auto& [id, c] : newest)
    rows.push_back({{"id", id}, {"status", c.status}, {"version", c.version}});
  return static_cast<long long>(db.query(upsert, rows.dump()).affected_rows());
}

void part_write_through(wb::Valkey& cache, wb::Database& db) {
  std::cout << "1. Write-through: the database first, then the cache\n";
  const std::string key = prefix + "employee:3";
  auto rows =
      db.query("UPDATE employees SET name = $1 WHERE id = $2 RETURNING nextval('name_versions')",
               "Chloe Brown", 3);
  const std::string version = rows[0][0].c_str();
  std::cout << "    UPDATE employees ... RETURNING nextval('name_versions') -> version " << version
            << ", committed\n";
  long long wrote = cache.eval<long long>(write_if_newer, {key}, {"Chloe Brown", version});
  std::cout << "    then the cache: script answered " << wrote
            << " -> employee:3 = " << show_hash(cache, key) << ", PTTL " << cache.pttl(key)
            << " ms\n";
  wrote = cache.eval<long long>(write_if_newer, {key}, {"Chloe Nguyen", "0"});
  std::cout << "    an older rename (version 0) that reaches the cache late: script answered "
            << wrote << " -> still " << show_hash(cache, key) << "\n";

  // The copy of employees refuses names over 40 characters (a CHECK the
  // example added): a database write that fails.
  const std::string too_long(45, 'x');
  std::cout << "    a rename the database refuses (45 characters, the copy allows 40):\n";
  try {
    db.query("UPDATE employees SET name = $1 WHERE id = $2 RETURNING nextval('name_versions')",
             too_long, 3);
  } catch (const std::exception&) {
    std::cout << "      database first: the UPDATE fails; the cache was never touched: "
              << show_hash(cache, key) << "\n";
  }
  cache.eval<long long>(write_if_newer, {key}, {too_long, "1000"});
  try {
    db.query("UPDATE employees SET name = $1 WHERE id = $2", too_long, 3);
  } catch (const std::exception&) {
    auto name = cache.hget(key, "name").value_or("");
    std::cout << "      cache first: the cache says \"" << name.substr(0, 12)
              << "...\" (45 characters), the database \""
              << db.query("SELECT name FROM employees WHERE id = 3")[0][0].c_str()
              << "\", for the next " << cache.pttl(key) / 1000 << " s\n";
  }
  cache.del(key);
  std::cout << "\n";
}

void part_queues(wb::Valkey& cache, wb::Database& db) {
  std::cout << "2. A list as a queue, and a worker that dies\n";
  const std::string jobs = prefix + "jobs", processing = prefix + "processing:B";
  cache.lpush(jobs, "1:3:in the office");
  auto popped = cache.brpop(jobs, 1s);
  std::cout << "    LPUSH jobs \"1:3:in the office\"; worker A: BRPOP jobs 1 -> \""
            << popped->second << "\"\n"
            << "      A dies before its COMMIT: the queue holds " << cache.llen(jobs)
            << ", A's memory held the only copy: the change is lost\n";

  cache.lpush(jobs, "2:3:in the office");
  auto moved = cache.blmove(jobs, processing, wb::ListWhence::RIGHT, wb::ListWhence::LEFT, 1s);
  std::cout << "    LPUSH again; worker B: BLMOVE jobs processing:B RIGHT LEFT 1 -> \"" << *moved
            << "\"\n";
  std::vector<std::string> left;
  cache.lrange(processing, 0, -1, std::back_inserter(left));
  std::cout << "      B dies before its COMMIT: processing:B still holds \"" << left.at(0)
            << "\"\n";
  auto written = write_batch(db, left);
  cache.del(processing);
  std::cout << "      B comes back, finds its processing list, writes it (" << written
            << " row), then deletes the list\n";

  auto start = std::chrono::steady_clock::now();
  auto nothing = cache.blmove(jobs, processing, wb::ListWhence::RIGHT, wb::ListWhence::LEFT, 1s);
  std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
  std::printf(
      "    BLMOVE on the empty queue: waited %.2f s, then %s (a worker idles without polling)\n\n",
      waited.count(), nothing ? "an entry" : "(nil)");
}

void part_write_behind(wb::Valkey& cache, wb::Database& db) {
  std::cout << "3. Write-behind: changes land in Valkey, a worker writes them in batches\n";
  const std::string version_key = prefix + "writebehind:version";
  const std::string queue = prefix + "writebehind:queue";
  const std::string processing = prefix + "writebehind:processing:w1";
  const int changes = 2000;
  const std::vector<std::string> statuses{"in the office", "working from home", "at lunch",
                                          "in a meeting", "on leave"};
  std::mt19937 pick(12);  // which employee and which status: no need for a secure source
  auto record_one = [&] {
    const long long id = static_cast<long long>(pick() % 5) + 1;
    const std::string& status = statuses[pick() % statuses.size()];
    cache.eval<long long>(record, {version_key, queue, prefix + "status:" + std::to_string(id)},
                          {std::to_string(id), status});
  };
  // What writing each change to the database at once would cost instead: an
  // upsert with its own COMMIT. The two are timed in turns, so that whatever
  // else the machine does falls on both alike.
  auto direct_one = [&] {
    db.query(
        "INSERT INTO direct_status (employee_id, status) VALUES ($1, $2) ON CONFLICT "
        "(employee_id) DO UPDATE SET status = EXCLUDED.status",
        static_cast<long long>(pick() % 5) + 1, statuses[pick() % statuses.size()]);
  };
  std::vector<double> recorded, directly;
  for (int i = 0; i < changes; ++i) {
    recorded.push_back(wb::time_calls(1, record_one).median());
    directly.push_back(wb::time_calls(1, direct_one).median());
  }
  double record_total = 0, direct_total = 0;
  for (double us : recorded) record_total += us;
  for (double us : directly) direct_total += us;
  std::sort(recorded.begin(), recorded.end());
  std::sort(directly.begin(), directly.end());
  auto at = [](const std::vector<double>& v, std::size_t p) { return v[v.size() * p / 100]; };
  std::printf(
      "    %d status changes, each timed in turns with the same change written straight to\n"
      "    PostgreSQL (an upsert with its own COMMIT):\n"
      "      write-behind: one EVAL (INCR, LPUSH, HSET, PEXPIRE)   median %6.1f us  (p99 %7.1f "
      "us)\n"
      "      straight to PostgreSQL                                median %6.1f us  (p99 %7.1f "
      "us)\n",
      changes, at(recorded, 50), at(recorded, 99), at(directly, 50), at(directly, 99));

  // The worker: batches of up to 100, each taken in one round trip (a
  // pipeline of LMOVEs; each LMOVE is atomic on its own), written in one
  // statement and one COMMIT, then the processing list deleted.
  const std::size_t batch_size = 100;
  int batches = 0;
  long long rows_changed = 0, taken = 0;
  double db_millis = 0;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto take = cache.pipeline();
    for (std::size_t i = 0; i < batch_size; ++i)
      take.command("LMOVE", queue, processing, "RIGHT", "LEFT");
    auto replies = take.exec();
    std::vector<std::string> batch;
    for (std::size_t i = 0; i < replies.size(); ++i)
      if (auto e = replies.get<wb::OptionalString>(i)) batch.push_back(*e);
    if (batch.empty()) break;
    auto db_start = std::chrono::steady_clock::now();
    rows_changed += write_batch(db, batch);
    db_millis +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - db_start)
            .count();
    cache.del(processing);
    ++batches;
    taken += static_cast<long long>(batch.size());
  }
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  std::printf(
      "    the worker took %lld changes in %d batches of up to %zu; each wrote the newest\n"
      "    change of each employee in it, in one statement:\n",
      taken, batches, batch_size);
  std::printf("    %-40s %10s %8s %10s %12s\n", "", "statements", "COMMITs", "row writes",
              "time in all");
  std::printf("    %-40s %10d %8d %10d %9.1f ms\n", "every change straight to PostgreSQL", changes,
              changes, changes, direct_total / 1000);
  std::printf("    %-40s %10s %8s %10s %9.1f ms\n", "write-behind: recording in Valkey", "-", "-",
              "-", record_total / 1000);
  std::printf("    %-40s %10d %8d %10lld %9.1f ms  (%.1f ms of it in PostgreSQL)\n",
              "write-behind: the worker's batches", batches, batches, rows_changed, took.count(),
              db_millis);

  // The last batch delivered again, as after a crash between its COMMIT and
  // the cleanup of the processing list, and then a change older than what the
  // rows hold: the version guard makes both change nothing.
  std::vector<std::string> again;
  std::string versions;
  for (const auto& r :
       db.query("SELECT employee_id, version, status FROM employee_status ORDER BY employee_id")) {
    again.push_back(std::string(r[1].c_str()) + ":" + r[0].c_str() + ":" + r[2].c_str());
    versions += (versions.empty() ? "" : ", ") + std::string(r[0].c_str()) + ": v" + r[1].c_str();
  }
  std::cout << "    the rows' versions now: " << versions << "\n"
            << "    those very changes delivered again: " << write_batch(db, again)
            << " rows changed; an old change (version 1) for employee 1: "
            << write_batch(db, {"1:1:a status from long ago"}) << " rows changed\n\n";
}

// Records changes as fast as one client can until the server stops
// answering; the main thread kills the server meanwhile.
struct Loss {
  long long acknowledged = 0;
  long long survived = 0;
  double per_second = 0;
};

Loss crash_and_count(std::vector<std::pair<std::string, std::string>> config) {
  wb::OwnServer server(std::move(config));
  wb::Valkey cache(server.url());
  std::atomic<long long> acknowledged{0};
  std::atomic<bool> stop{false};
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stopped;
  std::thread writer([&] {
    for (long long i = 0; !stop; ++i) {
      try {
        cache.eval<long long>(
            record,
            {"writebehind:version", "writebehind:queue", "status:" + std::to_string(i % 5 + 1)},
            {std::to_string(i % 5 + 1), "in the office"});
        ++acknowledged;
      } catch (const wb::Error&) {
        break;  // the server is gone
      }
    }
    stopped = std::chrono::steady_clock::now();
  });
  std::this_thread::sleep_for(2500ms);
  server.kill();  // SIGKILL: nothing flushed, no goodbye
  stop = true;
  writer.join();
  Loss loss;
  loss.acknowledged = acknowledged.load();
  loss.per_second = static_cast<double>(loss.acknowledged) /
                    std::chrono::duration<double>(stopped - start).count();
  server.restart();
  wb::Valkey after(server.url());
  // A restarted server answers INFO while it still reads its files back, and
  // refuses other commands (LOADING) until it has: wait for loading:0.
  for (int i = 0; i < 500 && after.info("persistence").find("\nloading:0") == std::string::npos;
       ++i)
    std::this_thread::sleep_for(10ms);
  loss.survived = after.llen("writebehind:queue");
  return loss;
}

void part_durability() {
  std::cout << "4. What is lost when Valkey dies before the flush (servers of the example's own,\n"
               "   killed with SIGKILL while a client records changes, restarted, queue counted)\n";
  struct Setting {
    const char* what;
    std::vector<std::pair<std::string, std::string>> config;
  };
  const std::vector<Setting> settings{
      {"no persistence (the workbook's servers)", {}},
      {"RDB snapshot every second (save 1 1)", {{"save", "1 1"}}},
      {"AOF, appendfsync everysec", {{"appendonly", "yes"}, {"appendfsync", "everysec"}}},
      {"AOF, appendfsync always", {{"appendonly", "yes"}, {"appendfsync", "always"}}},
  };
  {
    wb::OwnServer probe;
    std::cout << "    on " << probe.name_and_version() << "\n";
  }
  std::printf("    %-42s %12s %9s %9s %12s\n", "persistence", "acknowledged", "survived", "lost",
              "changes/s");
  for (const auto& s : settings) {
    Loss loss = crash_and_count(s.config);
    const long long lost = std::max(0LL, loss.acknowledged - loss.survived);
    std::printf("    %-42s %12lld %9lld %9lld %12.0f\n", s.what, loss.acknowledged, loss.survived,
                lost, loss.per_second);
  }
  std::cout << "    (a server process killed; the operating system kept running. What the server\n"
               "    had written but not yet fsynced was in the kernel and survived; a machine\n"
               "    that loses power loses it too: with everysec up to about a second of\n"
               "    changes. This example cannot pull that plug.)\n\n";
}

// Every key of the example (under its prefix), found with SCAN.
void delete_keys(wb::Valkey& cache) {
  std::vector<std::string> mine;
  long long cursor = 0;
  do {
    cursor = cache.scan(cursor, prefix + "*", 100, std::back_inserter(mine));
  } while (cursor != 0);
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  if (!mine.empty()) cache.del(mine.begin(), mine.end());
}

}  // namespace

int main() try {
  wb::Valkey cache;
  wb::Database db;
  std::cout << wb::example::banner(cache, db) << "\n";
  // Temporary tables are found before public ones and dropped when this
  // session ends. DDL takes no parameters, and there is no value in it.
  db.query("CREATE TEMP TABLE employees (LIKE public.employees INCLUDING ALL)");
  db.query("INSERT INTO employees SELECT * FROM public.employees");
  db.query("ALTER TABLE employees ADD CHECK (length(name) <= 40)");
  db.query("CREATE TEMP SEQUENCE name_versions");
  db.query(
      "CREATE TEMP TABLE employee_status (employee_id integer PRIMARY KEY REFERENCES employees "
      "(id), status text NOT NULL, version bigint NOT NULL)");
  db.query(
      "CREATE TEMP TABLE direct_status (employee_id integer PRIMARY KEY, status text NOT NULL)");
  std::cout << "Working on temporary copies of employees, name_versions and employee_status.\n\n";
  delete_keys(cache);  // what a run that stopped half-way may have left

  part_write_through(cache, db);
  part_queues(cache, db);
  part_write_behind(cache, db);
  part_durability();

  delete_keys(cache);
  std::cout << "Cleaned up the example's keys; the temporary tables go with the session.\n"
            << "Next: the exercise (make test-12).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
