// The workbook's Valkey Cluster client (lesson 15).
//
// A cluster splits the keyspace into 16384 hash slots and spreads them over
// several primaries, each with replicas. A key's slot is CRC16 of the key (or
// of its hash tag, see `hash_tag`) modulo 16384, computed here, in the client:
// the client keeps a map slot -> node and sends each command straight to the
// node that serves the key. When the map is out of date the node answers
//   MOVED <slot> <host:port>  the slot lives there now: the client updates its
//                             map and sends the command again there;
//   ASK <slot> <host:port>    the slot is being moved and this key is already
//                             there: the client sends ASKING and the command to
//                             that node once, and leaves its map as it is.
//
// When a node's connection breaks (the node was killed, or is failing over),
// the client loads the slot map again before its next command. A read is
// then tried once more; a write is not, and the IoError (or ClosedError)
// reaches the caller: the write may or may not have been applied, and only
// the caller knows whether sending it again is safe.
//
// `ValkeyCluster` is shaped like redis-plus-plus's `sw::redis::RedisCluster`:
// the same single-key commands as `wb::Valkey` (same names, same argument
// order), pipelines and transactions bound to one hash slot, `eval` with keys
// in one slot. Commands with several keys must have them all in one slot;
// the client checks that before sending and throws `CrossSlotError` naming
// the keys and their slots.
//
// Also here: the parts a cluster client is made of (`key_slot`, `SlotMap`,
// `NodeClients`), public so that lesson 15's exercise can put a small client
// together by hand.
//
// Cluster specification: https://valkey.io/topics/cluster-spec/
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workbook/valkey.hpp"

namespace wb {

// ---- slots ---------------------------------------------------------------------
inline constexpr int kClusterSlots = 16384;

// CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum the
// cluster uses: crc16("123456789") == 0x31C3.
std::uint16_t crc16(std::string_view data) noexcept;

// The part of a key that decides its slot: the text between the first '{'
// and the first '}' after it, when that text is not empty; otherwise the
// whole key. "{user:42}:cart" -> "user:42"; "foo{}{bar}" -> "foo{}{bar}"
// (an empty tag does not count); "foo{{bar}}" -> "{bar".
std::string_view hash_tag(std::string_view key) noexcept;

// The key's hash slot, 0..16383: crc16(hash_tag(key)) % 16384.
int key_slot(std::string_view key) noexcept;

// ---- errors ----------------------------------------------------------------------
// Keys of one command (or one pipeline, transaction or script) that are not
// all in one slot. Thrown before anything is sent; also for a CROSSSLOT reply.
class CrossSlotError : public ReplyError {
 public:
  CrossSlotError(const std::string& message, std::vector<std::pair<std::string, int>> keys)
      : ReplyError(message, "CROSSSLOT Keys in request don't hash to the same slot"),
        keys_(std::move(keys)) {}
  // Each key with its slot, in the order they were given.
  const std::vector<std::pair<std::string, int>>& keys() const noexcept { return keys_; }

 private:
  std::vector<std::pair<std::string, int>> keys_;
};

// The cluster kept redirecting (more than ClusterOptions::max_redirects), or
// a slot is being moved for longer than ClusterOptions::retry_window.
class RedirectError : public Error {
 public:
  using Error::Error;
};

// ---- the cluster's layout ---------------------------------------------------------
struct ClusterNode {
  std::string id;    // the node's 40-character id
  std::string host;  // "127.0.0.1"
  int port = 0;
  std::string health;           // "online", "failed" or "loading" (CLUSTER SHARDS)
  std::string address() const;  // "127.0.0.1:7001"
};

// A primary, its replicas and the slot ranges it serves (inclusive).
struct Shard {
  std::vector<std::pair<int, int>> slots;
  ClusterNode primary;
  std::vector<ClusterNode> replicas;
  bool serves(int slot) const noexcept;
};

// Which node serves each slot: the client's picture of the cluster.
class SlotMap {
 public:
  SlotMap();  // empty: no slot has an owner

  // Asks `node` for the cluster's layout: CLUSTER SHARDS (Valkey 8, Redis 7),
  // or CLUSTER SLOTS where that command is missing or its answer does not
  // cover every slot. Throws what the client
  // throws (IoError when the node is down), or Error when the reply is not a
  // layout.
  static SlotMap load(Valkey& node);

