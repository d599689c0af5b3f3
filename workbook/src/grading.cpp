#include "workbook/grading.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "grading_internal.hpp"
#include "workbook/postgres.hpp"

namespace wb::grading {

namespace {
Lesson& mutable_lesson() {
  static Lesson the_lesson{"lesson", false};
  return the_lesson;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string internal::printable(const std::string& s, std::size_t max) {
  std::string out;
  for (char ch : s.substr(0, max)) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      const char* hex = "0123456789abcdef";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  if (s.size() > max) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

Registration::Registration(const char* id, bool needs_postgres) {
  mutable_lesson() = Lesson{id, needs_postgres};
}

const Lesson& lesson() { return mutable_lesson(); }

std::string Lesson::number() const {
  std::size_t i = 0;
  while (i + 1 < id.size() && id[i] == '0') ++i;
  std::size_t end = i;
  while (end < id.size() && std::isdigit(static_cast<unsigned char>(id[end]))) ++end;
  return id.substr(i, end - i);
}

Valkey connect() { return Valkey(ConnectionOptions::from_env()); }

Database& database() {
  static std::unique_ptr<Database> db;
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  if (!db) db = std::make_unique<Database>();
  return *db;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (bytes > 0 && RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("the operating system's random source failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// ---------------------------------------------------------------------------
namespace {
std::string next_prefix(std::string_view label) {
  static std::atomic<unsigned long> scopes{0};
  return "wbtest:" + std::string(label) + ":" + internal::run_id() + "." +
         std::to_string(++scopes) + ":";
}

// Deletes every key that matches `pattern` (no glob characters but a trailing
// '*'), batch by batch.
long long delete_matching(Valkey& client, const std::string& pattern) {
  long long deleted = 0;
  long long cursor = 0;
  do {
    std::vector<std::string> batch;
    cursor = client.scan(cursor, pattern, 1000, std::back_inserter(batch));
    if (!batch.empty()) deleted += client.del(batch.begin(), batch.end());
  } while (cursor != 0);
  return deleted;
}
}  // namespace

KeyScope::KeyScope(std::string_view label) : prefix_(next_prefix(label)), client_(connect()) {
  internal::register_scope(this);
}

KeyScope::~KeyScope() {
  internal::unregister_scope(this);
  try {
    std::vector<std::string> mine = keys();
    if (!mine.empty()) client_.del(mine.begin(), mine.end());
    return;
  } catch (...) {
    // The scope's own connection broke during the test: try a fresh one.
  }
  try {
    Valkey fresh = connect();
    delete_matching(fresh, prefix_ + "*");
  } catch (...) {
    // The server went away; the run's clean-up, or a later run, removes them.
  }
  internal::note_io_trouble();
}

std::vector<std::string> KeyScope::keys() const {
  // The prefix is "wbtest:", a label the grader chose, hex digits, a dot and a
  // number: no glob characters, so MATCH prefix* matches exactly our keys.
  std::vector<std::string> found;
  long long cursor = 0;
  do {
    cursor = client_.scan(cursor, prefix_ + "*", 500, std::back_inserter(found));
  } while (cursor != 0);
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::string what_was_thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const NotImplemented&) {
    throw;
  } catch (const ReplyError& e) {
    return "wb::ReplyError: " + std::string(e.what());
  } catch (const Error& e) {
    return "wb::Error: " + std::string(e.what());
  } catch (const std::invalid_argument& e) {
    return "std::invalid_argument: " + std::string(e.what());
  } catch (const std::exception& e) {
    return "an exception: " + std::string(e.what());
  }
  return "nothing";
}

std::string KeyScope::view() const {
  std::ostringstream out;
  std::vector<std::string> mine = keys();
  if (mine.empty()) return "  (no keys)\n";
  for (const auto& k : mine) {
    std::string type = client_.type(k);
    long long pttl = client_.pttl(k);
    out << "  " << internal::printable(k.substr(prefix_.size())) << "  [" << type << ", ";
    out << internal::ttl_view(pttl) << "]  " << internal::value_view(client_, k, type);
    out << '\n';
  }
  return out.str();
}

// ---------------------------------------------------------------------------
std::string describe(const std::vector<SentCommand>& commands, std::size_t max) {
  if (commands.empty()) return "  (no commands)\n";
  std::ostringstream out;
  for (std::size_t i = 0; i < commands.size() && i < max; ++i)
    out << "  " << commands[i].to_string() << '\n';
  if (commands.size() > max) out << "  ... and " << commands.size() - max << " more\n";
  return out.str();
}

std::size_t count(const std::vector<SentCommand>& commands, std::string_view name) {
  std::string wanted = upper(name);
  return static_cast<std::size_t>(std::count_if(
      commands.begin(), commands.end(), [&](const SentCommand& c) { return c.name() == wanted; }));
}

std::vector<SentCommand> only(const std::vector<SentCommand>& commands, std::string_view name) {
  std::string wanted = upper(name);
  std::vector<SentCommand> out;
  for (const auto& c : commands)
    if (c.name() == wanted) out.push_back(c);
  return out;
}

std::size_t round_trips(const std::vector<SentCommand>& commands) {
  std::vector<std::uint64_t> trips;
  for (const auto& c : commands) trips.push_back(c.round_trip);
  std::sort(trips.begin(), trips.end());
  return static_cast<std::size_t>(std::unique(trips.begin(), trips.end()) - trips.begin());
}

bool has_arg(const SentCommand& command, std::string_view arg) {
  std::string wanted = upper(arg);
  for (std::size_t i = 1; i < command.argv.size(); ++i)
    if (upper(command.argv[i]) == wanted) return true;
  return false;
}

std::vector<SentCommand> dry_run(const std::function<void(Valkey&)>& work) {
  Valkey client = connect();
  client.workbook_dry_run();
  try {
    work(client);
  } catch (const NotImplemented&) {
    throw;
  } catch (const std::exception&) {
    // Expected: the first command the code tried to send was stopped.
  }
  return client.workbook_recorded_commands();
}

void run_together(int n, const std::function<void(int)>& work) {
  std::mutex m;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(m);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
      }
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!first_error) first_error = std::current_exception();
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ready == n; });
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

// ---------------------------------------------------------------------------
namespace internal {
namespace {
std::mutex scopes_mutex;
std::vector<const KeyScope*>& scopes() {
  static std::vector<const KeyScope*> all;
  return all;
}
}  // namespace

void register_scope(const KeyScope* scope) {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  scopes().push_back(scope);
}
void unregister_scope(const KeyScope* scope) {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  auto& all = scopes();
  all.erase(std::remove(all.begin(), all.end(), scope), all.end());
}

// ---- the run ----------------------------------------------------------------
const char* const runs_key = "wbtest:runs";

namespace {
constexpr std::chrono::milliseconds lease_ttl{60000};
constexpr std::chrono::milliseconds short_lease{10000};
std::atomic<bool> io_trouble{false};
std::atomic<bool> registered{false};

bool is_run_id(const std::string& id) {
  return id.size() == 12 && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}
// "wbtest:<label>:<run>.<n>:..." -> <run>, or "" for a key of another shape.
std::string run_of_key(const std::string& key) {
  // The label may itself hold ':'; the run id is the 12 hex digits before the
  // first ".<digits>:" that follows a ':'.
  for (std::size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    if (dot < 13 || key[dot - 13] != ':') continue;
    std::size_t end = dot + 1;
    while (end < key.size() && std::isdigit(static_cast<unsigned char>(key[end]))) ++end;
    if (end == dot + 1 || end >= key.size() || key[end] != ':') continue;
    std::string run = key.substr(dot - 12, 12);
    if (is_run_id(run)) return run;
  }
  return "";
}
}  // namespace

const std::string& run_id() {
  static const std::string id = random_hex(6);
  return id;
}

std::string lease_key(const std::string& run) { return "wbtest:run:" + run; }

void register_run() {
  Valkey client = connect();
  // The lease first: a run that is in the set always has a lease, until it
  // stops renewing it.
  client.set(lease_key(run_id()), "grader", lease_ttl);
  client.sadd(runs_key, run_id());
  registered = true;
}

void renew_run() {
  if (!registered) return;
  try {
    Valkey client = connect();
    client.pexpire(lease_key(run_id()), lease_ttl);
  } catch (...) {
    // The server is away; the next renewal tries again.
  }
}

void note_io_trouble() { io_trouble = true; }
bool had_io_trouble() { return io_trouble; }

long long sweep_own_keys() {
  try {
    Valkey client = connect();
    return delete_matching(client, "wbtest:*:" + run_id() + ".*");
  } catch (...) {
    return 0;
  }
}

void finish_run() {
  if (!registered) return;
  try {
    Valkey client = connect();
    if (!io_trouble) {
      client.srem(runs_key, run_id());
      client.del(lease_key(run_id()));
      registered = false;
      return;
    }
    // A command that timed out may still be carried out after this: delete
    // what is there now, and let a later run sweep once more after the short
    // lease has run out.
    delete_matching(client, "wbtest:*:" + run_id() + ".*");
    client.pexpire(lease_key(run_id()), short_lease);
  } catch (...) {
    // The server is away: the lease runs out by itself, a later run sweeps.
  }
}

long long sweep_runs(const std::vector<std::string>& ids, int* runs) {
  if (runs) *runs = 0;
  if (ids.empty()) return 0;
  Valkey client = connect();
  std::set<std::string> dead;
  for (const auto& id : ids) {
    if (id == run_id()) continue;
    if (!is_run_id(id)) {
      client.srem(runs_key, id);  // not one of ours: nothing to sweep
      continue;
    }
    if (client.exists(lease_key(id)) == 0) dead.insert(id);
  }
  if (dead.empty()) return 0;
  long long deleted = 0;
  long long cursor = 0;
  do {
    std::vector<std::string> batch;
    cursor = client.scan(cursor, "wbtest:*", 1000, std::back_inserter(batch));
    std::vector<std::string> abandoned;
    for (const auto& key : batch)
      if (dead.count(run_of_key(key))) abandoned.push_back(key);
    if (!abandoned.empty()) deleted += client.del(abandoned.begin(), abandoned.end());
  } while (cursor != 0);
  for (const auto& id : dead) client.srem(runs_key, id);
  if (runs) *runs = static_cast<int>(dead.size());
  return deleted;
}

long long sweep_abandoned_runs(int* runs) {
  Valkey client = connect();
  std::vector<std::string> ids;
  client.smembers(runs_key, std::back_inserter(ids));
  return sweep_runs(ids, runs);
}

std::string server_run_id() {
  ConnectionOptions options = ConnectionOptions::from_env();
  options.connect_timeout = std::chrono::milliseconds(500);
  Valkey client(options);
  std::string info = client.info("server");
  auto at = info.find("run_id:");
  if (at == std::string::npos) return "";
  auto end = info.find_first_of("\r\n", at);
  return info.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
}

namespace {
std::string (*extra_scope_viewer)() = nullptr;
}  // namespace
void set_extra_scope_viewer(std::string (*viewer)()) { extra_scope_viewer = viewer; }

std::string view_live_scopes() {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  std::string out;
  for (const KeyScope* s : scopes()) {
    try {
      out += "  (prefix " + s->prefix() + ")\n" + s->view();
    } catch (const std::exception& e) {
      out += "(could not read the keys: " + std::string(e.what()) + ")\n";
    }
  }
  if (extra_scope_viewer) out += extra_scope_viewer();
  return out;
}
}  // namespace internal

}  // namespace wb::grading
