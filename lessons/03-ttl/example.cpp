// Lesson 03 example: expiry. EX and PX, TTL and PTTL with their -1 and -2,
// what SET does to an expiry (and KEEPTTL), PERSIST, EXPIRE GT, GETEX, a key
// expiring before your eyes, TTL jitter, the eviction policy, and a one-time
// password. Run it with `make example-3`.
//
// Every key it writes starts with "example:03:" and is deleted at the end.
#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;

namespace {

const std::string prefix = "example:03:";

std::string show(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "(nil)";
}

// A uniformly random number in [0, n), from OpenSSL's cryptographic source.
// Values from the top, incomplete stretch of the 32-bit range are drawn
// again, so that every result is equally likely.
std::uint32_t random_below(std::uint32_t n) {
  const std::uint32_t limit = UINT32_MAX - UINT32_MAX % n;
  std::uint32_t value = 0;
  do {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
      throw std::runtime_error("RAND_bytes failed");
  } while (value >= limit);
  return value % n;
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";
  const std::string page = prefix + "page";

  std::cout << "1. A value with an expiry, in one command: SET ... EX (seconds) or PX (ms)\n";
  client.command("SET", page, "<html>", "EX", 30);
  std::cout << "    SET " << page << " <html> EX 30 -> TTL " << client.ttl(page) << " s, PTTL "
            << client.pttl(page) << " ms\n";
  client.set(page, "<html>", 1500ms);  // the client sends PX 1500
  std::cout << "    SET " << page << " <html> PX 1500 -> TTL " << client.ttl(page) << " s, PTTL "
            << client.pttl(page) << " ms (TTL rounds to whole seconds)\n\n";

  std::cout << "2. The two special answers\n";
  client.set(prefix + "forever", "x");
  std::cout << "    TTL of a key without expiry: " << client.ttl(prefix + "forever") << "\n";
  std::cout << "    TTL of a key that does not exist: " << client.ttl(prefix + "nobody") << "\n\n";

  std::cout << "3. SET replaces the expiry too; KEEPTTL keeps it\n";
  client.set(page, "<html> v2");
  std::cout << "    SET " << page << " \"<html> v2\" -> TTL " << client.ttl(page)
            << " (the expiry is gone: this entry now lives forever)\n";
  client.set(page, "<html> v3", 60s);
  client.set(page, "<html> v4", true);  // SET ... KEEPTTL
  std::cout << "    SET ... EX 60, then SET " << page << " \"<html> v4\" KEEPTTL -> TTL "
            << client.ttl(page) << "\n";
  client.incr(prefix + "hits");
  client.expire(prefix + "hits", 60s);
  client.incr(prefix + "hits");
  std::cout << "    INCR does not touch the expiry: TTL of " << prefix << "hits after INCR -> "
            << client.ttl(prefix + "hits") << "\n\n";

  std::cout << "4. PERSIST removes an expiry; EXPIRE ... GT only moves it later\n";
  std::cout << "    PERSIST " << page << " -> " << client.persist(page) << ", TTL -> "
            << client.ttl(page) << "\n";
  client.expire(page, 10s);
  std::cout << "    EXPIRE " << page << " 10 -> TTL " << client.ttl(page) << "\n";
  std::cout << "    EXPIRE " << page << " 5 GT -> "
            << client.command<long long>("EXPIRE", page, 5, "GT") << ", TTL " << client.ttl(page)
            << " (5 s is sooner: nothing changes)\n";
  std::cout << "    EXPIRE " << page << " 50 GT -> "
            << client.command<long long>("EXPIRE", page, 50, "GT") << ", TTL " << client.ttl(page)
            << "\n";
  std::cout << "    EXPIRE " << prefix << "forever 50 GT -> "
            << client.command<long long>("EXPIRE", prefix + "forever", 50, "GT") << ", TTL "
            << client.ttl(prefix + "forever") << " (no expiry counts as \"never\")\n\n";

  std::cout << "5. GETEX: read and set a new expiry in one step (a sliding expiry)\n";
  client.set(prefix + "session", "user 42", 5s);
  auto read = client.getex(prefix + "session", 30s);
  std::cout << "    GETEX " << prefix << "session PX 30000 -> " << show(read) << ", TTL now "
            << client.ttl(prefix + "session") << "\n";
  read = client.getex_persist(prefix + "session");
  std::cout << "    GETEX " << prefix << "session PERSIST -> " << show(read) << ", TTL now "
            << client.ttl(prefix + "session") << "\n\n";

  std::cout << "6. Watching a key expire (PX 200, PTTL every 60 ms)\n";
  const std::string blink = prefix + "blink";
  client.set(blink, "x", 200ms);
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    long long pttl = client.pttl(blink);
    auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::cout << "    at " << at.count() << " ms: PTTL " << pttl << ", GET "
              << show(client.get(blink)) << "\n";
    if (pttl == -2) break;
    std::this_thread::sleep_for(60ms);
  }
  std::cout << "\n";

