// Lesson 15 - reference solution.
#include "cluster.hpp"

#include <charconv>
#include <sstream>
#include <stdexcept>
#include <string>

namespace cluster {

namespace {

void require(bool ok, const char* function, const char* what) {
  if (!ok) throw std::invalid_argument(std::string(function) + ": " + what);
}

void require_user(const char* function, std::string_view prefix, std::string_view user) {
  require(!user.empty(), function, "the user id is empty");
  require(prefix.find_first_of("{}") == std::string_view::npos, function,
          "the prefix holds a brace, which would decide the hash slot instead of the user");
}

// The user id inside the hash tag. A '}' in it would end the tag early (and
// "}..." would make it empty, which is no tag at all), so braces are
// escaped - and '%', so that two different ids never look alike.
std::string tag_of(std::string_view user) {
  std::string out = "{";
  for (char c : user) {
    if (c == '%')
      out += "%25";
    else if (c == '{')
      out += "%7B";
    else if (c == '}')
      out += "%7D";
    else
      out += c;
  }
  return out + "}";
}

// KEYS[1] cart, KEYS[2] applied; ARGV[1] request id, ARGV[2] SKU,
// ARGV[3] quantity, ARGV[4] ttl in ms. SADD answers 0 for a request id seen
// before: a retry, which must change nothing.
constexpr const char* kAddScript = R"lua(
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then
  return tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
end
local quantity = redis.call('HINCRBY', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return quantity
)lua";

// KEYS[1] cart, KEYS[2] order. An order that exists is a retry: answer it
// as it is. RENAME keeps the contents and the TTL, and needs both keys in
// one slot - which the hash tag gives.
constexpr const char* kCheckoutScript = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
end
return redis.call('HGETALL', KEYS[2])
)lua";

long long to_quantity(const std::string& text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw std::runtime_error("checkout: the order holds a quantity that is not a number: " + text);
  return value;
}

}  // namespace

CartKeys cart_keys(std::string_view prefix, std::string_view user) {
  require_user("cart_keys", prefix, user);
  std::string base = std::string(prefix) + tag_of(user);
  return CartKeys{base + ":cart", base + ":applied"};
}

std::string order_key(std::string_view prefix, std::string_view user, std::string_view order_id) {
  require_user("order_key", prefix, user);
  require(!order_id.empty(), "order_key", "the order id is empty");
  return std::string(prefix) + tag_of(user) + ":order:" + std::string(order_id);
}

long long add_item(wb::ValkeyCluster& cluster, std::string_view prefix, std::string_view user,
                   std::string_view request_id, std::string_view sku, long long quantity,
                   std::chrono::milliseconds ttl) {
  CartKeys keys = cart_keys(prefix, user);
  require(!request_id.empty(), "add_item", "the request id is empty");
  require(!sku.empty(), "add_item", "the SKU is empty");
  require(quantity > 0, "add_item", "the quantity must be positive");
  require(ttl.count() > 0, "add_item", "the ttl must be positive");
  return cluster.eval<long long>(
      kAddScript, {keys.cart, keys.applied},
      {request_id, sku, std::to_string(quantity), std::to_string(ttl.count())});
}

Contents checkout(wb::ValkeyCluster& cluster, std::string_view prefix, std::string_view user,
                  std::string_view order_id) {
  CartKeys keys = cart_keys(prefix, user);
  std::string order = order_key(prefix, user, order_id);
  auto flat = cluster.eval<std::vector<std::string>>(kCheckoutScript, {keys.cart, order}, {});
  Contents contents;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) contents[flat[i]] = to_quantity(flat[i + 1]);
  return contents;
}

std::map<std::string, long long> keys_per_shard(wb::ValkeyCluster& cluster,
                                                const std::vector<std::string>& keys) {
  // shards() asks the cluster now; the client's own map may be older.
  std::vector<wb::Shard> shards = cluster.shards();
  std::map<std::string, long long> counts;
  for (const auto& shard : shards) counts[shard.primary.address()] = 0;
  for (const auto& key : keys) {
    int slot = wb::key_slot(key);
    for (const auto& shard : shards) {
      if (shard.serves(slot)) {
        ++counts[shard.primary.address()];
        break;
      }
    }
  }
  return counts;
}

wb::Reply send_routed(wb::SlotMap& map, wb::NodeClients& nodes,
                      const std::vector<std::string>& argv) {
  require(argv.size() >= 2, "send_routed", "the command has no key");
  std::string address = map.owner(wb::key_slot(argv[1]));
  bool asking = false;
  for (int redirects = 0;; ++redirects) {
    // One pipeline: ASKING must reach the node on the very connection, and
    // just before, the command it is for.
    wb::Pipeline batch = nodes.at(address).pipeline(false);
    if (asking) batch.command("ASKING");
    batch.command(argv.begin(), argv.end());
    wb::QueuedReplies replies = batch.exec();
    const wb::Reply& reply = replies.reply(replies.size() - 1);
    if (reply.type != wb::Reply::Type::Error) return reply;

    std::istringstream words(reply.str);
    std::string kind, target;
    int slot = -1;
    words >> kind >> slot >> target;
    if (kind != "MOVED" && kind != "ASK")
      throw wb::ReplyError(argv[0] + " on " + address + ": " + reply.str, reply.str);
    if (redirects == 5)
      throw wb::Error(argv[0] + " '" + argv[1] + "': still redirected after 5 redirects (" +
                      reply.str + ")");
    if (kind == "MOVED") map.set_owner(slot, target);  // for good: remember it
    asking = kind == "ASK";                            // this once only
    address = target;
  }
}

}  // namespace cluster
