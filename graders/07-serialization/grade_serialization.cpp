// Grader for lesson 07 - Serialization: JSON with a version.
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "serialization.hpp"
#include "workbook/grading.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
using nlohmann::json;
using serialization::Post;
namespace grading = wb::grading;

namespace {

// A post with everything that tends to go wrong: an id above 2^53, quotes,
// a backslash, a newline, UTF-8, a double that needs 17 digits.
Post tricky_post() {
  Post p;
  p.id = 18446744073709551615ull;  // 2^64 - 1
  p.title = "Caf\xc3\xa9 \xe2\x98\x95: \"quotes\", a back\\slash and a\nnewline";
  p.author = "Zo\xc3\xab";
  p.score = 0.1 + 0.2;  // 0.30000000000000004
  p.summary = "Short and sweet";
  p.tags = {"c++", "valkey", "\xe6\x9d\xb1\xe4\xba\xac"};
  return p;
}

Post plain_post(std::uint64_t id, std::string title) {
  Post p;
  p.id = id;
  p.title = std::move(title);
  p.author = "Ann";
  p.score = 0.5;
  p.tags = {"news"};
  return p;
}

std::string number(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string describe(const Post& p) {
  std::string tags;
  for (const auto& t : p.tags) tags += (tags.empty() ? "\"" : ", \"") + t + "\"";
  return "{id " + std::to_string(p.id) + ", title \"" + p.title + "\", author \"" + p.author +
         "\", score " + number(p.score) + ", summary " +
         (p.summary ? "\"" + *p.summary + "\"" : "none") + ", tags [" + tags + "]}";
}

std::string describe(const std::optional<Post>& p) {
  return p ? describe(*p) : "std::nullopt (a miss)";
}

// The text as JSON, or the parser's complaint.
struct Parsed {
  json value;
  std::string error;
};
Parsed parse(const std::string& text) {
  try {
    return {json::parse(text), ""};
  } catch (const json::exception& e) {
    return {json(), e.what()};
  }
}

// The payload of a v2 post, as the contract writes it, for tests to spoil.
json good_data() {
  return json{{"id", "42"},    {"title", "Hello"},   {"author", "Ann"},
              {"score", 0.75}, {"summary", nullptr}, {"tags", {"news", "c++"}}};
}
std::string envelope(const json& data, const json& version = 2) {
  return json{{"v", version}, {"data", data}}.dump();
}

// What a call returned, or the text of what it threw; "not implemented" goes
// on, so that a stub is reported as one.
template <typename T>
struct Outcome {
  T value{};
  std::string error;
};
template <typename Call>
auto outcome_of(Call&& call) -> Outcome<decltype(call())> {
  try {
    return {call(), ""};
  } catch (const wb::NotImplemented&) {
    throw;
  } catch (const std::exception& e) {
    return {{}, e.what()};
  }
}
auto attempt(const std::string& text) {
  return outcome_of([&] { return serialization::from_cache_text(text); });
}

}  // namespace

// ---- Task 1: to_cache_text ---------------------------------------------------

TEST_CASE("to_cache_text writes JSON that any language can parse", "[task1]") {
  std::string text = serialization::to_cache_text(tricky_post());
  Parsed parsed = parse(text);
  INFO("to_cache_text wrote:\n"
       << text << "\nThe JSON parser says: " << parsed.error
       << "\n"
          "JSON glued together with + and std::to_string breaks on a quote, a backslash or a "
          "newline in the text, and std::to_string keeps only 6 decimals of a double. Build a "
          "nlohmann::json object and dump() it: it escapes and formats everything.");
  REQUIRE(parsed.error.empty());
}

TEST_CASE("the envelope holds the schema version and the post: {\"v\": 2, \"data\": {...}}",
          "[task1]") {
  Parsed parsed = parse(serialization::to_cache_text(tricky_post()));
  REQUIRE(parsed.error.empty());
  const json& j = parsed.value;
  INFO("to_cache_text wrote "
       << j.dump()
       << ". Expected an object with \"v\": 2 (a number: "
          "serialization::kSchemaVersion) and \"data\": the post as an object. Without the "
          "version, a reader cannot tell an old shape from the current one.");
  REQUIRE(j.is_object());
  REQUIRE(j.contains("v"));
  REQUIRE(j["v"] == serialization::kSchemaVersion);
  REQUIRE(j.contains("data"));
  REQUIRE(j["data"].is_object());
  const json& d = j["data"];
  for (const char* field : {"id", "title", "author", "score", "tags"}) {
    INFO("data has no \"" << field << "\" field.");
    REQUIRE(d.contains(field));
  }
  REQUIRE(d["title"] == tricky_post().title);
  REQUIRE(d["author"] == tricky_post().author);
  REQUIRE(d["tags"] == json(tricky_post().tags));
}

TEST_CASE("the score is a JSON number that reads back exactly", "[task1]") {
  Parsed parsed = parse(serialization::to_cache_text(tricky_post()));
  REQUIRE(parsed.error.empty());
  const json& score = parsed.value["data"]["score"];
  INFO("data.score is "
       << score.dump()
       << "; expected the number 0.30000000000000004 (0.1 + 0.2) "
          "exactly. A string, or std::to_string's \"0.300000\", loses the double: let "
          "nlohmann::json write it (it prints the shortest text that reads back exactly).");
  REQUIRE(score.is_number());
  REQUIRE(score.get<double>() == 0.1 + 0.2);
}

TEST_CASE("the 64-bit id is written as a decimal string (2^64 - 1 survives in any language)",
          "[task1]") {
  Parsed parsed = parse(serialization::to_cache_text(tricky_post()));
  REQUIRE(parsed.error.empty());
  const json& id = parsed.value["data"]["id"];
  INFO("data.id is "
       << id.dump()
       << "; expected the string \"18446744073709551615\". As a JSON "
          "number it is fine for nlohmann, but JavaScript, and many other readers, turn every JSON "
          "number into a double, exact only up to 2^53 = 9007199254740992: they would read "
          "18446744073709551616 and fetch the wrong post. A string is exact everywhere.");
  REQUIRE(id.is_string());
  REQUIRE(id == "18446744073709551615");
}

TEST_CASE("a post without a summary is written with summary null, not \"\"", "[task1]") {
  Post p = plain_post(7, "No summary");
  Parsed parsed = parse(serialization::to_cache_text(p));
  REQUIRE(parsed.error.empty());
  const json& d = parsed.value["data"];
  INFO("For a post with no summary, data is "
       << d.dump()
       << ". Expected \"summary\": null (or "
          "no summary field). Writing \"\" turns \"no summary\" into \"an empty summary\": a "
          "reader can no longer tell them apart (value_or(\"\") is the usual culprit).");
  REQUIRE((!d.contains("summary") || d["summary"].is_null()));
}

TEST_CASE("a post with a summary writes it as a string, even an empty one", "[task1]") {
  Post with_text = plain_post(8, "With summary");
  with_text.summary = "Short";
  Post with_empty = plain_post(9, "Empty summary");
  with_empty.summary = "";
  Parsed a = parse(serialization::to_cache_text(with_text));
  Parsed b = parse(serialization::to_cache_text(with_empty));
  REQUIRE(a.error.empty());
  REQUIRE(b.error.empty());
  INFO("summary \"Short\" was written as: "
       << a.value["data"].dump()
       << "\nsummary \"\" was "
          "written as: "
       << b.value["data"].dump()
       << "\nExpected \"summary\": \"Short\" and "
          "\"summary\": \"\". An optional field that is never written is lost on the way.");
  REQUIRE(a.value["data"].contains("summary"));
  REQUIRE(a.value["data"]["summary"] == "Short");
  REQUIRE(b.value["data"].contains("summary"));
  REQUIRE(b.value["data"]["summary"] == "");
}

TEST_CASE("to_cache_text refuses a score JSON cannot carry: NaN and infinity", "[task1]") {
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    Post p = plain_post(10, "Bad score");
    p.score = bad;
    INFO("score " << bad
                  << ": JSON has no NaN or infinity. nlohmann writes null instead, and "
                     "the entry would read back as a miss every time. Task 1 asks for "
                     "std::invalid_argument.");
    REQUIRE_THROWS_AS(serialization::to_cache_text(p), std::invalid_argument);
  }
}

