// Lesson 11 - reference solution.
#include "carts.hpp"

#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace carts {

namespace {

void require(bool ok, const char* function, const char* what) {
  if (!ok) throw std::invalid_argument(std::string(function) + ": " + what);
}

void require_cart_item_ttl(const char* function, std::string_view cart, std::string_view sku,
                           std::chrono::milliseconds ttl) {
  require(!cart.empty(), function, "the cart key is empty");
  require(!sku.empty(), function, "the SKU is empty");
  require(ttl.count() > 0, function, "the ttl must be positive");
}

// Decrement, and remove the SKU when nothing is left, as one step: no other
// client can add to the SKU between the HINCRBY and the HDEL.
// KEYS[1] cart; ARGV[1] SKU, ARGV[2] minus the quantity, ARGV[3] ttl in ms.
constexpr const char* kRemoveScript = R"lua(
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if left <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  left = 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return left
)lua";

// Add every guest line to the user's cart (HINCRBY adds, HSET would
// overwrite), then drop the guest cart. Atomic: a second login running the
// same merge finds the guest cart already gone.
// KEYS[1] guest cart, KEYS[2] user cart; ARGV[1] ttl in ms.
constexpr const char* kMergeScript = R"lua(
local lines = redis.call('HGETALL', KEYS[1])
for i = 1, #lines, 2 do
  redis.call('HINCRBY', KEYS[2], lines[i], lines[i + 1])
end
redis.call('DEL', KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return #lines / 2
)lua";

}  // namespace

long long add_item(wb::Valkey& client, std::string_view cart, std::string_view sku,
                   long long quantity, std::chrono::milliseconds ttl) {
  require_cart_item_ttl("add_item", cart, sku, ttl);
  require(quantity > 0, "add_item", "the quantity must be positive (use remove_item to take)");
  // HINCRBY adds inside the server, so concurrent adds all count; MULTI/EXEC
  // keeps the TTL refresh with it (no cart is ever left without an expiry).
  auto replies =
      client.transaction(true, false).hincrby(cart, sku, quantity).pexpire(cart, ttl).exec();
  return replies.get<long long>(0);
}

long long set_quantity(wb::Valkey& client, std::string_view cart, std::string_view sku,
                       long long quantity, std::chrono::milliseconds ttl) {
  require_cart_item_ttl("set_quantity", cart, sku, ttl);
  require(quantity >= 0, "set_quantity", "the quantity must not be negative");
  auto change = client.transaction(true, false);
  if (quantity == 0) {
    change.hdel(cart, sku);  // a line with 0 is no line at all
  } else {
    change.hset(cart, sku, std::to_string(quantity));
  }
  change.pexpire(cart, ttl).exec();
  return quantity;
}

long long remove_item(wb::Valkey& client, std::string_view cart, std::string_view sku,
                      long long quantity, std::chrono::milliseconds ttl) {
  require_cart_item_ttl("remove_item", cart, sku, ttl);
  require(quantity > 0, "remove_item", "the quantity must be positive");
  return client.eval<long long>(kRemoveScript, {cart},
                                {sku, std::to_string(-quantity), std::to_string(ttl.count())});
}

Contents contents(wb::Valkey& client, std::string_view cart) {
  require(!cart.empty(), "contents", "the cart key is empty");
  std::vector<std::pair<std::string, std::string>> fields;
  client.hgetall(cart, std::back_inserter(fields));
  Contents lines;
  for (const auto& [sku, quantity] : fields) lines[sku] = std::stoll(quantity);
  return lines;
}

Contents checkout(wb::Valkey& client, std::string_view cart) {
  require(!cart.empty(), "checkout", "the cart key is empty");
  // HGETALL then DEL as two commands would lose an item added in between.
  // Inside MULTI/EXEC nothing runs between them.
  auto replies = client.transaction(true, false).hgetall(cart).del(cart).exec();
  auto flat = replies.get<std::vector<std::string>>(0);  // sku, quantity, sku, ...
  Contents lines;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) lines[flat[i]] = std::stoll(flat[i + 1]);
  return lines;
}

long long merge(wb::Valkey& client, std::string_view guest_cart, std::string_view user_cart,
                std::chrono::milliseconds ttl) {
  require(!guest_cart.empty() && !user_cart.empty(), "merge", "a cart key is empty");
  // Merging a cart into itself would double it, then delete it.
  require(guest_cart != user_cart, "merge", "the guest cart and the user cart are the same key");
  require(ttl.count() > 0, "merge", "the ttl must be positive");
  return client.eval<long long>(kMergeScript, {guest_cart, user_cart},
                                {std::to_string(ttl.count())});
}

}  // namespace carts
