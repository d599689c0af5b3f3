// The Valkey client over hiredis. hiredis types stay in this file.
#include "workbook/valkey.hpp"

#include "workbook/url.hpp"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <csignal>
#include <ctime>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>

namespace wb {

namespace {

constexpr const char* kDefaultUrl = "redis://127.0.0.1:6379";

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Control bytes as \xNN (and, with quotes, '"' and '\\' escaped): an
// exception's what() is a C string, and a raw NUL in it would hide the rest of
// the message.
std::string printable(std::string_view s, bool quotes = false) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (quotes && (c == '"' || c == '\\')) {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

// "GET 'user:1'" - names the command and its key (shortened) for messages.
std::string describe(const std::vector<std::string>& argv) {
  if (argv.empty()) return "(empty command)";
  std::string out = upper(argv[0]);
  // AUTH's and HELLO's arguments hold the password.
  if (out == "AUTH" || out == "HELLO") return out;
  if (argv.size() > 1) {
    std::string key = argv[1];
    if (key.size() > 60) key = key.substr(0, 57) + "...";
    out += " '" + printable(key) + "'";
  }
  return out;
}

std::string quote_arg(const std::string& s) {
  std::size_t shown = std::min<std::size_t>(s.size(), 80);
  std::string out = "\"" + printable(std::string_view(s).substr(0, shown), true) + "\"";
  if (s.size() > shown) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis writes with write(2). A write to a connection the server has closed
// (a restart, CLIENT KILL, an idle timeout) raises SIGPIPE, whose default
// action ends the whole program without a message. Where the socket can be
// told not to (SO_NOSIGPIPE, macOS) connect() does that; elsewhere this guard
// blocks SIGPIPE in the calling thread while it talks to the server and
// swallows one that the talking raised, so the write fails with EPIPE and the
// caller gets an exception instead (the technique libpq uses).
class SigpipeGuard {
 public:
#ifdef SO_NOSIGPIPE
  SigpipeGuard() = default;
#else
  SigpipeGuard() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t pipe = sigpipe_set();
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe, &old_mask_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t pipe = sigpipe_set();
        timespec zero{0, 0};
        int saved = errno;
        while (sigtimedwait(&pipe, nullptr, &zero) == -1 && errno == EINTR) {
        }
        errno = saved;
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  static sigset_t sigpipe_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
  }
  sigset_t old_mask_{};
  bool blocked_ = false;
  bool was_pending_ = false;
#endif
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
};

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_NIL: out.type = Reply::Type::Nil; break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::Status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::String;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::Error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::Array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: throw Error("unexpected reply type " + std::to_string(r->type) + " from the server");
  }
  return out;
}

const char* type_name(Reply::Type t) {
  switch (t) {
    case Reply::Type::Nil: return "nil";
    case Reply::Type::Status: return "status";
    case Reply::Type::String: return "string";
    case Reply::Type::Integer: return "integer";
    case Reply::Type::Array: return "array";
    case Reply::Type::Error: return "error";
  }
  return "?";
}

[[noreturn]] void wrong_shape(const Reply& r, std::string_view what, const char* wanted) {
  throw Error(std::string(what) + ": expected " + wanted + " but the server replied with " +
              type_name(r.type) +
              (r.str.empty() ? "" : " \"" + printable(r.str.substr(0, 80)) + "\""));
}

void throw_if_error(const Reply& r, std::string_view what) {
  if (r.type == Reply::Type::Error) {
    throw ReplyError(std::string(what) + ": " + r.str, r.str);
  }
}

long long to_integer(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  if (r.type == Reply::Type::Integer) return r.integer;
  if (r.type == Reply::Type::String || r.type == Reply::Type::Status) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(r.str.c_str(), &end, 10);
    // The whole string, not a prefix up to a NUL byte.
    if (errno == 0 && end != r.str.c_str() && end == r.str.c_str() + r.str.size()) return v;
  }
  wrong_shape(r, what, "an integer");
}

double to_double(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  if (r.type == Reply::Type::Integer) return static_cast<double>(r.integer);
  if (r.type == Reply::Type::String || r.type == Reply::Type::Status) {
    // from_chars: locale-independent. The server writes "inf", "-inf" and,
    // in some versions, "+inf".
    const char* first = r.str.data();
    const char* last = first + r.str.size();
    if (first != last && *first == '+') ++first;
    double v = 0;
    auto [end, ec] = std::from_chars(first, last, v);
    if (ec == std::errc() && end == last && first != last) return v;
  }
  wrong_shape(r, what, "a number");
}

std::string to_string_reply(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  if (r.type == Reply::Type::String || r.type == Reply::Type::Status) return r.str;
  if (r.type == Reply::Type::Integer) return std::to_string(r.integer);
  wrong_shape(r, what, "a string");
}

const std::vector<Reply>& to_array(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  if (r.type != Reply::Type::Array) wrong_shape(r, what, "an array");
  return r.elements;
}

}  // namespace

