// The Valkey Cluster client. It is built on wb::Valkey by composition: one
// Valkey client per node (NodeClients), every command sent through that
// client's public pipeline, so that ASKING or READONLY and the command share
// one connection and one round trip. Only the routing lives here.
#include "workbook/cluster.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace wb {

// ---------------------------------------------------------------------------
// Slots
// ---------------------------------------------------------------------------
namespace {
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    auto crc = static_cast<std::uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    table[i] = crc;
  }
  return table;
}
constexpr auto kCrc16Table = make_crc16_table();
}  // namespace

std::uint16_t crc16(std::string_view data) noexcept {
  std::uint16_t crc = 0;
  for (char ch : data) {
    auto byte = static_cast<unsigned char>(ch);
    crc = static_cast<std::uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ byte) & 0xff]);
  }
  return crc;
}

std::string_view hash_tag(std::string_view key) noexcept {
  auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int key_slot(std::string_view key) noexcept { return crc16(hash_tag(key)) % kClusterSlots; }

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A key for a message: control bytes escaped, long keys shortened.
std::string shown(std::string_view key) {
  std::string out;
  for (char ch : key.substr(0, 60)) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  if (key.size() > 60) out += "...";
  return "'" + out + "'";
}

}  // namespace

namespace detail {
std::vector<std::string> command_keys(const std::vector<std::string>& argv);
}

