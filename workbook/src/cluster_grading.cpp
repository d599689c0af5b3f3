// The cluster part of the grading harness (see cluster_grading.hpp).
#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
#include <catch2/catch_test_case_info.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#else
// v2's single header declares the listener interfaces only when asked to.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#endif

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

#include "workbook/cluster_grading.hpp"

#include "grading_internal.hpp"

namespace wb::grading {

namespace {

bool& cluster_needed() {
  static bool needed = false;
  return needed;
}

std::mutex scopes_mutex;
std::vector<const ClusterKeyScope*>& scopes() {
  static std::vector<const ClusterKeyScope*> all;
  return all;
}

std::string view_live_cluster_scopes() {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  std::string out;
  for (const ClusterKeyScope* s : scopes()) {
    try {
      out += "  (prefix " + s->prefix() + ")\n" + s->view();
    } catch (const std::exception& e) {
      out += "  (could not read the keys: " + std::string(e.what()) + ")\n";
    }
  }
  return out;
}

}  // namespace

NeedsCluster::NeedsCluster() { cluster_needed() = true; }

ValkeyCluster connect_cluster(Role role) { return ValkeyCluster(cluster_url_from_env(), role); }

// ---------------------------------------------------------------------------
ClusterKeyScope::ClusterKeyScope(std::string_view label)
    : prefix_("wbtest:" + std::string(label) + ":" + random_hex(6) + ":"),
      cluster_(connect_cluster()) {
  std::lock_guard<std::mutex> lock(scopes_mutex);
  scopes().push_back(this);
}

ClusterKeyScope::~ClusterKeyScope() {
  {
    std::lock_guard<std::mutex> lock(scopes_mutex);
    auto& all = scopes();
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
  }
  try {
    for (const auto& k : keys()) cluster_.del(k);
  } catch (...) {
    // The cluster went away mid-test; there is nothing left to clean.
  }
}

std::vector<std::string> ClusterKeyScope::keys() const {
  // The prefix holds no glob characters: MATCH prefix* is exactly our keys.
  std::vector<std::string> found;
  cluster_.for_each([&](Valkey& node) {
    long long cursor = 0;
    do {
      cursor = node.scan(cursor, prefix_ + "*", 500, std::back_inserter(found));
    } while (cursor != 0);
  });
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::string ClusterKeyScope::view() const {
  std::ostringstream out;
  auto mine = keys();
  if (mine.empty()) return "  (no keys)\n";
  std::size_t shown_keys = 0;
  for (const auto& k : mine) {
    if (++shown_keys > 20) {
      out << "  ... and " << mine.size() - 20 << " more keys\n";
      break;
    }
    std::string type = cluster_.type(k);
    long long pttl = cluster_.pttl(k);
    out << "  " << internal::printable(k.substr(prefix_.size()), 40) << "  [slot " << key_slot(k)
        << " on " << cluster_.node_for(k) << ", " << type << ", ";
    out << internal::ttl_view(pttl) << "]  " << internal::value_view(cluster_, k, type);
    out << '\n';
  }
  return out.str();
}

// ---------------------------------------------------------------------------
std::vector<RoutedCommand> cluster_dry_run(const std::function<void(ValkeyCluster&)>& work) {
  ValkeyCluster cluster = connect_cluster();
  cluster.workbook_dry_run();
  try {
    work(cluster);
  } catch (const NotImplemented&) {
    throw;
  } catch (const std::exception&) {
    // Expected: the first command the code tried to send was stopped.
  }
  return cluster.workbook_recorded_commands();
}

std::string describe(const std::vector<RoutedCommand>& commands, std::size_t max) {
  if (commands.empty()) return "  (no commands)\n";
  std::ostringstream out;
  for (std::size_t i = 0; i < commands.size() && i < max; ++i) {
    const auto& c = commands[i];
    out << "  " << (c.node.empty() ? "(not sent)" : c.node);
    if (c.slot >= 0) out << " (slot " << c.slot << ")";
    out << ": " << c.to_string() << '\n';
  }
  if (commands.size() > max) out << "  ... and " << commands.size() - max << " more\n";
  return out.str();
}

std::vector<SentCommand> plain(const std::vector<RoutedCommand>& commands) {
  return std::vector<SentCommand>(commands.begin(), commands.end());
}

}  // namespace wb::grading

// ---------------------------------------------------------------------------
// The listener: the cluster checked before the first test.
namespace {

#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
using ClusterListenerBase = Catch::EventListenerBase;
#else
using ClusterListenerBase = Catch::TestEventListenerBase;
#endif

class ClusterListener : public ClusterListenerBase {
 public:
  using ClusterListenerBase::ClusterListenerBase;

  void testRunStarting(const Catch::TestRunInfo& info) override {
    ClusterListenerBase::testRunStarting(info);
    if (!wb::grading::cluster_needed()) return;
    // This grader moves slots and fails primaries over: one program at a
    // time, on a settled cluster, with every slot where the lesson says.
    std::string problem = wb::cluster_admin::ready_for_changes(
        [] { return wb::grading::connect_cluster(); },
        [](int waited) {
          std::cout << "  ... waiting for the cluster (" << waited
                    << " s): another grader, or lesson 15's example, is moving its slots or "
                       "failing its primaries over, and only one program may do that at a time\n"
                    << std::flush;
        },
        [](const std::string& what) {
          std::cout << "  (before grading: " << what << ")\n" << std::flush;
        });
    if (problem.empty()) return;
    std::string where;
    try {
      where = wb::ConnectionOptions::from_url(wb::cluster_url_from_env()).address();
    } catch (const std::exception&) {
      where = "VALKEY_CLUSTER_URL";
    }
    std::cout << "Cannot use the workbook's cluster at " << where << " (" << problem
              << "). Start it with `make cluster-up`; `make cluster-status` shows its nodes "
                 "(`make cluster-down` then `make cluster-up` starts it afresh).\n"
              << "RESULT " << wb::grading::lesson().id << ": NO SERVER\n"
              << std::flush;
    std::_Exit(3);
  }
};

// A failing test's keys on the cluster go into the harness's report of that
// failure, beside the single server's (shown only for the failure it shows).
const bool cluster_viewer_set = [] {
  wb::grading::internal::set_extra_scope_viewer(&wb::grading::view_live_cluster_scopes);
  return true;
}();

}  // namespace

CATCH_REGISTER_LISTENER(ClusterListener)
