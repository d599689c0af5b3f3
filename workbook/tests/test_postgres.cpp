// The PostgreSQL helper, against the real server. Every test works in a
// schema of its own (wbtest_<random>) and drops it at the end.
#include <signal.h>

#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "fake_server.hpp"
#include "support.hpp"
#include "workbook/grading.hpp"
#include "workbook/postgres.hpp"

namespace grading = wb::grading;
using wb_test::contains;

namespace {

long long rows_of(const pqxx::result& r) { return static_cast<long long>(r.size()); }

// A schema of this test's own, with a table `people (id int, name text)`, set
// as the Database's search_path. Dropped (with everything in it) at the end.
class TempSchema {
 public:
  explicit TempSchema(wb::Database& db) : db_(db), name_("wbtest_" + grading::random_hex(6)) {
    try {
      {
        pqxx::nontransaction tx(db_.connection());
        tx.exec("CREATE SCHEMA " + tx.quote_name(name_));
        tx.exec("CREATE TABLE " + tx.quote_name(name_) + ".people (id int PRIMARY KEY, name text)");
      }
      db_.use_schema(name_);
    } catch (...) {
      drop();  // a constructor that throws gets no destructor call
      throw;
    }
  }
  ~TempSchema() { drop(); }
  TempSchema(const TempSchema&) = delete;
  TempSchema& operator=(const TempSchema&) = delete;
  const std::string& name() const { return name_; }

 private:
  void drop() noexcept {
    try {
      pqxx::nontransaction tx(db_.connection());
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(name_) + " CASCADE");
    } catch (...) {
    }
  }
  wb::Database& db_;
  std::string name_;
};

}  // namespace

TEST_CASE("query sends $1 parameters apart from the SQL, so quotes in a value are only text") {
  wb::Database db;
  TempSchema schema(db);
  const std::string evil = "Robert'); DROP TABLE people; --";
  db.query("INSERT INTO people (id, name) VALUES ($1, $2)", 1, evil);
  auto rows = db.query("SELECT id, name FROM people WHERE name = $1", evil);
  REQUIRE(rows_of(rows) == 1);
  REQUIRE(rows[0][0].as<int>() == 1);
  REQUIRE(rows[0][1].as<std::string>() == evil);
  REQUIRE(rows_of(db.query("SELECT count(*) FROM people")) == 1);
}

TEST_CASE("a std::string_view parameter is taken as text, in query and in a transaction") {
  wb::Database db;
  std::string_view name = "Ada";
  auto rows = db.query("SELECT $1::text || '!'", name);
  REQUIRE(rows[0][0].as<std::string>() == "Ada!");
  const std::string_view& by_ref = name;
  std::string out = db.transaction([&](wb::Database::Transaction& tx) {
    return tx.query("SELECT $1::text || $2::text", by_ref, std::string_view("?"))[0][0]
        .as<std::string>();
  });
  REQUIRE(out == "Ada?");
}

TEST_CASE("query returns rows whose fields convert to C++ types, NULL included") {
  wb::Database db;
  auto rows = db.query("SELECT $1::int + 1, $2::text || '!', NULL::text", 41, std::string("hi"));
  REQUIRE(rows_of(rows) == 1);
  REQUIRE(rows[0][0].as<int>() == 42);
  REQUIRE(rows[0][1].as<std::string>() == "hi!");
  REQUIRE(rows[0][2].is_null());
  REQUIRE(rows_of(db.query("SELECT 1 WHERE false")) == 0);
}

TEST_CASE("query_count counts every query and transaction statement, and resets to 0") {
  wb::Database db;
  TempSchema schema(db);
  db.reset_query_count();
  REQUIRE(db.query_count() == 0u);
  db.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
  db.query("SELECT name FROM people WHERE id = $1", 1);
  REQUIRE(db.query_count() == 2u);
  db.transaction([](wb::Database::Transaction& tx) {
    tx.query("INSERT INTO people VALUES ($1, $2)", 2, "Grace");
    tx.query("INSERT INTO people VALUES ($1, $2)", 3, "Linus");
  });
  REQUIRE(db.query_count() == 4u);
  // What goes through connection() directly is not counted.
  {
    pqxx::nontransaction raw(db.connection());
    raw.exec("SELECT 1");
  }
  REQUIRE(db.query_count() == 4u);
  db.reset_query_count();
  REQUIRE(db.query_count() == 0u);
}

TEST_CASE("a transaction commits all its statements together and returns work's value") {
  wb::Database db;
  TempSchema schema(db);
  int inserted = db.transaction([](wb::Database::Transaction& tx) {
    tx.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
    tx.query("INSERT INTO people VALUES ($1, $2)", 2, "Grace");
    return 2;
  });
  REQUIRE(inserted == 2);
  REQUIRE(rows_of(db.query("SELECT * FROM people")) == 2);
}

