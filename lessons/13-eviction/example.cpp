// Lesson 13 example: memory and eviction, measured. Run it with `make example-13`.
//
// It reads (never changes) your server's memory settings, then starts
// servers of its own (wb::OwnServer, the same kind as yours) with small
// limits, and measures there: bytes per key, the OOM refusal, what each
// maxmemory-policy evicts first, how sampling approximates LRU, OBJECT FREQ
// and IDLETIME. Those servers are stopped at the end; your server keeps no
// key of this example.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "workbook/example.hpp"
#include "workbook/own_server.hpp"
#include "workbook/valkey.hpp"

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// One field of INFO's "name:value\r\n" lines.
std::string info_field(const std::string& info, const std::string& name) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 1);
  }
  return "?";
}

long long used_memory(wb::Valkey& c) {
  return std::stoll(info_field(c.info("memory"), "used_memory"));
}

std::string config_get(wb::Valkey& c, const std::string& name) {
  auto reply = c.command<std::vector<std::string>>("CONFIG", "GET", name);
  return reply.size() == 2 ? reply[1] : "?";
}

// Writes keys prefix0..prefix{n-1}, in pipelines of 100; returns how many
// the server refused (OOM).
long long write_keys(wb::Valkey& c, const std::string& prefix, int n, const std::string& value,
                     milliseconds ttl = milliseconds(0)) {
  long long refused = 0;
  for (int i = 0; i < n; i += 100) {
    auto pipe = c.pipeline();
    for (int j = i; j < std::min(n, i + 100); ++j) pipe.set(prefix + std::to_string(j), value, ttl);
    auto replies = pipe.exec();
    for (std::size_t k = 0; k < replies.size(); ++k)
      if (replies.reply(k).type == wb::Reply::Type::Error) ++refused;
  }
  return refused;
}

void read_keys(wb::Valkey& c, const std::string& prefix, int n, int times) {
  for (int t = 0; t < times; ++t)
    for (int i = 0; i < n; i += 100) {
      auto pipe = c.pipeline();
      for (int j = i; j < std::min(n, i + 100); ++j) pipe.get(prefix + std::to_string(j));
      pipe.exec();
    }
}

long long count_present(wb::Valkey& c, const std::string& prefix, int n) {
  long long present = 0;
  for (int i = 0; i < n; i += 500) {
    auto pipe = c.pipeline();
    for (int j = i; j < std::min(n, i + 500); ++j) pipe.exists(prefix + std::to_string(j));
    auto replies = pipe.exec();
    for (std::size_t k = 0; k < replies.size(); ++k) present += replies.get<long long>(k);
  }
  return present;
}

// The LRU clock has a resolution of one second: wait for its next tick.
void wait_for_lru_tick(wb::Valkey& c) {
  auto time = c.command<std::vector<std::string>>("TIME");
  std::this_thread::sleep_for(std::chrono::microseconds(1000000 - std::stoll(time.at(1)) + 30000));
}

// 1. Bytes per key: MEMORY USAGE of one key, and used_memory's growth per key.
void bytes_per_key() {
  std::cout << "2. What a key costs: MEMORY USAGE of one key, and used_memory's growth per key\n"
            << "   over 10000 keys like it (a key name of ~12 bytes, a string value)\n";
  std::printf("    %-14s %-20s %-26s\n", "value bytes", "MEMORY USAGE (one)",
              "used_memory / key (10000)");
  for (std::size_t size : {std::size_t{10}, std::size_t{100}, std::size_t{1000}}) {
    wb::OwnServer server;
    wb::Valkey c(server.url());
    const std::string value(size, 'v');
    c.set("key:sample", value);
    long long one = c.command<long long>("MEMORY", "USAGE", "key:sample");
    c.del("key:sample");
    long long before = used_memory(c);
    write_keys(c, "user:cache:", 10000, value);
    long long after = used_memory(c);
    std::printf("    %-14zu %-20lld %-26.1f\n", size, one,
                static_cast<double>(after - before) / 10000);
  }
  std::cout << "\n";
}

// 2. Sizing: how many such keys a limit holds.
void sizing() {
  wb::OwnServer server;
  wb::Valkey c(server.url());
  long long empty = used_memory(c);
  const std::string value(100, 'v');
  write_keys(c, "user:cache:", 100000, value);
  long long full = used_memory(c);
  double per_key = static_cast<double>(full - empty) / 100000;
  std::cout << "3. Sizing a cache from those figures\n"
            << "    an empty server uses " << empty << " bytes; 100000 keys of 100 bytes add "
            << (full - empty) << " (" << per_key << " per key)\n";
  for (long long mb : {64, 256, 1024}) {
    long long room = mb * 1024 * 1024 - empty;
    std::cout << "    maxmemory " << mb << "mb holds about "
              << static_cast<long long>(static_cast<double>(room) / per_key) << " such keys\n";
  }
  std::cout << "\n";
}

