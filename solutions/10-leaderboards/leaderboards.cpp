// Lesson 10 - reference solution.
#include "leaderboards.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace leaderboards {

namespace {

void require_names(const char* function, std::string_view board, std::string_view player) {
  if (board.empty())
    throw std::invalid_argument(std::string(function) + ": the board key is empty");
  if (player.empty()) throw std::invalid_argument(std::string(function) + ": the player is empty");
}

void require_finite(const char* function, double value) {
  // The server refuses NaN and accepts +inf, but neither is a score anyone
  // earned: refuse both here, with a message that names the function.
  if (!std::isfinite(value))
    throw std::invalid_argument(std::string(function) + ": the score must be a finite number");
}

// A double as text that reads back as exactly the same double. std::to_string
// keeps only 6 decimals: 0.30000000000000004 would become "0.300000".
std::string exact_text(double value) {
  std::ostringstream text;
  text << std::setprecision(std::numeric_limits<double>::max_digits10) << value;
  return text.str();
}

}  // namespace

bool submit_score(wb::Valkey& client, std::string_view board, std::string_view player,
                  double score) {
  require_names("submit_score", board, player);
  require_finite("submit_score", score);
  // ZADD GT only ever raises a score (a new player is still added), inside the
  // server: two games finishing together cannot overwrite each other's best.
  // CH makes the reply count updated members too, not only new ones.
  return client.command<long long>("ZADD", board, "GT", "CH", exact_text(score), player) == 1;
}

double add_points(wb::Valkey& client, std::string_view board, std::string_view player,
                  double points) {
  require_names("add_points", board, player);
  require_finite("add_points", points);
  return client.zincrby(board, points, player);
}

Standings top(wb::Valkey& client, std::string_view board, long long n) {
  if (board.empty()) throw std::invalid_argument("top: the board key is empty");
  if (n < 0) throw std::invalid_argument("top: n must not be negative");
  Standings best;
  // Careful: ZREVRANGE key 0 -1 means "everyone", so n == 0 must not send n - 1.
  if (n == 0) return best;
  // Indexes are inclusive: 0 .. n-1 is n players.
  client.zrevrange(board, 0, n - 1, std::back_inserter(best));
  return best;
}

std::optional<long long> rank_of(wb::Valkey& client, std::string_view board,
                                 std::string_view player) {
  require_names("rank_of", board, player);
  auto score = client.zscore(board, player);
  if (!score) return std::nullopt;
  // Competition ranking: 1 + the number of players with a STRICTLY higher
  // score. "(" makes the bound exclusive, so equal scores are not counted.
  // ZREVRANK would give tied players different ranks.
  return 1 + client.command<long long>("ZCOUNT", board, "(" + exact_text(*score), "+inf");
}

Standings around(wb::Valkey& client, std::string_view board, std::string_view player,
                 long long radius) {
  require_names("around", board, player);
  if (radius < 0) throw std::invalid_argument("around: the radius must not be negative");
  Standings window;
  auto position = client.zrevrank(board, player);  // 0-based, best first
  if (!position) return window;
  // A negative start would count from the END of the board: clamp it at 0.
  const long long start = std::max(0LL, *position - radius);
  // -1 (the last player) when position + radius would not fit in a long long.
  const long long stop =
      radius > std::numeric_limits<long long>::max() - *position ? -1 : *position + radius;
  client.zrevrange(board, start, stop, std::back_inserter(window));
  return window;
}

bool remove_player(wb::Valkey& client, std::string_view board, std::string_view player) {
  require_names("remove_player", board, player);
  return client.zrem(board, player) == 1;
}

}  // namespace leaderboards
