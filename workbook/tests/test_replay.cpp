// The transcript replay (workbook/tools/replay*): the CLI's tokenizer and
// printer, the lesson-text scanner, the matcher, the key rules, and a session
// against the real server.
//
// The expected CLI output below was printed by valkey-cli 8.0.1 and
// redis-cli 7.0.15 (identical for all of these), from `--no-raw` runs of the
// same input lines.
#include <map>
#include <string>
#include <vector>

#include "fake_server.hpp"
#include "replay.hpp"
#include "replay_session.hpp"
#include "support.hpp"
#include "workbook/cluster.hpp"
#include "workbook/grading.hpp"

using namespace std::string_literals;
using wb::Reply;
namespace replay = wb::replay;
using Args = std::vector<std::string>;
using Lines = std::vector<std::string>;

namespace {

Reply status(std::string s) {
  Reply r;
  r.type = Reply::Type::Status;
  r.str = std::move(s);
  return r;
}
Reply error(std::string s) {
  Reply r = status(std::move(s));
  r.type = Reply::Type::Error;
  return r;
}
Reply bulk(std::string s) {
  Reply r = status(std::move(s));
  r.type = Reply::Type::String;
  return r;
}
Reply integer(long long n) {
  Reply r;
  r.type = Reply::Type::Integer;
  r.integer = n;
  return r;
}
Reply nil() { return Reply{}; }
Reply array(std::vector<Reply> elements) {
  Reply r;
  r.type = Reply::Type::Array;
  r.elements = std::move(elements);
  return r;
}

}  // namespace

// ---- split_args ------------------------------------------------------------------

TEST_CASE("split_args splits at blanks and honours both kinds of quotes, as the CLI does") {
  CHECK(replay::split_args("SET greeting hello") == Args{"SET", "greeting", "hello"});
  CHECK(replay::split_args("SET example:02:42 '{\"name\":\"Ada\"}'") ==
        Args{"SET", "example:02:42", "{\"name\":\"Ada\"}"});
  CHECK(replay::split_args("HSET e name \"Chloe Nguyen\"") ==
        Args{"HSET", "e", "name", "Chloe Nguyen"});
  CHECK(replay::split_args("ECHO    spaced\t\ttabs   ") == Args{"ECHO", "spaced", "tabs"});
  CHECK(replay::split_args("ECHO \"\"") == Args{"ECHO", ""});
  CHECK(replay::split_args("ECHO ''") == Args{"ECHO", ""});
  CHECK(replay::split_args("   ") == Args{});
  // A quote may open in the middle of an argument.
  CHECK(replay::split_args("ECHO a\"b c\"") == Args{"ECHO", "ab c"});
  CHECK(replay::split_args("ECHO x'y z'") == Args{"ECHO", "xy z"});
  CHECK(replay::split_args("ECHO \"a\"\t") == Args{"ECHO", "a"});
}

TEST_CASE("split_args decodes the escapes of double quotes; single quotes take only \\'") {
  CHECK(replay::split_args(R"(SET v "a\tb\nc\"d\\e\x01\x7f\x80 \a\b\r")") ==
        Args{"SET", "v", "a\tb\nc\"d\\e\x01\x7f\x80 \a\b\r"});
  CHECK(replay::split_args(R"(SET u "\xc3\xa9t\xc3\xa9")") ==
        Args{"SET", "u", "\xc3\xa9t\xc3\xa9"});
  CHECK(replay::split_args(R"(SET n "\x00not-found")") == Args{"SET", "n", "\0not-found"s});
  CHECK(replay::split_args(R"(ECHO "\q\x4g\x41")") == Args{"ECHO", "qx4gA"});
  CHECK(replay::split_args(R"(ECHO 'it\'s')") == Args{"ECHO", "it's"});
  CHECK(replay::split_args(R"(ECHO 'a\nb')") == Args{"ECHO", "a\\nb"});
}

TEST_CASE("split_args refuses what the CLI answers with \"Invalid argument(s)\"") {
  CHECK_FALSE(replay::split_args("ECHO \"x\"y"));  // a closing quote followed by a letter
  CHECK_FALSE(replay::split_args("ECHO a\"b c\"d"));
  CHECK_FALSE(replay::split_args("ECHO 'a''b'"));
  CHECK_FALSE(replay::split_args("ECHO \"unterminated"));
  CHECK_FALSE(replay::split_args("ECHO 'unterminated"));
  CHECK_FALSE(replay::split_args("ECHO \"a\\"));  // a backslash at the very end
}

// ---- format_reply ----------------------------------------------------------------

