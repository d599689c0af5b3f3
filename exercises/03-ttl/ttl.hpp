// Lesson 03 - Expiry: the contract of the exercise.
//
// Write the functions in ttl.cpp. `make test-3` grades them against a real
// Valkey server; the lesson is lessons/03-ttl/README.md.
//
// Every time is a std::chrono::milliseconds: write 30s or 1500ms, the
// conversion is automatic.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace ttl {

using std::chrono::milliseconds;

// Task 1. Cache `value` under `key` so that it disappears `ttl` from now,
// replacing any old value and any old expiry. Value and expiry go in ONE
// command: a key must never exist, even for a moment, without its expiry.
// Keep millisecond precision (1500ms is 1.5 s, not 1 s). A ttl of zero or
// less would mean "never expires" or "delete": throw std::invalid_argument
// before sending anything.
void cache_for(wb::Valkey& client, std::string_view key, std::string_view value, milliseconds ttl);

// What time_left reports: the three cases TTL's -2, -1 and n stand for, as a
// type that cannot be mistaken for a duration.
struct TimeLeft {
  enum class Kind { no_such_key, never_expires, expires };
  Kind kind = Kind::no_such_key;
  milliseconds left{0};  // how long the key still lives; only for Kind::expires
};

// Task 2. How long `key` still lives, to the millisecond: no_such_key when it
// does not exist, never_expires when it has no expiry, else expires with
// `left` set.
TimeLeft time_left(wb::Valkey& client, std::string_view key);

// Task 3. Make sure `key` lives at least `ttl` from now: when its expiry is
// sooner, move it out to `ttl`; never bring an expiry closer; a key that never
// expires keeps never expiring; a missing key stays missing. Return true when
// the expiry was moved. Decide inside the server, in one command, so that two
// callers extending at once cannot undo each other. A ttl of zero or less
// throws std::invalid_argument (PEXPIRE with 0 would delete the key).
bool extend_ttl(wb::Valkey& client, std::string_view key, milliseconds ttl);

// Task 4. Give the existing `key` a new value and keep its expiry as it is
// (a plain SET would drop it: the key would then live forever). A missing key
// is not created: return false. Return true when the value was replaced.
bool replace_keeping_ttl(wb::Valkey& client, std::string_view key, std::string_view value);

// Task 5. A new one-time password: 6 decimal digits, "000000" to "999999",
// every code equally likely, made from the bytes of a cryptographic random
// source, OpenSSL's RAND_bytes (<openssl/rand.h>), and from nothing else: the
// same bytes give the same code. std::rand, std::mt19937 and friends are
// predictable: seeded from the time or one 32-bit value, their seed can be
// guessed, and with it every code to come. Equally likely: random bytes do
// not divide evenly into a million codes, so where they land in an uneven
// stretch, draw new ones instead of bending them into a code. RAND_bytes
// fails by returning anything but 1 (0 or -1): then throw std::runtime_error.
// While it tests this function the grader links in a RAND_bytes of its own
// in place of OpenSSL's: it hands out chosen bytes and fails on purpose. Fed
// all 0x01, then all 0xFF or all 0x00 in the first call (the top and the
// bottom of the range, where the usual even mappings draw again), your code
// must draw again for at least one of the two.
std::string new_otp_code();

// Task 6. Issue a one-time password for `key` (for example "otp:user:42"),
// valid for `ttl`: when no code is active, store a new_otp_code() with its
// expiry in one command and return it. While a code is active, change
// nothing (neither the code nor its expiry) and return std::nullopt:
// otherwise anyone could replace a user's code, or keep it alive forever, by
// asking again. A ttl of zero or less throws std::invalid_argument.
std::optional<std::string> issue_otp(wb::Valkey& client, std::string_view key, milliseconds ttl);

// Task 7. Check `code` against the active code of `key`. The right code
// returns true once and uses the code up: any later try returns false, even
// when two requests bring the right code at the same moment (exactly one of
// them wins). A wrong code returns false and leaves the active code in place
// (a typo must not lock the user out). No code, or an expired one: false.
bool verify_otp(wb::Valkey& client, std::string_view key, std::string_view code);

}  // namespace ttl
