// Grader for lesson 10 - Leaderboards with sorted sets.
#include <cmath>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "leaderboards.hpp"
#include "workbook/grading.hpp"

namespace grading = wb::grading;
using leaderboards::Standings;

namespace {

// Puts these (player, score) pairs on the board directly, not through the
// learner's code.
void seed(wb::Valkey& client, const std::string& board, const Standings& players) {
  client.zadd(board, players.begin(), players.end());
}

// Ten players p0 .. p9 with scores 1000, 900, ..., 100: p0 leads, p9 is last.
Standings ten_players() {
  Standings players;
  for (int i = 0; i < 10; ++i) players.emplace_back("p" + std::to_string(i), 1000 - 100 * i);
  return players;
}

Standings slice(const Standings& players, std::size_t first, std::size_t last) {
  return Standings(players.begin() + static_cast<std::ptrdiff_t>(first),
                   players.begin() + static_cast<std::ptrdiff_t>(last) + 1);
}

std::string show(const Standings& standings) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < standings.size(); ++i)
    out << (i ? ", " : "") << standings[i].first << " " << standings[i].second;
  out << "]";
  return out.str();
}

std::string show(const std::optional<long long>& rank) {
  return rank ? std::to_string(*rank) : std::string("std::nullopt");
}

std::string show_score(std::optional<double> score) {
  if (!score) return "nothing (the player is not on the board)";
  std::ostringstream out;
  out << std::setprecision(std::numeric_limits<double>::max_digits10) << *score;
  return out.str();
}

bool one_atomic_command(const std::vector<wb::SentCommand>& sent, std::string_view command) {
  if (sent.size() != 1) return false;
  const std::string name = sent[0].name();
  return name == command || name == "EVAL" || name == "EVALSHA";
}

// Each call must throw std::invalid_argument and send nothing; run in a dry
// run, so that a call that is not refused cannot touch the key "" of anyone
// else on the server.
void require_refused(
    const char* task,
    const std::vector<std::pair<const char*, std::function<void(wb::Valkey&)>>>& calls) {
  std::vector<wb::SentCommand> sent;
  std::string not_refused;
  for (const auto& one : calls) {
    // (Named, not a structured binding: a lambda may capture those only from C++20.)
    const char* call = one.first;
    const auto& run = one.second;
    bool refused = false;
    auto tried = grading::dry_run([&](wb::Valkey& client) {
      try {
        run(client);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
    });
    if (!refused) not_refused += std::string("  ") + call + "\n";
    sent.insert(sent.end(), tried.begin(), tried.end());
  }
  INFO(task << ": these calls were not refused with std::invalid_argument:\n"
            << not_refused << "Commands they tried to send:\n"
            << grading::describe(sent)
            << "(This grader did not let them reach the server.) Every function of the lesson "
               "checks its board and player before it sends anything: an empty name is a bug in "
               "the caller, and the key \"\" belongs to nobody's board.");
  REQUIRE(not_refused.empty());
  REQUIRE(sent.empty());
}

}  // namespace

// ---- Task 1: submit_score ----------------------------------------------------

TEST_CASE("submit_score puts a new player on the board with their score", "[task1]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");

  bool changed = leaderboards::submit_score(client, board, "ada", 120);

  {
    auto score = client.zscore(board, "ada");
    INFO("After submit_score(board, \"ada\", 120), ZSCORE board ada gave " << show_score(score)
                                                                           << "; expected 120.");
    REQUIRE(score == 120.0);
  }
  INFO("submit_score returned false for a new player; expected true (the board changed).");
  REQUIRE(changed);
}

TEST_CASE("submit_score keeps every digit of a score: 0.1234567 is not 0.123457", "[task1]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  leaderboards::submit_score(client, board, "ada", 0.1234567);
  leaderboards::submit_score(client, board, "bob", 0.1 + 0.2);
  auto ada = client.zscore(board, "ada");
  auto bob = client.zscore(board, "bob");
  INFO("After submit_score of 0.1234567 and of 0.30000000000000004 the board holds "
       << show_score(ada) << " and " << show_score(bob)
       << ". The score went to the server as text with too few digits: std::to_string keeps 6 "
          "decimals (\"0.123457\"), and a score that is not the one scored can rank a player "
          "above or below where they belong. Write it with 17 significant digits "
          "(std::numeric_limits<double>::max_digits10).");
  REQUIRE(ada == 0.1234567);
  REQUIRE(bob == 0.1 + 0.2);
}