TEST_CASE("format_reply prints plain replies as the CLI does") {
  CHECK(replay::format_reply(status("OK")) == Lines{"OK"});
  CHECK(replay::format_reply(status("FINE")) == Lines{"FINE"});
  CHECK(replay::format_reply(error("MYERR bad")) == Lines{"(error) MYERR bad"});
  CHECK(replay::format_reply(integer(-2)) == Lines{"(integer) -2"});
  CHECK(replay::format_reply(nil()) == Lines{"(nil)"});
  CHECK(replay::format_reply(array({})) == Lines{"(empty array)"});
  CHECK(replay::format_reply(bulk("{\"name\":\"Ada\"}")) == Lines{R"("{\"name\":\"Ada\"}")"});
}

TEST_CASE("format_reply escapes a string's bytes as the CLI does, UTF-8 included") {
  CHECK(replay::format_reply(bulk("a\tb\nc\"d\\e\x01\x7f\x80 \a\b\r")) ==
        Lines{R"("a\tb\nc\"d\\e\x01\x7f\x80 \a\b\r")"});
  CHECK(replay::format_reply(bulk("\xc3\xa9t\xc3\xa9")) == Lines{R"("\xc3\xa9t\xc3\xa9")"});
  CHECK(replay::format_reply(bulk("\0not-found"s)) == Lines{R"("\x00not-found")"});
}

TEST_CASE("format_reply numbers nested arrays and aligns numbers from ten elements on") {
  // EVAL "return {1,{2,{3,'x'}},{}}" 0
  CHECK(replay::format_reply(array({integer(1), array({integer(2), array({integer(3), bulk("x")})}),
                                    array({})})) == Lines{
                                                        "1) (integer) 1",
                                                        "2) 1) (integer) 2",
                                                        "   2) 1) (integer) 3",
                                                        "      2) \"x\"",
                                                        "3) (empty array)",
                                                    });
  // RPUSH l a b c d e f g h i j k; LRANGE l 0 -1
  std::vector<Reply> letters;
  for (char c = 'a'; c <= 'k'; ++c) letters.push_back(bulk(std::string(1, c)));
  auto lines = replay::format_reply(array(letters));
  REQUIRE(lines.size() == 11);
  CHECK(lines[0] == " 1) \"a\"");
  CHECK(lines[8] == " 9) \"i\"");
  CHECK(lines[10] == "11) \"k\"");
  // The start of COMMAND INFO eval: an array of ten inside an array of one.
  std::vector<Reply> info{bulk("eval"), integer(-3), array({status("noscript"), status("stale")})};
  for (int i = 0; i < 6; ++i) info.push_back(integer(0));
  info.push_back(array({}));
  CHECK(replay::format_reply(array({array(info)})) == Lines{
                                                          "1)  1) \"eval\"",
                                                          "    2) (integer) -3",
                                                          "    3) 1) noscript",
                                                          "       2) stale",
                                                          "    4) (integer) 0",
                                                          "    5) (integer) 0",
                                                          "    6) (integer) 0",
                                                          "    7) (integer) 0",
                                                          "    8) (integer) 0",
                                                          "    9) (integer) 0",
                                                          "   10) (empty array)",
                                                      });
  // EXEC: the queued commands' replies, errors included.
  CHECK(replay::format_reply(array({status("OK"), error("WRONGTYPE Operation against a key")})) ==
        Lines{"1) OK", "2) (error) WRONGTYPE Operation against a key"});
}

// ---- scan_markdown -----------------------------------------------------------------

TEST_CASE("scan_markdown finds the transcript blocks, their steps and reply lines") {
  auto t = replay::scan_markdown(
      "# A lesson\n"
      "\n"
      "```\n"
      "127.0.0.1:6379> SET greeting hello\n"
      "OK\n"
      "127.0.0.1:6379> MULTI\n"
      "OK\n"
      "127.0.0.1:6379(TX)> GET greeting\n"
      "QUEUED\n"
      "```\n"
      "\n"
      "```cpp\n"
      "wb::Valkey client;  // redis://127.0.0.1:6379\n"
      "```\n"
      "- in a list:\n"
      "\n"
      "  ```\n"
      "  127.0.0.1:6379> CONFIG GET maxmemory-policy\n"
      "  1) \"maxmemory-policy\"\n"
      "  2) \"noeviction\"\n"
      "  ```\n");
  CHECK(t.problems.empty());
  REQUIRE(t.blocks.size() == 2);
  const auto& first = t.blocks[0];
  CHECK(first.line == 3);
  REQUIRE(first.steps.size() == 3);
  CHECK(first.steps[0].input == "SET greeting hello");
  CHECK(first.steps[0].line == 4);
  CHECK_FALSE(first.steps[0].tx_prompt);
  REQUIRE(first.steps[0].reply.size() == 1);
  CHECK(first.steps[0].reply[0].text == "OK");
  CHECK(first.steps[0].reply[0].line == 5);
  CHECK(first.steps[2].tx_prompt);
  CHECK(first.steps[2].input == "GET greeting");
  const auto& listed = t.blocks[1];
  REQUIRE(listed.steps.size() == 1);
  CHECK(listed.steps[0].input == "CONFIG GET maxmemory-policy");
  CHECK(listed.steps[0].reply[1].text == "2) \"noeviction\"");
}

TEST_CASE("scan_markdown reads the skip and one-server marks") {
  auto t = replay::scan_markdown(
      "<!-- replay: skip: it needs a second client -->\n"
      "```\n"
      "127.0.0.1:6379> BLPOP queue 0\n"
      "```\n"
      "Valkey 8 has it:\n"
      "\n"
      "<!-- replay: valkey only -->\n"
      "\n"
      "```\n"
      "127.0.0.1:6379> ZREVRANK board bob WITHSCORE\n"
      "1) (integer) 4\n"
      "2) \"250\"\n"
      "```\n"
      "```\n"
      "127.0.0.1:6379> ZREVRANK board bob WITHSCORE   # redis only\n"
      "(error) ERR wrong number of arguments for 'zrevrank' command\n"
      "127.0.0.1:6379> GET x\n"
      "(nil)  # valkey only\n"
      "```\n");
  CHECK(t.problems.empty());
  REQUIRE(t.blocks.size() == 3);
  CHECK(t.blocks[0].skip_reason == "it needs a second client");
  CHECK(t.blocks[1].only == replay::Only::Valkey);
  CHECK(t.blocks[1].skip_reason.empty());
  CHECK(t.blocks[2].only == replay::Only::Any);
  CHECK(t.blocks[2].steps[0].only == replay::Only::Redis);
  CHECK(t.blocks[2].steps[0].input == "ZREVRANK board bob WITHSCORE");
  CHECK(t.blocks[2].steps[1].reply[0].only == replay::Only::Valkey);
  CHECK(t.blocks[2].steps[1].reply[0].text == "(nil)");
}

TEST_CASE("scan_markdown names what it cannot read instead of skipping it quietly") {
  auto unknown =
      replay::scan_markdown("<!-- replay: later -->\n```\n127.0.0.1:6379> PING\nPONG\n```\n");
  REQUIRE(unknown.problems.size() == 1);
  CHECK(wb_test::contains(unknown.problems[0], "line 1: unknown replay mark 'later'"));

  auto stray = replay::scan_markdown(
      "<!-- replay: skip: why -->\nSome text.\n```\n127.0.0.1:6379> PING\nPONG\n```\n");
  REQUIRE(stray.problems.size() == 1);
  CHECK(wb_test::contains(stray.problems[0], "right before a code block"));

  auto early = replay::scan_markdown("```\nPONG\n127.0.0.1:6379> PING\nPONG\n```\n");
  REQUIRE(early.problems.size() == 1);
  CHECK(wb_test::contains(early.problems[0], "line 2: a reply line before the first prompt"));

  auto open = replay::scan_markdown("```\n127.0.0.1:6379> PING\nPONG\n");
  REQUIRE(open.problems.size() == 1);
  CHECK(wb_test::contains(open.problems[0], "never closes"));

  auto empty_skip =
      replay::scan_markdown("<!-- replay: skip: -->\n```\n127.0.0.1:6379> PING\nPONG\n```\n");
  CHECK(empty_skip.problems.size() == 1);  // a skip says why
}

// ---- matching ------------------------------------------------------------------------

TEST_CASE("line_matches: ~ marks a varying value; a number keeps its sign") {
  CHECK(replay::line_matches("(integer) ~29978", "(integer) 29999"));
  CHECK(replay::line_matches("(integer) ~30", "(integer) 0"));
  CHECK_FALSE(replay::line_matches("(integer) ~30", "(integer) -1"));  // a TTL is not "no expiry"
  CHECK_FALSE(replay::line_matches("(integer) ~30", "(integer) -2"));
  CHECK(replay::line_matches("(integer) ~-2", "(integer) -1"));
  CHECK_FALSE(replay::line_matches("(integer) ~30", "(nil)"));
  CHECK_FALSE(replay::line_matches("(integer) ~30", "\"30\""));
  CHECK(replay::line_matches("\"~081562\"", "\"730019\""));
  CHECK(replay::line_matches("1) \"~17\"", "1) \"0\""));
  CHECK(replay::line_matches("2) \"~a\\\"b\"",
                             "2) \"x\\\"y\\\\\""));  // escapes stay inside the quotes
  CHECK_FALSE(replay::line_matches("1) \"~17\"", "2) \"17\""));
  CHECK(replay::line_matches("\"~9f2c41d07ab35e8c\" and more", "\"41\" and more"));
  CHECK_FALSE(replay::line_matches("\"~9f2c41d07ab35e8c\" and more", "\"41\" and less"));
}

TEST_CASE("line_matches compares everything else exactly, except trailing blanks") {
  CHECK(replay::line_matches("(integer) 1", "(integer) 1"));
  CHECK_FALSE(replay::line_matches("(integer) 1", "(integer) 10"));
  CHECK_FALSE(replay::line_matches("\"hello\"", "\"hell\""));
  CHECK_FALSE(replay::line_matches("OK", ""));
  CHECK(replay::line_matches("(error) ERR unknown command 'X', with args beginning with:",
                             "(error) ERR unknown command 'X', with args beginning with: "));
}

TEST_CASE(
    "match_reply: ... stands for any number of lines, and names the first line that differs") {
  Lines printed{"1) \"0\"", "2) 1) \"a\"", "   2) \"b\"", "   3) \"c\""};
  CHECK_FALSE(
      replay::match_reply({"1) \"0\"", "2) 1) \"a\"", "   2) \"b\"", "   3) \"c\""}, printed));
  CHECK_FALSE(replay::match_reply({"1) \"0\"", "..."}, printed));
  CHECK_FALSE(replay::match_reply({"1) \"~4\"", "2) 1) \"a\"", "   ..."}, printed));
  CHECK_FALSE(replay::match_reply({"..."}, {}));
  CHECK(replay::match_reply({"1) \"0\"", "2) 1) \"a\"", "   2) \"x\"", "   3) \"c\""}, printed) ==
        std::optional<std::size_t>(2));
  CHECK(replay::match_reply({"1) \"0\"", "2) 1) \"a\""}, printed) == std::optional<std::size_t>(2));
  CHECK(replay::match_reply(
            {"1) \"0\"", "2) 1) \"a\"", "   2) \"b\"", "   3) \"c\"", "   4) \"d\""}, printed) ==
        std::optional<std::size_t>(4));
  CHECK(replay::match_reply({"OK"}, {}) == std::optional<std::size_t>(0));
}

TEST_CASE("order_like_text orders a set-like reply as the text lists it, the rest last") {
  std::vector<Reply> keys{bulk("c"), bulk("a"), bulk("b"), bulk("z")};
  replay::order_like_text(keys, {"1) \"0\"", "2) 1) \"a\"", "   2) \"b\"", "   3) \"c\""});
  REQUIRE(keys.size() == 4);
  CHECK(keys[0].str == "a");
  CHECK(keys[1].str == "b");
  CHECK(keys[2].str == "c");
  CHECK(keys[3].str == "z");
}

// ---- keys ---------------------------------------------------------------------------------

namespace {

replay::KeySpec index_range(int index, int last_key, int step = 1, int limit = 0) {
  replay::KeySpec s;
  s.begin = replay::KeySpec::Begin::Index;
  s.index = index;
  s.find = replay::KeySpec::Find::Range;
  s.last_key = last_key;
  s.key_step = step;
  s.limit = limit;
  return s;
}

replay::CommandInfo with_specs(std::vector<replay::KeySpec> specs) {
  replay::CommandInfo info;
  info.known = true;
  info.key_specs = std::move(specs);
  return info;
}

}  // namespace

TEST_CASE("key_positions follows the server's key specs: index, keyword, range, keynum") {
  using Pos = std::vector<std::size_t>;
  CHECK(replay::key_positions(with_specs({index_range(1, 0)}), {"GET", "k"}) == Pos{1});
  CHECK(replay::key_positions(with_specs({index_range(1, 0)}), {"SET", "k", "k"}) == Pos{1});
  // MSET k1 v1 k2 v2: every second argument to the end.
  CHECK(replay::key_positions(with_specs({index_range(1, -1, 2)}), {"MSET", "a", "b", "c", "d"}) ==
        Pos{1, 3});
  // DEL a b c
  CHECK(replay::key_positions(with_specs({index_range(1, -1)}), {"DEL", "a", "b", "c"}) ==
        Pos{1, 2, 3});
  // EVAL script 2 k1 k2 arg
  replay::KeySpec keynum;
  keynum.begin = replay::KeySpec::Begin::Index;
  keynum.index = 2;
  keynum.find = replay::KeySpec::Find::Keynum;
  keynum.keynum_index = 0;
  keynum.first_key = 1;
  CHECK(replay::key_positions(with_specs({keynum}), {"EVAL", "s", "2", "k1", "k2", "arg"}) ==
        Pos{3, 4});
  CHECK(replay::key_positions(with_specs({keynum}), {"EVAL", "s", "0", "arg"}).empty());
  // XREAD COUNT 2 STREAMS s1 s2 0 0: half of what follows STREAMS.
  replay::KeySpec streams;
  streams.begin = replay::KeySpec::Begin::Keyword;
  streams.keyword = "STREAMS";
  streams.start_from = 1;
  streams.find = replay::KeySpec::Find::Range;
  streams.last_key = -1;
  streams.limit = 2;
  CHECK(replay::key_positions(with_specs({streams}), {"XREAD", "COUNT", "2", "streams", "s1", "s2",
                                                      "0", "0"}) == Pos{4, 5});
  // A keyword that is absent: that spec has no keys.
  CHECK(replay::key_positions(with_specs({streams}), {"XREAD", "COUNT", "2"}).empty());
}

TEST_CASE(
    "key_positions refuses a command whose key spec cannot tell (SORT's BY, an incomplete spec)") {
  replay::KeySpec unknown;
  CHECK_THROWS_AS(
      replay::key_positions(with_specs({index_range(1, 0), unknown}), {"SORT", "k", "BY", "w*"}),
      replay::Refused);
  auto incomplete = index_range(1, 0);
  incomplete.incomplete = true;
  CHECK_THROWS_AS(replay::key_positions(with_specs({incomplete}), {"MIGRATE", "h", "1", "k"}),
                  replay::Refused);
}

TEST_CASE("parse_command_info reads COMMAND INFO's reply, subcommands and the order tip") {
  auto spec =
      array({bulk("flags"), array({status("RO"), status("access")}), bulk("begin_search"),
             array({bulk("type"), bulk("index"), bulk("spec"), array({bulk("index"), integer(1)})}),
             bulk("find_keys"),
             array({bulk("type"), bulk("range"), bulk("spec"),
                    array({bulk("lastkey"), integer(0), bulk("keystep"), integer(1), bulk("limit"),
                           integer(0)})})});
  auto smembers = array({bulk("smembers"), integer(2), array({status("readonly")}), integer(1),
                         integer(1), integer(1), array({status("@read"), status("@set")}),
                         array({bulk("nondeterministic_output_order")}), array({spec}), array({})});
  auto info = replay::parse_command_info(smembers);
  CHECK(info.known);
  CHECK(info.name == "smembers");
  CHECK(info.unordered_reply);
  REQUIRE(info.key_specs.size() == 1);
  CHECK(info.key_specs[0].begin == replay::KeySpec::Begin::Index);
  CHECK(info.key_specs[0].index == 1);
  CHECK(info.key_specs[0].find == replay::KeySpec::Find::Range);
  CHECK(replay::key_positions(info, {"SMEMBERS", "s"}) == std::vector<std::size_t>{1});
  CHECK_FALSE(replay::parse_command_info(nil()).known);
}

TEST_CASE("refusal: a replay never sends what reaches other keys or changes the server") {
  for (Args line :
       {Args{"FLUSHALL"}, Args{"flushdb", "ASYNC"}, Args{"KEYS", "*"},
        Args{"CONFIG", "SET", "maxmemory", "1"}, Args{"config", "rewrite"}, Args{"SELECT", "1"},
        Args{"SWAPDB", "0", "1"}, Args{"RANDOMKEY"}, Args{"DEBUG", "SLEEP", "0"}, Args{"SHUTDOWN"},
        Args{"SCRIPT", "FLUSH"}, Args{"FUNCTION", "FLUSH"}, Args{"CLIENT", "KILL", "ID", "1"},
        Args{"ACL", "SETUSER", "x"}, Args{"COPY", "a", "b", "DB", "1"}, Args{"MOVE", "k", "1"},
        Args{"EVALSHA", "abc", "0"}, Args{"MONITOR"}, Args{"SUBSCRIBE", "c"}}) {
    CAPTURE(line);
    CHECK(replay::refusal(line));
  }
  for (Args line : {Args{"GET", "k"}, Args{"CONFIG", "GET", "maxmemory-policy"},
                    Args{"SCAN", "0", "MATCH", "a*"}, Args{"EVAL", "return 1", "0"}, Args{"MULTI"},
                    Args{"COPY", "a", "b"}, Args{"CLIENT", "ID"}}) {
    CAPTURE(line);
    CHECK_FALSE(replay::refusal(line));
  }
  CHECK(wb_test::contains(*replay::refusal({"CONFIG", "SET", "x", "y"}),
                          "only CONFIG GET is replayed"));
}

TEST_CASE(
    "with_prefix puts the prefix before the keys and SCAN's pattern, and strip_prefix takes it "
    "out") {
  const std::string p = "wbtest:replay-02:1a2b:";
  CHECK(replay::with_prefix({"MSET", "a", "1", "b", "2"}, {1, 3}, p) ==
        Args{"MSET", p + "a", "1", p + "b", "2"});
  CHECK(replay::with_prefix({"SCAN", "0", "MATCH", "user:*", "COUNT", "100"}, {}, p) ==
        Args{"SCAN", "0", "MATCH", p + "user:*", "COUNT", "100"});
  CHECK_THROWS_AS(replay::with_prefix({"SCAN", "0", "COUNT", "100"}, {}, p), replay::Refused);
  Reply r = array({bulk("0"), array({bulk(p + "user:1"), bulk(p + "user:2")}),
                   error("ERR no such key " + p + "x")});
  replay::strip_prefix(r, p);
  CHECK(r.elements[1].elements[0].str == "user:1");
  CHECK(r.elements[1].elements[1].str == "user:2");
  CHECK(r.elements[2].str == "ERR no such key x");
}

TEST_CASE("script_refusal: a transcript's script reaches keys only through KEYS[n]") {
  auto info = [](const std::string& name) {
    replay::CommandInfo i;
    i.known = name != "nosuchcommand";
    if (name == "get" || name == "hset" || name == "hexists" || name == "hincrby")
      i.key_specs = {index_range(1, 0)};
    if (name == "del") i.key_specs = {index_range(1, -1)};
    return i;
  };
  CHECK_FALSE(
      replay::script_refusal("if redis.call('GET', KEYS[1]) == ARGV[1] then return "
                             "redis.call('DEL', KEYS[1]) end return 0",
                             info));
  CHECK_FALSE(
      replay::script_refusal("if redis.call('HEXISTS', KEYS[1], 'name') == 0 then return 0 end "
                             "redis.call('HSET', KEYS[1], "
                             "'department', ARGV[1], 'job_title', ARGV[2]) return 1",
                             info));
  CHECK_FALSE(replay::script_refusal("return redis.call('GET', KEYS[1] .. ':suffix')", info));
  CHECK_FALSE(replay::script_refusal("return server.call(\"get\", KEYS[2])", info));
  CHECK_FALSE(replay::script_refusal("return redis.call('nosuchcommand', 'x')", info));
  CHECK(replay::script_refusal("return redis.call('GET', 'user:1')", info));
  CHECK(replay::script_refusal("return redis.call('DEL', KEYS[1], 'other')", info));
  CHECK(replay::script_refusal("return redis.call('GET', ARGV[1])", info));
  CHECK(replay::script_refusal("local c = 'GET' return redis.call(c, KEYS[1])", info));
  CHECK(replay::script_refusal("local call = redis.call return call('GET', 'x')", info));
  CHECK(replay::script_refusal("KEYS[1] = 'other' return redis.call('GET', KEYS[1])", info));
  CHECK(replay::script_refusal("return redis.call('FLUSHALL')", info));
  CHECK(replay::script_refusal("return redis.call('SCAN', 0)", info));
}

// ---- a session against the real server --------------------------------------------------

namespace {

replay::Report replay_text(const std::string& text) {
  replay::Session session(wb::ConnectionOptions::from_env(), "test");
  return session.replay(replay::scan_markdown(text), "lesson.md");
}

}  // namespace

TEST_CASE("a session replays a transcript under its own prefix and removes its keys afterwards") {
  wb::grading::KeyScope neighbour("replay");
  auto client = wb::grading::connect();
  // A key with the very name the transcript uses, outside the prefix.
  client.set(neighbour.key("greeting"), "untouched");
  std::string prefix;
  {
    replay::Session session(wb::ConnectionOptions::from_env(), "test");
    prefix = session.prefix();
    CHECK(prefix.rfind("wbtest:replay-test:", 0) == 0);
    auto text = replay::scan_markdown(
        "```\n"
        "127.0.0.1:6379> SET " +
        neighbour.key("greeting") +
        " hello EX 30\n"
        "OK\n"
        "127.0.0.1:6379> TTL " +
        neighbour.key("greeting") +
        "\n"
        "(integer) ~30\n"
        "127.0.0.1:6379> GET " +
        neighbour.key("greeting") +
        "\n"
        "\"hello\"\n"
        "127.0.0.1:6379> SADD " +
        neighbour.key("s") +
        " c a b\n"
        "(integer) 3\n"
        "127.0.0.1:6379> SMEMBERS " +
        neighbour.key("s") +
        "\n"
        "1) \"a\"\n"
        "2) \"b\"\n"
        "3) \"c\"\n"
        "127.0.0.1:6379> SCAN 0 MATCH " +
        neighbour.key("*") +
        " COUNT 1000\n"
        "1) \"0\"\n"
        "2) 1) \"" +
        neighbour.key("s") +
        "\"\n"
        "   2) \"" +
        neighbour.key("greeting") +
        "\"\n"
        "```\n");
    auto report = session.replay(text, "lesson.md");
    for (const auto& f : report.failures) FAIL_CHECK(f);
    CHECK(report.replayed == 1);
    CHECK(client.exists(prefix + neighbour.key("greeting")) == 1);
  }
  CHECK(client.get(neighbour.key("greeting")) == std::optional<std::string>("untouched"));
  std::vector<std::string> left;
  client.scan(0, prefix + "*", 1000, std::back_inserter(left));
  CHECK(left.empty());
}

TEST_CASE("a SCAN the text shows finished in one call is walked to its end on a busy server") {
  // Beside the transcript's two keys, enough others that one SCAN ... COUNT
  // 10 cannot get to the end (make check runs an example that writes 10,000).
  wb::grading::KeyScope crowd("replay-crowd");
  auto client = wb::grading::connect();
  for (int batch = 0; batch < 5; ++batch) {
    auto p = client.pipeline();
    for (int i = 0; i < 100; ++i) p.set(crowd.key(std::to_string(batch * 100 + i)), "x");
    p.exec();
  }
  replay::Session session(wb::ConnectionOptions::from_env(), "test");
  auto report = session.replay(replay::scan_markdown("```\n"
                                                     "127.0.0.1:6379> MSET a 1 b 2\n"
                                                     "OK\n"
                                                     "127.0.0.1:6379> SCAN 0 MATCH * COUNT 10\n"
                                                     "1) \"0\"\n"
                                                     "2) 1) \"a\"\n"
                                                     "   2) \"b\"\n"
                                                     "```\n"),
                               "lesson.md");
  for (const auto& f : report.failures) FAIL_CHECK(f);
  CHECK(report.replayed == 1);
}

TEST_CASE("a session names the line whose reply differs, with both versions") {
  auto report = replay_text(
      "text\n"
      "```\n"
      "127.0.0.1:6379> SET a 1\n"
      "OK\n"
      "127.0.0.1:6379> INCR a\n"
      "(integer) 3\n"
      "```\n");
  REQUIRE(report.failures.size() == 1);
  const std::string& f = report.failures[0];
  CHECK(wb_test::contains(f, "lesson.md:6: the transcript differs from what "));
  CHECK(wb_test::contains(f, "127.0.0.1:6379> INCR a"));
  CHECK(wb_test::contains(f, "the text shows:\n    (integer) 3"));
  CHECK(wb_test::contains(f, "the server printed:\n    (integer) 2"));
  CHECK(report.replayed == 0);
}

TEST_CASE("a session checks the (TX) prompt: exactly between MULTI and EXEC") {
  auto good = replay_text(
      "```\n127.0.0.1:6379> MULTI\nOK\n127.0.0.1:6379(TX)> INCR n\nQUEUED\n"
      "127.0.0.1:6379(TX)> EXEC\n1) (integer) 1\n127.0.0.1:6379> GET n\n\"1\"\n```\n");
  for (const auto& f : good.failures) FAIL_CHECK(f);
  auto missing =
      replay_text("```\n127.0.0.1:6379> MULTI\nOK\n127.0.0.1:6379> INCR n\nQUEUED\n```\n");
  REQUIRE(missing.failures.size() == 1);
  CHECK(wb_test::contains(missing.failures[0],
                          "lesson.md:4: inside MULTI ... EXEC the CLI's prompt reads"));
  auto stray = replay_text("```\n127.0.0.1:6379(TX)> INCR n\n(integer) 1\n```\n");
  REQUIRE(stray.failures.size() == 1);
  CHECK(wb_test::contains(stray.failures[0], "no MULTI is open here"));
}

TEST_CASE("a session refuses a dangerous line with its reason and sends nothing") {
  auto client = wb::grading::connect();
  wb::grading::KeyScope keys("replay");
  client.set(keys.key("k"), "v");
  auto report = replay_text("```\n127.0.0.1:6379> FLUSHDB\nOK\n```\n");
  REQUIRE(report.failures.size() == 1);
  CHECK(wb_test::contains(report.failures[0], "lesson.md:2: not replayed: FLUSHDB"));
  auto script = replay_text("```\n127.0.0.1:6379> EVAL \"return redis.call('DEL', '" +
                            keys.key("k") + "')\" 0\n(integer) 1\n```\n");
  REQUIRE(script.failures.size() == 1);
  CHECK(wb_test::contains(script.failures[0], "reaches keys only through KEYS[n]"));
  auto scan = replay_text("```\n127.0.0.1:6379> SCAN 0\n1) \"0\"\n2) (empty array)\n```\n");
  REQUIRE(scan.failures.size() == 1);
  CHECK(wb_test::contains(scan.failures[0], "SCAN without MATCH"));
  CHECK(client.get(keys.key("k")) == std::optional<std::string>("v"));
}

TEST_CASE("a session counts skipped and other-server blocks, and honours line marks") {
  replay::Session session(wb::ConnectionOptions::from_env(), "test");
  const bool valkey = session.kind() == replay::Only::Valkey;
  auto report =
      session.replay(replay::scan_markdown("<!-- replay: skip: it needs a second client -->\n"
                                           "```\n127.0.0.1:6379> BLPOP q 0\n```\n"
                                           "<!-- replay: valkey only -->\n"
                                           "```\n127.0.0.1:6379> PING\nPONG\n```\n"
                                           "<!-- replay: redis only -->\n"
                                           "```\n127.0.0.1:6379> PING\nPONG\n```\n"
                                           "```\n"
                                           "127.0.0.1:6379> SET x 1   # valkey only\n"
                                           "OK\n"
                                           "127.0.0.1:6379> GET x\n"
                                           "\"1\"  # valkey only\n"
                                           "(nil)  # redis only\n"
                                           "```\n"),
                     "lesson.md");
  for (const auto& f : report.failures) FAIL_CHECK(f);
  CHECK(report.blocks == 4);
  CHECK(report.replayed == 2);
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0] == "line 2: it needs a second client");
  REQUIRE(report.elsewhere.size() == 1);
  CHECK(report.elsewhere[0] == (valkey ? "line 11: redis only" : "line 6: valkey only"));
}

TEST_CASE("a session sends a command the server lacks as typed: its error names the arguments") {
  auto report = replay_text(
      "```\n127.0.0.1:6379> NOSUCHCOMMAND employee:3 60\n"
      "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'employee:3' '60' "
      "\n```\n");
  for (const auto& f : report.failures) FAIL_CHECK(f);
  CHECK(report.replayed == 1);
}

TEST_CASE("a session prints an unbalanced quote as the CLI does") {
  auto report = replay_text("```\n127.0.0.1:6379> SET a \"b\n(error) oops\n```\n");
  REQUIRE(report.failures.size() == 1);
  CHECK(wb_test::contains(report.failures[0], "the server printed:\n    Invalid argument(s)"));
}

// A session that valkey-cli 8.0.1 printed (and redis-cli 7.0.15, and both
// against either server: the four outputs are identical), copied as it was:
// three-digit numbering, nested arrays of ten and more, streams, scores, an
// empty status, escaped bytes, a transaction with an error inside, nil in an
// array, and a line the CLI refuses.
TEST_CASE("a session prints what valkey-cli and redis-cli print, byte for byte") {
  auto report = replay_text(
      "```\n"
      R"cli(127.0.0.1:6379> RPUSH wbcmp:l 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100
(integer) 100
127.0.0.1:6379> LRANGE wbcmp:l 0 -1
  1) "1"
  2) "2"
  3) "3"
  4) "4"
  5) "5"
  6) "6"
  7) "7"
  8) "8"
  9) "9"
 10) "10"
 11) "11"
 12) "12"
 13) "13"
 14) "14"
 15) "15"
 16) "16"
 17) "17"
 18) "18"
 19) "19"
 20) "20"
 21) "21"
 22) "22"
 23) "23"
 24) "24"
 25) "25"
 26) "26"
 27) "27"
 28) "28"
 29) "29"
 30) "30"
 31) "31"
 32) "32"
 33) "33"
 34) "34"
 35) "35"
 36) "36"
 37) "37"
 38) "38"
 39) "39"
 40) "40"
 41) "41"
 42) "42"
 43) "43"
 44) "44"
 45) "45"
 46) "46"
 47) "47"
 48) "48"
 49) "49"
 50) "50"
 51) "51"
 52) "52"
 53) "53"
 54) "54"
 55) "55"
 56) "56"
 57) "57"
 58) "58"
 59) "59"
 60) "60"
 61) "61"
 62) "62"
 63) "63"
 64) "64"
 65) "65"
 66) "66"
 67) "67"
 68) "68"
 69) "69"
 70) "70"
 71) "71"
 72) "72"
 73) "73"
 74) "74"
 75) "75"
 76) "76"
 77) "77"
 78) "78"
 79) "79"
 80) "80"
 81) "81"
 82) "82"
 83) "83"
 84) "84"
 85) "85"
 86) "86"
 87) "87"
 88) "88"
 89) "89"
 90) "90"
 91) "91"
 92) "92"
 93) "93"
 94) "94"
 95) "95"
 96) "96"
 97) "97"
 98) "98"
 99) "99"
