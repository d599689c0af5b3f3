#include "workbook/postgres.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>

namespace wb {

std::string database_url_from_env() {
  const char* url = std::getenv("DATABASE_URL");
  return (url && *url) ? url : "postgresql://workbook:workbook@127.0.0.1:25432/workbook";
}

namespace {
// libpq's message without its line breaks: "connection to server at ...
// failed: Connection refused Is the server running on that host ...?"
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// libpq waits for ever for a server that accepts the connection and never
// answers (a wrong port, a proxy whose backend is down). Unless the URL sets
// its own connect_timeout, give up after this many seconds (libpq's minimum)...
constexpr int kConnectTimeoutSeconds = 2;
// ...and then try once more with this longer limit: on a machine whose cores
// are all busy, a PostgreSQL that is up can take longer than 2 s to start the
// connection's backend (seen at a load of 11 on 2 cores). A server that never
// answers is then given up on after 2 + 6 s.
constexpr int kSecondTryTimeoutSeconds = 6;
// The limit on one statement unless the URL's statement_timeout says otherwise.
constexpr std::chrono::milliseconds kStatementTimeout{10000};
// How much longer than the statement's limit the watchdog waits for a server
// that does not answer at all before it closes the connection.
constexpr std::chrono::milliseconds kNoAnswerGrace{2000};

// A value in libpq's key=value words: 'quoted', with \ and ' escaped.
std::string conninfo_value(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

long long positive_number(const Url& u, std::string_view name, const std::string& shown) {
  const std::string text = u.setting(name);
  bool digits = !text.empty() && text.size() <= 9 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoll(text) <= 0)
    throw std::invalid_argument("PostgreSQL URL '" + shown + "' sets " + std::string(name) +
                                " to '" + text + "', which is not a positive whole number");
  return std::stoll(text);
}

struct Settings {
  std::string conninfo;
  std::chrono::milliseconds statement_timeout;
  bool own_connect_timeout = false;  // the URL sets connect_timeout
};

// The URL, read by the workbook's one parser, as libpq's key=value words, so
// that libpq never reads the URL itself (it would decode it differently).
Settings settings_of(const std::string& url) {
  Url u;
  try {
    u = parse_url(url);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("PostgreSQL URL ") + e.what());
  }
  const std::string shown = redact_url(url);
  if (!u.is_postgres())
    throw std::invalid_argument("PostgreSQL URL '" + shown +
                                "' does not start with postgresql:// (expected "
                                "postgresql://user:password@host:port/database)");
  Settings out;
  out.statement_timeout = kStatementTimeout;
  if (!u.setting("statement_timeout").empty())
    out.statement_timeout =
        std::chrono::milliseconds(positive_number(u, "statement_timeout", shown));
  long long connect_timeout = kConnectTimeoutSeconds;
  if (!u.setting("connect_timeout").empty()) {
    connect_timeout = positive_number(u, "connect_timeout", shown);
    out.own_connect_timeout = true;
  }
  std::string& c = out.conninfo;
  auto put = [&c](std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (!c.empty()) c += ' ';
    c += std::string(key) + "=" + conninfo_value(value);
  };
  put("host", u.host);  // none: libpq's default Unix socket
  if (u.has_port) put("port", std::to_string(u.port));
  put("user", u.user);
  put("password", u.password);
  put("dbname", u.path);
  put("sslmode", u.setting("sslmode"));
  put("application_name", u.setting("application_name"));
  // The server cancels a statement that runs longer than the limit.
  put("options", "-c statement_timeout=" + std::to_string(out.statement_timeout.count()));
  // Last, so that the second try can put a longer limit after it (libpq takes
  // the last of a key that is given twice).
  put("connect_timeout", std::to_string(connect_timeout));
  return out;
}
}  // namespace