TEST_CASE("to_cache_text refuses text that is not UTF-8 with std::invalid_argument", "[task1]") {
  Post p = plain_post(11, "Latin-1 caf\xe9");  // 0xE9 alone is not UTF-8
  INFO(
      "The title holds the byte 0xE9 on its own (Latin-1, not UTF-8). JSON text is UTF-8: "
      "nlohmann's dump() throws json::type_error (316) for it. Turn that into "
      "std::invalid_argument, the error this contract promises for bad input.");
  REQUIRE_THROWS_AS(serialization::to_cache_text(p), std::invalid_argument);
}

// ---- Task 2: from_cache_text ---------------------------------------------------

TEST_CASE("a post survives to_cache_text and from_cache_text exactly", "[task2]") {
  Post zero = plain_post(0, "Zero");
  Post above_2_53 = plain_post(9007199254740993ull, "2^53 + 1");
  Post nul = plain_post(12, "a\0b"s);
  nul.score = -1e-300;
  nul.tags = {};
  for (const Post& p : {tricky_post(), zero, above_2_53, nul}) {
    std::string text = serialization::to_cache_text(p);
    auto back = attempt(text);
    INFO("Wrote " << describe(p) << "\nas " << text << "\nread back "
                  << (back.error.empty() ? describe(back.value) : "an exception: " + back.error));
    REQUIRE(back.error.empty());
    REQUIRE(back.value.has_value());
    REQUIRE(*back.value == p);
  }
}

