// What a grader on the workbook's cluster (lesson 15) adds to grading.hpp.
//
// Including this header makes the grader check, before any test, that the
// cluster of VALKEY_CLUSTER_URL answers and is stable (every slot served,
// every node agreeing, no slot half moved); otherwise it prints one line
// naming `make cluster-up` and ends with "RESULT ...: NO SERVER". While a
// ClusterKeyScope is alive, a failing check also prints its keys.
//
// A grader here may move slots and fail primaries over (cluster_admin.hpp):
// the cluster is the workbook's own. It must put everything back (slots on
// their primaries, each primary back in its place) before it ends, so that
// the next run finds the cluster as this one did; CMake runs such graders
// one at a time (RESOURCE_LOCK workbook-cluster).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/cluster.hpp"
#include "workbook/cluster_admin.hpp"
#include "workbook/grading.hpp"

namespace wb::grading {

// A fresh client for the workbook's cluster ($VALKEY_CLUSTER_URL).
ValkeyCluster connect_cluster(Role role = Role::MASTER);

// Keys of one test on the cluster: key("cart") is "wbtest:<label>:<random>:cart".
// The destructor deletes every key under the prefix on every primary (found
// with SCAN), and nothing else.
class ClusterKeyScope {
 public:
  explicit ClusterKeyScope(std::string_view label = "t");
  ~ClusterKeyScope();
  ClusterKeyScope(const ClusterKeyScope&) = delete;
  ClusterKeyScope& operator=(const ClusterKeyScope&) = delete;

  const std::string& prefix() const noexcept { return prefix_; }
  std::string key(std::string_view name) const { return prefix_ + std::string(name); }
  // The keys under the prefix now, on every primary, sorted.
  std::vector<std::string> keys() const;
  // One line per key: name (without the prefix), slot, node, type, TTL, value.
  std::string view() const;

 private:
  std::string prefix_;
  mutable ValkeyCluster cluster_;
};

// Runs `work(cluster)` with a cluster client in a dry run: what the code
// tried to send is returned, nothing reaches the cluster. Exceptions from
// `work` are swallowed except wb::NotImplemented.
std::vector<RoutedCommand> cluster_dry_run(const std::function<void(ValkeyCluster&)>& work);

// "  127.0.0.1:7001 (slot 866): SET "k" "v"" - one line per command, at most `max`.
std::string describe(const std::vector<RoutedCommand>& commands, std::size_t max = 20);
// The recorded commands without the node and slot (for count(), only(), ...).
std::vector<SentCommand> plain(const std::vector<RoutedCommand>& commands);

struct NeedsCluster {
  NeedsCluster();
};

}  // namespace wb::grading

namespace {
const ::wb::grading::NeedsCluster wb_grader_needs_cluster;
}