TEST_CASE("a better score replaces the best one, and submit_score says so", "[task1]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 50}});

  bool changed = leaderboards::submit_score(client, board, "ada", 80);

  {
    auto score = client.zscore(board, "ada");
    INFO("ada's best was 50; after submitting 80 the board holds " << show_score(score)
                                                                   << ", expected 80.");
    REQUIRE(score == 80.0);
  }
  INFO(
      "submit_score returned false although ada's best went from 50 to 80. ZADD's reply "
      "counts only NEW members unless you add CH (changed): with CH, an updated score "
      "counts too.");
  REQUIRE(changed);
}

TEST_CASE("a worse or equal score does not replace the best one", "[task1]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 80}});

  bool worse = leaderboards::submit_score(client, board, "ada", 50);

  {
    auto score = client.zscore(board, "ada");
    INFO("ada's best is 80; after submitting a worse game (50) the board holds "
         << show_score(score)
         << ". A plain ZADD overwrites whatever was there: the best score is lost. ZADD GT only "
            "raises a score (and still adds new players).");
    REQUIRE(score == 80.0);
  }
  {
    INFO("submit_score returned true for a worse score; nothing changed, so expected false.");
    CHECK_FALSE(worse);
  }

  bool equal = leaderboards::submit_score(client, board, "ada", 80);
  INFO("submit_score returned true for an equal score; nothing changed, so expected false.");
  REQUIRE_FALSE(equal);
}

TEST_CASE("submit_score keeps the best in one command, inside the server", "[task1]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 50}});

  client.workbook_record_commands();
  leaderboards::submit_score(client, board, "ada", 70);
  auto sent = client.workbook_recorded_commands();

  INFO("submit_score sent:\n"
       << grading::describe(sent)
       << "Expected one command (ZADD with GT). Reading the best score (ZSCORE), comparing in "
          "C++ and then writing is a read-then-write: two games finishing together both read "
          "the old best and the lower one may be written last.");
  REQUIRE(one_atomic_command(sent, "ZADD"));
  REQUIRE(client.zscore(board, "ada") == 70.0);
}

TEST_CASE("16 games finishing at once never lose the best score", "[task1]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();  // shared: each call borrows its own connection
  const std::string board = keys.key("board");
  constexpr int games = 16;
  constexpr int rounds = 50;

  // Game g submits g, 16 + g, 32 + g, ...: the best of all is 16 * 49 + 15 = 799.
  grading::run_together(games, [&](int g) {
    for (int r = 0; r < rounds; ++r) leaderboards::submit_score(client, board, "ada", 16.0 * r + g);
  });

  auto score = client.zscore(board, "ada");
  INFO(games << " games submitted " << rounds << " scores each for ada; the best was 799, the "
             << "board holds " << show_score(score)
             << ". A lower score won a race: keep the comparison inside the server (ZADD GT).");
  REQUIRE(score == 799.0);
}

TEST_CASE("submit_score refuses an empty name and a score that is not a finite number", "[task1]") {
  grading::KeyScope keys("leaderboards");
  const std::string board = keys.key("board");

  INFO(
      "Task 1 asks for std::invalid_argument, before anything is sent, for: an empty player, "
      "an empty board key, NaN and infinity. (The server answers NaN with an error reply, "
      "and it accepts +inf, which nobody can score.)");
  struct Bad {
    const char* call;
    std::function<void(wb::Valkey&)> run;
  };
  const std::vector<Bad> bad{
      {"submit_score(board, \"\", 10)",
       [&](wb::Valkey& c) { leaderboards::submit_score(c, board, "", 10); }},
      {"submit_score(\"\", \"ada\", 10)",
       [&](wb::Valkey& c) { leaderboards::submit_score(c, "", "ada", 10); }},
      {"submit_score(board, \"ada\", NaN)",
       [&](wb::Valkey& c) {
         leaderboards::submit_score(c, board, "ada", std::numeric_limits<double>::quiet_NaN());
       }},
      {"submit_score(board, \"ada\", +inf)", [&](wb::Valkey& c) {
         leaderboards::submit_score(c, board, "ada", std::numeric_limits<double>::infinity());
       }}};
  std::vector<wb::SentCommand> sent;
  for (const auto& b : bad) {
    // A dry run: what submit_score tries to send is recorded, not sent, so a
    // wrong answer cannot write to the key "" of whoever else uses the server.
    bool refused = false;
    auto tried = grading::dry_run([&](wb::Valkey& client) {
      try {
        b.run(client);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
    });
    INFO(b.call << " was not refused with std::invalid_argument.");
    CHECK(refused);
    sent.insert(sent.end(), tried.begin(), tried.end());
  }
  INFO("Commands tried while refusing:\n"
       << grading::describe(sent) << "(This grader did not let them reach the server.)");
  REQUIRE(sent.empty());
}

// ---- Task 2: add_points --------------------------------------------------------

TEST_CASE("add_points starts a new player from 0 and adds up, also negative points", "[task2]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");

  double first = leaderboards::add_points(client, board, "ada", 10);
  double second = leaderboards::add_points(client, board, "ada", 5);
  double third = leaderboards::add_points(client, board, "ada", -3);

  INFO("add_points returned " << first << ", " << second << ", " << third
                              << " for +10, +5, -3 on a new player; expected 10, 15, 12 "
                                 "(the new score each time).");
  CHECK(first == 10.0);
  CHECK(second == 15.0);
  CHECK(third == 12.0);
  REQUIRE(client.zscore(board, "ada") == 12.0);
}

