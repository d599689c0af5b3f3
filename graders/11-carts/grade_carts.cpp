// Grader for lesson 11 - Shopping carts as hashes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "carts.hpp"
#include "workbook/grading.hpp"

namespace grading = wb::grading;
using namespace std::chrono_literals;
using carts::Contents;
using Fields = std::map<std::string, std::string>;

namespace {

constexpr auto kTtl = std::chrono::milliseconds(60'000);
// A TTL just set to kTtl reads a little less a moment later; anything above
// this floor means "set again just now".
constexpr long long kFreshFloor = 55'000;

// The cart as stored: field -> the value's text, exactly ("0" and "-3" too).
Fields stored(wb::Valkey& client, const std::string& cart) {
  Fields fields;
  client.hgetall(cart, std::inserter(fields, fields.end()));
  return fields;
}

// Puts lines in a cart directly (not through the learner's code), with an
// expiry of `ttl`.
void seed(wb::Valkey& client, const std::string& cart, const Fields& lines,
          std::chrono::milliseconds ttl = 2'000ms) {
  client.hset(cart, lines.begin(), lines.end());
  client.pexpire(cart, ttl);
}

template <typename Map>
std::string show(const Map& lines) {
  std::ostringstream out;
  out << "{";
  for (auto it = lines.begin(); it != lines.end(); ++it)
    out << (it == lines.begin() ? "" : ", ") << it->first << ": " << it->second;
  out << "}";
  return out.str();
}

std::string show_pttl(long long pttl) {
  if (pttl == -1) return "-1 (no expiry at all)";
  if (pttl == -2) return "-2 (the cart does not exist)";
  return std::to_string(pttl) + " ms";
}

// The key's TTL was just set to kTtl again. `what` says what happened to it,
// `why` which mistake a failure usually means.
void require_fresh_ttl(wb::Valkey& client, const std::string& key, const std::string& what,
                       const std::string& why) {
  long long pttl = client.pttl(key);
  INFO(what << " left PTTL " << show_pttl(pttl) << " (expected just under 60000 ms). " << why);
  REQUIRE(pttl > kFreshFloor);
  REQUIRE(pttl <= kTtl.count());
}

}  // namespace

// ---- Task 1: add_item -------------------------------------------------------

TEST_CASE("add_item puts a new item in the cart and returns its quantity", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");

  long long now = carts::add_item(client, cart, "mug", 2, kTtl);

  auto lines = stored(client, cart);
  {
    INFO("After add_item(cart, \"mug\", 2) the cart holds " << show(lines)
                                                            << "; expected {mug: 2}.");
    REQUIRE(lines == Fields{{"mug", "2"}});
  }
  INFO("add_item returned " << now << "; expected 2, the mug's quantity now.");
  REQUIRE(now == 2);
}

TEST_CASE("add_item adds to the quantity already in the cart", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}, {"tea", "1"}});

  long long now = carts::add_item(client, cart, "mug", 3, kTtl);

  auto lines = stored(client, cart);
  INFO("The cart held {mug: 2, tea: 1}; after adding 3 mugs it holds "
       << show(lines) << " and add_item returned " << now
       << ". Expected {mug: 5, tea: 1} and 5: HINCRBY adds to the field; HSET would replace it.");
  CHECK(lines == Fields{{"mug", "5"}, {"tea", "1"}});
  REQUIRE(now == 5);
}

TEST_CASE("adding an item gives the cart its TTL", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");

  carts::add_item(client, cart, "mug", 1, kTtl);

  require_fresh_ttl(client, cart, "add_item(..., ttl = 60000 ms) on a new cart",
                    "A cart without expiry is never cleaned up when the shopper walks away: every "
                    "change must (re)set the TTL, with PEXPIRE in the same MULTI/EXEC as the "
                    "HINCRBY.");
}