TEST_CASE("an exception inside a transaction rolls every statement back and reaches the caller") {
  wb::Database db;
  TempSchema schema(db);
  db.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
  REQUIRE_THROWS_AS(db.transaction([](wb::Database::Transaction& tx) {
    tx.query("UPDATE people SET name = $1 WHERE id = $2", "Changed", 1);
    tx.query("INSERT INTO people VALUES ($1, $2)", 2, "Grace");
    throw std::runtime_error("the cache write failed");
  }),
                    std::runtime_error);
  auto rows = db.query("SELECT name FROM people ORDER BY id");
  REQUIRE(rows_of(rows) == 1);
  REQUIRE(rows[0][0].as<std::string>() == "Ada");
  // A statement the server refuses rolls back the same way.
  REQUIRE_THROWS_AS(db.transaction([](wb::Database::Transaction& tx) {
    tx.query("INSERT INTO people VALUES ($1, $2)", 3, "Linus");
    tx.query("INSERT INTO people VALUES ($1, $2)", 1, "duplicate id");
  }),
                    pqxx::sql_error);
  REQUIRE(rows_of(db.query("SELECT * FROM people")) == 1);
}

TEST_CASE("a statement the server refuses throws pqxx::sql_error and the Database goes on") {
  wb::Database db;
  REQUIRE_THROWS_AS(db.query("SELECT * FROM wb_no_such_table_anywhere"), pqxx::sql_error);
  REQUIRE_THROWS_AS(db.query("SELECT $1::int", "not a number"), pqxx::sql_error);
  REQUIRE(db.query("SELECT 7")[0][0].as<int>() == 7);
}

TEST_CASE("query inside a transaction's work is refused instead of hanging") {
  wb::Database db;
  TempSchema schema(db);
  auto t = wb_test::thrown_by([&] {
    db.transaction([&](wb::Database::Transaction& tx) {
      tx.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
      db.query("SELECT * FROM people");  // the mistake: db, not tx
    });
  });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "std::logic_error");
  REQUIRE(contains(t.what, "tx.query"));
  REQUIRE(rows_of(db.query("SELECT * FROM people")) == 0);
}

TEST_CASE("use_schema makes unqualified table names resolve in that schema") {
  wb::Database db;
  TempSchema schema(db);
  auto path = db.query("SHOW search_path");
  REQUIRE(contains(path[0][0].as<std::string>(), schema.name()));
  db.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
  pqxx::nontransaction raw(db.connection());
  auto rows = raw.exec("SELECT name FROM " + raw.quote_name(schema.name()) + ".people");
  REQUIRE(rows_of(rows) == 1);
}

TEST_CASE("use_schema quotes the name, so it cannot smuggle in SQL") {
  wb::Database db;
  TempSchema schema(db);
  db.use_schema("x\"; DROP SCHEMA " + schema.name() + " CASCADE; --");
  db.use_schema(schema.name());
  REQUIRE(rows_of(db.query("SELECT * FROM people")) == 0);  // the schema is still there
}

TEST_CASE("server_version names the PostgreSQL version") {
  wb::Database db;
  std::string version = db.server_version();
  CAPTURE(version);
  REQUIRE(!version.empty());
  REQUIRE(std::isdigit(static_cast<unsigned char>(version[0])));
}

TEST_CASE("queries from several threads run one at a time and are all counted") {
  wb::Database db;
  TempSchema schema(db);
  db.reset_query_count();
  grading::run_together(8, [&](int i) {
    for (int j = 0; j < 10; ++j) db.query("INSERT INTO people VALUES ($1, $2)", i * 100 + j, "x");
  });
  REQUIRE(db.query_count() == 80u);
  REQUIRE(db.query("SELECT count(*) FROM people")[0][0].as<int>() == 80);
}

TEST_CASE("an unreachable server is DatabaseUnavailable naming the URL without its password") {
  int port = wb_test::closed_port();
  const std::string url =
      "postgresql://workbook:s3cret-pw@127.0.0.1:" + std::to_string(port) + "/workbook";
  auto t = wb_test::thrown_by([&] { wb::Database db(url); });
  INFO(t.what);
  REQUIRE(t.type == "std::exception");
  REQUIRE_THROWS_AS(wb::Database(url), wb::DatabaseUnavailable);
  REQUIRE_FALSE(contains(t.what, "s3cret-pw"));
  REQUIRE(contains(t.what, "postgresql://workbook:***@127.0.0.1:" + std::to_string(port)));
  REQUIRE(contains(t.what, "Connection refused"));
  REQUIRE(contains(t.what, "make infra-up"));
  REQUIRE_FALSE(contains(t.what, "\n"));
}

