// Lesson 04 - reference solution.
#include "hashes.hpp"

#include <charconv>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>

namespace hashes {

namespace {

void require_key(std::string_view key) {
  if (key.empty()) throw std::invalid_argument("the employee's key must not be empty");
}

// A whole number and nothing else ("12", "-3"); "12 days", "" and "1e3" are not.
std::optional<long long> whole_number(const std::string& text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// Both scripts check for the `name` field, which every whole record has: a
// key holding only a stray field is not an employee either. The check and the
// change run inside the server as one step; nothing can happen in between.
constexpr std::string_view change_job_script = R"lua(
if redis.call('HEXISTS', KEYS[1], 'name') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'department', ARGV[1], 'job_title', ARGV[2])
return 1
)lua";

// `return false` reaches the client as nil: std::nullopt.
constexpr std::string_view add_days_script = R"lua(
if redis.call('HEXISTS', KEYS[1], 'name') == 0 then return false end
return redis.call('HINCRBY', KEYS[1], 'vacation_days', ARGV[1])
)lua";

}  // namespace

long long save_employee(wb::Valkey& client, std::string_view key, const Employee& employee) {
  require_key(key);
  if (employee.name.empty()) throw std::invalid_argument("an employee needs a name");
  const std::string days = std::to_string(employee.vacation_days);
  // One HSET with every field: one round trip, and no reader ever sees a
  // record with the name written but not the department.
  return client.hset(key, {
                              std::make_pair("name", employee.name),
                              std::make_pair("department", employee.department),
                              std::make_pair("job_title", employee.job_title),
                              std::make_pair("vacation_days", days),
                          });
}

std::optional<Employee> load_employee(wb::Valkey& client, std::string_view key) {
  require_key(key);
  std::map<std::string, std::string> fields;
  client.hgetall(key, std::inserter(fields, fields.end()));
  // HGETALL answers an empty list for a missing key: "no employee", which is
  // not the same thing as an employee whose fields are all empty.
  auto field = [&](const char* name) -> const std::string* {
    auto found = fields.find(name);
    return found == fields.end() ? nullptr : &found->second;
  };
  const std::string* name = field("name");
  const std::string* department = field("department");
  const std::string* job_title = field("job_title");
  const std::string* days_text = field("vacation_days");
  if (!name || !department || !job_title || !days_text) return std::nullopt;
  std::optional<long long> days = whole_number(*days_text);
  if (!days) return std::nullopt;
  return Employee{*name, *department, *job_title, *days};
}

bool change_job(wb::Valkey& client, std::string_view key, std::string_view department,
                std::string_view job_title) {
  require_key(key);
  if (department.empty() || job_title.empty())
    throw std::invalid_argument("change_job needs a department and a job title");
  return client.eval<long long>(change_job_script, {key}, {department, job_title}) == 1;
}

std::optional<long long> add_vacation_days(wb::Valkey& client, std::string_view key,
                                           long long days) {
  require_key(key);
  const std::string increment = std::to_string(days);
  // HINCRBY adds inside the server: two callers can never both read 20 and
  // both write 21.
  return client.eval<std::optional<long long>>(add_days_script, {key}, {increment});
}

}  // namespace hashes
