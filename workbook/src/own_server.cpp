// wb::OwnServer: a server process of one's own (see own_server.hpp).
#include "workbook/own_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include <arpa/inet.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "workbook/valkey.hpp"

namespace wb {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// How long a server may take to answer: 10 s, or WORKBOOK_SERVER_START_LIMIT_MS.
std::chrono::milliseconds start_limit() {
  if (const char* ms = std::getenv("WORKBOOK_SERVER_START_LIMIT_MS"); ms && *ms) {
    char* end = nullptr;
    long long value = std::strtoll(ms, &end, 10);
    if (end && *end == '\0' && value > 0) return std::chrono::milliseconds(value);
  }
  return 10s;
}
constexpr auto kStopLimit = 5s;
constexpr int kPortAttempts = 5;

std::runtime_error failure(const std::string& what) {
  return std::runtime_error("OwnServer: " + what);
}

bool executable(const fs::path& p) {
  return !p.empty() && ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p);
}

// A program name looked up in PATH (and the usual folders), or a path.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return executable(name) ? name : std::string();
  std::vector<std::string> folders;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    std::string folder;
    while (std::getline(in, folder, ':'))
      if (!folder.empty()) folders.push_back(folder);
  }
  for (const char* f : {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/opt/homebrew/bin"})
    folders.emplace_back(f);
  for (const auto& folder : folders) {
    fs::path candidate = fs::path(folder) / name;
    if (executable(candidate)) return candidate.string();
  }
  return {};
}

std::string choose_program() {
  if (const char* wanted = std::getenv("WORKBOOK_SERVER_BIN"); wanted && *wanted) {
    std::string found = find_program(wanted);
    if (found.empty())
      throw failure("WORKBOOK_SERVER_BIN is '" + std::string(wanted) +
                    "', but no such program was found (in PATH, /usr/bin, /usr/sbin, "
                    "/usr/local/bin). Unset it to use valkey-server, or install the server.");
    return found;
  }
  for (const char* name : {"valkey-server", "redis-server"}) {
    std::string found = find_program(name);
    if (!found.empty()) return found;
  }
  throw failure(
      "no valkey-server or redis-server program found (looked in PATH, /usr/bin, /usr/sbin, "
      "/usr/local/bin). `make setup` installs one.");
}

// A port nobody listens on right now. Another program may take it before the
// server does: the caller checks and tries again.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw failure(std::string("cannot create a socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    int err = errno;
    ::close(fd);
    throw failure(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// ---------------------------------------------------------------------------
// Every server is forked from one thread that lives as long as the process.
// PR_SET_PDEATHSIG kills a child when the *thread* that forked it ends, so
// forking from whichever thread calls the constructor would kill the server
// when that thread finished; forking from this one kills it only when the
// whole process ends (normally, by a signal, or by a time limit's SIGKILL).
// ---------------------------------------------------------------------------
struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string output;             // stdout and stderr go here
  pid_t pid = -1;
  int error = 0;
  bool done = false;
};

pid_t fork_and_exec(const SpawnRequest& request) {
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed in a threaded program.
  std::vector<char*> argv;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int out = ::open(request.output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) return -1;
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    ::close(out);
    return -1;
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent is already gone
#else
    (void)parent;
#endif
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    // The server must not keep this process's sockets open (a grader's
    // connections, another server's pipes): close everything else.
#if defined(__linux__) && defined(SYS_close_range)
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
      long max = ::sysconf(_SC_OPEN_MAX);
      if (max < 0 || max > 65536) max = 65536;
      for (int fd = 3; fd < max; ++fd) ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int err = errno;
  ::close(out);
  ::close(in);
  errno = err;
  return pid;
}

class Spawner {
 public:
  static Spawner& instance() {
    // Never destroyed: its thread must outlive every server it started.
    static Spawner* spawner = new Spawner;
    return *spawner;
  }

  pid_t spawn(const std::vector<std::string>& argv, const std::string& output) {
    SpawnRequest request{argv, output};
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(&request);
    wake_.notify_all();
    done_.wait(lock, [&] { return request.done; });
    if (request.pid < 0)
      throw failure("cannot start " + argv[0] + ": " + std::strerror(request.error));
    return request.pid;
  }

 private:
  Spawner() {
    std::thread([this] { run(); }).detach();
  }

  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty(); });
      SpawnRequest* request = queue_.front();
      queue_.pop_front();
      request->pid = fork_and_exec(*request);
      request->error = errno;
      request->done = true;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<SpawnRequest*> queue_;
};

