// The workbook's Valkey client: a small RAII client over hiredis.
//
// Its public API is a subset of redis-plus-plus's `sw::redis::Redis`: the same
// method names and signatures, the same argument order, `std::optional` for
// nil, `std::chrono` durations for TTLs, `UpdateType`, output iterators for
// collections. Code written against it compiles against redis-plus-plus 1.3
// with `namespace wb { using Valkey = sw::redis::Redis; }` and behaves the
// same, except where a declaration below says "Workbook only" - each of those
// names the redis-plus-plus way beside it. Raw hiredis types never appear here.
//
// One `Valkey` object may be shared by many threads: every command borrows a
// connection from a small pool and returns it afterwards, so concurrent callers
// really run concurrently, each on its own connection (as with redis-plus-plus).
//
// Command pages: https://valkey.io/commands/
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace wb {

using StringView = std::string_view;
using OptionalString = std::optional<std::string>;
using OptionalLongLong = std::optional<long long>;
using OptionalDouble = std::optional<double>;
using OptionalStringPair = std::optional<std::pair<std::string, std::string>>;

// How SET and ZADD treat an existing key or member.
//   ALWAYS    - no condition
//   EXIST     - XX: only if it already exists
//   NOT_EXIST - NX: only if it does not exist yet
// (ZADD's GT and LT have no UpdateType in redis-plus-plus 1.3: send them with
// command<long long>("ZADD", key, "GT", "CH", score_text, member).)
enum class UpdateType { ALWAYS, EXIST, NOT_EXIST };

// Which end of a list LMOVE / BLMOVE take from or put to: the head (LEFT,
// where LPUSH adds) or the tail (RIGHT, where RPUSH adds).
enum class ListWhence { LEFT, RIGHT };

// ----------------------------------------------------------------------------
// Errors. `Error` <- `IoError` <- `TimeoutError`; `ClosedError`; `ReplyError`.
// A ReplyError (the server refused the command) leaves the client usable.
// An IoError (TimeoutError: no answer within socket_timeout) or a ClosedError
// (the server closed the connection) means the connection it happened on was
// dropped, and the idle ones with it; the next command opens a fresh one
// (timeouts, AUTH and SELECT restored). A moved-from client throws ClosedError.
// Every message names the command and the server, e.g.
//   "INCR 'page:views' on 127.0.0.1:6379: ERR value is not an integer ..."
// ----------------------------------------------------------------------------
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class IoError : public Error {
 public:
  using Error::Error;
};
class TimeoutError : public IoError {
 public:
  using IoError::IoError;
};
class ClosedError : public Error {
 public:
  using Error::Error;
};
class ReplyError : public Error {
 public:
  ReplyError(const std::string& message, std::string server_text)
      : Error(message), server_text_(std::move(server_text)) {}
  // Workbook only: the server's own words, e.g. "WRONGTYPE Operation against
  // a key holding the wrong kind of value" (redis-plus-plus: what()).
  const std::string& server_text() const noexcept { return server_text_; }

 private:
  std::string server_text_;
};

// ----------------------------------------------------------------------------
// Where to connect, and how long to wait. Never infinite by default.
// ----------------------------------------------------------------------------
struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone (or no AUTH)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT db when not 0
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds socket_timeout{2000};  // every read and write

  // TLS (`rediss://`). Needs a hiredis built with TLS (hiredis_ssl, 1.0 and
  // later); with Debian 12's hiredis 0.14 the first command throws an Error
  // that says so. The server's certificate is verified against tls_ca_file,
  // else the system's trusted certificates; tls_verify = false skips that (a
  // self-signed test server only). from_url and from_env take both from the
  // environment: VALKEY_TLS_CA_FILE=/path/ca.crt, VALKEY_TLS_VERIFY=0.
  // (redis-plus-plus: opts.tls.enabled, opts.tls.cacert.)
  bool tls = false;
  std::string tls_ca_file;
  bool tls_verify = true;

  // Workbook only (redis-plus-plus: ConnectionOptions(uri) or Redis(uri)).
  // Parses `redis://[user:password@]host[:port][/db]` (also `valkey://`, and
  // `rediss://` for TLS) with the workbook's one URL parser (workbook/url.hpp:
  // the user info percent-decoded). Throws std::invalid_argument with a
  // readable reason, never the password.
  static ConnectionOptions from_url(std::string_view url);
  // Workbook only: VALKEY_URL from the environment, else redis://127.0.0.1:6379.
  static ConnectionOptions from_env();
  // Workbook only: "127.0.0.1:6379" (db appended when not 0); never shows the
  // password.
  std::string address() const;
};

// Workbook only: the URL `from_env` uses: $VALKEY_URL or the default.
std::string valkey_url_from_env();

// ----------------------------------------------------------------------------
// Workbook only: a reply, as the server sent it (RESP2), from `command()`
// without a type and from QueuedReplies::reply(). (redis-plus-plus hands out
// hiredis's own redisReply there; ask for a type instead, command<T>, and the
// code carries over.) `reply_cast<T>` turns it into the type you want.
// ----------------------------------------------------------------------------
struct Reply {
  enum class Type { Nil, Status, String, Integer, Array, Error };
  Type type = Type::Nil;
  long long integer = 0;
  std::string str;  // Status, String and Error text
  std::vector<Reply> elements;