TEST_CASE("add_points adds in one command: ZINCRBY", "[task2]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 41}});

  client.workbook_record_commands();
  double now = leaderboards::add_points(client, board, "ada", 1);
  auto sent = client.workbook_recorded_commands();

  INFO("add_points sent:\n"
       << grading::describe(sent)
       << "Expected one ZINCRBY. ZSCORE, + in C++, then ZADD is a read-modify-write: two "
          "callers both read 41, both write 42, and a point is lost.");
  REQUIRE(one_atomic_command(sent, "ZINCRBY"));
  REQUIRE(now == 42.0);
}

TEST_CASE("add_points loses no point when 16 callers add at once", "[task2]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  constexpr int callers = 16;
  constexpr int adds_each = 50;

  grading::run_together(callers, [&](int) {
    for (int i = 0; i < adds_each; ++i) leaderboards::add_points(client, board, "ada", 1);
  });

  auto score = client.zscore(board, "ada");
  INFO(callers << " callers added 1 point " << adds_each << " times each; ada has "
               << show_score(score) << ", expected " << callers * adds_each
               << ". Lost points mean a read-modify-write: use ZINCRBY.");
  REQUIRE(score == static_cast<double>(callers * adds_each));
}

TEST_CASE("add_points refuses points that are not a finite number", "[task2]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  INFO("Task 2: NaN or infinite points are std::invalid_argument, like an empty player.");
  CHECK_THROWS_AS(leaderboards::add_points(client, keys.key("board"), "ada",
                                           std::numeric_limits<double>::quiet_NaN()),
                  std::invalid_argument);
  REQUIRE_THROWS_AS(leaderboards::add_points(client, keys.key("board"), "", 1),
                    std::invalid_argument);
}

TEST_CASE("add_points refuses an empty board or player, before sending anything", "[task2]") {
  require_refused("Task 2", {{"add_points(\"\", \"ada\", 5)",
                              [](wb::Valkey& c) { leaderboards::add_points(c, "", "ada", 5); }},
                             {"add_points(board, \"\", 5)",
                              [](wb::Valkey& c) { leaderboards::add_points(c, "board", "", 5); }}});
}

// ---- Task 3: top ------------------------------------------------------------------

TEST_CASE("top N returns N players when the board has more", "[task3]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  Standings best = leaderboards::top(client, board, 3);

  INFO("top(board, 3) on a board of 10 returned " << best.size() << " players: " << show(best)
                                                  << ". ZREVRANGE's stop index is INCLUSIVE: "
                                                     "the first 3 are 0 .. 2, that is 0 .. n-1.");
  REQUIRE(best.size() == 3);
}

TEST_CASE("top N lists the highest scores first, with their scores", "[task3]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  Standings best = leaderboards::top(client, board, 3);

  Standings expected = slice(ten_players(), 0, 2);
  INFO("top(board, 3) returned " << show(best) << "; expected " << show(expected)
                                 << ". ZRANGE lists the LOWEST scores first; a leaderboard "
                                    "wants ZREVRANGE (highest first) with WITHSCORES.");
  REQUIRE(best == expected);
}

TEST_CASE("top N of a smaller board is the whole board; of a missing board, nothing", "[task3]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 10}, {"bob", 20}});

  {
    Standings all = leaderboards::top(client, board, 10);
    INFO("top(board, 10) on a board of 2 returned " << show(all) << "; expected [bob 20, ada 10].");
    CHECK(all == Standings{{"bob", 20}, {"ada", 10}});
  }

  Standings none = leaderboards::top(client, keys.key("no-such-board"), 10);
  INFO("top on a board that does not exist returned " << show(none) << "; expected [].");
  REQUIRE(none.empty());
}

