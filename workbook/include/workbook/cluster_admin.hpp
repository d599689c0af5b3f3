// Changing a cluster's layout from C++, the way an operator would: moving a
// slot to another primary (a live reshard) and failing a primary over. Used
// by lesson 15's example and grader and by the library's own tests, on the
// workbook's own cluster (make cluster-up) - never on a server that holds
// anyone else's data.
//
// Every change here is one an operator makes with valkey-cli; the steps are
// those of the cluster specification (https://valkey.io/topics/cluster-spec/,
// "Live resharding" and "Manual failover").
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "workbook/cluster.hpp"

namespace wb::cluster_admin {

// Moves one slot from the primary that serves it to another primary, in the
// steps a client can watch:
//   SlotMove move(cluster, slot, to);  // IMPORTING on `to`, MIGRATING on the owner:
//                                      // from now on a missing key of the slot is
//                                      // answered with ASK
//   move.move_keys(1);                 // MIGRATE some of the slot's keys to `to`
//   move.finish();                     // SETSLOT NODE everywhere: MOVED from now on
// The destructor finishes a move that was started and not finished, so the
// cluster is never left with a half-moved slot.
class SlotMove {
 public:
  // `to` is a primary's address ("127.0.0.1:7002"), not the slot's owner.
  SlotMove(ValkeyCluster& cluster, int slot, std::string to);
  ~SlotMove();
  SlotMove(const SlotMove&) = delete;
  SlotMove& operator=(const SlotMove&) = delete;

  // MIGRATEs up to `count` keys of the slot (all when 0); how many it moved.
  std::size_t move_keys(std::size_t count = 0);
  // MIGRATEs this one key of the slot (std::invalid_argument for another slot's).
  void move_key(const std::string& key);
  // Moves what is left and gives the slot to `to` on every primary.
  void finish();
  const std::string& from() const noexcept { return from_; }
  const std::string& to() const noexcept { return to_; }
  int slot() const noexcept { return slot_; }

 private:
  ValkeyCluster& cluster_;
  int slot_;
  std::string from_, to_, from_id_, to_id_;
  bool finished_ = false;
};

// Moves `slot` to `to` in one go (as SlotMove, start to finish).
void move_slot(ValkeyCluster& cluster, int slot, const std::string& to);

// The replica of `primary` (an address), or "" when it has none online.
std::string replica_of(ValkeyCluster& cluster, const std::string& primary);

// A manual failover: CLUSTER FAILOVER on a replica of `primary`, which the
// primary helps (it stops taking writes until the replica has caught up, so
// nothing acknowledged is lost). Waits until every node agrees the replica
// is the primary now and both nodes serve commands (cluster_state:ok), and
// returns its address. Error after `timeout`. A
// primary failed over less than two node timeouts ago is waited for first.
std::string fail_over(ValkeyCluster& cluster, const std::string& primary,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

// The primary failed over longest ago (by fail_over, which notes the time in
// the node's folder of .state/cluster/). A primary may be failed over only
// once per two node timeouts - the other primaries refuse to vote again
// sooner, and fail_over waits for that - so tests that fail over pick this one.
std::string least_recently_failed_over(ValkeyCluster& cluster);

// A node killed the hard way (SIGKILL: no goodbye, nothing flushed), when it
// is a node that this checkout's `make cluster-up` started on this machine
// (its pid is in .state/cluster/). Returns false, with `why` set, when not.
bool kill_node(ValkeyCluster& cluster, const std::string& address, std::string* why = nullptr);
// Starts a killed node again (infra/cluster.sh restart-node); it rejoins the
// cluster from its nodes.conf, as a replica when its replica took over.
// Waits until it answers; Error when it cannot.
void restart_node(ValkeyCluster& cluster, const std::string& address,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

// True when every node answers, every slot is served, every node agrees who
// serves which slot, no slot is half moved, and every replica is in sync
// (and online for its primary).
// `problem` says what is not so.
bool stable(ValkeyCluster& cluster, std::string* problem = nullptr);
// Waits until stable(); Error naming the problem after `timeout`. Marks of
// half-moved slots that no move is working on are put right meanwhile
// (put_right_half_moves, without finishing moves).
void wait_until_stable(ValkeyCluster& cluster,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

// CLUSTER SETSLOT <args> on `node`, a primary, as the moves here send it:
// once the node's replicas are in sync and online (for up to 5 s: Valkey 8
// passes the command on only to replicas online at that moment, and one that
// misses it keeps the slot's old state), and again when the wait for the
// replicas' acknowledgement runs out (NOREPLICAS), up to five times.
void set_slot(ValkeyCluster& cluster, const std::string& node,
              const std::vector<std::string>& args);

// Puts right the marks of half-moved slots (MIGRATING, IMPORTING) that no
// program is working on: a mark on a primary with nothing on the other side
// is cleared (SETSLOT STABLE); a replica's mark that its primary no longer
// has (Valkey 8: it missed the end of a move) is cleared through the primary;
// and, with `finish_moves`, a move whose two sides agree is finished
// (move_slot). `report` hears a line for each. Returns how many.
std::size_t put_right_half_moves(ValkeyCluster& cluster, bool finish_moves,
                                 const std::function<void(const std::string&)>& report = {});

// slot -> primary, as every node agrees (the map of the first node).
std::vector<std::string> owners(ValkeyCluster& cluster);

// Moves every slot that is away from the primary serving the rest of its
// range back there, for the three ranges `make cluster-up` gives the three
// primaries (0-5460, 5461-10922, 10923-16383), and returns how many it moved.
// A run that ended in the middle of a test (a failure, Ctrl-C, a kill) can
// leave a slot on another primary; the graders start from the layout the
// lesson's text shows. `moved`, when given, hears a line for each slot moved.
std::size_t restore_layout(ValkeyCluster& cluster,
                           const std::function<void(const std::string&)>& moved = {});

// One program at a time moves slots and fails primaries over: two graders
// (or a grader and lesson 15's example) doing it to the same cluster at once
// would each see the other's changes as their own code's mistakes. Takes the
// cluster's lock for the rest of this program's life (an flock on a file in
// the folder of the node at VALKEY_CLUSTER_URL, which every checkout and every
// clone on this machine using that cluster finds; the kernel drops it when
// the program ends, however it ends). When another program holds it, calls
// `waiting` at once and then every 5 s with the seconds waited so far, and
// waits (Error after `timeout`). Returns false, and takes nothing, when the
// folder cannot be known (a cluster elsewhere) or written. Once per program:
// later calls return true at once.
bool use_exclusively(ValkeyCluster& cluster, const std::function<void(int)>& waiting,
                     std::chrono::milliseconds timeout = std::chrono::minutes(10));

// What every program that moves slots or fails primaries over does first, in
// this order: takes the cluster's lock (use_exclusively, with `waiting`);
// waits until stable() - a failover a moment ago may still be settling - for
// up to `timeout`, putting right half-moved slots meanwhile
// (put_right_half_moves, with `moved`); and moves back every slot a run
// before left away from its range (restore_layout, with `moved`). `connect` opens a fresh client for
// each look, as the nodes may have changed roles since the last one. Returns
// "" when the cluster is ready, or what is wrong: at once when no node
// answers or the lock stayed another program's for use_exclusively's 10
// minutes, after `timeout` when it does not settle.
std::string ready_for_changes(const std::function<ValkeyCluster()>& connect,
                              const std::function<void(int)>& waiting,
                              const std::function<void(const std::string&)>& moved,
                              std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace wb::cluster_admin
