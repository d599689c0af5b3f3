// Reshards and failovers, for the workbook's own cluster.
#include "workbook/cluster_admin.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace wb::cluster_admin {

namespace {

using Clock = std::chrono::steady_clock;

const Shard* shard_of(const std::vector<Shard>& shards, const std::string& primary) {
  for (const auto& s : shards)
    if (s.primary.address() == primary) return &s;
  return nullptr;
}

std::string info_field(const std::string& info, const std::string& field) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, field.size() + 1, field + ":") == 0) return line.substr(field.size() + 1);
  }
  return {};
}

std::vector<std::string> all_nodes(const std::vector<Shard>& shards) {
  std::vector<std::string> out;
  for (const auto& s : shards) {
    out.push_back(s.primary.address());
    for (const auto& r : s.replicas)
      if (r.health != "failed") out.push_back(r.address());
  }
  return out;
}

void pause() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

// The slot's owner as `node` sees it; `why` says what it said instead when
// it cannot tell ("" then).
std::string owner_seen_by(ValkeyCluster& cluster, const std::string& node, int slot,
                          std::string& why) {
  try {
    std::string owner = SlotMap::load(cluster.node(node)).owner(slot);
    why = owner.empty() ? "no owner" : owner;
    return owner;
  } catch (const Error& e) {
    why = e.what();
    return {};
  }
}

// A node that does not name `owner` as the slot's owner ("" when every node
// does); `says` gets what it named instead.
std::string node_disagreeing(ValkeyCluster& cluster, int slot, const std::string& owner,
                             std::string& says) {
  std::string disagree;
  for (const auto& node : all_nodes(cluster.shards())) {
    std::string why;
    if (owner_seen_by(cluster, node, slot, why) != owner) {
      disagree = node;
      says = why;
    }
  }
  return disagree;
}

void wait_for_owner(ValkeyCluster& cluster, int slot, const std::string& owner,
                    std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string says;
    std::string disagree = node_disagreeing(cluster, slot, owner, says);
    if (disagree.empty()) return;
    if (Clock::now() > deadline) {
      std::string nodes;
      try {
        nodes = reply_cast<std::string>(cluster.node(disagree).command("CLUSTER", "NODES"),
                                        "CLUSTER NODES");
      } catch (const Error& e) {
        nodes = e.what();
      }
      throw Error("slot " + std::to_string(slot) + " was given to " + owner + ", but " + disagree +
                  " still says otherwise (" + says + ") after " + std::to_string(timeout.count()) +
                  " ms; its CLUSTER NODES:\n" + nodes);
    }
    pause();
  }
}

// A replica whose link to its primary is up (it copies the primary's writes,
// and whatever the primary sends on, as they come).
bool in_sync(ValkeyCluster& cluster, const std::string& replica) {
  return info_field(cluster.node(replica).info("replication"), "master_link_status") == "up";
}

std::string port_of(const std::string& address) { return address.substr(address.rfind(':') + 1); }

// The first replica of `shard` (not failed) that its primary does not count
// as online, "" when there is none. Valkey 8 passes a CLUSTER SETSLOT on to
// the replicas the primary counts as online, and to no other: a replica whose
// own link is already up after a full sync is counted only once it has
// acknowledged, up to a second later. A replica that misses the command keeps
// the slot's old mark for ever (CLUSTER NODES shows "[slot->-id]" or
// "[slot-<-id]" on its own line), even once it is in sync again.
std::string replica_not_online(ValkeyCluster& cluster, const Shard& shard) {
  std::string info;
  for (const auto& r : shard.replicas) {
    if (r.health == "failed") continue;
    if (info.empty()) info = cluster.node(shard.primary.address()).info("replication");
    // slave0:ip=127.0.0.1,port=7004,state=online,offset=1234,lag=0
    const std::string port = ",port=" + port_of(r.address()) + ",";
    bool online = false;
    std::istringstream in(info);
    std::string line;
    while (std::getline(in, line))
      if (line.compare(0, 5, "slave") == 0 && line.find(port) != std::string::npos &&
          line.find(",state=online,") != std::string::npos)
        online = true;
    if (!online) return r.address();
  }
  return {};
}

// A replica of `primary`'s shard that is behind (its link down, or not yet
// online for its primary), "" when none is.
std::string replica_behind(ValkeyCluster& cluster, const std::vector<Shard>& shards,
                           const std::string& primary) {
  const Shard* shard = shard_of(shards, primary);
  if (!shard) return {};
  try {
    for (const auto& r : shard->replicas)
      if (r.health != "failed" && !in_sync(cluster, r.address())) return r.address();
    return replica_not_online(cluster, *shard);
  } catch (const Error& e) {
    return e.what();
  }
}