namespace {

// "GET 'user:1'": the command and its first key (or argument), for messages.
std::string describe(const std::vector<std::string>& argv) {
  if (argv.empty()) return "(empty command)";
  std::string out = upper(argv[0]);
  if (out == "AUTH" || out == "HELLO") return out;
  if (out == "EVAL" || out == "EVALSHA" || out == "FCALL" || out == "EVAL_RO" ||
      out == "EVALSHA_RO" || out == "FCALL_RO") {
    auto keys = detail::command_keys(argv);
    out += keys.empty() ? " (no keys)" : " with key " + shown(keys.front());
    if (keys.size() > 1) out += " and " + std::to_string(keys.size() - 1) + " more";
    return out;
  }
  if (argv.size() > 1) out += " " + shown(argv[1]);
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "host:port" -> (host, port); std::invalid_argument when it is not that.
std::pair<std::string, int> split_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size())
    throw std::invalid_argument("'" + address + "' is not a node address (host:port)");
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  if (!host.empty() && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    throw std::invalid_argument("'" + address + "' is not a node address (host:port)");
  int p = std::stoi(port);
  if (host.empty() || p <= 0 || p > 65535)
    throw std::invalid_argument("'" + address + "' is not a node address (host:port)");
  return {host, p};
}

std::string join_address(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

// ---------------------------------------------------------------------------
// Which arguments are keys
// ---------------------------------------------------------------------------
namespace detail {

std::vector<std::string> command_keys(const std::vector<std::string>& argv) {
  if (argv.empty()) return {};
  static const std::set<std::string> keyless = {
      "PING",      "ECHO",     "WAIT",    "TIME",    "INFO",    "DBSIZE",   "READONLY",
      "READWRITE", "ASKING",   "CLUSTER", "COMMAND", "SCRIPT",  "FUNCTION", "CONFIG",
      "CLIENT",    "LASTSAVE", "MEMORY",  "SLOWLOG", "LATENCY", "ROLE",     "SCAN",
      "RANDOMKEY", "PUBLISH",  "MULTI",   "EXEC",    "DISCARD", "UNWATCH",  "HELLO",
      "AUTH",      "SELECT",   "QUIT",    "RESET",   "MONITOR", "DEBUG",    "LOLWUT"};
  static const std::set<std::string> all_keys = {
      "DEL",    "UNLINK", "EXISTS",      "MGET",        "TOUCH",      "WATCH",   "SINTER",
      "SUNION", "SDIFF",  "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "PFCOUNT", "PFMERGE"};
  static const std::set<std::string> first_two = {
      "RENAME",    "RENAMENX",   "SMOVE", "LMOVE",          "BLMOVE",
      "RPOPLPUSH", "BRPOPLPUSH", "COPY",  "GEOSEARCHSTORE", "ZRANGESTORE"};
  static const std::set<std::string> numkeys_at_2 = {"EVAL",       "EVALSHA", "EVAL_RO",
                                                     "EVALSHA_RO", "FCALL",   "FCALL_RO"};
  std::string name = upper(argv[0]);
  std::vector<std::string> keys;
  if (keyless.count(name)) return keys;
  if (all_keys.count(name)) return std::vector<std::string>(argv.begin() + 1, argv.end());
  if (name == "MSET" || name == "MSETNX") {
    for (std::size_t i = 1; i < argv.size(); i += 2) keys.push_back(argv[i]);
    return keys;
  }
  if (name == "BRPOP" || name == "BLPOP") {  // key... timeout
    for (std::size_t i = 1; i + 1 < argv.size(); ++i) keys.push_back(argv[i]);
    return keys;
  }
  if (first_two.count(name)) {
    for (std::size_t i = 1; i < argv.size() && i <= 2; ++i) keys.push_back(argv[i]);
    return keys;
  }
  if (numkeys_at_2.count(name) || name == "ZUNIONSTORE" || name == "ZINTERSTORE" ||
      name == "ZDIFFSTORE") {
    // EVAL script numkeys key...; ZUNIONSTORE dest numkeys key...
    bool store = name[0] == 'Z';
    std::size_t at = 2;
    if (store && argv.size() > 1) keys.push_back(argv[1]);
    if (argv.size() <= at) return keys;
    char* end = nullptr;
    long n = std::strtol(argv[at].c_str(), &end, 10);
    if (end == argv[at].c_str() || *end != '\0' || n < 0) return keys;
    for (std::size_t i = at + 1; i < argv.size() && i <= at + static_cast<std::size_t>(n); ++i)
      keys.push_back(argv[i]);
    return keys;
  }
  if (argv.size() > 1) keys.push_back(argv[1]);
  return keys;
}

int common_slot(const std::vector<std::string>& keys, std::string_view what) {
  if (keys.empty()) return -1;
  int slot = key_slot(keys.front());
  bool same = std::all_of(keys.begin(), keys.end(),
                          [&](const std::string& k) { return key_slot(k) == slot; });
  if (same) return slot;
  std::vector<std::pair<std::string, int>> slots;
  std::string list;
  for (const auto& k : keys) {
    slots.emplace_back(k, key_slot(k));
    if (slots.size() <= 8) {
      if (!list.empty()) list += ", ";
      list += shown(k) + " (slot " + std::to_string(slots.back().second) + ")";
    }
  }
  if (slots.size() > 8) list += ", and " + std::to_string(slots.size() - 8) + " more";
  throw CrossSlotError(
      std::string(what) + ": CROSSSLOT - its keys are in different hash slots, so no one node " +
          "holds them all: " + list +
          ". Give them one hash tag, e.g. 'cart:{user42}' and 'lock:{user42}' (the part in "
          "braces decides the slot).",
      std::move(slots));
}

std::optional<Redirect> parse_redirect(std::string_view text, std::string_view from_host) {
  Redirect r;
  if (starts_with(text, "MOVED ")) {
    text.remove_prefix(6);
  } else if (starts_with(text, "ASK ")) {
    r.ask = true;
    text.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto space = text.find(' ');
  if (space == std::string_view::npos || space == 0) return std::nullopt;
  std::string_view slot = text.substr(0, space);
  if (!std::all_of(slot.begin(), slot.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      slot.size() > 5)
    return std::nullopt;
  r.slot = std::stoi(std::string(slot));
  if (r.slot >= kClusterSlots) return std::nullopt;
  std::string_view address = text.substr(space + 1);
  if (auto end = address.find_first_of(" \r\n)"); end != std::string_view::npos)
    address = address.substr(0, end);
  if (address.empty()) return std::nullopt;
  r.address = std::string(address);
  if (r.address.front() == ':') r.address = std::string(from_host) + r.address;
  return r;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------
std::string ClusterNode::address() const { return join_address(host, port); }

bool Shard::serves(int slot) const noexcept {
  return std::any_of(slots.begin(), slots.end(),
                     [&](const auto& r) { return r.first <= slot && slot <= r.second; });
}

SlotMap::SlotMap() : nodes_{std::string()}, owner_of_(kClusterSlots, 0) {}

std::uint16_t SlotMap::intern(const std::string& address) {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i] == address) return static_cast<std::uint16_t>(i);
  nodes_.push_back(address);
  return static_cast<std::uint16_t>(nodes_.size() - 1);
}

const std::string& SlotMap::owner(int slot) const {
  if (slot < 0 || slot >= kClusterSlots)
    throw std::out_of_range("slot " + std::to_string(slot) + " is not in 0..16383");
  return nodes_[owner_of_[static_cast<std::size_t>(slot)]];
}

void SlotMap::set_owner(int slot, const std::string& address) {
  if (slot < 0 || slot >= kClusterSlots)
    throw std::out_of_range("slot " + std::to_string(slot) + " is not in 0..16383");
  owner_of_[static_cast<std::size_t>(slot)] = intern(address);
}

std::vector<std::string> SlotMap::replicas(int slot) const {
  const std::string& primary = owner(slot);
  std::vector<std::string> out;
  for (const auto& shard : shards_) {
    if (shard.primary.address() != primary) continue;
    // "loading" is also what CLUSTER SHARDS says of a replica whose
    // replication offset is still 0 (an empty shard): it answers. A replica
    // really loading its data answers LOADING, and the read goes to the primary.
    for (const auto& r : shard.replicas)
      if (r.health != "failed") out.push_back(r.address());
  }
  return out;
}

std::vector<std::string> SlotMap::primaries() const {
  std::vector<std::string> out;
  for (const auto& shard : shards_) out.push_back(shard.primary.address());
  return out;
}

namespace {

[[noreturn]] void bad_layout(const std::string& why) {
  throw Error("the cluster's layout could not be read: " + why);
}

// A RESP2 map (a flat array of names and values) as name -> reply.
std::map<std::string, const Reply*> as_map(const Reply& r, const char* what) {
  if (r.type != Reply::Type::Array || r.elements.size() % 2 != 0)
    bad_layout(std::string(what) + " is not a list of names and values");
  std::map<std::string, const Reply*> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
    out[r.elements[i].str] = &r.elements[i + 1];
  return out;
}

std::string text_of(const std::map<std::string, const Reply*>& m, const char* name) {
  auto it = m.find(name);
  if (it == m.end()) return {};
  if (it->second->type == Reply::Type::Integer) return std::to_string(it->second->integer);
  return it->second->str;
}

// `ambiguous`: a shard with slots listed two live primaries (seen on Redis
// 7.0 for a moment after a failover), so which one serves them is unclear.
std::vector<Shard> parse_shards(const Reply& reply, bool& ambiguous) {
  if (reply.type != Reply::Type::Array) bad_layout("CLUSTER SHARDS did not reply with a list");
  std::vector<Shard> shards;
  ambiguous = false;
  for (const Reply& entry : reply.elements) {
    auto fields = as_map(entry, "a shard");
    Shard shard;
    if (auto s = fields.find("slots"); s != fields.end()) {
      const auto& list = s->second->elements;
      for (std::size_t i = 0; i + 1 < list.size(); i += 2)
        shard.slots.emplace_back(static_cast<int>(reply_cast<long long>(list[i], "slots")),
                                 static_cast<int>(reply_cast<long long>(list[i + 1], "slots")));
    }
    auto n = fields.find("nodes");
    if (n == fields.end()) bad_layout("a shard without nodes");
    bool have_primary = false;
    int live_primaries = 0;
    for (const Reply& node_reply : n->second->elements) {
      auto f = as_map(node_reply, "a node");
      ClusterNode node;
      node.id = text_of(f, "id");
      std::string endpoint = text_of(f, "endpoint");
      node.host = (endpoint.empty() || endpoint == "?") ? text_of(f, "ip") : endpoint;
      std::string port = text_of(f, "port");
      if (port.empty()) port = text_of(f, "tls-port");
      node.port = port.empty() ? 0 : std::atoi(port.c_str());
      node.health = text_of(f, "health");
      if (node.health.empty()) node.health = "online";
      std::string role = text_of(f, "role");
      // A shard may list a failed former primary beside the new one.
      bool primary = role == "master" || role == "primary";
      if (primary && node.health != "failed") ++live_primaries;
      if (primary &&
          (!have_primary || (shard.primary.health != "online" && node.health == "online"))) {
        if (have_primary) shard.replicas.push_back(shard.primary);
        shard.primary = node;
        have_primary = true;
      } else {
        shard.replicas.push_back(node);
      }
    }
    // A shard without slots serves nothing: a primary just added, the dead
    // leftover of a failover, or (Redis 7.0, for a moment after a failover)
    // the old primary listed on its own before it is shown as a replica.
    if (!have_primary || shard.slots.empty()) continue;
    if (live_primaries > 1) ambiguous = true;
    shards.push_back(std::move(shard));
  }
  return shards;
}

ClusterNode node_of_slots_entry(const Reply& r) {
  if (r.type != Reply::Type::Array || r.elements.size() < 2)
    bad_layout("CLUSTER SLOTS lists a node without an address");
  ClusterNode node;
  node.host = r.elements[0].str;
  node.port = static_cast<int>(reply_cast<long long>(r.elements[1], "CLUSTER SLOTS"));
  if (r.elements.size() > 2) node.id = r.elements[2].str;
  node.health = "online";
  return node;
}

std::vector<Shard> parse_slots(const Reply& reply) {
  if (reply.type != Reply::Type::Array) bad_layout("CLUSTER SLOTS did not reply with a list");
  std::vector<Shard> shards;
  for (const Reply& range : reply.elements) {
    if (range.type != Reply::Type::Array || range.elements.size() < 3)
      bad_layout("CLUSTER SLOTS lists a range without its primary");
    int first = static_cast<int>(reply_cast<long long>(range.elements[0], "CLUSTER SLOTS"));
    int last = static_cast<int>(reply_cast<long long>(range.elements[1], "CLUSTER SLOTS"));
    ClusterNode primary = node_of_slots_entry(range.elements[2]);
    auto it = std::find_if(shards.begin(), shards.end(), [&](const Shard& s) {
      return s.primary.address() == primary.address();
    });
    if (it == shards.end()) {
      Shard s;
      s.primary = primary;
      for (std::size_t i = 3; i < range.elements.size(); ++i)
        s.replicas.push_back(node_of_slots_entry(range.elements[i]));
      shards.push_back(std::move(s));
      it = shards.end() - 1;
    }
    it->slots.emplace_back(first, last);
  }
  return shards;
}

}  // namespace

SlotMap SlotMap::load(Valkey& node) {
  std::vector<Shard> shards;
  bool ambiguous = false;
  try {
    shards = parse_shards(node.command("CLUSTER", "SHARDS"), ambiguous);
  } catch (const ReplyError& e) {
    std::string text = upper(e.server_text());
    // Servers before Redis 7.0 know only CLUSTER SLOTS.
    if (text.find("UNKNOWN SUBCOMMAND") == std::string::npos &&
        text.find("UNKNOWN COMMAND") == std::string::npos)
      throw;
    shards = parse_slots(node.command("CLUSTER", "SLOTS"));
  }
  // CLUSTER SHARDS must cover every slot; where it does not (a node that
  // has not caught up, or the server's own mistake), CLUSTER SLOTS may.
  auto covered = [](const std::vector<Shard>& list) {
    long long n = 0;
    for (const auto& s : list)
      for (const auto& [first, last] : s.slots) n += last - first + 1;
    return n;
  };
  if (covered(shards) < kClusterSlots || ambiguous) {
    try {
      auto by_slots = parse_slots(node.command("CLUSTER", "SLOTS"));
      if (covered(by_slots) >= covered(shards)) shards = std::move(by_slots);
    } catch (const Error&) {
    }
  }
  if (shards.empty())
    bad_layout("no shard serves any slot (is " + node.options().address() +
               " a node of a cluster that has been created?)");
  SlotMap map;
  map.shards_ = std::move(shards);
  for (const auto& shard : map.shards_) {
    std::uint16_t index = map.intern(shard.primary.address());
    for (const auto& [first, last] : shard.slots)
      for (int s = std::max(first, 0); s <= last && s < kClusterSlots; ++s)
        map.owner_of_[static_cast<std::size_t>(s)] = index;
  }
  return map;
}

// ---------------------------------------------------------------------------
// NodeClients
// ---------------------------------------------------------------------------
struct NodeClients::State {
  mutable std::mutex mutex;
  std::map<std::string, std::unique_ptr<Valkey>> clients;
  bool recording = false;
};

NodeClients::NodeClients(ConnectionOptions seed)
    : seed_(std::move(seed)), state_(std::make_unique<State>()) {}
NodeClients::~NodeClients() = default;

Valkey& NodeClients::at(const std::string& address) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->clients.find(address);
  if (it != state_->clients.end()) return *it->second;
  auto [host, port] = split_address(address);
  ConnectionOptions o = seed_;
  o.host = host;
  o.port = port;
  o.db = 0;
  auto client = std::make_unique<Valkey>(o);
  if (state_->recording) client->record_commands(true);
  return *state_->clients.emplace(address, std::move(client)).first->second;
}

std::vector<std::string> NodeClients::addresses() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::vector<std::string> out;
  for (const auto& entry : state_->clients) out.push_back(entry.first);
  return out;
}

void NodeClients::record_commands(bool enabled) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->recording = enabled;
  for (auto& entry : state_->clients) entry.second->record_commands(enabled);
}

std::map<std::string, std::vector<SentCommand>> NodeClients::recorded_commands() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::map<std::string, std::vector<SentCommand>> out;
  for (const auto& entry : state_->clients) {
    auto sent = entry.second->recorded_commands();
    if (!sent.empty()) out[entry.first] = std::move(sent);
  }
  return out;
}

void NodeClients::clear_recorded_commands() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (auto& entry : state_->clients) entry.second->clear_recorded_commands();
}

