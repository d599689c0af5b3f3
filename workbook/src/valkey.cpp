// The Valkey client over hiredis. hiredis types stay in this file.
//
// Where the time goes, and why it is spent this way (bench/client_bench.cpp
// measures it against raw hiredis): a command's arguments are string_views
// (nothing is copied) and are written straight into the server's protocol in
// a buffer each connection keeps; on plain TCP that buffer is sent with
// send(MSG_NOSIGNAL), so no SIGPIPE can end the program and no signal-mask
// system calls are needed; hiredis reads and parses the reply, and typed
// methods convert hiredis's reply into their result directly. Recording, when
// off, costs one relaxed atomic load per round trip.
#include "workbook/valkey.hpp"

#include "workbook/url.hpp"

#include <hiredis/hiredis.h>
#ifdef WB_HAVE_HIREDIS_SSL
#include <arpa/inet.h>
#include <hiredis/hiredis_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <csignal>
#include <ctime>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
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

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != static_cast<unsigned char>(b[i]))
      return false;
  return true;
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
std::string describe(const StringView* argv, std::size_t argc) {
  if (argc == 0) return "(empty command)";
  std::string out = upper(argv[0]);
  // AUTH's and HELLO's arguments hold the password.
  if (out == "AUTH" || out == "HELLO") return out;
  if (argc > 1) {
    std::string key(argv[1]);
    if (key.size() > 60) key = key.substr(0, 57) + "...";
    out += " '" + printable(key) + "'";
  }
  return out;
}
std::string describe(const std::vector<std::string>& argv) {
  std::vector<StringView> views(argv.begin(), argv.end());
  return describe(views.data(), views.size());
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

// ---- the server's protocol (RESP), written and read back ------------------------
void append_decimal(std::string& out, std::size_t n) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  out.append(buf, end);
}

// *<argc>\r\n then $<len>\r\n<bytes>\r\n per argument: binary-safe.
void append_command(std::string& out, const StringView* argv, std::size_t argc) {
  out += '*';
  append_decimal(out, argc);
  out += "\r\n";
  for (std::size_t i = 0; i < argc; ++i) {
    out += '$';
    append_decimal(out, argv[i].size());
    out += "\r\n";
    out.append(argv[i].data(), argv[i].size());
    out += "\r\n";
  }
}

// The commands in a text append_command wrote (for recording and messages).
std::vector<std::vector<std::string>> parse_commands(std::string_view text) {
  std::vector<std::vector<std::string>> out;
  std::size_t at = 0;
  auto number = [&](char tag) {
    if (at >= text.size() || text[at] != tag) throw Error("internal: malformed queued command");
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(text.data() + at + 1, text.data() + text.size(), n);
    if (ec != std::errc()) throw Error("internal: malformed queued command");
    at = static_cast<std::size_t>(end - text.data()) + 2;  // past "\r\n"
    return n;
  };
  while (at < text.size()) {
    std::size_t argc = number('*');
    std::vector<std::string> argv;
    argv.reserve(argc);
    for (std::size_t i = 0; i < argc; ++i) {
      std::size_t len = number('$');
      argv.emplace_back(text.substr(at, len));
      at += len + 2;
    }
    out.push_back(std::move(argv));
  }
  return out;
}

// hiredis writes with write(2). A write to a connection the server has closed
// (a restart, CLIENT KILL, an idle timeout) raises SIGPIPE, whose default
// action ends the whole program without a message. Plain TCP connections are
// written with send(MSG_NOSIGNAL) (or on a socket marked SO_NOSIGPIPE) by this
// file itself. Where hiredis must write (TLS, whose bytes only hiredis can
// produce), this guard blocks SIGPIPE in the calling thread while it talks to
// the server and swallows one that the talking raised, so the write fails
// with EPIPE and the caller gets an exception instead (the technique libpq
// uses).
class SigpipeGuard {
 public:
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
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

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
};

#if defined(MSG_NOSIGNAL)
constexpr bool kOwnWrites = true;
constexpr int kSendFlags = MSG_NOSIGNAL;
#elif defined(SO_NOSIGPIPE)
constexpr bool kOwnWrites = true;
constexpr int kSendFlags = 0;
#else
constexpr bool kOwnWrites = false;
constexpr int kSendFlags = 0;
#endif

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

std::string hiredis_version() {
  return std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) + "." +
         std::to_string(HIREDIS_PATCH);
}

// ---- replies -----------------------------------------------------------------------
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

std::string prefixed(std::string_view what, const std::string& rest) {
  return what.empty() ? rest : std::string(what) + ": " + rest;
}

[[noreturn]] void wrong_shape(const Reply& r, std::string_view what, const char* wanted) {
  throw Error(
      prefixed(what, std::string("expected ") + wanted + " but the server replied with " +
                         type_name(r.type) +
                         (r.str.empty() ? "" : " \"" + printable(r.str.substr(0, 80)) + "\"")));
}

void throw_if_error(const Reply& r, std::string_view what) {
  if (r.type == Reply::Type::Error) throw ReplyError(prefixed(what, r.str), r.str);
}