// Waits up to `timeout` for the replicas of these primaries to be in sync and
// online; the first still behind, and its primary, when one is ("" if none).
std::pair<std::string, std::string> wait_for_replicas(ValkeyCluster& cluster,
                                                      const std::vector<std::string>& primaries,
                                                      std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string behind, of;
    auto shards = cluster.shards();
    for (const std::string& primary : primaries) {
      behind = replica_behind(cluster, shards, primary);
      if (!behind.empty()) {
        of = primary;
        break;
      }
    }
    if (behind.empty() || Clock::now() > deadline) return {behind, of};
    pause();
  }
}

// So a move waits, briefly, for the replicas of the primaries it changes to
// be in sync and online.
void wait_replicas_in_sync(ValkeyCluster& cluster, const std::string& from, const std::string& to) {
  auto [behind, of] = wait_for_replicas(cluster, {from, to}, std::chrono::seconds(5));
  if (!behind.empty())
    throw Error("the replica " + behind + " of " + of +
                " is not in sync after 5000 ms; a slot move now would leave it behind");
}

// CLUSTER SETSLOT on `node`, a primary. Valkey 8 sends it on to the
// primary's online replicas first and waits up to 2 s for them to
// acknowledge it: on a busy machine that wait can run out (NOREPLICAS, or
// this client's own timeout first), and then the replicas have the change and
// the primary does not. Every SETSLOT sent here is idempotent, so it is sent
// again, up to five times in all, until the primary has it too.
void setslot(ValkeyCluster& cluster, const std::string& node,
             const std::vector<std::string>& args) {
  std::vector<std::string> argv{"CLUSTER", "SETSLOT"};
  argv.insert(argv.end(), args.begin(), args.end());
  for (int attempt = 1;; ++attempt) {
    try {
      cluster.node(node).command(argv.begin(), argv.end());
      return;
    } catch (const ReplyError& e) {
      if (attempt >= 5 || e.server_text().rfind("NOREPLICAS", 0) != 0) throw;
    } catch (const IoError&) {
      if (attempt >= 5) throw;
    }
  }
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The workbook's cluster keeps its state in .state/cluster/ of the checkout
// this library was built from (infra/cluster.sh): per node PORT a folder
// (.state/cluster/PORT/, or the one .state/cluster/PORT.home names) with
// node.pid, and the time of its last failover (.state/cluster/PORT.last-failover).
#ifndef WB_SOURCE_DIR
#define WB_SOURCE_DIR "."
#endif
std::string state_dir() { return std::string(WB_SOURCE_DIR) + "/.state/cluster"; }

bool is_local(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  return host == "127.0.0.1" || host == "localhost";
}

// The folder a local node works in (CONFIG GET dir), "" when it does not say.
// Whichever checkout started the cluster, every program using it finds the
// same folder this way.
std::string node_folder(ValkeyCluster& cluster, const std::string& address) {
  if (!is_local(address)) return {};
  try {
    auto conf = reply_cast<std::vector<std::string>>(
        cluster.node(address).command("CONFIG", "GET", "dir"), "CONFIG GET dir");
    if (conf.size() == 2 && !conf[1].empty() && conf[1].front() == '/') return conf[1];
  } catch (const Error&) {
  }
  return {};
}

// When a node was last failed over, kept in a file so that separate runs
// (one grader after another, from any checkout) know it too: in the node's
// own folder, else in this checkout's .state/cluster/. "" for a node that is
// not local.
std::string failover_file(ValkeyCluster& cluster, const std::string& address) {
  if (!is_local(address)) return {};
  std::string folder = node_folder(cluster, address);
  if (!folder.empty()) return folder + "/last-failover";
  return state_dir() + "/" + port_of(address) + ".last-failover";
}

long long last_failover_ms(ValkeyCluster& cluster, const std::string& address) {
  std::string file = failover_file(cluster, address);
  if (file.empty()) return 0;
  std::ifstream in(file);
  long long t = 0;
  in >> t;
  return t;
}

void record_failover(ValkeyCluster& cluster, const std::string& address) {
  std::string file = failover_file(cluster, address);
  if (file.empty()) return;
  std::ofstream out(file, std::ios::trunc);
  out << now_ms() << "\n";
}

}  // namespace