  bool is_nil() const noexcept { return type == Type::Nil; }
};

// Workbook only. Converts a reply. Supported T: Reply, void, bool, long long,
// double, std::string, OptionalString, OptionalLongLong, OptionalDouble,
// std::vector<std::string>, std::vector<OptionalString>,
// std::vector<long long>. Throws ReplyError for an error reply and Error when
// the reply has another shape than T can hold. `what` names the command in
// messages.
template <typename T>
T reply_cast(const Reply& reply, std::string_view what = "reply");

// Workbook only: one command as the client sent it, for graders and for
// curious learners.
struct SentCommand {
  std::vector<std::string> argv;  // argv[0] is the command name as sent
  std::uint64_t round_trip = 0;   // commands sharing a number were one round trip
  // The command name in upper case ("SET"), or "SCRIPT LOAD"-style for the
  // commands that have a subcommand.
  std::string name() const;
  // Readable one-liner: SET "user:1" "Ada" "EX" "30" (long values shortened).
  std::string to_string() const;
};

template <bool Transaction>
class QueuedCommands;
using Pipeline = QueuedCommands<false>;
using Transaction = QueuedCommands<true>;
class QueuedReplies;

namespace detail {
// The element type an output iterator writes: for inserters, the container's
// value_type (their own value_type is void).
template <typename It, typename = void>
struct output_value {
  using type = typename std::iterator_traits<It>::value_type;
};
template <typename It>
struct output_value<It, std::void_t<typename It::container_type>> {
  using type = typename It::container_type::value_type;
};
template <typename T>
struct is_pair : std::false_type {};
template <typename A, typename B>
struct is_pair<std::pair<A, B>> : std::true_type {};
template <typename It>
inline constexpr bool writes_pairs =
    is_pair<std::remove_cv_t<typename output_value<It>::type>>::value;

// Range overloads (first, last) take iterators. Without this guard,
// hset(key, field, value) with two arguments of the same type (two literals,
// two std::strings) would pick the range template, which fits them exactly,
// instead of the (key, field, value) overload, and fail to compile.
template <typename Input>
using if_iterator = std::enable_if_t<!std::is_convertible_v<Input, StringView>, int>;
// command(first, last): only for real iterators, so that command<T>(name, x)
// never takes the range overload.
template <typename Input>
using if_range =
    std::enable_if_t<!std::is_convertible_v<Input, StringView> &&
                         !std::is_void_v<typename std::iterator_traits<Input>::iterator_category>,
                     int>;

// One argument of a command, seen as text without copying it: strings are
// viewed where they are, numbers are written into the small buffer. Lives for
// the one call it is made for.
class Arg {
 public:
  Arg(StringView s) noexcept : view_(s) {}
  Arg(const char* s) noexcept : view_(s) {}
  Arg(const std::string& s) noexcept : view_(s) {}
  Arg(long long v) noexcept;
  Arg(unsigned long long v) noexcept;
  Arg(int v) noexcept : Arg(static_cast<long long>(v)) {}
  Arg(long v) noexcept : Arg(static_cast<long long>(v)) {}
  Arg(unsigned v) noexcept : Arg(static_cast<unsigned long long>(v)) {}
  Arg(unsigned long v) noexcept : Arg(static_cast<unsigned long long>(v)) {}
  // The shortest text that reads back as the same double ("0.1", "+inf").
  Arg(double v);
  Arg(const Arg&) = delete;
  Arg& operator=(const Arg&) = delete;
  StringView view() const noexcept { return view_; }

 private:
  char buf_[32];
  StringView view_;
};
using Args = std::initializer_list<StringView>;

template <typename Out, typename Vec>
Out move_out(Vec&& v, Out out) {
  for (auto& e : v) *out++ = std::move(e);
  return out;
}
template <typename Input>
std::vector<StringView> views(Input first, Input last) {
  std::vector<StringView> out;
  for (; first != last; ++first) out.emplace_back(*first);
  return out;
}
template <typename Input>
std::vector<std::pair<StringView, StringView>> view_pairs(Input first, Input last) {
  std::vector<std::pair<StringView, StringView>> out;
  for (; first != last; ++first) out.emplace_back(first->first, first->second);
  return out;
}
}  // namespace detail

// ----------------------------------------------------------------------------
// The client.
// ----------------------------------------------------------------------------
class Valkey {
 public:
  // Connects lazily: the first command opens the first connection. Call
  // `ping()` to check the server is there. (redis-plus-plus connects in its
  // constructor.)
  explicit Valkey(ConnectionOptions options = ConnectionOptions::from_env());
  explicit Valkey(std::string_view url);
  ~Valkey();
  Valkey(Valkey&&) noexcept;
  Valkey& operator=(Valkey&&) noexcept;
  Valkey(const Valkey&) = delete;
  Valkey& operator=(const Valkey&) = delete;

  // Workbook only: the options it connects with.
  const ConnectionOptions& options() const;

  // ---- connection ---------------------------------------------------------
  // PING -> "PONG". https://valkey.io/commands/ping/
  std::string ping();
  // INFO [section] -> the raw text. https://valkey.io/commands/info/
  std::string info();
  std::string info(StringView section);