// Shuts the connection's socket down when a step runs past its deadline:
// libpq then sees the connection end and the blocked call returns.
class Database::Watchdog {
 public:
  Watchdog() : thread_([this] { run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void arm(int socket, std::chrono::milliseconds limit) {
    {
      std::lock_guard<std::mutex> lock(m_);
      socket_ = socket;
      deadline_ = std::chrono::steady_clock::now() + limit;
      armed_ = true;
      fired_ = false;
    }
    cv_.notify_all();
  }
  // Returns whether it fired during the step.
  bool disarm() {
    std::lock_guard<std::mutex> lock(m_);
    armed_ = false;
    return fired_;
  }
  bool fired() {
    std::lock_guard<std::mutex> lock(m_);
    return fired_;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(m_);
    while (!stop_) {
      if (!armed_ || fired_) {
        cv_.wait(lock);
        continue;
      }
      cv_.wait_until(lock, deadline_);
      if (!stop_ && armed_ && !fired_ && std::chrono::steady_clock::now() >= deadline_) {
        // Under the lock: the step cannot end (and the socket cannot be
        // closed and its number reused) while this runs.
        ::shutdown(socket_, SHUT_RDWR);
        fired_ = true;
      }
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
  bool fired_ = false;
  int socket_ = -1;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;  // last: it starts once the members above exist
};

Database::Armed::Armed(Database& db, int socket) : db_(db) {
  if (!db_.watchdog_) db_.watchdog_ = std::make_unique<Watchdog>();
  db_.watchdog_->arm(socket, db_.statement_timeout_ + kNoAnswerGrace);
}
Database::Armed::~Armed() {
  if (db_.watchdog_->disarm()) db_.reopen_ = true;
}
bool Database::Armed::fired() const { return db_.watchdog_->fired(); }

void Database::throw_timeout(std::string_view sql, bool no_answer) const {
  std::string statement(sql.substr(0, 60));
  if (sql.size() > 60) statement += "...";
  for (auto& ch : statement)
    if (ch == '\n' || ch == '\t') ch = ' ';
  const std::string limit = std::to_string(statement_timeout_.count()) + " ms";
  if (no_answer)
    throw DatabaseTimeout("PostgreSQL at " + redact_url(url_) + " did not answer within " + limit +
                          " (the time limit on one statement) plus " +
                          std::to_string(kNoAnswerGrace.count()) +
                          " ms: is the server stopped or frozen? The connection was closed; the "
                          "next call opens a new one. Statement: " +
                          statement);
  throw DatabaseTimeout("PostgreSQL cancelled a statement that ran longer than " + limit +
                        " (the time limit on one statement; statement_timeout in the URL's query "
                        "changes it): waiting for a lock another connection holds, or a slow "
                        "query? Statement: " +
                        statement);
}

namespace {
bool timed_out(const std::string& libpq_message) {
  return libpq_message.find("timeout expired") != std::string::npos;
}

std::unique_ptr<pqxx::connection> open_connection(const std::string& url,
                                                  const std::string& conninfo,
                                                  bool second_try_on_timeout) {
  std::string message;
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const pqxx::broken_connection& e) {
    message = one_line(e.what());
  }
  if (second_try_on_timeout && timed_out(message)) {
    try {
      return std::make_unique<pqxx::connection>(
          conninfo + " connect_timeout=" + std::to_string(kSecondTryTimeoutSeconds));
    } catch (const pqxx::broken_connection& e) {
      message = one_line(e.what()) + ", after " + std::to_string(kConnectTimeoutSeconds) +
                " s and then " + std::to_string(kSecondTryTimeoutSeconds) + " s";
    }
  }
  throw DatabaseUnavailable("cannot reach PostgreSQL at " + redact_url(url) + " (" + message +
                            "). Start the servers with `make infra-up`, or set DATABASE_URL.");
}

void set_search_path(pqxx::connection& c, const std::string& schema) {
  pqxx::nontransaction tx(c);
  tx.exec("SET search_path TO " + tx.quote_name(schema));
}
}  // namespace

Database::Database(const std::string& url) : url_(url) {
  Settings settings = settings_of(url);
  conninfo_ = std::move(settings.conninfo);
  statement_timeout_ = settings.statement_timeout;
  second_try_on_timeout_ = !settings.own_connect_timeout;
  connection_ = open_connection(url_, conninfo_, second_try_on_timeout_);
}

// The watchdog's thread ends before the connection closes.
Database::~Database() { watchdog_.reset(); }

pqxx::connection& Database::live_connection() {
  if (reopen_ || !connection_->is_open()) {
    reopen_ = false;
    auto fresh = open_connection(url_, conninfo_, second_try_on_timeout_);
    if (!schema_.empty()) set_search_path(*fresh, schema_);
    connection_ = std::move(fresh);
  }
  return *connection_;
}

void Database::refuse_inside_transaction(const char* what) const {
  if (transaction_thread_.load() == std::this_thread::get_id())
    throw std::logic_error(std::string("Database::") + what +
                           " was called inside Database::transaction's work: send the "
                           "statement through the Transaction you were given (tx.query), so "
                           "it is part of the transaction");
}

void Database::use_schema(std::string_view schema) {
  refuse_inside_transaction("use_schema");
  std::lock_guard<std::mutex> lock(mutex_);
  pqxx::connection& c = live_connection();
  limited("SET search_path", c, [&] {
    set_search_path(c, std::string(schema));
    return 0;
  });
  schema_ = std::string(schema);
}

std::string Database::server_version() {
  refuse_inside_transaction("server_version");
  std::lock_guard<std::mutex> lock(mutex_);
  pqxx::connection& c = live_connection();
  return limited("SHOW server_version", c, [&] {
    pqxx::nontransaction tx(c);
    return std::string(tx.exec("SHOW server_version")[0][0].c_str());
  });
}

}  // namespace wb