100) "100"
127.0.0.1:6379> XADD wbcmp:s 1-1 a 1 b 2
"1-1"
127.0.0.1:6379> XADD wbcmp:s 1-2 c 3
"1-2"
127.0.0.1:6379> XRANGE wbcmp:s - +
1) 1) "1-1"
   2) 1) "a"
      2) "1"
      3) "b"
      4) "2"
2) 1) "1-2"
   2) 1) "c"
      2) "3"
127.0.0.1:6379> ZADD wbcmp:z 1.5 a 2 b -3.25 c
(integer) 3
127.0.0.1:6379> ZRANGE wbcmp:z 0 -1 WITHSCORES
1) "c"
2) "-3.25"
3) "a"
4) "1.5"
5) "b"
6) "2"
127.0.0.1:6379> EVAL "return {1,2,3,4,5,6,7,8,9,10,{1,2,3,4,5,6,7,8,9,10,11,{'x','y'}},'z'}" 0
 1) (integer) 1
 2) (integer) 2
 3) (integer) 3
 4) (integer) 4
 5) (integer) 5
 6) (integer) 6
 7) (integer) 7
 8) (integer) 8
 9) (integer) 9
10) (integer) 10
11)  1) (integer) 1
     2) (integer) 2
     3) (integer) 3
     4) (integer) 4
     5) (integer) 5
     6) (integer) 6
     7) (integer) 7
     8) (integer) 8
     9) (integer) 9
    10) (integer) 10
    11) (integer) 11
    12) 1) "x"
        2) "y"