  // ---- strings: https://valkey.io/commands/#string -------------------------
  // SET key val [PX ttl] [NX|XX]. ttl 0 means no expiry (and clears an old
  // one). Returns false when NX/XX stopped it, true when the value was stored.
  bool set(StringView key, StringView val,
           const std::chrono::milliseconds& ttl = std::chrono::milliseconds(0),
           UpdateType type = UpdateType::ALWAYS);
  // SET key val [KEEPTTL] [NX|XX]: with keepttl, the key keeps its current
  // expiry instead of losing it.
  bool set(StringView key, StringView val, bool keepttl, UpdateType type = UpdateType::ALWAYS);
  // GET key -> the value, or std::nullopt when there is no such key.
  OptionalString get(StringView key);
  // Workbook only (redis-plus-plus 1.3 has no getdel/getex; send them with
  // command<OptionalString>("GETDEL", key), command<OptionalString>("GETEX",
  // key, "PX", ms) and command<OptionalString>("GETEX", key, "PERSIST")):
  //   GETDEL key: read and delete in one step. nullopt: no such key.
  //   GETEX key PX ttl: read and set a new expiry in one step.
  //   GETEX key PERSIST: read and remove the expiry in one step.
  OptionalString getdel(StringView key);
  OptionalString getex(StringView key, std::chrono::milliseconds ttl);
  OptionalString getex_persist(StringView key);
  // INCR / INCRBY / DECR / DECRBY: atomic; a missing key counts from 0.
  // ReplyError when the value is not an integer.
  long long incr(StringView key);
  long long incrby(StringView key, long long increment);
  long long decr(StringView key);
  long long decrby(StringView key, long long decrement);
  double incrbyfloat(StringView key, double increment);
  long long strlen(StringView key);
  long long append(StringView key, StringView str);
  // MGET key...: the values of many keys in ONE command, one OptionalString
  // per key in order (nullopt: no such key, or a key that holds no string).
  //   std::vector<wb::OptionalString> values;
  //   client.mget(keys.begin(), keys.end(), std::back_inserter(values));
  // Workbook only: an empty range sends nothing and writes nothing
  // (redis-plus-plus throws Error "MGET: no key specified": check first).
  template <typename Input, typename Output, detail::if_iterator<Input> = 0>
  void mget(Input first, Input last, Output output) {
    detail::move_out(mget_values(detail::views(first, last)), output);
  }
  template <typename T, typename Output>
  void mget(std::initializer_list<T> il, Output output) {
    mget(il.begin(), il.end(), output);
  }
  // MSET key value ...: sets every (key, value) pair in ONE command, all at
  // once (no client sees some set and others not), each WITHOUT an expiry:
  // MSET has no EX/PX, and it clears an old expiry as SET does.
  // Workbook only: an empty range sends nothing (redis-plus-plus throws).
  template <typename Input, detail::if_iterator<Input> = 0>
  void mset(Input first, Input last) {
    mset_pairs(detail::view_pairs(first, last));
  }
  template <typename T>
  void mset(std::initializer_list<T> il) {
    mset(il.begin(), il.end());
  }

