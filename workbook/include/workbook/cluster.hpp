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
#include <cstdint>
#include <functional>
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

struct ClusterOptions {
  // MOVED and ASK replies followed for one command before RedirectError.
  int max_redirects = 5;
  // How long a command is retried while the cluster answers TRYAGAIN (the
  // keys of a multi-key command are half moved) or CLUSTERDOWN (a failed
  // primary is being replaced). Those replies mean nothing was done, so a
  // retry is always safe. After the window: RedirectError, or the ReplyError.
  std::chrono::milliseconds retry_window{1000};
};

// The URL the default constructor uses: $VALKEY_CLUSTER_URL, else
// redis://127.0.0.1:7001.
std::string cluster_url_from_env();

class ClusterPipeline;

class ValkeyCluster {
 public:
  // `seed` is any node of the cluster; its password and timeouts are used
  // for every node. Connects lazily: the first command loads the slot map.
  // With Role::SLAVE, read-only commands go to a replica of the key's shard
  // (READONLY first), writes still to the primary; a replica may lag behind.
  explicit ValkeyCluster(ConnectionOptions seed, Role role = Role::MASTER,
                         ClusterOptions options = {});
  // A URL redis://[user:password@]host:port (no /db: a cluster has only db 0).
  explicit ValkeyCluster(std::string_view url, Role role = Role::MASTER,
                         ClusterOptions options = {});
  // $VALKEY_CLUSTER_URL.
  ValkeyCluster();
  ~ValkeyCluster();
  ValkeyCluster(ValkeyCluster&&) noexcept;
  ValkeyCluster& operator=(ValkeyCluster&&) noexcept;
  ValkeyCluster(const ValkeyCluster&) = delete;
  ValkeyCluster& operator=(const ValkeyCluster&) = delete;

  // ---- the cluster ------------------------------------------------------------
  // The layout as the cluster describes it now (loads the slot map again).
  std::vector<Shard> shards();
  // The slot map as the client has it (loaded on first use, kept up to date
  // by MOVED replies and failures).
  SlotMap slot_map();
  // Loads the slot map again before the next command.
  void refresh_slots();
  // The primary that serves `key` now, by the client's map: "127.0.0.1:7001".
  std::string node_for(StringView key);
  // The client of one node, e.g. to ask it INFO or CLUSTER NODES.
  Valkey& node(const std::string& address);
  // Calls f(address, client) for every primary.
  void for_each(const std::function<void(const std::string&, Valkey&)>& f);
  // The key's hash slot (the same as wb::key_slot).
  static int slot(StringView key) noexcept { return key_slot(key); }

