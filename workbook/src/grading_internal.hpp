// Between the harness library and its main; not for graders.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace wb::grading {
class KeyScope;
namespace internal {
// A key or value for a failing test's report: control bytes as \xNN, cut
// after `max` bytes (the cut says how long it was).
std::string printable(const std::string& s, std::size_t max = 60);

// A PTTL answer as the key scopes' view() shows it.
// A sorted-set score with every digit it has: a time in microseconds
// (1.79618e+15 by default) must tell its members apart.
inline std::string score_text(double score) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", score);
  if (std::strtod(text, nullptr) != score) std::snprintf(text, sizeof text, "%.17g", score);
  return text;
}

inline std::string ttl_view(long long pttl) {
  if (pttl == -1) return "no TTL";
  if (pttl == -2) return "gone";
  return "TTL " + std::to_string(pttl) + " ms";
}

// What key `k` of type `type` holds, as the key scopes' view() shows it: at
// most 12 fields, members or items. Client: wb::Valkey (KeyScope) or
// wb::ValkeyCluster (ClusterKeyScope), which have the same calls.
template <typename Client>
std::string value_view(Client& client, const std::string& k, const std::string& type) {
  std::ostringstream out;
  if (type == "string") {
    out << '"' << printable(client.get(k).value_or("")) << '"';
  } else if (type == "hash") {
    std::vector<std::pair<std::string, std::string>> fields;
    client.hgetall(k, std::back_inserter(fields));
    std::sort(fields.begin(), fields.end());
    out << '{';
    for (std::size_t i = 0; i < fields.size() && i < 12; ++i)
      out << (i ? ", " : "") << printable(fields[i].first, 30) << ": "
          << printable(fields[i].second, 30);
    if (fields.size() > 12) out << ", ... " << fields.size() << " fields";
    out << '}';
  } else if (type == "zset") {
    std::vector<std::pair<std::string, double>> members;
    client.zrevrange(k, 0, 11, std::back_inserter(members));
    out << "highest first: ";
    for (std::size_t i = 0; i < members.size(); ++i)
      out << (i ? ", " : "") << printable(members[i].first, 30) << '=' << score_text(members[i].second);
    long long n = client.zcard(k);
    if (n > 12) out << ", ... " << n << " members";
  } else if (type == "list") {
    std::vector<std::string> items;
    client.lrange(k, 0, 11, std::back_inserter(items));
    out << '[';
    for (std::size_t i = 0; i < items.size(); ++i)
      out << (i ? ", " : "") << printable(items[i], 30);
    out << ']';
  } else if (type == "set") {
    std::vector<std::string> items;
    client.smembers(k, std::back_inserter(items));
    std::sort(items.begin(), items.end());
    out << '{';
    for (std::size_t i = 0; i < items.size() && i < 12; ++i)
      out << (i ? ", " : "") << printable(items[i], 30);
    if (items.size() > 12) out << ", ... " << items.size() << " members";
    out << '}';
  }
  return out.str();
}

void register_scope(const KeyScope* scope);
void unregister_scope(const KeyScope* scope);
// The keys of every live KeyScope, for a failing test's report.
std::string view_live_scopes();
// Another kind of scope (the cluster's, lesson 15) adds its live keys to that
// report through this; set once, before the first test.
void set_extra_scope_viewer(std::string (*viewer)());

// ---- the run: this grader process, as the server sees it -------------------
// Every KeyScope prefix of this process carries its run id
// ("wbtest:<label>:<run id>.<n>:"). While the process runs it holds a lease,
// the key "wbtest:run:<run id>" with a TTL it keeps renewing, and its id is a
// member of the set "wbtest:runs". A run whose id is in the set but whose
// lease has expired stopped without cleaning up (killed, crashed, or it lost
// the server): its keys are abandoned, and any later run removes them. A
// running grader's keys are never touched, because its lease is alive.

// 12 hex digits from RAND_bytes, the same for the whole process.
const std::string& run_id();
std::string lease_key(const std::string& run);
extern const char* const runs_key;  // "wbtest:runs"

// Takes the lease and joins the set. Throws wb::Error when the server fails.
void register_run();
// Renews the lease (the watchdog thread calls it every few seconds).
void renew_run();
// Something went wrong on the wire (a timeout, a closed connection) or a
// scope could not delete its keys: a command may still reach the server
// after this run's clean-up. The run then leaves its registration behind, with
// a short lease, so that a later run sweeps its prefix once more.
void note_io_trouble();
bool had_io_trouble();
// The end of the run. A clean run leaves the set and drops its lease. Any
// other deletes what its prefix still holds and keeps a short lease.
// Never throws.
void finish_run();
// Deletes every key of this run's prefix (after a time limit); returns how
// many. Never throws.
long long sweep_own_keys();

// Removes the keys of runs whose lease has expired and takes them out of the
// set. Returns how many keys it deleted; `runs` gets the number of runs.
long long sweep_abandoned_runs(int* runs = nullptr);
// The same, for tests: only among the given ids' keys; lease checked as above.
long long sweep_runs(const std::vector<std::string>& ids, int* runs = nullptr);

// The server's run_id (INFO server) on a fresh connection: it changes when the
// server restarts. Throws wb::Error when the server does not answer.
std::string server_run_id();
}  // namespace internal
}  // namespace wb::grading
