// Lesson 10 - Leaderboards with sorted sets: the contract of the exercise.
//
// Write the functions in leaderboards.cpp. `make test-10` grades them against
// a real Valkey server; the lesson is lessons/10-leaderboards/README.md.
//
// A board is one sorted set: its key is `board` (the caller chooses it), its
// members are player names, their scores are the players' points.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workbook/valkey.hpp"

namespace leaderboards {

// (player, score) pairs, best first.
using Standings = std::vector<std::pair<std::string, double>>;

// Every function refuses an empty `board` or `player`, and a score or points
// that are not finite (NaN, infinity), with std::invalid_argument, before
// sending anything.

// Task 1. Record that `player` scored `score` in one game. The board keeps each
// player's BEST score: a new player is added, a better score replaces the old
// one, a worse or equal score changes nothing. Return true when the board
// changed (new player or new best), false otherwise. Many games may finish at
// the same moment: do it in one command, so no best score is ever lost.
bool submit_score(wb::Valkey& client, std::string_view board, std::string_view player,
                  double score);

// Task 2. Add `points` (may be negative) to the player's score; a player not
// on the board starts from 0. Return the new score. Concurrent calls must all
// count.
double add_points(wb::Valkey& client, std::string_view board, std::string_view player,
                  double points);

// Task 3. The best `n` players with their scores, highest score first (equal
// scores in the server's order). Fewer when the board is smaller; empty when
// n is 0 or the board does not exist. A negative n is std::invalid_argument.
Standings top(wb::Valkey& client, std::string_view board, long long n);

// Task 4. The player's rank for people: 1 for the best score, and players with
// equal scores share a rank ("competition ranking": 100, 90, 90, 80 are ranked
// 1, 2, 2, 4). std::nullopt when the player is not on the board.
std::optional<long long> rank_of(wb::Valkey& client, std::string_view board,
                                 std::string_view player);

// Task 5. The player and their neighbours: up to `radius` players just above,
// the player, up to `radius` players just below, highest score first, with
// their scores (the order of top()). Empty when the player is not on the
// board. A negative radius is std::invalid_argument.
Standings around(wb::Valkey& client, std::string_view board, std::string_view player,
                 long long radius);

// Task 6. Take the player off the board. Return true when they were on it.
bool remove_player(wb::Valkey& client, std::string_view board, std::string_view player);

}  // namespace leaderboards