// ---------------------------------------------------------------------------
// reply_cast
// ---------------------------------------------------------------------------
template <>
Reply reply_cast<Reply>(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  return r;
}
template <>
void reply_cast<void>(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
}
template <>
bool reply_cast<bool>(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  switch (r.type) {
    case Reply::Type::Nil: return false;
    case Reply::Type::Integer: return r.integer != 0;
    case Reply::Type::Status: return r.str == "OK";
    default: wrong_shape(r, what, "a yes/no reply");
  }
}
template <>
long long reply_cast<long long>(const Reply& r, std::string_view what) {
  return to_integer(r, what);
}
template <>
double reply_cast<double>(const Reply& r, std::string_view what) {
  return to_double(r, what);
}
template <>
std::string reply_cast<std::string>(const Reply& r, std::string_view what) {
  return to_string_reply(r, what);
}
template <>
OptionalString reply_cast<OptionalString>(const Reply& r, std::string_view what) {
  if (r.is_nil()) return std::nullopt;
  return to_string_reply(r, what);
}
template <>
OptionalLongLong reply_cast<OptionalLongLong>(const Reply& r, std::string_view what) {
  if (r.is_nil()) return std::nullopt;
  return to_integer(r, what);
}
template <>
OptionalDouble reply_cast<OptionalDouble>(const Reply& r, std::string_view what) {
  if (r.is_nil()) return std::nullopt;
  return to_double(r, what);
}
template <>
std::vector<std::string> reply_cast<std::vector<std::string>>(const Reply& r,
                                                              std::string_view what) {
  std::vector<std::string> out;
  for (const auto& e : to_array(r, what)) out.push_back(to_string_reply(e, what));
  return out;
}
template <>
std::vector<OptionalString> reply_cast<std::vector<OptionalString>>(const Reply& r,
                                                                    std::string_view what) {
  std::vector<OptionalString> out;
  for (const auto& e : to_array(r, what)) out.push_back(reply_cast<OptionalString>(e, what));
  return out;
}
template <>
std::vector<long long> reply_cast<std::vector<long long>>(const Reply& r, std::string_view what) {
  std::vector<long long> out;
  for (const auto& e : to_array(r, what)) out.push_back(to_integer(e, what));
  return out;
}

// ---------------------------------------------------------------------------
// Connection options
// ---------------------------------------------------------------------------
std::string valkey_url_from_env() {
  const char* url = std::getenv("VALKEY_URL");
  return (url && *url) ? url : kDefaultUrl;
}

ConnectionOptions ConnectionOptions::from_env() { return from_url(valkey_url_from_env()); }

ConnectionOptions ConnectionOptions::from_url(std::string_view url) {
  // The workbook's one URL grammar (workbook/url.hpp), shared with the
  // PostgreSQL helper and the scripts.
  Url u;
  try {
    u = parse_url(url);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("VALKEY_URL ") + e.what());
  }
  if (!u.is_valkey())
    throw std::invalid_argument("VALKEY_URL '" + redact_url(url) +
                                "' does not start with redis:// or valkey:// (expected "
                                "redis://[user:password@]host:port[/db])");
  ConnectionOptions o;
  if (!u.host.empty()) o.host = u.host;
  o.port = u.port;
  o.user = u.user;
  o.password = u.password;
  o.db = u.db;
  o.tls = u.tls;
  return o;
}

