// Lesson 14 - reference solution.
#include "pipelining.hpp"

#include <algorithm>
#include <iterator>
#include <set>
#include <stdexcept>

namespace pipelining {

namespace {

void require_valid(const std::vector<std::string>& ids, milliseconds ttl, const char* what) {
  if (ttl.count() <= 0)
    throw std::invalid_argument(std::string(what) + ": the ttl must be positive");
  for (const auto& id : ids)
    if (id.empty()) throw std::invalid_argument(std::string(what) + ": an id is empty");
}

std::vector<std::string> ids_of(const std::vector<Row>& rows) {
  std::vector<std::string> ids;
  for (const auto& row : rows) ids.push_back(row.id);
  return ids;
}

std::string key_of(std::string_view prefix, const std::string& id) {
  return std::string(prefix) + id;
}

}  // namespace

std::vector<std::optional<std::string>> load_many(wb::Valkey& client, std::string_view prefix,
                                                  const std::vector<std::string>& ids,
                                                  milliseconds ttl, const BatchLoader& load) {
  require_valid(ids, ttl, "load_many");
  if (ids.empty()) return {};

  // Round trip 1: every key in one MGET.
  std::vector<std::string> keys;
  for (const auto& id : ids) keys.push_back(key_of(prefix, id));
  std::vector<std::optional<std::string>> values;
  client.mget(keys.begin(), keys.end(), std::back_inserter(values));

  // Each missing id once, in the order it first appears.
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!values[i] && seen.insert(ids[i]).second) missing.push_back(ids[i]);
  if (missing.empty()) return values;

  // One query for all of them, then round trip 2: every fill, each with its
  // expiry, in one pipeline. Only what was asked for is cached.
  const std::map<std::string, std::string> found = load(missing);
  auto fill = client.pipeline(false);
  for (const auto& id : missing)
    if (auto it = found.find(id); it != found.end()) fill.set(key_of(prefix, id), it->second, ttl);
  fill.exec();

  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!values[i])
      if (auto it = found.find(ids[i]); it != found.end()) values[i] = it->second;
  return values;
}

void bulk_import(wb::Valkey& client, std::string_view prefix, const std::vector<Row>& rows,
                 milliseconds ttl, std::size_t batch_size) {
  if (batch_size == 0) throw std::invalid_argument("bulk_import: batch_size must be at least 1");
  require_valid(ids_of(rows), ttl, "bulk_import");
  for (std::size_t start = 0; start < rows.size(); start += batch_size) {
    // A plain pipeline: one round trip per batch, and other clients' commands
    // may run between ours (a transaction would make them wait).
    auto batch = client.pipeline(false);
    const std::size_t end = std::min(rows.size(), start + batch_size);
    for (std::size_t i = start; i < end; ++i)
      batch.set(key_of(prefix, rows[i].id), rows[i].value, ttl);
    auto replies = batch.exec();
    // exec() does not throw for a refused command: reading its reply does.
    for (std::size_t i = 0; i < replies.size(); ++i) replies.get<bool>(i);
  }
}

void write_together(wb::Valkey& client, std::string_view prefix, const std::vector<Row>& rows,
                    milliseconds ttl) {
  require_valid(ids_of(rows), ttl, "write_together");
  if (rows.empty()) return;
  // MULTI ... EXEC: the server runs the queued SETs one after the other with
  // no other client's command in between, and it is still one round trip.
  auto tx = client.transaction(true, false);
  for (const auto& row : rows) tx.set(key_of(prefix, row.id), row.value, ttl);
  auto replies = tx.exec();
  for (std::size_t i = 0; i < replies.size(); ++i) replies.get<bool>(i);
}

}  // namespace pipelining
