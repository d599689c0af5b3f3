// Mutant of lesson 01: count_visit reads with GET, adds 1 in C++ and writes back with SET.
// The grader must reject it: "count_visit counts in one command" (and usually the 16-caller test).
#include "set_get.hpp"

#include <stdexcept>

namespace set_get {

std::string set_key(wb::Valkey& client, std::string_view key, std::string_view value) {
  if (key.empty()) throw std::invalid_argument("set_key: the key must not be empty");
  client.set(key, value);
  return std::string(value);
}

std::optional<std::string> get_key(wb::Valkey& client, std::string_view key) {
  // GET answers nil for a missing key; the client turns nil into nullopt.
  return client.get(key);
}

long long delete_key(wb::Valkey& client, std::string_view key) {
  // DEL reports how many keys it removed: the truth, not an assumption.
  return client.del(key);
}

long long count_visit(wb::Valkey& client, std::string_view key) {
  // INCR reads, adds and writes inside the server, in one step: two callers
  // can never both read 41 and both write 42.
  auto current = client.get(key);
  long long next = (current ? std::stoll(*current) : 0) + 1;
  client.set(key, std::to_string(next));
  return next;
}

}  // namespace set_get