std::string ConnectionOptions::address() const {
  bool ipv6 = host.find(':') != std::string::npos;
  std::string out = (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

// ---------------------------------------------------------------------------
// SentCommand
// ---------------------------------------------------------------------------
std::string SentCommand::name() const {
  if (argv.empty()) return {};
  std::string n = upper(argv[0]);
  static const char* with_sub[] = {"SCRIPT", "CLIENT", "CONFIG", "OBJECT", "MEMORY", "FUNCTION"};
  for (const char* w : with_sub)
    if (n == w && argv.size() > 1) return n + " " + upper(argv[1]);
  return n;
}

std::string SentCommand::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i) out += ' ';
    out += i == 0 ? upper(argv[0]) : quote_arg(argv[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// detail
// ---------------------------------------------------------------------------
namespace detail {
std::string to_arg(StringView s) { return std::string(s); }
std::string to_arg(const char* s) { return std::string(s); }
std::string to_arg(const std::string& s) { return s; }
std::string to_arg(long long v) { return std::to_string(v); }
std::string to_arg(int v) { return std::to_string(v); }
std::string to_arg(long v) { return std::to_string(v); }
std::string to_arg(unsigned long long v) { return std::to_string(v); }
std::string to_arg(unsigned long v) { return std::to_string(v); }
std::string to_arg(unsigned v) { return std::to_string(v); }
std::string to_arg(double v) {
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  // Shortest text that reads back as the same double, and never the
  // locale's decimal comma (printf would follow LC_NUMERIC).
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) throw std::invalid_argument("cannot format the number for the server");
  return std::string(buf, end);
}

namespace cmd {
Argv set(StringView key, StringView val, bool keepttl, std::chrono::milliseconds ttl,
         UpdateType type) {
  if (keepttl && ttl.count() > 0)
    throw std::invalid_argument("SET: keepttl and a ttl cannot be combined");
  if (ttl.count() < 0) throw std::invalid_argument("SET: the ttl must not be negative");
  Argv argv{"SET", std::string(key), std::string(val)};
  if (ttl.count() > 0) {
    argv.emplace_back("PX");
    argv.push_back(std::to_string(ttl.count()));
  }
  if (keepttl) argv.emplace_back("KEEPTTL");
  switch (type) {
    case UpdateType::ALWAYS: break;
    case UpdateType::EXIST: argv.emplace_back("XX"); break;
    case UpdateType::NOT_EXIST: argv.emplace_back("NX"); break;
    default: throw std::invalid_argument("SET: GREATER and LESS are for ZADD only");
  }
  return argv;
}

Argv zadd(StringView key, const std::vector<std::pair<std::string, double>>& members,
          UpdateType type, bool changed) {
  Argv argv{"ZADD", std::string(key)};
  switch (type) {
    case UpdateType::ALWAYS: break;
    case UpdateType::EXIST: argv.emplace_back("XX"); break;
    case UpdateType::NOT_EXIST: argv.emplace_back("NX"); break;
    case UpdateType::GREATER: argv.emplace_back("GT"); break;
    case UpdateType::LESS: argv.emplace_back("LT"); break;
  }
  if (changed) argv.emplace_back("CH");
  for (const auto& [member, score] : members) {
    argv.push_back(to_arg(score));
    argv.push_back(member);
  }
  return argv;
}
}  // namespace cmd
}  // namespace detail

// ---------------------------------------------------------------------------
// Connections and the pool
// ---------------------------------------------------------------------------
struct Valkey::Impl {
  ConnectionOptions options;

  // A connection, with the pool generation it was opened in.
  struct Lease {
    ContextPtr context;
    std::uint64_t generation = 0;
  };

  std::mutex pool_mutex;
  std::vector<Lease> idle;
  // Bumped by every I/O error. When one connection fails, the others were
  // most likely cut by the same cause (a server restart, a network drop):
  // connections from an older generation are closed instead of reused, so the
  // next command opens a fresh one rather than failing again on a stale one.
  std::uint64_t generation = 0;

  mutable std::mutex record_mutex;
  bool recording = false;
  bool dry_run = false;
  std::vector<SentCommand> recorded;
  std::uint64_t trips = 0;

  static constexpr std::size_t kMaxIdle = 16;

  explicit Impl(ConnectionOptions o) : options(std::move(o)) {}

  std::string where() const { return options.address(); }

  [[noreturn]] void io_failure(redisContext* c, const std::string& what) const {
    int err = c ? c->err : REDIS_ERR_OTHER;
    std::string text = c ? c->errstr : "connection lost";
    bool timed_out = text.find("Resource temporarily unavailable") != std::string::npos ||
                     text.find("timed out") != std::string::npos;
#ifdef REDIS_ERR_TIMEOUT
    timed_out = timed_out || err == REDIS_ERR_TIMEOUT;
#endif
    std::string msg = what + " on " + where() + ": ";
    if (timed_out) {
      throw TimeoutError(msg + "no answer within " +
                         std::to_string(options.socket_timeout.count()) + " ms");
    }
    if (err == REDIS_ERR_EOF) throw ClosedError(msg + "the server closed the connection");
    throw IoError(msg + text);
  }

  ContextPtr connect() {
    // Until the client speaks TLS (lib's part of issue 14), never send a
    // rediss:// URL's password in plain text.
    if (options.tls)
      throw IoError("cannot connect to Valkey at " + where() +
                    ": the URL asks for TLS (rediss://), which this client does not support yet; "
                    "use redis:// for a server on this machine");
    ContextPtr c(redisConnectWithTimeout(options.host.c_str(), options.port,
                                         to_timeval(options.connect_timeout)));
    if (!c) throw IoError("cannot connect to Valkey at " + where() + ": out of memory");
    if (c->err) {
      std::string text = c->errstr;
      if (text.find("Resource temporarily unavailable") != std::string::npos ||
          text.find("timed out") != std::string::npos)
        throw TimeoutError("cannot connect to Valkey at " + where() + ": no answer within " +
                           std::to_string(options.connect_timeout.count()) + " ms");
      throw IoError("cannot connect to Valkey at " + where() + ": " + text);
    }
    if (redisSetTimeout(c.get(), to_timeval(options.socket_timeout)) != REDIS_OK)
      io_failure(c.get(), "setting the socket timeout");
#ifdef SO_NOSIGPIPE
    int on = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
    if (!options.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!options.user.empty()) auth.push_back(options.user);
      auth.push_back(options.password);
      expect_ok(c.get(), auth, "AUTH");
    }
    if (options.db != 0) expect_ok(c.get(), {"SELECT", std::to_string(options.db)}, "SELECT");
    return c;
  }

  void expect_ok(redisContext* c, const std::vector<std::string>& argv, const char* what) {
    auto replies = roundtrip(c, {argv});
    if (replies[0].type == Reply::Type::Error)
      throw ReplyError(std::string(what) + " on " + where() + ": " + replies[0].str,
                       replies[0].str);
  }

  // Sends all commands, then reads one reply each: one round trip.
  std::vector<Reply> roundtrip(redisContext* c, const std::vector<std::vector<std::string>>& cmds) {
    SigpipeGuard no_sigpipe;
    for (const auto& argv : cmds) {
      std::vector<const char*> ptrs;
      std::vector<std::size_t> lens;
      ptrs.reserve(argv.size());
      lens.reserve(argv.size());
      for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
      }
      if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
          REDIS_OK)
        io_failure(c, describe(argv));
    }
    std::vector<Reply> replies;
    replies.reserve(cmds.size());
    for (const auto& argv : cmds) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) io_failure(c, describe(argv));
      ReplyPtr reply(static_cast<redisReply*>(raw));
      replies.push_back(convert(reply.get()));
    }
    return replies;
  }

  Lease acquire() {
    std::uint64_t current = 0;
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!idle.empty()) {
        Lease lease = std::move(idle.back());
        idle.pop_back();
        return lease;
      }
      current = generation;
    }
    return Lease{connect(), current};
  }

  void release(Lease lease) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (lease.generation == generation && idle.size() < kMaxIdle) idle.push_back(std::move(lease));
  }

  void drop_idle_connections() {
    std::vector<Lease> stale;
    std::lock_guard<std::mutex> lock(pool_mutex);
    ++generation;
    stale.swap(idle);
  }

  std::vector<Reply> execute(const std::vector<std::vector<std::string>>& cmds) {
    if (cmds.empty()) return {};
    for (const auto& argv : cmds)
      if (argv.empty()) throw std::invalid_argument("cannot send an empty command");
    if (note(cmds))
      throw ClosedError(describe(cmds.front()) + " was not sent to " + where() +
                        ": this client is in a dry run (a grader's safety net)");
    Lease lease = acquire();
    std::vector<Reply> replies;
    try {
      replies = roundtrip(lease.context.get(), cmds);
    } catch (const Error&) {
      // The broken connection is not released but closed (a late reply must
      // never be read as the answer to a later command), and so are the idle
      // ones: the next command opens a fresh connection.
      drop_idle_connections();
      throw;
    }
    release(std::move(lease));
    return replies;
  }

  // Records the commands; true when this is a dry run (nothing may be sent).
  bool note(const std::vector<std::vector<std::string>>& cmds) {
    std::lock_guard<std::mutex> lock(record_mutex);
    if (dry_run) {
      for (const auto& argv : cmds) recorded.push_back(SentCommand{argv, trips + 1});
      return true;
    }
    ++trips;
    if (recording)
      for (const auto& argv : cmds) recorded.push_back(SentCommand{argv, trips});
    return false;
  }
};

