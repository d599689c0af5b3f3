// Lesson 15 example: a real Valkey Cluster, seen from a client. Slots and
// hash tags, CROSSSLOT, a live reshard (ASK, then MOVED), a primary killed
// and its replica promoted - with the writes that were refused, retried,
// lost or doubled meanwhile, measured - and reads from replicas that lag.
// Run it with `make example-15` (it starts the cluster: make cluster-up).
//
// It runs on the workbook's own cluster only ($VALKEY_CLUSTER_URL), never on
// your single server; every key it writes starts with "example:15:" and is
// deleted at the end, and the cluster is left as it was found: the slot it
// moves goes back, the node it kills is started again and made primary again.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "workbook/cluster.hpp"
#include "workbook/cluster_admin.hpp"
#include "workbook/measure.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace admin = wb::cluster_admin;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string ranges(const wb::Shard& s) {
  std::string out;
  for (const auto& [first, last] : s.slots)
    out += (out.empty() ? "" : ",") + std::to_string(first) + "-" + std::to_string(last);
  return out.empty() ? "(none)" : out;
}

// The reply of one node to one command, as valkey-cli would print it,
// without following any redirect: what a client that knows nothing of the
// cluster would see.
std::string raw(wb::Valkey& node, const std::vector<std::string>& argv, bool asking = false) {
  auto batch = node.pipeline(false);
  if (asking) batch.command("ASKING");
  batch.command(argv.begin(), argv.end());
  auto replies = batch.exec();
  const wb::Reply& r = replies.reply(replies.size() - 1);
  switch (r.type) {
    case wb::Reply::Type::Nil: return "(nil)";
    case wb::Reply::Type::Error: return "(error) " + r.str;
    case wb::Reply::Type::Integer: return "(integer) " + std::to_string(r.integer);
    default: return "\"" + r.str + "\"";
  }
}

// The kind of an error, for the failover's tally: "IoError: ... refused".
std::string kind_of(const std::exception& e) {
  std::string what = e.what();
  std::string type = dynamic_cast<const wb::TimeoutError*>(&e)    ? "TimeoutError"
                     : dynamic_cast<const wb::IoError*>(&e)       ? "IoError"
                     : dynamic_cast<const wb::ClosedError*>(&e)   ? "ClosedError"
                     : dynamic_cast<const wb::RedirectError*>(&e) ? "RedirectError"
                     : dynamic_cast<const wb::ReplyError*>(&e)    ? "ReplyError"
                                                                  : "Error";
  for (const char* word : {"Connection refused", "CLUSTERDOWN", "no answer within", "closed",
                           "Connection reset", "redirected"})
    if (what.find(word) != std::string::npos) return type + " (" + word + ")";
  return type;
}

// One writer of the failover part: appends 0, 1, 2... to a list, each number
// retried until the cluster takes it, as an application would.
struct Writer {
  std::string key;
  bool wait_for_replica = false;   // WAIT 1 after each write, in the same round trip
  std::vector<long long> acked;    // numbers the cluster said OK to
  long long attempts_refused = 0;  // calls that threw
  long long retried = 0;           // numbers that needed more than one call
  long long not_on_replica = 0;    // WAIT said no replica had it in time
  std::map<std::string, long long> errors;
  Clock::time_point first_error{}, back{};
  bool failed_once = false, recovered = false;
};

void write_until(wb::ValkeyCluster& c, Writer& w, const std::atomic<bool>& stop) {
  for (long long n = 0; !stop; ++n) {
    bool first_try = true;
    for (;;) {
      try {
        if (w.wait_for_replica) {
          auto replies =
              c.pipeline(w.key).command("RPUSH", w.key, n).command("WAIT", 1, 200).exec();
          replies.get<long long>(0);
          if (replies.get<long long>(1) < 1) ++w.not_on_replica;
        } else {
          c.rpush(w.key, std::to_string(n));
        }
        w.acked.push_back(n);
        if (w.failed_once && !w.recovered) {
          w.recovered = true;
          w.back = Clock::now();
        }
        if (!first_try) ++w.retried;
        break;
      } catch (const wb::Error& e) {
        if (!w.failed_once) {
          w.failed_once = true;
          w.first_error = Clock::now();
        }
        ++w.attempts_refused;
        ++w.errors[kind_of(e)];
        first_try = false;
        if (stop) return;
        std::this_thread::sleep_for(20ms);
      }
    }
    std::this_thread::sleep_for(1ms);
  }
}