TEST_CASE("top 0 is an empty list, not the whole board", "[task3]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  {
    Standings none = leaderboards::top(client, board, 0);
    INFO("top(board, 0) returned " << none.size() << " players: " << show(none)
                                   << ". With n = 0, the stop index n-1 is -1, and to the server "
                                      "-1 means \"the last one\": ZREVRANGE key 0 -1 is the "
                                      "WHOLE board. Return an empty list without asking.");
    REQUIRE(none.empty());
  }
  INFO("top with a negative n must be std::invalid_argument.");
  REQUIRE_THROWS_AS(leaderboards::top(client, board, -1), std::invalid_argument);
}

TEST_CASE("equal scores come in the server's order: reverse alphabetical, as ZREVRANGE gives",
          "[task3]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"amy", 90}, {"bea", 90}, {"cid", 90}, {"dan", 100}});

  Standings best = leaderboards::top(client, board, 4);

  Standings expected{{"dan", 100}, {"cid", 90}, {"bea", 90}, {"amy", 90}};
  INFO("top(board, 4) returned " << show(best) << "; expected " << show(expected)
                                 << ". Highest first, ties in reverse byte order of the name: "
                                    "the order ZREVRANGE (and ZREVRANK, used by around) gives.");
  REQUIRE(best == expected);
}

// ---- Task 4: rank_of -----------------------------------------------------------------

TEST_CASE("the leader is rank 1 and the next player rank 2: ranks for people start at 1",
          "[task4]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  auto leader = leaderboards::rank_of(client, board, "p0");
  auto second = leaderboards::rank_of(client, board, "p1");
  auto last = leaderboards::rank_of(client, board, "p9");

  INFO("rank_of gave p0 (best) " << show(leader) << ", p1 " << show(second) << ", p9 (last of 10) "
                                 << show(last)
                                 << "; expected 1, 2, 10. The server counts from 0 (ZREVRANK "
                                    "of the leader is 0); people count from 1: add 1.");
  CHECK(leader == 1);
  CHECK(second == 2);
  REQUIRE(last == 10);
}

TEST_CASE("players with equal scores share a rank: 100, 90, 90, 80 are ranked 1, 2, 2, 4",
          "[task4]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 100}, {"bob", 90}, {"cat", 90}, {"dan", 80}});

  auto ada = leaderboards::rank_of(client, board, "ada");
  auto bob = leaderboards::rank_of(client, board, "bob");
  auto cat = leaderboards::rank_of(client, board, "cat");
  auto dan = leaderboards::rank_of(client, board, "dan");

  INFO("rank_of gave ada " << show(ada) << ", bob " << show(bob) << ", cat " << show(cat)
                           << ", dan " << show(dan)
                           << "; expected 1, 2, 2, 4. bob and cat both have 90: ZREVRANK puts "
                              "one before the other (by name), so ZREVRANK + 1 ranks them 2 "
                              "and 3. Competition rank = 1 + the number of players with a "
                              "STRICTLY higher score: ZCOUNT board (90 +inf.");
  CHECK(ada == 1);
  CHECK(bob == 2);
  CHECK(cat == 2);
  REQUIRE(dan == 4);
}

TEST_CASE("a player who is not on the board has no rank", "[task4]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  auto rank = leaderboards::rank_of(client, board, "nobody");

  INFO("rank_of for a player who never played returned " << show(rank)
                                                         << "; expected std::nullopt.");
  REQUIRE_FALSE(rank.has_value());
}

TEST_CASE("rank_of is exact for scores that are not whole numbers", "[task4]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  // 0.1 + 0.2 is 0.30000000000000004 in doubles: just above 0.3.
  seed(client, board, {{"ada", 0.1 + 0.2}, {"bob", 0.3}, {"cat", 0.1}});

  auto ada = leaderboards::rank_of(client, board, "ada");
  auto bob = leaderboards::rank_of(client, board, "bob");
  auto cat = leaderboards::rank_of(client, board, "cat");

  INFO("Scores: ada 0.30000000000000004, bob 0.3, cat 0.1. rank_of gave "
       << show(ada) << ", " << show(bob) << ", " << show(cat)
       << "; expected 1, 2, 3. If ada is 2, the bound you sent counted ada herself: the score "
          "was turned into text with too few digits (std::to_string keeps 6 decimals: "
          "\"0.300000\"). Write it with 17 significant digits "
          "(std::numeric_limits<double>::max_digits10).");
  CHECK(ada == 1);
  CHECK(bob == 2);
  REQUIRE(cat == 3);
}