bool whole_integer(std::string_view s, long long& v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// from_chars: locale-independent. The server writes "inf", "-inf" and, in
// some versions, "+inf".
bool whole_double(std::string_view s, double& v) {
  const char* first = s.data();
  const char* last = first + s.size();
  if (first != last && *first == '+') ++first;
  auto [end, ec] = std::from_chars(first, last, v);
  return ec == std::errc() && end == last && first != last;
}

long long to_integer(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  long long v = 0;
  if (r.type == Reply::Type::Integer) return r.integer;
  // The whole string, not a prefix up to a NUL byte.
  if ((r.type == Reply::Type::String || r.type == Reply::Type::Status) && whole_integer(r.str, v))
    return v;
  wrong_shape(r, what, "an integer");
}

double to_double(const Reply& r, std::string_view what) {
  throw_if_error(r, what);
  double v = 0;
  if (r.type == Reply::Type::Integer) return static_cast<double>(r.integer);
  if ((r.type == Reply::Type::String || r.type == Reply::Type::Status) && whole_double(r.str, v))
    return v;
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
  if (o.tls) {
    // A Valkey URL takes no query settings: the environment says where the
    // CA certificates are and whether to check at all.
    if (const char* ca = std::getenv("VALKEY_TLS_CA_FILE"); ca && *ca) o.tls_ca_file = ca;
    if (const char* verify = std::getenv("VALKEY_TLS_VERIFY"); verify && *verify) {
      std::string_view v(verify);
      o.tls_verify = !(v == "0" || v == "no" || v == "false");
    }
  }
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
// detail::Arg
// ---------------------------------------------------------------------------
namespace detail {
Arg::Arg(long long v) noexcept {
  auto end = std::to_chars(buf_, buf_ + sizeof buf_, v).ptr;
  view_ = StringView(buf_, static_cast<std::size_t>(end - buf_));
}
Arg::Arg(unsigned long long v) noexcept {
  auto end = std::to_chars(buf_, buf_ + sizeof buf_, v).ptr;
  view_ = StringView(buf_, static_cast<std::size_t>(end - buf_));
}
Arg::Arg(double v) {
  if (std::isinf(v)) {
    view_ = v > 0 ? "+inf" : "-inf";
    return;
  }
  if (std::isnan(v)) throw std::invalid_argument("NaN is not a number the server accepts");
  // Shortest text that reads back as the same double, and never the
  // locale's decimal comma (printf would follow LC_NUMERIC).
  auto [end, ec] = std::to_chars(buf_, buf_ + sizeof buf_, v);
  if (ec != std::errc()) throw std::invalid_argument("cannot format the number for the server");
  view_ = StringView(buf_, static_cast<std::size_t>(end - buf_));
}
}  // namespace detail

namespace {
using detail::Arg;

// Commands that change the state of the one connection they run on. The
// client spreads commands over a pool of connections, so such a command would
// affect whichever later commands happen to borrow that connection: SELECT
// would send some of them to another database, MULTI would leave them QUEUED.
// Empty when the command is fine. Only commands whose name the caller chose
// (command(), a pipeline's command()) are checked.
std::string state_change(const StringView* argv, std::size_t argc) {
  StringView name = argv[0];
  if (iequals(name, "SELECT"))
    return "SELECT would switch one pooled connection only; put the database number in the "
           "URL instead (redis://host:port/db)";
  for (const char* tx : {"MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"})
    if (iequals(name, tx))
      return std::string(tx) +
             " would leave one pooled connection inside a transaction; use transaction() "
             "(MULTI/EXEC in one round trip) or eval (a script runs atomically)";
  for (const char* sub : {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"})
    if (iequals(name, sub))
      return std::string(sub) +
             " turns the connection into a stream of messages; this client does not "
             "support pub/sub or MONITOR";
  for (const char* auth : {"AUTH", "HELLO"})
    if (iequals(name, auth))
      return std::string(auth) +
             " would change one pooled connection only; put the user and password in the "
             "URL instead (redis://user:password@host:port)";
  for (const char* quit : {"QUIT", "RESET"})
    if (iequals(name, quit))
      return std::string(quit) +
             " would close or reset a pooled connection; the client manages its "
             "connections itself";
  if (iequals(name, "CLIENT") && argc > 1 && iequals(argv[1], "REPLY"))
    return "CLIENT REPLY would stop the replies the client waits for";
  return {};
}

void refuse_state_change(const StringView* argv, std::size_t argc) {
  if (argc == 0) throw std::invalid_argument("cannot send an empty command");
  if (std::string why = state_change(argv, argc); !why.empty()) throw std::invalid_argument(why);
}

// What a typed method is asked to convert, and how to name it in messages.
struct Call {
  const StringView* argv;
  std::size_t argc;
  const std::string& where;
  std::string name() const { return describe(argv, argc) + " on " + where; }
};

[[noreturn]] void wrong_shape(const redisReply* r, const Call& call, const char* wanted) {
  std::string text = (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
                         ? " \"" + printable(std::string_view(r->str, r->len).substr(0, 80)) + "\""
                         : std::string();
  const char* type = r->type == REDIS_REPLY_NIL       ? "nil"
                     : r->type == REDIS_REPLY_STATUS  ? "status"
                     : r->type == REDIS_REPLY_STRING  ? "string"
                     : r->type == REDIS_REPLY_INTEGER ? "integer"
                     : r->type == REDIS_REPLY_ARRAY   ? "array"
                                                      : "another type";
  throw Error(call.name() + ": expected " + wanted + " but the server replied with " + type + text);
}

// Typed conversions straight from hiredis's reply (an error reply never gets
// here: it is thrown first).
std::string as_string(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  wrong_shape(r, call, "a string");
}
OptionalString as_optional_string(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r->type == REDIS_REPLY_STRING) return OptionalString(std::in_place, r->str, r->len);
  return as_string(r, call);
}
long long as_integer(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  long long v = 0;
  if ((r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
      whole_integer(std::string_view(r->str, r->len), v))
    return v;
  wrong_shape(r, call, "an integer");
}
OptionalLongLong as_optional_integer(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  return as_integer(r, call);
}
double as_double(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_INTEGER) return static_cast<double>(r->integer);
  double v = 0;
  if ((r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
      whole_double(std::string_view(r->str, r->len), v))
    return v;
  wrong_shape(r, call, "a number");
}
OptionalDouble as_optional_double(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  return as_double(r, call);
}
bool as_bool(const redisReply* r, const Call& call) {
  if (r->type == REDIS_REPLY_NIL) return false;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer != 0;
  if (r->type == REDIS_REPLY_STATUS) return std::string_view(r->str, r->len) == "OK";
  wrong_shape(r, call, "a yes/no reply");
}
void as_ok(const redisReply* r, const Call& call) {
  if (r->type != REDIS_REPLY_STATUS) wrong_shape(r, call, "OK");
}
const redisReply* as_array(const redisReply* r, const Call& call) {
  if (r->type != REDIS_REPLY_ARRAY) wrong_shape(r, call, "an array");
  return r;
}
std::vector<std::string> as_strings(const redisReply* r, const Call& call) {
  as_array(r, call);
  std::vector<std::string> out;
  out.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i) out.push_back(as_string(r->element[i], call));
  return out;
}
std::vector<OptionalString> as_optional_strings(const redisReply* r, const Call& call) {
  as_array(r, call);
  std::vector<OptionalString> out;
  out.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i)
    out.push_back(as_optional_string(r->element[i], call));
  return out;
}
std::vector<std::pair<std::string, std::string>> as_string_pairs(const redisReply* r,
                                                                 const Call& call) {
  as_array(r, call);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(r->elements / 2);
  for (std::size_t i = 0; i + 1 < r->elements; i += 2)
    out.emplace_back(as_string(r->element[i], call), as_string(r->element[i + 1], call));
  return out;
}
std::vector<std::pair<std::string, double>> as_scored(const redisReply* r, const Call& call) {
  as_array(r, call);
  std::vector<std::pair<std::string, double>> out;
  out.reserve(r->elements / 2);
  for (std::size_t i = 0; i + 1 < r->elements; i += 2)
    out.emplace_back(as_string(r->element[i], call), as_double(r->element[i + 1], call));
  return out;
}
Reply as_reply(const redisReply* r, const Call&) { return convert(r); }

}  // namespace

// ---------------------------------------------------------------------------
// Connections and the pool
// ---------------------------------------------------------------------------
struct Valkey::Impl {
  ConnectionOptions options;
  std::string where_text;  // "127.0.0.1:6379", for messages

  // A connection, with the pool generation it was opened in and the buffer
  // its commands are written into (kept, so that a command allocates nothing).
  struct Connection {
    ContextPtr context;
    std::uint64_t generation = 0;
    bool own_writes = false;  // plain TCP: this file sends; TLS: hiredis does
    std::string out;
  };
  using ConnectionPtr = std::unique_ptr<Connection>;

  std::mutex pool_mutex;
  std::vector<ConnectionPtr> idle;
  // Bumped by every I/O error. When one connection fails, the others were
  // most likely cut by the same cause (a server restart, a network drop):
  // connections from an older generation are closed instead of reused, so the
  // next command opens a fresh one rather than failing again on a stale one.
  std::uint64_t generation = 0;

  // Recording and dry runs. `watched` is true while either is on: the one
  // thing a round trip reads when both are off.
  std::atomic<bool> watched{false};
  std::atomic<std::uint64_t> trips{0};
  mutable std::mutex record_mutex;
  bool recording = false;
  bool dry_run = false;
  std::vector<SentCommand> recorded;

#ifdef WB_HAVE_HIREDIS_SSL
  std::once_flag tls_once;
  SSL_CTX* tls_context = nullptr;
#endif

  static constexpr std::size_t kMaxIdle = 16;

  explicit Impl(ConnectionOptions o) : options(std::move(o)), where_text(options.address()) {}
  ~Impl() {
    idle.clear();
#ifdef WB_HAVE_HIREDIS_SSL
    if (tls_context) SSL_CTX_free(tls_context);
#endif
  }

  const std::string& where() const { return where_text; }

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

  // ---- TLS ----------------------------------------------------------------
  // The OpenSSL context is made here rather than by hiredis: hiredis checks
  // the certificate chain but not that the certificate names the host, and
  // this client checks both (the name, or the IP address, in the URL).
  void start_tls(redisContext* c) {
#ifdef WB_HAVE_HIREDIS_SSL
    std::call_once(tls_once, [&] {
      redisInitOpenSSL();
      SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
      if (!ctx) throw Error("TLS to " + where() + ": " + openssl_error());
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
      SSL_CTX_set_verify(ctx, options.tls_verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
      int loaded = options.tls_ca_file.empty()
                       ? SSL_CTX_set_default_verify_paths(ctx)
                       : SSL_CTX_load_verify_locations(ctx, options.tls_ca_file.c_str(), nullptr);
      if (loaded != 1) {
        std::string why = openssl_error();
        SSL_CTX_free(ctx);
        throw Error("TLS to " + where() + ": cannot load " +
                    (options.tls_ca_file.empty() ? std::string("the system's CA certificates")
                                                 : "the CA file " + options.tls_ca_file) +
                    ": " + why);
      }
      tls_context = ctx;
    });
    if (!tls_context) throw Error("TLS to " + where() + ": the TLS set-up failed before");
    SSL* ssl = SSL_new(tls_context);
    if (!ssl) throw Error("TLS to " + where() + ": " + openssl_error());
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, options.host.c_str(), ip) == 1 ||
                 inet_pton(AF_INET6, options.host.c_str(), ip) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(ssl, options.host.c_str());  // SNI: names only
    if (options.tls_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
      }
    }
    if (redisInitiateSSL(c, ssl) != REDIS_OK) {
      // On failure hiredis leaves the SSL object to its caller.
      long verify = SSL_get_verify_result(ssl);
      std::string why = verify != X509_V_OK
                            ? std::string("the server's certificate was refused: ") +
                                  X509_verify_cert_error_string(verify)
                            : std::string(c->errstr);
      SSL_free(ssl);
      throw IoError("TLS handshake with " + where() + " failed: " + why);
    }
#else
    (void)c;
    throw Error("cannot connect to " + where() + " with TLS (rediss://): this hiredis (" +
                hiredis_version() +
                ") has no TLS support; build the workbook against hiredis 1.0 or later with "
                "hiredis_ssl (libhiredis-dev on Debian 13 or Ubuntu 24.04, brew install hiredis), "
                "or use a redis:// URL without TLS");
#endif
  }

#ifdef WB_HAVE_HIREDIS_SSL
  static std::string openssl_error() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
  }
#endif

  ConnectionPtr connect() {
#ifndef WB_HAVE_HIREDIS_SSL
    // Refuse before opening a socket that could only be used in plain text.
    if (options.tls) start_tls(nullptr);
#endif
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
    auto conn = std::make_unique<Connection>();
    conn->context = std::move(c);
    conn->own_writes = kOwnWrites && !options.tls;
    if (options.tls) {
      SigpipeGuard no_sigpipe;
      start_tls(conn->context.get());
    }
    if (!options.password.empty()) {
      std::vector<StringView> auth{"AUTH"};
      if (!options.user.empty()) auth.emplace_back(options.user);
      auth.emplace_back(options.password);
      expect_ok(*conn, auth, "AUTH");
    }
    if (options.db != 0) {
      Arg db(options.db);
      expect_ok(*conn, {"SELECT", db.view()}, "SELECT");
    }
    return conn;
  }

  void expect_ok(Connection& c, const std::vector<StringView>& argv, const char* what) {
    c.out.clear();
    append_command(c.out, argv.data(), argv.size());
    ReplyPtr reply = exchange(c, argv.data(), argv.size());
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string text(reply->str, reply->len);
      throw ReplyError(std::string(what) + " on " + where() + ": " + text, text);
    }
  }

  // ---- one round trip -------------------------------------------------------
  // Sends `data` (commands in the server's protocol) on c.
  void write_out(Connection& c, StringView data, const StringView* first, std::size_t first_argc) {
    if (c.own_writes) {
      const char* p = data.data();
      std::size_t left = data.size();
      while (left > 0) {
        ssize_t n = ::send(c.context->fd, p, left, kSendFlags);
        if (n > 0) {
          p += n;
          left -= static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          int err = errno;
          std::string msg = describe(first, first_argc) + " on " + where() + ": ";
          if (err == EAGAIN || err == EWOULDBLOCK)
            throw TimeoutError(msg + "no answer within " +
                               std::to_string(options.socket_timeout.count()) + " ms");
          throw IoError(msg + std::strerror(err));
        }
      }
      return;
    }
    SigpipeGuard no_sigpipe;
    if (redisAppendFormattedCommand(c.context.get(), data.data(), data.size()) != REDIS_OK)
      io_failure(c.context.get(), describe(first, first_argc));
    int done = 0;
    while (!done)
      if (redisBufferWrite(c.context.get(), &done) != REDIS_OK)
        io_failure(c.context.get(), describe(first, first_argc));
  }

  ReplyPtr read_reply(Connection& c, const StringView* argv, std::size_t argc) {
    void* raw = nullptr;
    int rc;
    if (c.own_writes) {
      rc = redisGetReply(c.context.get(), &raw);
    } else {
      SigpipeGuard no_sigpipe;  // a TLS read may write too
      rc = redisGetReply(c.context.get(), &raw);
    }
    if (rc != REDIS_OK || raw == nullptr) io_failure(c.context.get(), describe(argv, argc));
    return ReplyPtr(static_cast<redisReply*>(raw));
  }

  ReplyPtr exchange(Connection& c, const StringView* argv, std::size_t argc) {
    write_out(c, c.out, argv, argc);
    return read_reply(c, argv, argc);
  }

  // ---- the pool -------------------------------------------------------------
  ConnectionPtr acquire() {
    std::uint64_t current = 0;
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!idle.empty()) {
        ConnectionPtr c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
      current = generation;
    }
    ConnectionPtr c = connect();
    c->generation = current;
    return c;
  }

  void release(ConnectionPtr c) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (c->generation == generation && idle.size() < kMaxIdle) idle.push_back(std::move(c));
  }

  // The broken connection is not released but closed (a late reply must never
  // be read as the answer to a later command), and so are the idle ones: the
  // next command opens a fresh connection.
  void drop_idle_connections() {
    std::vector<ConnectionPtr> stale;
    std::lock_guard<std::mutex> lock(pool_mutex);
    ++generation;
    stale.swap(idle);
  }

  // A borrowed connection: back to the pool on release(), closed (with the
  // idle ones) when an exception leaves the round trip half done.
  class Lease {
   public:
    explicit Lease(Impl& impl) : impl_(impl), conn_(impl.acquire()) {}
    ~Lease() {
      if (conn_) impl_.drop_idle_connections();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return *conn_; }
    void release() { impl_.release(std::move(conn_)); }

   private:
    Impl& impl_;
    ConnectionPtr conn_;
  };

  // ---- recording --------------------------------------------------------------
  // Counts the round trip; records the commands when asked; a dry run records
  // and refuses. `commands` gives the argv lists (only called when watched).
  template <typename Commands>
  void note(Commands commands, const StringView* first, std::size_t first_argc) {
    if (!watched.load(std::memory_order_relaxed)) {
      trips.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    std::lock_guard<std::mutex> lock(record_mutex);
    if (dry_run) {
      std::uint64_t next = trips.load() + 1;
      for (auto& argv : commands()) recorded.push_back(SentCommand{std::move(argv), next});
      throw ClosedError(describe(first, first_argc) + " was not sent to " + where() +
                        ": this client is in a dry run (a grader's safety net)");
    }
    std::uint64_t n = trips.fetch_add(1) + 1;
    if (recording)
      for (auto& argv : commands()) recorded.push_back(SentCommand{std::move(argv), n});
  }
  void set_watch(bool* flag, bool on) {
    std::lock_guard<std::mutex> lock(record_mutex);
    *flag = on;
    watched.store(recording || dry_run);
  }

  // ---- a command ------------------------------------------------------------
  // Sends one command, converts its reply with `convert`; an error reply is a
  // ReplyError naming the command and the server.
  template <typename Convert>
  auto call(const StringView* argv, std::size_t argc, Convert convert) {
    note(
        [&] {
          return std::vector<std::vector<std::string>>{std::vector<std::string>(argv, argv + argc)};
        },
        argv, argc);
    Lease lease(*this);
    Connection& c = *lease;
    c.out.clear();
    append_command(c.out, argv, argc);
    ReplyPtr reply = exchange(c, argv, argc);
    lease.release();
    Call what{argv, argc, where()};
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string text(reply->str, reply->len);
      throw ReplyError(what.name() + ": " + text, text);
    }
    return convert(reply.get(), what);
  }
  template <typename Convert>
  auto call(std::initializer_list<StringView> argv, Convert convert) {
    return call(argv.begin(), argv.size(), convert);
  }

  // Sends `count` commands already written in `text` in one round trip.
  std::vector<Reply> batch(const std::string& text, std::size_t count) {
    auto commands = [&] { return parse_commands(text); };
    // For messages: the first command (parsed only when one is needed).
    StringView none[] = {"(pipeline)"};
    note(commands, none, 1);
    Lease lease(*this);
    Connection& c = *lease;
    write_out(c, text, none, 1);
    std::vector<Reply> replies;
    replies.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      ReplyPtr reply = read_reply(c, none, 1);
      replies.push_back(convert(reply.get()));
    }
    lease.release();
    return replies;
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