TEST_CASE("summary: none stays none, \"\" stays \"\", text stays text", "[task2]") {
  for (std::optional<std::string> summary :
       {std::optional<std::string>(), std::optional<std::string>(""),
        std::optional<std::string>("Short")}) {
    Post p = plain_post(13, "Summary");
    p.summary = summary;
    auto back = serialization::from_cache_text(serialization::to_cache_text(p));
    INFO("Wrote summary " << (summary ? "\"" + *summary + "\"" : "none") << ", read back "
                          << (back ? (back->summary ? "\"" + *back->summary + "\"" : "none")
                                   : "a miss")
                          << ". \"No summary\" and \"an empty summary\" are different answers.");
    REQUIRE(back.has_value());
    REQUIRE(back->summary == summary);
  }
}

TEST_CASE("an entry of an older version (v1) is a miss, even when its fields look right",
          "[task2]") {
  // Version 1 kept the score as a percentage (87.0); version 2 keeps a
  // fraction (0.87). Same field names, another meaning: that is why it has a
  // version number.
  json v1 = good_data();
  v1["score"] = 87.0;
  auto got = attempt(envelope(v1, 1));
  INFO("An entry written by the previous deploy, {\"v\": 1, ...}, read as "
       << (got.error.empty() ? describe(got.value) : "an exception: " + got.error)
       << ". Expected a miss: its fields parse, but in version 1 the score was a percentage, so "
          "reading it as version 2 silently shows 87 instead of 0.87. Check \"v\" first.");
  REQUIRE(got.error.empty());
  REQUIRE_FALSE(got.value.has_value());
}

TEST_CASE("an envelope with a newer version, or with none, is a miss", "[task2]") {
  struct Case {
    const char* what;
    std::string text;
  };
  std::vector<Case> cases{
      {"v = 3 (written by a newer deploy)", envelope(good_data(), 3)},
      {"no \"v\" at all", json{{"data", good_data()}}.dump()},
      {"v = \"2\" (a string)", envelope(good_data(), "2")},
      {"v = 2.5", envelope(good_data(), 2.5)},
  };
  for (const auto& c : cases) {
    auto got = attempt(c.text);
    INFO(
        "Envelope with " << c.what << ": " << c.text << "\nread as "
                         << (got.error.empty() ? describe(got.value) : "an exception: " + got.error)
                         << ". Only \"v\": 2 is this version; anything else is a miss.");
    REQUIRE(got.error.empty());
    REQUIRE_FALSE(got.value.has_value());
  }
}

