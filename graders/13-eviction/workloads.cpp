#include "workloads.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "workbook/grading.hpp"
#include "workbook/own_server.hpp"
#include "workbook/valkey.hpp"

namespace workloads {

namespace {

using std::chrono::milliseconds;

class Player {
 public:
  Player(wb::Valkey& client, bool with_ttl) : client_(client), with_ttl_(with_ttl) {}

  // Writes the keys in pipelines of 100; true for each one the server stored.
  std::vector<bool> write(const std::vector<std::string>& keys, std::optional<milliseconds> ttl) {
    std::vector<bool> stored;
    for (std::size_t i = 0; i < keys.size(); i += 100) {
      auto pipe = client_.pipeline();
      std::size_t end = std::min(keys.size(), i + 100);
      for (std::size_t j = i; j < end; ++j) pipe.set(keys[j], value_, ttl_for(ttl));
      auto replies = pipe.exec();
      for (std::size_t j = 0; j < replies.size(); ++j) {
        const wb::Reply& r = replies.reply(j);
        bool refused = r.type == wb::Reply::Type::Error;
        if (refused && r.str.rfind("OOM", 0) != 0) (void)replies.get<bool>(j);  // throws it
        stored.push_back(!refused);
        ++outcome.writes;
        if (refused) ++outcome.refused;
      }
    }
    return stored;
  }
  std::vector<bool> write(const std::vector<std::string>& keys) { return write(keys, {}); }

  // GET, which counts as a use of the key (EXISTS does not). In pipelines
  // of 100: the replies wait in the server's memory until they are sent, and
  // a big batch would itself push keys out.
  void read(const std::vector<std::string>& keys, int times) {
    for (int t = 0; t < times; ++t) {
      for (std::size_t i = 0; i < keys.size(); i += 100) {
        auto pipe = client_.pipeline();
        for (std::size_t j = i; j < std::min(keys.size(), i + 100); ++j) pipe.get(keys[j]);
        pipe.exec();
      }
    }
  }

  // EXISTS, which does not count as a use: looking must not change the outcome.
  long long present(const std::vector<std::string>& keys, const std::vector<bool>& stored) {
    long long n = 0;
    for (std::size_t i = 0; i < keys.size(); i += 500) {
      auto pipe = client_.pipeline();
      std::size_t end = std::min(keys.size(), i + 500);
      for (std::size_t j = i; j < end; ++j) pipe.exists(keys[j]);
      auto replies = pipe.exec();
      for (std::size_t j = 0; j < replies.size(); ++j)
        if (stored[i + j]) n += replies.get<long long>(j);
    }
    return n;
  }

  // The LRU clock ticks once a second: wait for the next tick, so that
  // what comes next is more recent than everything before.
  void wait_for_lru_tick() {
    auto time = client_.command<std::vector<std::string>>("TIME");
    long long micros = std::stoll(time.at(1));
    std::this_thread::sleep_for(std::chrono::microseconds(1000000 - micros + 30000));
  }

  Outcome outcome;

 private:
  milliseconds ttl_for(std::optional<milliseconds> fixed) {
    if (fixed) return *fixed;
    if (!with_ttl_) return milliseconds(0);
    return milliseconds(3600000 + static_cast<long long>(random_() % 3600000));
  }

  wb::Valkey& client_;
  bool with_ttl_;
  std::string value_ = std::string(1000, 'v');
  std::mt19937 random_{13};  // the same sequence every run: not a secret, a fixture
};

std::vector<std::string> names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

long long stat(wb::Valkey& client, const std::string& name) {
  std::string text = client.info("stats");
  std::string wanted = "\n" + name + ":";
  auto at = ("\n" + text).find(wanted);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + wanted.size() - 1));
}

}  // namespace

wb::OwnServer start_server(std::vector<std::pair<std::string, std::string>> config) {
  static const bool chosen = [] {
    wb::Valkey learners = wb::grading::connect();
    wb::own_servers_like(learners);
    return true;
  }();
  (void)chosen;
  return wb::OwnServer(std::move(config));
}

