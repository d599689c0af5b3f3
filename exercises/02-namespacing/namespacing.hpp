// Lesson 02 - Key names: the contract of the exercise.
//
// Write the functions in namespacing.cpp. `make test-2` grades them against a
// real Valkey server; the lesson is lessons/02-namespacing/README.md.
//
// A namespace is a key prefix without its last ':'. The keys of namespace
// "shop:cart" are the keys whose names start with "shop:cart:" - so
// "shop:cart:42" is in it, and "shop:carts:7" and "shop:cart" are not.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workbook/valkey.hpp"

namespace namespacing {

// Task 1. Join `parts` into one key, separated by ':'. Inside a part, write
// '%' as "%25" and ':' as "%3A" (in that spirit: percent-encoding, as in URLs),
// and copy every other byte as it is. Then two different lists of parts can
// never give the same key:
//   make_key({"user", "42"})    == "user:42"
//   make_key({"user", "a:b"})   == "user:a%3Ab"
//   make_key({"user:a", "b"})   == "user%3Aa:b"
// No parts, or an empty part, is a bug in the caller (an id that was never
// filled in): throw std::invalid_argument.
std::string make_key(const std::vector<std::string_view>& parts);

// Task 2. Every key in namespace `ns` (see above), each once, in any order.
// Walk the keyspace with SCAN (MATCH and COUNT) until the cursor comes back to
// 0; never KEYS, which blocks the server while it reads every key. `ns` is
// text, not a pattern: a '*', '?', '[', ']' or '\' in it matches only itself.
// An empty `ns` would mean every key: throw std::invalid_argument before
// sending anything.
std::vector<std::string> list_namespace(wb::Valkey& client, std::string_view ns);

// Task 3. Delete every key in namespace `ns`, and nothing else; return how
// many keys this call deleted (when another caller deletes the same keys at
// the same moment, each key counts for only one of you). Delete in batches as
// the walk finds them (many keys per DEL or UNLINK, or a pipeline): not one
// round trip per key, nor the whole namespace in one command. An empty `ns`
// throws std::invalid_argument before anything is sent.
long long delete_namespace(wb::Valkey& client, std::string_view ns);

}  // namespace namespacing