TEST_CASE("redact_url hides the password in every form libpq accepts") {
  CHECK(wb::redact_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db");
  CHECK(wb::redact_url("postgresql://u:p@w@h/db") == "postgresql://u:***@h/db");
  CHECK(wb::redact_url("postgresql://u@h:5432/db") == "postgresql://u@h:5432/db");
  CHECK(wb::redact_url("postgresql://h:5432/db") == "postgresql://h:5432/db");
  CHECK(wb::redact_url("postgresql://u@h/db?password=pw&sslmode=disable") ==
        "postgresql://u@h/db?password=***&sslmode=disable");
  CHECK(wb::redact_url("host=h port=5432 password=pw user=u") ==
        "host=h port=5432 password=*** user=u");
  CHECK(wb::redact_url("host=h password='p w' user=u") == "host=h password=*** user=u");
  CHECK(wb::redact_url("host=h password = pw") == "host=h password = ***");
}

TEST_CASE("key=value words are refused: the URL is read by the workbook's one parser") {
  const std::string conninfo = "host=127.0.0.1 port=1 user=workbook password=s3cret-pw dbname=db";
  auto t = wb_test::thrown_by([&] { wb::Database db(conninfo); });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "std::invalid_argument");
  REQUIRE_FALSE(contains(t.what, "s3cret-pw"));
  REQUIRE(contains(t.what, "postgresql://user:password@host:port/database"));
}