TEST_CASE("text that is not JSON is a miss, never an exception", "[task2]") {
  for (std::string text : {""s, "{"s, "not json"s, "{\"v\": 2, \"data\": "s, "\xff\xfe\x00garbage"s,
                           "{\"v\": 2, \"data\": {\"title\": \"caf\xe9\"}}"s}) {
    auto got = attempt(text);
    INFO("from_cache_text("
         << json(text).dump(-1, ' ', true, json::error_handler_t::replace) << ") "
         << (got.error.empty() ? "returned " + describe(got.value) : "threw: " + got.error)
         << ". A cache entry can be cut short, written by other code or left from another "
            "format; it must never take the request down. Parse without exceptions "
            "(json::parse(text, nullptr, false) and is_discarded()) or catch them, and return "
            "std::nullopt.");
    REQUIRE(got.error.empty());
    REQUIRE_FALSE(got.value.has_value());
  }
}

TEST_CASE("a field of the wrong type is a miss, never an exception", "[task2]") {
  struct Case {
    const char* what;
    std::string text;
  };
  auto with = [](const char* field, const json& value) {
    json d = good_data();
    d[field] = value;
    return envelope(d);
  };
  auto without = [](const char* field) {
    json d = good_data();
    d.erase(field);
    return envelope(d);
  };
  std::vector<Case> cases{
      {"top level is an array", "[1, 2, 3]"},
      {"top level is null", "null"},
      {"data is an array", envelope(json::array({1, 2}))},
      {"data is a string", envelope("a post")},
      {"data missing", json{{"v", 2}}.dump()},
      {"title is a number", with("title", 5)},
      {"author is null", with("author", nullptr)},
      {"score is a string", with("score", "0.75")},
      {"score is true", with("score", true)},
      {"tags is a string", with("tags", "news")},
      {"a tag is a number", with("tags", json::array({"news", 3}))},
      {"summary is a number", with("summary", 12)},
      {"title missing", without("title")},
      {"tags missing", without("tags")},
  };
  for (const auto& c : cases) {
    auto got = attempt(c.text);
    INFO("Entry with "
         << c.what << ": " << c.text << "\n"
         << (got.error.empty() ? "returned " + describe(got.value) : "threw: " + got.error)
         << ". Expected a miss. json::parse_error is not the only way JSON fails: at() on a "
            "missing field throws out_of_range, get<std::string>() on a number throws "
            "type_error. Check types, or catch json::exception (the base of all of them).");
    REQUIRE(got.error.empty());
    REQUIRE_FALSE(got.value.has_value());
  }
}

TEST_CASE("an id that is not a decimal 64-bit number is a miss", "[task2]") {
  for (json id : {json("-1"), json("12ab"), json(""), json("18446744073709551616"), json(" 42"),
                  json("+42"), json("4.2"), json(42)}) {
    json d = good_data();
    d["id"] = id;
    auto got = attempt(envelope(d));
    INFO("data.id = "
         << id.dump() << " read as "
         << (got.error.empty() ? describe(got.value) : "an exception: " + got.error)
         << ". Expected a miss. std::stoull reads \"12ab\" as 12 and \"-1\" as "
            "18446744073709551615 without complaint; std::from_chars with a check that it "
            "used every character does not.");
    REQUIRE(got.error.empty());
    REQUIRE_FALSE(got.value.has_value());
  }
}

TEST_CASE("a summary that is null or missing means no summary; unknown fields are ignored",
          "[task2]") {
  json with_null = good_data();
  json missing = good_data();
  missing.erase("summary");
  json extra = good_data();
  extra["reading_minutes"] = 4;
  for (const json& d : {with_null, missing, extra}) {
    auto got = attempt(envelope(d));
    INFO("data = " << d.dump() << " read as "
                   << (got.error.empty() ? describe(got.value) : "an exception: " + got.error)
                   << ". Expected the post (id 42, \"Hello\") with no summary.");
    REQUIRE(got.error.empty());
    REQUIRE(got.value.has_value());
    REQUIRE(got.value->id == 42);
    REQUIRE_FALSE(got.value->summary.has_value());
  }
}

// ---- Tasks 3 and 4: put_post and get_post ---------------------------------------------

TEST_CASE("put_post stores the envelope under the key with PX ttl", "[task3]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("post:1");
  serialization::put_post(client, key, tricky_post(), 60000ms);
  auto stored = client.get(key);
  {
    INFO("After put_post the key holds " << (stored ? *stored : "nothing") << ".");
    REQUIRE(stored.has_value());
  }
  Parsed parsed = parse(*stored);
  {
    INFO("The stored value is not the JSON envelope of task 1: " << *stored << " (" << parsed.error
                                                                 << ")");
    REQUIRE(parsed.error.empty());
    REQUIRE(parsed.value.is_object());
    REQUIRE(parsed.value["v"] == serialization::kSchemaVersion);
  }
  long long pttl = client.pttl(key);
  INFO("PTTL of the entry is " << pttl << " ms; expected a little under 60000: SET with PX ttl.");
  REQUIRE(pttl > 50000);
  REQUIRE(pttl <= 60000);
}

