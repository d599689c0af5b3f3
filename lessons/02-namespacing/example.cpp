// Lesson 02 example: one flat keyspace, key naming, listing a namespace with
// SCAN, glob characters in patterns, deleting in batches, cluster hash tags,
// and a user of its own limited to one namespace (ACL). Run it with
// `make example-2`.
//
// Every key it writes starts with "example:02:" and is deleted at the end.
// The ACL user of step 8 has a random name and password, is deleted on every
// way out of that step, and its password is never printed.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/url.hpp"
#include "workbook/valkey.hpp"

namespace {

const std::string prefix = "example:02:";

std::string show(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "(nil)";
}

// Walks the keys matching `pattern` with SCAN and returns them; prints one
// line per call when `verbose`.
std::vector<std::string> scan_all(wb::Valkey& client, const std::string& pattern, bool verbose) {
  std::vector<std::string> found;
  long long cursor = 0;
  int calls = 0;
  do {
    std::vector<std::string> batch;
    long long next = client.scan(cursor, pattern, 100, std::back_inserter(batch));
    ++calls;
    if (verbose)
      std::cout << "    SCAN " << cursor << " MATCH " << pattern << " COUNT 100 -> cursor " << next
                << ", " << batch.size() << " keys\n";
    found.insert(found.end(), batch.begin(), batch.end());
    cursor = next;
  } while (cursor != 0);
  if (verbose) std::cout << "    " << calls << " calls, " << found.size() << " keys in all\n";
  return found;
}

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum the
// cluster uses to place keys. Written from the definition, bit by bit.
std::uint16_t crc16(const std::string& bytes) {
  std::uint16_t crc = 0;
  for (char c : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<unsigned char>(c) << 8));
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
  }
  return crc;
}

// The slot of a key in a cluster: if the key holds "{...}" with something
// between the first '{' and the next '}', only that part is hashed.
int hash_slot(const std::string& key) {
  std::string hashed = key;
  auto open = key.find('{');
  if (open != std::string::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string::npos && close > open + 1)
      hashed = key.substr(open + 1, close - open - 1);
  }
  return crc16(hashed) % 16384;
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0x0f];
  }
  return out;
}

// `n` bytes from OpenSSL's cryptographic generator, as hex: a password must
// not be guessable.
std::string random_hex(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return to_hex(bytes.data(), n);
}

// The SHA-256 of `text`, as hex. ACL SETUSER takes "#<this>" instead of
// ">password", so the password itself is never part of that command (nor of
// an error message that names it).
std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return to_hex(digest, size);
}

// A user made with ACL SETUSER, deleted again when this goes out of scope:
// on the normal path, and on every exception too.
class TemporaryUser {
 public:
  TemporaryUser(wb::Valkey& admin, std::string name) : admin_(admin), name_(std::move(name)) {}
  TemporaryUser(const TemporaryUser&) = delete;
  TemporaryUser& operator=(const TemporaryUser&) = delete;
  ~TemporaryUser() {
    try {
      remove();
    } catch (const std::exception& e) {
      std::cerr << "    could not delete ACL user " << name_ << ": " << e.what() << "\n";
    }
  }
  // ACL DELUSER's answer: how many users it deleted (0 the second time).
  long long remove() {
    if (removed_) return 0;
    removed_ = true;
    return admin_.command<long long>("ACL", "DELUSER", name_);
  }

 private:
  wb::Valkey& admin_;
  std::string name_;
  bool removed_ = false;
};

// What the server answered `call` with: "OK"-like output, or its refusal.
template <typename Call>
std::string answer_of(Call call) {
  try {
    return call();
  } catch (const wb::ReplyError& e) {
    return "(error) " + e.server_text();
  }
}

