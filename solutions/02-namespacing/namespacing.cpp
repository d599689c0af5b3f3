// Lesson 02 - reference solution.
#include "namespacing.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <stdexcept>

namespace namespacing {

namespace {

// How many slots of the keyspace one SCAN call looks at. A hint, not a page
// size: a call may return fewer keys (even none) or a few more.
constexpr long long scan_count = 100;

// The MATCH pattern for the keys of `ns`: the namespace with its glob
// characters escaped, so it matches only itself, then ":*".
std::string namespace_pattern(std::string_view ns) {
  if (ns.empty())
    throw std::invalid_argument("the namespace must not be empty (it would match every key)");
  std::string pattern;
  for (char c : ns) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + ":*";
}

// Runs `on_batch` on each batch of keys SCAN finds in `ns`, until the cursor
// is 0 again. A key may come in two batches; a batch may be empty.
void scan_namespace(wb::Valkey& client, std::string_view ns,
                    const std::function<void(std::vector<std::string>&)>& on_batch) {
  const std::string pattern = namespace_pattern(ns);
  long long cursor = 0;
  do {
    std::vector<std::string> batch;
    cursor = client.scan(cursor, pattern, scan_count, std::back_inserter(batch));
    on_batch(batch);
  } while (cursor != 0);
}

}  // namespace

std::string make_key(const std::vector<std::string_view>& parts) {
  if (parts.empty()) throw std::invalid_argument("make_key: give at least one part");
  std::string key;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty())
      throw std::invalid_argument("make_key: part " + std::to_string(i + 1) + " is empty");
    if (i > 0) key += ':';
    for (char c : parts[i]) {
      // '%' is escaped too: otherwise a part that already holds "%3A" would
      // read the same as one that holds ':'.
      if (c == '%')
        key += "%25";
      else if (c == ':')
        key += "%3A";
      else
        key += c;
    }
  }
  return key;
}

std::vector<std::string> list_namespace(wb::Valkey& client, std::string_view ns) {
  std::vector<std::string> keys;
  scan_namespace(client, ns, [&](std::vector<std::string>& batch) {
    keys.insert(keys.end(), batch.begin(), batch.end());
  });
  // SCAN may return a key twice (when the keyspace grows during the walk).
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

long long delete_namespace(wb::Valkey& client, std::string_view ns) {
  long long deleted = 0;
  // One DEL per SCAN batch: at most scan_count-ish keys per command, so no
  // single command keeps the server busy for long. DEL counts only the keys
  // that still existed, so a key seen twice is not counted twice.
  scan_namespace(client, ns, [&](std::vector<std::string>& batch) {
    if (!batch.empty()) deleted += client.del(batch.begin(), batch.end());
  });
  return deleted;
}

}  // namespace namespacing
