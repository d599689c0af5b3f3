// Lesson 13 - Eviction and memory: the contract of the exercise.
//
// Write the functions in eviction.cpp. `make test-13` grades them against real
// servers that the grader starts for itself, with a small maxmemory (your own
// server's configuration is never changed); the lesson is
// lessons/13-eviction/README.md.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace eviction {

using std::chrono::milliseconds;

// What read_through counts, shared by every caller (the members are atomic,
// so threads may share one CacheCounters).
struct CacheCounters {
  std::atomic<long long> not_cached{0};  // values loaded but refused by a full server
};

// Task 1. A cache-aside read that survives a full cache. A hit returns the
// cached value and does nothing else. A miss calls `load()` once, stores what
// it returned under `key` with the expiry `ttl` (value and expiry in ONE
// command), and returns it.
// When the server refuses that store because it is out of memory (its reply
// is an OOM error: maxmemory reached with nothing it may evict), the request
// must not fail because of the cache: return the loaded value all the same,
// and add one to counters.not_cached.
// Every other failure reaches the caller unchanged and is not counted: any
// other error reply (from the read or the store), a server that cannot be
// reached, an exception thrown by `load`.
// A ttl of zero or less throws std::invalid_argument before anything is sent.
std::string read_through(wb::Valkey& client, std::string_view key, milliseconds ttl,
                         const std::function<std::string()>& load, CacheCounters& counters);

// What the server says about its memory, from its INFO text.
struct MemoryReport {
  long long used_bytes = 0;    // used_memory: the figure the server compares with maxmemory
  long long limit_bytes = 0;   // maxmemory; 0 means "no limit" (the default)
  std::string policy;          // maxmemory_policy, exactly as the server names it
  long long evicted_keys = 0;  // keys evicted to make room since the server started
  long long oom_errors = 0;    // commands refused with an OOM error since the server
                               // started (errorstat_OOM's count; 0 when there is no such line)
  std::optional<double> used_fraction;  // used_bytes / limit_bytes; nullopt when there is no limit
};

// Task 2. The memory report of the server `client` talks to, read from ONE
// INFO reply (one command, so that every figure comes from the same moment).
// A server that cannot be asked: the client's wb::Error (or one of its kinds)
// reaches the caller.
MemoryReport memory_report(wb::Valkey& client);

// Which cache entries are worth keeping when memory is full.
enum class Worth {
  all_alike,       // no entry is worth more than another
  recently_read,   // what was read recently is read again soon; old popularity means nothing
  often_read,      // a few entries are read all the time; a one-off scan of many others
                   // must not push them out
  most_time_left,  // the longer an entry's expiry still has to run, the more it is worth
};

// What an application keeps in one server.
struct Workload {
  bool entries_have_ttl = true;     // every cache entry is written with an expiry
  bool has_data_to_keep = false;    // besides the cache entries, the server holds keys WITHOUT
                                    // an expiry that are data, not copies: none may be evicted
  bool no_key_may_be_lost = false;  // every key is data: a refused write is acceptable,
                                    // an evicted key is not
  Worth worth = Worth::all_alike;
};

// Task 3. The maxmemory-policy for `w`: one of the eight names noeviction,
// allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu,
// volatile-random, volatile-ttl. The grader runs the workload on a server of
// its own with that policy and a small maxmemory, writing about three times
// more than fits, and checks what happened:
//   - no write was refused (OOM), unless w.no_key_may_be_lost;
//   - no key without an expiry was evicted, when w.has_data_to_keep;
//   - no key at all was evicted, when w.no_key_may_be_lost;
//   - of the entries worth keeping (by w.worth) that were stored, at least 9
//     in 10 are still there at the end.
// When keys may be lost but no policy can meet the rest - data to keep while
// the entries have no expiry (nothing tells the two apart), or worth by time
// left without expiries - throw std::invalid_argument.
std::string choose_policy(const Workload& w);

}  // namespace eviction