// Step 8: a user of the application's own, limited to its namespace.
void least_privilege_user(wb::Valkey& admin) {
  const std::string name = "example-02-" + random_hex(4);
  const std::string password = random_hex(16);
  const std::string app = prefix + "app:";
  std::vector<std::string> rules = {"on", "#" + sha256_hex(password), "~" + app + "*",
                                    "+@read", "+@write", "-@dangerous", "-@scripting"};
  const wb::ConnectionOptions& where = admin.options();
  if (where.db != 0) rules.push_back("+select");  // the URL's /db needs SELECT

  std::string shown = "ACL SETUSER " + name;
  for (const auto& rule : rules) shown += " " + (rule[0] == '#' ? std::string("#<sha-256>") : rule);
  std::vector<std::string> argv = {"ACL", "SETUSER", name};
  argv.insert(argv.end(), rules.begin(), rules.end());
  try {
    admin.command(argv.begin(), argv.end());
  } catch (const wb::ReplyError& e) {
    std::cout << "    skipped: this login may not create users (" << e.server_text() << ")\n";
    return;
  }
  TemporaryUser user(admin, name);  // from here on, deleted on every way out
  std::cout << "    " << shown << " -> OK\n";

  admin.set(prefix + "billing:invoice:7", "paid");  // another application's key

  // The URL a managed service would hand out: user, password, host, port.
  const std::string url = std::string(where.tls ? "rediss" : "redis") + "://" + name + ":" +
                          password + "@" + where.address();
  std::cout << "    connecting as " << wb::redact_url(url) << "\n";
  wb::Valkey as_app(url);
  std::cout << "    SET " << app << "greeting hello -> "
            << answer_of([&] { return as_app.set(app + "greeting", "hello") ? "OK" : "(nil)"; })
            << "\n";
  std::cout << "    GET " << app << "greeting -> "
            << answer_of([&] { return show(as_app.get(app + "greeting")); }) << "\n";
  std::cout << "    GET " << prefix << "billing:invoice:7 -> "
            << answer_of([&] { return show(as_app.get(prefix + "billing:invoice:7")); }) << "\n";
  std::cout << "    PING -> " << answer_of([&] { return as_app.ping(); }) << "\n";
  std::cout << "    CONFIG GET maxmemory -> " << answer_of([&] {
    as_app.command("CONFIG", "GET", "maxmemory");
    return std::string("answered");
  }) << "\n";
  std::cout << "    ACL DRYRUN " << name << " FUNCTION FLUSH -> "
            << admin.command<std::string>("ACL", "DRYRUN", name, "FUNCTION", "FLUSH")
            << "  (-@scripting did that: FUNCTION FLUSH is in @write and names no key)\n";
  std::vector<std::string> seen = scan_all(as_app, prefix + "billing:*", false);
  std::cout << "    but SCAN names no key, so it is allowed: SCAN ... MATCH " << prefix
            << "billing:* -> " << seen.size() << " key name(s)"
            << (seen.empty() ? std::string() : ", " + seen.front())
            << " (its value stays out of reach)\n";

  std::cout << "    ACL DELUSER " << name << " -> " << user.remove() << "\n";
  // The server closes the deleted user's connections; a new one is refused.
  auto after = [&] {
    try {
      return show(as_app.get(app + "greeting"));
    } catch (const wb::ReplyError& e) {
      return "(error) " + e.server_text();
    } catch (const wb::Error&) {
      return std::string("the server closed the connection");
    }
  };
  const std::string first = after();
  const std::string second = after();
  std::cout << "    the app's login afterwards: GET -> " << first << "; again -> " << second
            << "\n";
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";

  std::cout << "1. One flat keyspace: two features that pick the same name overwrite each other\n";
  const std::string bare = prefix + "42";
  client.set(bare, "session-token-8f3a");
  std::cout << "    the login code:     SET " << bare << " session-token-8f3a\n";
  client.set(bare, "{\"name\":\"Ada\"}");
  std::cout << "    the profile cache:  SET " << bare << " {\"name\":\"Ada\"}\n";
  std::cout << "    the login code reads its session back: GET -> " << show(client.get(bare))
            << "  (no error, no warning)\n\n";

  std::cout << "2. Names with a namespace: app:entity:id\n";
  client.set(prefix + "session:42", "session-token-8f3a");
  client.set(prefix + "profile:42", "{\"name\":\"Ada\"}");
  std::cout << "    GET " << prefix << "session:42 -> " << show(client.get(prefix + "session:42"))
            << "\n    GET " << prefix << "profile:42 -> " << show(client.get(prefix + "profile:42"))
            << "\n\n";

  std::cout << "3. User input inside a key: plain joining makes different things collide\n";
  // Two different users: "a:b" in namespace "user", and "b" in namespace "user:a".
  std::string joined_1 = prefix + "user" + ":" + "a:b";
  std::string joined_2 = prefix + "user:a" + ":" + "b";
  std::cout << "    (\"user\", \"a:b\")  -> " << joined_1 << "\n    (\"user:a\", \"b\")  -> "
            << joined_2 << "\n    the same key: " << std::boolalpha << (joined_1 == joined_2)
            << "\n    escaped with %3A for ':' (and %25 for '%'): " << prefix << "user:a%3Ab and "
            << prefix << "user%3Aa:b\n\n";

  std::cout << "4. Listing a namespace with SCAN: 250 products, and a neighbour namespace\n";
  {
    auto pipe = client.pipeline();
    for (int i = 0; i < 250; ++i) pipe.set(prefix + "product:" + std::to_string(i), "p");
    pipe.set(prefix + "products:index", "the neighbour");
    pipe.exec();
  }
  scan_all(client, prefix + "product:*", true);
  std::cout << "    with the pattern \"" << prefix
            << "product*\" (no ':'): " << scan_all(client, prefix + "product*", false).size()
            << " keys - the neighbour " << prefix << "products:index came too\n\n";

  std::cout << "5. Glob characters: a namespace named \"shop[1]\" and a neighbour \"shop1\"\n";
  client.set(prefix + "shop[1]:order", "mine");
  client.set(prefix + "shop1:order", "the neighbour's");
  for (const std::string& pattern : {prefix + "shop[1]:*", prefix + "shop\\[1\\]:*"}) {
    auto found = scan_all(client, pattern, false);
    std::cout << "    MATCH " << pattern << " ->";
    for (const auto& k : found) std::cout << " " << k;
    std::cout << "\n";
  }
  std::cout << "\n";

  std::cout << "6. Deleting a namespace: one DEL per SCAN batch\n";
  std::uint64_t trips_before = client.round_trips();
  long long deleted = 0;
  long long cursor = 0;
  int scans = 0;
  do {
    std::vector<std::string> batch;
    cursor = client.scan(cursor, prefix + "product:*", 100, std::back_inserter(batch));
    ++scans;
    deleted += client.del(batch.begin(), batch.end());  // one DEL with many keys
  } while (cursor != 0);
  std::cout << "    deleted " << deleted << " keys in " << client.round_trips() - trips_before
            << " round trips (" << scans << " SCAN, the rest DEL); one DEL per key would take "
            << scans + deleted << "\n\n";

  std::cout << "7. Cluster hash slots: only the part in {braces} is hashed\n";
  for (const std::string key : {"cart:42:items", "cart:42:owner", "{cart:42}:items",
                                "{cart:42}:owner", "somekey", "foo{hash_tag}"})
    std::cout << "    slot of " << key << " = " << hash_slot(key) << "\n";
  std::string answer;
  try {
    answer = std::to_string(client.command<long long>("CLUSTER", "KEYSLOT", "{cart:42}:items"));
  } catch (const wb::ReplyError& e) {
    answer = e.server_text();  // a server without cluster mode may refuse
  }
  std::cout << "    the server's own answer: CLUSTER KEYSLOT {cart:42}:items -> " << answer << "\n";

  std::cout << "\n8. A user of the application's own: ACL, limited to the namespace "
            << prefix << "app\n";
  least_privilege_user(client);

  std::vector<std::string> mine = scan_all(client, prefix + "*", false);
  client.del(mine.begin(), mine.end());
  std::cout << "\nCleaned up the example's " << mine.size()
            << " remaining keys. Next: the exercise (make test-2).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
