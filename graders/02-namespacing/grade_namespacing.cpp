// Grader for lesson 02 - key names: collisions, namespaces and SCAN.
#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "namespacing.hpp"
#include "workbook/grading.hpp"

namespace grading = wb::grading;

namespace {

// Fails the test, before the real server sees anything, when `work` starts
// with KEYS. `work` first runs in a dry run (grading::dry_run): what it tries
// to send is recorded and stopped, so a KEYS (which blocks the server while it
// reads every key) never reaches Valkey from this grader.
void require_no_keys(const std::function<void(wb::Valkey&)>& work) {
  auto sent = grading::dry_run(work);
  INFO("Your code began with:\n"
       << grading::describe(sent, 3)
       << "KEYS walks the whole keyspace in one command: while it runs, the server answers "
          "nobody else, and the more keys, the longer everyone waits. Walk it in small steps with "
          "SCAN cursor MATCH pattern COUNT n instead. (This grader never lets KEYS reach the "
          "server: what you see here was stopped before it was sent.)");
  REQUIRE(grading::count(sent, "KEYS") == 0);
}

// Runs `call` (the learner's function, given an empty namespace) in a dry
// run: it must throw std::invalid_argument without sending anything. Nothing
// it tries to send reaches the server, so a wrong answer cannot list or delete
// keys outside the test's scope (the pattern ":*" would match other people's).
void require_refused_before_sending(const std::string& function,
                                    const std::function<void(wb::Valkey&)>& call) {
  bool refused = false;
  auto sent = grading::dry_run([&](wb::Valkey& c) {
    try {
      call(c);
    } catch (const std::invalid_argument&) {
      refused = true;
    }
  });
  INFO(function << "(client, \"\") tried to send:\n"
                << grading::describe(sent)
                << "An empty namespace would mean every key: throw std::invalid_argument, "
                   "before talking to the server. (This grader did not let the command reach "
                   "the server.)");
  CHECK(sent.empty());
  REQUIRE(refused);
}

// Writes `names` under the scope (each key holds "v"), in one round trip.
void create(wb::Valkey& client, const std::vector<std::string>& names) {
  auto pipe = client.pipeline();
  for (const auto& name : names) pipe.set(name, "v");
  pipe.exec();
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string show(const std::vector<std::string>& keys, const std::string& prefix) {
  if (keys.empty()) return "  (none)\n";
  std::string out;
  for (std::size_t i = 0; i < keys.size() && i < 12; ++i) {
    const std::string& k = keys[i];
    out += "  " + (k.rfind(prefix, 0) == 0 ? "<scope>" + k.substr(prefix.size()) : k) + "\n";
  }
  if (keys.size() > 12) out += "  ... " + std::to_string(keys.size()) + " keys in all\n";
  return out;
}

}  // namespace

// ---- task 1: make_key --------------------------------------------------------------

TEST_CASE("make_key joins the parts with ':'", "[task1]") {
  std::string three = namespacing::make_key({"app", "user", "42"});
  INFO("make_key({\"app\", \"user\", \"42\"}) returned \"" << three
                                                           << "\"; expected \"app:user:42\".");
  REQUIRE(three == "app:user:42");
  std::string one = namespacing::make_key({"solo"});
  INFO("make_key({\"solo\"}) returned \"" << one << "\"; expected \"solo\" (no separator).");
  REQUIRE(one == "solo");
}

TEST_CASE("a ':' inside a part is escaped, so (\"user\", \"a:b\") and (\"user:a\", \"b\") differ",
          "[task1]") {
  std::string first = namespacing::make_key({"user", "a:b"});
  std::string second = namespacing::make_key({"user:a", "b"});
  INFO(
      "make_key({\"user\", \"a:b\"}) returned \""
      << first
      << "\" and make_key({\"user:a\", \"b\"}) "
         "returned \""
      << second
      << "\". Plain joining gives \"user:a:b\" for both: the user named "
         "\"a:b\" and the one in namespace \"user:a\" would overwrite each other's data. Write ':' "
         "inside a part as \"%3A\".");
  CHECK(first != second);
  CHECK(first == "user:a%3Ab");
  REQUIRE(second == "user%3Aa:b");
}

TEST_CASE("a '%' inside a part is escaped too, so an escaped-looking part cannot collide",
          "[task1]") {
  std::string literal = namespacing::make_key({"x", "a%3Ab"});
  std::string with_colon = namespacing::make_key({"x", "a:b"});
  INFO("make_key({\"x\", \"a%3Ab\"}) returned \""
       << literal
       << "\" and make_key({\"x\", \"a:b\"}) "
          "returned \""
       << with_colon
       << "\". If only ':' is escaped, a part that already holds the "
          "text \"%3A\" reads the same as one holding ':'. Escape the escape character first: '%' "
          "becomes \"%25\".");
  CHECK(literal != with_colon);
  CHECK(literal == "x:a%253Ab");
  REQUIRE(with_colon == "x:a%3Ab");
}

TEST_CASE("make_key copies every other byte as it is: spaces, UTF-8, glob characters, braces",
          "[task1]") {
  const std::string odd = "caf\xc3\xa9 *?[]\\{x}";
  std::string key = namespacing::make_key({"note", odd});
  INFO("make_key({\"note\", \"" << odd << "\"}) returned \"" << key
                                << "\". Only ':' and '%' are "
                                   "escaped; a key may hold any other byte.");
  REQUIRE(key == "note:" + odd);
}

TEST_CASE("make_key refuses an empty part, and no parts at all", "[task1]") {
  INFO(
      "An empty part usually means an id that was never filled in: make_key({\"user\", \"\"}) "
      "would give \"user:\", one key shared by every such bug. Throw std::invalid_argument.");
  CHECK_THROWS_AS(namespacing::make_key({"user", ""}), std::invalid_argument);
  CHECK_THROWS_AS(namespacing::make_key({"", "42"}), std::invalid_argument);
  REQUIRE_THROWS_AS(namespacing::make_key({}), std::invalid_argument);
}

// ---- task 2: list_namespace ----------------------------------------------------------

TEST_CASE("list_namespace walks the keyspace with SCAN MATCH COUNT, never KEYS", "[task2]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  const std::string ns = keys.key("user");
  create(client, {ns + ":1", ns + ":2"});
  require_no_keys([&](wb::Valkey& c) { namespacing::list_namespace(c, ns); });

  client.record_commands();
  namespacing::list_namespace(client, ns);
  auto sent = client.recorded_commands();
  auto scans = grading::only(sent, "SCAN");
  INFO("list_namespace sent:\n"
       << grading::describe(sent)
       << "Expected SCAN commands only, each with MATCH (so the server filters the keys) and "
          "COUNT (how much of the keyspace one call looks at).");
  REQUIRE(!scans.empty());
  REQUIRE(scans.size() == sent.size());
  for (const auto& scan : scans) {
    CHECK(grading::has_arg(scan, "MATCH"));
    REQUIRE(grading::has_arg(scan, "COUNT"));
  }
}

TEST_CASE("list_namespace returns every key of the namespace, each once", "[task2]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  const std::string ns = keys.key("user");
  std::vector<std::string> mine{ns + ":1", ns + ":2", ns + ":3", ns + ":ada", ns + ":x:y"};
  create(client, mine);
  require_no_keys([&](wb::Valkey& c) { namespacing::list_namespace(c, ns); });

  auto listed = namespacing::list_namespace(client, ns);
  INFO("Namespace <scope>user holds:\n"
       << show(sorted(mine), keys.prefix()) << "list_namespace returned:\n"
       << show(sorted(listed), keys.prefix())
       << "A key missing usually means the SCAN loop stopped before the cursor came back to 0; "
          "a key twice, that SCAN's repeats were not removed.");
  REQUIRE(sorted(listed) == sorted(mine));
}

TEST_CASE("a neighbouring namespace is not listed: \"user\" does not include \"users\"",
          "[task2]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  const std::string ns = keys.key("user");
  create(client, {ns + ":1", ns + ":2", keys.key("users:1"), keys.key("username"), ns});
  require_no_keys([&](wb::Valkey& c) { namespacing::list_namespace(c, ns); });

  auto listed = namespacing::list_namespace(client, ns);
  INFO("list_namespace(<scope>user) returned:\n"
       << show(sorted(listed), keys.prefix())
       << "Expected only <scope>user:1 and <scope>user:2. The pattern \"user*\" also matches "
          "\"users:1\", \"username\" and the key \"user\" itself: put the separator in the "
          "pattern, \"user:*\".");
  REQUIRE(sorted(listed) == sorted({ns + ":1", ns + ":2"}));
}

TEST_CASE("glob characters in the namespace match only themselves", "[task2]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  // Each namespace has one key of its own and a neighbour that its text,
  // read as a glob pattern, would match.
  struct Case {
    std::string ns, neighbour;
  };
  const std::vector<Case> cases{
      {"shop[1]", "shop1"}, {"a*", "abc"}, {"who?", "whom"}, {"back\\slash", "backslash"}};
  for (const auto& c : cases)
    create(client, {keys.key(c.ns + ":mine"), keys.key(c.neighbour + ":theirs")});

  for (const auto& c : cases) {
    const std::string ns = keys.key(c.ns);
    require_no_keys([&](wb::Valkey& cl) { namespacing::list_namespace(cl, ns); });
    auto listed = namespacing::list_namespace(client, ns);
    INFO("list_namespace(<scope>"
         << c.ns << ") returned:\n"
         << show(sorted(listed), keys.prefix()) << "Expected only <scope>" << c.ns
         << ":mine. In a MATCH pattern *, ?, [...] and \\ are "
            "wildcards, so the namespace's own text must be escaped (put a \\ before each of "
            "* ? [ ] \\) or it lists a neighbour's keys (here <scope>"
         << c.neighbour << ":theirs) and misses its own.");
    REQUIRE(listed == std::vector<std::string>{keys.key(c.ns + ":mine")});
  }
}

TEST_CASE("a large namespace is listed completely: SCAN until the cursor is 0", "[task2]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  const std::string ns = keys.key("big");
  std::vector<std::string> mine;
  for (int i = 0; i < 1200; ++i) mine.push_back(ns + ":" + std::to_string(i));
  create(client, mine);
  require_no_keys([&](wb::Valkey& c) { namespacing::list_namespace(c, ns); });

  client.record_commands();
  auto listed = namespacing::list_namespace(client, ns);
  auto scans = grading::count(client.recorded_commands(), "SCAN");
  auto unique = sorted(listed);
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  INFO("The namespace holds 1200 keys; list_namespace returned "
       << listed.size() << " (" << unique.size() << " different) after " << scans
       << " SCAN call(s). One SCAN looks at "
          "only part of the keyspace: keep calling it with the cursor it returned until the cursor "
          "is 0. A key SCAN returns twice must be listed once.");
  CHECK(unique.size() == 1200);
  REQUIRE(listed.size() == 1200);
}

TEST_CASE("list_namespace refuses an empty namespace before sending anything", "[task2]") {
  require_refused_before_sending("list_namespace",
                                 [](wb::Valkey& c) { namespacing::list_namespace(c, ""); });
}

// ---- task 3: delete_namespace --------------------------------------------------------

TEST_CASE("delete_namespace deletes every key of the namespace and returns how many", "[task3]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  const std::string ns = keys.key("cart");
  std::vector<std::string> mine;
  for (int i = 0; i < 25; ++i) mine.push_back(ns + ":" + std::to_string(i));
  create(client, mine);
  require_no_keys([&](wb::Valkey& c) { namespacing::delete_namespace(c, ns); });

  long long deleted = namespacing::delete_namespace(client, ns);
  auto left = keys.keys();
  INFO("delete_namespace returned " << deleted
                                    << " for a namespace of 25 keys; afterwards the "
                                       "scope still holds:\n"
                                    << show(left, keys.prefix())
                                    << "Expected 25 and no keys left: "
                                       "return the sum of what DEL answered.");
  CHECK(left.empty());
  REQUIRE(deleted == 25);

  long long again = namespacing::delete_namespace(client, ns);
  INFO("A second delete_namespace on the now empty namespace returned " << again
                                                                        << "; expected 0.");
  REQUIRE(again == 0);
}

TEST_CASE("delete_namespace leaves every neighbour alone", "[task3]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  std::vector<std::string> neighbours{keys.key("users:1"), keys.key("username"),
                                      keys.key("user"),    keys.key("shop1:x"),
                                      keys.key("abc:x"),   keys.key("whom:x")};
  create(client, neighbours);
  for (std::string ns : {"user", "shop[1]", "a*", "who?"}) {
    create(client, {keys.key(ns + ":1"), keys.key(ns + ":2")});
    require_no_keys([&](wb::Valkey& c) { namespacing::delete_namespace(c, keys.key(ns)); });
    namespacing::delete_namespace(client, keys.key(ns));
  }
  auto left = keys.keys();
  INFO(
      "After deleting namespaces <scope>user, <scope>shop[1], <scope>a* and <scope>who?, the "
      "scope holds:\n"
      << show(left, keys.prefix()) << "Expected exactly the six neighbours:\n"
      << show(sorted(neighbours), keys.prefix())
      << "A missing neighbour was deleted by a pattern that matched too much: keep the ':' in "
         "the pattern and escape * ? [ ] \\ in the namespace. A key of the namespace still "
         "there was missed.");
  REQUIRE(left == sorted(neighbours));
}

