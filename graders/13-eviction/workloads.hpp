// Lesson 13's grader, task 3: a workload played against a server of the
// grader's own with the policy the learner chose, and what came of it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "eviction.hpp"
#include "workbook/own_server.hpp"

namespace workloads {

// A server of the grader's own with this configuration, of the same kind as
// the learner's (valkey-server or redis-server: see wb::own_servers_like).
wb::OwnServer start_server(std::vector<std::pair<std::string, std::string>> config);

// The server every workload runs on: small, so that it fills in a moment.
inline constexpr const char* maxmemory = "3mb";
inline constexpr long long keys_to_keep = 50;  // data without expiry, when the workload has some

struct Outcome {
  std::string server;  // "valkey 8.0.1"
  bool policy_accepted = true;
  std::string policy_error;  // the server's reply to CONFIG SET, when it refused
  long long writes = 0;
  long long refused = 0;  // writes refused with OOM
  long long evicted = 0;  // INFO stats evicted_keys
  long long keep_stored = 0, keep_present = 0;
  long long worth_stored = 0, worth_present = 0;
  std::string worth_label;  // "the 100 entries read all the time"
};

// Plays `w` (see eviction.hpp) on a fresh server with `policy`:
//   - data to keep: 50 keys without expiry, written first;
//   - all_alike: 6000 entries written once;
//   - often_read: 100 entries read 30 times each, then a scan: 6000 new
//     entries written once (the entries worth keeping: the 100);
//   - recently_read: 1800 entries read 50 times each; a tick of the server's
//     LRU clock later, 1500 new entries, each read twice soon after it is
//     written (worth keeping: the 1500);
//   - most_time_left: 300 entries with an expiry of 10 hours, never read,
//     then 5000 entries with 1 to 2 hours, each read 3 times (worth keeping:
//     the 300).
// Entries get an expiry of 1 to 2 hours (a fixed pseudo-random sequence)
// when w.entries_have_ttl. Values are 1000 bytes.
Outcome play(const eviction::Workload& w, const std::string& policy);

// The workload's facts, one line, for messages.
std::string describe(const eviction::Workload& w);

}  // namespace workloads
