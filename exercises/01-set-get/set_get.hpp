// Lesson 01 - SET, GET and DEL: the contract of the exercise.
//
// Write the functions in set_get.cpp. `make test-1` grades them against a real
// Valkey server; the lesson is lessons/01-set-get/README.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace set_get {

// Task 1. Store `value` under `key` (a plain SET: no expiry) and return the
// value now stored. An empty key is almost always a bug (an id that was never
// filled in): refuse it with std::invalid_argument, before sending anything.
std::string set_key(wb::Valkey& client, std::string_view key, std::string_view value);

// Task 2. The value stored under `key`, or std::nullopt when there is no such
// key. A key that holds the empty string is not missing: return "". A key that
// holds another type (a list, say) is not missing either: the server's
// WRONGTYPE error reaches the caller as the client's wb::ReplyError.
std::optional<std::string> get_key(wb::Valkey& client, std::string_view key);

// Task 3. Delete `key`, whatever type of value it holds. Return 1 when a key
// was deleted, 0 when there was nothing to delete. Many callers may delete the
// same key at the same moment: exactly one of them gets 1.
long long delete_key(wb::Valkey& client, std::string_view key);

// Task 4. Count one visit: add 1 to the counter stored under `key` (a missing
// counter starts at 0) and return the new count. Many callers may count the
// same key at the same moment; no visit may be lost. A key that holds
// something other than a whole number is left as it is: the server's error
// reaches the caller as the client's wb::ReplyError.
long long count_visit(wb::Valkey& client, std::string_view key);

}  // namespace set_get