TEST_CASE("delete_namespace deletes in batches, not one key at a time", "[task3]") {
  grading::KeyScope keys("namespacing");
  auto client = grading::connect();
  const std::string ns = keys.key("old");
  std::vector<std::string> mine;
  for (int i = 0; i < 400; ++i) mine.push_back(ns + ":" + std::to_string(i));
  create(client, mine);
  require_no_keys([&](wb::Valkey& c) { namespacing::delete_namespace(c, ns); });

  client.record_commands();
  long long deleted = namespacing::delete_namespace(client, ns);
  auto sent = client.recorded_commands();
  auto scans = grading::count(sent, "SCAN");
  auto trips = grading::round_trips(sent);
  INFO("Deleting 400 keys took "
       << trips << " round trips: " << scans << " SCAN, " << grading::count(sent, "DEL") << " DEL, "
       << grading::count(sent, "UNLINK")
       << " UNLINK. Expected at most one delete round trip per SCAN batch (at most " << 2 * scans
       << " round trips): give DEL (or UNLINK) all the keys of a batch at once. "
          "One round trip per key makes the delete as slow as the network times the key count.");
  CHECK(deleted == 400);
  REQUIRE(trips <= 2 * scans);
}

TEST_CASE("delete_namespace refuses an empty namespace before sending anything", "[task3]") {
  require_refused_before_sending("delete_namespace",
                                 [](wb::Valkey& c) { namespacing::delete_namespace(c, ""); });
}
