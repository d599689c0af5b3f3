// Between the harness library and its main; not for graders.
#pragma once

#include <string>
#include <vector>

namespace wb::grading {
class KeyScope;
namespace internal {
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