TEST_CASE("rank_of refuses an empty board or player, before sending anything", "[task4]") {
  require_refused(
      "Task 4",
      {{"rank_of(\"\", \"ada\")", [](wb::Valkey& c) { leaderboards::rank_of(c, "", "ada"); }},
       {"rank_of(board, \"\")", [](wb::Valkey& c) { leaderboards::rank_of(c, "board", ""); }}});
}

// ---- Task 5: around ---------------------------------------------------------------------

TEST_CASE("around a player in the middle: radius above, the player, radius below", "[task5]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  Standings window = leaderboards::around(client, board, "p5", 2);

  Standings expected = slice(ten_players(), 3, 7);
  {
    INFO("around(board, \"p5\", 2) returned " << show(window) << "; expected " << show(expected)
                                              << " (p5 is 6th of 10).");
    REQUIRE(window == expected);
  }
  Standings alone = leaderboards::around(client, board, "p5", 0);
  INFO("around(board, \"p5\", 0) returned " << show(alone) << "; expected [p5 500].");
  REQUIRE(alone == slice(ten_players(), 5, 5));
}

TEST_CASE("around the leader: nobody above, radius players below", "[task5]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  Standings window = leaderboards::around(client, board, "p0", 2);

  Standings expected = slice(ten_players(), 0, 2);
  INFO("around(board, \"p0\", 2) returned "
       << show(window) << "; expected " << show(expected)
       << ". p0 is at index 0, so 0 - 2 = -2: a NEGATIVE start counts from the end of the "
          "board (-2 is the second to last). Clamp the start at 0.");
  REQUIRE(window == expected);
}

TEST_CASE("around the last player: radius players above, nobody below", "[task5]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  Standings window = leaderboards::around(client, board, "p9", 2);

  Standings expected = slice(ten_players(), 7, 9);
  INFO("around(board, \"p9\", 2) returned " << show(window) << "; expected " << show(expected)
                                            << ".");
  REQUIRE(window == expected);
}

TEST_CASE("around a player who is not on the board is empty; a negative radius is refused",
          "[task5]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, ten_players());

  {
    Standings window = leaderboards::around(client, board, "nobody", 2);
    INFO("around for a player not on the board returned " << show(window)
                                                          << "; expected [] (ZREVRANK is nil).");
    CHECK(window.empty());
  }
  INFO("around with radius -1 must be std::invalid_argument.");
  REQUIRE_THROWS_AS(leaderboards::around(client, board, "p5", -1), std::invalid_argument);
}

// ---- Task 6: remove_player -------------------------------------------------------------

TEST_CASE("remove_player takes the player off the board and says whether they were on it",
          "[task6]") {
  grading::KeyScope keys("leaderboards");
  auto client = grading::connect();
  const std::string board = keys.key("board");
  seed(client, board, {{"ada", 10}, {"bob", 20}});

  bool removed = leaderboards::remove_player(client, board, "ada");
  bool again = leaderboards::remove_player(client, board, "ada");

  {
    auto score = client.zscore(board, "ada");
    INFO("After remove_player(board, \"ada\"), ZSCORE board ada gave " << show_score(score) << ".");
    CHECK_FALSE(score.has_value());
  }
  {
    INFO("remove_player took bob off too (or changed his score); only ada was to go.");
    CHECK(client.zscore(board, "bob") == 20.0);
  }
  INFO("remove_player returned " << std::boolalpha << removed << " then " << again
                                 << "; expected true (ada was there) then false. ZREM answers "
                                    "how many members it removed.");
  CHECK(removed);
  REQUIRE_FALSE(again);
}

TEST_CASE("top refuses an empty board, before sending anything", "[task3]") {
  require_refused("Task 3", {{"top(\"\", 3)", [](wb::Valkey& c) { leaderboards::top(c, "", 3); }}});
}

TEST_CASE("around refuses an empty board or player, before sending anything", "[task5]") {
  require_refused(
      "Task 5",
      {{"around(\"\", \"ada\", 2)", [](wb::Valkey& c) { leaderboards::around(c, "", "ada", 2); }},
       {"around(board, \"\", 2)", [](wb::Valkey& c) { leaderboards::around(c, "board", "", 2); }}});
}

TEST_CASE("remove_player refuses an empty board or player, before sending anything", "[task6]") {
  require_refused("Task 6", {{"remove_player(\"\", \"ada\")",
                              [](wb::Valkey& c) { leaderboards::remove_player(c, "", "ada"); }},
                             {"remove_player(board, \"\")",
                              [](wb::Valkey& c) { leaderboards::remove_player(c, "board", ""); }}});
}