  std::cout << "7. Jitter: ten entries cached at the same moment for 60 s\n";
  std::cout << "    without jitter, TTLs:";
  for (int i = 0; i < 10; ++i) {
    client.set(prefix + "plain:" + std::to_string(i), "x", 60s);
    std::cout << " " << client.ttl(prefix + "plain:" + std::to_string(i));
  }
  std::cout << "  -> all expire in the same second\n    with 0-10% jitter, TTLs:";
  for (int i = 0; i < 10; ++i) {
    auto ttl = 60000ms + std::chrono::milliseconds(random_below(6001));
    client.set(prefix + "jitter:" + std::to_string(i), "x", ttl);
    std::cout << " " << client.ttl(prefix + "jitter:" + std::to_string(i));
  }
  std::cout << "  -> spread over six seconds\n\n";

  std::cout << "8. What the server does when memory is full\n";
  try {
    auto policy = client.command<std::vector<std::string>>("CONFIG", "GET", "maxmemory-policy");
    auto limit = client.command<std::vector<std::string>>("CONFIG", "GET", "maxmemory");
    std::cout << "    CONFIG GET maxmemory-policy -> " << policy.at(1) << ", maxmemory -> "
              << limit.at(1) << " bytes (0: no limit but the machine's)\n";
  } catch (const wb::ReplyError& e) {
    std::cout << "    CONFIG GET refused here (" << e.server_text() << ")\n";
  }
  std::cout << "\n";

  std::cout << "9. A one-time password: SET NX PX to issue; compare inside the server; why not GETDEL\n";
  const std::string otp = prefix + "otp:user:42";
  std::string code = std::to_string(random_below(1000000));
  code.insert(0, 6 - code.size(), '0');  // 42 -> "000042"
  bool issued = client.set(otp, code, 300s, wb::UpdateType::NOT_EXIST);
  std::cout << "    issue " << code << ": SET " << otp << " " << code << " PX 300000 NX -> "
            << (issued ? "OK" : "(nil)") << "\n";
  bool again = client.set(otp, "999999", 300s, wb::UpdateType::NOT_EXIST);
  std::cout << "    someone asks again: SET ... 999999 PX 300000 NX -> " << (again ? "OK" : "(nil)")
            << "; the code is still " << show(client.get(otp)) << "\n";
  // The comparison inside the server (the exercise's verify_otp builds on
  // it): Lua's false comes back as nil, true as 1.
  const char* compare = "return redis.call('GET', KEYS[1]) == ARGV[1]";
  std::cout << "    compare 123456 (wrong) inside the server: "
            << (client.eval<std::optional<long long>>(compare, {otp}, {"123456"}) ? "1" : "(nil)")
            << "; compare " << code << ": "
            << (client.eval<std::optional<long long>>(compare, {otp}, {code}) ? "1" : "(nil)")
            << "\n";
  // GETDEL deletes before anyone compares: a typo would lose the code too.
  std::cout << "    GETDEL " << otp << " -> " << show(client.getdel(otp))
            << "; then GET -> " << show(client.get(otp))
            << " (gone, whatever the user typed)\n";

  std::vector<std::string> mine;
  long long cursor = 0;
  do {
    cursor = client.scan(cursor, prefix + "*", 100, std::back_inserter(mine));
  } while (cursor != 0);
  client.del(mine.begin(), mine.end());
  std::cout << "\nCleaned up the example's " << mine.size()
            << " remaining keys. Next: the exercise (make test-3).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