// 3. The OOM refusal under noeviction, and under volatile-* with nothing to evict.
void oom() {
  std::cout << "4. A full server under noeviction: writes are refused, reads still work\n";
  wb::OwnServer server({{"maxmemory", "2mb"}, {"maxmemory-policy", "noeviction"}});
  wb::Valkey c(server.url());
  const std::string value(1000, 'v');
  int stored = 0;
  std::string error;
  for (int i = 0; i < 10000 && error.empty(); ++i) {
    try {
      c.set("page:" + std::to_string(i), value);
      ++stored;
    } catch (const wb::ReplyError& e) {
      error = e.server_text();
    }
  }
  std::cout << "    stored " << stored << " values of 1000 bytes under maxmemory 2mb, then:\n"
            << "    SET page:" << stored << " -> (error) " << error << "\n"
            << "    GET page:0 -> " << (c.get("page:0") ? "\"vvv...\" (reads still work)" : "(nil)")
            << "\n";
  long long full = used_memory(c);
  std::vector<std::string> some;
  for (int i = 0; i < 200; ++i) some.push_back("page:" + std::to_string(i));
  c.del(some.begin(), some.end());
  std::cout << "    used_memory " << full
            << " of maxmemory 2097152; DEL of 200 keys -> used_memory " << used_memory(c) << "\n";
  bool again = c.set("page:again", "small");
  std::cout << "    then SET page:again small -> " << (again ? "OK" : "?") << "\n";

  wb::OwnServer volatile_server({{"maxmemory", "2mb"}, {"maxmemory-policy", "volatile-lru"}});
  wb::Valkey v(volatile_server.url());
  long long refused = write_keys(v, "page:", 3000, value);
  std::cout << "    volatile-lru, 3000 values WITHOUT expiry: " << refused
            << " writes refused, evicted_keys " << info_field(v.info("stats"), "evicted_keys")
            << " (nothing it may evict: it behaves like noeviction)\n";
  std::string errors = v.info("errorstats");
  std::cout << "    INFO errorstats: errorstat_OOM:" << info_field(errors, "errorstat_OOM")
            << "\n\n";
}

