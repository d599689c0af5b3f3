// Lesson 07 example: a struct through the cache as JSON - what survives, what
// does not, versioned envelopes, corrupt entries, a cached list. Run it with
// `make example-7`.
//
// Every key it writes starts with "example:07:" and is deleted at the end.
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string prefix = "example:07:";

struct Post {
  std::uint64_t id;
  std::string title;
  double score;
  std::optional<std::string> summary;
  std::vector<std::string> tags;
};

json to_json(const Post& p) {
  return json{{"id", std::to_string(p.id)},
              {"title", p.title},
              {"score", p.score},
              {"summary", p.summary ? json(*p.summary) : json(nullptr)},
              {"tags", p.tags}};
}

std::string envelope(const json& data, int version = 2) {
  return json{{"v", version}, {"data", data}}.dump();
}

// "123" -> 123; a sign, a space, a letter or an overflow -> nullopt.
std::optional<std::uint64_t> parse_id(const std::string& text) {
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// The reader of version 2: a miss (nullopt) for anything it cannot trust.
std::optional<Post> read_v2(const std::string& text) {
  json j = json::parse(text, nullptr, false);  // no exceptions: discarded on error
  if (!j.is_object() || !j.contains("v") || j["v"] != 2 || !j.contains("data")) return std::nullopt;
  try {
    const json& d = j.at("data");
    auto id = parse_id(d.at("id").get<std::string>());
    if (!id) return std::nullopt;
    Post p{*id, d.at("title").get<std::string>(), d.at("score").get<double>(), std::nullopt,
           d.at("tags").get<std::vector<std::string>>()};
    if (d.contains("summary") && !d["summary"].is_null())
      p.summary = d["summary"].get<std::string>();
    return p;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string exact(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

}  // namespace

int main() try {
  wb::Valkey cache;
  std::cout << wb::example::banner(cache) << "\n\n";

  std::cout << "1. A cache stores strings: a struct goes in as JSON, in a versioned envelope\n";
  Post post{18446744073709551615ull,
            "Caf\xc3\xa9 \"au lait\"\nrecipes",
            0.1 + 0.2,
            std::nullopt,
            {"food", "\xe6\x9d\xb1\xe4\xba\xac"}};
  const std::string key = prefix + "post:1";
  cache.set(key, envelope(to_json(post)), 60s);
  std::cout << "    SET " << key << " ... PX 60000\n    GET -> " << *cache.get(key) << "\n";
  auto back = read_v2(*cache.get(key));
  std::cout << "    read back: id " << back->id << ", score " << exact(back->score) << ", summary "
            << (back->summary ? "\"" + *back->summary + "\"" : "none")
            << ", same title: " << (back->title == post.title ? "yes" : "no") << "\n\n";

  std::cout << "2. Numbers: what survives the trip\n";
  const double score = 0.1 + 0.2;
  std::cout << "    json(0.1 + 0.2).dump()  -> " << json(score).dump() << "  reads back equal: "
            << (json::parse(json(score).dump()).get<double>() == score ? "yes" : "no") << "\n";
  std::cout << "    std::to_string(0.1 + 0.2) -> " << std::to_string(score)
            << "  reads back equal: " << (std::stod(std::to_string(score)) == score ? "yes" : "no")
            << "\n";
  for (std::uint64_t id : {9007199254740993ull, 18446744073709551615ull}) {
    // What a reader that keeps every JSON number as a double (JavaScript's
    // JSON.parse, for one) ends up with:
    auto as_double = static_cast<double>(json::parse(json(id).dump()).get<double>());
    std::printf("    id %" PRIu64 " as a JSON number, read as a double -> %.0f\n", id, as_double);
  }
  std::cout << "    as a string, \"18446744073709551615\" is the same in every language\n";
  std::cout << "    NaN as JSON -> " << json(std::numeric_limits<double>::quiet_NaN()).dump()
            << " (JSON has no NaN: nlohmann writes null)\n";
  try {
    json(std::string("caf\xe9")).dump();
  } catch (const json::type_error& e) {
    std::cout << "    a Latin-1 byte in a string -> " << e.what() << "\n";
  }
  std::cout << "\n";

  std::cout << "3. A deploy changes the meaning of a field: version 1 kept the score in percent\n";
  const std::string old_key = prefix + "post:2";
  json v1 = to_json(post);
  v1["score"] = 87.0;
  cache.set(old_key, envelope(v1, 1), 60s);
  json unchecked = json::parse(*cache.get(old_key))["data"];
  std::cout << "    a reader that ignores \"v\" shows score " << unchecked["score"].get<double>()
            << " (meant: 0.87)\n";
  std::cout << "    the v2 reader: " << (read_v2(*cache.get(old_key)) ? "a post" : "a miss")
            << " -> load from the database, write a v2 entry\n\n";

  std::cout << "4. Corrupt entries are misses, not crashes\n";
  for (std::string bad :
       {std::string("{\"v\":2,\"data\":{\"id\":\"4"), std::string("42|Hello|0.75"),
        envelope(json{{"id", "7"}, {"title", 5}})}) {
    cache.set(prefix + "bad", bad, 60s);
    std::string why;
    try {
      json::parse(*cache.get(prefix + "bad")).at("data").at("title").get<std::string>();
    } catch (const json::exception& e) {
      why = e.what();
    }
    std::cout << "    " << bad << "\n      unguarded: " << why.substr(0, 70) << "...\n"
              << "      read_v2:   " << (read_v2(bad) ? "a post" : "a miss") << "\n";
  }
  std::cout << "\n";

  std::cout << "5. A list: the popular posts, one envelope; an empty list is an answer too\n";
  json list = json::array();
  for (std::uint64_t id = 1; id <= 10; ++id)
    list.push_back(
        to_json(Post{id, "Post number " + std::to_string(id), 0.5, "A summary", {"tag"}}));
  const std::string popular = prefix + "popular";
  cache.set(popular, envelope(list), 30s);
  std::cout << "    10 posts -> STRLEN " << cache.strlen(popular) << " bytes\n";
  cache.set(popular, envelope(json::array()), 30s);
  std::cout << "    no posts -> GET " << *cache.get(popular)
            << " (a hit: nothing is popular yet)\n";

  cache.del({key, old_key, prefix + "bad", popular});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-7).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