// ---------------------------------------------------------------------------
// SlotMove
// ---------------------------------------------------------------------------
SlotMove::SlotMove(ValkeyCluster& cluster, int slot, std::string to)
    : cluster_(cluster), slot_(slot), to_(std::move(to)) {
  auto shards = cluster_.shards();
  SlotMap map = cluster_.slot_map();
  from_ = map.owner(slot_);
  const Shard* source = shard_of(shards, from_);
  const Shard* target = shard_of(shards, to_);
  if (!source) throw Error("no primary serves slot " + std::to_string(slot_));
  if (!target) throw std::invalid_argument(to_ + " is not a primary of the cluster");
  if (from_ == to_)
    throw std::invalid_argument("slot " + std::to_string(slot_) + " is on " + to_ + " already");
  from_id_ = source->primary.id;
  to_id_ = target->primary.id;
  wait_replicas_in_sync(cluster_, from_, to_);
  const std::string s = std::to_string(slot_);
  // The target first: a client sent there by an ASK must find it importing.
  setslot(cluster_, to_, {s, "IMPORTING", from_id_});
  setslot(cluster_, from_, {s, "MIGRATING", to_id_});
}

SlotMove::~SlotMove() {
  if (finished_) return;
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; the next stable() check will say what is wrong.
  }
}

namespace {
// MIGRATE host port "" 0 5000 [AUTH ...] KEYS key...: the source's password
// is every node's (the cluster has one).
std::vector<std::string> migrate_argv(const ConnectionOptions& options, const std::string& to,
                                      const std::vector<std::string>& keys) {
  auto colon = to.rfind(':');
  std::vector<std::string> argv{"MIGRATE", to.substr(0, colon), to.substr(colon + 1), "", "0",
                                "5000"};
  if (!options.password.empty()) {
    if (options.user.empty()) {
      argv.insert(argv.end(), {"AUTH", options.password});
    } else {
      argv.insert(argv.end(), {"AUTH2", options.user, options.password});
    }
  }
  argv.emplace_back("KEYS");
  argv.insert(argv.end(), keys.begin(), keys.end());
  return argv;
}
}  // namespace

std::size_t SlotMove::move_keys(std::size_t count) {
  Valkey& source = cluster_.node(from_);
  std::size_t moved = 0;
  while (count == 0 || moved < count) {
    std::size_t batch = count == 0 ? 100 : std::min<std::size_t>(100, count - moved);
    auto keys = reply_cast<std::vector<std::string>>(
        source.command("CLUSTER", "GETKEYSINSLOT", std::to_string(slot_), std::to_string(batch)),
        "CLUSTER GETKEYSINSLOT");
    if (keys.empty()) break;
    auto argv = migrate_argv(source.options(), to_, keys);
    source.command(argv.begin(), argv.end());
    moved += keys.size();
  }
  return moved;
}

void SlotMove::move_key(const std::string& key) {
  if (key_slot(key) != slot_)
    throw std::invalid_argument("'" + key + "' is not in slot " + std::to_string(slot_));
  Valkey& source = cluster_.node(from_);
  auto argv = migrate_argv(source.options(), to_, {key});
  source.command(argv.begin(), argv.end());
}

void SlotMove::finish() {
  if (finished_) return;
  move_keys(0);
  wait_replicas_in_sync(cluster_, from_, to_);
  const std::string s = std::to_string(slot_);
  // The target first: between the two, the source no longer claims the slot
  // and a target that did not know yet would send clients back. Then the
  // others, which would also learn it from the cluster's gossip.
  setslot(cluster_, to_, {s, "NODE", to_id_});
  setslot(cluster_, from_, {s, "NODE", to_id_});
  for (const auto& shard : cluster_.shards()) {
    std::string a = shard.primary.address();
    if (a != to_ && a != from_) setslot(cluster_, a, {s, "NODE", to_id_});
  }
  finished_ = true;
  wait_for_owner(cluster_, slot_, to_, std::chrono::seconds(5));
}

void move_slot(ValkeyCluster& cluster, int slot, const std::string& to) {
  SlotMove move(cluster, slot, to);
  move.finish();
}

// ---------------------------------------------------------------------------
// Failover
// ---------------------------------------------------------------------------
std::string replica_of(ValkeyCluster& cluster, const std::string& primary) {
  auto shards = cluster.shards();
  const Shard* shard = shard_of(shards, primary);
  if (!shard) return {};
  for (const auto& r : shard->replicas)
    if (r.health != "failed") return r.address();
  return {};
}