  // ---- strings ------------------------------------------------------------------
  bool set(StringView key, StringView val,
           std::chrono::milliseconds ttl = std::chrono::milliseconds(0),
           UpdateType type = UpdateType::ALWAYS);
  bool set(StringView key, StringView val, bool keepttl,
           std::chrono::milliseconds ttl = std::chrono::milliseconds(0),
           UpdateType type = UpdateType::ALWAYS);
  OptionalString get(StringView key);
  OptionalString getdel(StringView key);
  OptionalString getex(StringView key, std::chrono::milliseconds ttl);
  OptionalString getex_persist(StringView key);
  long long incr(StringView key);
  long long incrby(StringView key, long long increment);
  long long decr(StringView key);
  long long decrby(StringView key, long long decrement);
  double incrbyfloat(StringView key, double increment);
  long long strlen(StringView key);
  long long append(StringView key, StringView val);
  // MGET / MSET: every key in one slot (CrossSlotError otherwise); an empty
  // range sends nothing.
  template <typename Input, typename Output, detail::if_iterator<Input> = 0>
  void mget(Input first, Input last, Output output) {
    detail::copy_out(mget_values(std::vector<std::string>(first, last)), output);
  }
  template <typename T, typename Output>
  void mget(std::initializer_list<T> il, Output output) {
    mget(il.begin(), il.end(), output);
  }
  template <typename Input, detail::if_iterator<Input> = 0>
  void mset(Input first, Input last) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (; first != last; ++first) pairs.emplace_back(first->first, first->second);
    mset_range(pairs);
  }
  template <typename T>
  void mset(std::initializer_list<T> il) {
    mset(il.begin(), il.end());
  }

  // ---- keys (several keys: all in one slot, else CrossSlotError) ------------
  long long del(StringView key);
  long long del(std::initializer_list<StringView> keys);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long del(Input first, Input last) {
    return multi_key_integer("DEL", std::vector<std::string>(first, last));
  }
  long long unlink(StringView key);
  long long exists(StringView key);
  long long exists(std::initializer_list<StringView> keys);
  bool expire(StringView key, std::chrono::seconds timeout);
  bool expire(StringView key, long long seconds);
  bool pexpire(StringView key, std::chrono::milliseconds timeout);
  long long ttl(StringView key);
  long long pttl(StringView key);
  bool persist(StringView key);
  std::string type(StringView key);

  // ---- hashes -----------------------------------------------------------------------
  long long hset(StringView key, StringView field, StringView val);
  long long hset(StringView key, std::initializer_list<std::pair<StringView, StringView>> fields);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long hset(StringView key, Input first, Input last) {
    std::vector<std::string> argv{"HSET", std::string(key)};
    for (; first != last; ++first) {
      argv.emplace_back(first->first);
      argv.emplace_back(first->second);
    }
    return hset_argv(std::move(argv));
  }
  bool hsetnx(StringView key, StringView field, StringView val);
  OptionalString hget(StringView key, StringView field);
  template <typename Output>
  void hgetall(StringView key, Output out) {
    detail::copy_out(hgetall_pairs(key), out);
  }
  template <typename Input, typename Output, detail::if_iterator<Input> = 0>
  void hmget(StringView key, Input first, Input last, Output out) {
    detail::copy_out(hmget_values(key, std::vector<std::string>(first, last)), out);
  }
  template <typename Output>
  void hmget(StringView key, std::initializer_list<StringView> fields, Output out) {
    hmget(key, fields.begin(), fields.end(), out);
  }
  long long hdel(StringView key, StringView field);
  long long hdel(StringView key, std::initializer_list<StringView> fields);
  long long hincrby(StringView key, StringView field, long long increment);
  double hincrbyfloat(StringView key, StringView field, double increment);
  bool hexists(StringView key, StringView field);
  long long hlen(StringView key);
  template <typename Output>
  void hkeys(StringView key, Output out) {
    detail::copy_out(strings("HKEYS", key), out);
  }
  template <typename Output>
  void hvals(StringView key, Output out) {
    detail::copy_out(strings("HVALS", key), out);
  }

  // ---- lists ------------------------------------------------------------------------
  long long lpush(StringView key, StringView val);
  long long lpush(StringView key, std::initializer_list<StringView> vals);
  long long rpush(StringView key, StringView val);
  long long rpush(StringView key, std::initializer_list<StringView> vals);
  template <typename Input, detail::if_iterator<Input> = 0>
  long long lpush(StringView key, Input first, Input last) {
    return push_range("LPUSH", key, std::vector<std::string>(first, last));
  }
  template <typename Input, detail::if_iterator<Input> = 0>
  long long rpush(StringView key, Input first, Input last) {
    return push_range("RPUSH", key, std::vector<std::string>(first, last));
  }
  // LMOVE / BLMOVE: `src` and `dest` in one slot. BRPOP: as wb::Valkey's.
  OptionalString lmove(StringView src, StringView dest, ListWhence src_whence,
                       ListWhence dest_whence);
  OptionalString blmove(StringView src, StringView dest, ListWhence src_whence,
                        ListWhence dest_whence,
                        std::chrono::seconds timeout = std::chrono::seconds{0});
  OptionalStringPair brpop(StringView key, long long timeout);
  OptionalStringPair brpop(StringView key, std::chrono::seconds timeout = std::chrono::seconds{0});
  OptionalString lpop(StringView key);
  OptionalString rpop(StringView key);
  template <typename Output>
  void lrange(StringView key, long long start, long long stop, Output out) {
    detail::copy_out(range_strings("LRANGE", key, start, stop), out);
  }
  long long llen(StringView key);
  void ltrim(StringView key, long long start, long long stop);
  long long lrem(StringView key, long long count, StringView val);

  // ---- sets -------------------------------------------------------------------------
  long long sadd(StringView key, StringView member);
  long long sadd(StringView key, std::initializer_list<StringView> members);
  long long srem(StringView key, StringView member);
  long long srem(StringView key, std::initializer_list<StringView> members);
  template <typename Output>
  void smembers(StringView key, Output out) {
    detail::copy_out(strings("SMEMBERS", key), out);
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
    for (; first != last; ++first) members.emplace_back(first->first, first->second);
    return zadd_range(key, members, type, changed);
  }
  double zincrby(StringView key, double increment, StringView member);
  OptionalDouble zscore(StringView key, StringView member);
  OptionalLongLong zrank(StringView key, StringView member);
  OptionalLongLong zrevrank(StringView key, StringView member);
  template <typename Output>
  void zrange(StringView key, long long start, long long stop, Output out) {
    zrange_out("ZRANGE", key, detail::to_arg(start), detail::to_arg(stop), out);
  }
  template <typename Output>
  void zrevrange(StringView key, long long start, long long stop, Output out) {
    zrange_out("ZREVRANGE", key, detail::to_arg(start), detail::to_arg(stop), out);
  }
  template <typename Output>
  void zrangebyscore(StringView key, StringView min, StringView max, Output out) {
    zrange_out("ZRANGEBYSCORE", key, std::string(min), std::string(max), out);
  }
  template <typename Output>
  void zrevrangebyscore(StringView key, StringView max, StringView min, Output out) {
    zrange_out("ZREVRANGEBYSCORE", key, std::string(max), std::string(min), out);
  }
  long long zremrangebyscore(StringView key, StringView min, StringView max);
  long long zremrangebyrank(StringView key, long long start, long long stop);
  long long zrem(StringView key, StringView member);
  long long zcard(StringView key);
  long long zcount(StringView key, StringView min, StringView max);

  // ---- scripts: every key in one slot; sent to the node serving it ----------------
  // A script without keys runs on some primary.
  template <typename T>
  T eval(StringView script, std::initializer_list<StringView> keys,
         std::initializer_list<StringView> args) {
    return reply_cast<T>(eval_reply("EVAL", script, to_vector(keys), to_vector(args)), "EVAL");
  }
  template <typename T>
  T eval(StringView script, const std::vector<std::string>& keys,
         const std::vector<std::string>& args) {
    return reply_cast<T>(eval_reply("EVAL", script, keys, args), "EVAL");
  }
  template <typename T>
  T evalsha(StringView sha1, std::initializer_list<StringView> keys,
            std::initializer_list<StringView> args) {
    return reply_cast<T>(eval_reply("EVALSHA", sha1, to_vector(keys), to_vector(args)), "EVALSHA");
  }
  template <typename T>
  T evalsha(StringView sha1, const std::vector<std::string>& keys,
            const std::vector<std::string>& args) {
    return reply_cast<T>(eval_reply("EVALSHA", sha1, keys, args), "EVALSHA");
  }
  // SCRIPT LOAD on every primary (a script is cached per node); the SHA1.
  std::string script_load(StringView script);

  // ---- batches bound to one hash slot ------------------------------------------------
  // Every command queued must have its keys in the slot of `hash_tag` (any
  // key of that slot, e.g. "{user:42}"); a key of another slot is refused
  // with CrossSlotError when it is queued. exec() sends the batch to the node
  // serving that slot in one round trip, and follows MOVED.
  ClusterPipeline pipeline(StringView hash_tag);
  ClusterPipeline transaction(StringView hash_tag);

  // ---- anything else -------------------------------------------------------------------
  // One command; its keys are found from the command's name (argv[1] for
  // most; every argument for DEL, EXISTS, MGET...; numkeys for EVAL...), and
  // must be in one slot. A command with no key goes to some primary. The
  // same refusals as Valkey::command (SELECT, MULTI, ...).
  template <typename T = Reply, typename... Args>
  T command(StringView name, const Args&... args) {
    std::vector<std::string> argv{std::string(name), detail::to_arg(args)...};
    return reply_cast<T>(command(argv), name);
  }
  Reply command(const std::vector<std::string>& argv);

  // ---- watching what was sent (used by graders) ----------------------------------------
  // Every command sent while recording, in order, with the node it went to
  // and the round trip it was part of. ASKING and READONLY are recorded too.
  void record_commands(bool enabled = true);
  std::vector<RoutedCommand> recorded_commands() const;
  void clear_recorded_commands();
  std::uint64_t round_trips() const;
  // As Valkey::dry_run: commands are recorded, nothing is sent, each throws
  // ClosedError. The slot map is not loaded either (node "": unknown).
  void dry_run(bool enabled = true);

 private:
  friend class ClusterPipeline;
  struct Impl;
  std::unique_ptr<Impl> impl_;

  enum class Access { Read, Write };
  Reply run(std::vector<std::string> argv, Access access);
  std::vector<Reply> run_batch(int slot, const std::vector<std::vector<std::string>>& commands,
                               bool transaction);
  long long multi_key_integer(const char* command, std::vector<std::string> keys);
  std::vector<OptionalString> mget_values(const std::vector<std::string>& keys);
  void mset_range(const std::vector<std::pair<std::string, std::string>>& pairs);
  long long push_range(const char* command, StringView key, std::vector<std::string> values);
  long long hset_argv(std::vector<std::string> argv);
  long long zadd_range(StringView key, const std::vector<std::pair<std::string, double>>& members,
                       UpdateType type, bool changed);
  std::vector<std::pair<std::string, std::string>> hgetall_pairs(StringView key);
  std::vector<OptionalString> hmget_values(StringView key, const std::vector<std::string>& fields);
  std::vector<std::string> strings(StringView command, StringView key);
  std::vector<std::string> range_strings(StringView command, StringView key, long long start,
                                         long long stop);
  Reply zrange_reply(StringView command, StringView key, const std::string& from,
                     const std::string& to, bool with_scores);
  static std::vector<std::pair<std::string, double>> scored(const Reply& reply,
                                                            std::string_view what);
  Reply eval_reply(StringView command, StringView script, const std::vector<std::string>& keys,
                   const std::vector<std::string>& args);
  static std::vector<std::string> to_vector(std::initializer_list<StringView> items);

  template <typename Output>
  void zrange_out(StringView command, StringView key, const std::string& from,
                  const std::string& to, Output out) {
    constexpr bool with_scores = detail::writes_pairs<Output>;
    Reply reply = zrange_reply(command, key, from, to, with_scores);
    if constexpr (with_scores) {
      detail::copy_out(scored(reply, command), out);
    } else {
      detail::copy_out(reply_cast<std::vector<std::string>>(reply, command), out);
    }
  }
};