TEST_CASE("add_item keeps the ttl to the millisecond: 2500 ms is not 2 s", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");

  carts::add_item(client, cart, "mug", 1, 2500ms);

  long long pttl = client.pttl(cart);
  INFO("add_item(..., ttl = 2500 ms) left PTTL "
       << show_pttl(pttl)
       << " (expected a little under 2500 ms). A PTTL of 2000 ms or less means the ttl went out "
          "in whole seconds (EXPIRE with ttl / 1000): the half second is lost, and a ttl under "
          "1000 ms becomes 0 seconds. Send it in milliseconds: PEXPIRE.");
  REQUIRE(pttl > 2100);
  REQUIRE(pttl <= 2500);
}

TEST_CASE("every add refreshes the TTL, also of a cart that already existed", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "1"}}, 2'000ms);  // an old cart, about to expire

  carts::add_item(client, cart, "tea", 1, kTtl);

  require_fresh_ttl(client, cart, "The cart had 2000 ms left: add_item(..., ttl = 60000 ms)",
                    "Activity must keep a cart alive: set the TTL on EVERY change, not only when "
                    "the cart is created (a shopper who keeps adding would lose the cart "
                    "mid-visit).");
}

TEST_CASE("an abandoned cart expires by itself", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");

  carts::add_item(client, cart, "mug", 1, 200ms);
  std::this_thread::sleep_for(500ms);

  long long exists = client.exists(cart);
  INFO(
      "add_item with ttl = 200 ms, then 500 ms of silence: the cart should be gone, EXISTS "
      "gave "
      << exists << ". Was the ttl passed to PEXPIRE in milliseconds?");
  REQUIRE(exists == 0);
}

TEST_CASE("a zero or negative add is refused and changes nothing", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "3"}});

  client.workbook_record_commands();
  {
    INFO(
        "add_item(cart, \"mug\", -2) must throw std::invalid_argument. Adding -2 is taking "
        "away; accepted here, it can drive a quantity to 0 or below, which no cart may "
        "hold.");
    CHECK_THROWS_AS(carts::add_item(client, cart, "mug", -2, kTtl), std::invalid_argument);
    CHECK_THROWS_AS(carts::add_item(client, cart, "mug", 0, kTtl), std::invalid_argument);
  }
  auto sent = client.workbook_recorded_commands();
  auto lines = stored(client, cart);
  INFO("After the refused adds the cart holds " << show(lines) << " (expected {mug: 3}); sent:\n"
                                                << grading::describe(sent)
                                                << "Refuse before sending anything.");
  CHECK(lines == Fields{{"mug", "3"}});
  REQUIRE(sent.empty());
}

