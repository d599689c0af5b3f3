// Mutant of lesson 07: the reader never looks at "v": an entry of an older shape is silently
// misread. The grader must reject it: "an entry of an older version (v1) is a miss, even when its
// fields look right".
#include "serialization.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace serialization {

using nlohmann::json;

namespace {

json post_to_json(const Post& post) {
  // nlohmann would write NaN and infinity as null, and the entry would come
  // back as a miss forever: refuse them here, where the mistake is.
  if (!std::isfinite(post.score))
    throw std::invalid_argument("the score must be a finite number: JSON has no NaN or infinity");
  return json{{"id", std::to_string(post.id)},  // a string: exact in every language
              {"title", post.title},
              {"author", post.author},
              {"score", post.score},
              {"summary", post.summary ? json(*post.summary) : json(nullptr)},
              {"tags", post.tags}};
}

std::string envelope_text(json data) {
  const json envelope{{"v", kSchemaVersion}, {"data", std::move(data)}};
  try {
    return envelope.dump();
  } catch (const json::type_error& e) {
    // dump() checks every string: JSON text must be valid UTF-8.
    throw std::invalid_argument(std::string("a string is not valid UTF-8: ") + e.what());
  }
}

// The payload of a version-2 envelope; nullopt for anything else.
std::optional<json> open_envelope(std::string_view text) {
  // allow_exceptions = false: bad text gives a "discarded" value, no throw.
  json envelope = json::parse(text.begin(), text.end(), nullptr, false);
  if (!envelope.is_object()) return std::nullopt;  // also catches discarded
  auto data = envelope.find("data");
  if (data == envelope.end()) return std::nullopt;
  return std::move(*data);
}

// "18446744073709551615" -> the number; no sign, no spaces, no overflow.
std::optional<std::uint64_t> parse_id(const std::string& text) {
  std::uint64_t id = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return id;
}

std::optional<Post> post_from_json(const json& data) {
  try {
    Post post;
    auto id = parse_id(data.at("id").get<std::string>());
    if (!id) return std::nullopt;
    post.id = *id;
    post.score = data.at("score").get<double>();
    post.title = data.at("title").get<std::string>();
    post.author = data.at("author").get<std::string>();
    post.tags = data.at("tags").get<std::vector<std::string>>();
    auto summary = data.find("summary");
    if (summary != data.end() && !summary->is_null()) post.summary = summary->get<std::string>();
    return post;
  } catch (const json::exception&) {
    // A field missing (out_of_range) or of another type (type_error).
    return std::nullopt;
  }
}

void require_positive(std::chrono::milliseconds ttl) {
  if (ttl <= std::chrono::milliseconds(0)) throw std::invalid_argument("the ttl must be positive");
}

}  // namespace

std::string to_cache_text(const Post& post) { return envelope_text(post_to_json(post)); }

std::optional<Post> from_cache_text(std::string_view text) {
  auto data = open_envelope(text);
  if (!data) return std::nullopt;
  return post_from_json(*data);
}

void put_post(wb::Valkey& client, std::string_view key, const Post& post,
              std::chrono::milliseconds ttl) {
  require_positive(ttl);
  client.set(key, to_cache_text(post), ttl);  // encode first: a refusal sends nothing
}

std::optional<Post> get_post(wb::Valkey& client, std::string_view key) {
  auto text = client.get(key);
  if (!text) return std::nullopt;
  return from_cache_text(*text);
}

void put_popular(wb::Valkey& client, std::string_view key, const std::vector<Post>& posts,
                 std::chrono::milliseconds ttl) {
  require_positive(ttl);
  json list = json::array();
  for (const Post& post : posts) list.push_back(post_to_json(post));
  client.set(key, envelope_text(std::move(list)), ttl);
}

std::optional<std::vector<Post>> get_popular(wb::Valkey& client, std::string_view key) {
  auto text = client.get(key);
  if (!text) return std::nullopt;
  auto data = open_envelope(*text);
  if (!data || !data->is_array()) return std::nullopt;
  std::vector<Post> posts;
  for (const json& element : *data) {
    auto post = post_from_json(element);
    if (!post) return std::nullopt;  // one bad post spoils the list: rebuild it all
    posts.push_back(std::move(*post));
  }
  return posts;
}

}  // namespace serialization