Valkey::Impl& Valkey::impl() const {
  if (!impl_) throw ClosedError("this Valkey client was moved from");
  return *impl_;
}

const ConnectionOptions& Valkey::options() const { return impl().options; }

Reply Valkey::run_command(const StringView* argv, std::size_t argc) {
  refuse_state_change(argv, argc);
  return impl().call(argv, argc, as_reply);
}

Reply Valkey::run_command(const detail::Arg* argv, std::size_t argc) {
  // Up to 16 arguments without an allocation.
  StringView small[16];
  std::vector<StringView> large;
  StringView* views = small;
  if (argc > 16) {
    large.resize(argc);
    views = large.data();
  }
  for (std::size_t i = 0; i < argc; ++i) views[i] = argv[i].view();
  return run_command(views, argc);
}

// ---- connection -------------------------------------------------------------
std::string Valkey::ping() { return impl().call({"PING"}, as_string); }

std::string Valkey::info() { return impl().call({"INFO"}, as_string); }
std::string Valkey::info(StringView section) { return impl().call({"INFO", section}, as_string); }

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

std::string Valkey::workbook_server_name() {
  std::string text = info("server");
  if (!info_field(text, "valkey_version").empty()) return "valkey";
  std::string mode = info_field(text, "server_name");
  return mode.empty() ? "redis" : mode;
}

