// Lesson 15 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-15` tells you what works so far. The contract of every
// function is in cluster.hpp.
#include "cluster.hpp"

#include <sstream>
#include <stdexcept>
#include <string>

#include "workbook/exercise.hpp"

namespace cluster {

CartKeys cart_keys(std::string_view prefix, std::string_view user) {
  WB_TODO("task 1 (cart_keys)", prefix, user);
}

std::string order_key(std::string_view prefix, std::string_view user, std::string_view order_id) {
  WB_TODO("task 1 (order_key)", prefix, user, order_id);
}

long long add_item(wb::ValkeyCluster& cluster, std::string_view prefix, std::string_view user,
                   std::string_view request_id, std::string_view sku, long long quantity,
                   std::chrono::milliseconds ttl) {
  WB_TODO("task 2 (add_item)", cluster, prefix, user, request_id, sku, quantity, ttl);
}

Contents checkout(wb::ValkeyCluster& cluster, std::string_view prefix, std::string_view user,
                  std::string_view order_id) {
  WB_TODO("task 3 (checkout)", cluster, prefix, user, order_id);
}

std::map<std::string, long long> keys_per_shard(wb::ValkeyCluster& cluster,
                                                const std::vector<std::string>& keys) {
  WB_TODO("task 4 (keys_per_shard)", cluster, keys);
}

wb::Reply send_routed(wb::SlotMap& map, wb::NodeClients& nodes,
                      const std::vector<std::string>& argv) {
  WB_TODO("task 5 (send_routed)", map, nodes, argv);
}

}  // namespace cluster
