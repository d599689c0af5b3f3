#include "workbook/postgres.hpp"

#include <algorithm>
#include <cstdlib>

namespace wb {

std::string database_url_from_env() {
  const char* url = std::getenv("DATABASE_URL");
  return (url && *url) ? url : "postgresql://workbook:workbook@127.0.0.1:55432/workbook";
}

namespace {
// Replaces the value of every `password` setting in libpq's key=value form
// ("host=h password=secret", the value maybe 'quoted') or in a URL's query
// string ("?password=secret&...").
std::string redact_password_settings(std::string out) {
  const std::string word = "password";
  for (std::size_t pos = 0; (pos = out.find(word, pos)) != std::string::npos;) {
    bool starts_word = pos == 0 || out[pos - 1] == ' ' || out[pos - 1] == '?' ||
                       out[pos - 1] == '&' || out[pos - 1] == '\t';
    std::size_t i = pos + word.size();
    while (i < out.size() && out[i] == ' ') ++i;
    if (!starts_word || i >= out.size() || out[i] != '=') {
      pos += word.size();
      continue;
    }
    ++i;
    while (i < out.size() && out[i] == ' ') ++i;
    std::size_t end = i;
    if (end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end)
        if (out[end] == '\\') ++end;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
    }
    out.replace(i, end - i, "***");
    pos = i + 3;
  }
  return out;
}

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
}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    // The last '@' before the query string ends the user info (a careless
    // password may hold an '@' or a '/'; hiding too much beats showing it).
    auto authority_end = out.find('?', scheme + 3);
    auto at =
        out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at > scheme) {
      auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  return redact_password_settings(out);
}

namespace {
// libpq waits for ever for a server that accepts the connection and never
// answers (a wrong port, a proxy whose backend is down). Unless the URL sets
// its own connect_timeout, give up after this many seconds (libpq's minimum).
constexpr int kConnectTimeoutSeconds = 2;

std::string with_connect_timeout(const std::string& url) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  const std::string setting = "connect_timeout=" + std::to_string(kConnectTimeoutSeconds);
  bool uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!uri) return url.empty() ? setting : url + " " + setting;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + setting;
}
}  // namespace

namespace {
std::unique_ptr<pqxx::connection> open_connection(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(with_connect_timeout(url));
  } catch (const pqxx::broken_connection& e) {
    throw DatabaseUnavailable("cannot reach PostgreSQL at " + redact_url(url) + " (" +
                              one_line(e.what()) +
                              "). Start the servers with `make infra-up`, or set DATABASE_URL.");
  }
}

void set_search_path(pqxx::connection& c, const std::string& schema) {
  pqxx::nontransaction tx(c);
  tx.exec("SET search_path TO " + tx.quote_name(schema));
}
}  // namespace

Database::Database(const std::string& url) : url_(url), connection_(open_connection(url)) {}

pqxx::connection& Database::live_connection() {
  if (!connection_->is_open()) {
    auto fresh = open_connection(url_);
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
  set_search_path(live_connection(), std::string(schema));
  schema_ = std::string(schema);
}

std::string Database::server_version() {
  refuse_inside_transaction("server_version");
  std::lock_guard<std::mutex> lock(mutex_);
  pqxx::nontransaction tx(live_connection());
  return tx.exec("SHOW server_version")[0][0].c_str();
}

}  // namespace wb