std::string Valkey::workbook_server_version() {
  std::string text = info("server");
  std::string v = info_field(text, "valkey_version");
  return v.empty() ? info_field(text, "redis_version") : v;
}

// ---- strings ----------------------------------------------------------------
namespace {
StringView update_flag(UpdateType type) {
  switch (type) {
    case UpdateType::EXIST: return "XX";
    case UpdateType::NOT_EXIST: return "NX";
    case UpdateType::ALWAYS: break;
  }
  return {};
}

// SET key val [PX ms | KEEPTTL] [NX|XX], as views into `argv` (which must
// have room for 6). Returns how many.
std::size_t set_argv(StringView* argv, StringView key, StringView val,
                     std::chrono::milliseconds ttl, bool keepttl, UpdateType type, const Arg& ms) {
  if (ttl.count() < 0) throw std::invalid_argument("SET: the ttl must not be negative");
  std::size_t n = 0;
  argv[n++] = "SET";
  argv[n++] = key;
  argv[n++] = val;
  if (ttl.count() > 0) {
    argv[n++] = "PX";
    argv[n++] = ms.view();
  }
  if (keepttl) argv[n++] = "KEEPTTL";
  if (StringView flag = update_flag(type); !flag.empty()) argv[n++] = flag;
  return n;
}
}  // namespace

