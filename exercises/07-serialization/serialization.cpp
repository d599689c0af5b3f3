// Lesson 07 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-7` tells you what works so far. The contract of every
// function is in serialization.hpp.
#include "serialization.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "workbook/exercise.hpp"

namespace serialization {

std::string to_cache_text(const Post& post) { WB_TODO("task 1 (to_cache_text)", post); }

std::optional<Post> from_cache_text(std::string_view text) {
  WB_TODO("task 2 (from_cache_text)", text);
}

void put_post(wb::Valkey& client, std::string_view key, const Post& post,
              std::chrono::milliseconds ttl) {
  WB_TODO("task 3 (put_post)", client, key, post, ttl);
}

std::optional<Post> get_post(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 4 (get_post)", client, key);
}

void put_popular(wb::Valkey& client, std::string_view key, const std::vector<Post>& posts,
                 std::chrono::milliseconds ttl) {
  WB_TODO("task 5 (put_popular)", client, key, posts, ttl);
}

std::optional<std::vector<Post>> get_popular(wb::Valkey& client, std::string_view key) {
  WB_TODO("task 6 (get_popular)", client, key);
}

}  // namespace serialization
