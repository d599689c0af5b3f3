// Lesson 13 - reference solution.
#include "eviction.hpp"

#include <charconv>
#include <map>
#include <stdexcept>
#include <string>

namespace eviction {

namespace {

// INFO's text: "# Section" headings and "name:value" lines, each ending in
// "\r\n". The "\r" must go, or "noeviction\r" is not "noeviction".
std::map<std::string, std::string> parse_info(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t colon = line.find(':');
    if (!line.empty() && line[0] != '#' && colon != std::string::npos)
      fields[line.substr(0, colon)] = line.substr(colon + 1);
    start = end + 1;
  }
  return fields;
}

long long to_number(std::string_view text, const std::string& what) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw std::runtime_error("INFO's " + what + " is not a number: '" + std::string(text) + "'");
  return value;
}

const std::string& field(const std::map<std::string, std::string>& fields,
                         const std::string& name) {
  auto it = fields.find(name);
  if (it == fields.end()) throw std::runtime_error("INFO has no " + name + " line");
  return it->second;
}

// "count=12,rejected_calls=0,failed_calls=0" -> 12.
long long error_count(std::string_view stat) {
  const std::string_view prefix = "count=";
  if (stat.substr(0, prefix.size()) != prefix) return 0;
  stat.remove_prefix(prefix.size());
  return to_number(stat.substr(0, stat.find(',')), "errorstat_OOM count");
}

}  // namespace

std::string read_through(wb::Valkey& client, std::string_view key, milliseconds ttl,
                         const std::function<std::string()>& load, CacheCounters& counters) {
  if (ttl.count() <= 0) throw std::invalid_argument("read_through: the ttl must be positive");
  if (auto cached = client.get(key)) return *cached;
  std::string value = load();
  try {
    client.set(key, value, ttl);  // SET key value PX ttl
  } catch (const wb::ReplyError& e) {
    // A full cache is a reason not to cache, never a reason to fail the
    // request; anything else is a real problem: let it through. The server's
    // reply starts with its code ("OOM command not allowed when used memory >
    // 'maxmemory'."); what() also holds the command and the key, which may
    // contain anything, even "OOM".
    if (e.server_text().rfind("OOM ", 0) != 0) throw;
    ++counters.not_cached;
  }
  return value;
}

MemoryReport memory_report(wb::Valkey& client) {
  // Plain INFO has the memory, stats and errorstats sections: one reply, one
  // moment.
  const auto fields = parse_info(client.info());
  MemoryReport report;
  report.used_bytes = to_number(field(fields, "used_memory"), "used_memory");
  report.limit_bytes = to_number(field(fields, "maxmemory"), "maxmemory");
  report.policy = field(fields, "maxmemory_policy");
  report.evicted_keys = to_number(field(fields, "evicted_keys"), "evicted_keys");
  // The line appears only after the first OOM error.
  if (auto oom = fields.find("errorstat_OOM"); oom != fields.end())
    report.oom_errors = error_count(oom->second);
  if (report.limit_bytes > 0)
    report.used_fraction =
        static_cast<double>(report.used_bytes) / static_cast<double>(report.limit_bytes);
  return report;
}

std::string choose_policy(const Workload& w) {
  // Nothing may go: the only policy that never evicts.
  if (w.no_key_may_be_lost) return "noeviction";
  // volatile-* evicts only keys with an expiry: the expiry is what marks an
  // entry as a copy that may go. Without expiries, nothing can tell the data
  // to keep from the cache, and there is no time left to compare.
  if (!w.entries_have_ttl && w.has_data_to_keep)
    throw std::invalid_argument(
        "data to keep and cache entries without expiry: no policy can "
        "evict the entries and spare the data");
  if (!w.entries_have_ttl && w.worth == Worth::most_time_left)
    throw std::invalid_argument("entries without expiry have no time left to compare");
  if (w.worth == Worth::most_time_left) return "volatile-ttl";
  const std::string scope = w.has_data_to_keep ? "volatile-" : "allkeys-";
  switch (w.worth) {
    case Worth::recently_read: return scope + "lru";
    case Worth::often_read: return scope + "lfu";
    case Worth::all_alike:
    case Worth::most_time_left: break;
  }
  return scope + "random";
}

}  // namespace eviction