std::string read_tail(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  if (!in) return "(no log)";
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "    " + l + "\n";
  return out.empty() ? "(the log is empty)\n" : out;
}

bool file_contains(const fs::path& file, const std::string& text) {
  std::ifstream in(file);
  std::stringstream content;
  content << in.rdbuf();
  return content.str().find(text) != std::string::npos;
}

// The value of `name:` in INFO's text (lines "name:value\r\n").
std::string info_field(const std::string& info, const std::string& name) {
  const std::string wanted = "\n" + name + ":";
  std::size_t at = ("\n" + info).find(wanted);
  if (at == std::string::npos) return {};
  std::size_t start = at + wanted.size() - 1;  // in `info`, one shorter
  std::size_t end = info.find_first_of("\r\n", start);
  return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Folders of servers whose owner was killed (a time limit's SIGKILL): their
// server died with it (PR_SET_PDEATHSIG), the folder stayed. Each folder has
// a file `owner` with the pid that created it; a folder whose owner is gone
// is removed. Linux only: elsewhere the server may outlive its owner.
void remove_abandoned_folders(const fs::path& parent) {
#ifdef __linux__
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(parent, error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("wb-own-server-", 0) != 0) continue;
    std::ifstream in(entry.path() / "owner");
    long owner = 0;
    if (!(in >> owner) || owner <= 0) continue;
    if (::kill(static_cast<pid_t>(owner), 0) == 0 || errno != ESRCH) continue;
    fs::remove_all(entry.path(), error);
  }
#else
  (void)parent;
#endif
}

}  // namespace

// ---------------------------------------------------------------------------
struct OwnServer::Impl {
  std::string program;
  std::vector<std::pair<std::string, std::string>> config;
  fs::path folder;
  int port = 0;
  pid_t pid = -1;
  std::string name_and_version;

  fs::path log() const { return folder / "server.log"; }

  std::vector<std::string> argv() const {
    // The log goes to stdout (logfile ""), which is server.log. The caller's
    // directives come last: the server keeps the last value it reads.
    std::vector<std::pair<std::string, std::string>> settings{
        {"bind", "127.0.0.1"},     {"port", std::to_string(port)},
        {"dir", folder.string()},  {"daemonize", "no"},
        {"protected-mode", "yes"}, {"save", ""},
        {"appendonly", "no"},      {"logfile", ""}};
    settings.insert(settings.end(), config.begin(), config.end());
    std::vector<std::string> a{program};
    for (const auto& [name, value] : settings) {
      a.push_back("--" + name);
      a.push_back(value);
    }
    return a;
  }

  bool alive() {
    if (pid <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0) return true;
    pid = -1;  // exited (and now reaped), or not our child any more
    return false;
  }