12) "z"
127.0.0.1:6379> EVAL "return redis.status_reply('')" 0

127.0.0.1:6379> SET wbcmp:u "line1\nline2\r\n\ttab \x00\xff\xfe \"q\" \\"
OK
127.0.0.1:6379> GET wbcmp:u
"line1\nline2\r\n\ttab \x00\xff\xfe \"q\" \\"
127.0.0.1:6379> MULTI
OK
127.0.0.1:6379(TX)> INCR wbcmp:n
QUEUED
127.0.0.1:6379(TX)> GET wbcmp:n
QUEUED
127.0.0.1:6379(TX)> LPUSH wbcmp:n x
QUEUED
127.0.0.1:6379(TX)> EXEC
1) (integer) 1
2) "1"
3) (error) WRONGTYPE Operation against a key holding the wrong kind of value
127.0.0.1:6379> MGET wbcmp:n wbcmp:missing
1) "1"
2) (nil)
127.0.0.1:6379> SET wbcmp:"x"y z
Invalid argument(s)
127.0.0.1:6379> ECHO 'it\'s'
"it's"
)cli"
      "```\n");
  for (const auto& f : report.failures) FAIL_CHECK(f);
  CHECK(report.replayed == 1);
}

// ---- places: a server of the replay's own, the cluster -----------------------------------

