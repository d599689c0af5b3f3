// Lesson 03 example: expiry. EX and PX, TTL and PTTL with their -1 and -2,
// what SET does to an expiry (and KEEPTTL), PERSIST, EXPIRE LT, GETEX, a key
// expiring before your eyes, TTL jitter, the eviction policy, and a one-time
// password. Run it with `make example-3`.
//
// Steps 3, 4 and 9 are deliberately simpler than the exercise, and say so as
// they run. Step 3's KEEPTTL also creates a missing key; step 4 shows
// EXPIRE ... LT, in seconds (extend_ttl needs another condition, in
// milliseconds). Step 9 does a one-time password the naive way: 4 random
// bytes % 1000000 (biased, and printed without leading zeros), a plain
// SET ... EX (asking again replaces the code) and GET, compare in C++, DEL
// (it lets several requests in at once, and shows it). What they leave out
// is what replace_keeping_ttl, extend_ttl, new_otp_code, issue_otp and
// verify_otp must add.
//
// Every key it writes starts with "example:03:" and is deleted at the end.
#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <mutex>
#include <random>
#include <stdexcept>
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

// Four bytes from OpenSSL's cryptographic source, as one number.
std::uint32_t random_uint32() {
  std::uint32_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return value;
}

// The naive verification: three steps, with room between them.
bool verify_naively(wb::Valkey& client, const std::string& key, const std::string& code) {
  if (client.get(key) != code) return false;
  client.del(key);
  return true;
}

