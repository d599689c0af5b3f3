// keyguard: proves that the graders leave other people's keys alone.
//
//   workbook-keyguard plant FILE    before the graders run: writes keys that
//                                   look like a real application's (user:..,
//                                   session:.., cart:.., a key with glob
//                                   characters in it, ...), and notes in FILE
//                                   how to recognise them
//   workbook-keyguard verify FILE   afterwards: every planted key must still
//                                   be there, with its type, value and expiry
//                                   (then they are removed); the key "" must be
//                                   as it was; and no "wbtest:" key (a
//                                   grader's own) may be left behind
//
// `make check` runs both around the graders: a grader that deletes a
// neighbour's keys, or flushes the database, fails the check.
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "workbook/valkey.hpp"

namespace {

struct Planted {
  std::string key;
  std::string type;   // "string", "hash", "zset"
  std::string value;  // strings: the value; hashes/zsets: a canonical dump
  bool expires;
};

// Names an application might really use, each made unique by `tag`.
std::vector<std::string> names(const std::string& tag) {
  return {"user:" + tag,        "session:" + tag,
          "cart:" + tag,        "{cart:" + tag + "}:items",
          "leaderboard:" + tag, "employee:" + tag,
          "ratelimit:" + tag,   "otp:" + tag,
          "lock:" + tag,        "key*with?glob[chars]:" + tag};
}

std::string dump(wb::Valkey& client, const std::string& key, const std::string& type) {
  if (type == "string") return client.get(key).value_or("<nil>");
  std::string out;
  if (type == "hash") {
    std::map<std::string, std::string> fields;
    client.hgetall(key, std::inserter(fields, fields.end()));
    for (const auto& [f, v] : fields) out += f + "=" + v + ";";
  } else if (type == "zset") {
    std::vector<std::pair<std::string, double>> members;
    client.zrange(key, 0, -1, std::back_inserter(members));
    for (const auto& [m, s] : members) out += m + "=" + std::to_string(s) + ";";
  }
  return out;
}

// The key "" belongs to nobody in particular, so it is not planted; but it
// must look the same afterwards as before (a grader that tests an empty key
// against the real server would write to it).
std::string empty_key_state(wb::Valkey& client) {
  std::string type = client.type("");
  if (type == "none") return "none";
  return type + " " + std::to_string(client.ttl("") >= 0) + " " + dump(client, "", type);
}

// Keys a grader's KeyScope should have removed when its test ended.
std::vector<std::string> leftovers(wb::Valkey& client) {
  std::vector<std::string> found;
  long long cursor = 0;
  do {
    cursor = client.scan(cursor, "wbtest:*", 1000, std::back_inserter(found));
  } while (cursor != 0);
  return found;
}

int plant(wb::Valkey& client, const std::string& file) {
  std::string tag = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  std::ofstream out(file);
  std::ofstream(file + ".empty-key") << empty_key_state(client);
  int i = 0;
  for (const auto& key : names(tag)) {
    if (client.exists(key)) continue;  // never overwrite anything
    switch (i++ % 3) {
      case 0: client.set(key, "planted by keyguard " + tag); break;
      case 1:
        client.hset(key,
                    {std::make_pair("owner", std::string("keyguard")), std::make_pair("tag", tag)});
        break;
      default: client.zadd(key, "keyguard", 42.5); break;
    }
    if (i % 2 == 0) client.expire(key, std::chrono::seconds(3600));
    out << key << '\n';
  }
  std::cout << "keyguard: planted " << i << " keys that no grader may touch\n";
  return 0;
}

int verify(wb::Valkey& client, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    std::cout << "keyguard: " << file << " is missing: nothing was planted\n";
    return 1;
  }
  std::string key;
  int i = 0, damaged = 0;
  while (std::getline(in, key)) {
    const char* expected_type = (i % 3 == 0) ? "string" : (i % 3 == 1) ? "hash" : "zset";
    bool expires = (i + 1) % 2 == 0;
    ++i;
    std::string type = client.type(key);
    long long ttl = client.ttl(key);
    std::string contents = type == "none" ? "" : dump(client, key, type);
    bool ok = type == expected_type && (expires ? ttl > 0 : ttl == -1) &&
              contents.find("keyguard") != std::string::npos;
    if (!ok) {
      ++damaged;
      std::cout << "keyguard: DAMAGED " << key << ": type " << type << ", TTL " << ttl
                << ", contents \"" << contents << "\" (planted: " << expected_type
                << (expires ? ", with a TTL" : ", no TTL") << ")\n";
    }
    client.del(key);
  }
  std::string before;
  std::getline(std::ifstream(file + ".empty-key"), before);
  std::string after = empty_key_state(client);
  if (before != after) {
    ++damaged;
    std::cout << "keyguard: DAMAGED the key \"\": before the graders ran it was \"" << before
              << "\", now \"" << after << "\"\n";
  }
  auto left = leftovers(client);
  for (std::size_t k = 0; k < left.size() && k < 5; ++k)
    std::cout << "keyguard: LEFT BEHIND " << left[k] << "\n";
  if (damaged > 0 || !left.empty()) {
    std::cout << "keyguard: " << damaged << " key(s) that were not the graders' own were changed "
              << "or deleted; " << left.size() << " of the graders' own keys were left behind\n";
    return 1;
  }
  std::cout << "keyguard: all " << i << " keys planted before the graders ran are intact, the key "
            << "\"\" is as it was, and the graders left none of their own keys behind\n";
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) try {
  if (argc != 3) {
    std::cerr << "usage: workbook-keyguard plant|verify FILE\n";
    return 2;
  }
  wb::Valkey client;
  std::string mode = argv[1];
  if (mode == "plant") return plant(client, argv[2]);
  if (mode == "verify") return verify(client, argv[2]);
  std::cerr << "usage: workbook-keyguard plant|verify FILE\n";
  return 2;
} catch (const std::exception& e) {
  std::cout << "keyguard: " << e.what() << "\n";
  return 1;
}