TEST_CASE("scan_markdown reads the own-server and cluster marks, and the fill loop") {
  auto text = replay::scan_markdown(
      "<!-- replay: own server: maxmemory 2mb maxmemory-policy noeviction -->\n"
      "```\n"
      "$ for i in $(seq 3); do echo \"SET page:$i $(printf '%05d' 0)\"; done | valkey-cli -p "
      "7013 | grep -c OK\n"
      "~3\n"
      "```\n"
      "<!-- replay: own server -->\n"
      "```\n127.0.0.1:7013> DBSIZE\n(integer) 3\n```\n"
      "<!-- replay: cluster 7101-7106 -->\n"
      "```\n127.0.0.1:7101> CLUSTER KEYSLOT a\n(integer) 15495\n"
      "127.0.0.1:7103> GET a\n(nil)\n```\n");
  for (const auto& p : text.problems) FAIL_CHECK(p);
  REQUIRE(text.blocks.size() == 3);
  const auto& fill = text.blocks[0];
  CHECK(fill.place == replay::Place::OwnServer);
  CHECK(fill.new_server);
  CHECK(fill.config == std::vector<std::pair<std::string, std::string>>{
                           {"maxmemory", "2mb"}, {"maxmemory-policy", "noeviction"}});
  REQUIRE(fill.fill);
  CHECK(fill.fill->count == 3);
  CHECK(fill.fill->word == "OK");
  CHECK(fill.fill->line == 3);
  REQUIRE(fill.fill->output.size() == 1);
  CHECK(fill.fill->output[0].text == "~3");
  CHECK(replay::fill_line(*fill.fill, 2) == "SET page:2 00000");
  CHECK(text.blocks[1].place == replay::Place::OwnServer);
  CHECK_FALSE(text.blocks[1].new_server);
  const auto& cluster = text.blocks[2];
  CHECK(cluster.place == replay::Place::Cluster);
  CHECK(cluster.first_port == 7101);
  CHECK(cluster.last_port == 7106);
  REQUIRE(cluster.steps.size() == 2);
  CHECK(cluster.steps[0].port == 7101);
  CHECK(cluster.steps[1].port == 7103);
}

