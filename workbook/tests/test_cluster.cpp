// The cluster client. The slot arithmetic is checked always, against
// published values; the client itself against the real cluster of
// `make cluster-up` (VALKEY_CLUSTER_URL), in the hidden tests tagged
// [.cluster], which CTest runs as workbook/cluster. Without a cluster that
// run stops at once with "SKIPPED" and exit code 77, which CTest reports as
// skipped - never as passed.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"
#include "workbook/cluster.hpp"
#include "workbook/cluster_admin.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace admin = wb::cluster_admin;
using wb::key_slot;
using wb_test::contains;
using wb_test::thrown_by;

// ---- always: the slot arithmetic -------------------------------------------------------

TEST_CASE("crc16 is CRC-16/XMODEM: the published check value of \"123456789\" is 0x31C3") {
  // The check value of the CRC catalogue, and the one the cluster
  // specification gives for its CRC16.
  REQUIRE(wb::crc16("123456789") == 0x31C3);
  REQUIRE(wb::crc16("") == 0);
  REQUIRE(wb::crc16("A") == 0x58E5);
}

TEST_CASE("key_slot gives the slots the servers give (published CLUSTER KEYSLOT examples)") {
  // From the CLUSTER KEYSLOT page and the cluster tutorial.
  REQUIRE(key_slot("somekey") == 11058);
  REQUIRE(key_slot("foo{hash_tag}") == 2515);
  REQUIRE(key_slot("bar{hash_tag}") == 2515);
  REQUIRE(key_slot("foo") == 12182);
  REQUIRE(key_slot("bar") == 5061);
  REQUIRE(key_slot("hello") == 866);
  REQUIRE(key_slot("") == 0);
}