  // "127.0.0.1:7001", the primary serving `slot`; empty when none does.
  // std::out_of_range for a slot outside 0..16383.
  const std::string& owner(int slot) const;
  // What a MOVED reply says: `slot` is served by `address` from now on.
  void set_owner(int slot, const std::string& address);
  // The replicas of the shard serving `slot` that are not failed (may be none).
  std::vector<std::string> replicas(int slot) const;
  // The shards that serve slots, as the cluster described them when the map
  // was loaded (a primary without slots serves no key, and is left out).
  const std::vector<Shard>& shards() const noexcept { return shards_; }
  // Every primary's address, in the order of `shards()`.
  std::vector<std::string> primaries() const;

 private:
  std::vector<Shard> shards_;
  std::vector<std::string> nodes_;       // addresses; index 0 is "no owner"
  std::vector<std::uint16_t> owner_of_;  // slot -> index into nodes_
  std::uint16_t intern(const std::string& address);
};

// One command as a cluster client sent it: what, to which node, for which slot.
struct RoutedCommand : SentCommand {
  std::string node;  // "127.0.0.1:7002"
  int slot = -1;     // the slot it was routed by; -1 for a command with no key
};

// One `Valkey` client per node, made on first use with the seed's options
// (password, timeouts); the host and port come from the address.
class NodeClients {
 public:
  explicit NodeClients(ConnectionOptions seed);
  ~NodeClients();
  NodeClients(const NodeClients&) = delete;
  NodeClients& operator=(const NodeClients&) = delete;

  // The client of the node at "host:port". std::invalid_argument for an
  // address that is not host:port. The reference stays valid as long as this
  // object lives. Thread-safe.
  Valkey& at(const std::string& address);
  // The addresses of the clients made so far.
  std::vector<std::string> addresses() const;
  // Recording, on every node's client (those made later too): what each
  // node was sent, in order.
  void record_commands(bool enabled = true);
  std::map<std::string, std::vector<SentCommand>> recorded_commands() const;
  void clear_recorded_commands();
  const ConnectionOptions& seed() const noexcept { return seed_; }

 private:
  ConnectionOptions seed_;
  struct State;
  std::unique_ptr<State> state_;
};

// ---- the client ----------------------------------------------------------------------
// Where reads go. (redis-plus-plus's names; PRIMARY and REPLICA mean the same.)
enum class Role { MASTER, SLAVE, PRIMARY = MASTER, REPLICA = SLAVE };

// redis-plus-plus's pool settings, taken by the constructor so that the call
// carries over. Not used here: each node's wb::Valkey keeps its own pool and
// opens a connection for each caller that needs one (see valkey.hpp).
struct ConnectionPoolOptions {
  std::size_t size = 1;
  std::chrono::milliseconds wait_timeout{0};
  std::chrono::milliseconds connection_lifetime{0};
  std::chrono::milliseconds connection_idle_time{0};
};

// Workbook only in its fields (redis-plus-plus 1.3's ClusterOptions has one,
// slot_map_refresh_interval: it loads the slot map every 10 s, where this
// client loads it after a MOVED or a failure). `ClusterOptions{}` carries over.
struct ClusterOptions {
  // MOVED and ASK replies followed for one command before RedirectError.
  int max_redirects = 5;
  // How long a command is retried while the cluster answers TRYAGAIN (the
  // keys of a multi-key command are half moved) or CLUSTERDOWN (a failed
  // primary is being replaced). Those replies mean nothing was done, so a
  // retry is always safe. After the window: RedirectError, or the ReplyError.
  std::chrono::milliseconds retry_window{1000};
};

// Workbook only: the URL the default constructor uses: $VALKEY_CLUSTER_URL,
// else redis://127.0.0.1:7001.
std::string cluster_url_from_env();

template <bool IsTransaction>
class ClusterQueuedCommands;
// Workbook only in their type names (redis-plus-plus: Pipeline and
// Transaction, as for one server; write `auto` and the code carries over).
using ClusterPipeline = ClusterQueuedCommands<false>;
using ClusterTransaction = ClusterQueuedCommands<true>;

namespace detail {
// One argument of a command as text (a double as its shortest exact text).
template <typename T>
std::string arg_text(const T& v) {
  return std::string(Arg(v).view());
}
template <typename Input>
std::vector<std::string> texts(Input first, Input last) {
  std::vector<std::string> out;
  for (; first != last; ++first) out.emplace_back(StringView(*first));
  return out;
}
}  // namespace detail

// The same calls as wb::Valkey (and redis-plus-plus's RedisCluster) for one
// key, and for several keys when they share a slot. Thread-safe as wb::Valkey.
class ValkeyCluster {
 public:
  // `connection_opts` names any node of the cluster; its password and
  // timeouts are used for every node. Connects lazily: the first command
  // loads the slot map. With Role::SLAVE, read-only commands go to a replica
  // of the key's shard (READONLY first), writes still to the primary; a
  // replica may lag behind. (pool_opts: see ConnectionPoolOptions.)
  explicit ValkeyCluster(const ConnectionOptions& connection_opts,
                         const ConnectionPoolOptions& pool_opts = {}, Role role = Role::MASTER,
                         const ClusterOptions& cluster_opts = {});
  // A URL redis://[user:password@]host:port (no /db: a cluster has only db 0).
  // (redis-plus-plus: "tcp://host:port", as for one server.)
  explicit ValkeyCluster(std::string_view url);
  // Workbook only: a URL and a role (redis-plus-plus:
  // RedisCluster(ConnectionOptions(url), {}, role, cluster_opts)).
  ValkeyCluster(std::string_view url, Role role, const ClusterOptions& cluster_opts = {});
  // Workbook only: $VALKEY_CLUSTER_URL.
  ValkeyCluster();
  ~ValkeyCluster();
  ValkeyCluster(ValkeyCluster&&) noexcept;
  ValkeyCluster& operator=(ValkeyCluster&&) noexcept;
  ValkeyCluster(const ValkeyCluster&) = delete;
  ValkeyCluster& operator=(const ValkeyCluster&) = delete;