TEST_CASE("scan_markdown names a place mark it cannot use") {
  auto problems = [](const std::string& text) { return replay::scan_markdown(text).problems; };
  auto continued = problems("<!-- replay: own server -->\n```\n127.0.0.1:7013> PING\nPONG\n```\n");
  REQUIRE(continued.size() == 1);
  CHECK(wb_test::contains(continued[0], "line 1: 'own server' continues the server of a block"));
  auto odd = problems("<!-- replay: own server: maxmemory -->\n```\n127.0.0.1:7013> PING\n```\n");
  REQUIRE(odd.size() == 1);
  CHECK(wb_test::contains(odd[0], "name value pairs"));
  auto ports = problems("<!-- replay: cluster 7106-7101 -->\n```\n127.0.0.1:7101> PING\n```\n");
  REQUIRE(ports.size() == 1);
  CHECK(wb_test::contains(ports[0], "'cluster' takes the text's ports"));
  auto outside =
      problems("<!-- replay: cluster 7101-7106 -->\n```\n127.0.0.1:6379> PING\nPONG\n```\n");
  REQUIRE(outside.size() == 1);
  CHECK(
      wb_test::contains(outside[0], "line 3: the prompt's port 6379 is not one of the cluster's"));
  auto shell =
      problems("<!-- replay: own server: maxmemory 2mb -->\n```\n$ valkey-cli FLUSHALL\n```\n");
  REQUIRE(shell.size() == 1);
  CHECK(wb_test::contains(shell[0], "line 3: the replay knows one shell line"));
  auto dollar = problems(
      "<!-- replay: own server: maxmemory 2mb -->\n```\n"
      "$ for i in $(seq 3); do echo \"SET k:$i $(rm -rf x)\"; done | valkey-cli -p 1 | grep -c OK\n"
      "3\n```\n");
  REQUIRE(dollar.size() == 1);
  CHECK(wb_test::contains(dollar[0], "holds a $ the replay does not know"));
  // A shell block without an own-server mark is no transcript: not read.
  CHECK(problems("```\n$ make test-13\n```\n").empty());
}