// Runs `work` on n threads released at the same moment; how many returned true.
int count_together(int n, const std::function<bool()>& work) {
  std::mutex m;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  std::atomic<int> yes{0};
  std::exception_ptr error;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&] {
      {
        std::unique_lock<std::mutex> lock(m);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
      }
      try {
        if (work()) ++yes;
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!error) error = std::current_exception();
      }
    });
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ready == n; });
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return yes.load();
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
            << client.pttl(page) << " ms (TTL rounds to whole seconds)\n";
  client.set(prefix + "zero", "x", 0ms);  // the client sends no PX at all
  std::cout << "    a ttl of 0ms: the client sends SET " << prefix << "zero x, no PX -> TTL "
            << client.ttl(prefix + "zero") << " (0 reads as \"no expiry\")\n\n";

  std::cout << "2. The two special answers\n";
  client.set(prefix + "forever", "x");
  std::cout << "    TTL of a key without expiry: " << client.ttl(prefix + "forever") << "\n";
  std::cout << "    TTL of a key that does not exist: " << client.ttl(prefix + "nobody") << "\n\n";

  std::cout << "3. SET replaces the expiry too; KEEPTTL keeps it\n";
  client.set(page, "<html> v2");
  std::cout << "    SET " << page << " \"<html> v2\" -> TTL " << client.ttl(page)
            << " (the expiry is gone: this entry now lives forever)\n";
  client.command("SET", page, "<html> v3", "EX", 60);
  client.command("SET", page, "<html> v4", "KEEPTTL");
  std::cout << "    SET ... EX 60, then SET " << page << " \"<html> v4\" KEEPTTL -> TTL "
            << client.ttl(page) << "\n";
  const std::string gone = prefix + "gone";
  client.command("SET", gone, "<html> v1", "KEEPTTL");
  std::cout << "    SET " << gone << " \"<html> v1\" KEEPTTL on a missing key -> "
            << show(client.get(gone)) << ", TTL " << client.ttl(gone)
            << "\n      (created, with no expiry to keep: replace_keeping_ttl must leave a"
               " missing key missing)\n";
  client.incr(prefix + "hits");
  client.expire(prefix + "hits", 60s);
  client.incr(prefix + "hits");
  std::cout << "    INCR does not touch the expiry: TTL of " << prefix << "hits after INCR -> "
            << client.ttl(prefix + "hits") << "\n\n";

  std::cout << "4. PERSIST removes an expiry; EXPIRE ... LT only moves it sooner\n";
  std::cout << "    PERSIST " << page << " -> " << client.persist(page) << ", TTL -> "
            << client.ttl(page) << "\n";
  client.expire(page, 10s);
  std::cout << "    EXPIRE " << page << " 10 -> TTL " << client.ttl(page) << "\n";
  std::cout << "    EXPIRE " << page << " 50 LT -> "
            << client.command<long long>("EXPIRE", page, 50, "LT") << ", TTL " << client.ttl(page)
            << " (50 s is later: nothing changes)\n";
  std::cout << "    EXPIRE " << page << " 5 LT -> "
            << client.command<long long>("EXPIRE", page, 5, "LT") << ", TTL " << client.ttl(page)
            << "\n";
  std::cout << "    EXPIRE " << prefix << "forever 50 LT -> "
            << client.command<long long>("EXPIRE", prefix + "forever", 50, "LT") << ", TTL "
            << client.ttl(prefix + "forever")
            << " (no expiry counts as \"never\": any time is sooner)\n"
            << "    GT is the mirror image (the lesson's transcript). For extend_ttl: which of the"
               " two, in which unit?\n\n";

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
  // Jitter needs spread, not secrecy: a seeded std::mt19937 is fine here (it
  // is not for a password, step 9), and uniform_int_distribution favours no
  // value.
  std::mt19937 spread(std::random_device{}());
  std::uniform_int_distribution<int> extra_ms(0, 6000);
  std::cout << "    without jitter, TTLs:";
  for (int i = 0; i < 10; ++i) {
    client.set(prefix + "plain:" + std::to_string(i), "x", 60s);
    std::cout << " " << client.ttl(prefix + "plain:" + std::to_string(i));
  }
  std::cout << "  -> all expire in the same second\n    with 0-10% jitter, TTLs:";
  for (int i = 0; i < 10; ++i) {
    auto ttl = 60000ms + std::chrono::milliseconds(extra_ms(spread));
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

  std::cout
      << "9. A one-time password, the naive way: each step shows what the exercise must fix\n";
  const std::string otp = prefix + "otp:user:42";

  std::cout << "  a code from 4 random bytes, % 1000000\n";
  std::uint32_t bytes = random_uint32();
  std::string code = std::to_string(bytes % 1000000);
  std::cout << "    RAND_bytes -> " << bytes << ", % 1000000 -> " << code
            << "\n      (as std::to_string prints it: below 100000 it has fewer than six digits)\n";
  // 2^32 values onto a million codes, counted exactly.
  const std::uint64_t values = std::uint64_t{1} << 32;
  const std::uint64_t codes = 1000000;
  const std::uint64_t low = values % codes, each = values / codes;
  std::cout << "    biased: " << values << " values onto " << codes << " codes leave " << low
            << " over,\n      so codes 0 to " << low - 1 << " come from " << each + 1
            << " values each, the other " << codes - low << " from " << each
            << ":\n      each low code is 1/" << each << " = " << std::setprecision(3)
            << 100.0 / static_cast<double>(each) << "% likelier\n";
  // One byte % 10 per digit: 256 = 25 * 10 + 6, so digits 0-5 come from 26 bytes, 6-9 from 25.
  double per_digit = 1.0;
  for (int digit = 0; digit < 6; ++digit) per_digit *= 26.0 / 25.0;
  std::cout << "      (a byte % 10 per digit is worse: 000000 is " << std::setprecision(3)
            << (per_digit - 1) * 100 << "% likelier than 999999)\n"
            << "      new_otp_code must not bend the uneven stretch into a code, and must keep"
               " the leading zeros\n";

  std::cout << "  issued with a plain SET ... EX\n";
  client.command("SET", otp, code, "EX", 300);
  std::this_thread::sleep_for(30ms);
  long long before = client.pttl(otp);
  std::string other;
  do other = std::to_string(random_uint32() % 1000000);
  while (other == code);
  client.command("SET", otp, other, "EX", 300);
  std::cout << "    SET " << otp << " " << code << " EX 300 -> OK; 30 ms later, PTTL " << before
            << "\n    someone asks again: SET " << otp << " " << other << " EX 300 -> OK; GET -> "
            << show(client.get(otp)) << ", PTTL " << client.pttl(otp) << "\n      (the user's code "
            << code
            << " no longer works, and asking again keeps a code alive:\n      issue_otp must"
               " change nothing while a code is active)\n";

  std::cout << "  verified with GET, compare in C++, DEL\n";
  std::cout << "    wrong 123456 -> "
            << (verify_naively(client, otp, "123456") ? "accepted" : "refused")
            << ", the code stays: " << show(client.get(otp)) << "\n";
  std::cout << "    right " << other << " -> "
            << (verify_naively(client, otp, other) ? "accepted" : "refused") << "; again -> "
            << (verify_naively(client, otp, other) ? "accepted" : "refused") << "\n";
  const int rounds = 20, requests = 8;
  std::vector<int> accepted;
  int reused = 0, most = 0;
  for (int round = 0; round < rounds; ++round) {
    client.command("SET", otp, other, "EX", 300);
    int n = count_together(requests, [&] { return verify_naively(client, otp, other); });
    accepted.push_back(n);
    if (n > 1) ++reused;
    if (n > most) most = n;
  }
  std::cout << "    " << requests << " requests with the right code at the same moment, " << rounds
            << " rounds,\n      accepted per round:";
  for (int n : accepted) std::cout << " " << n;
  std::cout << "\n      in " << reused << " of " << rounds
            << " rounds the code was used more than once";
  if (reused > 0)
    std::cout << " (up to " << most
              << " times):\n      every request accepted had read the"
                 " code before the first DEL\n";
  else
    std::cout << " this time:\n      it may, nothing stops it: the three steps leave room"
                 " between them\n";
  std::cout << "      verify_otp must compare and delete in one step, inside the server\n";

  std::cout << "  and GETDEL is no fix: it deletes before anyone compares\n";
  client.command("SET", otp, other, "EX", 300);
  std::cout << "    GETDEL " << otp << " -> " << show(client.getdel(otp)) << "; then GET -> "
            << show(client.get(otp)) << " (gone, whatever the user typed)\n";

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