bool Valkey::set(StringView key, StringView val, const std::chrono::milliseconds& ttl,
                 UpdateType type) {
  StringView argv[6];
  Arg ms(static_cast<long long>(ttl.count()));
  std::size_t n = set_argv(argv, key, val, ttl, false, type, ms);
  return impl().call(argv, n, as_bool);
}
bool Valkey::set(StringView key, StringView val, bool keepttl, UpdateType type) {
  StringView argv[6];
  Arg ms(0LL);
  std::size_t n = set_argv(argv, key, val, std::chrono::milliseconds(0), keepttl, type, ms);
  return impl().call(argv, n, as_bool);
}
OptionalString Valkey::get(StringView key) { return impl().call({"GET", key}, as_optional_string); }
OptionalString Valkey::getdel(StringView key) {
  return impl().call({"GETDEL", key}, as_optional_string);
}
OptionalString Valkey::getex(StringView key, std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) throw std::invalid_argument("GETEX: the ttl must be positive");
  return impl().call({"GETEX", key, "PX", Arg(static_cast<long long>(ttl.count())).view()},
                     as_optional_string);
}
OptionalString Valkey::getex_persist(StringView key) {
  return impl().call({"GETEX", key, "PERSIST"}, as_optional_string);
}
long long Valkey::incr(StringView key) { return impl().call({"INCR", key}, as_integer); }
long long Valkey::incrby(StringView key, long long increment) {
  return impl().call({"INCRBY", key, Arg(increment).view()}, as_integer);
}
long long Valkey::decr(StringView key) { return impl().call({"DECR", key}, as_integer); }
long long Valkey::decrby(StringView key, long long decrement) {
  return impl().call({"DECRBY", key, Arg(decrement).view()}, as_integer);
}
double Valkey::incrbyfloat(StringView key, double increment) {
  return impl().call({"INCRBYFLOAT", key, Arg(increment).view()}, as_double);
}
long long Valkey::strlen(StringView key) { return impl().call({"STRLEN", key}, as_integer); }
long long Valkey::append(StringView key, StringView str) {
  return impl().call({"APPEND", key, str}, as_integer);
}