  // ---- the cluster ------------------------------------------------------------
  // Calls cb(node) for every primary, a wb::Valkey connected to it (its
  // address: node.options().address()). The slot map is loaded first.
  template <typename Callback>
  void for_each(Callback&& cb) {
    for (const auto& address : primaries_now()) cb(node(address));
  }
  // A client of the node that serves `hash_tag`'s slot now, for commands of
  // that slot only (it follows no MOVED). new_connection is accepted for
  // redis-plus-plus (see Valkey::pipeline).
  Valkey redis(const StringView& hash_tag, bool new_connection = true);
  // Workbook only, the cluster's layout (redis-plus-plus has none of these;
  // ask a node: cluster.redis(tag).command("CLUSTER", "SHARDS")):
  //   shards()        the layout as the cluster describes it now (loads the
  //                   slot map again);
  //   slot_map()      the slot map as the client has it (loaded on first use,
  //                   kept up to date by MOVED replies and failures);
  //   refresh_slots() loads the slot map again before the next command;
  //   node_for(key)   the primary that serves `key` now, by the client's map;
  //   node(address)   the client of one node ("127.0.0.1:7001"), e.g. to ask
  //                   it INFO or CLUSTER NODES;
  //   slot(key)       the key's hash slot (the same as wb::key_slot).
  std::vector<Shard> shards();
  SlotMap slot_map();
  void refresh_slots();
  std::string node_for(StringView key);
  Valkey& node(const std::string& address);
  static int slot(StringView key) noexcept { return key_slot(key); }

  // ---- strings ------------------------------------------------------------------
  bool set(StringView key, StringView val,
           const std::chrono::milliseconds& ttl = std::chrono::milliseconds(0),
           UpdateType type = UpdateType::ALWAYS);
  bool set(StringView key, StringView val, bool keepttl, UpdateType type = UpdateType::ALWAYS);
  OptionalString get(StringView key);
  // Workbook only, as in wb::Valkey (redis-plus-plus: command<OptionalString>(
  // "GETDEL", key), ...).
  OptionalString getdel(StringView key);
  OptionalString getex(StringView key, std::chrono::milliseconds ttl);
  OptionalString getex_persist(StringView key);
  long long incr(StringView key);
  long long incrby(StringView key, long long increment);
  long long decr(StringView key);
  long long decrby(StringView key, long long decrement);
  double incrbyfloat(StringView key, double increment);
  long long strlen(StringView key);
  long long append(StringView key, StringView str);
  // MGET / MSET: every key in one slot (CrossSlotError otherwise).
  // Workbook only: an empty range sends nothing (redis-plus-plus throws).
  template <typename Input, typename Output, detail::if_iterator<Input> = 0>
  void mget(Input first, Input last, Output output) {
    detail::move_out(mget_values(detail::texts(first, last)), output);
  }
  template <typename T, typename Output>
  void mget(std::initializer_list<T> il, Output output) {
    mget(il.begin(), il.end(), output);
  }
  template <typename Input, detail::if_iterator<Input> = 0>
  void mset(Input first, Input last) {
    std::vector<std::string> flat;
    for (; first != last; ++first) {
      flat.emplace_back(StringView(first->first));
      flat.emplace_back(StringView(first->second));
    }
    mset_flat(std::move(flat));
  }
  template <typename T>
  void mset(std::initializer_list<T> il) {
    mset(il.begin(), il.end());
  }

