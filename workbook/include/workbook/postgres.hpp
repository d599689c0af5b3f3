// The workbook's PostgreSQL helper: one connection from DATABASE_URL,
// parameterised queries only, and a count of the queries sent so graders can
// check that "100 reads made 1 query".
//
// SQL text and values travel separately: write $1, $2 ... in the SQL and pass
// the values as arguments. Never build SQL by pasting values into the string:
//   db.query("SELECT name FROM employees WHERE id = $1", id);        // right
//   db.query("SELECT name FROM employees WHERE id = " + id_text);     // injection
//
// Every statement has a time limit (10 s unless the URL's statement_timeout
// says otherwise, in milliseconds): PostgreSQL cancels a statement that runs
// longer, and should the server not answer at all (stopped, frozen, cut off)
// the helper closes the connection itself a little later. Either way the call
// throws DatabaseTimeout, a DatabaseUnavailable, instead of waiting for ever.
//
// libpqxx: https://libpqxx.readthedocs.io/ (exec_params builds on 6.4 and 7.x)
#pragma once

#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "workbook/url.hpp"  // wb::redact_url, wb::parse_url

namespace wb {

// $DATABASE_URL, or the workbook's own server:
// postgresql://workbook:workbook@127.0.0.1:25432/workbook
std::string database_url_from_env();

// Thrown when the server cannot be reached; the message names the URL (the
// password hidden) and `make infra-up`.
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a statement hit the time limit: the server cancelled it, or did
// not answer at all (then the connection was closed; the next call opens a
// new one). The message says which, and the limit.
class DatabaseTimeout : public DatabaseUnavailable {
 public:
  using DatabaseUnavailable::DatabaseUnavailable;
};

namespace detail {
// A parameter as libpqxx takes it. libpqxx 6.4 has no conversion for
// std::string_view (its error is a page of templates ending in "incomplete
// type pqxx::string_traits<std::basic_string_view<char>>"), so a string_view
// is copied into a std::string; everything else goes through as it is.
inline std::string sql_param(std::string_view text) { return std::string(text); }
template <typename T>
T&& sql_param(T&& value) {
  return std::forward<T>(value);
}
}  // namespace detail

class Database {
 public:
  // Connects now; throws DatabaseUnavailable when it cannot, and
  // std::invalid_argument when `url` is not a postgresql:// URL (see
  // workbook/url.hpp; the message never shows the password). A server that
  // does not answer within 2 seconds gets a second try of 6 seconds (a busy
  // machine can be that slow); a URL with its own connect_timeout gets one
  // try of that many seconds.
  explicit Database(const std::string& url = database_url_from_env());
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The time limit on one statement (the URL's statement_timeout, else 10 s).
  std::chrono::milliseconds statement_timeout() const noexcept { return statement_timeout_; }

  // Runs one parameterised statement in its own transaction and commits it.
  // Use it for reads and writes alike:
  //   auto rows = db.query("SELECT id, name FROM employees WHERE id = $1", 3);
  // Parameters: numbers, std::string, std::string_view, const char*; a field
  // converts back with rows[0][0].as<std::string>() (or long long, ...).
  // Safe to call from several threads (statements run one at a time).
  template <typename... Args>
  pqxx::result query(std::string_view sql, Args&&... args) {
    refuse_inside_transaction("query");
    std::lock_guard<std::mutex> lock(mutex_);
    pqxx::connection& c = live_connection();
    return limited(sql, c, [&] {
      pqxx::work tx(c);
      pqxx::result rows = tx.exec_params(std::string(sql), detail::sql_param(std::forward<Args>(args))...);
      tx.commit();
      queries_.fetch_add(1);
      return rows;
    });
  }

  // Runs several statements in ONE transaction: all commit, or (if `work`
  // throws) none do. `work` receives a Transaction:
  //   db.transaction([&](wb::Database::Transaction& tx) {
  //     tx.query("UPDATE employees SET name = $1 WHERE id = $2", name, id);
  //   });
  class Transaction {
   public:
    template <typename... Args>
    pqxx::result query(std::string_view sql, Args&&... args) {
      pqxx::result rows = owner_.limited(sql, connection_, [&] {
        return tx_.exec_params(std::string(sql), detail::sql_param(std::forward<Args>(args))...);
      });
      owner_.queries_.fetch_add(1);
      return rows;
    }

   private:
    friend class Database;
    Transaction(Database& owner, pqxx::connection& connection, pqxx::work& tx)
        : owner_(owner), connection_(connection), tx_(tx) {}
    Database& owner_;
    pqxx::connection& connection_;
    pqxx::work& tx_;
  };

  // Inside `work`, send statements through the Transaction (tx.query): a call
  // on the Database itself there throws std::logic_error (it would otherwise
  // wait forever for the transaction that is waiting for it).
  template <typename Work>
  auto transaction(Work&& work) -> decltype(work(std::declval<Transaction&>())) {
    refuse_inside_transaction("transaction");
    std::lock_guard<std::mutex> lock(mutex_);
    // BEGIN, each statement and COMMIT have the time limit; `work` itself
    // may take as long as it needs between them.
    pqxx::connection& c = live_connection();
    std::optional<pqxx::work> tx;
    limited("BEGIN", c, [&] {
      tx.emplace(c);
      return 0;
    });
    Transaction handle(*this, c, *tx);
    TransactionOwner owner(transaction_thread_);
    auto commit = [&] {
      limited("COMMIT", c, [&] {
        tx->commit();
        return 0;
      });
    };
    if constexpr (std::is_void_v<decltype(work(handle))>) {
      work(handle);
      commit();
    } else {
      auto result = work(handle);
      commit();
      return result;
    }
  }

  // Statements sent through this object so far (each query() and each
  // Transaction::query() counts one).
  std::uint64_t query_count() const noexcept { return queries_.load(); }
  void reset_query_count() noexcept { queries_.store(0); }

  // Makes unqualified table names resolve in `schema` first (SET search_path).
  // Graders use it to give each run its own copy of the tables.
  void use_schema(std::string_view schema);

  // The server's version, e.g. "15.18".
  std::string server_version();

  // For what the helper does not cover; statements sent this way are not counted.
  pqxx::connection& connection() noexcept { return *connection_; }

 private:
  // Marks the calling thread as the one running transaction() until the end
  // of the scope.
  struct TransactionOwner {
    explicit TransactionOwner(std::atomic<std::thread::id>& slot) : slot_(slot) {
      slot_.store(std::this_thread::get_id());
    }
    ~TransactionOwner() { slot_.store(std::thread::id()); }
    TransactionOwner(const TransactionOwner&) = delete;
    TransactionOwner& operator=(const TransactionOwner&) = delete;
    std::atomic<std::thread::id>& slot_;
  };
  void refuse_inside_transaction(const char* what) const;

  // Runs step() on connection c with the time limit: the server's statement_timeout
  // cancels a slow statement; a watchdog thread shuts the socket down when
  // the server does not answer at all (statement_timeout + 2 s). Either ends
  // as DatabaseTimeout. Called with mutex_ held.
  template <typename Step>
  auto limited(std::string_view sql, pqxx::connection& c, Step&& step) -> decltype(step()) {
    Armed armed(*this, c.sock());
    try {
      return step();
    } catch (const pqxx::broken_connection&) {
      if (armed.fired()) throw_timeout(sql, true);
      throw;
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "57014") throw_timeout(sql, false);  // query_canceled
      throw;
    }
  }
  [[noreturn]] void throw_timeout(std::string_view sql, bool no_answer) const;

  // Arms the watchdog for one step; disarms it when the step ends.
  class Watchdog;
  class Armed {
   public:
    Armed(Database& db, int socket);
    ~Armed();
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;
    bool fired() const;

   private:
    Database& db_;
  };
  // The connection, opened again (with the schema of use_schema) when the
  // last one broke: the statement that met the broken connection failed, the
  // next one works again. Called with mutex_ held.
  pqxx::connection& live_connection();

  std::mutex mutex_;
  std::string url_;       // as given: shown only through redact_url
  std::string conninfo_;  // libpq's key=value words, built from url_ (holds the password)
  std::chrono::milliseconds statement_timeout_;
  bool second_try_on_timeout_ = true;  // false when the URL sets its own connect_timeout
  std::unique_ptr<Watchdog> watchdog_;
  bool reopen_ = false;  // the watchdog shut the connection down
  std::string schema_;   // from use_schema, restored on a new connection
  std::unique_ptr<pqxx::connection> connection_;
  std::atomic<std::uint64_t> queries_{0};
  std::atomic<std::thread::id> transaction_thread_{std::thread::id()};
};

}  // namespace wb