// ---- keys ---------------------------------------------------------------------
long long Valkey::del(StringView key) { return impl().call({"DEL", key}, as_integer); }
long long Valkey::unlink(StringView key) { return impl().call({"UNLINK", key}, as_integer); }
long long Valkey::exists(StringView key) { return impl().call({"EXISTS", key}, as_integer); }
long long Valkey::del_keys(StringView command, const std::vector<StringView>& keys) {
  // As in redis-plus-plus: DEL with no key is a syntax error on the server.
  if (keys.empty()) throw Error(std::string(command) + ": no key specified");
  std::vector<StringView> argv;
  argv.reserve(keys.size() + 1);
  argv.push_back(command);
  argv.insert(argv.end(), keys.begin(), keys.end());
  return impl().call(argv.data(), argv.size(), as_integer);
}
long long Valkey::dbsize() { return impl().call({"DBSIZE"}, as_integer); }
std::vector<OptionalString> Valkey::mget_values(const std::vector<StringView>& keys) {
  if (keys.empty()) return {};  // MGET with no key is a syntax error; nothing to do
  std::vector<StringView> argv{"MGET"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  return impl().call(argv.data(), argv.size(), as_optional_strings);
}
void Valkey::mset_pairs(const std::vector<std::pair<StringView, StringView>>& pairs) {
  if (pairs.empty()) return;
  std::vector<StringView> argv{"MSET"};
  argv.reserve(1 + 2 * pairs.size());
  for (const auto& [key, val] : pairs) {
    argv.push_back(key);
    argv.push_back(val);
  }
  impl().call(argv.data(), argv.size(), as_ok);
}
long long Valkey::keyed_list(StringView command, StringView key,
                             const std::vector<StringView>& items) {
  if (items.empty()) throw Error(std::string(command) + ": no key specified");
  std::vector<StringView> argv;
  argv.reserve(items.size() + 2);
  argv.push_back(command);
  argv.push_back(key);
  argv.insert(argv.end(), items.begin(), items.end());
  return impl().call(argv.data(), argv.size(), as_integer);
}
bool Valkey::expire(StringView key, long long timeout) {
  return impl().call({"EXPIRE", key, Arg(timeout).view()}, as_bool);
}
bool Valkey::expire(StringView key, const std::chrono::seconds& timeout) {
  return expire(key, static_cast<long long>(timeout.count()));
}
bool Valkey::pexpire(StringView key, long long timeout) {
  return impl().call({"PEXPIRE", key, Arg(timeout).view()}, as_bool);
}
bool Valkey::pexpire(StringView key, const std::chrono::milliseconds& timeout) {
  return pexpire(key, static_cast<long long>(timeout.count()));
}
long long Valkey::ttl(StringView key) { return impl().call({"TTL", key}, as_integer); }
long long Valkey::pttl(StringView key) { return impl().call({"PTTL", key}, as_integer); }
bool Valkey::persist(StringView key) { return impl().call({"PERSIST", key}, as_bool); }
std::string Valkey::type(StringView key) { return impl().call({"TYPE", key}, as_string); }
long long Valkey::scan_batch(long long cursor, StringView pattern, long long count,
                             std::vector<std::string>& keys) {
  Arg cursor_text(cursor), count_text(count);
  StringView argv[6];
  std::size_t n = 0;
  argv[n++] = "SCAN";
  argv[n++] = cursor_text.view();
  if (!pattern.empty() && pattern != "*") {
    argv[n++] = "MATCH";
    argv[n++] = pattern;
  }
  if (count > 0) {
    argv[n++] = "COUNT";
    argv[n++] = count_text.view();
  }
  return impl().call(argv, n, [&](const redisReply* r, const Call& call) {
    as_array(r, call);
    if (r->elements != 2) wrong_shape(r, call, "[cursor, keys]");
    keys = as_strings(r->element[1], call);
    return as_integer(r->element[0], call);
  });
}

// ---- hashes -------------------------------------------------------------------
long long Valkey::hset(StringView key, StringView field, StringView val) {
  return impl().call({"HSET", key, field, val}, as_integer);
}
long long Valkey::hset(StringView key, const std::pair<StringView, StringView>& item) {
  return hset(key, item.first, item.second);
}
long long Valkey::hset_pairs(StringView key,
                             const std::vector<std::pair<StringView, StringView>>& fields) {
  if (fields.empty()) throw Error("HSET: no key specified");
  std::vector<StringView> argv{"HSET", key};
  argv.reserve(2 + 2 * fields.size());
  for (const auto& [f, v] : fields) {
    argv.push_back(f);
    argv.push_back(v);
  }
  return impl().call(argv.data(), argv.size(), as_integer);
}
bool Valkey::hsetnx(StringView key, StringView field, StringView val) {
  return impl().call({"HSETNX", key, field, val}, as_bool);
}
OptionalString Valkey::hget(StringView key, StringView field) {
  return impl().call({"HGET", key, field}, as_optional_string);
}
std::vector<std::pair<std::string, std::string>> Valkey::hgetall_pairs(StringView key) {
  return impl().call({"HGETALL", key}, as_string_pairs);
}
std::vector<OptionalString> Valkey::hmget_values(StringView key,
                                                 const std::vector<StringView>& fields) {
  if (fields.empty()) throw Error("HMGET: no key specified");
  std::vector<StringView> argv{"HMGET", key};
  argv.insert(argv.end(), fields.begin(), fields.end());
  return impl().call(argv.data(), argv.size(), as_optional_strings);
}
long long Valkey::hdel(StringView key, StringView field) {
  return impl().call({"HDEL", key, field}, as_integer);
}
long long Valkey::hincrby(StringView key, StringView field, long long increment) {
  return impl().call({"HINCRBY", key, field, Arg(increment).view()}, as_integer);
}
double Valkey::hincrbyfloat(StringView key, StringView field, double increment) {
  return impl().call({"HINCRBYFLOAT", key, field, Arg(increment).view()}, as_double);
}
bool Valkey::hexists(StringView key, StringView field) {
  return impl().call({"HEXISTS", key, field}, as_bool);
}
long long Valkey::hlen(StringView key) { return impl().call({"HLEN", key}, as_integer); }
std::vector<std::string> Valkey::strings(StringView command, StringView key) {
  return impl().call({command, key}, as_strings);
}

// ---- lists ----------------------------------------------------------------------
long long Valkey::lpush(StringView key, StringView val) {
  return impl().call({"LPUSH", key, val}, as_integer);
}
long long Valkey::rpush(StringView key, StringView val) {
  return impl().call({"RPUSH", key, val}, as_integer);
}
OptionalString Valkey::lpop(StringView key) {
  return impl().call({"LPOP", key}, as_optional_string);
}
OptionalString Valkey::rpop(StringView key) {
  return impl().call({"RPOP", key}, as_optional_string);
}
std::vector<std::string> Valkey::range_strings(StringView command, StringView key, long long start,
                                               long long stop) {
  return impl().call({command, key, Arg(start).view(), Arg(stop).view()}, as_strings);
}
long long Valkey::llen(StringView key) { return impl().call({"LLEN", key}, as_integer); }
void Valkey::ltrim(StringView key, long long start, long long stop) {
  impl().call({"LTRIM", key, Arg(start).view(), Arg(stop).view()}, as_ok);
}
long long Valkey::lrem(StringView key, long long count, StringView val) {
  return impl().call({"LREM", key, Arg(count).view(), val}, as_integer);
}

namespace {
StringView whence_arg(ListWhence whence) { return whence == ListWhence::LEFT ? "LEFT" : "RIGHT"; }
}  // namespace
OptionalString Valkey::lmove(StringView src, StringView dest, ListWhence src_whence,
                             ListWhence dest_whence) {
  return impl().call({"LMOVE", src, dest, whence_arg(src_whence), whence_arg(dest_whence)},
                     as_optional_string);
}
OptionalString Valkey::blmove(StringView src, StringView dest, ListWhence src_whence,
                              ListWhence dest_whence, const std::chrono::seconds& timeout) {
  return impl().call({"BLMOVE", src, dest, whence_arg(src_whence), whence_arg(dest_whence),
                      Arg(static_cast<long long>(timeout.count())).view()},
                     as_optional_string);
}
OptionalStringPair Valkey::brpop(StringView key, long long timeout) {
  return impl().call({"BRPOP", key, Arg(timeout).view()},
                     [](const redisReply* r, const Call& call) -> OptionalStringPair {
                       if (r->type == REDIS_REPLY_NIL) return std::nullopt;
                       as_array(r, call);
                       if (r->elements != 2) wrong_shape(r, call, "a (key, element) pair");
                       return std::make_pair(as_string(r->element[0], call),
                                             as_string(r->element[1], call));
                     });
}
OptionalStringPair Valkey::brpop(StringView key, const std::chrono::seconds& timeout) {
  return brpop(key, static_cast<long long>(timeout.count()));
}

// ---- sets -----------------------------------------------------------------------
long long Valkey::sadd(StringView key, StringView member) {
  return impl().call({"SADD", key, member}, as_integer);
}
long long Valkey::srem(StringView key, StringView member) {
  return impl().call({"SREM", key, member}, as_integer);
}
bool Valkey::sismember(StringView key, StringView member) {
  return impl().call({"SISMEMBER", key, member}, as_bool);
}
long long Valkey::scard(StringView key) { return impl().call({"SCARD", key}, as_integer); }

// ---- sorted sets ----------------------------------------------------------------
long long Valkey::zadd(StringView key, StringView member, double score, UpdateType type,
                       bool changed) {
  return zadd_pairs(key, {{member, score}}, type, changed);
}
long long Valkey::zadd_pairs(StringView key,
                             const std::vector<std::pair<StringView, double>>& members,
                             UpdateType type, bool changed) {
  if (members.empty()) throw Error("ZADD: no key specified");
  std::deque<Arg> scores;  // a deque never moves what it holds: the views stay valid
  std::vector<StringView> argv{"ZADD", key};
  argv.reserve(4 + 2 * members.size());
  if (StringView flag = update_flag(type); !flag.empty()) argv.push_back(flag);
  if (changed) argv.emplace_back("CH");
  for (const auto& [member, score] : members) {
    scores.emplace_back(score);
    argv.push_back(scores.back().view());
    argv.push_back(member);
  }
  return impl().call(argv.data(), argv.size(), as_integer);
}
double Valkey::zincrby(StringView key, double increment, StringView member) {
  return impl().call({"ZINCRBY", key, Arg(increment).view(), member}, as_double);
}
OptionalDouble Valkey::zscore(StringView key, StringView member) {
  return impl().call({"ZSCORE", key, member}, as_optional_double);
}
OptionalLongLong Valkey::zrank(StringView key, StringView member) {
  return impl().call({"ZRANK", key, member}, as_optional_integer);
}
OptionalLongLong Valkey::zrevrank(StringView key, StringView member) {
  return impl().call({"ZREVRANK", key, member}, as_optional_integer);
}
std::vector<std::string> Valkey::zrange_members(StringView command, StringView key, StringView from,
                                                StringView to) {
  return impl().call({command, key, from, to}, as_strings);
}
std::vector<std::pair<std::string, double>> Valkey::zrange_scored(StringView command,
                                                                  StringView key, StringView from,
                                                                  StringView to) {
  return impl().call({command, key, from, to, "WITHSCORES"}, as_scored);
}
long long Valkey::zremrangebyscore(StringView key, StringView min, StringView max) {
  return impl().call({"ZREMRANGEBYSCORE", key, min, max}, as_integer);
}
long long Valkey::zremrangebyrank(StringView key, long long start, long long stop) {
  return impl().call({"ZREMRANGEBYRANK", key, Arg(start).view(), Arg(stop).view()}, as_integer);
}
long long Valkey::zrem(StringView key, StringView member) {
  return impl().call({"ZREM", key, member}, as_integer);
}
long long Valkey::zcard(StringView key) { return impl().call({"ZCARD", key}, as_integer); }
long long Valkey::zcount(StringView key, StringView min, StringView max) {
  return impl().call({"ZCOUNT", key, min, max}, as_integer);
}

// ---- scripts --------------------------------------------------------------------
Reply Valkey::run_script(StringView command, StringView script, const StringView* keys,
                         std::size_t nkeys, const StringView* args, std::size_t nargs) {
  Arg numkeys(static_cast<unsigned long long>(nkeys));
  std::vector<StringView> argv{command, script, numkeys.view()};
  argv.insert(argv.end(), keys, keys + nkeys);
  argv.insert(argv.end(), args, args + nargs);
  return impl().call(argv.data(), argv.size(), as_reply);
}
std::string Valkey::script_load(StringView script) {
  return impl().call({"SCRIPT", "LOAD", script}, as_string);
}

// ---- batches ---------------------------------------------------------------------
Pipeline Valkey::pipeline(bool) { return Pipeline(*this); }
Transaction Valkey::transaction(bool, bool) { return Transaction(*this); }

// ---- recording --------------------------------------------------------------------
void Valkey::workbook_record_commands(bool enabled) {
  Impl& i = impl();
  i.set_watch(&i.recording, enabled);
}
std::vector<SentCommand> Valkey::workbook_recorded_commands() const {
  Impl& i = impl();
  std::lock_guard<std::mutex> lock(i.record_mutex);
  return i.recorded;
}
void Valkey::workbook_clear_recorded_commands() {
  Impl& i = impl();
  std::lock_guard<std::mutex> lock(i.record_mutex);
  i.recorded.clear();
}
void Valkey::workbook_dry_run(bool enabled) {
  Impl& i = impl();
  i.set_watch(&i.dry_run, enabled);
}
std::uint64_t Valkey::workbook_round_trips() const { return impl().trips.load(); }

// ---------------------------------------------------------------------------
// QueuedReplies
// ---------------------------------------------------------------------------
struct QueuedReplies::Data {
  std::vector<Reply> replies;
  std::string text;  // the commands, to name one in a message
  std::string where;
  std::size_t skip = 0;            // MULTI, in a transaction's text
  std::vector<std::string> names;  // instead of `text`, when given
};
QueuedReplies::QueuedReplies() = default;
QueuedReplies::QueuedReplies(std::unique_ptr<Data> data) : data_(std::move(data)) {}
QueuedReplies::QueuedReplies(std::vector<Reply> replies, std::vector<std::string> names)
    : data_(std::make_unique<Data>()) {
  data_->replies = std::move(replies);
  data_->names = std::move(names);
}
QueuedReplies::QueuedReplies(QueuedReplies&&) noexcept = default;
QueuedReplies& QueuedReplies::operator=(QueuedReplies&&) noexcept = default;
QueuedReplies::~QueuedReplies() = default;
std::size_t QueuedReplies::size() const noexcept { return data_ ? data_->replies.size() : 0; }
const Reply& QueuedReplies::reply(std::size_t idx) const {
  if (idx >= size())
    throw Error("no reply " + std::to_string(idx) + ": there are " + std::to_string(size()));
  return data_->replies[idx];
}
void QueuedReplies::rethrow_naming(std::size_t idx) const {
  auto commands = parse_commands(data_->text);
  std::string name = "queued command " + std::to_string(idx);
  if (idx < data_->names.size())
    name = data_->names[idx];
  else if (idx + data_->skip < commands.size())
    name = describe(commands[idx + data_->skip]) + " on " + data_->where;
  try {
    throw;
  } catch (const ReplyError& e) {
    throw ReplyError(name + ": " + e.server_text(), e.server_text());
  } catch (const Error& e) {
    throw Error(name + ": " + e.what());
  }
}

// ---------------------------------------------------------------------------
// Pipelines and transactions
// ---------------------------------------------------------------------------
namespace {
constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
constexpr std::string_view kExec = "*1\r\n$4\r\nEXEC\r\n";
}  // namespace

template <bool T>
QueuedCommands<T>::QueuedCommands(Valkey& client) : client_(&client) {
  if (T) text_ = kMulti;
}
template <bool T>
QueuedCommands<T>::QueuedCommands(QueuedCommands&&) noexcept = default;
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::operator=(QueuedCommands&&) noexcept = default;
template <bool T>
QueuedCommands<T>::~QueuedCommands() = default;

template <bool T>
void QueuedCommands<T>::discard() noexcept {
  text_.clear();
  if (T) text_ = kMulti;
  count_ = 0;
}

template <bool T>
QueuedCommands<T>& QueuedCommands<T>::queue(std::initializer_list<StringView> argv) {
  append_command(text_, argv.begin(), argv.size());
  ++count_;
  return *this;
}

template <bool T>
QueuedCommands<T>& QueuedCommands<T>::queue_command(const detail::Arg* argv, std::size_t argc) {
  std::vector<StringView> views;
  views.reserve(argc);
  for (std::size_t i = 0; i < argc; ++i) views.push_back(argv[i].view());
  return queue_views(views.data(), views.size());
}

template <bool T>
QueuedCommands<T>& QueuedCommands<T>::queue_views(const StringView* argv, std::size_t argc) {
  refuse_state_change(argv, argc);
  append_command(text_, argv, argc);
  ++count_;
  return *this;
}

template <bool T>
QueuedCommands<T>& QueuedCommands<T>::queue_keyed(StringView command, std::optional<StringView> key,
                                                  const std::vector<StringView>& items) {
  if (items.empty())
    throw std::invalid_argument(std::string(command) +
                                " needs at least one key: an empty range would queue nothing "
                                "and shift the replies after it");
  std::vector<StringView> argv{command};
  if (key) argv.push_back(*key);
  argv.insert(argv.end(), items.begin(), items.end());
  append_command(text_, argv.data(), argv.size());
  ++count_;
  return *this;
}

template <bool T>
QueuedCommands<T>& QueuedCommands<T>::set(StringView key, StringView val,
                                          const std::chrono::milliseconds& ttl, UpdateType type) {
  StringView argv[6];
  Arg ms(static_cast<long long>(ttl.count()));
  std::size_t n = set_argv(argv, key, val, ttl, false, type, ms);
  append_command(text_, argv, n);
  ++count_;
  return *this;
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::set(StringView key, StringView val, bool keepttl,
                                          UpdateType type) {
  StringView argv[6];
  Arg ms(0LL);
  std::size_t n = set_argv(argv, key, val, std::chrono::milliseconds(0), keepttl, type, ms);
  append_command(text_, argv, n);
  ++count_;
  return *this;
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::get(StringView key) {
  return queue({"GET", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::del(StringView key) {
  return queue({"DEL", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::exists(StringView key) {
  return queue({"EXISTS", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::incr(StringView key) {
  return queue({"INCR", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::incrby(StringView key, long long increment) {
  return queue({"INCRBY", key, Arg(increment).view()});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::expire(StringView key, long long timeout) {
  return queue({"EXPIRE", key, Arg(timeout).view()});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::expire(StringView key, const std::chrono::seconds& timeout) {
  return expire(key, static_cast<long long>(timeout.count()));
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::pexpire(StringView key, long long timeout) {
  return queue({"PEXPIRE", key, Arg(timeout).view()});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::pexpire(StringView key,
                                              const std::chrono::milliseconds& timeout) {
  return pexpire(key, static_cast<long long>(timeout.count()));
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::ttl(StringView key) {
  return queue({"TTL", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::pttl(StringView key) {
  return queue({"PTTL", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::hset(StringView key, StringView field, StringView val) {
  return queue({"HSET", key, field, val});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::hset_pairs(
    StringView key, const std::vector<std::pair<StringView, StringView>>& fields) {
  if (fields.empty()) throw Error("HSET: no key specified");
  std::vector<StringView> argv{"HSET", key};
  for (const auto& [f, v] : fields) {
    argv.push_back(f);
    argv.push_back(v);
  }
  append_command(text_, argv.data(), argv.size());
  ++count_;
  return *this;
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::hget(StringView key, StringView field) {
  return queue({"HGET", key, field});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::hgetall(StringView key) {
  return queue({"HGETALL", key});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::hdel(StringView key, StringView field) {
  return queue({"HDEL", key, field});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::hincrby(StringView key, StringView field,
                                              long long increment) {
  return queue({"HINCRBY", key, field, Arg(increment).view()});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::sadd(StringView key, StringView member) {
  return queue({"SADD", key, member});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::srem(StringView key, StringView member) {
  return queue({"SREM", key, member});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::zadd(StringView key, StringView member, double score,
                                           UpdateType type, bool changed) {
  Arg score_text(score);
  StringView argv[6];
  std::size_t n = 0;
  argv[n++] = "ZADD";
  argv[n++] = key;
  if (StringView flag = update_flag(type); !flag.empty()) argv[n++] = flag;
  if (changed) argv[n++] = "CH";
  argv[n++] = score_text.view();
  argv[n++] = member;
  append_command(text_, argv, n);
  ++count_;
  return *this;
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::zincrby(StringView key, double increment, StringView member) {
  return queue({"ZINCRBY", key, Arg(increment).view(), member});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::zscore(StringView key, StringView member) {
  return queue({"ZSCORE", key, member});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::zrevrank(StringView key, StringView member) {
  return queue({"ZREVRANK", key, member});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::zremrangebyscore(StringView key, StringView min,
                                                       StringView max) {
  return queue({"ZREMRANGEBYSCORE", key, min, max});
}
template <bool T>
QueuedCommands<T>& QueuedCommands<T>::zcard(StringView key) {
  return queue({"ZCARD", key});
}

template <bool T>
QueuedReplies QueuedCommands<T>::exec() {
  Valkey::Impl& impl = client_->impl();
  auto data = std::make_unique<QueuedReplies::Data>();
  data->where = impl.where();
  if (count_ == 0) {
    discard();
    return QueuedReplies(std::move(data));
  }
  if (T) text_.append(kExec);
  std::size_t count = count_;
  data->text = std::move(text_);
  discard();
  std::vector<Reply> replies = impl.batch(data->text, T ? count + 2 : count);
  if (!T) {
    data->replies = std::move(replies);
    return QueuedReplies(std::move(data));
  }

  data->skip = 1;  // MULTI
  Reply& exec_reply = replies.back();
  if (exec_reply.type == Reply::Type::Error) {
    // EXECABORT: a command was refused while queueing; say which one.
    auto commands = parse_commands(data->text);
    std::string detail = exec_reply.str;
    for (std::size_t i = 1; i + 1 < replies.size() && i < commands.size(); ++i)
      if (replies[i].type == Reply::Type::Error)
        detail += " (" + describe(commands[i]) + ": " + replies[i].str + ")";
    throw ReplyError("EXEC on " + data->where + ": " + detail, exec_reply.str);
  }
  if (exec_reply.type != Reply::Type::Array)
    throw Error("EXEC on " + data->where + ": the transaction was not executed");
  data->replies = std::move(exec_reply.elements);
  return QueuedReplies(std::move(data));
}

template class QueuedCommands<false>;
template class QueuedCommands<true>;

}  // namespace wb
