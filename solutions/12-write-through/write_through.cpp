// Lesson 12 - reference solution.
#include "write_through.hpp"

#include <charconv>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

namespace write_through {

namespace {

// Writes {name, version} only when the cached entry has no higher version: a
// rename that committed earlier but reaches the cache later changes nothing.
// An entry that is not a readable hash is replaced. Script replies: 1 written,
// 0 kept the newer entry.
constexpr std::string_view write_if_newer = R"lua(
  local current = nil
  if redis.call('TYPE', KEYS[1]).ok == 'hash' then
    current = tonumber(redis.call('HGET', KEYS[1], 'version'))
  end
  if current and current >= tonumber(ARGV[2]) then return 0 end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'version', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
)lua";

// The whole write-behind record in one atomic step: the number, the queue,
// the cached copy. The push comes before the cached copy, so that a failure
// in between (a damaged key) can only leave a change queued, never a cached
// status the database will not get.
constexpr std::string_view record = R"lua(
  local version = redis.call('INCR', KEYS[1])
  redis.call('LPUSH', KEYS[2], string.format('%d', version) .. ':' .. ARGV[1] .. ':' .. ARGV[2])
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'status', ARGV[2], 'version', version)
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  return version
)lua";

// Takes up to ARGV[1] entries from the tail of the queue (the oldest) into
// the worker's processing list, each with LMOVE, in one round trip.
constexpr std::string_view take = R"lua(
  local taken = {}
  for i = 1, tonumber(ARGV[1]) do
    local entry = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
    if not entry then break end
    taken[i] = entry
  end
  return taken
)lua";

// The newest change of each employee of a batch in one statement. Employees
// the database does not have are left out by the join; the WHERE of the
// update skips a change the row already has, or an older one.
constexpr std::string_view upsert = R"sql(
  INSERT INTO employee_status (employee_id, status, version)
  SELECT c.id, c.status, c.version
    FROM jsonb_to_recordset($1::jsonb) AS c(id bigint, status text, version bigint)
    JOIN employees e ON e.id = c.id
   ORDER BY c.id
  ON CONFLICT (employee_id) DO UPDATE
     SET status = EXCLUDED.status, version = EXCLUDED.version
   WHERE employee_status.version < EXCLUDED.version
)sql";

struct Change {
  long long version = 0;
  long long id = 0;
  std::string status;
};

void require_id(long long id) {
  if (id < 1) throw std::invalid_argument("employee ids start at 1, got " + std::to_string(id));
}

bool acceptable_status(std::string_view status) {
  return !status.empty() && status.size() <= max_status_bytes && valid_text(status);
}

std::optional<long long> positive_number(std::string_view text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || value < 1) return std::nullopt;
  return value;
}

std::optional<Change> read_change(std::string_view entry) {
  const auto first = entry.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = entry.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto version = positive_number(entry.substr(0, first));
  auto id = positive_number(entry.substr(first + 1, second - first - 1));
  std::string_view status = entry.substr(second + 1);
  if (!version || !id || !acceptable_status(status)) return std::nullopt;
  return Change{*version, *id, std::string(status)};
}

}  // namespace

bool rename_employee(Staff& staff, long long id, std::string_view new_name) {
  require_id(id);
  if (new_name.empty() || !valid_text(new_name))
    throw std::invalid_argument("a new name must be non-empty UTF-8 text without NUL bytes");
  const std::string name(new_name);

  // The database first, and the version with it: nextval runs while this
  // UPDATE holds the row, so a rename that commits later gets a higher number.
  auto rows = staff.db.query(
      "UPDATE employees SET name = $1 WHERE id = $2 RETURNING nextval('name_versions')", name, id);
  if (rows.empty()) return false;
  const long long version = rows[0][0].as<long long>();

  // Committed: only now the copy. Should Valkey fail here, the rename still
  // happened; the old copy expires within name_ttl.
  try {
    const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(name_ttl);
    staff.cache.eval<long long>(write_if_newer, {staff.prefix + "employee:" + std::to_string(id)},
                                {name, std::to_string(version), std::to_string(ttl.count())});
  } catch (const wb::Error&) {
  }
  return true;
}

long long record_change(Staff& staff, long long id, std::string_view status) {
  require_id(id);
  if (!acceptable_status(status))
    throw std::invalid_argument("a status is 1 to " + std::to_string(max_status_bytes) +
                                " bytes of UTF-8 text without NUL bytes");
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(status_ttl);
  return staff.cache.eval<long long>(
      record,
      {staff.prefix + "writebehind:version", staff.prefix + "writebehind:queue",
       staff.prefix + "status:" + std::to_string(id)},
      {std::to_string(id), std::string(status), std::to_string(ttl.count())});
}

std::size_t flush_batch(Staff& staff, std::string_view worker, std::size_t max_changes) {
  if (worker.empty()) throw std::invalid_argument("a worker needs a name");
  if (max_changes == 0) throw std::invalid_argument("a batch takes at least one change");
  const std::string queue = staff.prefix + "writebehind:queue";
  const std::string processing = staff.prefix + "writebehind:processing:" + std::string(worker);

  // What an earlier run of this worker took and did not finish comes first.
  std::vector<std::string> batch;
  staff.cache.lrange(processing, 0, -1, std::back_inserter(batch));
  if (batch.empty())
    batch = staff.cache.eval<std::vector<std::string>>(take, {queue, processing},
                                                       {std::to_string(max_changes)});
  if (batch.empty()) return 0;

  // Coalesce: one write per employee, the newest change. std::map keeps the
  // ids in ascending order, the order every worker writes rows in.
  std::map<long long, Change> newest;
  std::vector<std::string> unreadable;
  for (const auto& entry : batch) {
    auto change = read_change(entry);
    if (!change) {
      unreadable.push_back(entry);
      continue;
    }
    auto& slot = newest[change->id];
    if (change->version > slot.version) slot = std::move(*change);
  }

  if (!newest.empty()) {
    auto rows = nlohmann::json::array();
    for (const auto& [id, change] : newest)
      rows.push_back({{"id", id}, {"status", change.status}, {"version", change.version}});
    staff.db.query(upsert, rows.dump());  // one statement, committed when query returns
  }

  // Committed: now the batch may go. In one step with the dead letters, so a
  // crash here repeats the batch (harmless) rather than losing one of them.
  auto finish = staff.cache.transaction();
  for (const auto& entry : unreadable)
    finish.command("LPUSH", staff.prefix + "writebehind:dead", entry);
  finish.del(processing);
  finish.exec();
  return batch.size();
}

}  // namespace write_through
