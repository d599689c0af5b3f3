// Lesson 15 - A shopping cart on a Valkey Cluster: the contract of the exercise.
//
// Write the functions in cluster.cpp. `make test-15` grades them on the
// workbook's own cluster (it starts one when none runs: make cluster-up),
// and moves slots and fails primaries over while your code runs. The lesson
// is lessons/15-cluster/README.md.
//
// A user's cart is lesson 11's cart, on a cluster: a hash (SKU -> quantity),
// plus the set of the ids of the requests already applied to it, plus one
// key per order made from it at checkout.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/cluster.hpp"

namespace cluster {

// SKU -> quantity, sorted by SKU.
using Contents = std::map<std::string, long long>;

struct CartKeys {
  std::string cart;     // the hash: SKU -> quantity
  std::string applied;  // the set of request ids already applied to the cart
};

// Task 1. The keys of `user`'s cart, and of one of their orders.
// Every key of one user - cart, applied and every order key - is in ONE hash
// slot, whatever bytes the user id holds; the slot depends on the user, not
// on the prefix, so that many users spread over all the cluster's shards.
// Every key starts with `prefix`. Different users, different orders, and
// the three kinds of key never share a key name.
// std::invalid_argument: an empty user or order id; a prefix holding '{' or
// '}' (it would decide the slot instead of the user).
CartKeys cart_keys(std::string_view prefix, std::string_view user);
std::string order_key(std::string_view prefix, std::string_view user, std::string_view order_id);

// Task 2. Add `quantity` of `sku` to the user's cart, exactly once per
// `request_id`: in ONE command (a script over the cart and its applied set),
// if the request id is in the applied set already, add nothing; else add the
// quantity to the SKU, put the request id into the applied set, and set the
// TTL of both keys to `ttl`. Either way, return the SKU's quantity in the
// cart now.
// A call that throws (the cluster moving a slot or failing over) may or may
// not have been applied: calling again with the same request id is always
// safe. Concurrent calls with different request ids all count.
// std::invalid_argument, before sending anything: an empty user, request id
// or SKU, a quantity <= 0, a ttl <= 0 (and task 1's refusals).
long long add_item(wb::ValkeyCluster& cluster, std::string_view prefix, std::string_view user,
                   std::string_view request_id, std::string_view sku, long long quantity,
                   std::chrono::milliseconds ttl);

// Task 3. Checkout, in ONE command (a script): the cart becomes the order -
// its key is renamed to order_key(prefix, user, order_id), keeping its
// contents and its TTL - and the order's contents are returned. Called again
// with the same order id (a retry), it returns that order as stored and
// changes nothing: a cart the user has filled since stays a cart. With no
// cart and no such order, it returns an empty result and writes nothing.
// The applied set stays as it is, so that a late retry of an add that is in
// the order already is not added to the next cart.
// std::invalid_argument, before sending anything: as task 1.
Contents checkout(wb::ValkeyCluster& cluster, std::string_view prefix, std::string_view user,
                  std::string_view order_id);

// Task 4. How the keys spread: for every primary of the cluster as it is
// NOW (a slot may have moved since your client last looked), how many of
// `keys` it serves. Every primary is in the result ("127.0.0.1:7001" ->
// count), with 0 when it serves none of them; a key named twice counts
// twice, so the counts add up to keys.size().
std::map<std::string, long long> keys_per_shard(wb::ValkeyCluster& cluster,
                                                const std::vector<std::string>& keys);

// Task 5. One step of a small cluster client, written by hand: send `argv`
// (a command whose key is argv[1]) to the node that `map` says serves the
// key's slot, through `nodes.at(address)`, and follow the cluster's answers:
//   MOVED <slot> <host:port>  the slot has moved for good: write its new owner
//                             into `map` (later commands go straight there)
//                             and send the command there;
//   ASK <slot> <host:port>    the slot is being moved and this key is there
//                             already: send ASKING and the command to that
//                             node in ONE round trip, once; `map` stays as it is.
// Follow at most 5 redirects in one call; the 6th throws wb::Error (a
// cluster that keeps redirecting is broken: never loop forever). Return the
// command's reply; any other error reply is thrown as wb::ReplyError whose
// server_text() is the server's text. std::invalid_argument when argv has
// no key (fewer than 2 elements).
wb::Reply send_routed(wb::SlotMap& map, wb::NodeClients& nodes,
                      const std::vector<std::string>& argv);

}  // namespace cluster
