// Lesson 07 - Serialization: the contract of the exercise.
//
// Write the functions in serialization.cpp. `make test-7` grades them against
// a real Valkey server; the lesson is lessons/07-serialization/README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/valkey.hpp"

namespace serialization {

// The version of the cached shape. Change it whenever a field is added,
// removed, renamed or changes meaning: readers then treat older (and newer)
// entries as misses instead of misreading them.
inline constexpr int kSchemaVersion = 2;

// A blog post, as the cache keeps it.
struct Post {
  std::uint64_t id = 0;                // may be above 2^53
  std::string title;                   // UTF-8
  std::string author;                  // UTF-8
  double score = 0.0;                  // any finite number
  std::optional<std::string> summary;  // "no summary" is not the same as ""
  std::vector<std::string> tags;       // in order
};

inline bool operator==(const Post& a, const Post& b) {
  return a.id == b.id && a.title == b.title && a.author == b.author && a.score == b.score &&
         a.summary == b.summary && a.tags == b.tags;
}
inline bool operator!=(const Post& a, const Post& b) { return !(a == b); }

// Every cache entry of this lesson is one JSON envelope:
//   {"v": 2, "data": <payload>}
// and a post, as a payload (or as an element of a list payload), is
//   {"id": "18446744073709551615", "title": "...", "author": "...",
//    "score": 0.87, "summary": "..." or null, "tags": ["...", ...]}
// The id is a decimal STRING: many JSON readers (JavaScript's among them)
// turn every number into a double, and a double is exact only up to 2^53.

// Task 1. The envelope holding `post`, as JSON text, made with nlohmann::json
// (never by gluing strings together). A score that JSON cannot carry (NaN,
// infinity) or a string that is not valid UTF-8: std::invalid_argument.
std::string to_cache_text(const Post& post);

// Task 2. The post in `text`, or std::nullopt when `text` is not a sound
// version-2 envelope: not JSON, another version or none, a field missing or
// of the wrong type, an id that is not a decimal 64-bit number. A summary
// that is null or missing means "no summary". Fields it does not know are
// ignored. Never throws, whatever the text: a bad entry is a miss.
std::optional<Post> from_cache_text(std::string_view text);

// Task 3. Cache `post` under `key` with PX `ttl` (one SET). A ttl of zero or
// less, or a post task 1 refuses: std::invalid_argument, and nothing is sent
// (the entry already there stays as it was).
void put_post(wb::Valkey& client, std::string_view key, const Post& post,
              std::chrono::milliseconds ttl);

// Task 4. The post cached under `key`; std::nullopt when there is none or
// the entry is not sound (task 2).
std::optional<Post> get_post(wb::Valkey& client, std::string_view key);

// Task 5. Cache the "popular posts" list under `key` with PX `ttl`: one
// envelope whose data is a JSON array of posts, in order. An empty list is
// an answer ("nothing is popular yet") and is cached like any other.
// Errors as in task 3.
void put_popular(wb::Valkey& client, std::string_view key, const std::vector<Post>& posts,
                 std::chrono::milliseconds ttl);

// Task 6. The cached list: an empty list is a hit (an empty vector), not a
// miss. std::nullopt when there is no entry, or it is not sound: another
// version, data not an array, or any one post in it not sound (then the
// whole list is a miss: never return part of it).
std::optional<std::vector<Post>> get_popular(wb::Valkey& client, std::string_view key);

}  // namespace serialization