TEST_CASE("get_post reads back what put_post stored", "[task4]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("post:1");
  serialization::put_post(client, key, tricky_post(), 60000ms);
  auto got = serialization::get_post(client, key);
  INFO("put_post then get_post gave " << describe(got) << "\nexpected " << describe(tricky_post()));
  REQUIRE(got.has_value());
  REQUIRE(*got == tricky_post());
}

TEST_CASE("get_post of a missing key is std::nullopt", "[task4]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  auto got = serialization::get_post(client, keys.key("post:missing"));
  INFO("get_post of a key that does not exist gave " << describe(got) << ".");
  REQUIRE_FALSE(got.has_value());
}

TEST_CASE("get_post of a corrupt or old entry is std::nullopt, never an exception", "[task4]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  std::vector<std::string> entries{"{\"v\": 2, \"data\": {\"id\": \"4", "42|Hello|Ann|0.75",
                                   envelope(good_data(), 1), envelope(json::array())};
  int i = 0;
  for (const auto& entry : entries) {
    const std::string key = keys.key("post:" + std::to_string(i++));
    client.set(key, entry, 60000ms);
    auto [got, error] = outcome_of([&] { return serialization::get_post(client, key); });
    INFO("The key holds "
         << entry << "\nget_post "
         << (error.empty() ? "returned " + describe(got) : "threw: " + error)
         << ". Expected std::nullopt: the caller then loads from the database and the next "
            "put_post replaces the entry.");
    REQUIRE(error.empty());
    REQUIRE_FALSE(got.has_value());
  }
}

TEST_CASE("put_post refuses a post it cannot store, sends nothing, and the old entry stays",
          "[task3]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("post:1");
  serialization::put_post(client, key, plain_post(1, "Good"), 60000ms);
  const auto before = client.get(key);
  Post nan_score = plain_post(1, "Bad");
  nan_score.score = std::numeric_limits<double>::quiet_NaN();
  client.record_commands();
  {
    INFO("put_post with a NaN score must throw std::invalid_argument (task 1 refuses it).");
    REQUIRE_THROWS_AS(serialization::put_post(client, key, nan_score, 60000ms),
                      std::invalid_argument);
  }
  auto sent = client.recorded_commands();
  INFO("put_post sent, before refusing:\n"
       << grading::describe(sent) << "The entry now holds " << client.get(key).value_or("nothing")
       << ". Encode first, then SET: a refused post must "
          "leave the good entry that was there.");
  REQUIRE(sent.empty());
  REQUIRE(client.get(key) == before);
}

TEST_CASE("put_post refuses a ttl of zero or less", "[task3]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  client.record_commands();
  {
    INFO(
        "A cache entry without a positive TTL never expires: task 3 asks for "
        "std::invalid_argument.");
    REQUIRE_THROWS_AS(serialization::put_post(client, keys.key("p"), plain_post(1, "x"), 0ms),
                      std::invalid_argument);
  }
  auto sent = client.recorded_commands();
  INFO("Commands sent before refusing:\n" << grading::describe(sent));
  REQUIRE(sent.empty());
}

// ---- Tasks 5 and 6: the popular list ---------------------------------------------

TEST_CASE("the popular list is one envelope whose data is an array, with PX ttl", "[task5]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("popular");
  serialization::put_popular(client, key, {plain_post(1, "One"), plain_post(2, "Two")}, 30000ms);
  auto stored = client.get(key);
  Parsed parsed = parse(stored.value_or(""));
  {
    INFO("The key holds " << stored.value_or("nothing")
                          << "; expected {\"v\": 2, \"data\": "
                             "[post, post]} ("
                          << parsed.error << ").");
    REQUIRE(parsed.error.empty());
    REQUIRE(parsed.value["v"] == serialization::kSchemaVersion);
    REQUIRE(parsed.value["data"].is_array());
    REQUIRE(parsed.value["data"].size() == 2);
  }
  long long pttl = client.pttl(key);
  INFO("PTTL of the list is " << pttl << " ms; expected a little under 30000.");
  REQUIRE(pttl > 25000);
  REQUIRE(pttl <= 30000);
}

