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

#include "replay.hpp"
#include "replay_session.hpp"
#include "support.hpp"
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