TEST_CASE("a server that accepts and never answers is DatabaseUnavailable within seconds") {
  wb_test::FakeServer silent(true);
  const std::string url =
      "postgresql://workbook:s3cret-pw@127.0.0.1:" + std::to_string(silent.port()) + "/workbook";
  wb_test::Thrown t;
  long long ms = wb_test::millis_of([&] { t = wb_test::thrown_by([&] { wb::Database db(url); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE(contains(t.what, "cannot reach PostgreSQL"));
  REQUIRE(contains(t.what, "make infra-up"));
  REQUIRE_FALSE(contains(t.what, "s3cret-pw"));
  REQUIRE_FALSE(contains(t.what, "connect_timeout"));  // the URL as the user wrote it
  REQUIRE(contains(t.what, "after 2 s and then 6 s"));  // a second, longer try
  REQUIRE(ms >= 7500);
  REQUIRE(ms < 11000);
}

TEST_CASE("a URL's own connect_timeout is the one try it gets") {
  wb_test::FakeServer silent(true);
  const std::string url = "postgresql://workbook:s3cret-pw@127.0.0.1:" +
                          std::to_string(silent.port()) + "/workbook?connect_timeout=2";
  wb_test::Thrown t;
  long long ms = wb_test::millis_of([&] { t = wb_test::thrown_by([&] { wb::Database db(url); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE(contains(t.what, "cannot reach PostgreSQL"));
  REQUIRE_FALSE(contains(t.what, "and then"));
  REQUIRE(ms < 4000);
}

TEST_CASE("a malformed DATABASE_URL is std::invalid_argument that says what is wrong") {
  auto t =
      wb_test::thrown_by([] { wb::Database db("postgresql://u:s3cret-pw@127.0.0.1:notaport/db"); });
  INFO(t.type << ": " << t.what);
  REQUIRE(t.type == "std::invalid_argument");
  REQUIRE(contains(t.what, "port that is not a number"));
  REQUIRE(contains(t.what, "postgresql://u:***@127.0.0.1:notaport/db"));
  REQUIRE_FALSE(contains(t.what, "s3cret-pw"));
  auto setting = wb_test::thrown_by(
      [] { wb::Database db("postgresql://u:s3cret-pw@127.0.0.1:1/db?statement_timeout=soon"); });
  INFO(setting.type << ": " << setting.what);
  REQUIRE(setting.type == "std::invalid_argument");
  REQUIRE(contains(setting.what, "statement_timeout"));
  REQUIRE_FALSE(contains(setting.what, "s3cret-pw"));
}

TEST_CASE("after its connection is cut, the Database connects again, in the same schema") {
  wb::Database db;
  TempSchema schema(db);
  db.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
  int pid = db.query("SELECT pg_backend_pid()")[0][0].as<int>();
  {
    wb::Database other;
    other.query("SELECT pg_terminate_backend($1)", pid);
  }
  auto t = wb_test::thrown_by([&] { db.query("SELECT 1"); });
  INFO("the first query after the cut: " << t.type << ": " << t.what);
  auto again = wb_test::thrown_by([&] { db.query("SELECT 1"); });
  INFO("the second: " << again.type << ": " << again.what);
  REQUIRE(again.type == "nothing");
  REQUIRE(db.query("SELECT pg_backend_pid()")[0][0].as<int>() != pid);
  auto rows = db.query("SELECT name FROM people");  // unqualified: the schema was restored
  REQUIRE(rows_of(rows) == 1);
  REQUIRE(rows[0][0].as<std::string>() == "Ada");
}

// ---- the time limit on every statement -------------------------------------------

namespace {
// DATABASE_URL with a statement_timeout of `ms` milliseconds.
std::string url_with_limit(int ms) {
  std::string url = wb::database_url_from_env();
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "statement_timeout=" + std::to_string(ms);
}
}  // namespace

TEST_CASE("a statement that runs past the time limit is cancelled: DatabaseTimeout, then on") {
  wb::Database db(url_with_limit(500));
  REQUIRE(db.statement_timeout() == std::chrono::milliseconds(500));
  wb_test::Thrown t;
  long long ms =
      wb_test::millis_of([&] { t = wb_test::thrown_by([&] { db.query("SELECT pg_sleep(5)"); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE_THROWS_AS(db.query("SELECT pg_sleep(5)"), wb::DatabaseTimeout);
  REQUIRE(ms < 2500);
  REQUIRE(contains(t.what, "longer than 500 ms"));
  REQUIRE(contains(t.what, "pg_sleep"));
  REQUIRE(db.query("SELECT 7")[0][0].as<int>() == 7);  // the same connection goes on
}

TEST_CASE("in a transaction each statement has the limit, and the work between them does not") {
  wb::Database db(url_with_limit(500));
  TempSchema schema(db);
  db.transaction([](wb::Database::Transaction& tx) {
    tx.query("INSERT INTO people VALUES ($1, $2)", 1, "Ada");
    std::this_thread::sleep_for(std::chrono::milliseconds(800));  // longer than the limit
    tx.query("INSERT INTO people VALUES ($1, $2)", 2, "Grace");
  });
  REQUIRE(rows_of(db.query("SELECT * FROM people")) == 2);
  REQUIRE_THROWS_AS(db.transaction([](wb::Database::Transaction& tx) {
    tx.query("INSERT INTO people VALUES ($1, $2)", 3, "Linus");
    tx.query("SELECT pg_sleep(5)");
  }),
                    wb::DatabaseTimeout);
  REQUIRE(rows_of(db.query("SELECT * FROM people")) == 2);  // rolled back
}

TEST_CASE("the default limit is 10 seconds") {
  wb::Database db;
  if (wb::database_url_from_env().find("statement_timeout=") == std::string::npos)
    REQUIRE(db.statement_timeout() == std::chrono::milliseconds(10000));
  REQUIRE(db.query("SHOW statement_timeout")[0][0].as<std::string>() ==
          std::to_string(db.statement_timeout().count() / 1000) + "s");
}

// Stops (SIGSTOP) the server process behind this very connection: only run
// against a PostgreSQL of your own on this machine (tests/tools/infra.sh
// starts one and runs it: workbook-tests "[stopped-server]").
TEST_CASE("a server that stops answering ends a statement within the limit plus 2 s",
          "[.][stopped-server]") {
  wb::Database db(url_with_limit(1000));
  auto row = db.query("SELECT pg_backend_pid(), inet_client_port()");
  const int pid = row[0][0].as<int>();
  const int client_port = row[0][1].as<int>();
  // The process title of the backend serving us names our own port:
  // "postgres: workbook workbook 127.0.0.1(54321) idle". Anything else (a
  // server in a container, on another machine) is not ours to stop.
  std::string title;
  {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::getline(in, title, '\0');
  }
  INFO("backend pid " << pid << ": " << title);
  REQUIRE(contains(title, "postgres"));
  REQUIRE(contains(title, "(" + std::to_string(client_port) + ")"));
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  struct Resume {
    int pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{pid};
  wb_test::Thrown t;
  long long ms = wb_test::millis_of([&] { t = wb_test::thrown_by([&] { db.query("SELECT 1"); }); });
  INFO(t.type << ": " << t.what << " after " << ms << " ms");
  REQUIRE(t.type == "std::exception");
  REQUIRE(contains(t.what, "did not answer within 1000 ms"));
  REQUIRE(ms >= 2900);
  REQUIRE(ms < 5000);
  ::kill(pid, SIGCONT);
  REQUIRE(db.query("SELECT 8")[0][0].as<int>() == 8);  // a new connection
}
