// Lesson 10 example: a leaderboard in a sorted set. Keeping the best score
// (ZADD GT), the top N, ranks for people (ties share a rank), the players
// around one player, and what a double can and cannot count. Run it with
// `make example-10`.
//
// Every key it writes starts with "example:10:" and is deleted at the end.
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/measure.hpp"
#include "workbook/valkey.hpp"

namespace {

const std::string prefix = "example:10:";
using Standings = std::vector<std::pair<std::string, double>>;

std::string show(const Standings& standings) {
  if (standings.empty()) return "(empty)";
  std::ostringstream out;
  for (const auto& [player, score] : standings)
    out << (&player == &standings.front().first ? "" : ", ") << player << " " << score;
  return out.str();
}

std::string show(const std::optional<double>& score) {
  if (!score) return "(nil)";
  std::ostringstream out;
  out << std::setprecision(std::numeric_limits<double>::max_digits10) << *score;
  return out.str();
}

std::string exact_text(double value) { return show(std::optional<double>(value)); }

// 1 + how many players have a strictly higher score.
long long competition_rank(wb::Valkey& client, const std::string& board, const std::string& who) {
  double score = *client.zscore(board, who);
  return 1 + client.zcount(board, "(" + exact_text(score), "+inf");
}

// Median time of `calls` calls of f, in microseconds.
}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";
  const std::string best = prefix + "best";
  const std::string board = prefix + "board";
  const std::string big = prefix + "big";

  std::cout << "1. Keeping the best score: plain ZADD overwrites, ZADD GT only raises\n";
  client.zadd(best, "ada", 120);
  client.zadd(best, "ada", 90);
  std::cout << "    ZADD 120 then ZADD 90       -> ada has " << show(client.zscore(best, "ada"))
            << " (the worse game won)\n";
  client.zadd(best, "ada", 120);
  long long changed = client.zadd(best, "ada", 90, wb::UpdateType::GREATER, true);
  std::cout << "    ZADD 120 then ZADD GT CH 90 -> ada has " << show(client.zscore(best, "ada"))
            << ", reply " << changed << " (nothing changed)\n";
  changed = client.zadd(best, "ada", 150, wb::UpdateType::GREATER, true);
  std::cout << "    ZADD GT CH 150              -> ada has " << show(client.zscore(best, "ada"))
            << ", reply " << changed << " (a new best)\n\n";

  std::cout << "2. The top 3: ZREVRANGE 0 2 WITHSCORES (indexes are inclusive)\n";
  Standings players{{"ada", 300}, {"bob", 250}, {"cat", 250}, {"dan", 250},
                    {"eve", 180}, {"fay", 120}, {"gus", 90}};
  client.zadd(board, players.begin(), players.end());
  Standings top;
  client.zrevrange(board, 0, 2, std::back_inserter(top));
  std::cout << "    ZREVRANGE board 0 2  -> " << show(top) << "\n";
  Standings lowest;
  client.zrange(board, 0, 2, std::back_inserter(lowest));
  std::cout << "    ZRANGE    board 0 2  -> " << show(lowest) << " (lowest first: wrong way)\n";
  Standings everyone;
  client.zrevrange(board, 0, -1, std::back_inserter(everyone));
  std::cout << "    ZREVRANGE board 0 -1 -> " << everyone.size()
            << " players: -1 is the last one, so \"top 0\" done as 0..n-1 is everyone\n\n";

  std::cout << "3. Ties: bob, cat and dan all have 250\n";
  for (const char* who : {"ada", "bob", "cat", "dan", "eve"}) {
    std::cout << "    " << who << ": ZREVRANK " << *client.zrevrank(board, who)
              << ", competition rank " << competition_rank(client, board, who) << "\n";
  }
  std::cout
      << "    ZREVRANK orders equal scores by name, reversed; people expect 1, 2, 2, 2, 5\n\n";

  std::cout << "4. Around eve (radius 2): ZREVRANK, then ZREVRANGE rank-2 .. rank+2\n";
  long long at = *client.zrevrank(board, "eve");
  Standings window;
  client.zrevrange(board, std::max(0LL, at - 2), at + 2, std::back_inserter(window));
  std::cout << "    eve is at index " << at << ": " << show(window) << "\n";
  long long top_at = *client.zrevrank(board, "ada");
  Standings unclamped;
  client.zrevrange(board, top_at - 2, top_at + 2, std::back_inserter(unclamped));
  std::cout << "    around ada without clamping: ZREVRANGE -2 2 -> " << show(unclamped)
            << " (-2 counts from the end)\n";
  Standings clamped;
  client.zrevrange(board, std::max(0LL, top_at - 2), top_at + 2, std::back_inserter(clamped));
  std::cout << "    around ada, start clamped at 0: ZREVRANGE 0 2 -> " << show(clamped) << "\n\n";

  std::cout << "5. Scores are doubles: integers are exact only up to 2^53\n";
  client.zadd(best, "big", 9007199254740992.0);  // 2^53
  std::cout << "    ZADD 2^53, then ZINCRBY 1 -> " << show(client.zincrby(best, 1, "big"))
            << " (the +1 is lost)\n";
  std::cout << "    ZINCRBY 0.1, then 0.2 on a new player -> ";
  client.zincrby(best, 0.1, "tiny");
  std::cout << show(client.zincrby(best, 0.2, "tiny")) << "\n\n";

  std::cout << "6. Cost: a rank on a board of 100 players and of 100000 (median of 1000 calls)\n";
  for (int chunk = 0; chunk < 100; ++chunk) {
    Standings batch;
    for (int i = 0; i < 1000; ++i) {
      int n = chunk * 1000 + i;
      batch.emplace_back("player" + std::to_string(n), (n * 7919) % 100003);
    }
    client.zadd(big, batch.begin(), batch.end());
  }
  const std::string small = prefix + "small";
  Standings hundred;
  client.zrevrange(big, 0, 99, std::back_inserter(hundred));
  client.zadd(small, hundred.begin(), hundred.end());
  double small_rank = wb::median_micros(1000, [&] { client.zrevrank(small, hundred[50].first); });
  double big_rank = wb::median_micros(1000, [&] { client.zrevrank(big, "player50000"); });
  double big_count =
      wb::median_micros(1000, [&] { client.zcount(big, "(" + exact_text(50000), "+inf"); });
  std::cout << "    ZREVRANK, " << client.zcard(small) << " players:    " << small_rank << " us\n"
            << "    ZREVRANK, " << client.zcard(big) << " players: " << big_rank << " us\n"
            << "    ZCOUNT,   " << client.zcard(big) << " players: " << big_count << " us\n"
            << "    (O(log N): here the round trip costs more than the search)\n";

  client.del({best, board, big, small});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-10).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