  // Waits up to `limit` for the process to end; true when it has.
  bool wait_for_exit(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (alive()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  void stop(int signal) {
    if (!alive()) return;
    ::kill(pid, signal);
    if (!wait_for_exit(signal == SIGKILL ? 10s : std::chrono::milliseconds(kStopLimit))) {
      ::kill(pid, SIGKILL);
      wait_for_exit(10s);
    }
    pid = -1;
  }

  enum class Start { ready, port_taken };

  // Starts the process on `port` and waits until it answers PING as itself.
  Start start() {
    {
      std::ofstream mark(log(), std::ios::app);
      mark << "---- OwnServer: starting on port " << port << " ----\n";
    }
    pid = Spawner::instance().spawn(argv(), log().string());
    const auto limit = start_limit();
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string last_error = "no answer yet";
    for (;;) {
      if (!alive()) {
        if (file_contains(log(), "Address already in use")) return Start::port_taken;
        throw failure(fs::path(program).filename().string() + " exited while starting on port " +
                      std::to_string(port) + " (a configuration it refused?). Its log, " +
                      log().string() + ", ends with:\n" + read_tail(log(), 15));
      }
      try {
        ConnectionOptions options;
        options.port = port;
        options.connect_timeout = 200ms;
        options.socket_timeout = 1000ms;
        Valkey client(options);
        std::string server = client.info("server");
        // Someone else's server on this port would answer too: make sure the
        // one answering is the process we started.
        if (info_field(server, "process_id") != std::to_string(pid)) {
          stop(SIGKILL);
          return Start::port_taken;
        }
        std::string version = info_field(server, "valkey_version");
        std::string name = version.empty() ? "redis" : "valkey";
        if (version.empty()) version = info_field(server, "redis_version");
        name_and_version = name + " " + version;
        return Start::ready;
      } catch (const Error& e) {
        last_error = e.what();  // not listening yet, or LOADING
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        stop(SIGKILL);
        throw failure(fs::path(program).filename().string() + " started on port " +
                      std::to_string(port) + " but did not answer within " +
                      std::to_string(limit.count()) + " ms (last: " + last_error +
                      "). Its log ends with:\n" + read_tail(log(), 15));
      }
      std::this_thread::sleep_for(10ms);
    }
  }
};

OwnServer::OwnServer(std::vector<std::pair<std::string, std::string>> config)
    : impl_(std::make_unique<Impl>()) {
  for (const auto& [name, value] : config) {
    if (name.empty() || name.rfind("-", 0) == 0)
      throw std::invalid_argument(
          "OwnServer: a configuration name is written without dashes, "
          "e.g. {\"maxmemory\", \"2mb\"} (got '" +
          name + "')");
    if (name == "port" || name == "bind" || name == "dir" || name == "daemonize")
      throw std::invalid_argument("OwnServer: '" + name +
                                  "' is OwnServer's to choose (the server runs on 127.0.0.1, "
                                  "on a free port, in a folder of its own, in the foreground)");
  }
  impl_->program = choose_program();
  impl_->config = std::move(config);

  const char* tmp = std::getenv("TMPDIR");
  const fs::path parent = tmp && *tmp ? tmp : "/tmp";
  remove_abandoned_folders(parent);
  std::string pattern = (parent / "wb-own-server-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data()))
    throw failure("cannot create a folder like " + pattern + ": " + std::strerror(errno));
  impl_->folder = buffer.data();
  std::ofstream(impl_->folder / "owner") << ::getpid() << "\n";

  try {
    for (int attempt = 1;; ++attempt) {
      impl_->port = free_port();
      if (impl_->start() == Impl::Start::ready) break;
      if (attempt == kPortAttempts)
        throw failure("another program took the free port first, " + std::to_string(kPortAttempts) +
                      " times in a row (the last was " + std::to_string(impl_->port) +
                      "): is something grabbing ports on 127.0.0.1?");
    }
  } catch (...) {
    impl_->stop(SIGKILL);
    std::error_code ignored;
    fs::remove_all(impl_->folder, ignored);
    throw;
  }
}

OwnServer::~OwnServer() {
  if (!impl_) return;
  impl_->stop(SIGTERM);
  std::error_code ignored;
  fs::remove_all(impl_->folder, ignored);
}

OwnServer::OwnServer(OwnServer&&) noexcept = default;
OwnServer& OwnServer::operator=(OwnServer&& other) noexcept {
  if (this != &other) {
    OwnServer gone(std::move(*this));  // stops the server this one held
    impl_ = std::move(other.impl_);
  }
  return *this;
}

namespace {
void require(const void* impl) {
  if (!impl) throw std::logic_error("OwnServer: this object was moved from");
}
}  // namespace

std::string OwnServer::url() const {
  require(impl_.get());
  return "redis://127.0.0.1:" + std::to_string(impl_->port);
}
int OwnServer::port() const {
  require(impl_.get());
  return impl_->port;
}
std::string OwnServer::name_and_version() const {
  require(impl_.get());
  return impl_->name_and_version;
}
std::string OwnServer::folder() const {
  require(impl_.get());
  return impl_->folder.string();
}
bool OwnServer::running() const {
  require(impl_.get());
  return impl_->alive();
}
std::string OwnServer::log_tail(std::size_t lines) const {
  require(impl_.get());
  return read_tail(impl_->log(), lines);
}

void OwnServer::kill() {
  require(impl_.get());
  impl_->stop(SIGKILL);
}

void OwnServer::restart() {
  require(impl_.get());
  impl_->stop(SIGTERM);
  if (impl_->start() == Impl::Start::port_taken)
    throw failure("cannot restart on port " + std::to_string(impl_->port) +
                  ": another program took it while the server was down");
}

std::string own_servers_like(Valkey& server) {
  if (const char* set = std::getenv("WORKBOOK_SERVER_BIN"); set && *set) return set;
  std::string program = server.server_name() == "redis" ? "redis-server" : "valkey-server";
  if (find_program(program).empty()) return "";
  ::setenv("WORKBOOK_SERVER_BIN", program.c_str(), 1);
  return program;
}

}  // namespace wb