TEST_CASE("refusal: CONFIG SET only on a server of the replay's own; CLUSTER only to ask") {
  CHECK(replay::refusal({"CONFIG", "SET", "maxmemory", "1mb"}));
  CHECK_FALSE(replay::refusal({"CONFIG", "SET", "maxmemory", "1mb"}, true));
  CHECK(replay::refusal({"CONFIG", "REWRITE"}, true));
  CHECK(replay::refusal({"CONFIG", "RESETSTAT"}, true));
  CHECK_FALSE(replay::refusal({"CLUSTER", "KEYSLOT", "a"}));
  CHECK_FALSE(replay::refusal({"cluster", "countkeysinslot", "2780"}));
  CHECK(replay::refusal({"CLUSTER", "SETSLOT", "2780", "NODE", "x"}));
  CHECK(replay::refusal({"CLUSTER", "FAILOVER"}));
  CHECK(replay::refusal({"CLUSTER", "GETKEYSINSLOT", "2780", "10"}));
}

TEST_CASE("in_same_slot keeps a key under the prefix in the slot of the key as typed") {
  const std::string prefix = "wbtest:replay-15:ab12:";
  for (std::string key : {"cart:42", "c", "cart:{user:42}", "{user:42}:cart",
                          "lock:{cart:{user:42}}", "foo{bar}{zap}", "a{b"}) {
    CAPTURE(key);
    std::string sent = replay::in_same_slot(prefix, key);
    CHECK(sent.rfind(prefix, 0) == 0);
    CHECK(wb::key_slot(sent) == wb::key_slot(key));
  }
  CHECK(replay::in_same_slot(prefix, "cart:42") == prefix + "{cart:42}");
  CHECK(replay::in_same_slot(prefix, "cart:{user:42}") == prefix + "cart:{user:42}");
  CHECK_THROWS_AS(replay::in_same_slot(prefix, "foo{}{bar}"), replay::Refused);
  CHECK_THROWS_AS(replay::in_same_slot(prefix, "a}b"), replay::Refused);
  CHECK_THROWS_AS(replay::in_same_slot(prefix, "{}x{y}"), replay::Refused);
}

TEST_CASE("rename_ports writes a cluster node's address with the text's port") {
  const std::map<int, int> text_port = {{7244, 7101}, {7242, 7102}, {7243, 7103}};
  Reply moved = error("MOVED 15749 127.0.0.1:7243");
  replay::rename_ports(moved, text_port);
  CHECK(moved.str == "MOVED 15749 127.0.0.1:7103");
  Reply other = array({bulk("127.0.0.1:72441"), bulk("127.0.0.1:7241"), bulk("x 127.0.0.1:7244")});
  replay::rename_ports(other, text_port);
  CHECK(other.elements[0].str == "127.0.0.1:72441");
  CHECK(other.elements[1].str == "127.0.0.1:7241");
  CHECK(other.elements[2].str == "x 127.0.0.1:7101");
}