void report(wb::ValkeyCluster& c, const Writer& w, const std::string& label) {
  std::vector<std::string> stored;
  c.lrange(w.key, 0, -1, std::back_inserter(stored));
  std::map<long long, int> times;
  for (const auto& s : stored) ++times[std::stoll(s)];
  long long lost = 0, doubled = 0;
  for (long long n : w.acked)
    if (times.count(n) == 0) ++lost;
  for (const auto& [n, k] : times)
    if (k > 1) doubled += k - 1;
  std::cout << "  " << label << ": " << w.acked.size() << " writes acknowledged";
  if (w.failed_once)
    std::cout << "; refused for "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     (w.recovered ? w.back : Clock::now()) - w.first_error)
                     .count()
              << " ms (" << w.attempts_refused << " attempts failed; " << w.retried
              << (w.retried == 1 ? " write" : " writes") << " needed a retry)";
  std::cout << "; lost " << lost << ", doubled " << doubled;
  if (w.wait_for_replica)
    std::cout << "; " << w.not_on_replica
              << " times WAIT found no replica within 200 ms (the promoted primary has none "
                 "until the killed node is back)";
  std::cout << "\n";
  for (const auto& [kind, n] : w.errors) std::cout << "      " << n << " x " << kind << "\n";
}

}  // namespace

