// Lesson 01 example: SET, GET and DEL against a real server, a counter with
// INCR, and a first cache-aside read. Run it with `make example-1`.
//
// Every key it writes starts with "example:01:" and is deleted at the end.
#include <chrono>
#include <iostream>
#include <string>

#include "workbook/example.hpp"
#include "workbook/measure.hpp"
#include "workbook/valkey.hpp"

namespace {

const std::string prefix = "example:01:";

std::string show(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "(nil)";
}

// Stands in for a database: it says when it is asked, so we can see which
// reads the cache answered.
int database_reads = 0;
std::string load_city_from_database(const std::string& user_id) {
  ++database_reads;
  return user_id == "42" ? "Lisbon" : "Porto";
}

// Cache-aside: look in the cache first; on a miss, ask the database and
// remember the answer (for 60 seconds) for the next reader.
std::string city_of(wb::Valkey& cache, const std::string& user_id) {
  const std::string key = prefix + "user:" + user_id + ":city";
  if (auto cached = cache.get(key)) {
    std::cout << "    cache HIT  for " << key << "\n";
    return *cached;
  }
  std::cout << "    cache MISS for " << key << ": asking the database\n";
  std::string city = load_city_from_database(user_id);
  cache.set(key, city, std::chrono::seconds(60));
  return city;
}

}  // namespace

int main() try {
  wb::Valkey client;  // VALKEY_URL, or redis://127.0.0.1:6379
  std::cout << wb::example::banner(client) << "; PING -> " << client.ping() << "\n\n";

  std::cout << "1. SET and GET\n";
  const std::string greeting = prefix + "greeting";
  client.set(greeting, "hello");
  std::cout << "    SET " << greeting << " hello\n";
  std::cout << "    GET " << greeting << " -> " << show(client.get(greeting)) << "\n";
  client.set(greeting, "hello again");
  std::cout << "    SET again replaces the value: GET -> " << show(client.get(greeting)) << "\n\n";

  std::cout << "2. A missing key is nil, which the client gives you as std::nullopt\n";
  std::cout << "    GET " << prefix << "nobody -> " << show(client.get(prefix + "nobody"))
            << "\n\n";

  std::cout << "3. DEL says how many keys it removed\n";
  std::cout << "    DEL " << greeting << " -> " << client.del(greeting) << "\n";
  std::cout << "    DEL " << greeting << " -> " << client.del(greeting)
            << " (it was already gone)\n\n";

  std::cout << "4. INCR counts inside the server, one atomic step per call\n";
  const std::string visits = prefix + "visits";
  for (int i = 0; i < 3; ++i)
    std::cout << "    INCR " << visits << " -> " << client.incr(visits) << "\n";
  std::cout << "    the value is a string all the same: GET -> " << show(client.get(visits))
            << "\n\n";

  std::cout << "5. Cache-aside: the first read misses and asks the database, later reads hit\n";
  for (int i = 0; i < 3; ++i) {
    std::string city = city_of(client, "42");
    std::cout << "    city_of(42) = " << city << "\n";
  }
  std::cout << "    the database was asked " << database_reads << " time(s) for 3 reads\n\n";

  std::cout << "6. What one round trip costs here: the median of 1000 GETs\n";
  wb::Timings gets = wb::time_calls(1000, [&] { client.get(visits); });
  std::cout << "    median " << gets.median() << " us, slowest " << gets.slowest()
            << " us (your machine, your numbers: loopback, no network in between)\n";

  client.del({prefix + "visits", prefix + "user:42:city"});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-1).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