TEST_CASE("INFO and the other texts for people are printed raw, line by line") {
  CHECK(replay::raw_output({"INFO", "memory"}));
  CHECK(replay::raw_output({"cluster", "info"}));
  CHECK_FALSE(replay::raw_output({"CLUSTER", "KEYSLOT", "a"}));
  CHECK_FALSE(replay::raw_output({"GET", "a"}));
  CHECK(replay::format_raw(bulk("# Memory\r\nused_memory:1\r\nmaxmemory:0\r\n")) ==
        Lines{"# Memory", "used_memory:1", "maxmemory:0"});
  CHECK(replay::format_raw(error("ERR syntax error")) == Lines{"(error) ERR syntax error"});
}

TEST_CASE("a session replays own-server blocks on a server of its own, configured by the mark") {
  auto client = wb::grading::connect();
  wb::grading::KeyScope keys("replay");
  auto learner_limit = [&] {
    return replay::format_reply(client.command("CONFIG", "GET", "maxmemory-policy"));
  };
  const auto before = learner_limit();
  const std::string key = keys.key("page:1");
  auto report = replay_text(
      "<!-- replay: own server: maxmemory 1mb maxmemory-policy allkeys-lru -->\n"
      "```\n"
      "$ for i in $(seq 3); do echo \"SET " +
      keys.key("page:") +
      "$i $(printf '%010d' 0)\"; done | valkey-cli -p 7013 | grep -c OK\n"
      "3\n"
      "```\n"
      "<!-- replay: own server -->\n"
      "```\n"
      "127.0.0.1:7013> CONFIG GET maxmemory\n1) \"maxmemory\"\n2) \"1048576\"\n"
      "127.0.0.1:7013> CONFIG SET maxmemory-policy volatile-lru\nOK\n"
      "127.0.0.1:7013> GET " +
      key +
      "\n\"0000000000\"\n"
      "127.0.0.1:7013> DBSIZE\n(integer) 3\n"
      "```\n"
      "```\n127.0.0.1:6379> EXISTS " +
      key +
      "\n(integer) 0\n```\n"
      "```\n127.0.0.1:6379> CONFIG SET maxmemory-policy volatile-lru\nOK\n```\n");
  REQUIRE(report.failures.size() == 1);
  CAPTURE(report.failures[0]);
  // CONFIG SET on the learner's server, the last block: refused, not sent.
  CHECK(wb_test::contains(report.failures[0], "lesson.md:23: not replayed: CONFIG SET"));
  CHECK(report.replayed == 3);
  CHECK(learner_limit() == before);
  CHECK(client.exists(key) == 0);
}

TEST_CASE("a session says which fill output differs, and that the replay sent the loop") {
  auto report = replay_text(
      "<!-- replay: own server: maxmemory 1mb -->\n"
      "```\n"
      "$ for i in $(seq 2); do echo \"SET k:$i v\"; done | redis-cli -p 7013 | grep -c OK\n"
      "3\n"
      "```\n");
  REQUIRE(report.failures.size() == 1);
  CHECK(wb_test::contains(report.failures[0], "lesson.md:3: the fill loop's output differs"));
  CHECK(wb_test::contains(report.failures[0], "the server printed:\n    2"));
}

TEST_CASE("a session skips the cluster blocks when no cluster answers, and says why") {
  auto options = wb::ConnectionOptions::from_env();
  auto nowhere = options;
  nowhere.host = "127.0.0.1";
  nowhere.port = wb_test::closed_port();
  replay::Session session(options, "test", nowhere);
  auto report = session.replay(
      replay::scan_markdown("<!-- replay: cluster 7101-7106 -->\n"
                            "```\n127.0.0.1:7101> CLUSTER KEYSLOT a\n(integer) 15495\n```\n"
                            "```\n127.0.0.1:6379> PING\nPONG\n```\n"),
      "lesson.md");
  for (const auto& f : report.failures) FAIL_CHECK(f);
  CHECK(report.replayed == 1);
  REQUIRE(report.skipped.size() == 1);
  CHECK(wb_test::contains(report.skipped[0], "line 2: no cluster answers at VALKEY_CLUSTER_URL"));
  CHECK(report.no_cluster != "");
}

// On the workbook's cluster (`make cluster-up`): run by the workbook/cluster test.
TEST_CASE("a session replays cluster blocks on the node the prompt names, keys in their slots",
          "[.cluster]") {
  auto cluster = wb::ConnectionOptions::from_url(wb::cluster_url_from_env());
  std::string prefix;
  std::vector<std::string> sent_keys;
  {
    replay::Session session(wb::ConnectionOptions::from_env(), "test", cluster);
    prefix = session.prefix();
    auto report = session.replay(
        replay::scan_markdown(
            "<!-- replay: cluster 7101-7106 -->\n"
            "```\n"
            "127.0.0.1:7101> CLUSTER KEYSLOT cart:42\n(integer) 15749\n"
            "127.0.0.1:7101> SET cart:42 mug\n(error) MOVED 15749 127.0.0.1:7103\n"
            "127.0.0.1:7103> SET cart:42 mug\nOK\n"
            "127.0.0.1:7103> GET cart:42\n\"mug\"\n"
            "127.0.0.1:7101> HSET cart:{user:7} mug 1\n(integer) 1\n"
            "127.0.0.1:7102> DEL c g\n(error) CROSSSLOT Keys in request don't hash to the same "
            "slot\n"
            "127.0.0.1:7101> SET foo{}{bar} x\n"
            "```\n"),
        "lesson.md");
    REQUIRE(report.failures.size() == 1);
    if (!report.no_cluster.empty()) {
      WARN("no cluster: " << report.no_cluster);
      return;
    }
    // The one key whose slot no prefix keeps is refused, not sent.
    CAPTURE(report.failures[0]);
    CHECK(
        wb_test::contains(report.failures[0], "lesson.md:15: not replayed: the key 'foo{}{bar}'"));
    sent_keys = {prefix + "{cart:42}", prefix + "cart:{user:7}"};
    wb::ValkeyCluster check(wb::cluster_url_from_env());
    CHECK(check.get(sent_keys[0]) == std::optional<std::string>("mug"));
    CHECK(check.exists(sent_keys[1]) == 1);
    CHECK(check.exists("cart:42") == 0);
  }
  wb::ValkeyCluster check(wb::cluster_url_from_env());
  for (const auto& key : sent_keys) CHECK(check.exists(key) == 0);
}
