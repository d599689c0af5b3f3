// Lesson 08 example: a session store in a few commands - random ids, a hash
// per session, sliding expiry with an absolute cap, rotation and "log out
// everywhere". Run it with `make example-8`.
//
// Every key it writes starts with "example:08:" and is deleted at the end.
// Session ids are secrets: it prints only their first 6 characters.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <iostream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;

namespace {

const std::string prefix = "example:08:";

std::string new_id() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  std::array<unsigned char, 45> text{};
  int n = EVP_EncodeBlock(text.data(), bytes.data(), static_cast<int>(bytes.size()));
  std::string id(text.begin(), text.begin() + n);
  std::replace(id.begin(), id.end(), '+', '-');
  std::replace(id.begin(), id.end(), '/', '_');
  id.erase(std::remove(id.begin(), id.end(), '='), id.end());
  return id;
}

std::string masked(const std::string& id) {
  return id.substr(0, 6) + "... (" + std::to_string(id.size()) + " chars)";
}
std::string key_of(const std::string& id) { return prefix + "session:" + id; }
std::string masked_key(const std::string& id) {
  return prefix + "session:" + id.substr(0, 6) + "...";
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Create: the hash, its TTL and the user's set, in one MULTI/EXEC.
std::string login(wb::Valkey& client, const std::string& user, std::chrono::milliseconds idle,
                  std::chrono::milliseconds absolute) {
  std::string id = new_id();
  std::vector<std::pair<std::string, std::string>> fields{
      {"user", user},
      {"deadline_ms", std::to_string(now_ms() + absolute.count())},
      {"data:cart", "2 books"}};
  client.transaction()
      .hset(key_of(id), fields.begin(), fields.end())
      .pexpire(key_of(id), std::min(idle, absolute))
      .sadd(prefix + "user:" + user + ":sessions", id)
      .pexpire(prefix + "user:" + user + ":sessions", absolute)
      .exec();
  return id;
}

// Load: read, then slide the expiry - but never past the deadline.
bool use(wb::Valkey& client, const std::string& id, std::chrono::milliseconds idle) {
  auto deadline = client.hget(key_of(id), "deadline_ms");
  if (!deadline) return false;
  long long left = std::stoll(*deadline) - now_ms();
  if (left <= 0) {  // past the absolute lifetime: delete it and refuse
    client.del(key_of(id));
    return false;
  }
  client.pexpire(key_of(id), std::min(idle, std::chrono::milliseconds(left)));
  return true;
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";

  std::cout << "1. Session ids: 32 bytes from RAND_bytes, base64url (printed masked)\n";
  for (int i = 0; i < 3; ++i) std::cout << "    " << masked(new_id()) << "\n";
  std::set<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.insert(new_id());
  std::cout << "    100000 ids made, " << ids.size() << " distinct\n\n";

  std::cout << "2. Log in: HSET + PEXPIRE + SADD in one MULTI/EXEC\n";
  std::string ada = login(client, "ada", 30min, 8h);
  std::vector<std::pair<std::string, std::string>> fields;
  client.hgetall(key_of(ada), std::back_inserter(fields));
  std::sort(fields.begin(), fields.end());
  std::cout << "    HGETALL " << masked_key(ada) << " ->";
  for (const auto& [f, v] : fields) std::cout << " " << f << "=" << v;
  std::cout << "\n    PTTL -> " << client.pttl(key_of(ada)) << " ms (idle timeout 30 min)\n\n";

  std::cout << "3. Sliding expiry with an absolute cap: idle 400 ms, absolute 1000 ms, used every "
               "250 ms\n";
  std::string busy = login(client, "bob", 400ms, 1000ms);
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 6; ++i) {
    std::this_thread::sleep_for(250ms);
    bool alive = use(client, busy, 400ms);
    auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::cout << "    at " << at.count() << " ms: "
              << (alive ? "logged in, PTTL now " + std::to_string(client.pttl(key_of(busy))) + " ms"
                        : "session gone: the absolute lifetime is over")
              << "\n";
    if (!alive) break;
  }
  std::cout << "\n";

  std::cout << "4. Rotate on login (session fixation): RENAME keeps the hash and its TTL\n";
  std::string rotated = new_id();
  client.transaction()
      .command("RENAME", key_of(ada), key_of(rotated))
      .srem(prefix + "user:ada:sessions", ada)
      .sadd(prefix + "user:ada:sessions", rotated)
      .exec();
  std::cout << "    old id " << masked(ada) << ": EXISTS -> " << client.exists(key_of(ada)) << "\n";
  std::cout << "    new id " << masked(rotated) << ": EXISTS -> " << client.exists(key_of(rotated))
            << ", PTTL -> " << client.pttl(key_of(rotated)) << " ms\n\n";

  std::cout << "5. Log out everywhere: read and delete the set in one MULTI/EXEC, then DEL the "
               "sessions\n";
  login(client, "ada", 30min, 8h);
  login(client, "ada", 30min, 8h);
  auto replies = client.transaction()
                     .command("SMEMBERS", prefix + "user:ada:sessions")
                     .del(prefix + "user:ada:sessions")
                     .exec();
  auto all = replies.get<std::vector<std::string>>(0);
  std::vector<std::string> keys;
  for (const auto& id : all) keys.push_back(key_of(id));
  std::cout << "    ada had " << all.size() << " sessions; DEL removed "
            << client.del(keys.begin(), keys.end()) << "\n\n";

  std::cout << "6. A cookie is untrusted input: check its shape before it becomes a key\n";
  for (const std::string& cookie :
       {std::string("*"), std::string("abc:def"), std::string(43, 'A')}) {
    bool shaped = cookie.size() == 43 && std::all_of(cookie.begin(), cookie.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                  });
    std::cout << "    \"" << cookie.substr(0, 12) << (cookie.size() > 12 ? "..." : "") << "\": "
              << (shaped ? "well formed, look it up (EXISTS -> " +
                               std::to_string(client.exists(key_of(cookie))) + ")"
                         : "refused without asking the server")
              << "\n";
  }

  client.del({key_of(rotated), key_of(busy), prefix + "user:bob:sessions"});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-8).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
