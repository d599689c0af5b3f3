// Lesson 10 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-10` tells you what works so far. The contract of every
// function is in leaderboards.hpp.
#include "leaderboards.hpp"

#include <cmath>
#include <iterator>
#include <stdexcept>

#include "workbook/exercise.hpp"

namespace leaderboards {

bool submit_score(wb::Valkey& client, std::string_view board, std::string_view player,
                  double score) {
  WB_TODO("task 1 (submit_score)", client, board, player, score);
}

double add_points(wb::Valkey& client, std::string_view board, std::string_view player,
                  double points) {
  WB_TODO("task 2 (add_points)", client, board, player, points);
}

Standings top(wb::Valkey& client, std::string_view board, long long n) {
  WB_TODO("task 3 (top)", client, board, n);
}

std::optional<long long> rank_of(wb::Valkey& client, std::string_view board,
                                 std::string_view player) {
  WB_TODO("task 4 (rank_of)", client, board, player);
}

Standings around(wb::Valkey& client, std::string_view board, std::string_view player,
                 long long radius) {
  WB_TODO("task 5 (around)", client, board, player, radius);
}

bool remove_player(wb::Valkey& client, std::string_view board, std::string_view player) {
  WB_TODO("task 6 (remove_player)", client, board, player);
}

}  // namespace leaderboards