namespace {
// Whether every node sees each primary with its own config epoch, and all
// nodes see the same ones. A slot move bumps the importing primary's epoch
// on its own (no vote), so two primaries can end up with one epoch; the
// cluster then bumps one of them again a moment later. A failover elected in
// that moment can lose: the old primary comes out of the collision with an
// epoch above the one the replica was elected with, claims its slots back,
// and the promoted replica turns into a replica again (seen in a make check
// loop on Valkey 8.0.1: "configEpoch collision ... configEpoch set to 289",
// then the replica "Reconfiguring myself as a replica").
bool epochs_settled(ValkeyCluster& cluster) {
  std::map<std::string, std::string> reference;  // primary id -> epoch
  try {
    for (const auto& node : all_nodes(cluster.shards())) {
      auto nodes = reply_cast<std::string>(cluster.node(node).command("CLUSTER", "NODES"),
                                           "CLUSTER NODES");
      std::map<std::string, std::string> seen;
      std::set<std::string> epochs;
      std::istringstream lines(nodes);
      std::string line;
      while (std::getline(lines, line)) {
        std::istringstream f(line);
        std::string id, address, flags, primary, ping, pong, epoch;
        if (!(f >> id >> address >> flags >> primary >> ping >> pong >> epoch)) continue;
        if (flags.find("master") == std::string::npos) continue;
        if (!epochs.insert(epoch).second) return false;  // two primaries, one epoch
        seen[id] = epoch;
      }
      if (reference.empty())
        reference = std::move(seen);
      else if (seen != reference)
        return false;
    }
  } catch (const Error&) {
    return false;
  }
  return true;
}

// Whether the node at `address` says cluster_state:ok (it serves commands).
bool state_ok(ValkeyCluster& cluster, const std::string& address) {
  try {
    auto info = reply_cast<std::string>(cluster.node(address).command("CLUSTER", "INFO"),
                                        "CLUSTER INFO");
    return info_field(info, "cluster_state") == "ok";
  } catch (const Error&) {
    return false;
  }
}
}  // namespace

