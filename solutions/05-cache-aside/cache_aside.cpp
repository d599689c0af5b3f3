// Lesson 05 - reference solution.
#include "cache_aside.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace cache_aside {

namespace {

std::string employee_key(const Staff& staff, long long id) {
  return staff.prefix + "employee:" + std::to_string(id);
}

std::string queries_key(const Staff& staff, long long id) {
  return employee_key(staff, id) + ":queries";
}

void require_id(long long id) {
  if (id < 1) throw std::invalid_argument("employee ids start at 1, got " + std::to_string(id));
}

std::optional<long long> whole_number(const std::string& text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute a SHA-256 digest");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// The cached hash back into rows; std::nullopt when it is missing or cannot
// be read whole (then the caller treats it as a miss and asks the database).
std::optional<std::vector<StaffRow>> rows_from_hash(const std::map<std::string, std::string>& h) {
  auto field = [&](const std::string& name) -> const std::string* {
    auto found = h.find(name);
    return found == h.end() ? nullptr : &found->second;
  };
  const std::string* count_text = field("count");
  if (!count_text) return std::nullopt;
  std::optional<long long> count = whole_number(*count_text);
  if (!count || *count < 0) return std::nullopt;
  std::vector<StaffRow> rows;
  for (long long i = 0; i < *count; ++i) {
    const std::string row = std::to_string(i) + ":";
    const std::string* id_text = field(row + "id");
    const std::string* name = field(row + "name");
    const std::string* department = field(row + "department");
    const std::string* job_title = field(row + "job_title");
    if (!id_text || !name || !department || !job_title) return std::nullopt;
    std::optional<long long> id = whole_number(*id_text);
    if (!id) return std::nullopt;
    rows.push_back(StaffRow{*id, *name, *department, *job_title});
  }
  return rows;
}

}  // namespace

std::optional<std::string> employee_name(Staff& staff, long long id) {
  require_id(id);
  const std::string key = employee_key(staff, id);
  if (auto cached = staff.cache.get(key)) {
    if (*cached == not_found_marker) return std::nullopt;
    return cached;
  }
  auto rows = staff.db.query("SELECT name FROM employees WHERE id = $1", id);
  if (rows.empty()) {
    // Remember the absence too, briefly: otherwise every request for an id
    // that does not exist goes straight through to the database.
    staff.cache.set(key, not_found_marker, not_found_ttl);
    return std::nullopt;
  }
  std::string name = rows[0][0].as<std::string>();
  staff.cache.set(key, name, name_ttl);  // SET key name PX 30000: one command
  return name;
}

std::string query_key(std::string_view prefix, std::string_view sql,
                      const std::vector<std::string>& params) {
  // Normalize: the same query written on one line or on five is the same query.
  std::string text;
  bool in_space = false;
  for (char c : sql) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in_space = true;
      continue;
    }
    if (in_space && !text.empty()) text += ' ';
    in_space = false;
    text += c;
  }
  if (text.empty()) throw std::invalid_argument("query_key needs an SQL text");
  // Each parameter is preceded by its length, so {"ab", "c"} and {"a", "bc"}
  // can never digest the same text.
  for (const auto& param : params) text += "\n" + std::to_string(param.size()) + ":" + param;
  return std::string(prefix) + "query:" + sha256_hex(text);
}

std::vector<StaffRow> staff_in(Staff& staff, std::vector<std::string> departments) {
  if (departments.empty()) throw std::invalid_argument("staff_in needs at least one department");
  // A set of departments: one order, no repeats, so equal questions share a key.
  std::sort(departments.begin(), departments.end());
  departments.erase(std::unique(departments.begin(), departments.end()), departments.end());
  const std::string param = nlohmann::json(departments).dump();
  const std::string key = query_key(staff.prefix, staff_in_sql, {param});

  std::map<std::string, std::string> cached;
  staff.cache.hgetall(key, std::inserter(cached, cached.end()));
  if (auto rows = rows_from_hash(cached)) return *rows;

  std::vector<StaffRow> rows;
  for (const auto& r : staff.db.query(staff_in_sql, param))
    rows.push_back(StaffRow{r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(),
                            r[3].as<std::string>()});

  std::vector<std::pair<std::string, std::string>> fields{{"count", std::to_string(rows.size())}};
  std::set<long long> mentioned;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string row = std::to_string(i) + ":";
    fields.emplace_back(row + "id", std::to_string(rows[i].id));
    fields.emplace_back(row + "name", rows[i].name);
    fields.emplace_back(row + "department", rows[i].department);
    fields.emplace_back(row + "job_title", rows[i].job_title);
    mentioned.insert(rows[i].id);
  }
  // One transaction, one round trip: the result never exists without its
  // expiry, and never without the index a rename needs to find it.
  auto tx = staff.cache.transaction(true, false);
  tx.del(key).hset(key, fields.begin(), fields.end()).expire(key, query_ttl);
  for (long long id : mentioned)
    tx.sadd(queries_key(staff, id), key).expire(queries_key(staff, id), query_ttl);
  tx.exec();
  return rows;
}

bool rename_employee(Staff& staff, long long id, std::string_view new_name) {
  require_id(id);
  if (new_name.empty()) throw std::invalid_argument("an employee's new name must not be empty");
  // The database first: query() returns once the UPDATE has committed.
  auto result =
      staff.db.query("UPDATE employees SET name = $1 WHERE id = $2", std::string(new_name), id);
  if (result.affected_rows() == 0) return false;

  // Only now the copies. Deleted before the commit, a reader in between would
  // read the old name from the database and cache it again.
  std::vector<std::string> stale{employee_key(staff, id), queries_key(staff, id)};
  staff.cache.smembers(queries_key(staff, id), std::back_inserter(stale));
  staff.cache.del(stale.begin(), stale.end());
  return true;
}

}  // namespace cache_aside
