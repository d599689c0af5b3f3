// Lesson 08 - reference solution.
#include "sessions.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sessions {

namespace {

constexpr std::size_t id_bytes = 32;   // 256 bits: guessing one is hopeless
constexpr std::size_t id_length = 43;  // base64url of 32 bytes, without padding
const std::string data_prefix = "data:";

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A cookie is typed by whoever sends the request: check its shape before it
// becomes part of a key name.
bool well_formed(std::string_view id) {
  return id.size() == id_length && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

void check_policy(const Policy& policy) {
  if (policy.idle_timeout.count() <= 0 || policy.absolute_lifetime.count() <= 0)
    throw std::invalid_argument("sessions: the policy's durations must be positive");
}

std::optional<long long> parse_ms(const std::string& text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string new_session_id() {
  std::array<unsigned char, id_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("new_session_id: the cryptographic random source failed");
  // EVP_EncodeBlock writes standard base64 ("+/", "=" padding) and a NUL.
  std::array<unsigned char, 4 * ((id_bytes + 2) / 3) + 1> text{};
  int written = EVP_EncodeBlock(text.data(), bytes.data(), static_cast<int>(bytes.size()));
  std::string id(text.begin(), text.begin() + written);
  // base64url: safe in a cookie and in a URL without escaping.
  std::replace(id.begin(), id.end(), '+', '-');
  std::replace(id.begin(), id.end(), '/', '_');
  id.erase(std::remove(id.begin(), id.end(), '='), id.end());
  return id;
}

std::string create(wb::Valkey& client, std::string_view prefix, std::string_view user_id,
                   const std::map<std::string, std::string>& data, const Policy& policy) {
  if (user_id.empty()) throw std::invalid_argument("create: the user id must not be empty");
  check_policy(policy);

  std::string id = new_session_id();
  const std::string key = session_key(prefix, id);
  const std::string index = user_sessions_key(prefix, user_id);
  std::vector<std::pair<std::string, std::string>> fields{
      {"user", std::string(user_id)},
      {"deadline_ms", std::to_string(now_ms() + policy.absolute_lifetime.count())}};
  for (const auto& [name, value] : data) fields.emplace_back(data_prefix + name, value);

  // One transaction: the session never exists without its TTL, nor outside
  // the user's set, even for a moment.
  client.transaction(true, false)
      .hset(key, fields.begin(), fields.end())
      .pexpire(key, std::min(policy.idle_timeout, policy.absolute_lifetime))
      .sadd(index, id)
      .pexpire(index, policy.absolute_lifetime)
      .exec();
  return id;
}

std::optional<Session> load(wb::Valkey& client, std::string_view prefix, std::string_view id,
                            const Policy& policy) {
  check_policy(policy);
  if (!well_formed(id)) return std::nullopt;
  const std::string key = session_key(prefix, id);

  std::vector<std::pair<std::string, std::string>> fields;
  client.hgetall(key, std::back_inserter(fields));
  if (fields.empty()) return std::nullopt;

  Session session{std::string(id), {}, {}};
  std::optional<long long> deadline;
  for (auto& [name, value] : fields) {
    if (name == "user") {
      session.user_id = value;
    } else if (name == "deadline_ms") {
      deadline = parse_ms(value);
    } else if (name.rfind(data_prefix, 0) == 0) {
      session.data.emplace(name.substr(data_prefix.size()), std::move(value));
    }
  }
  long long left = deadline ? *deadline - now_ms() : 0;
  if (session.user_id.empty() || left <= 0) {
    // Corrupt, or past its absolute lifetime: it must not log anyone in.
    client.del(key);
    return std::nullopt;
  }
  // Sliding expiry, capped by the absolute deadline. PEXPIRE never creates a
  // key: if a logout won the race since HGETALL, this does nothing.
  client.pexpire(key, std::min(policy.idle_timeout, std::chrono::milliseconds(left)));
  return session;
}

bool destroy(wb::Valkey& client, std::string_view prefix, std::string_view id) {
  if (!well_formed(id)) return false;
  const std::string key = session_key(prefix, id);
  auto user = client.hget(key, "user");
  auto done = client.transaction(true, false);
  done.del(key);
  if (user) done.srem(user_sessions_key(prefix, *user), id);
  return done.exec().get<long long>(0) == 1;
}

long long destroy_all_for_user(wb::Valkey& client, std::string_view prefix,
                               std::string_view user_id) {
  if (user_id.empty())
    throw std::invalid_argument("destroy_all_for_user: the user id must not be empty");
  const std::string index = user_sessions_key(prefix, user_id);
  // Read the set and delete it in one step. A login that lands before this
  // step is in what we read; one that lands after starts a new set. With
  // SMEMBERS, then DEL as two steps, a login in between would be dropped
  // from the set while its session stays alive.
  auto replies = client.transaction(true, false).command("SMEMBERS", index).del(index).exec();
  auto ids = replies.get<std::vector<std::string>>(0);
  if (ids.empty()) return 0;
  std::vector<std::string> keys;
  for (const auto& id : ids) keys.push_back(session_key(prefix, id));
  return client.del(keys.begin(), keys.end());
}

std::optional<std::string> rotate(wb::Valkey& client, std::string_view prefix,
                                  std::string_view old_id) {
  if (!well_formed(old_id)) return std::nullopt;
  const std::string old_key = session_key(prefix, old_id);
  auto user = client.hget(old_key, "user");
  if (!user) return std::nullopt;

  std::string new_id = new_session_id();
  const std::string index = user_sessions_key(prefix, *user);
  // RENAME moves the hash and its TTL in one step: there is no moment with
  // both ids valid, nor with neither.
  auto replies = client.transaction(true, false)
                     .command("RENAME", old_key, session_key(prefix, new_id))
                     .srem(index, old_id)
                     .sadd(index, new_id)
                     .exec();
  try {
    replies.get<void>(0);
  } catch (const wb::ReplyError&) {
    return std::nullopt;  // the session ended (logout, expiry) since HGET
  }
  return new_id;
}

}  // namespace sessions
