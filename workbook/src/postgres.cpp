#include "workbook/postgres.hpp"

#include <cstdlib>

namespace wb {

std::string database_url_from_env() {
  const char* url = std::getenv("DATABASE_URL");
  return (url && *url) ? url : "postgresql://workbook:workbook@127.0.0.1:55432/workbook";
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  auto at = out.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return out;
  auto colon = out.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  return out;
}

Database::Database(const std::string& url) try : connection_(url) {
} catch (const pqxx::broken_connection& e) {
  std::string why = e.what();
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  if (auto nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);
  throw DatabaseUnavailable("cannot reach PostgreSQL at " + redact_url(url) + " (" + why +
                            "). Start the servers with `make infra-up`, or set DATABASE_URL.");
}

void Database::use_schema(std::string_view schema) {
  std::lock_guard<std::mutex> lock(mutex_);
  pqxx::nontransaction tx(connection_);
  tx.exec("SET search_path TO " + tx.quote_name(std::string(schema)));
}

std::string Database::server_version() {
  std::lock_guard<std::mutex> lock(mutex_);
  pqxx::nontransaction tx(connection_);
  return tx.exec("SHOW server_version")[0][0].c_str();
}

}  // namespace wb