TEST_CASE("the popular list reads back whole and in order", "[task6]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("popular");
  std::vector<Post> posts{tricky_post(), plain_post(2, "Two"), plain_post(3, "Three")};
  serialization::put_popular(client, key, posts, 30000ms);
  auto got = serialization::get_popular(client, key);
  INFO("get_popular gave " << (got ? std::to_string(got->size()) + " posts" : "a miss")
                           << "; expected the 3 posts in the order they were put.");
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("Post " << i << ": got " << describe((*got)[i]) << ", expected " << describe(posts[i]));
    REQUIRE((*got)[i] == posts[i]);
  }
}

TEST_CASE("an empty popular list is cached, and read back as an empty list: a hit", "[task6]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("popular");
  serialization::put_popular(client, key, {}, 30000ms);
  {
    INFO(
        "put_popular with no posts stored nothing. \"Nothing is popular yet\" is an answer "
        "from the database; cache it, or every request asks the database again.");
    REQUIRE(client.exists(key) == 1);
  }
  auto got = serialization::get_popular(client, key);
  INFO("get_popular of a cached empty list gave "
       << (got ? std::to_string(got->size()) + " posts" : "std::nullopt (a miss)")
       << ". Expected an empty vector: a hit. A miss sends the caller to the database on every "
          "request, for as long as nothing is popular.");
  REQUIRE(got.has_value());
  REQUIRE(got->empty());
}

TEST_CASE("a popular list with one unsound post is a miss as a whole", "[task6]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("popular");
  json bad = good_data();
  bad["id"] = "not-a-number";
  json good_a = good_data(), good_b = good_data();
  good_b["id"] = "43";
  client.set(key, envelope(json::array({good_a, bad, good_b})), 30000ms);
  auto [got, error] = outcome_of([&] { return serialization::get_popular(client, key); });
  INFO("The list holds 3 posts, the middle one with id \"not-a-number\". get_popular "
       << (error.empty() ? "gave " + (got ? std::to_string(got->size()) + " posts" : "a miss"s)
                         : "threw: " + error)
       << ". Expected a miss: a list with a hole is not the popular list; rebuild it whole "
          "from the database.");
  REQUIRE(error.empty());
  REQUIRE_FALSE(got.has_value());
}

TEST_CASE("an old-version popular list, or one whose data is not an array, is a miss", "[task6]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  std::vector<std::string> entries{envelope(json::array({good_data()}), 1), envelope(good_data()),
                                   "[]"};
  int i = 0;
  for (const auto& entry : entries) {
    const std::string key = keys.key("popular:" + std::to_string(i++));
    client.set(key, entry, 30000ms);
    auto [got, error] = outcome_of([&] { return serialization::get_popular(client, key); });
    INFO("The key holds " << entry << "\nget_popular "
                          << (error.empty()
                                  ? "gave " +
                                        (got ? std::to_string(got->size()) + " posts" : "a miss"s)
                                  : "threw: " + error)
                          << ". Expected a miss.");
    REQUIRE(error.empty());
    REQUIRE_FALSE(got.has_value());
  }
}

TEST_CASE("put_popular refuses a list with a post it cannot store, and the old list stays",
          "[task5]") {
  grading::KeyScope keys("serialization");
  auto client = grading::connect();
  const std::string key = keys.key("popular");
  serialization::put_popular(client, key, {plain_post(1, "Good")}, 30000ms);
  const auto before = client.get(key);
  Post bad = plain_post(2, "Bad");
  bad.score = std::numeric_limits<double>::infinity();
  {
    INFO("A list with an infinite score: std::invalid_argument expected.");
    REQUIRE_THROWS_AS(
        serialization::put_popular(client, key, {plain_post(3, "Fine"), bad}, 30000ms),
        std::invalid_argument);
  }
  INFO("After the refused put_popular the key holds "
       << client.get(key).value_or("nothing") << "; the previous list should still be there.");
  REQUIRE(client.get(key) == before);
}
