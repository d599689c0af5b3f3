// Lesson 11 example: a shopping cart as a hash that expires when abandoned.
// Adding with HINCRBY and a TTL refresh in one MULTI/EXEC, a line that
// reaches zero, checkout as one atomic step (and what a two-step checkout
// loses), merging a guest cart on login. Run it with `make example-11`.
//
// Every key it writes starts with "example:11:" and is deleted at the end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/measure.hpp"
#include "workbook/valkey.hpp"

namespace {

using namespace std::chrono_literals;
const std::string prefix = "example:11:";
using Lines = std::map<std::string, std::string>;

Lines lines_of(wb::Valkey& client, const std::string& cart) {
  Lines lines;
  client.hgetall(cart, std::inserter(lines, lines.end()));
  return lines;
}

std::string show(const Lines& lines) {
  std::string out = "{";
  for (const auto& [sku, quantity] : lines)
    out += (out.size() > 1 ? ", " : "") + sku + ": " + quantity;
  return out + "}";
}

// add: HINCRBY and PEXPIRE queued in MULTI ... EXEC, sent in one round trip.
long long add(wb::Valkey& client, const std::string& cart, const std::string& sku, long long n,
              std::chrono::milliseconds ttl) {
  return client.transaction().hincrby(cart, sku, n).pexpire(cart, ttl).exec().get<long long>(0);
}

// Take n away; remove the line at zero or below, in one script.
const char* const kRemove = R"lua(
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if left <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  left = 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return left
)lua";

// Add every guest line to the user's cart, then drop the guest cart.
const char* const kMerge = R"lua(
local lines = redis.call('HGETALL', KEYS[1])
for i = 1, #lines, 2 do
  redis.call('HINCRBY', KEYS[2], lines[i], lines[i + 1])
end
redis.call('DEL', KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return #lines / 2
)lua";

// Four threads add 200 items each while one thread checks out over and over
// with `checkout`. Returns how many of the 800 items were neither checked
// out nor left in the cart.
template <typename Checkout>
long long lost_during_checkouts(wb::Valkey& client, const std::string& cart, Checkout checkout) {
  std::atomic<int> adders_done{0};
  long long checked_out = 0;
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    while (adders_done.load() < 4)
      for (const auto& [sku, quantity] : checkout(cart)) checked_out += std::stoll(quantity);
  });
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) add(client, cart, "sku-" + std::to_string(t), 1, 60s);
      ++adders_done;
    });
  for (auto& thread : threads) thread.join();
  long long left = 0;
  for (const auto& [sku, quantity] : lines_of(client, cart)) left += std::stoll(quantity);
  client.del(cart);
  return 800 - checked_out - left;
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";
  const std::string cart = prefix + "cart:guest-7f3a";
  const std::string user = prefix + "cart:user-42";
  const std::string race = prefix + "cart:race";

  std::cout << "1. A cart is a hash: SKU -> quantity. Every change refreshes the TTL\n";
  std::cout << "    add 2 mug -> " << add(client, cart, "mug", 2, 30min) << "\n";
  std::cout << "    add 1 tea -> " << add(client, cart, "tea", 1, 30min) << "\n";
  std::cout << "    add 1 mug -> " << add(client, cart, "mug", 1, 30min) << "\n";
  std::cout << "    HGETALL -> " << show(lines_of(client, cart)) << ", PTTL " << client.pttl(cart)
            << " ms\n";
  client.pexpire(cart, 5s);
  std::cout << "    time passes (faked with PEXPIRE 5000): PTTL " << client.pttl(cart) << " ms\n";
  add(client, cart, "pen", 1, 30min);
  std::cout << "    add 1 pen -> PTTL " << client.pttl(cart) << " ms again\n\n";

  std::cout << "2. An abandoned cart expires by itself\n";
  const std::string brief = prefix + "cart:brief";
  add(client, brief, "mug", 1, 200ms);
  std::cout << "    add with a 200 ms TTL: EXISTS -> " << client.exists(brief) << "\n";
  std::this_thread::sleep_for(300ms);
  std::cout << "    300 ms later:          EXISTS -> " << client.exists(brief) << "\n\n";

  std::cout << "3. Taking items away: a quantity that reaches 0 must go\n";
  client.hincrby(cart, "tea", -1);
  std::cout << "    HINCRBY tea -1 alone -> " << show(lines_of(client, cart))
            << "   (a line of 0 is left)\n";
  client.hset(cart, "tea", "1");
  auto take = [&](const char* sku, long long n) {
    return client.eval<long long>(kRemove, {cart},
                                  {sku, std::to_string(-n), std::to_string(30 * 60 * 1000)});
  };
  std::cout << "    script: take 1 tea -> " << take("tea", 1) << ", cart "
            << show(lines_of(client, cart)) << "\n";
  std::cout << "    script: take 5 pen -> " << take("pen", 5) << ", cart "
            << show(lines_of(client, cart)) << "   (never negative)\n\n";

  std::cout << "4. Checkout while 4 threads add 200 items each (800 in all)\n";
  auto two_steps = [&](const std::string& key) {
    Lines lines = lines_of(client, key);  // HGETALL ...
    client.del(key);                      // ... then DEL: a second command
    return lines;
  };
  auto one_step = [&](const std::string& key) {
    auto replies = client.transaction().hgetall(key).del(key).exec();
    auto flat = replies.get<std::vector<std::string>>(0);
    Lines lines;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) lines[flat[i]] = flat[i + 1];
    return lines;
  };
  std::cout << "    HGETALL, then DEL:          " << lost_during_checkouts(client, race, two_steps)
            << " items lost\n";
  std::cout << "    MULTI HGETALL DEL EXEC:     " << lost_during_checkouts(client, race, one_step)
            << " items lost\n\n";

  std::cout << "5. Login: merge the guest cart into the user's cart (quantities add up)\n";
  add(client, cart, "tea", 2, 30min);
  client.hset(user, {{"mug", "1"}, {"book", "1"}});
  std::cout << "    guest " << show(lines_of(client, cart)) << " + user "
            << show(lines_of(client, user)) << "\n";
  long long moved = client.eval<long long>(kMerge, {cart, user}, {std::to_string(30 * 60 * 1000)});
  std::cout << "    merge moved " << moved << " SKUs -> user " << show(lines_of(client, user))
            << ", guest EXISTS " << client.exists(cart) << ", user PTTL " << client.pttl(user)
            << " ms\n\n";

  std::cout << "6. What the TTL refresh costs (median of 1000 adds)\n";
  const std::string timing = prefix + "cart:timing";
  double alone = wb::median_micros(1000, [&] { client.hincrby(timing, "mug", 1); });
  double separate = wb::median_micros(1000, [&] {
    client.hincrby(timing, "mug", 1);
    client.pexpire(timing, 30min);
  });
  double together = wb::median_micros(1000, [&] { add(client, timing, "mug", 1, 30min); });
  std::cout << "    HINCRBY alone:                   " << alone << " us\n"
            << "    HINCRBY, then PEXPIRE (2 trips): " << separate << " us\n"
            << "    MULTI HINCRBY PEXPIRE EXEC:      " << together << " us (one round trip)\n";

  client.del({cart, user, race, brief, timing});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-11).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
