// Lesson 02 example: one flat keyspace, key naming, listing a namespace with
// SCAN, glob characters in patterns, deleting in batches, and cluster hash
// tags. Run it with `make example-2`.
//
// Every key it writes starts with "example:02:" and is deleted at the end.
#include <cstdint>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "workbook/example.hpp"
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

  std::vector<std::string> mine = scan_all(client, prefix + "*", false);
  client.del(mine.begin(), mine.end());
  std::cout << "\nCleaned up the example's " << mine.size()
            << " remaining keys. Next: the exercise (make test-2).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
