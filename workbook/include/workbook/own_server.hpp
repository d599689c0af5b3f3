// A Valkey server of one's own, for graders and examples that need a server
// configured in a way the learner's must never be (a memory limit, an
// eviction policy, persistence to crash) or one they may kill.
//
//   wb::OwnServer server({{"maxmemory", "2mb"}, {"maxmemory-policy", "allkeys-lru"}});
//   wb::Valkey client(server.url());
//   ...
//   // the destructor stops the server and removes its folder
//
// The program: $WORKBOOK_SERVER_BIN when set (a name looked up in PATH, or a
// path: `WORKBOOK_SERVER_BIN=redis-server` proves a lesson on Redis), else
// valkey-server, else redis-server. It runs in the foreground as a child of
// this process, bound to 127.0.0.1 only, on a free port, in a fresh folder
// under $TMPDIR (or /tmp), with no persistence (no RDB snapshots, no AOF)
// unless `config` asks for it. On Linux the server is also killed when the
// thread that started it ends (PR_SET_PDEATHSIG), so a grader that is killed
// by a time limit leaves no server behind: start it from a thread that
// outlives it (a test's own thread, not one of run_together's).
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wb {

class Valkey;

class OwnServer {  // moves, never copies
 public:
  // Starts the server with these configuration directives (name without the
  // leading "--", value as the server reads it: {"maxmemory", "2mb"}), which
  // come after, and so override, the defaults above. Returns once it answers
  // PING. Throws std::runtime_error with the reason and the end of the
  // server's log: no server program; a configuration it refused; a port
  // another program took first (tried on a few free ports); no answer within
  // the time limit (10 s, or $WORKBOOK_SERVER_START_LIMIT_MS).
  explicit OwnServer(std::vector<std::pair<std::string, std::string>> config = {});
  // The same, so that one directive, OwnServer({{"maxmemory", "2mb"}}), is not
  // ambiguous (a vector of pairs can also be built from two const char*).
  explicit OwnServer(std::initializer_list<std::pair<std::string, std::string>> config)
      : OwnServer(std::vector<std::pair<std::string, std::string>>(config)) {}
  ~OwnServer();  // stops it (SIGTERM, then SIGKILL after 5 s) and removes its folder
  OwnServer(OwnServer&&) noexcept;
  OwnServer& operator=(OwnServer&&) noexcept;
  OwnServer(const OwnServer&) = delete;
  OwnServer& operator=(const OwnServer&) = delete;

  std::string url() const;  // redis://127.0.0.1:<port>
  int port() const;
  std::string name_and_version() const;  // "valkey 8.0.1", "redis 7.0.15"
  std::string folder() const;            // its --dir (and log file)
  bool running() const;                  // its process is alive

  // SIGKILL: a crash, nothing flushed; returns once the process is gone.
  void kill();
  // Starts it again: same port, configuration and folder (so it reloads
  // what it persisted there, if the configuration asked it to persist). A
  // server that still runs is stopped first, gracefully (SIGTERM: it saves
  // what its configuration says to save). Throws std::runtime_error when
  // the port has been taken meanwhile or the server does not come up.
  void restart();

  // The last lines of the server's log, for messages.
  std::string log_tail(std::size_t lines = 15) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes later OwnServers run the same kind of server as the one `server`
// talks to (the learner's, VALKEY_URL's): sets WORKBOOK_SERVER_BIN to
// valkey-server or redis-server, unless it is already set or that program is
// not installed. A grader or example calls it once, before starting servers,
// so that a lesson proven on Redis 7.0 (VALKEY_URL pointing at Redis) runs
// its own servers on Redis too. Returns the program chosen ("" when none).
std::string own_servers_like(Valkey& server);

}  // namespace wb
