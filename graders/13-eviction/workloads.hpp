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

// The server every workload runs on: small, so that it fills in a moment
// (about 1000 values of 1000 bytes fit), and the sizes of each workload.
inline constexpr const char* maxmemory = "2mb";
inline constexpr int keys_to_keep = 50;  // data without expiry, when the workload has some
inline constexpr int alike = 3000;       // all_alike: entries written once
inline constexpr int hot = 60;           // often_read: entries read hot_reads times each,
inline constexpr int hot_reads = 30;     //   then a scan of `scan` new entries
inline constexpr int scan = 3000;
inline constexpr int old_popular = 1000;  // recently_read: entries read old_reads times,
inline constexpr int old_reads = 30;      //   then (a tick later) `fresh` new ones, read twice
inline constexpr int fresh = 600;
inline constexpr int long_lived = 150;    // most_time_left: entries with 10 hours left,
inline constexpr int short_lived = 2500;  //   then short_lived with 1 to 2 hours, read 3 times

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
//   - data to keep: keys_to_keep keys without expiry, written first;
//   - all_alike: `alike` entries written once;
//   - often_read: `hot` entries read hot_reads times each, then a scan:
//     `scan` new entries written once (the entries worth keeping: the hot);
//   - recently_read: old_popular entries read old_reads times each; a tick of
//     the server's LRU clock later, `fresh` new entries, each read twice soon
//     after it is written (worth keeping: the fresh);
//   - most_time_left: long_lived entries with an expiry of 10 hours, never
//     read, then short_lived entries with 1 to 2 hours, each read 3 times
//     (worth keeping: the long-lived).
// Entries get an expiry of 1 to 2 hours (a fixed pseudo-random sequence)
// when w.entries_have_ttl. Values are 1000 bytes.
Outcome play(const eviction::Workload& w, const std::string& policy);

// The workload's facts, one line, for messages.
std::string describe(const eviction::Workload& w);

}  // namespace workloads