// ---------------------------------------------------------------------------
// Valkey
// ---------------------------------------------------------------------------
Valkey::Valkey(ConnectionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Valkey::Valkey(std::string_view url) : Valkey(ConnectionOptions::from_url(url)) {}
Valkey::~Valkey() = default;
Valkey::Valkey(Valkey&&) noexcept = default;
Valkey& Valkey::operator=(Valkey&&) noexcept = default;

namespace {
[[noreturn]] void moved_from() { throw ClosedError("this Valkey client was moved from"); }

// Commands that change the state of the one connection they run on. The
// client spreads commands over a pool of connections, so such a command would
// affect whichever later commands happen to borrow that connection: SELECT
// would send some of them to another database, MULTI would leave them QUEUED.
// Empty when the command is fine.
std::string state_change(const std::vector<std::string>& argv) {
  std::string name = upper(argv[0]);
  if (name == "SELECT")
    return "SELECT would switch one pooled connection only; put the database number in the "
           "URL instead (redis://host:port/db)";
  if (name == "MULTI" || name == "EXEC" || name == "DISCARD" || name == "WATCH" ||
      name == "UNWATCH")
    return name +
           " would leave one pooled connection inside a transaction; use transaction() "
           "(MULTI/EXEC in one round trip) or eval (a script runs atomically)";
  if (name == "SUBSCRIBE" || name == "PSUBSCRIBE" || name == "SSUBSCRIBE" || name == "MONITOR")
    return name +
           " turns the connection into a stream of messages; this client does not "
           "support pub/sub or MONITOR";
  if (name == "AUTH" || name == "HELLO")
    return name +
           " would change one pooled connection only; put the user and password in the "
           "URL instead (redis://user:password@host:port)";
  if (name == "QUIT" || name == "RESET")
    return name +
           " would close or reset a pooled connection; the client manages its "
           "connections itself";
  if (name == "CLIENT" && argv.size() > 1 && upper(argv[1]) == "REPLY")
    return "CLIENT REPLY would stop the replies the client waits for";
  return {};
}

void refuse_state_change(const std::vector<std::string>& argv) {
  if (argv.empty()) return;
  if (std::string why = state_change(argv); !why.empty()) throw std::invalid_argument(why);
}
}  // namespace

const ConnectionOptions& Valkey::options() const {
  if (!impl_) moved_from();
  return impl_->options;
}

Reply Valkey::send(const std::vector<std::string>& argv) {
  if (!impl_) moved_from();
  // Every typed method goes through here with a fixed command name, so this
  // only ever refuses what a caller passed to command().
  refuse_state_change(argv);
  Reply r = std::move(impl_->execute({argv}).front());
  if (r.type == Reply::Type::Error)
    throw ReplyError(describe(argv) + " on " + impl_->where() + ": " + r.str, r.str);
  return r;
}

std::vector<Reply> Valkey::send_batch(const std::vector<std::vector<std::string>>& commands) {
  if (!impl_) moved_from();
  return impl_->execute(commands);
}

Reply Valkey::command(const std::vector<std::string>& argv) { return send(argv); }

std::vector<std::string> Valkey::to_vector(std::initializer_list<StringView> items) {
  return std::vector<std::string>(items.begin(), items.end());
}

// ---- connection -------------------------------------------------------------
std::string Valkey::ping() { return reply_cast<std::string>(send({"PING"}), "PING"); }

std::string Valkey::info(StringView section) {
  std::vector<std::string> argv{"INFO"};
  if (!section.empty()) argv.emplace_back(section);
  return reply_cast<std::string>(send(argv), "INFO");
}

namespace {
std::string info_field(const std::string& info, const std::string& field) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, field.size() + 1, field + ":") == 0) return line.substr(field.size() + 1);
  }
  return {};
}
}  // namespace

std::string Valkey::server_name() {
  std::string text = info("server");
  if (!info_field(text, "valkey_version").empty()) return "valkey";
  std::string mode = info_field(text, "server_name");
  return mode.empty() ? "redis" : mode;
}

std::string Valkey::server_version() {
  std::string text = info("server");
  std::string v = info_field(text, "valkey_version");
  return v.empty() ? info_field(text, "redis_version") : v;
}