  // ---- keys: https://valkey.io/commands/#generic ---------------------------
  // DBSIZE: how many keys the current database holds.
  long long dbsize();
  // DEL: how many of the keys existed (and are now gone). An empty range or
  // list throws Error ("DEL: no key specified"), as in redis-plus-plus: check
  // for it first.
  long long del(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long del(Input first, Input last) {
    return del_keys("DEL", detail::views(first, last));
  }
  template <typename T>
  long long del(std::initializer_list<T> il) {
    return del(il.begin(), il.end());
  }
  // UNLINK: like DEL, memory is reclaimed in the background.
  long long unlink(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long unlink(Input first, Input last) {
    return del_keys("UNLINK", detail::views(first, last));
  }
  template <typename T>
  long long unlink(std::initializer_list<T> il) {
    return unlink(il.begin(), il.end());
  }
  // EXISTS: how many of the keys exist (a key named twice counts twice).
  long long exists(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long exists(Input first, Input last) {
    return del_keys("EXISTS", detail::views(first, last));
  }
  template <typename T>
  long long exists(std::initializer_list<T> il) {
    return exists(il.begin(), il.end());
  }
  // EXPIRE / PEXPIRE: true when the key exists and now has the expiry.
  bool expire(StringView key, long long timeout);
  bool expire(StringView key, const std::chrono::seconds& timeout);
  bool pexpire(StringView key, long long timeout);
  bool pexpire(StringView key, const std::chrono::milliseconds& timeout);
  // TTL / PTTL: remaining time; -1 = the key never expires, -2 = no such key.
  long long ttl(StringView key);
  long long pttl(StringView key);
  // PERSIST: true when an expiry was removed.
  bool persist(StringView key);
  // TYPE: "string", "hash", "list", "set", "zset", "stream" or "none".
  std::string type(StringView key);
  // SCAN cursor [MATCH pattern] [COUNT count]: writes the keys of one batch to
  // `output` and returns the next cursor; 0 means the iteration is complete.
  // A batch may be empty and a key may come twice: loop until the cursor is 0.
  template <typename Output>
  long long scan(long long cursor, StringView pattern, long long count, Output output) {
    std::vector<std::string> keys;
    long long next = scan_batch(cursor, pattern, count, keys);
    detail::move_out(keys, output);
    return next;
  }
  template <typename Output>
  long long scan(long long cursor, StringView pattern, Output output) {
    return scan(cursor, pattern, 10, output);
  }
  template <typename Output>
  long long scan(long long cursor, long long count, Output output) {
    return scan(cursor, "*", count, output);
  }
  template <typename Output>
  long long scan(long long cursor, Output output) {
    return scan(cursor, "*", 10, output);
  }

  // ---- hashes: https://valkey.io/commands/#hash ----------------------------
  // HSET: how many fields were NEW (an overwritten field counts 0). Many
  // fields: a range of pairs, or a list of pairs of one type, e.g.
  //   hset(key, {std::make_pair("name", name), std::make_pair("job", job)})
  // (a nested braced list {{"f", v}, ...} compiles in neither client).
  long long hset(StringView key, StringView field, StringView val);
  long long hset(StringView key, const std::pair<StringView, StringView>& item);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long hset(StringView key, Input first, Input last) {
    return hset_pairs(key, detail::view_pairs(first, last));
  }
  template <typename T>
  long long hset(StringView key, std::initializer_list<T> il) {
    return hset(key, il.begin(), il.end());
  }
  // HSETNX: true when the field was set (it did not exist).
  bool hsetnx(StringView key, StringView field, StringView val);
  // HGET: nullopt when the key or the field is missing.
  OptionalString hget(StringView key, StringView field);
  // HGETALL: writes (field, value) pairs; nothing for a missing key.
  template <typename Output>
  void hgetall(StringView key, Output output) {
    detail::move_out(hgetall_pairs(key), output);
  }
  // HMGET: one OptionalString per field, in order.
  template <typename Input, typename Output, detail::if_iterator<Input> = 0>
  void hmget(StringView key, Input first, Input last, Output output) {
    detail::move_out(hmget_values(key, detail::views(first, last)), output);
  }
  template <typename T, typename Output>
  void hmget(StringView key, std::initializer_list<T> il, Output output) {
    hmget(key, il.begin(), il.end(), output);
  }
  // HDEL: how many fields were removed.
  long long hdel(StringView key, StringView field);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long hdel(StringView key, Input first, Input last) {
    return keyed_list("HDEL", key, detail::views(first, last));
  }
  template <typename T>
  long long hdel(StringView key, std::initializer_list<T> il) {
    return hdel(key, il.begin(), il.end());
  }
  // HINCRBY / HINCRBYFLOAT: atomic; a missing field counts from 0.
  long long hincrby(StringView key, StringView field, long long increment);
  double hincrbyfloat(StringView key, StringView field, double increment);
  bool hexists(StringView key, StringView field);
  long long hlen(StringView key);
  template <typename Output>
  void hkeys(StringView key, Output output) {
    detail::move_out(strings("HKEYS", key), output);
  }
  template <typename Output>
  void hvals(StringView key, Output output) {
    detail::move_out(strings("HVALS", key), output);
  }

  // ---- lists: https://valkey.io/commands/#list -----------------------------
  // LPUSH / RPUSH: the list's length afterwards.
  long long lpush(StringView key, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long lpush(StringView key, Input first, Input last) {
    return keyed_list("LPUSH", key, detail::views(first, last));
  }
  template <typename T>
  long long lpush(StringView key, std::initializer_list<T> il) {
    return lpush(key, il.begin(), il.end());
  }
  long long rpush(StringView key, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long rpush(StringView key, Input first, Input last) {
    return keyed_list("RPUSH", key, detail::views(first, last));
  }
  template <typename T>
  long long rpush(StringView key, std::initializer_list<T> il) {
    return rpush(key, il.begin(), il.end());
  }
  OptionalString lpop(StringView key);
  OptionalString rpop(StringView key);
  // LRANGE: indexes are 0-based and inclusive; -1 is the last element.
  template <typename Output>
  void lrange(StringView key, long long start, long long stop, Output output) {
    detail::move_out(range_strings("LRANGE", key, start, stop), output);
  }
  long long llen(StringView key);
  void ltrim(StringView key, long long start, long long stop);
  long long lrem(StringView key, long long count, StringView val);
  // LMOVE src dest LEFT|RIGHT LEFT|RIGHT: takes one element from one end of
  // `src` and puts it at one end of `dest`, in one atomic step (the element
  // is always in exactly one of the two lists). Returns the element, or
  // std::nullopt when `src` is empty. https://valkey.io/commands/lmove/
  OptionalString lmove(StringView src, StringView dest, ListWhence src_whence,
                       ListWhence dest_whence);
  // BLMOVE: the same, but when `src` is empty it waits up to `timeout` for an
  // element (0: forever) and then gives std::nullopt. The wait counts against
  // the client's socket_timeout: keep `timeout` below it, or the read times
  // out first (TimeoutError). https://valkey.io/commands/blmove/
  OptionalString blmove(StringView src, StringView dest, ListWhence src_whence,
                        ListWhence dest_whence,
                        const std::chrono::seconds& timeout = std::chrono::seconds{0});
  // BRPOP key timeout: takes the last element, waiting up to `timeout`
  // seconds (0: forever; same socket_timeout caveat) for one to arrive.
  // Returns (key, element), or std::nullopt when the time ran out.
  // https://valkey.io/commands/brpop/
  OptionalStringPair brpop(StringView key, long long timeout);
  OptionalStringPair brpop(StringView key,
                           const std::chrono::seconds& timeout = std::chrono::seconds{0});

  // ---- sets: https://valkey.io/commands/#set -------------------------------
  // SADD / SREM: how many members were added / removed.
  long long sadd(StringView key, StringView member);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long sadd(StringView key, Input first, Input last) {
    return keyed_list("SADD", key, detail::views(first, last));
  }
  template <typename T>
  long long sadd(StringView key, std::initializer_list<T> il) {
    return sadd(key, il.begin(), il.end());
  }
  long long srem(StringView key, StringView member);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long srem(StringView key, Input first, Input last) {
    return keyed_list("SREM", key, detail::views(first, last));
  }
  template <typename T>
  long long srem(StringView key, std::initializer_list<T> il) {
    return srem(key, il.begin(), il.end());
  }
  template <typename Output>
  void smembers(StringView key, Output output) {
    detail::move_out(strings("SMEMBERS", key), output);
  }
  bool sismember(StringView key, StringView member);
  long long scard(StringView key);

  // ---- sorted sets: https://valkey.io/commands/#sorted-set -----------------
  // Scores and increments are sent as the shortest text that reads back as
  // the same double. (redis-plus-plus 1.3 sends std::to_string's six decimals:
  // there 0.1234567 arrives as 0.123457 and 1e-7 as 0.000000.)
  // ZADD key [NX|XX] [CH] score member: how many members were added (or,
  // with changed = true, added or updated).
  long long zadd(StringView key, StringView member, double score,
                 UpdateType type = UpdateType::ALWAYS, bool changed = false);
  // ZADD with many (member, score) pairs.
  template <typename Input, detail::if_iterator<Input> = 0>
  long long zadd(StringView key, Input first, Input last, UpdateType type = UpdateType::ALWAYS,
                 bool changed = false) {
    std::vector<std::pair<StringView, double>> members;
    for (; first != last; ++first) members.emplace_back(first->first, first->second);
    return zadd_pairs(key, members, type, changed);
  }
  template <typename T>
  long long zadd(StringView key, std::initializer_list<T> il, UpdateType type = UpdateType::ALWAYS,
                 bool changed = false) {
    return zadd(key, il.begin(), il.end(), type, changed);
  }
  // ZINCRBY: the member's new score (a missing member starts at 0).
  double zincrby(StringView key, double increment, StringView member);
  // ZSCORE: nullopt when the key or the member is missing.
  OptionalDouble zscore(StringView key, StringView member);
  // ZRANK / ZREVRANK: 0-based position (lowest / highest score first).
  OptionalLongLong zrank(StringView key, StringView member);
  OptionalLongLong zrevrank(StringView key, StringView member);
  // ZRANGE / ZREVRANGE by index (0-based, inclusive, -1 = last). Write
  // std::string for members only, or std::pair<std::string, double> to get
  // the scores too (WITHSCORES).
  template <typename Output>
  void zrange(StringView key, long long start, long long stop, Output output) {
    zrange_out("ZRANGE", key, detail::Arg(start).view(), detail::Arg(stop).view(), output);
  }
  template <typename Output>
  void zrevrange(StringView key, long long start, long long stop, Output output) {
    zrange_out("ZREVRANGE", key, detail::Arg(start).view(), detail::Arg(stop).view(), output);
  }
  // Workbook only: ZRANGEBYSCORE / ZREVRANGEBYSCORE / ZREMRANGEBYSCORE /
  // ZCOUNT with bounds written as the server reads them: "10", "(10"
  // (exclusive), "-inf", "+inf". redis-plus-plus takes interval objects
  // there (BoundedInterval<double>(min, max, BoundType::CLOSED), which it
  // formats with std::to_string); the way that carries over exactly is
  //   command<long long>("ZCOUNT", key, "(" + exact_text, "+inf")
  template <typename Output>
  void zrangebyscore(StringView key, StringView min, StringView max, Output output) {
    zrange_out("ZRANGEBYSCORE", key, min, max, output);
  }
  template <typename Output>
  void zrevrangebyscore(StringView key, StringView max, StringView min, Output output) {
    zrange_out("ZREVRANGEBYSCORE", key, max, min, output);
  }
  long long zremrangebyscore(StringView key, StringView min, StringView max);
  long long zcount(StringView key, StringView min, StringView max);
  // ZREMRANGEBYRANK: how many members were removed.
  long long zremrangebyrank(StringView key, long long start, long long stop);
  // ZREM: how many members were removed.
  long long zrem(StringView key, StringView member);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long zrem(StringView key, Input first, Input last) {
    return keyed_list("ZREM", key, detail::views(first, last));
  }
  template <typename T>
  long long zrem(StringView key, std::initializer_list<T> il) {
    return zrem(key, il.begin(), il.end());
  }
  long long zcard(StringView key);

  // ---- scripts: https://valkey.io/commands/eval/ ---------------------------
  // EVAL script numkeys key... arg...: the script's reply as Result (see
  // reply_cast). Scripts run atomically; use redis.call inside them. Keys and
  // arguments: two braced lists, or two ranges (first, last) of anything a
  // string_view can be made from.
  template <typename Result>
  Result eval(StringView script, std::initializer_list<StringView> keys,
              std::initializer_list<StringView> args) {
    return reply_cast<Result>(
        run_script("EVAL", script, keys.begin(), keys.size(), args.begin(), args.size()), "EVAL");
  }
  template <typename Result, typename Keys, typename Args>
  Result eval(StringView script, Keys keys_first, Keys keys_last, Args args_first, Args args_last) {
    auto keys = detail::views(keys_first, keys_last);
    auto args = detail::views(args_first, args_last);
    return reply_cast<Result>(
        run_script("EVAL", script, keys.data(), keys.size(), args.data(), args.size()), "EVAL");
  }
  // EVALSHA with a digest from script_load.
  template <typename Result>
  Result evalsha(StringView script, std::initializer_list<StringView> keys,
                 std::initializer_list<StringView> args) {
    return reply_cast<Result>(
        run_script("EVALSHA", script, keys.begin(), keys.size(), args.begin(), args.size()),
        "EVALSHA");
  }
  template <typename Result, typename Keys, typename Args>
  Result evalsha(StringView script, Keys keys_first, Keys keys_last, Args args_first,
                 Args args_last) {
    auto keys = detail::views(keys_first, keys_last);
    auto args = detail::views(args_first, args_last);
    return reply_cast<Result>(
        run_script("EVALSHA", script, keys.data(), keys.size(), args.data(), args.size()),
        "EVALSHA");
  }
  // SCRIPT LOAD: the script's SHA1 digest, for evalsha.
  std::string script_load(StringView script);

  // ---- batches --------------------------------------------------------------
  // A pipeline: queue commands, send them all in ONE round trip with exec().
  // Not atomic: other clients' commands may run in between.
  // A transaction: the same, wrapped in MULTI ... EXEC, so the server runs the
  // queued commands one after the other with nothing in between.
  // Here both borrow a pooled connection for exec() alone, and a transaction
  // always sends its commands in one round trip: new_connection and piped are
  // accepted for redis-plus-plus, which by default opens a new connection for
  // every pipeline and transaction and sends a transaction's commands one
  // round trip each. Write pipeline(false) and transaction(true, false) to get
  // the same cost there as here.
  Pipeline pipeline(bool new_connection = true);
  Transaction transaction(bool piped = false, bool new_connection = true);

  // ---- anything else ---------------------------------------------------------
  // Sends one command and returns its reply as Result:
  //   client.command<long long>("OBJECT", "FREQ", key)
  //   client.command<OptionalString>("GETDEL", key)
  // Arguments: strings and numbers (a double as its shortest exact text;
  // redis-plus-plus uses std::to_string, six decimals: pass exact text
  // yourself in code that must carry over). Result = bool does not compile:
  // redis-plus-plus picks another overload for command<bool>(...); write
  // command<long long>(...) == 1.
  // Workbook only: without a Result, the reply comes as a Reply (redis-plus-
  // plus: a raw hiredis reply).
  // Commands that change the state of the one pooled connection they run on
  // (SELECT, MULTI/EXEC/DISCARD/WATCH/UNWATCH, SUBSCRIBE, MONITOR, AUTH,
  // HELLO, QUIT, RESET, CLIENT REPLY) throw std::invalid_argument instead:
  // use the URL's /db and user:password, transaction() or eval.
  template <typename Result = Reply, typename... Args>
  Result command(StringView cmd_name, const Args&... args) {
    static_assert(!std::is_same_v<Result, bool>,
                  "command<bool> picks another overload in redis-plus-plus: use "
                  "command<long long>(...) == 1");
    const detail::Arg argv[] = {detail::Arg(cmd_name), detail::Arg(args)...};
    return reply_cast<Result>(run_command(argv, 1 + sizeof...(args)), cmd_name);
  }
  // The command as a range of strings (argv[0] the name).
  template <typename Input, detail::if_range<Input> = 0>
  Reply command(Input first, Input last) {
    auto argv = detail::views(first, last);
    return run_command(argv.data(), argv.size());
  }

  // ---- workbook only: watching what was sent (graders use these) -----------
  // While recording, every command sent is kept (in order) with the number of
  // the round trip it went in. Recording is off by default and costs nothing
  // while off.
  void workbook_record_commands(bool enabled = true);
  std::vector<SentCommand> workbook_recorded_commands() const;
  void workbook_clear_recorded_commands();
  // Round trips made since the client was created (counts always).
  std::uint64_t workbook_round_trips() const;
  // A dry run: while on, every command is recorded (as above) but NOT sent;
  // each throws ClosedError instead. Graders use it to see what code would
  // send for input it should refuse (an empty key, say) without letting a
  // wrong answer touch anyone's keys. Off by default.
  void workbook_dry_run(bool enabled = true);
  // "valkey" or "redis", from INFO server.
  std::string workbook_server_name();
  // The server's version, e.g. "8.1.1" or "7.0.15" (valkey_version when the
  // server reports one, else redis_version).
  std::string workbook_server_version();

  // The same under their old names, for code written before the rename.
  void record_commands(bool enabled = true) { workbook_record_commands(enabled); }
  std::vector<SentCommand> recorded_commands() const { return workbook_recorded_commands(); }
  void clear_recorded_commands() { workbook_clear_recorded_commands(); }
  std::uint64_t round_trips() const { return workbook_round_trips(); }
  void dry_run(bool enabled = true) { workbook_dry_run(enabled); }
  std::string server_name() { return workbook_server_name(); }
  std::string server_version() { return workbook_server_version(); }

 private:
  template <bool>
  friend class QueuedCommands;
  struct Impl;
  std::unique_ptr<Impl> impl_;

  Impl& impl() const;
  Reply run_command(const detail::Arg* argv, std::size_t argc);
  Reply run_command(const StringView* argv, std::size_t argc);
  Reply run_script(StringView command, StringView script, const StringView* keys, std::size_t nkeys,
                   const StringView* args, std::size_t nargs);
  long long del_keys(StringView command, const std::vector<StringView>& keys);
  std::vector<OptionalString> mget_values(const std::vector<StringView>& keys);
  void mset_pairs(const std::vector<std::pair<StringView, StringView>>& pairs);
  long long keyed_list(StringView command, StringView key, const std::vector<StringView>& items);
  long long hset_pairs(StringView key,
                       const std::vector<std::pair<StringView, StringView>>& fields);
  long long zadd_pairs(StringView key, const std::vector<std::pair<StringView, double>>& members,
                       UpdateType type, bool changed);
  long long scan_batch(long long cursor, StringView pattern, long long count,
                       std::vector<std::string>& keys);
  std::vector<std::pair<std::string, std::string>> hgetall_pairs(StringView key);
  std::vector<OptionalString> hmget_values(StringView key, const std::vector<StringView>& fields);
  std::vector<std::string> strings(StringView command, StringView key);
  std::vector<std::string> range_strings(StringView command, StringView key, long long start,
                                         long long stop);
  std::vector<std::string> zrange_members(StringView command, StringView key, StringView from,
                                          StringView to);
  std::vector<std::pair<std::string, double>> zrange_scored(StringView command, StringView key,
                                                            StringView from, StringView to);

  template <typename Output>
  void zrange_out(StringView command, StringView key, StringView from, StringView to,
                  Output output) {
    if constexpr (detail::writes_pairs<Output>) {
      detail::move_out(zrange_scored(command, key, from, to), output);
    } else {
      detail::move_out(zrange_members(command, key, from, to), output);
    }
  }
};

// Redis-plus-plus calls its class Redis; the same name works here.
using Redis = Valkey;

// ----------------------------------------------------------------------------
// Replies of a pipeline or transaction, in the order the commands were queued.
// ----------------------------------------------------------------------------
class QueuedReplies {
 public:
  QueuedReplies();
  // Workbook only: replies gathered by other code (a cluster client's batch,
  // whose commands a redirect may send to more than one node); `names` names
  // each command in the messages of get().
  QueuedReplies(std::vector<Reply> replies, std::vector<std::string> names);
  QueuedReplies(QueuedReplies&&) noexcept;
  QueuedReplies& operator=(QueuedReplies&&) noexcept;
  ~QueuedReplies();

  std::size_t size() const noexcept;
  // The i-th reply as Result (see reply_cast); throws ReplyError if that
  // command failed, Error for a bad index (as redis-plus-plus does).
  template <typename Result>
  Result get(std::size_t idx) const {
    const Reply& r = reply(idx);
    try {
      return reply_cast<Result>(r, {});
    } catch (const Error&) {
      rethrow_naming(idx);
    }
  }
  // Workbook only: the i-th reply as it came (redis-plus-plus: get(idx) gives
  // hiredis's redisReply&). To tell a failed command, catch the ReplyError
  // that get<Result> throws: that carries over.
  const Reply& reply(std::size_t idx) const;

 private:
  template <bool>
  friend class QueuedCommands;
  struct Data;
  explicit QueuedReplies(std::unique_ptr<Data> data);
  [[noreturn]] void rethrow_naming(std::size_t idx) const;
  std::unique_ptr<Data> data_;
};

// ----------------------------------------------------------------------------
// A pipeline (Pipeline) or a MULTI/EXEC transaction (Transaction). Every
// method queues one command and returns *this, so calls chain:
//   auto replies = client.transaction(true, false).set(k, v).pexpire(k, 30s).exec();
// Nothing is sent until exec(). Not thread-safe; use one per thread.
// ----------------------------------------------------------------------------
template <bool IsTransaction>
class QueuedCommands {
 public:
  QueuedCommands(QueuedCommands&&) noexcept;
  QueuedCommands& operator=(QueuedCommands&&) noexcept;
  QueuedCommands(const QueuedCommands&) = delete;
  QueuedCommands& operator=(const QueuedCommands&) = delete;
  ~QueuedCommands();

  QueuedCommands& set(StringView key, StringView val,
                      const std::chrono::milliseconds& ttl = std::chrono::milliseconds(0),
                      UpdateType type = UpdateType::ALWAYS);
  QueuedCommands& set(StringView key, StringView val, bool keepttl,
                      UpdateType type = UpdateType::ALWAYS);
  QueuedCommands& get(StringView key);
  QueuedCommands& del(StringView key);
  QueuedCommands& exists(StringView key);
  QueuedCommands& incr(StringView key);
  QueuedCommands& incrby(StringView key, long long increment);
  QueuedCommands& expire(StringView key, long long timeout);
  QueuedCommands& expire(StringView key, const std::chrono::seconds& timeout);
  QueuedCommands& pexpire(StringView key, long long timeout);
  QueuedCommands& pexpire(StringView key, const std::chrono::milliseconds& timeout);
  QueuedCommands& ttl(StringView key);
  QueuedCommands& pttl(StringView key);
  QueuedCommands& hset(StringView key, StringView field, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  QueuedCommands& hset(StringView key, Input first, Input last) {
    return hset_pairs(key, detail::view_pairs(first, last));
  }
  template <typename T>
  QueuedCommands& hset(StringView key, std::initializer_list<T> il) {
    return hset(key, il.begin(), il.end());
  }
  QueuedCommands& hget(StringView key, StringView field);
  QueuedCommands& hgetall(StringView key);
  QueuedCommands& hdel(StringView key, StringView field);
  QueuedCommands& hincrby(StringView key, StringView field, long long increment);
  QueuedCommands& sadd(StringView key, StringView member);
  QueuedCommands& srem(StringView key, StringView member);
  QueuedCommands& zadd(StringView key, StringView member, double score,
                       UpdateType type = UpdateType::ALWAYS, bool changed = false);
  QueuedCommands& zincrby(StringView key, double increment, StringView member);
  QueuedCommands& zscore(StringView key, StringView member);
  QueuedCommands& zrevrank(StringView key, StringView member);
  QueuedCommands& zcard(StringView key);
  // MGET / MSET as one queued command each (get<std::vector<OptionalString>>
  // reads MGET's reply). An empty range throws std::invalid_argument: it would
  // queue nothing and shift the index of every later reply.
  template <typename Input, detail::if_iterator<Input> = 0>
  QueuedCommands& mget(Input first, Input last) {
    return queue_keyed("MGET", {}, detail::views(first, last));
  }
  template <typename T>
  QueuedCommands& mget(std::initializer_list<T> il) {
    return mget(il.begin(), il.end());
  }
  template <typename Input, detail::if_iterator<Input> = 0>
  QueuedCommands& mset(Input first, Input last) {
    std::vector<StringView> flat;
    for (; first != last; ++first) {
      flat.emplace_back(first->first);
      flat.emplace_back(first->second);
    }
    return queue_keyed("MSET", {}, flat);
  }
  template <typename T>
  QueuedCommands& mset(std::initializer_list<T> il) {
    return mset(il.begin(), il.end());
  }
  // Workbook only (bounds as text, see Valkey::zremrangebyscore; redis-plus-
  // plus: command("ZREMRANGEBYSCORE", key, min, max)).
  QueuedCommands& zremrangebyscore(StringView key, StringView min, StringView max);
  // Any other command (the same refusals as Valkey::command).
  template <typename... Args>
  QueuedCommands& command(StringView cmd_name, const Args&... args) {
    const detail::Arg argv[] = {detail::Arg(cmd_name), detail::Arg(args)...};
    return queue_command(argv, 1 + sizeof...(args));
  }
  // The command as a range of strings (argv[0] the name).
  template <typename Input, detail::if_range<Input> = 0>
  QueuedCommands& command(Input first, Input last) {
    auto argv = detail::views(first, last);
    return queue_views(argv.data(), argv.size());
  }

  // Workbook only: the number of commands queued so far.
  std::size_t size() const noexcept { return count_; }
  // Sends everything queued in one round trip and returns the replies (for a
  // transaction: the replies EXEC returned). Empty afterwards, and can be
  // used again. A ReplyError for one command does not throw here: it throws
  // when you get<Result>() that reply. A transaction the server aborted (a
  // command refused while queueing) throws ReplyError.
  QueuedReplies exec();
  // Drops what is queued without sending it.
  void discard() noexcept;

 private:
  friend class Valkey;
  explicit QueuedCommands(Valkey& client);
  QueuedCommands& queue(std::initializer_list<StringView> argv);
  QueuedCommands& queue_command(const detail::Arg* argv, std::size_t argc);
  QueuedCommands& queue_views(const StringView* argv, std::size_t argc);
  // `command` [key] items...; refuses an empty `items`.
  QueuedCommands& queue_keyed(StringView command, std::optional<StringView> key,
                              const std::vector<StringView>& items);
  QueuedCommands& hset_pairs(StringView key,
                             const std::vector<std::pair<StringView, StringView>>& fields);
  Valkey* client_;
  std::string text_;  // the queued commands, already in the server's protocol
  std::size_t count_ = 0;
};

extern template class QueuedCommands<false>;
extern template class QueuedCommands<true>;

}  // namespace wb