int main() {
  std::cout << std::unitbuf;  // every line out at once, even if something goes wrong later
  wb::ValkeyCluster cluster;  // $VALKEY_CLUSTER_URL
  wb::ValkeyCluster ops;      // the operator's client: reshards, failovers
  std::vector<wb::Shard> shards;
  try {
    shards = cluster.shards();
  } catch (const std::exception& e) {
    std::cerr << "Cannot reach the workbook's cluster at " << wb::cluster_url_from_env()
              << " (VALKEY_CLUSTER_URL): " << e.what() << "\nStart it with: make cluster-up\n";
    return 1;
  }
  {
    // The node VALKEY_CLUSTER_URL names (shown without its password).
    auto seed = wb::ConnectionOptions::from_url(wb::cluster_url_from_env());
    std::string address = seed.host + ":" + std::to_string(seed.port);
    wb::Valkey& first = cluster.node(address);
    std::size_t replicas = 0;
    for (const auto& s : shards) replicas += s.replicas.size();
    std::cout << "Connected to " << first.server_name() << " " << first.server_version() << " at "
              << address << ", a cluster of " << shards.size() << " primaries and " << replicas
              << " replicas\n\n";
  }
  // The example moves a slot and kills a primary: never beside a grader
  // that does the same to this cluster.
  std::string problem = admin::ready_for_changes(
      [] { return wb::ValkeyCluster(); },
      [](int waited) {
        std::cout << "(waiting " << waited
                  << " s for another program - a grader of lesson 15? - to finish with the cluster)"
                  << std::endl;
      },
      [](const std::string& what) { std::cout << "(before we start: " << what << ")\n"; },
      20s);
  if (!problem.empty()) {
    std::cerr << "The cluster is not ready: " << problem
              << "\n'make cluster-down' then 'make cluster-up' starts it afresh.\n";
    return 1;
  }

  // ---- 1. the layout -----------------------------------------------------------------
  std::cout << "== 1. Who serves which slots (CLUSTER SHARDS) ==\n";
  for (const auto& s : cluster.shards()) {
    std::cout << "  primary " << s.primary.address() << "  slots " << ranges(s) << "  replica";
    for (const auto& r : s.replicas) std::cout << " " << r.address();
    std::cout << "\n";
  }

  // ---- 2. slots and hash tags ---------------------------------------------------------
  std::cout << "\n== 2. A key's slot is CRC16 of its hash tag (or of the whole key) % 16384 ==\n";
  for (const std::string key :
       {"example:15:cart:42", "example:15:lock:42", "example:15:{user:42}:cart",
        "example:15:{user:42}:lock", "example:15:{user:43}:cart", "example:15:foo{}{bar}"}) {
    long long server = cluster.command<long long>("CLUSTER", "KEYSLOT", key);
    std::cout << "  " << key << "  -> slot " << wb::key_slot(key) << " (the server says " << server
              << ") on " << cluster.node_for(key) << "\n";
  }

  // ---- 3. CROSSSLOT -----------------------------------------------------------------------
  std::cout << "\n== 3. Keys of one command must share a slot ==\n";
  {
    const std::string a = "example:15:cart:42", b = "example:15:lock:42";
    wb::Valkey& node = cluster.node(cluster.node_for(a));
    std::cout << "  DEL " << a << " " << b << " sent as it is to " << cluster.node_for(a)
              << ":\n    " << raw(node, {"DEL", a, b}) << "\n";
    try {
      cluster.del({a, b});
    } catch (const wb::CrossSlotError& e) {
      std::cout << "  the cluster client refuses it before sending:\n    " << e.what() << "\n";
    }
    const std::string ta = "example:15:{user:42}:cart", tb = "example:15:{user:42}:lock";
    cluster.hset(ta, "mug", "2");
    cluster.set(tb, "token", 5s);
    std::cout << "  with one hash tag, one command does both: DEL " << ta << " " << tb << " -> "
              << cluster.del({ta, tb}) << "\n";
  }

  // ---- 4. a live reshard ----------------------------------------------------------------
  std::cout << "\n== 4. A slot moved while a client reads: ASK during the move, MOVED after ==\n";
  {
    const std::string k = "example:15:{reshard}:k", other = "example:15:{reshard}:other";
    cluster.set(k, "moved first");
    cluster.set(other, "moved last");
    const int slot = wb::key_slot(k);
    const std::string from = cluster.node_for(k);
    std::string to;
    for (const auto& s : shards)
      if (s.primary.address() != from) to = s.primary.address();
    wb::Valkey& source = ops.node(from);
    wb::Valkey& target = ops.node(to);
    cluster.record_commands();
    {
      admin::SlotMove move(ops, slot, to);
      std::cout << "  slot " << slot << " MIGRATING on " << from << ", IMPORTING on " << to << "\n";
      std::cout << "  GET " << k << " at " << from << ": " << raw(source, {"GET", k}) << "\n";
      move.move_key(k);  // MIGRATE of that one key
      std::cout << "  after MIGRATE of that key:\n";
      std::cout << "    GET at " << from << ":                 " << raw(source, {"GET", k}) << "\n";
      std::cout << "    GET at " << to << ":                 " << raw(target, {"GET", k}) << "\n";
      std::cout << "    ASKING + GET at " << to << ":        " << raw(target, {"GET", k}, true)
                << "\n";
      std::cout << "    the other key, GET at " << from << ": " << raw(source, {"GET", other})
                << "\n";
      std::cout << "  the cluster client reads both: \"" << cluster.get(k).value_or("?") << "\", \""
                << cluster.get(other).value_or("?") << "\"\n";
      move.finish();
    }
    std::cout << "  after SETSLOT NODE (the move is done): GET at " << from << ": "
              << raw(source, {"GET", k}) << "\n";
    std::cout << "  the cluster client again: \"" << cluster.get(k).value_or("?") << "\"\n";
    std::cout << "  what the cluster client sent, and where:\n";
    for (const auto& c : cluster.recorded_commands())
      std::cout << "    " << c.node << " (round trip " << c.round_trip
                << "): " << c.to_string().substr(0, 70) << "\n";
    cluster.record_commands(false);
    admin::move_slot(ops, slot, from);
    std::cout << "  slot " << slot << " moved back to " << from << "\n";
    cluster.del({k, other});
  }

  // ---- 5. a failover --------------------------------------------------------------------
  std::cout << "\n== 5. A primary killed (SIGKILL), its replica promoted: what writers see ==\n";
  {
    const std::string victim = admin::least_recently_failed_over(ops);
    std::string tag;
    for (int i = 0;; ++i) {
      tag = "{fo" + std::to_string(i) + "}";
      if (cluster.node_for(tag) == victim) break;
    }
    Writer plain, waited;
    plain.key = "example:15:" + tag + ":plain";
    waited.key = "example:15:" + tag + ":waited";
    waited.wait_for_replica = true;
    cluster.del({plain.key, waited.key});
    const std::string replica = admin::replica_of(ops, victim);
    std::atomic<bool> stop{false};
    wb::ValkeyCluster c1, c2;
    std::thread t1([&] { write_until(c1, plain, stop); });
    std::thread t2([&] { write_until(c2, waited, stop); });
    bool killed = false;
    try {
      std::this_thread::sleep_for(500ms);
      std::string why;
      auto killed_at = Clock::now();
      killed = admin::kill_node(ops, victim, &why);
      if (killed) {
        std::cout << "  killed " << victim << " (its replica: " << replica << ")\n";
        // Wait for the promotion, as an operator watching would.
        while (ms_since(killed_at) < 30000) {
          try {
            if (wb::SlotMap::load(ops.node(replica)).owner(wb::key_slot(tag)) == replica) break;
          } catch (const wb::Error&) {
          }
          std::this_thread::sleep_for(20ms);
        }
        std::cout << "  " << replica << " was promoted " << ms_since(killed_at)
                  << " ms after the kill (cluster-node-timeout: "
                  << ops.node(replica)
                         .command<std::vector<std::string>>("CONFIG", "GET", "cluster-node-timeout")
                         .at(1)
                  << " ms)\n";
      } else {
        std::cout << "  (" << why << ": a manual failover instead, CLUSTER FAILOVER)\n";
        admin::fail_over(ops, victim);
      }
      std::this_thread::sleep_for(1000ms);
    } catch (const std::exception& e) {
      std::cout << "  (the failover went wrong: " << e.what() << ")\n";
    }
    stop = true;
    t1.join();
    t2.join();
    try {
      report(cluster, plain, "RPUSH alone       ");
      report(cluster, waited, "RPUSH + WAIT 1    ");
    } catch (const std::exception& e) {
      std::cout << "  (could not read the lists back: " << e.what() << ")\n";
    }
    // Put the cluster back: the killed node started again (it rejoins as a
    // replica of its promoted replica), then made the primary again.
    if (killed) {
      admin::restart_node(ops, victim);
      admin::wait_until_stable(ops, 30s);
      std::cout << "  " << victim << " started again: it came back as a replica of " << replica
                << "\n";
    }
    auto primaries = ops.slot_map().primaries();
    if (std::find(primaries.begin(), primaries.end(), victim) == primaries.end()) {
      for (const auto& s : ops.shards())
        for (const auto& r : s.replicas)
          if (r.address() == victim) admin::fail_over(ops, s.primary.address());
      admin::wait_until_stable(ops, 30s);
    }
    std::cout << "  after CLUSTER FAILOVER on it, " << victim << " is the primary again\n";
    cluster.del({plain.key, waited.key});
  }

  // ---- 6. reads from replicas -----------------------------------------------------------
  std::cout << "\n== 6. Reading from replicas (READONLY): they lag behind ==\n";
  {
    wb::ValkeyCluster writer;
    wb::ValkeyCluster reader(wb::cluster_url_from_env(), wb::Role::SLAVE);
    const std::string k = "example:15:{replica}:n";
    writer.set(k, "0");
    reader.get(k);
    int stale = 0;
    const int rounds = 1000;
    for (int i = 1; i <= rounds; ++i) {
      writer.set(k, std::to_string(i));
      if (reader.get(k) != std::to_string(i)) ++stale;
    }
    std::cout << "  " << stale << " of " << rounds
              << " reads from the replica, right after the write to the primary, saw the old "
                 "value\n";
    double primary_us = wb::median_micros(200, [&] { writer.get(k); });
    double replica_us = wb::median_micros(200, [&] { reader.get(k); });
    std::cout << "  median GET: " << static_cast<long long>(primary_us) << " us on the primary, "
              << static_cast<long long>(replica_us)
              << " us on a replica (READONLY is sent with each read, in the same round trip)\n";
    writer.del(k);
  }
  std::cout
      << "\nThe cluster is as it was: every slot on its primary, every primary in its place.\n";
  return 0;
}