TEST_CASE("an empty SKU, an empty cart key and a ttl that is not positive are refused", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  INFO(
      "Each of these must throw std::invalid_argument: add_item with sku \"\", with cart "
      "\"\", with ttl 0 ms, with ttl -5 ms.");
  CHECK_THROWS_AS(carts::add_item(client, cart, "", 1, kTtl), std::invalid_argument);
  {
    // A dry run: what add_item tries to send is recorded, not sent, so a wrong
    // answer cannot write to the key "" of whoever else uses the server.
    bool refused = false;
    auto sent = grading::dry_run([&](wb::Valkey& c) {
      try {
        carts::add_item(c, "", "mug", 1, kTtl);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
    });
    INFO("add_item with cart \"\" tried to send:\n"
         << grading::describe(sent)
         << "Refuse an empty cart key before sending anything. (This grader did not let the "
            "command reach the server.)");
    CHECK(refused);
    CHECK(sent.empty());
  }
  CHECK_THROWS_AS(carts::add_item(client, cart, "mug", 1, 0ms), std::invalid_argument);
  CHECK_THROWS_AS(carts::add_item(client, cart, "mug", 1, -5ms), std::invalid_argument);
  REQUIRE(client.exists(cart) == 0);
}

TEST_CASE("16 shoppers adding at once: every add counts", "[task1]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  constexpr int shoppers = 16;
  constexpr int adds_each = 50;

  grading::run_together(shoppers, [&](int) {
    for (int i = 0; i < adds_each; ++i) carts::add_item(client, cart, "mug", 1, kTtl);
  });

  auto lines = stored(client, cart);
  INFO(shoppers << " threads added 1 mug " << adds_each << " times each; the cart holds "
                << show(lines) << ", expected mug: " << shoppers * adds_each
                << ". Lost adds mean a read-modify-write (HGET, + in C++, HSET): HINCRBY adds "
                   "inside the server.");
  REQUIRE(lines == Fields{{"mug", std::to_string(shoppers * adds_each)}});
}

// ---- Task 2: set_quantity -------------------------------------------------------

TEST_CASE("set_quantity sets the exact quantity and refreshes the TTL", "[task2]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "5"}, {"tea", "1"}}, 2'000ms);

  long long now = carts::set_quantity(client, cart, "mug", 2, kTtl);

  auto lines = stored(client, cart);
  {
    INFO("After set_quantity(cart, \"mug\", 2) on {mug: 5, tea: 1} the cart holds "
         << show(lines) << " and set_quantity returned " << now << "; expected {mug: 2, tea: 1} "
         << "and 2.");
    CHECK(lines == Fields{{"mug", "2"}, {"tea", "1"}});
    CHECK(now == 2);
  }
  require_fresh_ttl(client, cart, "The cart had 2000 ms left: set_quantity(..., ttl = 60000 ms)",
                    "Every change refreshes the TTL.");
}

TEST_CASE("setting a quantity to 0 removes the SKU from the cart", "[task2]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "5"}, {"tea", "1"}});

  long long now = carts::set_quantity(client, cart, "mug", 0, kTtl);

  auto lines = stored(client, cart);
  INFO("After set_quantity(cart, \"mug\", 0) the cart holds "
       << show(lines) << " and set_quantity returned " << now
       << "; expected {tea: 1} and 0. A line \"mug: 0\" is a line the checkout would bill and "
          "the page would show: 0 means HDEL the field.");
  CHECK(lines == Fields{{"tea", "1"}});
  REQUIRE(now == 0);
}

TEST_CASE("setting a quantity to 0 is a change too: it refreshes the cart's TTL", "[task2]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "5"}, {"tea", "1"}}, 2'000ms);  // about to expire

  carts::set_quantity(client, cart, "mug", 0, kTtl);

  require_fresh_ttl(client, cart,
                    "The cart had 2000 ms left: set_quantity(cart, \"mug\", 0, ttl = 60000 ms)",
                    "Removing a line is a change like any other, and the shopper is still "
                    "there: the HDEL of a quantity 0 needs its PEXPIRE as much as an HSET does "
                    "(a branch that only sends HDEL forgets it).");
}

TEST_CASE("set_quantity refuses a negative quantity", "[task2]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "5"}});
  INFO("set_quantity(cart, \"mug\", -1) must throw std::invalid_argument and keep {mug: 5}.");
  CHECK_THROWS_AS(carts::set_quantity(client, cart, "mug", -1, kTtl), std::invalid_argument);
  REQUIRE(stored(client, cart) == Fields{{"mug", "5"}});
}

// ---- Task 3: remove_item -----------------------------------------------------------

TEST_CASE("remove_item takes some away, returns what is left and refreshes the TTL", "[task3]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "5"}, {"tea", "1"}}, 2'000ms);

  long long left = carts::remove_item(client, cart, "mug", 2, kTtl);

  auto lines = stored(client, cart);
  {
    INFO("After remove_item(cart, \"mug\", 2) on {mug: 5, tea: 1} the cart holds "
         << show(lines) << " and remove_item returned " << left
         << "; expected {mug: 3, tea: 1} and 3.");
    CHECK(lines == Fields{{"mug", "3"}, {"tea", "1"}});
    CHECK(left == 3);
  }
  require_fresh_ttl(client, cart, "The cart had 2000 ms left: remove_item(..., ttl = 60000 ms)",
                    "Every change refreshes the TTL (PEXPIRE inside the script).");
}

TEST_CASE("an item whose quantity reaches zero disappears from the cart", "[task3]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}, {"tea", "1"}});

  long long left = carts::remove_item(client, cart, "mug", 2, kTtl);

  auto lines = stored(client, cart);
  INFO("After taking both mugs out of {mug: 2, tea: 1} the cart holds "
       << show(lines) << " and remove_item returned " << left
       << "; expected {tea: 1} and 0. HINCRBY by -2 leaves the field at 0; the same script "
          "must HDEL it when it reaches 0.");
  CHECK(lines == Fields{{"tea", "1"}});
  REQUIRE(left == 0);
}

TEST_CASE("taking more than there is removes the item: a quantity is never negative", "[task3]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}, {"tea", "1"}});

  long long left = carts::remove_item(client, cart, "mug", 5, kTtl);

  auto lines = stored(client, cart);
  INFO("After taking 5 mugs out of {mug: 2, tea: 1} the cart holds "
       << show(lines) << " and remove_item returned " << left
       << "; expected {tea: 1} and 0. Remove the field when the quantity is 0 OR LESS "
          "(left <= 0), not only when it is exactly 0.");
  CHECK(lines == Fields{{"tea", "1"}});
  REQUIRE(left == 0);
}

TEST_CASE("remove_item decrements and removes in one script", "[task3]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}});

  client.workbook_record_commands();
  carts::remove_item(client, cart, "mug", 2, kTtl);
  auto sent = client.workbook_recorded_commands();

  std::size_t scripts = grading::count(sent, "EVAL") + grading::count(sent, "EVALSHA");
  bool only_scripts = scripts + grading::count(sent, "SCRIPT LOAD") == sent.size();
  INFO("remove_item sent:\n"
       << grading::describe(sent)
       << "Expected the work inside one script (EVAL or EVALSHA). HINCRBY, then HDEL from C++ "
          "are two steps: a shopper adding a mug between them (0 -> 1) has it deleted by your "
          "HDEL. The check and the delete must run as one.");
  CHECK(scripts >= 1);
  REQUIRE(only_scripts);
}

TEST_CASE("16 shoppers taking away at once never drive a quantity below zero", "[task3]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "100"}}, kTtl);
  constexpr int shoppers = 16;
  constexpr int removes_each = 10;  // 160 removals of 1 from 100 mugs
  std::mutex mutex;
  std::vector<long long> answers;

  grading::run_together(shoppers, [&](int) {
    for (int i = 0; i < removes_each; ++i) {
      long long left = carts::remove_item(client, cart, "mug", 1, kTtl);
      std::lock_guard<std::mutex> lock(mutex);
      answers.push_back(left);
    }
  });

  auto lines = stored(client, cart);
  long long lowest = *std::min_element(answers.begin(), answers.end());
  std::set<long long> positive;
  for (long long a : answers)
    if (a > 0) positive.insert(a);
  INFO("16 threads removed 1 mug 10 times each from 100 mugs. Afterwards the cart holds "
       << show(lines) << " (expected {}), the lowest answer was " << lowest << " (expected 0), and "
       << positive.size()
       << " different positive answers came back (expected 99: 99, 98, ..., 1, each once).");
  CHECK(lines.empty());
  CHECK(lowest == 0);
  REQUIRE(positive.size() == 99);
}

TEST_CASE("remove_item refuses a zero or negative quantity", "[task3]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}});
  INFO("remove_item with quantity 0 or -1 must throw std::invalid_argument and keep {mug: 2}.");
  CHECK_THROWS_AS(carts::remove_item(client, cart, "mug", 0, kTtl), std::invalid_argument);
  CHECK_THROWS_AS(carts::remove_item(client, cart, "mug", -1, kTtl), std::invalid_argument);
  REQUIRE(stored(client, cart) == Fields{{"mug", "2"}});
}

// ---- Task 4: contents ------------------------------------------------------------------

TEST_CASE("contents lists every SKU with its quantity, and reading keeps the TTL", "[task4]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}, {"tea", "10"}}, 5'000ms);

  Contents lines = carts::contents(client, cart);

  {
    INFO("contents returned " << show(lines) << "; the cart holds {mug: 2, tea: 10}.");
    REQUIRE(lines == Contents{{"mug", 2}, {"tea", 10}});
  }
  long long pttl = client.pttl(cart);
  INFO("The cart had 5000 ms left; after contents PTTL is "
       << show_pttl(pttl) << ". Reading is not a change: leave the TTL alone.");
  REQUIRE(pttl <= 5'000);
  REQUIRE(pttl > 0);
}

TEST_CASE("the contents of a cart that does not exist are empty", "[task4]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  Contents lines = carts::contents(client, keys.key("no-such-cart"));
  INFO("contents of a missing cart returned " << show(lines) << "; expected {}.");
  REQUIRE(lines.empty());
}

// ---- Task 5: checkout ---------------------------------------------------------------------

TEST_CASE("checkout returns what was in the cart and deletes the cart", "[task5]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}, {"tea", "10"}});

  Contents bought = carts::checkout(client, cart);

  {
    INFO("checkout returned " << show(bought) << "; the cart held {mug: 2, tea: 10}.");
    CHECK(bought == Contents{{"mug", 2}, {"tea", 10}});
  }
  auto left = stored(client, cart);
  INFO("After checkout the cart still holds " << show(left) << ": checkout must delete it (DEL).");
  REQUIRE(client.exists(cart) == 0);
}

TEST_CASE("checkout of a cart that does not exist returns nothing", "[task5]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  Contents bought = carts::checkout(client, keys.key("no-such-cart"));
  INFO("checkout of a missing cart returned " << show(bought) << "; expected {}.");
  REQUIRE(bought.empty());
}

TEST_CASE("items added during checkouts are checked out or still in the cart: none lost",
          "[task5]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  constexpr int adders = 8;
  constexpr int adds_each = 100;
  std::atomic<int> adders_done{0};
  std::vector<Contents> checkouts;  // written by thread 0 only, read after the join

  struct CountDone {
    std::atomic<int>& done;
    ~CountDone() { ++done; }
  };
  // Thread 0 checks out again and again while threads 1..8 each add one SKU.
  grading::run_together(adders + 1, [&](int i) {
    if (i == 0) {
      while (adders_done.load() < adders) {
        Contents bought = carts::checkout(client, cart);
        if (!bought.empty()) checkouts.push_back(std::move(bought));
      }
      return;
    }
    CountDone count{adders_done};  // counted even if add_item throws
    for (int k = 0; k < adds_each; ++k)
      carts::add_item(client, cart, "sku-" + std::to_string(i), 1, kTtl);
  });

  std::map<std::string, long long> accounted;
  for (const auto& bought : checkouts)
    for (const auto& [sku, quantity] : bought) accounted[sku] += quantity;
  for (const auto& [sku, quantity] : stored(client, cart)) accounted[sku] += std::stoll(quantity);

  std::map<std::string, long long> expected;
  for (int i = 1; i <= adders; ++i) expected["sku-" + std::to_string(i)] = adds_each;
  INFO(adders << " threads added 1 of their own SKU " << adds_each << " times each, while "
              << checkouts.size() << " checkouts ran. Checked out + still in the cart, per SKU: "
              << show(accounted) << "; expected " << adds_each
              << " of each. Items were lost: HGETALL, then DEL as a second command deletes "
                 "what was added in between. Read and delete in one MULTI/EXEC (or script).");
  REQUIRE(accounted == expected);
}

// ---- Task 6: merge -------------------------------------------------------------------------

TEST_CASE("merge adds the guest's quantities to the user's cart", "[task6]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string guest = keys.key("guest");
  const std::string user = keys.key("user");
  seed(client, guest, {{"mug", "2"}, {"tea", "1"}});
  seed(client, user, {{"mug", "3"}, {"pen", "1"}});

  long long moved = carts::merge(client, guest, user, kTtl);

  auto lines = stored(client, user);
  {
    INFO("Guest {mug: 2, tea: 1} merged into user {mug: 3, pen: 1} gave "
         << show(lines)
         << "; expected {mug: 5, pen: 1, tea: 1}. The shopper put 2 mugs in as a guest and 3 "
            "before: they want 5. HSET overwrites (mug: 2); HINCRBY adds.");
    CHECK(lines == Fields{{"mug", "5"}, {"pen", "1"}, {"tea", "1"}});
  }
  INFO("merge returned " << moved << "; expected 2 (SKUs moved: mug and tea).");
  REQUIRE(moved == 2);
}

TEST_CASE("merge deletes the guest cart and refreshes the user cart's TTL", "[task6]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string guest = keys.key("guest");
  const std::string user = keys.key("user");
  seed(client, guest, {{"mug", "2"}});
  seed(client, user, {{"pen", "1"}}, 2'000ms);

  carts::merge(client, guest, user, kTtl);

  {
    auto left = stored(client, guest);
    INFO("After merge the guest cart still holds " << show(left)
                                                   << ": delete it, or the next login merges "
                                                      "it a second time.");
    CHECK(client.exists(guest) == 0);
  }
  require_fresh_ttl(client, user, "The user cart had 2000 ms left: merge(..., ttl = 60000 ms)",
                    "A login is activity: PEXPIRE the user's cart in the merge script.");
}

TEST_CASE("merge into a user who has no cart yet gives them the guest's cart, with a TTL",
          "[task6]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string guest = keys.key("guest");
  const std::string user = keys.key("user");
  seed(client, guest, {{"mug", "2"}, {"tea", "1"}});

  carts::merge(client, guest, user, kTtl);

  {
    auto lines = stored(client, user);
    INFO("After merge the user cart holds " << show(lines) << "; expected {mug: 2, tea: 1}.");
    CHECK(lines == Fields{{"mug", "2"}, {"tea", "1"}});
  }
  require_fresh_ttl(client, user, "merge(..., ttl = 60000 ms) into a user without a cart",
                    "The new user cart needs an expiry too: PEXPIRE after the HINCRBYs.");
}

TEST_CASE("a login without a guest cart still refreshes the user cart's TTL, and moves nothing",
          "[task6]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string guest = keys.key("guest");  // never created
  const std::string user = keys.key("user");
  seed(client, user, {{"mug", "3"}}, 2'000ms);  // about to expire

  long long moved = carts::merge(client, guest, user, kTtl);

  {
    auto lines = stored(client, user);
    INFO("merge of a guest cart that does not exist returned "
         << moved << " and left the user cart " << show(lines) << "; expected 0 and {mug: 3}.");
    CHECK(moved == 0);
    CHECK(lines == Fields{{"mug", "3"}});
  }
  require_fresh_ttl(client, user,
                    "The user cart had 2000 ms left: merge(..., ttl = 60000 ms) with no guest cart",
                    "Logging in is activity: the user cart's TTL is set again even when there is "
                    "nothing to move. A script that returns early when the guest cart is empty "
                    "skips its PEXPIRE.");
}

TEST_CASE("two logins merging the same guest cart at once move it only once", "[task6]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string user = keys.key("user");
  constexpr int logins = 8;
  constexpr int rounds = 20;
  std::atomic<long long> moved{0};

  // Each round: a fresh guest cart {mug: 2, tea: 1}, and 8 logins merging it at once.
  for (int round = 0; round < rounds; ++round) {
    const std::string guest = keys.key("guest-" + std::to_string(round));
    seed(client, guest, {{"mug", "2"}, {"tea", "1"}});
    grading::run_together(logins, [&](int) { moved += carts::merge(client, guest, user, kTtl); });
  }

  auto lines = stored(client, user);
  INFO(rounds << " times, " << logins
              << " logins merged a guest cart {mug: 2, tea: 1} at the same moment. The user "
              << "cart holds " << show(lines) << " and the merges reported " << moved.load()
              << " SKUs moved in all. Expected {mug: " << 2 * rounds << ", tea: " << rounds
              << "} and " << 2 * rounds
              << ". Reading the guest cart, adding and deleting it as separate commands lets "
                 "two logins both read it: do it all in one script.");
  CHECK(lines == Fields{{"mug", std::to_string(2 * rounds)}, {"tea", std::to_string(rounds)}});
  REQUIRE(moved.load() == 2 * rounds);
}

TEST_CASE("merging a cart into itself is refused and keeps the cart", "[task6]") {
  grading::KeyScope keys("carts");
  auto client = grading::connect();
  const std::string cart = keys.key("cart");
  seed(client, cart, {{"mug", "2"}});
  INFO(
      "merge(cart, cart) must throw std::invalid_argument: adding a cart to itself and then "
      "deleting the \"guest\" would double it and then lose it.");
  CHECK_THROWS_AS(carts::merge(client, cart, cart, kTtl), std::invalid_argument);
  REQUIRE(stored(client, cart) == Fields{{"mug", "2"}});
}