// ---------------------------------------------------------------------------
// ValkeyCluster
// ---------------------------------------------------------------------------
std::string cluster_url_from_env() {
  const char* url = std::getenv("VALKEY_CLUSTER_URL");
  return (url && *url) ? url : "redis://127.0.0.1:7001";
}

namespace {

ConnectionOptions cluster_options_from_url(std::string_view url) {
  ConnectionOptions o = ConnectionOptions::from_url(url);
  if (o.db != 0)
    throw std::invalid_argument("a cluster URL names no database (a cluster has only db 0): '" +
                                o.address() + "'");
  return o;
}

bool is_read_only(const std::string& name) {
  static const std::set<std::string> reads = {
      "GET",           "STRLEN",           "EXISTS", "TTL",      "PTTL",     "TYPE",
      "HGET",          "HGETALL",          "HMGET",  "HEXISTS",  "HLEN",     "HKEYS",
      "HVALS",         "LRANGE",           "LLEN",   "LINDEX",   "SMEMBERS", "SISMEMBER",
      "SCARD",         "ZSCORE",           "ZRANK",  "ZREVRANK", "ZRANGE",   "ZREVRANGE",
      "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZCARD",  "ZCOUNT",   "MGET",     "GETRANGE",
      "EVAL_RO",       "EVALSHA_RO"};
  return reads.count(upper(name)) > 0;
}

// SET key val [PX ttl] [KEEPTTL] [NX|XX], as wb::Valkey sends it.
std::vector<std::string> set_argv(StringView key, StringView val, std::chrono::milliseconds ttl,
                                  bool keepttl, UpdateType type) {
  if (ttl.count() < 0) throw std::invalid_argument("SET: the ttl must not be negative");
  std::vector<std::string> argv{"SET", std::string(key), std::string(val)};
  if (ttl.count() > 0) {
    argv.emplace_back("PX");
    argv.push_back(std::to_string(ttl.count()));
  }
  if (keepttl) argv.emplace_back("KEEPTTL");
  if (type == UpdateType::EXIST) argv.emplace_back("XX");
  if (type == UpdateType::NOT_EXIST) argv.emplace_back("NX");
  return argv;
}

// ZADD key [NX|XX] [CH] score member...
std::vector<std::string> zadd_argv(StringView key,
                                   const std::vector<std::pair<std::string, double>>& members,
                                   UpdateType type, bool changed) {
  std::vector<std::string> argv{"ZADD", std::string(key)};
  if (type == UpdateType::EXIST) argv.emplace_back("XX");
  if (type == UpdateType::NOT_EXIST) argv.emplace_back("NX");
  if (changed) argv.emplace_back("CH");
  for (const auto& [member, score] : members) {
    argv.push_back(detail::arg_text(score));
    argv.push_back(member);
  }
  return argv;
}

void pause_before_retry(int attempt) {
  // 5, 10, 20, 40, 80, 100, 100... ms: short, because the states that ask
  // for a retry (a half-moved slot, a primary being replaced) are short.
  int ms = std::min(100, 5 << std::min(attempt, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

struct ValkeyCluster::Impl {
  Role role;
  ClusterOptions options;
  NodeClients nodes;
  std::string seed;  // "host:port"

  std::mutex load_mutex;  // one slot-map load at a time
  mutable std::mutex map_mutex;
  SlotMap map;
  bool loaded = false;
  bool stale = true;
  std::string last_failed;  // a node whose connection just failed: asked last
  std::string preferred;    // the node a MOVED just named: asked first
  std::atomic<unsigned> next{0};

  mutable std::mutex record_mutex;
  bool recording = false;
  bool dry_run = false;
  std::vector<RoutedCommand> recorded;
  std::uint64_t trips = 0;

  Impl(ConnectionOptions seed_options, Role r, ClusterOptions o)
      : role(r),
        options(o),
        nodes(seed_options),
        seed(join_address(seed_options.host, seed_options.port)) {
    if (options.max_redirects < 0) throw std::invalid_argument("max_redirects must be >= 0");
  }

  // Records a round trip; true in a dry run (then nothing may be sent).
  bool note(const std::string& node, const std::vector<std::vector<std::string>>& cmds, int slot) {
    std::lock_guard<std::mutex> lock(record_mutex);
    std::uint64_t trip = dry_run ? trips + 1 : ++trips;
    if (recording || dry_run) {
      for (const auto& argv : cmds) {
        RoutedCommand c;
        c.argv = argv;
        c.round_trip = trip;
        c.node = node;
        c.slot = slot;
        recorded.push_back(std::move(c));
      }
    }
    return dry_run;
  }

  void mark_stale(const std::string& failed = {}) {
    std::lock_guard<std::mutex> lock(map_mutex);
    stale = true;
    if (!failed.empty()) last_failed = failed;
  }

  // Loads the slot map from the first node that answers: the seed and the
  // nodes the old map knew, a node that just failed last.
  void load_map() {
    std::lock_guard<std::mutex> loading(load_mutex);
    std::vector<std::string> candidates;
    std::string failed;
    {
      std::lock_guard<std::mutex> lock(map_mutex);
      if (loaded && !stale) return;  // another thread just did it
      failed = last_failed;
      auto add = [&](const std::string& a) {
        if (!a.empty() && std::find(candidates.begin(), candidates.end(), a) == candidates.end())
          candidates.push_back(a);
      };
      // The node a MOVED named knows about its new slots before any other.
      add(preferred);
      for (const auto& shard : map.shards()) add(shard.primary.address());
      add(seed);
      for (const auto& shard : map.shards())
        for (const auto& r : shard.replicas) add(r.address());
      auto f = std::find(candidates.begin(), candidates.end(), failed);
      if (f != candidates.end()) std::rotate(f, f + 1, candidates.end());
    }
    std::string errors;
    for (const auto& address : candidates) {
      try {
        note(address, {{"CLUSTER", "SHARDS"}}, -1);
        SlotMap fresh = SlotMap::load(nodes.at(address));
        std::lock_guard<std::mutex> lock(map_mutex);
        map = std::move(fresh);
        loaded = true;
        stale = false;
        last_failed.clear();
        preferred.clear();
        return;
      } catch (const Error& e) {
        errors += std::string(errors.empty() ? "" : "; ") + e.what();
      }
    }
    throw IoError("cannot read the cluster's slot map from any of its nodes (" + errors + ")");
  }

  // The node to send a command for `slot` to.
  std::string route(int slot, bool to_replica) {
    bool need_load;
    {
      std::lock_guard<std::mutex> lock(map_mutex);
      need_load = !loaded || stale;
    }
    if (need_load) load_map();
    std::lock_guard<std::mutex> lock(map_mutex);
    if (slot < 0) {
      auto primaries = map.primaries();
      if (primaries.empty()) throw Error("the cluster has no primary");
      return primaries[next++ % primaries.size()];
    }
    if (to_replica) {
      auto replicas = map.replicas(slot);
      if (!replicas.empty()) return replicas[next++ % replicas.size()];
    }
    const std::string& owner = map.owner(slot);
    if (owner.empty())
      throw Error("no node of the cluster serves slot " + std::to_string(slot) +
                  " (is the cluster healthy? make cluster-status)");
    return owner;
  }

  bool is_primary(const std::string& address) {
    std::lock_guard<std::mutex> lock(map_mutex);
    auto p = map.primaries();
    return std::find(p.begin(), p.end(), address) != p.end();
  }

  void moved(const detail::Redirect& r) {
    std::lock_guard<std::mutex> lock(map_mutex);
    map.set_owner(r.slot, r.address);
    // The rest of the map may be out of date too (a failover moves a third
    // of the slots at once): load it again before the next command, first
    // from the node that now serves the slot.
    stale = true;
    preferred = r.address;
  }

  // One round trip to one node; I/O failures mark the map stale.
  std::vector<Reply> send(const std::string& address,
                          const std::vector<std::vector<std::string>>& cmds, int slot,
                          bool transaction) {
    std::vector<std::vector<std::string>> recorded_cmds;
    const auto* what = &cmds;
    if (transaction) {
      recorded_cmds.push_back({"MULTI"});
      recorded_cmds.insert(recorded_cmds.end(), cmds.begin(), cmds.end());
      recorded_cmds.push_back({"EXEC"});
      what = &recorded_cmds;
    }
    if (note(address, *what, slot))
      throw ClosedError(describe(cmds.front()) + " was not sent to the cluster: this client is " +
                        "in a dry run (a grader's safety net)");
    try {
      Valkey& node = nodes.at(address);
      return transaction ? exec_batch(node.transaction(true, false), cmds)
                         : exec_batch(node.pipeline(false), cmds);
    } catch (const IoError&) {
      mark_stale(address);
      throw;
    } catch (const ClosedError&) {
      mark_stale(address);
      throw;
    }
  }

  std::string host_of(const std::string& address) { return split_address(address).first; }

  template <typename Batch>
  static std::vector<Reply> exec_batch(Batch batch,
                                       const std::vector<std::vector<std::string>>& cmds) {
    for (const auto& argv : cmds) batch.command(argv.begin(), argv.end());
    QueuedReplies replies = batch.exec();
    std::vector<Reply> out;
    out.reserve(replies.size());
    for (std::size_t i = 0; i < replies.size(); ++i) out.push_back(replies.reply(i));
    return out;
  }
};

ValkeyCluster::ValkeyCluster(const ConnectionOptions& connection_opts,
                             const ConnectionPoolOptions& /*pool_opts*/, Role role,
                             const ClusterOptions& cluster_opts)
    : impl_(std::make_unique<Impl>(connection_opts, role, cluster_opts)) {}
ValkeyCluster::ValkeyCluster(std::string_view url)
    : ValkeyCluster(cluster_options_from_url(url), {}, Role::MASTER, {}) {}
ValkeyCluster::ValkeyCluster(std::string_view url, Role role, const ClusterOptions& cluster_opts)
    : ValkeyCluster(cluster_options_from_url(url), {}, role, cluster_opts) {}
ValkeyCluster::ValkeyCluster() : ValkeyCluster(cluster_url_from_env()) {}
ValkeyCluster::~ValkeyCluster() = default;
ValkeyCluster::ValkeyCluster(ValkeyCluster&&) noexcept = default;
ValkeyCluster& ValkeyCluster::operator=(ValkeyCluster&&) noexcept = default;

namespace {
[[noreturn]] void moved_from() { throw ClosedError("this ValkeyCluster client was moved from"); }
}  // namespace

// The one path of every single command.
Reply ValkeyCluster::run(std::vector<std::string> argv, Access access) {
  if (!impl_) moved_from();
  if (argv.empty()) throw std::invalid_argument("cannot send an empty command");
  Impl& im = *impl_;
  const std::string what = describe(argv);
  const int slot = detail::common_slot(detail::command_keys(argv), what);
  const bool readonly = im.role == Role::SLAVE && access == Access::Read && slot >= 0;
  if (im.dry_run) im.send("", {argv}, slot, false);  // records it and throws

  const auto deadline = std::chrono::steady_clock::now() + im.options.retry_window;
  int redirects = 0;
  int retries = 0;
  std::string ask_to, moved_to;
  std::string last_redirect;
  bool read_retried = false;
  for (;;) {
    std::string address;
    std::vector<std::vector<std::string>> cmds;
    if (!ask_to.empty()) {
      address = ask_to;
      cmds.push_back({"ASKING"});
    } else if (!moved_to.empty()) {
      address = moved_to;
      if (readonly && !im.is_primary(address)) cmds.push_back({"READONLY"});
    } else {
      address = im.route(slot, readonly);
      if (readonly && !im.is_primary(address)) cmds.push_back({"READONLY"});
    }
    ask_to.clear();
    moved_to.clear();
    cmds.push_back(argv);
    std::vector<Reply> replies;
    try {
      replies = im.send(address, cmds, slot, false);
    } catch (const Error& e) {
      // The node went away (killed, failing over; the map is marked stale).
      // A read changes nothing, so it is tried once more on the node the
      // reloaded map names. A write is not: it may have been applied before
      // the connection broke, and sending it again could apply it twice -
      // the caller decides (lesson 15).
      bool io = dynamic_cast<const IoError*>(&e) || dynamic_cast<const ClosedError*>(&e);
      if (!io || access != Access::Read || read_retried || im.dry_run) throw;
      read_retried = true;
      continue;
    }
    for (std::size_t i = 0; i + 1 < replies.size(); ++i)
      if (replies[i].type == Reply::Type::Error)
        throw ReplyError(upper(cmds[i][0]) + " on " + address + ": " + replies[i].str,
                         replies[i].str);
    Reply reply = std::move(replies.back());
    if (reply.type != Reply::Type::Error) return reply;

    const std::string& text = reply.str;
    if (auto r = detail::parse_redirect(text, im.host_of(address))) {
      if (++redirects > im.options.max_redirects)
        throw RedirectError(what + ": the cluster redirected it more than " +
                            std::to_string(im.options.max_redirects) + " times (last: " + text +
                            ", before: " + last_redirect + ")");
      last_redirect = text;
      if (r->ask) {
        ask_to = r->address;
      } else {
        // Straight to the node the MOVED names: a reloaded map could come
        // from a node that has not heard of the change yet.
        im.moved(*r);
        moved_to = r->address;
      }
      continue;
    }
    if (starts_with(text, "LOADING") && readonly && !im.is_primary(address)) {
      moved_to = im.route(slot, false);  // the replica is not ready: read from the primary
      continue;
    }
    if (starts_with(text, "TRYAGAIN") || starts_with(text, "CLUSTERDOWN")) {
      if (starts_with(text, "CLUSTERDOWN")) im.mark_stale();
      if (std::chrono::steady_clock::now() < deadline) {
        pause_before_retry(retries++);
        continue;
      }
      throw RedirectError(what + " on " + address + ": " + text + " (still, after " +
                          std::to_string(im.options.retry_window.count()) + " ms of retries)");
    }
    if (starts_with(text, "CROSSSLOT")) {
      std::vector<std::pair<std::string, int>> keys;
      for (const auto& k : detail::command_keys(argv)) keys.emplace_back(k, key_slot(k));
      throw CrossSlotError(what + " on " + address + ": " + text, std::move(keys));
    }
    throw ReplyError(what + " on " + address + ": " + text, text);
  }
}

std::vector<Reply> ValkeyCluster::run_batch(int slot,
                                            const std::vector<std::vector<std::string>>& commands,
                                            bool transaction) {
  if (!impl_) moved_from();
  Impl& im = *impl_;
  if (commands.empty()) return {};
  if (im.dry_run) im.send("", commands, slot, transaction);
  const auto deadline = std::chrono::steady_clock::now() + im.options.retry_window;
  int redirects = 0;
  int retries = 0;
  std::string moved_to;
  for (;;) {
    std::string address = moved_to.empty() ? im.route(slot, false) : moved_to;
    moved_to.clear();
    if (!transaction) {
      std::vector<Reply> replies = im.send(address, commands, slot, false);
      // Commands the node did not run (the slot moved, or is moving) go
      // again one by one, each following its own redirects.
      for (std::size_t i = 0; i < replies.size(); ++i) {
        const Reply& r = replies[i];
        if (r.type != Reply::Type::Error) continue;
        if (!detail::parse_redirect(r.str, "") && !starts_with(r.str, "TRYAGAIN")) continue;
        try {
          replies[i] = run(commands[i], Access::Write);
        } catch (const ReplyError& e) {
          Reply error;
          error.type = Reply::Type::Error;
          error.str = e.server_text();
          replies[i] = error;
        }
      }
      return replies;
    }
    try {
      return im.send(address, commands, slot, true);
    } catch (const ReplyError& e) {
      // EXECABORT: a command was refused while queueing; wb::Pipeline puts
      // the refusal into the message. MOVED: the slot lives elsewhere now.
      // ASK or TRYAGAIN: the slot is being moved; a transaction cannot follow
      // an ASK (ASKING must come before MULTI), so it waits for the move to
      // end. Nothing of an aborted transaction ran: a retry is safe.
      std::string text = e.what();
      auto at = text.find("MOVED ");
      if (at != std::string::npos) {
        if (auto r =
                detail::parse_redirect(std::string_view(text).substr(at), im.host_of(address))) {
          if (++redirects > im.options.max_redirects)
            throw RedirectError("transaction on slot " + std::to_string(slot) +
                                ": redirected more than " +
                                std::to_string(im.options.max_redirects) + " times (" + text + ")");
          im.moved(*r);
          moved_to = r->address;
          continue;
        }
      }
      bool moving = text.find(": ASK ") != std::string::npos ||
                    text.find("TRYAGAIN") != std::string::npos ||
                    text.find("CLUSTERDOWN") != std::string::npos;
      if (!moving) throw;
      if (text.find("CLUSTERDOWN") != std::string::npos) im.mark_stale();
      if (std::chrono::steady_clock::now() >= deadline)
        throw RedirectError("transaction on slot " + std::to_string(slot) +
                            ": the slot is being moved or its shard failed over, for longer than " +
                            std::to_string(im.options.retry_window.count()) + " ms (" + text + ")");
      pause_before_retry(retries++);
    }
  }
}

// ---- the cluster -------------------------------------------------------------------
std::vector<Shard> ValkeyCluster::shards() {
  if (!impl_) moved_from();
  impl_->mark_stale();
  impl_->load_map();
  std::lock_guard<std::mutex> lock(impl_->map_mutex);
  return impl_->map.shards();
}

SlotMap ValkeyCluster::slot_map() {
  if (!impl_) moved_from();
  impl_->route(0, false);  // loads it when needed
  std::lock_guard<std::mutex> lock(impl_->map_mutex);
  return impl_->map;
}

void ValkeyCluster::refresh_slots() {
  if (!impl_) moved_from();
  impl_->mark_stale();
}

std::string ValkeyCluster::node_for(StringView key) {
  if (!impl_) moved_from();
  return impl_->route(key_slot(key), false);
}

Valkey& ValkeyCluster::node(const std::string& address) {
  if (!impl_) moved_from();
  return impl_->nodes.at(address);
}

std::vector<std::string> ValkeyCluster::primaries_now() { return slot_map().primaries(); }

Valkey ValkeyCluster::redis(const StringView& hash_tag, bool /*new_connection*/) {
  if (!impl_) moved_from();
  auto [host, port] = split_address(impl_->route(key_slot(hash_tag), false));
  ConnectionOptions o = impl_->nodes.seed();
  o.host = host;
  o.port = port;
  o.db = 0;
  return Valkey(o);
}

// ---- generic --------------------------------------------------------------------------
Reply ValkeyCluster::run_command(std::vector<std::string> argv) {
  if (argv.empty()) throw std::invalid_argument("cannot send an empty command");
  Access access = is_read_only(argv[0]) ? Access::Read : Access::Write;
  return run(std::move(argv), access);
}

// ---- strings ------------------------------------------------------------------------------
bool ValkeyCluster::set(StringView key, StringView val, const std::chrono::milliseconds& ttl,
                        UpdateType type) {
  return reply_cast<bool>(run(set_argv(key, val, ttl, false, type), Access::Write), "SET");
}
bool ValkeyCluster::set(StringView key, StringView val, bool keepttl, UpdateType type) {
  return reply_cast<bool>(
      run(set_argv(key, val, std::chrono::milliseconds(0), keepttl, type), Access::Write), "SET");
}
OptionalString ValkeyCluster::get(StringView key) {
  return reply_cast<OptionalString>(run({"GET", std::string(key)}, Access::Read), "GET");
}
OptionalString ValkeyCluster::getdel(StringView key) {
  return reply_cast<OptionalString>(run({"GETDEL", std::string(key)}, Access::Write), "GETDEL");
}
OptionalString ValkeyCluster::getex(StringView key, std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) throw std::invalid_argument("GETEX: the ttl must be positive");
  return reply_cast<OptionalString>(
      run({"GETEX", std::string(key), "PX", std::to_string(ttl.count())}, Access::Write), "GETEX");
}
OptionalString ValkeyCluster::getex_persist(StringView key) {
  return reply_cast<OptionalString>(run({"GETEX", std::string(key), "PERSIST"}, Access::Write),
                                    "GETEX");
}
long long ValkeyCluster::incr(StringView key) {
  return reply_cast<long long>(run({"INCR", std::string(key)}, Access::Write), "INCR");
}
long long ValkeyCluster::incrby(StringView key, long long increment) {
  return reply_cast<long long>(
      run({"INCRBY", std::string(key), std::to_string(increment)}, Access::Write), "INCRBY");
}
long long ValkeyCluster::decr(StringView key) {
  return reply_cast<long long>(run({"DECR", std::string(key)}, Access::Write), "DECR");
}
long long ValkeyCluster::decrby(StringView key, long long decrement) {
  return reply_cast<long long>(
      run({"DECRBY", std::string(key), std::to_string(decrement)}, Access::Write), "DECRBY");
}
double ValkeyCluster::incrbyfloat(StringView key, double increment) {
  return reply_cast<double>(
      run({"INCRBYFLOAT", std::string(key), detail::arg_text(increment)}, Access::Write),
      "INCRBYFLOAT");
}
long long ValkeyCluster::strlen(StringView key) {
  return reply_cast<long long>(run({"STRLEN", std::string(key)}, Access::Read), "STRLEN");
}
long long ValkeyCluster::append(StringView key, StringView val) {
  return reply_cast<long long>(run({"APPEND", std::string(key), std::string(val)}, Access::Write),
                               "APPEND");
}

std::vector<OptionalString> ValkeyCluster::mget_values(std::vector<std::string> keys) {
  if (keys.empty()) return {};
  keys.insert(keys.begin(), "MGET");
  return reply_cast<std::vector<OptionalString>>(run(std::move(keys), Access::Read), "MGET");
}
void ValkeyCluster::mset_flat(std::vector<std::string> flat) {
  if (flat.empty()) return;
  flat.insert(flat.begin(), "MSET");
  reply_cast<void>(run(std::move(flat), Access::Write), "MSET");
}

// ---- keys -----------------------------------------------------------------------------------
long long ValkeyCluster::multi_key_integer(const char* command, std::vector<std::string> keys) {
  if (keys.empty()) throw Error(std::string(command) + ": no key specified");
  std::vector<std::string> argv{command};
  argv.insert(argv.end(), std::make_move_iterator(keys.begin()),
              std::make_move_iterator(keys.end()));
  bool read = std::string(command) == "EXISTS";
  return reply_cast<long long>(run(std::move(argv), read ? Access::Read : Access::Write), command);
}
long long ValkeyCluster::del(StringView key) {
  return multi_key_integer("DEL", {std::string(key)});
}
long long ValkeyCluster::unlink(StringView key) {
  return multi_key_integer("UNLINK", {std::string(key)});
}
long long ValkeyCluster::exists(StringView key) {
  return multi_key_integer("EXISTS", {std::string(key)});
}
bool ValkeyCluster::expire(StringView key, const std::chrono::seconds& timeout) {
  return expire(key, static_cast<long long>(timeout.count()));
}
bool ValkeyCluster::expire(StringView key, long long timeout) {
  return reply_cast<bool>(run({"EXPIRE", std::string(key), std::to_string(timeout)}, Access::Write),
                          "EXPIRE");
}
bool ValkeyCluster::pexpire(StringView key, const std::chrono::milliseconds& timeout) {
  return pexpire(key, static_cast<long long>(timeout.count()));
}
bool ValkeyCluster::pexpire(StringView key, long long timeout) {
  return reply_cast<bool>(
      run({"PEXPIRE", std::string(key), std::to_string(timeout)}, Access::Write), "PEXPIRE");
}
long long ValkeyCluster::ttl(StringView key) {
  return reply_cast<long long>(run({"TTL", std::string(key)}, Access::Read), "TTL");
}
long long ValkeyCluster::pttl(StringView key) {
  return reply_cast<long long>(run({"PTTL", std::string(key)}, Access::Read), "PTTL");
}
bool ValkeyCluster::persist(StringView key) {
  return reply_cast<bool>(run({"PERSIST", std::string(key)}, Access::Write), "PERSIST");
}
std::string ValkeyCluster::type(StringView key) {
  return reply_cast<std::string>(run({"TYPE", std::string(key)}, Access::Read), "TYPE");
}

// ---- hashes -----------------------------------------------------------------------------------
long long ValkeyCluster::hset_argv(std::vector<std::string> argv) {
  if (argv.size() < 4) throw Error("HSET: no key specified");
  return reply_cast<long long>(run(std::move(argv), Access::Write), "HSET");
}
long long ValkeyCluster::hset(StringView key, StringView field, StringView val) {
  return hset_argv({"HSET", std::string(key), std::string(field), std::string(val)});
}
long long ValkeyCluster::hset(StringView key, const std::pair<StringView, StringView>& item) {
  return hset(key, item.first, item.second);
}
bool ValkeyCluster::hsetnx(StringView key, StringView field, StringView val) {
  return reply_cast<bool>(
      run({"HSETNX", std::string(key), std::string(field), std::string(val)}, Access::Write),
      "HSETNX");
}
OptionalString ValkeyCluster::hget(StringView key, StringView field) {
  return reply_cast<OptionalString>(
      run({"HGET", std::string(key), std::string(field)}, Access::Read), "HGET");
}
std::vector<std::pair<std::string, std::string>> ValkeyCluster::hgetall_pairs(StringView key) {
  auto flat = reply_cast<std::vector<std::string>>(run({"HGETALL", std::string(key)}, Access::Read),
                                                   "HGETALL");
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace_back(flat[i], flat[i + 1]);
  return out;
}
std::vector<OptionalString> ValkeyCluster::hmget_values(StringView key,
                                                        std::vector<std::string> fields) {
  if (fields.empty()) throw Error("HMGET: no key specified");
  fields.insert(fields.begin(), {"HMGET", std::string(key)});
  return reply_cast<std::vector<OptionalString>>(run(std::move(fields), Access::Read), "HMGET");
}
long long ValkeyCluster::hdel(StringView key, StringView field) {
  return keyed_list("HDEL", key, {std::string(field)});
}
long long ValkeyCluster::hincrby(StringView key, StringView field, long long increment) {
  return reply_cast<long long>(
      run({"HINCRBY", std::string(key), std::string(field), std::to_string(increment)},
          Access::Write),
      "HINCRBY");
}
double ValkeyCluster::hincrbyfloat(StringView key, StringView field, double increment) {
  return reply_cast<double>(
      run({"HINCRBYFLOAT", std::string(key), std::string(field), detail::arg_text(increment)},
          Access::Write),
      "HINCRBYFLOAT");
}
bool ValkeyCluster::hexists(StringView key, StringView field) {
  return reply_cast<bool>(run({"HEXISTS", std::string(key), std::string(field)}, Access::Read),
                          "HEXISTS");
}
long long ValkeyCluster::hlen(StringView key) {
  return reply_cast<long long>(run({"HLEN", std::string(key)}, Access::Read), "HLEN");
}
std::vector<std::string> ValkeyCluster::strings(StringView command, StringView key) {
  return reply_cast<std::vector<std::string>>(
      run({std::string(command), std::string(key)}, Access::Read), command);
}

// ---- lists -------------------------------------------------------------------------------------
long long ValkeyCluster::lpush(StringView key, StringView val) {
  return keyed_list("LPUSH", key, {std::string(val)});
}
long long ValkeyCluster::rpush(StringView key, StringView val) {
  return keyed_list("RPUSH", key, {std::string(val)});
}
// `command` key item...: LPUSH, RPUSH, SADD, SREM, ZREM, HDEL. As in wb::Valkey,
// nothing to send is an Error.
long long ValkeyCluster::keyed_list(const char* command, StringView key,
                                    std::vector<std::string> items) {
  if (items.empty()) throw Error(std::string(command) + ": no key specified");
  items.insert(items.begin(), {command, std::string(key)});
  return reply_cast<long long>(run(std::move(items), Access::Write), command);
}
namespace {
const char* whence_word(ListWhence w) { return w == ListWhence::LEFT ? "LEFT" : "RIGHT"; }
}  // namespace
OptionalString ValkeyCluster::lmove(StringView src, StringView dest, ListWhence src_whence,
                                    ListWhence dest_whence) {
  return reply_cast<OptionalString>(run({"LMOVE", std::string(src), std::string(dest),
                                         whence_word(src_whence), whence_word(dest_whence)},
                                        Access::Write),
                                    "LMOVE");
}
OptionalString ValkeyCluster::blmove(StringView src, StringView dest, ListWhence src_whence,
                                     ListWhence dest_whence, const std::chrono::seconds& timeout) {
  return reply_cast<OptionalString>(
      run({"BLMOVE", std::string(src), std::string(dest), whence_word(src_whence),
           whence_word(dest_whence), std::to_string(timeout.count())},
          Access::Write),
      "BLMOVE");
}
OptionalStringPair ValkeyCluster::brpop(StringView key, long long timeout) {
  Reply reply = run({"BRPOP", std::string(key), std::to_string(timeout)}, Access::Write);
  if (reply.is_nil()) return std::nullopt;
  auto pair = reply_cast<std::vector<std::string>>(reply, "BRPOP");
  if (pair.size() != 2) throw Error("BRPOP: expected a (key, element) pair from the server");
  return std::make_pair(std::move(pair[0]), std::move(pair[1]));
}
OptionalStringPair ValkeyCluster::brpop(StringView key, const std::chrono::seconds& timeout) {
  return brpop(key, static_cast<long long>(timeout.count()));
}
OptionalString ValkeyCluster::lpop(StringView key) {
  return reply_cast<OptionalString>(run({"LPOP", std::string(key)}, Access::Write), "LPOP");
}
OptionalString ValkeyCluster::rpop(StringView key) {
  return reply_cast<OptionalString>(run({"RPOP", std::string(key)}, Access::Write), "RPOP");
}
std::vector<std::string> ValkeyCluster::range_strings(StringView command, StringView key,
                                                      long long start, long long stop) {
  return reply_cast<std::vector<std::string>>(
      run({std::string(command), std::string(key), std::to_string(start), std::to_string(stop)},
          Access::Read),
      command);
}
long long ValkeyCluster::llen(StringView key) {
  return reply_cast<long long>(run({"LLEN", std::string(key)}, Access::Read), "LLEN");
}
void ValkeyCluster::ltrim(StringView key, long long start, long long stop) {
  reply_cast<void>(
      run({"LTRIM", std::string(key), std::to_string(start), std::to_string(stop)}, Access::Write),
      "LTRIM");
}
long long ValkeyCluster::lrem(StringView key, long long count, StringView val) {
  return reply_cast<long long>(
      run({"LREM", std::string(key), std::to_string(count), std::string(val)}, Access::Write),
      "LREM");
}

// ---- sets
// ----------------------------------------------------------------------------------------
long long ValkeyCluster::sadd(StringView key, StringView member) {
  return keyed_list("SADD", key, {std::string(member)});
}
long long ValkeyCluster::srem(StringView key, StringView member) {
  return keyed_list("SREM", key, {std::string(member)});
}
bool ValkeyCluster::sismember(StringView key, StringView member) {
  return reply_cast<bool>(run({"SISMEMBER", std::string(key), std::string(member)}, Access::Read),
                          "SISMEMBER");
}
long long ValkeyCluster::scard(StringView key) {
  return reply_cast<long long>(run({"SCARD", std::string(key)}, Access::Read), "SCARD");
}

// ---- sorted sets
// ---------------------------------------------------------------------------------
long long ValkeyCluster::zadd(StringView key, StringView member, double score, UpdateType type,
                              bool changed) {
  return zadd_range(key, {{std::string(member), score}}, type, changed);
}
long long ValkeyCluster::zadd_range(StringView key,
                                    const std::vector<std::pair<std::string, double>>& members,
                                    UpdateType type, bool changed) {
  if (members.empty()) throw Error("ZADD: no key specified");
  return reply_cast<long long>(run(zadd_argv(key, members, type, changed), Access::Write), "ZADD");
}
double ValkeyCluster::zincrby(StringView key, double increment, StringView member) {
  return reply_cast<double>(
      run({"ZINCRBY", std::string(key), detail::arg_text(increment), std::string(member)},
          Access::Write),
      "ZINCRBY");
}
OptionalDouble ValkeyCluster::zscore(StringView key, StringView member) {
  return reply_cast<OptionalDouble>(
      run({"ZSCORE", std::string(key), std::string(member)}, Access::Read), "ZSCORE");
}
OptionalLongLong ValkeyCluster::zrank(StringView key, StringView member) {
  return reply_cast<OptionalLongLong>(
      run({"ZRANK", std::string(key), std::string(member)}, Access::Read), "ZRANK");
}
OptionalLongLong ValkeyCluster::zrevrank(StringView key, StringView member) {
  return reply_cast<OptionalLongLong>(
      run({"ZREVRANK", std::string(key), std::string(member)}, Access::Read), "ZREVRANK");
}
Reply ValkeyCluster::zrange_reply(StringView command, StringView key, const std::string& from,
                                  const std::string& to, bool with_scores) {
  std::vector<std::string> argv{std::string(command), std::string(key), from, to};
  if (with_scores) argv.emplace_back("WITHSCORES");
  return run(std::move(argv), Access::Read);
}
std::vector<std::pair<std::string, double>> ValkeyCluster::scored(const Reply& reply,
                                                                  std::string_view what) {
  auto flat = reply_cast<std::vector<std::string>>(reply, what);
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    Reply score;
    score.type = Reply::Type::String;
    score.str = flat[i + 1];
    out.emplace_back(flat[i], reply_cast<double>(score, what));
  }
  return out;
}
long long ValkeyCluster::zremrangebyscore(StringView key, StringView min, StringView max) {
  return reply_cast<long long>(
      run({"ZREMRANGEBYSCORE", std::string(key), std::string(min), std::string(max)},
          Access::Write),
      "ZREMRANGEBYSCORE");
}
long long ValkeyCluster::zremrangebyrank(StringView key, long long start, long long stop) {
  return reply_cast<long long>(
      run({"ZREMRANGEBYRANK", std::string(key), std::to_string(start), std::to_string(stop)},
          Access::Write),
      "ZREMRANGEBYRANK");
}
long long ValkeyCluster::zrem(StringView key, StringView member) {
  return keyed_list("ZREM", key, {std::string(member)});
}
long long ValkeyCluster::zcard(StringView key) {
  return reply_cast<long long>(run({"ZCARD", std::string(key)}, Access::Read), "ZCARD");
}
long long ValkeyCluster::zcount(StringView key, StringView min, StringView max) {
  return reply_cast<long long>(
      run({"ZCOUNT", std::string(key), std::string(min), std::string(max)}, Access::Read),
      "ZCOUNT");
}

// ---- scripts
// ----------------------------------------------------------------------------------------
Reply ValkeyCluster::eval_reply(StringView command, StringView script,
                                std::vector<std::string> keys, std::vector<std::string> args) {
  std::vector<std::string> argv{std::string(command), std::string(script),
                                std::to_string(keys.size())};
  argv.insert(argv.end(), std::make_move_iterator(keys.begin()),
              std::make_move_iterator(keys.end()));
  argv.insert(argv.end(), std::make_move_iterator(args.begin()),
              std::make_move_iterator(args.end()));
  return run(std::move(argv), Access::Write);
}

std::string ValkeyCluster::script_load(StringView script) {
  std::string sha;
  for_each([&](Valkey& node) {
    if (impl_->note(node.options().address(), {{"SCRIPT", "LOAD", std::string(script)}}, -1))
      throw ClosedError("SCRIPT LOAD was not sent: this client is in a dry run");
    sha = node.script_load(script);
  });
  return sha;
}

// ---- batches -----------------------------------------------------------------------------
ClusterPipeline ValkeyCluster::pipeline(const StringView& hash_tag, bool /*new_connection*/) {
  if (!impl_) moved_from();
  return ClusterPipeline(*this, key_slot(hash_tag));
}
ClusterTransaction ValkeyCluster::transaction(const StringView& hash_tag, bool /*piped*/,
                                              bool /*new_connection*/) {
  if (!impl_) moved_from();
  return ClusterTransaction(*this, key_slot(hash_tag));
}

// ---- recording ---------------------------------------------------------------------------
void ValkeyCluster::workbook_record_commands(bool enabled) {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  impl_->recording = enabled;
}
std::vector<RoutedCommand> ValkeyCluster::workbook_recorded_commands() const {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  return impl_->recorded;
}
void ValkeyCluster::workbook_clear_recorded_commands() {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  impl_->recorded.clear();
}
std::uint64_t ValkeyCluster::workbook_round_trips() const {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  return impl_->trips;
}
void ValkeyCluster::workbook_dry_run(bool enabled) {
  if (!impl_) moved_from();
  std::lock_guard<std::mutex> lock(impl_->record_mutex);
  impl_->dry_run = enabled;
}

// ---------------------------------------------------------------------------
// ClusterPipeline and ClusterTransaction
// ---------------------------------------------------------------------------
template <bool T>
ClusterQueuedCommands<T>::ClusterQueuedCommands(ClusterQueuedCommands&&) noexcept = default;
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::operator=(ClusterQueuedCommands&&) noexcept =
    default;
template <bool T>
ClusterQueuedCommands<T>::~ClusterQueuedCommands() = default;

template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::queue(std::vector<std::string> argv) {
  if (argv.empty()) throw std::invalid_argument("cannot queue an empty command");
  auto keys = detail::command_keys(argv);
  for (const auto& k : keys) {
    if (key_slot(k) != slot_) {
      std::vector<std::pair<std::string, int>> slots{{k, key_slot(k)}};
      throw CrossSlotError(
          describe(argv) + ": CROSSSLOT - this " + std::string(T ? "transaction" : "pipeline") +
              " is bound to slot " + std::to_string(slot_) + ", but " + shown(k) + " is in slot " +
              std::to_string(key_slot(k)) + ". Give every key of the batch the same hash tag.",
          std::move(slots));
    }
  }
  queued_.push_back(std::move(argv));
  return *this;
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::set(StringView key, StringView val,
                                                        const std::chrono::milliseconds& ttl,
                                                        UpdateType type) {
  return queue(set_argv(key, val, ttl, false, type));
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::set(StringView key, StringView val,
                                                        bool keepttl, UpdateType type) {
  return queue(set_argv(key, val, std::chrono::milliseconds(0), keepttl, type));
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::get(StringView key) {
  return command("GET", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::del(StringView key) {
  return command("DEL", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::exists(StringView key) {
  return command("EXISTS", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::incr(StringView key) {
  return command("INCR", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::incrby(StringView key, long long increment) {
  return command("INCRBY", key, increment);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::expire(StringView key, long long timeout) {
  return command("EXPIRE", key, timeout);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::expire(StringView key,
                                                           const std::chrono::seconds& timeout) {
  return expire(key, static_cast<long long>(timeout.count()));
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::pexpire(StringView key, long long timeout) {
  return command("PEXPIRE", key, timeout);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::pexpire(
    StringView key, const std::chrono::milliseconds& timeout) {
  return pexpire(key, static_cast<long long>(timeout.count()));
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::ttl(StringView key) {
  return command("TTL", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::pttl(StringView key) {
  return command("PTTL", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::hset(StringView key, StringView field,
                                                         StringView val) {
  return command("HSET", key, field, val);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::hget(StringView key, StringView field) {
  return command("HGET", key, field);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::hgetall(StringView key) {
  return command("HGETALL", key);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::hdel(StringView key, StringView field) {
  return command("HDEL", key, field);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::hincrby(StringView key, StringView field,
                                                            long long increment) {
  return command("HINCRBY", key, field, increment);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::sadd(StringView key, StringView member) {
  return command("SADD", key, member);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::srem(StringView key, StringView member) {
  return command("SREM", key, member);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::zadd(StringView key, StringView member,
                                                         double score, UpdateType type,
                                                         bool changed) {
  return queue(zadd_argv(key, {{std::string(member), score}}, type, changed));
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::zincrby(StringView key, double increment,
                                                            StringView member) {
  return command("ZINCRBY", key, increment, member);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::zscore(StringView key, StringView member) {
  return command("ZSCORE", key, member);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::zrevrank(StringView key, StringView member) {
  return command("ZREVRANK", key, member);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::zremrangebyscore(StringView key, StringView min,
                                                                     StringView max) {
  return command("ZREMRANGEBYSCORE", key, min, max);
}
template <bool T>
ClusterQueuedCommands<T>& ClusterQueuedCommands<T>::zcard(StringView key) {
  return command("ZCARD", key);
}

template <bool T>
std::vector<std::string> ClusterQueuedCommands<T>::non_empty(std::vector<std::string> argv,
                                                             std::size_t min_args) {
  if (argv.size() < 1 + min_args)
    throw std::invalid_argument(argv.front() +
                                " needs at least one key: queueing nothing would "
                                "shift the index of every later reply");
  return argv;
}

template <bool T>
QueuedReplies ClusterQueuedCommands<T>::exec() {
  if (queued_.empty()) return QueuedReplies(std::vector<Reply>{}, std::vector<std::string>{});
  std::vector<std::vector<std::string>> batch;
  batch.swap(queued_);
  std::vector<std::string> names;
  for (const auto& argv : batch)
    names.push_back(describe(argv) + " (slot " + std::to_string(slot_) + ")");
  return QueuedReplies(cluster_->run_batch(slot_, batch, T), std::move(names));
}

template class ClusterQueuedCommands<false>;
template class ClusterQueuedCommands<true>;

}  // namespace wb