std::string fail_over(ValkeyCluster& cluster, const std::string& primary,
                      std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  int slot = -1;
  std::string replica;
  // Right after a failover Redis 7.0 lists the old primary as the new one's
  // replica only a moment later: wait for it to be listed.
  for (;;) {
    auto shards = cluster.shards();
    const Shard* shard = shard_of(shards, primary);
    if (!shard || shard->slots.empty())
      throw std::invalid_argument(primary + " is not a primary that serves slots");
    slot = shard->slots.front().first;
    for (const auto& r : shard->replicas)
      if (r.health != "failed") replica = r.address();
    if (!replica.empty()) break;
    if (Clock::now() > deadline)
      throw Error(primary + " has no replica that works to fail over to");
    pause();
  }
  // A primary votes for the replicas of one failed-over primary once per
  // two node timeouts: a second failover of the same primary sooner than
  // that waits for votes that do not come (while the old primary holds its
  // clients paused). So wait until the voters are free again.
  long long node_timeout = 15000;
  try {
    auto conf = reply_cast<std::vector<std::string>>(
        cluster.node(primary).command("CONFIG", "GET", "cluster-node-timeout"), "CONFIG GET");
    if (conf.size() == 2) node_timeout = std::atoll(conf[1].c_str());
  } catch (const Error&) {
  }
  long long free_at = last_failover_ms(cluster, primary) + 2 * node_timeout + 200;
  if (free_at > now_ms())
    std::this_thread::sleep_for(std::chrono::milliseconds(free_at - now_ms()));
  record_failover(cluster, primary);
  // The primary helps only a replica it knows as its own: right after a
  // failover the new primary may not have heard yet that its old primary
  // follows it now, and would leave the request unanswered (it times out
  // after 5 s). Wait until the primary itself lists the replica.
  for (;;) {
    bool known = false;
    try {
      auto own = SlotMap::load(cluster.node(primary));
      if (const Shard* mine = shard_of(own.shards(), primary))
        for (const auto& r : mine->replicas) known = known || r.address() == replica;
    } catch (const Error&) {
    }
    if (known) break;
    if (Clock::now() > deadline)
      throw Error(primary + " does not list " + replica + " as its replica");
    pause();
  }
  auto role_of = [&](const std::string& node) {
    return info_field(cluster.node(node).info("replication"), "role");
  };
  for (int attempt = 1;; ++attempt) {
    // A manual failover needs a replica that is in sync, and no config epoch
    // about to be bumped (epochs_settled).
    while (!in_sync(cluster, replica) || !epochs_settled(cluster)) {
      if (Clock::now() > deadline)
        throw Error(replica + " is not in sync with " + primary +
                    ", or the primaries' config epochs did not settle");
      pause();
    }
    // Now and then, just after a failover, the primary does not answer a
    // replica's manual failover at all (it would time out after 5 s): a new
    // request starts it afresh, so one is sent every second until it works.
    cluster.node(replica).command("CLUSTER", "FAILOVER");
    auto asked = Clock::now();
    while (role_of(replica) != "master") {
      if (Clock::now() > deadline)
        throw Error("CLUSTER FAILOVER: " + replica + " did not become the primary of " +
                    primary + "'s slots within " + std::to_string(timeout.count()) + " ms");
      if (Clock::now() - asked > std::chrono::milliseconds(1000)) {
        cluster.node(replica).command("CLUSTER", "FAILOVER");
        asked = Clock::now();
      }
      pause();
    }
    // Every node names the replica as the slots' owner, unless the old
    // primary won them back (an epoch collision, see epochs_settled): then
    // the replica is a replica again, and the failover is asked for afresh.
    bool taken_back = false;
    for (;;) {
      std::string says;
      if (node_disagreeing(cluster, slot, replica, says).empty()) break;
      if (role_of(replica) != "master") {
        taken_back = true;
        break;
      }
      if (Clock::now() > deadline) break;  // wait_for_owner below says what is wrong
      pause();
    }
    if (!taken_back || attempt >= 3) break;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  wait_for_owner(cluster, slot, replica, std::max(left, std::chrono::milliseconds(1000)));
  // And the old primary listed as the new one's replica, so that a failover
  // back can find it.
  while (replica_of(cluster, replica) != primary && Clock::now() < deadline) pause();
  // And both of them serving again. On a busy machine (a node timeout of 1 s,
  // a load of 10 on 2 cores) the old primary can miss enough pings during
  // the failover to think itself cut off from the others: it then answers
  // CLUSTERDOWN to every command until its state is ok again (seen in a
  // make check run beside another, in lesson 15's test of a MOVED after a
  // failover).
  for (const std::string& node : {primary, replica})
    while (!state_ok(cluster, node) && Clock::now() < deadline) pause();
  cluster.refresh_slots();
  return replica;
}

std::string least_recently_failed_over(ValkeyCluster& cluster) {
  auto primaries = cluster.slot_map().primaries();
  if (primaries.empty()) throw Error("the cluster has no primary");
  std::string best = primaries.front();
  long long oldest = last_failover_ms(cluster, best);
  for (const auto& p : primaries) {
    long long t = last_failover_ms(cluster, p);
    if (t < oldest) {
      oldest = t;
      best = p;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------
// Killing and restarting a node
// ---------------------------------------------------------------------------
namespace {

// The folder of the node on `port` that infra/cluster.sh started.
std::string node_folder(const std::string& port) {
  std::ifstream record(state_dir() + "/" + port + ".home");
  std::string outside;
  if (record && std::getline(record, outside) && !outside.empty()) return outside;
  return state_dir() + "/" + port;
}

}  // namespace

bool kill_node(ValkeyCluster& cluster, const std::string& address, std::string* why) {
  auto say = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  long pid = std::atol(info_field(cluster.node(address).info("server"), "process_id").c_str());
  // Ours: the pid infra/cluster.sh's node on that port wrote (so, on this
  // machine, started by this checkout), and the one the node reports.
  std::string folder = node_folder(port_of(address));
  std::ifstream pidfile(folder + "/node.pid");
  long ours = 0;
  pidfile >> ours;
  if (pid <= 1 || ours != pid)
    return say(address +
               " is not a node that this checkout's `make cluster-up` started on this "
               "machine (a cluster in Docker, or another one), so it is not killed from here");
  record_failover(cluster, address);  // its replica's election is a failover too
  if (::kill(static_cast<pid_t>(pid), SIGKILL) != 0)
    return say("kill " + std::to_string(pid) + ": " + std::strerror(errno));
  return true;
}

void restart_node(ValkeyCluster& cluster, const std::string& address,
                  std::chrono::milliseconds timeout) {
  std::string password = cluster.node(address).options().password;
  int port = std::atoi(port_of(address).c_str());
  int base = port;  // the cluster's first port: infra/cluster.sh counts from it
  for (const auto& shard : cluster.shards()) {
    base = std::min(base, shard.primary.port);
    for (const auto& r : shard.replicas) base = std::min(base, r.port);
  }
  std::string script = std::string(WB_SOURCE_DIR) + "/infra/cluster.sh";
  // The password percent-encoded, as a URL wants it.
  std::string encoded;
  for (char ch : password) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  std::string url = "VALKEY_CLUSTER_URL=redis://" + (password.empty() ? "" : ":" + encoded + "@") +
                    "127.0.0.1:" + std::to_string(base);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "VALKEY_CLUSTER_URL=", 19) != 0) env.emplace_back(*e);
  env.push_back(url);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string verb = "restart-node", port_text = std::to_string(port);
  std::vector<char*> argv{script.data(), verb.data(), port_text.data(), nullptr};
  pid_t child = 0;
  int spawned = posix_spawn(&child, script.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (spawned != 0) throw Error("cannot run " + script + ": " + std::strerror(spawned));
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(script + " restart-node " + port_text + " failed (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  auto deadline = Clock::now() + timeout;
  for (;;) {
    try {
      cluster.node(address).ping();
      return;
    } catch (const Error&) {
      if (Clock::now() > deadline) throw Error(address + " does not answer after its restart");
      pause();
    }
  }
}

// ---------------------------------------------------------------------------
// Stability
// ---------------------------------------------------------------------------
bool stable(ValkeyCluster& cluster, std::string* problem) {
  auto fail = [&](const std::string& why) {
    if (problem) *problem = why;
    return false;
  };
  std::vector<Shard> shards;
  try {
    shards = cluster.shards();
  } catch (const Error& e) {
    return fail(e.what());
  }
  std::vector<std::string> reference;
  std::size_t masters = 0;
  for (const auto& node : all_nodes(shards)) {
    try {
      Valkey& client = cluster.node(node);
      auto info = reply_cast<std::string>(client.command("CLUSTER", "INFO"), "CLUSTER INFO");
      if (info_field(info, "cluster_state") != "ok")
        return fail(node + " says cluster_state:" + info_field(info, "cluster_state"));
      if (info_field(info, "cluster_slots_ok") != "16384")
        return fail(node + " serves " + info_field(info, "cluster_slots_ok") + " slots of 16384");
      auto nodes = reply_cast<std::string>(client.command("CLUSTER", "NODES"), "CLUSTER NODES");
      if (nodes.find("->-") != std::string::npos || nodes.find("-<-") != std::string::npos)
        return fail(node + " has a slot half moved (MIGRATING or IMPORTING)");
      // Every other node known, reachable, and talked to over the cluster
      // bus: a manual failover needs that link to the primary.
      std::istringstream lines(nodes);
      std::string line;
      while (std::getline(lines, line)) {
        std::istringstream f(line);
        std::string id, address, flags, primary, ping, pong, epoch, link;
        if (!(f >> id >> address >> flags >> primary >> ping >> pong >> epoch >> link)) continue;
        if (flags.find("fail") != std::string::npos ||
            flags.find("handshake") != std::string::npos ||
            flags.find("noaddr") != std::string::npos || link != "connected")
          return fail(node + " sees " + address.substr(0, address.find('@')) + " as " + flags +
                      " (" + link + ")");
      }
      auto repl = client.info("replication");
      if (info_field(repl, "role") == "slave" && info_field(repl, "master_link_status") != "up")
        return fail(node + " (a replica) is not in sync with its primary");
      if (info_field(repl, "role") == "master") {
        ++masters;
        // (A slot moved now would not reach that replica: replica_not_online.)
        if (const Shard* shard = shard_of(shards, node)) {
          std::string behind = replica_not_online(cluster, *shard);
          if (!behind.empty())
            return fail(node + " does not count its replica " + behind + " as online yet");
        }
      }
      SlotMap map = SlotMap::load(client);
      // Every node it knows is in its layout (a primary, or the replica of
      // one): Redis 7.0 lists a replica of a just-failed-over shard a moment
      // late.
      std::size_t in_layout = 0;
      for (const auto& shard : map.shards()) in_layout += 1 + shard.replicas.size();
      std::string known = info_field(info, "cluster_known_nodes");
      if (std::to_string(in_layout) != known)
        return fail(node + " knows " + known + " nodes but lists " + std::to_string(in_layout) +
                    " in its shards");
      std::vector<std::string> owners(kClusterSlots);
      for (int s = 0; s < kClusterSlots; ++s) owners[static_cast<std::size_t>(s)] = map.owner(s);
      if (reference.empty()) {
        reference = std::move(owners);
      } else if (owners != reference) {
        return fail(node + " disagrees with the others about who serves which slot");
      }
    } catch (const Error& e) {
      return fail(node + ": " + e.what());
    }
  }
  // Right after a failover the old primary may still call itself one.
  if (masters != shards.size())
    return fail(std::to_string(masters) + " nodes say they are primaries, but " +
                std::to_string(shards.size()) + " shards serve slots");
  return true;
}

void set_slot(ValkeyCluster& cluster, const std::string& node,
              const std::vector<std::string>& args) {
  // Sent after the wait whatever it found: a replica that stays behind must
  // not keep the primary from its change.
  try {
    wait_for_replicas(cluster, {node}, std::chrono::seconds(5));
  } catch (const Error&) {
  }
  setslot(cluster, node, args);
}

namespace {

// A mark of a half-moved slot on a node's own line of CLUSTER NODES:
// "[slot->-id]" (migrating to that node) or "[slot-<-id]" (importing from it).
struct Mark {
  int slot = 0;
  bool migrating = false;
  std::string other;  // the other node's id
};

std::vector<Mark> marks_of(ValkeyCluster& cluster, const std::string& node) {
  auto nodes = reply_cast<std::string>(cluster.node(node).command("CLUSTER", "NODES"),
                                       "CLUSTER NODES");
  std::vector<Mark> out;
  std::istringstream lines(nodes);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string id, address, flags, word;
    if (!(f >> id >> address >> flags) || flags.find("myself") == std::string::npos) continue;
    while (f >> word) {
      if (word.size() < 6 || word.front() != '[' || word.back() != ']') continue;
      for (const char* arrow : {"->-", "-<-"}) {
        auto at = word.find(arrow);
        if (at == std::string::npos) continue;
        Mark m;
        m.slot = std::atoi(word.substr(1, at - 1).c_str());
        m.migrating = std::string(arrow) == "->-";
        m.other = word.substr(at + 3, word.size() - at - 4);
        out.push_back(m);
      }
    }
  }
  return out;
}

std::string mark_text(const Mark& m, const std::map<std::string, std::string>& address_of) {
  auto it = address_of.find(m.other);
  std::string other = it == address_of.end() ? m.other.substr(0, 8) : it->second;
  return std::string(m.migrating ? "MIGRATING to " : "IMPORTING from ") + other;
}

}  // namespace

std::size_t put_right_half_moves(ValkeyCluster& cluster, bool finish_moves,
                                 const std::function<void(const std::string&)>& report) {
  auto shards = cluster.shards();
  std::map<std::string, std::string> address_of;  // id -> address, every node
  for (const auto& shard : shards) {
    address_of[shard.primary.id] = shard.primary.address();
    for (const auto& r : shard.replicas) address_of[r.id] = r.address();
  }
  std::size_t done = 0;
  auto say = [&](const std::string& what) {
    ++done;
    if (report) report(what);
  };
  // The primaries first: what they are told reaches their replicas too.
  std::map<std::string, std::vector<Mark>> of_primary;
  for (const auto& shard : shards) of_primary[shard.primary.address()] = marks_of(cluster, shard.primary.address());
  std::set<int> finished;
  for (const auto& [primary, marks] : of_primary) {
    for (const Mark& m : marks) {
      if (finished.count(m.slot)) continue;
      auto other = address_of.find(m.other);
      // Both sides agree (one MIGRATING to the other, which is IMPORTING
      // from it): a move that a run before left in the middle.
      bool paired = false;
      if (other != address_of.end() && of_primary.count(other->second)) {
        for (const Mark& t : of_primary[other->second])
          if (t.slot == m.slot && t.migrating != m.migrating) {
            auto back = address_of.find(t.other);
            paired = paired || (back != address_of.end() && back->second == primary);
          }
      }
      if (paired) {
        if (!finish_moves) continue;
        const std::string& from = m.migrating ? primary : other->second;
        const std::string& to = m.migrating ? other->second : primary;
        move_slot(cluster, m.slot, to);
        finished.insert(m.slot);
        say("slot " + std::to_string(m.slot) + " was half moved from " + from + " to " + to +
            " (a run before ended in the middle of the move); finished the move");
        continue;
      }
      set_slot(cluster, primary, {std::to_string(m.slot), "STABLE"});
      say("slot " + std::to_string(m.slot) + " was marked " + mark_text(m, address_of) + " on " +
          primary + ", with no move going on; cleared the mark");
    }
  }
  // A replica's own marks that its primary no longer has: SETSLOT STABLE on
  // the primary, which passes it on (replica_not_online says why they stay).
  for (const auto& shard : shards) {
    for (const auto& r : shard.replicas) {
      if (r.health == "failed") continue;
      std::vector<Mark> marks;
      try {
        marks = marks_of(cluster, r.address());
      } catch (const Error&) {
        continue;
      }
      const std::string primary = shard.primary.address();
      std::vector<Mark> own;
      if (!marks.empty()) own = marks_of(cluster, primary);
      for (const Mark& m : marks) {
        // The primary's own mark (a move going on): the replica's is right.
        bool primary_too = false;
        for (const Mark& p : own) primary_too = primary_too || p.slot == m.slot;
        if (primary_too) continue;
        set_slot(cluster, primary, {std::to_string(m.slot), "STABLE"});
        say("slot " + std::to_string(m.slot) + " was still marked " + mark_text(m, address_of) +
            " on " + r.address() + ", a replica of " + primary +
            ": it missed the end of a move while it caught up (Valkey 8 passes CLUSTER SETSLOT on "
            "only to replicas that are online at that moment); cleared the mark through " +
            primary);
      }
    }
  }
  if (done) cluster.refresh_slots();
  return done;
}

void wait_until_stable(ValkeyCluster& cluster, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string problem;
  while (!stable(cluster, &problem)) {
    // A replica's stale mark never goes away by itself; a move half done is
    // left alone here (ready_for_changes finishes it, before a program's changes).
    if (problem.find("half moved") != std::string::npos) {
      try {
        put_right_half_moves(cluster, false, {});
      } catch (const Error&) {
      }
    }
    if (Clock::now() > deadline)
      throw Error("the cluster is not stable after " + std::to_string(timeout.count()) +
                  " ms: " + problem);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  cluster.refresh_slots();
}

std::vector<std::string> owners(ValkeyCluster& cluster) {
  SlotMap map = cluster.slot_map();
  std::vector<std::string> out(kClusterSlots);
  for (int s = 0; s < kClusterSlots; ++s) out[static_cast<std::size_t>(s)] = map.owner(s);
  return out;
}

std::size_t restore_layout(ValkeyCluster& cluster,
                           const std::function<void(const std::string&)>& moved) {
  cluster.refresh_slots();
  std::vector<std::string> owner = owners(cluster);
  // valkey-cli --cluster create gives three primaries these ranges.
  const std::pair<int, int> ranges[] = {{0, 5460}, {5461, 10922}, {10923, 16383}};
  std::vector<std::pair<int, std::string>> moves;
  for (const auto& [first, last] : ranges) {
    std::map<std::string, int> count;
    for (int s = first; s <= last; ++s) ++count[owner[static_cast<std::size_t>(s)]];
    std::string home;
    int most = 0;
    for (const auto& [node, n] : count)
      if (n > most) {
        most = n;
        home = node;
      }
    if (home.empty()) continue;
    for (int s = first; s <= last; ++s)
      if (owner[static_cast<std::size_t>(s)] != home) moves.emplace_back(s, home);
  }
  for (const auto& [slot, home] : moves) {
    const std::string& away = owner[static_cast<std::size_t>(slot)];
    move_slot(cluster, slot, home);
    if (moved)
      moved("slot " + std::to_string(slot) + " was on " + (away.empty() ? "no node" : away) +
            ", away from the rest of its range; moved it back to " + home);
  }
  if (!moves.empty()) cluster.refresh_slots();
  return moves.size();
}

// ---------------------------------------------------------------------------
// One program at a time
// ---------------------------------------------------------------------------
bool use_exclusively(ValkeyCluster& cluster, const std::function<void(int)>& waiting,
                     std::chrono::milliseconds timeout) {
  static std::mutex m;
  static int held = -1;  // the lock's descriptor, open until the program ends
  std::lock_guard<std::mutex> lock(m);
  if (held >= 0) return true;
  std::string seed;
  try {
    seed = ConnectionOptions::from_url(cluster_url_from_env()).address();
  } catch (const std::exception&) {
    return false;
  }
  std::string folder = node_folder(cluster, seed);
  if (folder.empty()) return false;
  std::string path = folder + "/workbook-exclusive.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  auto start = Clock::now();
  auto next_word = start;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      ::close(fd);
      return false;
    }
    auto now = Clock::now();
    if (now - start > timeout) {
      ::close(fd);
      throw Error(
          "another program has been using the cluster at " + seed + " for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
          " s (it holds " + path + ")");
    }
    if (now >= next_word) {
      if (waiting)
        waiting(static_cast<int>(
            std::chrono::duration_cast<std::chrono::seconds>(now - start).count()));
      next_word = now + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  held = fd;
  return true;
}

std::string ready_for_changes(const std::function<ValkeyCluster()>& connect,
                              const std::function<void(int)>& waiting,
                              const std::function<void(const std::string&)>& moved,
                              std::chrono::milliseconds timeout) {
  std::optional<ValkeyCluster> first;
  try {
    first.emplace(connect());
  } catch (const std::exception&) {
    // Not reachable: the looks below say so.
  }
  // Held by another program for too long: that is the problem, and this
  // program must not go on without the lock.
  if (first) {
    try {
      use_exclusively(*first, waiting);
    } catch (const Error& e) {
      return e.what();
    }
  }
  auto deadline = Clock::now() + timeout;
  std::string problem;
  for (;;) {
    try {
      ValkeyCluster probe = connect();
      if (stable(probe, &problem)) {
        std::size_t back = restore_layout(probe, moved);
        if (back == 0) return "";
        // Look again: the moves must have settled too.
        problem = std::to_string(back) + " slot(s) just moved back to their ranges";
      } else if (problem.find("half moved") != std::string::npos) {
        // Left by a run before, or by a replica that missed the end of a move.
        put_right_half_moves(probe, true, moved);
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
    // No node answers: waiting will not help.
    if (problem.find("cannot read the cluster's slot map") != std::string::npos) return problem;
    if (Clock::now() > deadline) return problem;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace wb::cluster_admin
