// Lesson 09 - Rate limiting: the contract of the exercise.
//
// Write the functions in rate_limiting.cpp. `make test-9` grades them against
// a real Valkey server; the lesson is lessons/09-rate-limiting/README.md.
//
// Each limiter counts the requests of ONE caller (a user, an API key, an IP
// address) under the key it is given, e.g. "rl:login:user:42". Many app
// servers may call it for the same key at the same moment.
#pragma once

#include <chrono>
#include <string_view>

#include "workbook/valkey.hpp"

namespace rate_limiting {

// The answer to "may this request go through?".
struct Decision {
  bool allowed = false;
  // How many more requests would be allowed right now, after this one.
  // 0 when this one was refused.
  long long remaining = 0;
  // 0 when allowed. When refused: how long until a request can be allowed
  // again (what an HTTP 429 reply sends as Retry-After).
  std::chrono::milliseconds retry_after{0};
};

// Both tasks: an empty key, a limit below 1 or a window below 1 ms throws
// std::invalid_argument before anything is sent.

// Task 1. Fixed window: at most `limit` requests per window. The window
// starts with the first request and ends `window` later; the key holds the
// count (a string, as INCR keeps it).
//  - Count with INCR, and give the key its expiry in the same atomic step
//    (MULTI/EXEC or one script): a counter that never expires locks its
//    caller out forever.
//  - Set the expiry only when the key has none: a request must not push the
//    end of its window further away. A counter found without a TTL (left by
//    older code) gets one.
//  - remaining = limit - count (never below 0); when refused, retry_after is
//    the time left until the window ends: the counter's PTTL, in the whole
//    milliseconds the server counts (at least 1 ms).
Decision fixed_window(wb::Valkey& client, std::string_view key, long long limit,
                      std::chrono::milliseconds window);

// Task 2. Sliding-window log: at most `limit` requests in ANY `window`-long
// span of time. The key is a sorted set: one member per allowed request,
// scored with the server's time when it was allowed, in microseconds since
// 1970 (TIME's seconds * 1000000 + its microseconds). In ONE script (EVAL):
//  - read the time from the server (TIME), never from this machine's clock;
//  - drop the members older than the window, count the rest;
//  - add a member for this request only when it is allowed;
//  - keep the key's TTL at `window` after the newest member.
// A member is exactly "<score>-<token>": the score as an integer, a dash, and
// a token of 8 bytes drawn for this request from OpenSSL's RAND_bytes
// (<openssl/rand.h>), written as 16 lowercase hex characters (each byte high
// half first). Never the time alone: two requests in the same microsecond
// would be one member, so one request, and more than the limit get through.
// Never a counter or an id of this process: two app servers counting from 1
// each make "<score>-1" in the same microsecond. The grader reads the members
// your code wrote, and links in a RAND_bytes of its own in place of OpenSSL's
// (as lesson 06's does): the bytes it hands out must come out as the token.
// When refused, retry_after is the time until the oldest member leaves the
// window (its score + window - now), rounded UP to whole milliseconds: a
// caller that waits exactly retry_after must not come back early. (To check
// the rounding, the grader writes a log's members itself first, shaped as
// above, as another app server would.)
Decision sliding_log(wb::Valkey& client, std::string_view key, long long limit,
                     std::chrono::milliseconds window);

}  // namespace rate_limiting