// ---- strings ----------------------------------------------------------------
bool Valkey::set(StringView key, StringView val, std::chrono::milliseconds ttl, UpdateType type) {
  return reply_cast<bool>(send(detail::cmd::set(key, val, false, ttl, type)), "SET");
}
bool Valkey::set(StringView key, StringView val, bool keepttl, std::chrono::milliseconds ttl,
                 UpdateType type) {
  return reply_cast<bool>(send(detail::cmd::set(key, val, keepttl, ttl, type)), "SET");
}
OptionalString Valkey::get(StringView key) {
  return reply_cast<OptionalString>(send({"GET", std::string(key)}), "GET");
}
OptionalString Valkey::getdel(StringView key) {
  return reply_cast<OptionalString>(send({"GETDEL", std::string(key)}), "GETDEL");
}
OptionalString Valkey::getex(StringView key, std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) throw std::invalid_argument("GETEX: the ttl must be positive");
  return reply_cast<OptionalString>(
      send({"GETEX", std::string(key), "PX", std::to_string(ttl.count())}), "GETEX");
}
OptionalString Valkey::getex_persist(StringView key) {
  return reply_cast<OptionalString>(send({"GETEX", std::string(key), "PERSIST"}), "GETEX");
}
long long Valkey::incr(StringView key) {
  return reply_cast<long long>(send({"INCR", std::string(key)}), "INCR");
}
long long Valkey::incrby(StringView key, long long increment) {
  return reply_cast<long long>(send({"INCRBY", std::string(key), std::to_string(increment)}),
                               "INCRBY");
}
long long Valkey::decr(StringView key) {
  return reply_cast<long long>(send({"DECR", std::string(key)}), "DECR");
}
long long Valkey::decrby(StringView key, long long decrement) {
  return reply_cast<long long>(send({"DECRBY", std::string(key), std::to_string(decrement)}),
                               "DECRBY");
}
double Valkey::incrbyfloat(StringView key, double increment) {
  return reply_cast<double>(send({"INCRBYFLOAT", std::string(key), detail::to_arg(increment)}),
                            "INCRBYFLOAT");
}
long long Valkey::strlen(StringView key) {
  return reply_cast<long long>(send({"STRLEN", std::string(key)}), "STRLEN");
}
long long Valkey::append(StringView key, StringView val) {
  return reply_cast<long long>(send({"APPEND", std::string(key), std::string(val)}), "APPEND");
}