  // ---- keys (several keys: all in one slot, else CrossSlotError) ------------
  // An empty range or list throws Error, as in wb::Valkey.
  long long del(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long del(Input first, Input last) {
    return multi_key_integer("DEL", detail::texts(first, last));
  }
  template <typename T>
  long long del(std::initializer_list<T> il) {
    return del(il.begin(), il.end());
  }
  long long unlink(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long unlink(Input first, Input last) {
    return multi_key_integer("UNLINK", detail::texts(first, last));
  }
  template <typename T>
  long long unlink(std::initializer_list<T> il) {
    return unlink(il.begin(), il.end());
  }
  long long exists(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long exists(Input first, Input last) {
    return multi_key_integer("EXISTS", detail::texts(first, last));
  }
  template <typename T>
  long long exists(std::initializer_list<T> il) {
    return exists(il.begin(), il.end());
  }
  bool expire(StringView key, long long timeout);
  bool expire(StringView key, const std::chrono::seconds& timeout);
  bool pexpire(StringView key, long long timeout);
  bool pexpire(StringView key, const std::chrono::milliseconds& timeout);
  long long ttl(StringView key);
  long long pttl(StringView key);
  bool persist(StringView key);
  std::string type(StringView key);

  // ---- hashes -----------------------------------------------------------------------
  long long hset(StringView key, StringView field, StringView val);
  long long hset(StringView key, const std::pair<StringView, StringView>& item);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long hset(StringView key, Input first, Input last) {
    std::vector<std::string> argv{"HSET", std::string(key)};
    for (; first != last; ++first) {
      argv.emplace_back(StringView(first->first));
      argv.emplace_back(StringView(first->second));
    }
    return hset_argv(std::move(argv));
  }
  template <typename T>
  long long hset(StringView key, std::initializer_list<T> il) {
    return hset(key, il.begin(), il.end());
  }
  bool hsetnx(StringView key, StringView field, StringView val);
  OptionalString hget(StringView key, StringView field);
  template <typename Output>
  void hgetall(StringView key, Output output) {
    detail::move_out(hgetall_pairs(key), output);
  }
  template <typename Input, typename Output, detail::if_iterator<Input> = 0>
  void hmget(StringView key, Input first, Input last, Output output) {
    detail::move_out(hmget_values(key, detail::texts(first, last)), output);
  }
  template <typename T, typename Output>
  void hmget(StringView key, std::initializer_list<T> il, Output output) {
    hmget(key, il.begin(), il.end(), output);
  }
  long long hdel(StringView key, StringView field);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long hdel(StringView key, Input first, Input last) {
    return keyed_list("HDEL", key, detail::texts(first, last));
  }
  template <typename T>
  long long hdel(StringView key, std::initializer_list<T> il) {
    return hdel(key, il.begin(), il.end());
  }
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

  // ---- lists ------------------------------------------------------------------------
  long long lpush(StringView key, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long lpush(StringView key, Input first, Input last) {
    return keyed_list("LPUSH", key, detail::texts(first, last));
  }
  template <typename T>
  long long lpush(StringView key, std::initializer_list<T> il) {
    return lpush(key, il.begin(), il.end());
  }
  long long rpush(StringView key, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long rpush(StringView key, Input first, Input last) {
    return keyed_list("RPUSH", key, detail::texts(first, last));
  }
  template <typename T>
  long long rpush(StringView key, std::initializer_list<T> il) {
    return rpush(key, il.begin(), il.end());
  }
  OptionalString lpop(StringView key);
  OptionalString rpop(StringView key);
  template <typename Output>
  void lrange(StringView key, long long start, long long stop, Output output) {
    detail::move_out(range_strings("LRANGE", key, start, stop), output);
  }
  long long llen(StringView key);
  void ltrim(StringView key, long long start, long long stop);
  long long lrem(StringView key, long long count, StringView val);
  // LMOVE / BLMOVE: `src` and `dest` in one slot. BRPOP: as wb::Valkey's.
  OptionalString lmove(StringView src, StringView dest, ListWhence src_whence,
                       ListWhence dest_whence);
  OptionalString blmove(StringView src, StringView dest, ListWhence src_whence,
                        ListWhence dest_whence,
                        const std::chrono::seconds& timeout = std::chrono::seconds{0});
  OptionalStringPair brpop(StringView key, long long timeout);
  OptionalStringPair brpop(StringView key,
                           const std::chrono::seconds& timeout = std::chrono::seconds{0});

  // ---- sets -------------------------------------------------------------------------
  long long sadd(StringView key, StringView member);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long sadd(StringView key, Input first, Input last) {
    return keyed_list("SADD", key, detail::texts(first, last));
  }
  template <typename T>
  long long sadd(StringView key, std::initializer_list<T> il) {
    return sadd(key, il.begin(), il.end());
  }
  long long srem(StringView key, StringView member);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long srem(StringView key, Input first, Input last) {
    return keyed_list("SREM", key, detail::texts(first, last));
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

  // ---- sorted sets --------------------------------------------------------------------
  long long zadd(StringView key, StringView member, double score,
                 UpdateType type = UpdateType::ALWAYS, bool changed = false);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long zadd(StringView key, Input first, Input last, UpdateType type = UpdateType::ALWAYS,
                 bool changed = false) {
    std::vector<std::pair<std::string, double>> members;
    for (; first != last; ++first) members.emplace_back(StringView(first->first), first->second);
    return zadd_range(key, members, type, changed);
  }
  template <typename T>
  long long zadd(StringView key, std::initializer_list<T> il, UpdateType type = UpdateType::ALWAYS,
                 bool changed = false) {
    return zadd(key, il.begin(), il.end(), type, changed);
  }
  double zincrby(StringView key, double increment, StringView member);
  OptionalDouble zscore(StringView key, StringView member);
  OptionalLongLong zrank(StringView key, StringView member);
  OptionalLongLong zrevrank(StringView key, StringView member);
  template <typename Output>
  void zrange(StringView key, long long start, long long stop, Output output) {
    zrange_out("ZRANGE", key, detail::arg_text(start), detail::arg_text(stop), output);
  }
  template <typename Output>
  void zrevrange(StringView key, long long start, long long stop, Output output) {
    zrange_out("ZREVRANGE", key, detail::arg_text(start), detail::arg_text(stop), output);
  }
  // Workbook only, as in wb::Valkey: bounds as text ("10", "(10", "-inf").
  template <typename Output>
  void zrangebyscore(StringView key, StringView min, StringView max, Output output) {
    zrange_out("ZRANGEBYSCORE", key, std::string(min), std::string(max), output);
  }
  template <typename Output>
  void zrevrangebyscore(StringView key, StringView max, StringView min, Output output) {
    zrange_out("ZREVRANGEBYSCORE", key, std::string(max), std::string(min), output);
  }
  long long zremrangebyscore(StringView key, StringView min, StringView max);
  long long zcount(StringView key, StringView min, StringView max);
  long long zremrangebyrank(StringView key, long long start, long long stop);
  long long zrem(StringView key, StringView member);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long zrem(StringView key, Input first, Input last) {
    return keyed_list("ZREM", key, detail::texts(first, last));
  }
  template <typename T>
  long long zrem(StringView key, std::initializer_list<T> il) {
    return zrem(key, il.begin(), il.end());
  }
  long long zcard(StringView key);

  // ---- scripts: every key in one slot; sent to the node serving it ----------------
  // A script without keys runs on some primary.
  template <typename Result>
  Result eval(StringView script, std::initializer_list<StringView> keys,
              std::initializer_list<StringView> args) {
    return eval<Result>(script, keys.begin(), keys.end(), args.begin(), args.end());
  }
  template <typename Result, typename Keys, typename Args>
  Result eval(StringView script, Keys keys_first, Keys keys_last, Args args_first, Args args_last) {
    return reply_cast<Result>(eval_reply("EVAL", script, detail::texts(keys_first, keys_last),
                                         detail::texts(args_first, args_last)),
                              "EVAL");
  }
  template <typename Result>
  Result evalsha(StringView script, std::initializer_list<StringView> keys,
                 std::initializer_list<StringView> args) {
    return evalsha<Result>(script, keys.begin(), keys.end(), args.begin(), args.end());
  }
  template <typename Result, typename Keys, typename Args>
  Result evalsha(StringView script, Keys keys_first, Keys keys_last, Args args_first,
                 Args args_last) {
    return reply_cast<Result>(eval_reply("EVALSHA", script, detail::texts(keys_first, keys_last),
                                         detail::texts(args_first, args_last)),
                              "EVALSHA");
  }
  // Workbook only: SCRIPT LOAD on every primary (a script is cached per
  // node); the SHA1. (redis-plus-plus: for_each([&](Redis& r) { sha =
  // r.script_load(script); }).)
  std::string script_load(StringView script);

  // ---- batches bound to one hash slot ------------------------------------------------
  // Every command queued must have its keys in the slot of `hash_tag` (any
  // key of that slot, e.g. "{user:42}"); a key of another slot is refused
  // with CrossSlotError when it is queued. exec() sends the batch to the node
  // serving that slot in one round trip, and follows MOVED (redis-plus-plus
  // binds the batch to that node and follows nothing). new_connection and
  // piped are accepted for redis-plus-plus, as in wb::Valkey: a transaction
  // always goes in one round trip.
  ClusterPipeline pipeline(const StringView& hash_tag, bool new_connection = true);
  ClusterTransaction transaction(const StringView& hash_tag, bool piped = false,
                                 bool new_connection = true);

  // ---- anything else -------------------------------------------------------------------
  // One command; its keys are found from the command's name (argv[1] for
  // most; every argument for DEL, EXISTS, MGET...; numkeys for EVAL...), and
  // must be in one slot. A command with no key goes to some primary
  // (redis-plus-plus wants a key: the second argument). The same refusals
  // and conversions as Valkey::command (SELECT, MULTI, ...; no command<bool>).
  template <typename Result = Reply, typename... Args>
  Result command(StringView cmd_name, const Args&... args) {
    static_assert(!std::is_same_v<Result, bool>,
                  "command<bool> picks another overload in redis-plus-plus: use "
                  "command<long long>(...) == 1");
    return reply_cast<Result>(
        run_command(std::vector<std::string>{std::string(cmd_name), detail::arg_text(args)...}),
        cmd_name);
  }
  // The command as a range of strings (argv[0] the name).
  template <typename Input, detail::if_range<Input> = 0>
  Reply command(Input first, Input last) {
    return run_command(detail::texts(first, last));
  }

  // ---- workbook only: watching what was sent (used by graders) --------------------------
  // Every command sent while recording, in order, with the node it went to
  // and the round trip it was part of. ASKING and READONLY are recorded too.
  void workbook_record_commands(bool enabled = true);
  std::vector<RoutedCommand> workbook_recorded_commands() const;
  void workbook_clear_recorded_commands();
  std::uint64_t workbook_round_trips() const;
  // As Valkey::workbook_dry_run: commands are recorded, nothing is sent, each
  // throws ClosedError. The slot map is not loaded either (node "": unknown).
  void workbook_dry_run(bool enabled = true);

  // The same under their old names (as wb::Valkey keeps them).
  void record_commands(bool enabled = true) { workbook_record_commands(enabled); }
  std::vector<RoutedCommand> recorded_commands() const { return workbook_recorded_commands(); }
  void clear_recorded_commands() { workbook_clear_recorded_commands(); }
  std::uint64_t round_trips() const { return workbook_round_trips(); }
  void dry_run(bool enabled = true) { workbook_dry_run(enabled); }

 private:
  template <bool>
  friend class ClusterQueuedCommands;
  struct Impl;
  std::unique_ptr<Impl> impl_;

  enum class Access { Read, Write };
  Reply run(std::vector<std::string> argv, Access access);
  Reply run_command(std::vector<std::string> argv);
  std::vector<Reply> run_batch(int slot, const std::vector<std::vector<std::string>>& commands,
                               bool transaction);
  std::vector<std::string> primaries_now();
  long long multi_key_integer(const char* command, std::vector<std::string> keys);
  long long keyed_list(const char* command, StringView key, std::vector<std::string> items);
  std::vector<OptionalString> mget_values(std::vector<std::string> keys);
  void mset_flat(std::vector<std::string> flat);
  long long hset_argv(std::vector<std::string> argv);
  long long zadd_range(StringView key, const std::vector<std::pair<std::string, double>>& members,
                       UpdateType type, bool changed);
  std::vector<std::pair<std::string, std::string>> hgetall_pairs(StringView key);
  std::vector<OptionalString> hmget_values(StringView key, std::vector<std::string> fields);
  std::vector<std::string> strings(StringView command, StringView key);
  std::vector<std::string> range_strings(StringView command, StringView key, long long start,
                                         long long stop);
  Reply zrange_reply(StringView command, StringView key, const std::string& from,
                     const std::string& to, bool with_scores);
  static std::vector<std::pair<std::string, double>> scored(const Reply& reply,
                                                            std::string_view what);
  Reply eval_reply(StringView command, StringView script, std::vector<std::string> keys,
                   std::vector<std::string> args);

  template <typename Output>
  void zrange_out(StringView command, StringView key, const std::string& from,
                  const std::string& to, Output output) {
    constexpr bool with_scores = detail::writes_pairs<Output>;
    Reply reply = zrange_reply(command, key, from, to, with_scores);
    if constexpr (with_scores) {
      detail::move_out(scored(reply, command), output);
    } else {
      detail::move_out(reply_cast<std::vector<std::string>>(reply, command), output);
    }
  }
};

// redis-plus-plus's name.
using RedisCluster = ValkeyCluster;

// ----------------------------------------------------------------------------------------
// A pipeline (ClusterPipeline) or transaction (ClusterTransaction) of a
// ValkeyCluster, bound to one hash slot. The same chaining methods as
// wb::Pipeline and wb::Transaction. Not thread-safe; one per thread.
// ----------------------------------------------------------------------------------------
template <bool IsTransaction>
class ClusterQueuedCommands {
 public:
  ClusterQueuedCommands(ClusterQueuedCommands&&) noexcept;
  ClusterQueuedCommands& operator=(ClusterQueuedCommands&&) noexcept;
  ClusterQueuedCommands(const ClusterQueuedCommands&) = delete;
  ClusterQueuedCommands& operator=(const ClusterQueuedCommands&) = delete;
  ~ClusterQueuedCommands();

  ClusterQueuedCommands& set(StringView key, StringView val,
                             const std::chrono::milliseconds& ttl = std::chrono::milliseconds(0),
                             UpdateType type = UpdateType::ALWAYS);
  ClusterQueuedCommands& set(StringView key, StringView val, bool keepttl,
                             UpdateType type = UpdateType::ALWAYS);
  ClusterQueuedCommands& get(StringView key);
  ClusterQueuedCommands& del(StringView key);
  ClusterQueuedCommands& exists(StringView key);
  ClusterQueuedCommands& incr(StringView key);
  ClusterQueuedCommands& incrby(StringView key, long long increment);
  ClusterQueuedCommands& expire(StringView key, long long timeout);
  ClusterQueuedCommands& expire(StringView key, const std::chrono::seconds& timeout);
  ClusterQueuedCommands& pexpire(StringView key, long long timeout);
  ClusterQueuedCommands& pexpire(StringView key, const std::chrono::milliseconds& timeout);
  ClusterQueuedCommands& ttl(StringView key);
  ClusterQueuedCommands& pttl(StringView key);
  ClusterQueuedCommands& hset(StringView key, StringView field, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  ClusterQueuedCommands& hset(StringView key, Input first, Input last) {
    std::vector<std::string> argv{"HSET", std::string(key)};
    for (; first != last; ++first) {
      argv.emplace_back(StringView(first->first));
      argv.emplace_back(StringView(first->second));
    }
    return queue(non_empty(std::move(argv), 2));
  }
  template <typename T>
  ClusterQueuedCommands& hset(StringView key, std::initializer_list<T> il) {
    return hset(key, il.begin(), il.end());
  }
  ClusterQueuedCommands& hget(StringView key, StringView field);
  ClusterQueuedCommands& hgetall(StringView key);
  ClusterQueuedCommands& hdel(StringView key, StringView field);
  ClusterQueuedCommands& hincrby(StringView key, StringView field, long long increment);
  ClusterQueuedCommands& sadd(StringView key, StringView member);
  ClusterQueuedCommands& srem(StringView key, StringView member);
  ClusterQueuedCommands& zadd(StringView key, StringView member, double score,
                              UpdateType type = UpdateType::ALWAYS, bool changed = false);
  ClusterQueuedCommands& zincrby(StringView key, double increment, StringView member);
  ClusterQueuedCommands& zscore(StringView key, StringView member);
  ClusterQueuedCommands& zrevrank(StringView key, StringView member);
  ClusterQueuedCommands& zcard(StringView key);
  // MGET / MSET as one queued command each. An empty range throws
  // std::invalid_argument: it would shift the index of every later reply.
  template <typename Input, detail::if_iterator<Input> = 0>
  ClusterQueuedCommands& mget(Input first, Input last) {
    std::vector<std::string> argv{"MGET"};
    for (; first != last; ++first) argv.emplace_back(StringView(*first));
    return queue(non_empty(std::move(argv), 1));
  }
  template <typename T>
  ClusterQueuedCommands& mget(std::initializer_list<T> il) {
    return mget(il.begin(), il.end());
  }
  template <typename Input, detail::if_iterator<Input> = 0>
  ClusterQueuedCommands& mset(Input first, Input last) {
    std::vector<std::string> argv{"MSET"};
    for (; first != last; ++first) {
      argv.emplace_back(StringView(first->first));
      argv.emplace_back(StringView(first->second));
    }
    return queue(non_empty(std::move(argv), 1));
  }
  template <typename T>
  ClusterQueuedCommands& mset(std::initializer_list<T> il) {
    return mset(il.begin(), il.end());
  }
  // Workbook only, as in wb::Pipeline.
  ClusterQueuedCommands& zremrangebyscore(StringView key, StringView min, StringView max);
  // Any other command. CrossSlotError when its keys are not in the batch's
  // slot.
  template <typename... Args>
  ClusterQueuedCommands& command(StringView cmd_name, const Args&... args) {
    return queue(std::vector<std::string>{std::string(cmd_name), detail::arg_text(args)...});
  }
  template <typename Input, detail::if_range<Input> = 0>
  ClusterQueuedCommands& command(Input first, Input last) {
    return queue(detail::texts(first, last));
  }

  // Workbook only: the number of commands queued so far.
  std::size_t size() const noexcept { return queued_.size(); }
  // Workbook only: the slot every command of this batch is in.
  int slot() const noexcept { return slot_; }
  // As wb::Pipeline::exec (and wb::Transaction::exec).
  QueuedReplies exec();
  void discard() noexcept { queued_.clear(); }

 private:
  friend class ValkeyCluster;
  // An MGET, MSET or HSET of nothing would shift the index of every later
  // reply; `min_args` counts the arguments after the name that must be there.
  static std::vector<std::string> non_empty(std::vector<std::string> argv, std::size_t min_args);
  ClusterQueuedCommands& queue(std::vector<std::string> argv);
  ClusterQueuedCommands(ValkeyCluster& cluster, int slot) : cluster_(&cluster), slot_(slot) {}
  ValkeyCluster* cluster_;
  int slot_;
  std::vector<std::vector<std::string>> queued_;
};

extern template class ClusterQueuedCommands<false>;
extern template class ClusterQueuedCommands<true>;

namespace detail {
// The keys of a command, by its name: argv[1] for most commands; every
// argument for DEL, UNLINK, EXISTS, MGET, TOUCH, WATCH; every other for
// MSET; numkeys-counted for EVAL, EVALSHA, FCALL...; none for PING, WAIT...
std::vector<std::string> command_keys(const std::vector<std::string>& argv);
// Throws CrossSlotError unless every key is in one slot (`what` names the
// command or batch in the message); returns that slot, or -1 for no keys.
int common_slot(const std::vector<std::string>& keys, std::string_view what);
// A MOVED or ASK reply's parts: "MOVED 3999 127.0.0.1:6381".
struct Redirect {
  bool ask = false;
  int slot = -1;
  std::string address;  // "127.0.0.1:6381"
};
// nullopt when `error_text` is not a MOVED or ASK reply. An address with no
// host (":6381", a node that does not know its own name) gets `from_host`.
std::optional<Redirect> parse_redirect(std::string_view error_text, std::string_view from_host);
}  // namespace detail

}  // namespace wb