// 4. What each policy evicts first.
void policies() {
  std::cout
      << "5. What each policy evicts first. maxmemory 3mb (about 1900 values of 1000 bytes "
         "fit).\n"
         "   Written in this order, 300 keys per group:\n"
         "     data     no expiry, never read again\n"
         "     soon     expiry in 10 minutes, never read again\n"
         "     often    expiry in 2 hours, read 20 times each at once\n"
         "     recent   expiry in 2 hours, read once later (see below)\n"
         "   then 600 entries (expiry 2 hours, never read); one tick of the LRU clock later\n"
         "   (a second) the 'recent' keys are read, then 1200 more entries: 3000 keys in all.\n"
         "   Shown: how many of each group are still there at the end.\n";
  std::printf("    %-16s %8s %8s %8s %8s %8s %9s\n", "policy", "data", "soon", "often", "recent",
              "refused", "evicted");
  const std::string value(1000, 'v');
  for (const char* policy : {"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
                             "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}) {
    wb::OwnServer server({{"maxmemory", "3mb"}, {"maxmemory-policy", policy}, {"hz", "100"}});
    wb::Valkey c(server.url());
    long long refused = write_keys(c, "data:", 300, value);
    refused += write_keys(c, "soon:", 300, value, 10min);
    refused += write_keys(c, "often:", 300, value, 2h);
    read_keys(c, "often:", 300, 20);
    refused += write_keys(c, "recent:", 300, value, 2h);
    refused += write_keys(c, "entry:", 600, value, 2h);
    wait_for_lru_tick(c);
    read_keys(c, "recent:", 300, 1);
    refused += write_keys(c, "entry:b", 1200, value, 2h);
    std::printf("    %-16s %8lld %8lld %8lld %8lld %8lld %9s\n", policy,
                count_present(c, "data:", 300), count_present(c, "soon:", 300),
                count_present(c, "often:", 300), count_present(c, "recent:", 300), refused,
                info_field(c.info("stats"), "evicted_keys").c_str());
  }
  std::cout << "\n";
}

// 5. Eviction is approximated: the server samples a few keys and evicts the
// best candidate among them (plus a small pool of earlier candidates).
void sampling() {
  std::cout
      << "6. LRU is approximated by sampling (maxmemory-samples): allkeys-lru, 1000 keys read a\n"
         "   second ago and 1000 keys read just now, then 1000 new keys: an exact LRU would\n"
         "   evict only from the first 1000. How many of the 1000 read just now survived:\n";
  const std::string value(1000, 'v');
  for (const char* samples : {"1", "3", "5", "10"}) {
    wb::OwnServer server({{"maxmemory", "3mb"},
                          {"maxmemory-policy", "allkeys-lru"},
                          {"maxmemory-samples", samples},
                          {"hz", "100"}});
    wb::Valkey c(server.url());
    write_keys(c, "old:", 1000, value);
    write_keys(c, "new:", 1000, value);
    wait_for_lru_tick(c);
    read_keys(c, "new:", 1000, 1);
    write_keys(c, "more:", 1000, value);
    std::cout << "    maxmemory-samples " << samples << (samples[1] ? ": " : ":  ")
              << count_present(c, "new:", 1000)
              << " of 1000 (old ones left: " << count_present(c, "old:", 1000) << ")\n";
  }
  std::cout << "\n";
}

// 6. OBJECT FREQ (LFU policies only) and OBJECT IDLETIME (the others).
void object_freq_and_idletime() {
  std::cout << "7. OBJECT FREQ counts reads, logarithmically (allkeys-lfu, lfu-log-factor 10)\n";
  wb::OwnServer lfu({{"maxmemory-policy", "allkeys-lfu"}});
  wb::Valkey c(lfu.url());
  for (int reads : {0, 1, 10, 100, 1000, 10000}) {
    std::string key = "read:" + std::to_string(reads);
    c.set(key, "v");
    for (int i = 0; i < reads; i += 500) {
      auto pipe = c.pipeline();
      for (int j = i; j < std::min(reads, i + 500); ++j) pipe.get(key);
      pipe.exec();
    }
    std::cout << "    read " << reads << " times: OBJECT FREQ " << key << " -> "
              << c.command<long long>("OBJECT", "FREQ", key) << "\n";
  }
  try {
    c.command<long long>("OBJECT", "IDLETIME", "read:0");
  } catch (const wb::ReplyError& e) {
    std::cout << "    OBJECT IDLETIME under an LFU policy -> (error) " << e.server_text() << "\n";
  }

  std::cout << "   OBJECT IDLETIME: seconds since the last read (allkeys-lru)\n";
  wb::OwnServer lru({{"maxmemory-policy", "allkeys-lru"}});
  wb::Valkey l(lru.url());
  l.set("idle", "v");
  l.set("busy", "v");
  std::this_thread::sleep_for(2100ms);
  l.get("busy");
  std::cout << "    after 2.1 s: OBJECT IDLETIME idle -> "
            << l.command<long long>("OBJECT", "IDLETIME", "idle") << ", busy (just read) -> "
            << l.command<long long>("OBJECT", "IDLETIME", "busy") << "\n";
  try {
    l.command<long long>("OBJECT", "FREQ", "idle");
  } catch (const wb::ReplyError& e) {
    std::cout << "    OBJECT FREQ under an LRU policy -> (error) " << e.server_text() << "\n";
  }
  std::cout << "\n";
}

void info_memory() {
  std::cout << "8. INFO memory and stats after 6000 values of 1000 bytes under maxmemory 3mb, "
               "allkeys-lru\n";
  wb::OwnServer server({{"maxmemory", "3mb"}, {"maxmemory-policy", "allkeys-lru"}});
  wb::Valkey c(server.url());
  write_keys(c, "entry:", 6000, std::string(1000, 'v'), 2h);
  std::string memory = c.info("memory");
  for (const char* name : {"used_memory", "used_memory_human", "used_memory_peak",
                           "used_memory_rss", "used_memory_dataset", "maxmemory", "maxmemory_human",
                           "maxmemory_policy", "mem_fragmentation_ratio"})
    std::cout << "    " << name << ":" << info_field(memory, name) << "\n";
  std::string stats = c.info("stats");
  for (const char* name : {"evicted_keys", "expired_keys"})
    std::cout << "    " << name << ":" << info_field(stats, name) << "\n";
  std::cout << "    keys left: " << c.dbsize() << " of 6000 written\n";
}

}  // namespace

int main() try {
  wb::Valkey client;
  std::cout << wb::example::banner(client) << "\n\n";

  std::cout << "1. Your server's memory settings (read only; this example never changes them)\n"
            << "    CONFIG GET maxmemory -> " << config_get(client, "maxmemory")
            << "   (0: no limit, the default)\n"
            << "    CONFIG GET maxmemory-policy -> " << config_get(client, "maxmemory-policy")
            << "\n"
            << "    CONFIG GET maxmemory-samples -> " << config_get(client, "maxmemory-samples")
            << "\n";
  std::string program = wb::own_servers_like(client);
  {
    wb::OwnServer probe;
    std::cout << "   The rest runs on servers of the example's own: " << probe.name_and_version()
              << " (" << (program.empty() ? "the installed server" : program)
              << "), each on a free port, stopped when done.\n\n";
  }

  bytes_per_key();
  sizing();
  oom();
  policies();
  sampling();
  object_freq_and_idletime();
  info_memory();
  std::cout << "\nDone: the example's servers are stopped. Next: the exercise (make test-13).\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "The example stopped: " << e.what() << "\n";
  return 1;
}