// ---- keys ---------------------------------------------------------------------
long long Valkey::del(StringView key) { return del_range({std::string(key)}); }
long long Valkey::del(std::initializer_list<StringView> keys) { return del_range(to_vector(keys)); }
long long Valkey::del_range(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;  // DEL with no key is a syntax error; nothing to do
  std::vector<std::string> argv{"DEL"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  return reply_cast<long long>(send(argv), "DEL");
}
long long Valkey::dbsize() { return reply_cast<long long>(send({"DBSIZE"}), "DBSIZE"); }
std::vector<OptionalString> Valkey::mget_values(const std::vector<std::string>& keys) {
  if (keys.empty()) return {};  // MGET with no key is a syntax error; nothing to do
  std::vector<std::string> argv{"MGET"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  return reply_cast<std::vector<OptionalString>>(send(argv), "MGET");
}
void Valkey::mset_range(const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.empty()) return;
  std::vector<std::string> argv{"MSET"};
  for (const auto& [key, val] : pairs) {
    argv.push_back(key);
    argv.push_back(val);
  }
  reply_cast<void>(send(argv), "MSET");
}
long long Valkey::unlink(StringView key) {
  return reply_cast<long long>(send({"UNLINK", std::string(key)}), "UNLINK");
}
long long Valkey::exists(StringView key) {
  return reply_cast<long long>(send({"EXISTS", std::string(key)}), "EXISTS");
}
long long Valkey::exists(std::initializer_list<StringView> keys) {
  std::vector<std::string> argv{"EXISTS"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  return reply_cast<long long>(send(argv), "EXISTS");
}
bool Valkey::expire(StringView key, std::chrono::seconds timeout) {
  return expire(key, static_cast<long long>(timeout.count()));
}
bool Valkey::expire(StringView key, long long seconds) {
  return reply_cast<bool>(send({"EXPIRE", std::string(key), std::to_string(seconds)}), "EXPIRE");
}
bool Valkey::pexpire(StringView key, std::chrono::milliseconds timeout) {
  return reply_cast<bool>(send({"PEXPIRE", std::string(key), std::to_string(timeout.count())}),
                          "PEXPIRE");
}
long long Valkey::ttl(StringView key) {
  return reply_cast<long long>(send({"TTL", std::string(key)}), "TTL");
}
long long Valkey::pttl(StringView key) {
  return reply_cast<long long>(send({"PTTL", std::string(key)}), "PTTL");
}
bool Valkey::persist(StringView key) {
  return reply_cast<bool>(send({"PERSIST", std::string(key)}), "PERSIST");
}
std::string Valkey::type(StringView key) {
  return reply_cast<std::string>(send({"TYPE", std::string(key)}), "TYPE");
}
long long Valkey::scan_batch(long long cursor, StringView pattern, long long count,
                             std::vector<std::string>& keys) {
  std::vector<std::string> argv{"SCAN", std::to_string(cursor)};
  if (!pattern.empty() && pattern != "*") {
    argv.emplace_back("MATCH");
    argv.emplace_back(pattern);
  }
  if (count > 0) {
    argv.emplace_back("COUNT");
    argv.push_back(std::to_string(count));
  }
  Reply r = send(argv);
  const auto& parts = to_array(r, "SCAN");
  if (parts.size() != 2) wrong_shape(r, "SCAN", "[cursor, keys]");
  keys = reply_cast<std::vector<std::string>>(parts[1], "SCAN");
  return to_integer(parts[0], "SCAN");
}

// ---- hashes -------------------------------------------------------------------
long long Valkey::hset(StringView key, StringView field, StringView val) {
  return reply_cast<long long>(
      send({"HSET", std::string(key), std::string(field), std::string(val)}), "HSET");
}
long long Valkey::hset(StringView key,
                       std::initializer_list<std::pair<StringView, StringView>> fields) {
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto& [f, val] : fields) v.emplace_back(f, val);
  return hset_range(key, v);
}
long long Valkey::hset_range(StringView key,
                             const std::vector<std::pair<std::string, std::string>>& fields) {
  if (fields.empty()) throw std::invalid_argument("HSET needs at least one field");
  std::vector<std::string> argv{"HSET", std::string(key)};
  for (const auto& [f, v] : fields) {
    argv.push_back(f);
    argv.push_back(v);
  }
  return reply_cast<long long>(send(argv), "HSET");
}
bool Valkey::hsetnx(StringView key, StringView field, StringView val) {
  return reply_cast<bool>(send({"HSETNX", std::string(key), std::string(field), std::string(val)}),
                          "HSETNX");
}
OptionalString Valkey::hget(StringView key, StringView field) {
  return reply_cast<OptionalString>(send({"HGET", std::string(key), std::string(field)}), "HGET");
}
std::vector<std::pair<std::string, std::string>> Valkey::hgetall_pairs(StringView key) {
  auto flat = reply_cast<std::vector<std::string>>(send({"HGETALL", std::string(key)}), "HGETALL");
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace_back(flat[i], flat[i + 1]);
  return out;
}
std::vector<OptionalString> Valkey::hmget_values(StringView key,
                                                 const std::vector<std::string>& fields) {
  if (fields.empty()) return {};
  std::vector<std::string> argv{"HMGET", std::string(key)};
  argv.insert(argv.end(), fields.begin(), fields.end());
  return reply_cast<std::vector<OptionalString>>(send(argv), "HMGET");
}
long long Valkey::hdel(StringView key, StringView field) { return hdel(key, {field}); }
long long Valkey::hdel(StringView key, std::initializer_list<StringView> fields) {
  std::vector<std::string> argv{"HDEL", std::string(key)};
  argv.insert(argv.end(), fields.begin(), fields.end());
  return reply_cast<long long>(send(argv), "HDEL");
}
long long Valkey::hincrby(StringView key, StringView field, long long increment) {
  return reply_cast<long long>(
      send({"HINCRBY", std::string(key), std::string(field), std::to_string(increment)}),
      "HINCRBY");
}
double Valkey::hincrbyfloat(StringView key, StringView field, double increment) {
  return reply_cast<double>(
      send({"HINCRBYFLOAT", std::string(key), std::string(field), detail::to_arg(increment)}),
      "HINCRBYFLOAT");
}
bool Valkey::hexists(StringView key, StringView field) {
  return reply_cast<bool>(send({"HEXISTS", std::string(key), std::string(field)}), "HEXISTS");
}
long long Valkey::hlen(StringView key) {
  return reply_cast<long long>(send({"HLEN", std::string(key)}), "HLEN");
}
std::vector<std::string> Valkey::strings(StringView command, StringView key) {
  return reply_cast<std::vector<std::string>>(send({std::string(command), std::string(key)}),
                                              command);
}

// ---- lists ----------------------------------------------------------------------
long long Valkey::lpush(StringView key, StringView val) { return lpush(key, {val}); }
long long Valkey::lpush(StringView key, std::initializer_list<StringView> vals) {
  std::vector<std::string> argv{"LPUSH", std::string(key)};
  argv.insert(argv.end(), vals.begin(), vals.end());
  return reply_cast<long long>(send(argv), "LPUSH");
}
long long Valkey::rpush(StringView key, StringView val) { return rpush(key, {val}); }
long long Valkey::rpush(StringView key, std::initializer_list<StringView> vals) {
  std::vector<std::string> argv{"RPUSH", std::string(key)};
  argv.insert(argv.end(), vals.begin(), vals.end());
  return reply_cast<long long>(send(argv), "RPUSH");
}
OptionalString Valkey::lpop(StringView key) {
  return reply_cast<OptionalString>(send({"LPOP", std::string(key)}), "LPOP");
}
OptionalString Valkey::rpop(StringView key) {
  return reply_cast<OptionalString>(send({"RPOP", std::string(key)}), "RPOP");
}
std::vector<std::string> Valkey::range_strings(StringView command, StringView key, long long start,
                                               long long stop) {
  return reply_cast<std::vector<std::string>>(
      send({std::string(command), std::string(key), std::to_string(start), std::to_string(stop)}),
      command);
}
long long Valkey::llen(StringView key) {
  return reply_cast<long long>(send({"LLEN", std::string(key)}), "LLEN");
}
void Valkey::ltrim(StringView key, long long start, long long stop) {
  reply_cast<void>(send({"LTRIM", std::string(key), std::to_string(start), std::to_string(stop)}),
                   "LTRIM");
}
long long Valkey::lrem(StringView key, long long count, StringView val) {
  return reply_cast<long long>(
      send({"LREM", std::string(key), std::to_string(count), std::string(val)}), "LREM");
}
namespace {
const char* whence_arg(ListWhence whence) { return whence == ListWhence::LEFT ? "LEFT" : "RIGHT"; }
}  // namespace
OptionalString Valkey::lmove(StringView src, StringView dest, ListWhence src_whence,
                             ListWhence dest_whence) {
  return reply_cast<OptionalString>(send({"LMOVE", std::string(src), std::string(dest),
                                          whence_arg(src_whence), whence_arg(dest_whence)}),
                                    "LMOVE");
}
OptionalString Valkey::blmove(StringView src, StringView dest, ListWhence src_whence,
                              ListWhence dest_whence, std::chrono::seconds timeout) {
  return reply_cast<OptionalString>(
      send({"BLMOVE", std::string(src), std::string(dest), whence_arg(src_whence),
            whence_arg(dest_whence), std::to_string(timeout.count())}),
      "BLMOVE");
}
OptionalStringPair Valkey::brpop(StringView key, long long timeout) {
  Reply reply = send({"BRPOP", std::string(key), std::to_string(timeout)});
  if (reply.is_nil()) return std::nullopt;
  auto pair = reply_cast<std::vector<std::string>>(reply, "BRPOP");
  if (pair.size() != 2) throw Error("BRPOP: expected a (key, element) pair from the server");
  return std::make_pair(std::move(pair[0]), std::move(pair[1]));
}
OptionalStringPair Valkey::brpop(StringView key, std::chrono::seconds timeout) {
  return brpop(key, static_cast<long long>(timeout.count()));
}

// ---- sets -----------------------------------------------------------------------
long long Valkey::sadd(StringView key, StringView member) { return sadd(key, {member}); }
long long Valkey::sadd(StringView key, std::initializer_list<StringView> members) {
  std::vector<std::string> argv{"SADD", std::string(key)};
  argv.insert(argv.end(), members.begin(), members.end());
  return reply_cast<long long>(send(argv), "SADD");
}
long long Valkey::srem(StringView key, StringView member) { return srem(key, {member}); }
long long Valkey::srem(StringView key, std::initializer_list<StringView> members) {
  std::vector<std::string> argv{"SREM", std::string(key)};
  argv.insert(argv.end(), members.begin(), members.end());
  return reply_cast<long long>(send(argv), "SREM");
}
bool Valkey::sismember(StringView key, StringView member) {
  return reply_cast<bool>(send({"SISMEMBER", std::string(key), std::string(member)}), "SISMEMBER");
}
long long Valkey::scard(StringView key) {
  return reply_cast<long long>(send({"SCARD", std::string(key)}), "SCARD");
}

// ---- sorted sets ----------------------------------------------------------------
long long Valkey::zadd(StringView key, StringView member, double score, UpdateType type,
                       bool changed) {
  return zadd_range(key, {{std::string(member), score}}, type, changed);
}
long long Valkey::zadd_range(StringView key,
                             const std::vector<std::pair<std::string, double>>& members,
                             UpdateType type, bool changed) {
  if (members.empty()) throw std::invalid_argument("ZADD needs at least one member");
  // With GT or LT and nothing changed, ZADD replies 0; a nil reply only comes
  // with INCR, which this method does not send.
  return reply_cast<long long>(send(detail::cmd::zadd(key, members, type, changed)), "ZADD");
}
double Valkey::zincrby(StringView key, double increment, StringView member) {
  return reply_cast<double>(
      send({"ZINCRBY", std::string(key), detail::to_arg(increment), std::string(member)}),
      "ZINCRBY");
}
OptionalDouble Valkey::zscore(StringView key, StringView member) {
  return reply_cast<OptionalDouble>(send({"ZSCORE", std::string(key), std::string(member)}),
                                    "ZSCORE");
}
OptionalLongLong Valkey::zrank(StringView key, StringView member) {
  return reply_cast<OptionalLongLong>(send({"ZRANK", std::string(key), std::string(member)}),
                                      "ZRANK");
}
OptionalLongLong Valkey::zrevrank(StringView key, StringView member) {
  return reply_cast<OptionalLongLong>(send({"ZREVRANK", std::string(key), std::string(member)}),
                                      "ZREVRANK");
}
Reply Valkey::zrange_reply(StringView command, StringView key, const std::string& from,
                           const std::string& to, bool with_scores) {
  std::vector<std::string> argv{std::string(command), std::string(key), from, to};
  if (with_scores) argv.emplace_back("WITHSCORES");
  return send(argv);
}
std::vector<std::pair<std::string, double>> Valkey::scored(const Reply& reply,
                                                           std::string_view what) {
  const auto& flat = to_array(reply, what);
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
    out.emplace_back(to_string_reply(flat[i], what), to_double(flat[i + 1], what));
  return out;
}
long long Valkey::zremrangebyscore(StringView key, StringView min, StringView max) {
  return reply_cast<long long>(
      send({"ZREMRANGEBYSCORE", std::string(key), std::string(min), std::string(max)}),
      "ZREMRANGEBYSCORE");
}
long long Valkey::zremrangebyrank(StringView key, long long start, long long stop) {
  return reply_cast<long long>(
      send({"ZREMRANGEBYRANK", std::string(key), std::to_string(start), std::to_string(stop)}),
      "ZREMRANGEBYRANK");
}
long long Valkey::zrem(StringView key, StringView member) {
  return reply_cast<long long>(send({"ZREM", std::string(key), std::string(member)}), "ZREM");
}
long long Valkey::zcard(StringView key) {
  return reply_cast<long long>(send({"ZCARD", std::string(key)}), "ZCARD");
}
long long Valkey::zcount(StringView key, StringView min, StringView max) {
  return reply_cast<long long>(
      send({"ZCOUNT", std::string(key), std::string(min), std::string(max)}), "ZCOUNT");
}

// ---- scripts --------------------------------------------------------------------
Reply Valkey::eval_reply(StringView command, StringView script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args) {
  std::vector<std::string> argv{std::string(command), std::string(script),
                                std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return send(argv);
}
std::string Valkey::script_load(StringView script) {
  return reply_cast<std::string>(send({"SCRIPT", "LOAD", std::string(script)}), "SCRIPT LOAD");
}

// ---- batches ---------------------------------------------------------------------
Pipeline Valkey::pipeline() { return Pipeline(*this, false); }
Pipeline Valkey::transaction() { return Pipeline(*this, true); }

// ---- recording --------------------------------------------------------------------
void Valkey::record_commands(bool enabled) {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  impl_->recording = enabled;
}
std::vector<SentCommand> Valkey::recorded_commands() const {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  return impl_->recorded;
}
void Valkey::clear_recorded_commands() {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  impl_->recorded.clear();
}
void Valkey::dry_run(bool enabled) {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  impl_->dry_run = enabled;
}
std::uint64_t Valkey::round_trips() const {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  return impl_->trips;
}

// ---------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

Pipeline& Pipeline::command(std::vector<std::string> argv) {
  if (argv.empty()) throw std::invalid_argument("cannot queue an empty command");
  refuse_state_change(argv);
  queued_.push_back(std::move(argv));
  return *this;
}
Pipeline& Pipeline::set(StringView key, StringView val, std::chrono::milliseconds ttl,
                        UpdateType type) {
  return command(detail::cmd::set(key, val, false, ttl, type));
}
Pipeline& Pipeline::get(StringView key) { return command("GET", key); }
Pipeline& Pipeline::del(StringView key) { return command("DEL", key); }
Pipeline& Pipeline::exists(StringView key) { return command("EXISTS", key); }
Pipeline& Pipeline::incr(StringView key) { return command("INCR", key); }
Pipeline& Pipeline::incrby(StringView key, long long increment) {
  return command("INCRBY", key, increment);
}
Pipeline& Pipeline::expire(StringView key, std::chrono::seconds timeout) {
  return command("EXPIRE", key, static_cast<long long>(timeout.count()));
}
Pipeline& Pipeline::pexpire(StringView key, std::chrono::milliseconds timeout) {
  return command("PEXPIRE", key, static_cast<long long>(timeout.count()));
}
Pipeline& Pipeline::ttl(StringView key) { return command("TTL", key); }
Pipeline& Pipeline::pttl(StringView key) { return command("PTTL", key); }
Pipeline& Pipeline::hset(StringView key, StringView field, StringView val) {
  return command("HSET", key, field, val);
}
Pipeline& Pipeline::hget(StringView key, StringView field) { return command("HGET", key, field); }
Pipeline& Pipeline::hgetall(StringView key) { return command("HGETALL", key); }
Pipeline& Pipeline::hdel(StringView key, StringView field) { return command("HDEL", key, field); }
Pipeline& Pipeline::hincrby(StringView key, StringView field, long long increment) {
  return command("HINCRBY", key, field, increment);
}
Pipeline& Pipeline::sadd(StringView key, StringView member) { return command("SADD", key, member); }
Pipeline& Pipeline::srem(StringView key, StringView member) { return command("SREM", key, member); }
Pipeline& Pipeline::zadd(StringView key, StringView member, double score, UpdateType type,
                         bool changed) {
  return command(detail::cmd::zadd(key, {{std::string(member), score}}, type, changed));
}
Pipeline& Pipeline::zincrby(StringView key, double increment, StringView member) {
  return command("ZINCRBY", key, increment, member);
}
Pipeline& Pipeline::zscore(StringView key, StringView member) {
  return command("ZSCORE", key, member);
}
Pipeline& Pipeline::zrevrank(StringView key, StringView member) {
  return command("ZREVRANK", key, member);
}
Pipeline& Pipeline::zremrangebyscore(StringView key, StringView min, StringView max) {
  return command("ZREMRANGEBYSCORE", key, min, max);
}
Pipeline& Pipeline::zcard(StringView key) { return command("ZCARD", key); }
std::vector<std::string> Pipeline::non_empty(std::vector<std::string> argv) {
  if (argv.size() < 2)
    throw std::invalid_argument(argv[0] +
                                " needs at least one key: an empty range would queue "
                                "nothing and shift the replies after it");
  return argv;
}

QueuedReplies Pipeline::exec() {
  if (queued_.empty()) return QueuedReplies({}, {});
  const std::string where = client_->options().address();
  std::vector<std::vector<std::string>> batch;
  std::vector<std::string> commands;  // "INCR 'k'"
  std::vector<std::string> names;     // "INCR 'k' on 127.0.0.1:6379", for reply errors
  batch.reserve(queued_.size() + 2);
  if (transaction_) batch.push_back({"MULTI"});
  for (auto& argv : queued_) {
    commands.push_back(describe(argv));
    names.push_back(commands.back() + " on " + where);
    batch.push_back(std::move(argv));
  }
  if (transaction_) batch.push_back({"EXEC"});
  queued_.clear();

  std::vector<Reply> replies = client_->send_batch(batch);
  if (!transaction_) return QueuedReplies(std::move(replies), std::move(names));

  Reply& exec_reply = replies.back();
  if (exec_reply.type == Reply::Type::Error) {
    // EXECABORT: a command was refused while queueing; say which one.
    std::string detail = exec_reply.str;
    for (std::size_t i = 1; i + 1 < replies.size(); ++i)
      if (replies[i].type == Reply::Type::Error)
        detail += " (" + commands[i - 1] + ": " + replies[i].str + ")";
    throw ReplyError("EXEC on " + where + ": " + detail, exec_reply.str);
  }
  if (exec_reply.type != Reply::Type::Array)
    throw Error("EXEC on " + where + ": the transaction was not executed");
  return QueuedReplies(std::move(exec_reply.elements), std::move(names));
}

}  // namespace wb
