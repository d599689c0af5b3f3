// Lesson 08 - Sessions: the contract of the exercise.
//
// Write the functions in sessions.cpp. `make test-8` grades them against a
// real Valkey server; the lesson is lessons/08-sessions/README.md.
//
// Where things live (every key starts with the `prefix` the caller passes):
//
//   <prefix>session:<id>             HASH, one per session:
//                                      user         the user id
//                                      deadline_ms  the absolute end of the session, in
//                                                   milliseconds since 1970 (system_clock)
//                                      data:<name>  one field per entry of Session::data
//                                    Its TTL is the time the session has left.
//   <prefix>user:<user_id>:sessions  SET of that user's session ids, for "log out
//                                    everywhere". It may still list ids whose session
//                                    has expired since: that is expected.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace sessions {

// How long a session lives.
struct Policy {
  // Sliding expiry: a session not used for this long is gone. Every load()
  // starts the count again.
  std::chrono::milliseconds idle_timeout{30 * 60 * 1000};
  // Absolute cap: however busy, a session ends this long after it was created.
  std::chrono::milliseconds absolute_lifetime{8 * 60 * 60 * 1000};
};

struct Session {
  std::string id;
  std::string user_id;
  std::map<std::string, std::string> data;
};

// The key names above, for your code and for the grader.
inline std::string session_key(std::string_view prefix, std::string_view id) {
  return std::string(prefix) + "session:" + std::string(id);
}
inline std::string user_sessions_key(std::string_view prefix, std::string_view user_id) {
  return std::string(prefix) + "user:" + std::string(user_id) + ":sessions";
}

// Task 1. A new session id: 32 bytes from a cryptographic random source
// (OpenSSL's RAND_bytes), written in base64url without padding: exactly 43
// characters from A-Z a-z 0-9 - _. Throw std::runtime_error if the random
// source fails; never fall back to anything weaker. The grader links in a
// RAND_bytes of its own in place of OpenSSL's (as lesson 03's does): it hands
// out chosen bytes, whose base64url must be the id, and fails on purpose.
std::string new_session_id();

// Task 2. Create a session for `user_id` holding `data`, and return its new
// id. The session key gets the TTL min(idle_timeout, absolute_lifetime) and
// deadline_ms = now + absolute_lifetime. The id joins the user's set, and
// that set's TTL becomes absolute_lifetime (no session of the user outlives
// the newest one). A session must never exist without being in the set, even
// when "log out everywhere" runs at the same moment.
// An empty user_id, or a zero or negative duration in the policy, throws
// std::invalid_argument before anything is sent.
std::string create(wb::Valkey& client, std::string_view prefix, std::string_view user_id,
                   const std::map<std::string, std::string>& data, const Policy& policy);

// Task 3. The session with this id, or std::nullopt when there is none.
// Loading is using: set the TTL again to min(idle_timeout, time left until
// deadline_ms). A session past its deadline is refused (and deleted), whatever
// its TTL says. A corrupt session (no user field, a deadline_ms that is not a
// number) is refused and deleted, never an exception.
// The id comes from a cookie, so anyone can type it: an id that is not 43
// base64url characters is std::nullopt without asking the server.
std::optional<Session> load(wb::Valkey& client, std::string_view prefix, std::string_view id,
                            const Policy& policy);

// Task 4. Log out: delete the session and take its id out of the user's set.
// True when a session was deleted, false when there was none (a malformed id
// is false, without asking the server). Afterwards load() finds nothing.
bool destroy(wb::Valkey& client, std::string_view prefix, std::string_view id);

// Task 5. Log out everywhere: delete every session of `user_id` and the
// user's set, and return how many sessions were deleted. Sessions may be
// created for the same user while this runs: each one either is deleted or
// stays in the user's set, never alive and forgotten.
// An empty user_id throws std::invalid_argument before anything is sent.
long long destroy_all_for_user(wb::Valkey& client, std::string_view prefix,
                               std::string_view user_id);

// Task 6. Give the session a new id (call it when the user logs in, against
// session fixation) and return it: same user, same data, same deadline, same
// TTL. The old id stops working at once and leaves the user's set; the new id
// joins it. std::nullopt when there is no session with the old id (a
// malformed id is std::nullopt, without asking the server).
std::optional<std::string> rotate(wb::Valkey& client, std::string_view prefix,
                                  std::string_view old_id);

}  // namespace sessions