Outcome play(const eviction::Workload& w, const std::string& policy) {
  wb::OwnServer server = start_server({{"maxmemory", maxmemory}, {"hz", "100"}});
  wb::Valkey client(server.url());
  Player p(client, w.entries_have_ttl);
  p.outcome.server = server.name_and_version();
  try {
    client.command("CONFIG", "SET", "maxmemory-policy", policy);
  } catch (const wb::ReplyError& e) {
    p.outcome.policy_accepted = false;
    p.outcome.policy_error = e.server_text();
    return p.outcome;
  }

  if (w.has_data_to_keep) {
    auto keep = names("data:", keys_to_keep);
    auto stored = p.write(keep, milliseconds(0));
    p.outcome.keep_stored = static_cast<long long>(std::count(stored.begin(), stored.end(), true));
    p.outcome.keep_present = -1;  // counted at the end
  }

  std::vector<std::string> worth;
  std::vector<bool> worth_stored;
  switch (w.worth) {
    case eviction::Worth::all_alike: p.write(names("entry:", 6000)); break;
    case eviction::Worth::often_read:
      worth = names("hot:", 100);
      worth_stored = p.write(worth);
      p.read(worth, 30);
      p.write(names("scan:", 6000));
      p.outcome.worth_label = "the 100 entries read all the time (30 reads each before the scan)";
      break;
    case eviction::Worth::recently_read: {
      auto old = names("old:", 1800);
      p.write(old);
      p.read(old, 50);
      p.wait_for_lru_tick();
      worth = names("new:", 1500);
      for (std::size_t i = 0; i < worth.size(); i += 100) {
        std::vector<std::string> batch(worth.begin() + static_cast<long>(i),
                                       worth.begin() + static_cast<long>(i + 100));
        auto stored = p.write(batch);
        worth_stored.insert(worth_stored.end(), stored.begin(), stored.end());
        p.read(batch, 2);
      }
      p.outcome.worth_label =
          "the 1500 new entries, read twice each just after they were written (the 1800 older "
          "ones were read 50 times each, a second earlier)";
      break;
    }
    case eviction::Worth::most_time_left: {
      worth = names("long:", 300);
      worth_stored = p.write(worth, milliseconds(10 * 3600 * 1000));
      auto rest = names("short:", 5000);
      for (std::size_t i = 0; i < rest.size(); i += 100) {
        std::vector<std::string> batch(rest.begin() + static_cast<long>(i),
                                       rest.begin() + static_cast<long>(i + 100));
        p.write(batch);
        p.read(batch, 3);
      }
      p.outcome.worth_label =
          "the 300 entries with 10 hours left (written first, never read; the 5000 others had 1 "
          "to 2 hours and were read 3 times each)";
      break;
    }
  }

  if (w.has_data_to_keep) {
    auto keep = names("data:", keys_to_keep);
    p.outcome.keep_present = p.present(keep, std::vector<bool>(keep.size(), true));
  }
  if (!worth.empty()) {
    p.outcome.worth_stored =
        static_cast<long long>(std::count(worth_stored.begin(), worth_stored.end(), true));
    p.outcome.worth_present = p.present(worth, worth_stored);
  }
  p.outcome.evicted = stat(client, "evicted_keys");
  return p.outcome;
}

std::string describe(const eviction::Workload& w) {
  const char* worth = "all_alike";
  switch (w.worth) {
    case eviction::Worth::all_alike: worth = "all_alike"; break;
    case eviction::Worth::recently_read: worth = "recently_read"; break;
    case eviction::Worth::often_read: worth = "often_read"; break;
    case eviction::Worth::most_time_left: worth = "most_time_left"; break;
  }
  auto yes = [](bool b) { return b ? "true" : "false"; };
  return std::string("{entries_have_ttl = ") + yes(w.entries_have_ttl) +
         ", has_data_to_keep = " + yes(w.has_data_to_keep) +
         ", no_key_may_be_lost = " + yes(w.no_key_may_be_lost) + ", worth = Worth::" + worth + "}";
}

}  // namespace workloads
