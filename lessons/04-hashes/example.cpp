// Lesson 04 example: an employee record as a hash, next to the same record as
// one serialized string; HINCRBY against a read-modify-write under real
// threads; key expiry (and why not field expiry); a short tour of the other
// data types. Run it with `make example-4`.
//
// Every key it writes starts with "example:04:" and is deleted at the end.
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "workbook/example.hpp"
#include "workbook/valkey.hpp"

namespace {

const std::string prefix = "example:04:";

std::string show(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "(nil)";
}

void show_hash(wb::Valkey& client, const std::string& key) {
  std::map<std::string, std::string> fields;  // sorted, for a stable printout
  client.hgetall(key, std::inserter(fields, fields.end()));
  std::cout << "    HGETALL " << key << " ->";
  if (fields.empty()) std::cout << " (empty: no such key)";
  for (const auto& [field, value] : fields) std::cout << "\n        " << field << " = " << value;
  std::cout << "\n";
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";
  const std::string chloe = prefix + "employee:3";

  std::cout << "1. An object as a hash: one key, many fields, one HSET\n";
  long long created = client.hset(chloe, {{"name", "Chloe Nguyen"},
                                          {"department", "Finance"},
                                          {"job_title", "Financial Analyst"},
                                          {"vacation_days", "25"}});
  std::cout << "    HSET " << chloe << " name ... department ... job_title ... vacation_days 25 -> "
            << created << " (new fields)\n";
  show_hash(client, chloe);
  std::cout << "    HGET " << chloe << " department -> " << show(client.hget(chloe, "department"))
            << "   (one field, without reading the rest)\n";
  std::cout << "    HGET " << chloe << " salary -> " << show(client.hget(chloe, "salary"))
            << "   (no such field)\n";
  std::cout << "    HGETALL " << prefix << "employee:404 -> ";
  std::vector<std::pair<std::string, std::string>> none;
  client.hgetall(prefix + "employee:404", std::back_inserter(none));
  std::cout << none.size() << " fields: a missing key reads as an empty hash\n\n";

  std::cout << "2. HSET counts only the fields it creates\n";
  std::cout << "    HSET ... department Engineering job_title \"Data Engineer\" -> "
            << client.hset(chloe, {{"department", "Engineering"}, {"job_title", "Data Engineer"}})
            << " (both existed: overwritten, not counted)\n";
  std::cout << "    HSET ... badge F-0031 -> " << client.hset(chloe, "badge", "F-0031")
            << " (a new field)\n";
  std::cout << "    HEXISTS ... badge -> " << client.hexists(chloe, "badge")
            << ", HDEL ... badge -> " << client.hdel(chloe, "badge") << ", HDEL ... badge again -> "
            << client.hdel(chloe, "badge") << ", HLEN -> " << client.hlen(chloe) << "\n\n";

  std::cout << "3. The same record as one serialized string (JSON)\n";
  const std::string as_json = prefix + "employee:3:json";
  nlohmann::json record = {{"name", "Chloe Nguyen"},
                           {"department", "Engineering"},
                           {"job_title", "Data Engineer"},
                           {"vacation_days", 25}};
  client.set(as_json, record.dump());
  std::cout << "    SET " << as_json << " '" << record.dump() << "'\n";
  std::cout
      << "    to change the job title: GET the whole string, parse, change, SET it all back\n";
  const std::string read_back = *client.get(as_json);
  nlohmann::json copy = nlohmann::json::parse(read_back);
  copy["job_title"] = "Lead Data Engineer";
  client.set(as_json, copy.dump());
  std::cout << "    (" << read_back.size() << " bytes read and " << copy.dump().size()
            << " written back to change one field; whatever another client changed in "
               "between is overwritten)\n";
  std::cout << "    with the hash: HSET " << chloe << " job_title \"Lead Data Engineer\" -> "
            << client.hset(chloe, "job_title", "Lead Data Engineer") << "\n";
  std::cout << "    memory, as the server counts it: MEMORY USAGE hash -> "
            << client.command<long long>("MEMORY", "USAGE", chloe) << " bytes, string -> "
            << client.command<long long>("MEMORY", "USAGE", as_json) << " bytes; encoding "
            << client.command<std::string>("OBJECT", "ENCODING", chloe) << " / "
            << client.command<std::string>("OBJECT", "ENCODING", as_json) << "\n\n";

  std::cout << "4. Counting inside a hash: HINCRBY, against read-modify-write, 8 threads x 200\n";
  const std::string rmw = prefix + "employee:rmw";
  const std::string atomic = prefix + "employee:hincrby";
  client.hset(rmw, "vacation_days", "0");
  client.hset(atomic, "vacation_days", "0");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        long long days = std::stoll(client.hget(rmw, "vacation_days").value_or("0"));
        client.hset(rmw, "vacation_days", std::to_string(days + 1));  // HGET, +1, HSET
        client.hincrby(atomic, "vacation_days", 1);                   // HINCRBY
      }
    });
  for (auto& t : threads) t.join();
  std::cout << "    1600 additions each. HGET/+1/HSET ended at "
            << *client.hget(rmw, "vacation_days") << "; HINCRBY ended at "
            << *client.hget(atomic, "vacation_days") << "\n\n";

  std::cout << "5. Expiry belongs to the key, not to a field (on this server)\n";
  client.expire(chloe, std::chrono::seconds(60));
  std::cout << "    EXPIRE " << chloe << " 60 -> TTL " << client.ttl(chloe)
            << ": the whole record goes at once\n";
  try {
    client.command<wb::Reply>("HEXPIRE", chloe, 60, "FIELDS", 1, "badge");
    std::cout << "    HEXPIRE worked: this server has per-field expiry (Valkey 9+, Redis 7.4+)\n";
  } catch (const wb::ReplyError& e) {
    std::cout << "    HEXPIRE " << chloe << " 60 FIELDS 1 badge -> " << e.server_text() << "\n";
  }
  std::cout << "\n";

  std::cout << "6. The other data types, in brief (each has its lesson)\n";
  const std::string list = prefix + "recent-logins";
  client.rpush(list, {"alice", "bruno", "chloe"});
  client.lpush(list, "dmitri");
  std::vector<std::string> items;
  client.lrange(list, 0, -1, std::back_inserter(items));
  std::cout << "    list  (RPUSH/LPUSH/LRANGE), ordered, duplicates allowed: ";
  for (const auto& i : items) std::cout << i << ' ';
  std::cout << "\n";
  const std::string set = prefix + "skills:3";
  client.sadd(set, {"sql", "python", "sql"});
  std::cout << "    set   (SADD/SMEMBERS), no duplicates, no order: SADD sql python sql -> SCARD "
            << client.scard(set) << "   (lesson 05 indexes cached queries with sets)\n";
  const std::string zset = prefix + "sales-ranking";
  client.zadd(zset, "bruno", 42);
  client.zadd(zset, "esther", 57);
  client.zadd(zset, "alice", 13);
  std::vector<std::pair<std::string, double>> top;
  client.zrevrange(zset, 0, -1, std::back_inserter(top));
  std::cout << "    zset  (ZADD/ZREVRANGE WITHSCORES), sorted by score: ";
  for (const auto& [member, score] : top) std::cout << member << '=' << score << ' ';
  std::cout << "  (lessons 09 and 10)\n";
  std::cout << "    TYPE of each: " << client.type(chloe) << ", " << client.type(as_json) << ", "
            << client.type(list) << ", " << client.type(set) << ", " << client.type(zset) << "\n";

  client.del({chloe, as_json, rmw, atomic, list, set, zset});
  std::cout << "\nCleaned up the example's keys. Next: the exercise (make test-4).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