TEST_CASE("only a non-empty {...} is a hash tag, and only the first one counts") {
  REQUIRE(wb::hash_tag("{user1000}.following") == "user1000");
  REQUIRE(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
  REQUIRE(wb::hash_tag("foo{}{bar}") == "foo{}{bar}");  // empty: the whole key is hashed
  REQUIRE(wb::hash_tag("foo{{bar}}zap") == "{bar");
  REQUIRE(wb::hash_tag("foo{bar}{zap}") == "bar");
  REQUIRE(wb::hash_tag("{}") == "{}");
  REQUIRE(wb::hash_tag("}{a}") == "a");
  REQUIRE(wb::hash_tag("no braces") == "no braces");
  REQUIRE(wb::hash_tag("open{only") == "open{only");
  REQUIRE(key_slot("foo{}{bar}") != key_slot("bar"));
}

TEST_CASE("the keys of a command are found by its name") {
  using wb::detail::command_keys;
  using V = std::vector<std::string>;
  REQUIRE(command_keys({"GET", "k"}) == V{"k"});
  REQUIRE(command_keys({"HSET", "h", "f", "v"}) == V{"h"});
  REQUIRE(command_keys({"DEL", "a", "b"}) == V{"a", "b"});
  REQUIRE(command_keys({"mset", "a", "1", "b", "2"}) == V{"a", "b"});
  REQUIRE(command_keys({"EVAL", "return 1", "2", "a", "b", "arg"}) == V{"a", "b"});
  REQUIRE(command_keys({"EVAL", "return 1", "0", "arg"}).empty());
  REQUIRE(command_keys({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
          V{"d", "a", "b"});
  REQUIRE(command_keys({"RENAME", "a", "b"}) == V{"a", "b"});
  REQUIRE(command_keys({"PING"}).empty());
  REQUIRE(command_keys({"WAIT", "1", "100"}).empty());
  REQUIRE(command_keys({"BRPOP", "a", "b", "0"}) == V{"a", "b"});
  REQUIRE(command_keys({"MGET", "a", "b"}) == V{"a", "b"});
}

TEST_CASE("keys in different slots are refused with CrossSlotError naming each key and slot") {
  auto t = thrown_by([] { wb::detail::common_slot({"cart:1", "lock:1"}, "EVAL"); });
  INFO(t.what);
  REQUIRE(t.type == "ReplyError");  // CrossSlotError is a ReplyError
  REQUIRE(contains(t.what, "CROSSSLOT"));
  REQUIRE(contains(t.what, "'cart:1' (slot " + std::to_string(key_slot("cart:1")) + ")"));
  REQUIRE(contains(t.what, "'lock:1' (slot " + std::to_string(key_slot("lock:1")) + ")"));
  try {
    wb::detail::common_slot({"a", "b"}, "DEL");
    FAIL("no CrossSlotError");
  } catch (const wb::CrossSlotError& e) {
    REQUIRE(e.keys().size() == 2u);
    REQUIRE(e.keys()[1] == std::make_pair("b"s, key_slot("b")));
  }
  REQUIRE(wb::detail::common_slot({"cart:{1}", "lock:{1}"}, "EVAL") == key_slot("1"));
  REQUIRE(wb::detail::common_slot({}, "PING") == -1);
}

TEST_CASE("MOVED and ASK replies are read into slot and address; anything else is not one") {
  using wb::detail::parse_redirect;
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", "h");
  REQUIRE(moved);
  REQUIRE_FALSE(moved->ask);
  REQUIRE(moved->slot == 3999);
  REQUIRE(moved->address == "127.0.0.1:6381");
  auto ask = parse_redirect("ASK 12 10.0.0.2:7002", "h");
  REQUIRE(ask);
  REQUIRE(ask->ask);
  REQUIRE(ask->address == "10.0.0.2:7002");
  REQUIRE(parse_redirect("MOVED 5 :7003", "127.0.0.1")->address == "127.0.0.1:7003");
  REQUIRE_FALSE(parse_redirect("ERR unknown command", "h"));
  REQUIRE_FALSE(parse_redirect("MOVED x 127.0.0.1:1", "h"));
  REQUIRE_FALSE(parse_redirect("MOVED 99999 127.0.0.1:1", "h"));
  REQUIRE_FALSE(parse_redirect("ASKING", "h"));
}

TEST_CASE("a cluster URL with a database number is refused: a cluster has only db 0") {
  auto t = thrown_by([] { wb::ValkeyCluster c("redis://127.0.0.1:7001/2"); });
  REQUIRE(t.type == "std::invalid_argument");
  REQUIRE(contains(t.what, "db 0"));
}

TEST_CASE("a CROSSSLOT command is refused before anything is sent, even with no cluster") {
  // Port 1: nothing listens there; the refusal comes first.
  wb::ValkeyCluster c("redis://127.0.0.1:1");
  c.record_commands();
  REQUIRE_THROWS_AS(c.del({"a", "b"}), wb::CrossSlotError);
  REQUIRE_THROWS_AS(c.eval<long long>("return 1", {"a", "b"}, {}), wb::CrossSlotError);
  REQUIRE_THROWS_AS(c.pipeline("{x}").set("{y}k", "v"), wb::CrossSlotError);
  REQUIRE(c.recorded_commands().empty());
}

TEST_CASE("redis-plus-plus's RedisCluster calls compile and keep their meaning (no cluster)") {
  // The constructor with pool options and role, the URL alone, batches with
  // new_connection / piped, eval with ranges: the shapes code written for
  // sw::redis::RedisCluster uses. Nothing is sent (port 1, a dry run).
  wb::ConnectionOptions opts = wb::ConnectionOptions::from_url("redis://127.0.0.1:1");
  wb::RedisCluster c(opts, wb::ConnectionPoolOptions{}, wb::Role::SLAVE, wb::ClusterOptions{});
  wb::RedisCluster by_url(std::string("redis://127.0.0.1:1"));
  c.workbook_dry_run();
  std::vector<std::string> keys{"{u}a", "{u}b"}, args{"1"};
  REQUIRE_THROWS_AS(
      c.eval<long long>("return 1", keys.begin(), keys.end(), args.begin(), args.end()),
      wb::ClosedError);
  REQUIRE_THROWS_AS(c.del(keys.begin(), keys.end()), wb::ClosedError);
  REQUIRE_THROWS_AS(c.set("{u}a", "v", true, wb::UpdateType::EXIST), wb::ClosedError);
  std::vector<std::string> argv{"SET", "{u}a", "v"};
  REQUIRE_THROWS_AS(c.command(argv.begin(), argv.end()), wb::ClosedError);
  auto p = c.pipeline("{u}", false);
  p.set("{u}a", "v").command(argv.begin(), argv.end());
  REQUIRE(p.size() == 2u);
  REQUIRE_THROWS_AS(p.exec(), wb::ClosedError);
  auto t = c.transaction("{u}", true, false);
  REQUIRE_THROWS_AS(t.command("GET", "{other}k"), wb::CrossSlotError);
  auto sent = c.workbook_recorded_commands();
  REQUIRE(sent.size() >= 5u);
  CHECK(sent[0].argv == std::vector<std::string>{"EVAL", "return 1", "2", "{u}a", "{u}b", "1"});
  CHECK(sent[2].argv == std::vector<std::string>{"SET", "{u}a", "v", "KEEPTTL", "XX"});
  // An empty range is an Error, as in wb::Valkey (and redis-plus-plus).
  std::vector<std::string> none;
  REQUIRE_THROWS_AS(c.del(none.begin(), none.end()), wb::Error);
}

TEST_CASE("wb::Pipeline queues a command given as a range, with wb::Valkey's refusals") {
  wb::Valkey client("redis://127.0.0.1:1");
  std::vector<std::string> select{"SELECT", "2"}, get{"GET", "k"};
  auto pipe = client.pipeline(false);
  REQUIRE_THROWS_AS(pipe.command(select.begin(), select.end()), std::invalid_argument);
  pipe.command(get.begin(), get.end());
  REQUIRE(pipe.size() == 1u);
  // Replies gathered by hand are named by the names given with them.
  wb::Reply error;
  error.type = wb::Reply::Type::Error;
  error.str = "ERR boom";
  wb::QueuedReplies replies({error}, {"GET 'k' (slot 7)"});
  auto e = thrown_by([&] { replies.get<long long>(0); });
  REQUIRE(e.type == "ReplyError");
  REQUIRE(contains(e.what, "GET 'k' (slot 7): ERR boom"));
}

TEST_CASE("a dry run of the cluster client records what it would send and sends nothing") {
  wb::ValkeyCluster c("redis://127.0.0.1:1");
  c.dry_run();
  auto t = thrown_by([&] { c.set("k", "v"); });
  REQUIRE(t.type == "ClosedError");
  auto sent = c.recorded_commands();
  REQUIRE(sent.size() == 1u);
  REQUIRE(sent[0].argv == std::vector<std::string>{"SET", "k", "v"});
  REQUIRE(sent[0].slot == key_slot("k"));
}

// ---- against the real cluster -----------------------------------------------------------
namespace {

// Stops the run, as skipped, when there is no cluster to test against.
void need_cluster() {
  static bool checked = false;
  if (checked) return;
  // These tests move slots and fail primaries over: one program at a time,
  // on a settled cluster, with every slot where the tests expect it.
  std::string why = admin::ready_for_changes(
      [] { return wb::ValkeyCluster(); },
      [](int waited) {
        std::cout << "  ... waiting for the cluster (" << waited
                  << " s): another program is moving its slots or failing its primaries over\n"
                  << std::flush;
      },
      [](const std::string& what) { std::cout << "  (before the tests: " << what << ")\n"; });
  if (why.empty()) {
    checked = true;
    return;
  }
  std::cout << "SKIPPED: the cluster tests need the workbook's cluster at "
            << wb::cluster_url_from_env() << " (" << why
            << "). Start it with `make cluster-up`. Nothing was tested against a cluster.\n";
  std::exit(77);
}

// The keys a test makes, deleted at its end. Every key has the prefix.
struct ClusterKeys {
  std::string prefix = "wbtest:cluster:" + wb::grading::random_hex(6) + ":";
  std::vector<std::string> made;
  std::string key(const std::string& name) {
    made.push_back(prefix + name);
    return made.back();
  }
  ~ClusterKeys() {
    try {
      wb::ValkeyCluster c;
      for (const auto& k : made) c.del(k);
    } catch (...) {
    }
  }
};

// A key of the test's that is in the slot `slot`'s shard... simpler: a key
// whose hash tag is `tag`.
std::string other_primary(wb::ValkeyCluster& c, const std::string& not_this) {
  for (const auto& p : c.slot_map().primaries())
    if (p != not_this) return p;
  return {};
}

// A hash tag whose slot is served by `primary`.
std::string tag_on(wb::ValkeyCluster& c, const std::string& primary) {
  auto map = c.slot_map();
  for (int i = 0;; ++i) {
    std::string tag = "{t" + std::to_string(i) + "}";
    if (map.owner(key_slot(tag)) == primary) return tag;
  }
}

std::vector<std::string> nodes_of(const std::vector<wb::RoutedCommand>& sent,
                                  const std::string& name) {
  std::vector<std::string> out;
  for (const auto& c : sent) {
    std::string n = c.name();
    if (n == "CLUSTER" && c.argv.size() > 1) n += " " + c.argv[1];
    if (n == name) out.push_back(c.node);
  }
  return out;
}

std::string describe(const std::vector<wb::RoutedCommand>& sent) {
  std::string out;
  for (const auto& c : sent)
    out += "  #" + std::to_string(c.round_trip) + " " + c.node + ": " + c.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("a program that changes the cluster holds its lock: a second one would wait",
          "[.cluster]") {
  need_cluster();  // takes the lock, as every grader on the cluster does
  wb::ValkeyCluster c;
  auto seed = wb::ConnectionOptions::from_url(wb::cluster_url_from_env());
  auto dir = wb::reply_cast<std::vector<std::string>>(
      c.node(seed.host + ":" + std::to_string(seed.port)).command("CONFIG", "GET", "dir"),
      "CONFIG GET dir");
  REQUIRE(dir.size() == 2u);
  std::string path = dir[1] + "/workbook-exclusive.lock";
  // Another process (a fork opens the file anew, as a second grader would)
  // cannot take it while this one runs.
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) _exit(2);
    _exit(::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO(path << ": the second process "
            << (WEXITSTATUS(status) == 1 ? "took the lock" : "could not open it"));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("the slot map covers every slot with three primaries, each with a replica",
          "[.cluster]") {
  need_cluster();
  wb::ValkeyCluster c;
  auto shards = c.shards();
  REQUIRE(shards.size() == 3u);
  int covered = 0;
  for (const auto& s : shards) {
    REQUIRE(s.replicas.size() == 1u);
    REQUIRE(s.primary.id.size() == 40u);
    for (const auto& [first, last] : s.slots) covered += last - first + 1;
  }
  REQUIRE(covered == wb::kClusterSlots);
  auto map = c.slot_map();
  for (int slot : {0, 5000, 10000, 16383}) REQUIRE_FALSE(map.owner(slot).empty());
}

TEST_CASE("key_slot agrees with the server's CLUSTER KEYSLOT, hash tags included", "[.cluster]") {
  need_cluster();
  wb::ValkeyCluster c;
  std::vector<std::string> keys = {
      "", "a", "foo{}{bar}", "foo{{bar}}zap", "{user1000}.following", "x{y}z{w}", "\xff\x00\x01"s,
      "{"};
  for (int i = 0; i < 200; ++i)
    keys.push_back("k" + std::to_string(i * 7919) + "{t" + std::to_string(i % 13) + "}");
  for (const auto& k : keys) {
    CAPTURE(k);
    REQUIRE(c.command<long long>("CLUSTER", "KEYSLOT", k) == key_slot(k));
  }
}

TEST_CASE("every command goes straight to the primary that serves its key", "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster c;
  c.slot_map();
  c.record_commands();
  std::set<std::string> nodes;
  for (int i = 0; i < 30; ++i) {
    std::string k = keys.key("spread:" + std::to_string(i));
    REQUIRE(c.set(k, std::to_string(i)));
    REQUIRE(c.get(k) == std::to_string(i));
    nodes.insert(c.node_for(k));
  }
  REQUIRE(nodes.size() == 3u);  // 30 keys of no common tag reach all three
  auto sent = c.recorded_commands();
  INFO(describe(sent));
  REQUIRE(sent.size() == 60u);  // no redirect, no reload
  for (const auto& cmd : sent) REQUIRE(cmd.node == c.node_for(cmd.argv[1]));
}

TEST_CASE("the typed commands of wb::Valkey work through the cluster client", "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster c;
  std::string h = keys.key("{t}h"), l = keys.key("{t}l"), s = keys.key("{t}s"),
              z = keys.key("{t}z"), n = keys.key("{t}n");
  REQUIRE(c.hset(h, {std::make_pair("a", "1"), std::make_pair("b", "2")}) == 2);
  std::map<std::string, std::string> fields;
  c.hgetall(h, std::inserter(fields, fields.end()));
  REQUIRE(fields == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  REQUIRE(c.hincrby(h, "a", 5) == 6);
  REQUIRE(c.rpush(l, {"x", "y"}) == 2);
  std::vector<std::string> items;
  c.lrange(l, 0, -1, std::back_inserter(items));
  REQUIRE(items == std::vector<std::string>{"x", "y"});
  REQUIRE(c.sadd(s, {"m1", "m2"}) == 2);
  REQUIRE(c.scard(s) == 2);
  REQUIRE(c.zadd(z, "ada", 3) == 1);
  REQUIRE(c.zincrby(z, 2, "ada") == 5);
  std::vector<std::pair<std::string, double>> scored;
  c.zrevrange(z, 0, -1, std::back_inserter(scored));
  REQUIRE(scored == std::vector<std::pair<std::string, double>>{{"ada", 5.0}});
  REQUIRE(c.incrby(n, 41) == 41);
  REQUIRE(c.pexpire(n, 10s));
  REQUIRE(c.pttl(n) > 9000);
  REQUIRE(c.exists({h, l, s}) == 3);  // one slot: one command
  REQUIRE(c.del({h, l, s, z, n}) == 5);
  c.mset({std::make_pair(keys.key("{m}a"), "1"), std::make_pair(keys.key("{m}b"), "2")});
  std::vector<wb::OptionalString> got;
  c.mget({keys.key("{m}a"), keys.key("{m}b"), keys.key("{m}c")}, std::back_inserter(got));
  REQUIRE(got == std::vector<wb::OptionalString>{"1"s, "2"s, std::nullopt});
  REQUIRE_THROWS_AS(c.mget({keys.key("{m}a"), keys.key("{n}a")}, std::back_inserter(got)),
                    wb::CrossSlotError);
  std::vector<std::string> batch = {"p", "q"};
  REQUIRE(c.rpush(keys.key("{m}l"), batch.begin(), batch.end()) == 2);
  REQUIRE(c.lmove(keys.key("{m}l"), keys.key("{m}l2"), wb::ListWhence::LEFT,
                  wb::ListWhence::RIGHT) == "p"s);
  REQUIRE(c.brpop(keys.key("{m}l2"), 1s) == std::make_pair(keys.key("{m}l2"), "p"s));
  REQUIRE(c.eval<long long>("return redis.call('INCR', KEYS[1]) + redis.call('INCR', KEYS[2])",
                            {keys.key("{e}a"), keys.key("{e}b")}, {}) == 2);
}

TEST_CASE("a pipeline and a transaction bound to a slot go to its node in one round trip",
          "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster c;
  std::string a = keys.key("{cart42}:items"), b = keys.key("{cart42}:lock");
  c.slot_map();
  c.record_commands();
  auto replies = c.transaction("{cart42}").hset(a, "sku", "1").set(b, "me", 5s).exec();
  REQUIRE(replies.size() == 2u);
  REQUIRE(replies.get<long long>(0) == 1);
  auto piped = c.pipeline(a).hget(a, "sku").pttl(b).exec();
  REQUIRE(piped.get<wb::OptionalString>(0) == "1"s);
  REQUIRE(piped.get<long long>(1) > 4000);
  auto sent = c.recorded_commands();
  INFO(describe(sent));
  REQUIRE(sent.size() == 6u);  // MULTI HSET SET EXEC, HGET PTTL
  REQUIRE(sent.front().round_trip + 1 == sent.back().round_trip);
  for (const auto& cmd : sent) REQUIRE(cmd.node == c.node_for(a));
}

TEST_CASE(
    "after a slot has moved, MOVED is followed, the map is reloaded and the next "
    "command goes straight to the new owner",
    "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;  // the operator's client
  std::string k = keys.key("{moved" + wb::grading::random_hex(3) + "}k");
  int slot = key_slot(k);
  wb::ValkeyCluster c;
  REQUIRE(c.set(k, "v1"));
  std::string from = c.node_for(k), to = other_primary(ops, from);
  admin::move_slot(ops, slot, to);
  c.record_commands();
  REQUIRE(c.get(k) == "v1"s);
  REQUIRE(c.set(k, "v2"));
  auto sent = c.recorded_commands();
  INFO(describe(sent));
  REQUIRE(nodes_of(sent, "GET") == std::vector<std::string>{from, to});
  REQUIRE(nodes_of(sent, "SET") == std::vector<std::string>{to});
  REQUIRE(nodes_of(sent, "CLUSTER SHARDS").size() == 1u);
  REQUIRE(c.node_for(k) == to);
  admin::move_slot(ops, slot, from);
  REQUIRE(c.get(k) == "v2"s);
}

TEST_CASE(
    "during a live reshard, ASK is followed with ASKING in the same round trip and the "
    "map is left as it is",
    "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;
  std::string tag = "{ask" + wb::grading::random_hex(3) + "}";
  std::string moved_key = keys.key(tag + "moved"), staying = keys.key(tag + "staying");
  wb::ValkeyCluster c;
  REQUIRE(c.set(moved_key, "m"));
  REQUIRE(c.set(staying, "s"));
  int slot = key_slot(moved_key);
  std::string from = c.node_for(moved_key), to = other_primary(ops, from);
  {
    admin::SlotMove move(ops, slot, to);
    move.move_key(moved_key);  // one of the two keys only
    c.record_commands();
    REQUIRE(c.get(moved_key) == "m"s);  // ASK -> ASKING + GET on the target
    REQUIRE(c.get(staying) == "s"s);    // still on the source
    // A multi-key command over one moved and one not-yet-moved key gets
    // TRYAGAIN; the client retries until the move is done.
    std::thread finisher([&] {
      std::this_thread::sleep_for(150ms);
      move.finish();
    });
    auto both = c.exists({moved_key, staying});
    finisher.join();
    REQUIRE(both == 2);
    auto sent = c.recorded_commands();
    INFO(describe(sent));
    REQUIRE(sent.size() >= 5u);
    REQUIRE(sent[0].argv == std::vector<std::string>{"GET", moved_key});
    REQUIRE(sent[0].node == from);
    REQUIRE(sent[1].name() == "ASKING");
    REQUIRE(sent[1].node == to);
    REQUIRE(sent[2].argv == std::vector<std::string>{"GET", moved_key});
    REQUIRE(sent[2].round_trip == sent[1].round_trip);
    REQUIRE(sent[3].argv == std::vector<std::string>{"GET", staying});
    REQUIRE(sent[3].node == from);  // the map did not change
  }
  admin::move_slot(ops, slot, from);
  admin::wait_until_stable(ops);
}

TEST_CASE("a transaction whose slot has moved is sent again to the new owner", "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;
  std::string k = keys.key("{tx" + wb::grading::random_hex(3) + "}n");
  wb::ValkeyCluster c;
  REQUIRE(c.incr(k) == 1);
  std::string from = c.node_for(k), to = other_primary(ops, from);
  admin::move_slot(ops, key_slot(k), to);
  auto replies = c.transaction(k).incr(k).incr(k).exec();
  REQUIRE(replies.get<long long>(1) == 3);  // once, not twice
  auto piped = c.pipeline(k).incr(k).get(k).exec();
  REQUIRE(piped.get<long long>(0) == 4);
  admin::move_slot(ops, key_slot(k), from);
  REQUIRE(c.get(k) == "4"s);
}

TEST_CASE("more redirects than max_redirects end in RedirectError", "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;
  std::string k = keys.key("{lim" + wb::grading::random_hex(3) + "}k");
  wb::ValkeyCluster strict(wb::cluster_url_from_env(), wb::Role::MASTER, {0, 1000ms});
  REQUIRE(strict.set(k, "v"));
  std::string from = strict.node_for(k);
  admin::move_slot(ops, key_slot(k), other_primary(ops, from));
  auto t = thrown_by([&] { strict.get(k); });
  admin::move_slot(ops, key_slot(k), from);
  INFO(t.what);
  REQUIRE(t.type == "Error");
  REQUIRE(contains(t.what, "redirected it more than 0 times"));
}

TEST_CASE("half-moved slots that no move is working on are put right, and said so",
          "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;
  std::string k = keys.key("{half" + wb::grading::random_hex(3) + "}k");
  REQUIRE(ops.set(k, "v"));
  const int slot = key_slot(k);
  const std::string owner = ops.node_for(k), other = other_primary(ops, owner);
  std::string owner_id, other_id;
  for (const auto& s : ops.shards()) {
    if (s.primary.address() == owner) owner_id = s.primary.id;
    if (s.primary.address() == other) other_id = s.primary.id;
  }
  std::vector<std::string> said;
  auto hear = [&](const std::string& what) { said.push_back(what); };
  std::string problem;
  // A mark on the owner alone, as a run that stopped after MIGRATING leaves it.
  admin::set_slot(ops, owner, {std::to_string(slot), "MIGRATING", other_id});
  REQUIRE_FALSE(admin::stable(ops, &problem));
  REQUIRE(contains(problem, "half moved"));
  REQUIRE(admin::put_right_half_moves(ops, false, hear) == 1);
  REQUIRE(said.size() == 1);
  CHECK(contains(said[0], "slot " + std::to_string(slot) + " was marked MIGRATING to " + other));
  CHECK(contains(said[0], "cleared the mark"));
  admin::wait_until_stable(ops);
  // Both sides marked, as a run that stopped in the middle of a move: left
  // alone without finish_moves, finished with it (the key goes along).
  admin::set_slot(ops, other, {std::to_string(slot), "IMPORTING", owner_id});
  admin::set_slot(ops, owner, {std::to_string(slot), "MIGRATING", other_id});
  said.clear();
  REQUIRE(admin::put_right_half_moves(ops, false, hear) == 0);
  REQUIRE(admin::put_right_half_moves(ops, true, hear) == 1);
  CHECK(contains(said.at(0), "finished the move"));
  admin::wait_until_stable(ops);
  REQUIRE(ops.node_for(k) == other);
  REQUIRE(ops.get(k) == std::optional<std::string>("v"));
  admin::move_slot(ops, slot, owner);
  REQUIRE(ops.node_for(k) == owner);
}

TEST_CASE(
    "reads from replicas send READONLY with the read, to a replica; writes go to the "
    "primary",
    "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster c(wb::cluster_url_from_env(), wb::Role::SLAVE);
  std::string k = keys.key("{ro}k");
  REQUIRE(c.set(k, "v"));
  // Wait until the replica has it (WAIT must share the write's connection).
  auto w = c.pipeline(k).set(k, "v2").command("WAIT", 1, 1000).exec();
  REQUIRE(w.get<long long>(1) == 1);
  c.record_commands();
  REQUIRE(c.get(k) == "v2"s);
  auto sent = c.recorded_commands();
  INFO(describe(sent));
  REQUIRE(sent.size() == 2u);
  REQUIRE(sent[0].name() == "READONLY");
  REQUIRE(sent[0].round_trip == sent[1].round_trip);
  auto map = c.slot_map();
  auto replicas = map.replicas(key_slot(k));
  REQUIRE(std::find(replicas.begin(), replicas.end(), sent[1].node) != replicas.end());
}

TEST_CASE("after a manual failover the client follows the new primary, nothing lost",
          "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;
  std::string k = keys.key(tag_on(ops, admin::least_recently_failed_over(ops)) + "n");
  wb::ValkeyCluster c;
  REQUIRE(c.incr(k) == 1);
  std::string primary = c.node_for(k);
  std::string promoted = admin::fail_over(ops, primary);
  REQUIRE(c.incr(k) == 2);
  REQUIRE(c.node_for(k) == promoted);
  admin::fail_over(ops, promoted);  // back as it was
  REQUIRE(c.incr(k) == 3);
  REQUIRE(c.node_for(k) == primary);
  admin::wait_until_stable(ops);
}

TEST_CASE(
    "a primary killed: commands fail while it is down, then the client reconnects to "
    "the promoted replica",
    "[.cluster]") {
  need_cluster();
  ClusterKeys keys;
  wb::ValkeyCluster ops;
  std::string k = keys.key(tag_on(ops, admin::least_recently_failed_over(ops)) + "n");
  wb::ValkeyCluster c;
  REQUIRE(c.incr(k) == 1);
  // WAIT: the replica has the write, so the failover cannot lose it.
  REQUIRE(c.pipeline(k).incr(k).command("WAIT", 1, 1000).exec().get<long long>(1) == 1);
  std::string primary = c.node_for(k), replica = admin::replica_of(ops, primary);
  REQUIRE_FALSE(replica.empty());
  std::string why;
  if (!admin::kill_node(ops, primary, &why)) {
    WARN("not tested: " << why);
    return;
  }
  // Whatever happens below, the killed node is started again and made the
  // primary again, so the next test finds the cluster as this one did.
  struct Restore {
    wb::ValkeyCluster& ops;
    std::string node;
    bool done = false;
    ~Restore() {
      if (done) return;
      try {
        admin::restart_node(ops, node);
        admin::wait_until_stable(ops, 20s);
        for (const auto& s : ops.shards())
          for (const auto& r : s.replicas)
            if (r.address() == node) admin::fail_over(ops, s.primary.address());
      } catch (...) {
      }
    }
  } restore{ops, primary};
  int failures = 0;
  long long value = 0;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 20s) {
    try {
      value = std::stoll(c.get(k).value_or("0"));
      break;
    } catch (const wb::Error&) {
      ++failures;
      std::this_thread::sleep_for(50ms);
    }
  }
  CAPTURE(failures);
  REQUIRE(failures > 0);
  REQUIRE(value == 2);
  REQUIRE(c.node_for(k) == replica);
  restore.done = true;
  admin::restart_node(ops, primary);
  // The old primary comes back as a replica (it claims its old slots for a
  // moment, until the others tell it about the failover); once every node
  // agrees and it is in sync, make it the primary again.
  admin::wait_until_stable(ops, 20s);
  REQUIRE(admin::replica_of(ops, replica) == primary);
  admin::fail_over(ops, replica);
  admin::wait_until_stable(ops);
  REQUIRE(c.incr(k) == 3);
  REQUIRE(c.node_for(k) == primary);
  // A replica that missed the end of a slot move (Valkey 8 passes CLUSTER
  // SETSLOT on only to online replicas: replica_not_online in
  // cluster_admin.cpp) can, once promoted, claim a slot away from its range.
  // The moves now wait for that, but the tests after this one expect the
  // layout the lesson shows: every slot goes back to its range.
  admin::restore_layout(ops, [](const std::string& what) {
    std::cout << "  (after the kill test: " << what << ")\n";
  });
}