// redis-plus-plus's name.
using RedisCluster = ValkeyCluster;

// ----------------------------------------------------------------------------------------
// A pipeline or transaction of a ValkeyCluster, bound to one hash slot. The
// same chaining methods as wb::Pipeline. Not thread-safe; one per thread.
// ----------------------------------------------------------------------------------------
class ClusterPipeline {
 public:
  ClusterPipeline(ClusterPipeline&&) noexcept;
  ClusterPipeline& operator=(ClusterPipeline&&) noexcept;
  ClusterPipeline(const ClusterPipeline&) = delete;
  ClusterPipeline& operator=(const ClusterPipeline&) = delete;
  ~ClusterPipeline();

  ClusterPipeline& set(StringView key, StringView val,
                       std::chrono::milliseconds ttl = std::chrono::milliseconds(0),
                       UpdateType type = UpdateType::ALWAYS);
  ClusterPipeline& get(StringView key);
  ClusterPipeline& del(StringView key);
  ClusterPipeline& exists(StringView key);
  ClusterPipeline& incr(StringView key);
  ClusterPipeline& incrby(StringView key, long long increment);
  ClusterPipeline& expire(StringView key, std::chrono::seconds timeout);
  ClusterPipeline& pexpire(StringView key, std::chrono::milliseconds timeout);
  ClusterPipeline& ttl(StringView key);
  ClusterPipeline& pttl(StringView key);
  ClusterPipeline& hset(StringView key, StringView field, StringView val);
  template <typename Input, detail::if_iterator<Input> = 0>
  ClusterPipeline& hset(StringView key, Input first, Input last) {
    std::vector<std::string> argv{"HSET", std::string(key)};
    for (; first != last; ++first) {
      argv.emplace_back(first->first);
      argv.emplace_back(first->second);
    }
    return command(std::move(argv));
  }
  ClusterPipeline& hget(StringView key, StringView field);
  ClusterPipeline& hgetall(StringView key);
  ClusterPipeline& hdel(StringView key, StringView field);
  ClusterPipeline& hincrby(StringView key, StringView field, long long increment);
  ClusterPipeline& sadd(StringView key, StringView member);
  ClusterPipeline& srem(StringView key, StringView member);
  ClusterPipeline& zadd(StringView key, StringView member, double score,
                        UpdateType type = UpdateType::ALWAYS, bool changed = false);
  ClusterPipeline& zincrby(StringView key, double increment, StringView member);
  ClusterPipeline& zscore(StringView key, StringView member);
  ClusterPipeline& zrevrank(StringView key, StringView member);
  ClusterPipeline& zremrangebyscore(StringView key, StringView min, StringView max);
  ClusterPipeline& zcard(StringView key);
  template <typename Input, detail::if_iterator<Input> = 0>
  ClusterPipeline& mget(Input first, Input last) {
    std::vector<std::string> argv{"MGET"};
    argv.insert(argv.end(), first, last);
    return command(non_empty(std::move(argv)));
  }
  template <typename T>
  ClusterPipeline& mget(std::initializer_list<T> il) {
    return mget(il.begin(), il.end());
  }
  template <typename Input, detail::if_iterator<Input> = 0>
  ClusterPipeline& mset(Input first, Input last) {
    std::vector<std::string> argv{"MSET"};
    for (; first != last; ++first) {
      argv.emplace_back(first->first);
      argv.emplace_back(first->second);
    }
    return command(non_empty(std::move(argv)));
  }
  template <typename T>
  ClusterPipeline& mset(std::initializer_list<T> il) {
    return mset(il.begin(), il.end());
  }
  template <typename... Args>
  ClusterPipeline& command(StringView name, const Args&... args) {
    return command(std::vector<std::string>{std::string(name), detail::to_arg(args)...});
  }
  // CrossSlotError when the command's keys are not in the pipeline's slot.
  ClusterPipeline& command(std::vector<std::string> argv);

  std::size_t size() const noexcept { return queued_.size(); }
  // The slot every command of this batch is in.
  int slot() const noexcept { return slot_; }
  // As wb::Pipeline::exec.
  QueuedReplies exec();
  void discard() noexcept { queued_.clear(); }

 private:
  friend class ValkeyCluster;
  // An MGET or MSET of nothing would shift the index of every later reply.
  static std::vector<std::string> non_empty(std::vector<std::string> argv);
  ClusterPipeline(ValkeyCluster& cluster, int slot, bool transaction)
      : cluster_(&cluster), slot_(slot), transaction_(transaction) {}
  ValkeyCluster* cluster_;
  int slot_;
  bool transaction_;
  std::vector<std::vector<std::string>> queued_;
};

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
