// What wb::Valkey costs over the hiredis it is built on, side by side in one
// run: the workbook's client, the same work written directly against hiredis,
// and valkey-benchmark (redis-benchmark where Valkey is not installed).
//
//   build/client-bench                      throughput: runs the three in turn
//   build/client-bench --instructions       instructions per command (callgrind)
//   options: --url URL (default $VALKEY_URL), --runs N (11), --ops get,set,...
//
// Throughput: each operation runs --runs times per client; within a run the
// clients take turns block by block (wb, hiredis, hiredis, wb, ...), so that
// a drift in the machine's speed affects both alike; the ratio wb/hiredis is
// taken run by run and printed as its median and min-max. valkey-benchmark
// runs once per run, after the pair. One connection, the server in --url.
//
// Instructions: the program runs itself under valgrind --tool=callgrind twice
// per client and operation, once with N and once with 3N commands after the
// same set-up and warm-up; the difference divided by 2N is the cost of one
// more command, with start-up, connecting and set-up cancelled out. Only the
// client's process is counted, not the server's. The figures repeat to within
// a few instructions from run to run.
//
// This file is compiled like a learner's file (the build type's flags, -O0 in
// the default Debug build), so the figures include whatever the client's
// header makes the caller's code do; the library itself is built optimised.
// It writes only keys under bench:<pid>: and deletes them at the end.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "workbook/valkey.hpp"

extern char** environ;

namespace {

const std::vector<std::string> kAllOps = {"get", "set", "hgetall", "pipe16", "pipe1000"};
constexpr int kFields = 10;
constexpr int kBlocks = 20;

struct Op {
  std::string name;
  std::string label;
  int batch;               // commands per round trip
  long long throughput_n;  // commands per timed run
};

Op op_info(const std::string& name) {
  if (name == "get") return {name, "GET (32-byte value)", 1, 10000};
  if (name == "set") return {name, "SET (32-byte value)", 1, 10000};
  if (name == "hgetall") return {name, "HGETALL of 10 fields", 1, 10000};
  if (name == "pipe16") return {name, "SET in pipelines of 16", 16, 80000};
  if (name == "pipe1000") return {name, "SET in pipelines of 1,000", 1000, 400000};
  throw std::invalid_argument("unknown operation '" + name +
                              "' (get, set, hgetall, pipe16, pipe1000)");
}

struct Keys {
  std::string prefix = "bench:" + std::to_string(getpid()) + ":";
  std::string str = prefix + "string";
  std::string hash = prefix + "hash";
  std::string value = std::string(32, 'v');
  std::vector<std::string> fields, values;
  Keys() {
    for (int i = 0; i < kFields; ++i) {
      fields.push_back("field:" + std::to_string(i));
      values.push_back("value-" + std::to_string(i) + std::string(10, 'x'));
    }
  }
};

// ---- the same work written directly against hiredis ------------------------
class Raw {
 public:
  explicit Raw(const wb::ConnectionOptions& o) {
    timeval tv{2, 0};
    c_ = redisConnectWithTimeout(o.host.c_str(), o.port, tv);
    if (!c_ || c_->err) throw std::runtime_error("hiredis cannot connect to " + o.address());
    redisSetTimeout(c_, tv);
    if (!o.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!o.user.empty()) auth.push_back(o.user);
      auth.push_back(o.password);
      check(command(auth), "AUTH");
    }
    if (o.db != 0) check(command({"SELECT", std::to_string(o.db)}), "SELECT");
  }
  ~Raw() { redisFree(c_); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  redisReply* command(const std::vector<std::string>& argv) {
    std::vector<const char*> p;
    std::vector<size_t> l;
    for (const auto& a : argv) {
      p.push_back(a.data());
      l.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(argv.size()), p.data(), l.data()));
  }
  static void check(redisReply* r, const char* what) {
    if (!r || r->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string(what) + " failed");
    freeReplyObject(r);
  }

  // What a careful hiredis user writes: argv with lengths, the reply checked
  // and copied into C++ types, the reply freed.
  std::optional<std::string> get(const std::string& key) {
    const char* argv[] = {"GET", key.data()};
    size_t lens[] = {3, key.size()};
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, 2, argv, lens));
    if (!r) throw std::runtime_error("GET: connection lost");
    std::optional<std::string> out;
    if (r->type == REDIS_REPLY_STRING)
      out.emplace(r->str, r->len);
    else if (r->type != REDIS_REPLY_NIL)
      throw std::runtime_error("GET: unexpected reply");
    freeReplyObject(r);
    return out;
  }
  bool set(const std::string& key, const std::string& val) {
    const char* argv[] = {"SET", key.data(), val.data()};
    size_t lens[] = {3, key.size(), val.size()};
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, 3, argv, lens));
    if (!r) throw std::runtime_error("SET: connection lost");
    bool ok = r->type == REDIS_REPLY_STATUS && std::strcmp(r->str, "OK") == 0;
    freeReplyObject(r);
    return ok;
  }
  void hgetall(const std::string& key, std::unordered_map<std::string, std::string>& out) {
    const char* argv[] = {"HGETALL", key.data()};
    size_t lens[] = {7, key.size()};
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, 2, argv, lens));
    if (!r) throw std::runtime_error("HGETALL: connection lost");
    if (r->type != REDIS_REPLY_ARRAY) throw std::runtime_error("HGETALL: unexpected reply");
    for (size_t i = 0; i + 1 < r->elements; i += 2)
      out.emplace(std::string(r->element[i]->str, r->element[i]->len),
                  std::string(r->element[i + 1]->str, r->element[i + 1]->len));
    freeReplyObject(r);
  }
  void pipeline_set(const std::string& key, const std::string& val, int n) {
    const char* argv[] = {"SET", key.data(), val.data()};
    size_t lens[] = {3, key.size(), val.size()};
    for (int i = 0; i < n; ++i) redisAppendCommandArgv(c_, 3, argv, lens);
    for (int i = 0; i < n; ++i) {
      void* r = nullptr;
      if (redisGetReply(c_, &r) != REDIS_OK || !r) throw std::runtime_error("SET: connection lost");
      auto* reply = static_cast<redisReply*>(r);
      if (reply->type != REDIS_REPLY_STATUS) throw std::runtime_error("SET: unexpected reply");
      freeReplyObject(reply);
    }
  }

 private:
  redisContext* c_ = nullptr;
};

// Runs `n` commands of `op` on one client; both clients do exactly this work.
void run_wb(wb::Valkey& client, const Keys& k, const Op& op, long long n) {
  if (op.name == "get") {
    for (long long i = 0; i < n; ++i)
      if (!client.get(k.str)) throw std::runtime_error("GET: the key is missing");
  } else if (op.name == "set") {
    for (long long i = 0; i < n; ++i) client.set(k.str, k.value);
  } else if (op.name == "hgetall") {
    for (long long i = 0; i < n; ++i) {
      std::unordered_map<std::string, std::string> m;
      client.hgetall(k.hash, std::inserter(m, m.end()));
      if (m.size() != kFields) throw std::runtime_error("HGETALL: wrong number of fields");
    }
  } else {
    for (long long done = 0; done < n; done += op.batch) {
      auto pipe = client.pipeline();
      for (int i = 0; i < op.batch; ++i) pipe.set(k.str, k.value);
      auto replies = pipe.exec();
      if (replies.size() != static_cast<std::size_t>(op.batch))
        throw std::runtime_error("pipeline: wrong number of replies");
    }
  }
}

void run_raw(Raw& client, const Keys& k, const Op& op, long long n) {
  if (op.name == "get") {
    for (long long i = 0; i < n; ++i)
      if (!client.get(k.str)) throw std::runtime_error("GET: the key is missing");
  } else if (op.name == "set") {
    for (long long i = 0; i < n; ++i) client.set(k.str, k.value);
  } else if (op.name == "hgetall") {
    for (long long i = 0; i < n; ++i) {
      std::unordered_map<std::string, std::string> m;
      client.hgetall(k.hash, m);
      if (m.size() != kFields) throw std::runtime_error("HGETALL: wrong number of fields");
    }
  } else {
    for (long long done = 0; done < n; done += op.batch)
      client.pipeline_set(k.str, k.value, op.batch);
  }
}

void prepare(wb::Valkey& client, const Keys& k) {
  client.set(k.str, k.value);
  std::vector<std::pair<std::string, std::string>> fv;
  for (std::size_t i = 0; i < k.fields.size(); ++i) fv.emplace_back(k.fields[i], k.values[i]);
  client.hset(k.hash, fv.begin(), fv.end());
}

void cleanup(wb::Valkey& client, const Keys& k) { client.del({k.str, k.hash}); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Stats {
  double median, min, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

std::string fmt(double v, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Runs a program and waits; its output goes to `out_file` (or /dev/null).
int run_program(const std::vector<std::string>& args, const std::string& out_file = "/dev/null") {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- valkey-benchmark, one connection, the same command ------------------------
std::string benchmark_program() {
  for (const char* p : {"valkey-benchmark", "redis-benchmark"})
    if (run_program({"sh", "-c", std::string("command -v ") + p}) == 0) return p;
  return {};
}

// Requests per second, or -1 when it could not run.
double valkey_benchmark(const std::string& program, const wb::ConnectionOptions& o, const Keys& k,
                        const Op& op, long long n) {
  if (program.empty() || !o.password.empty() || o.db != 0) return -1;
  std::vector<std::string> args{
      program,           "-h",   o.host, "-p", std::to_string(o.port), "-c", "1", "-n",
      std::to_string(n), "--csv"};
  if (op.batch > 1) {
    args.push_back("-P");
    args.push_back(std::to_string(op.batch));
  }
  if (op.name == "get") {
    args.insert(args.end(), {"GET", k.str});
  } else if (op.name == "hgetall") {
    args.insert(args.end(), {"HGETALL", k.hash});
  } else {
    args.insert(args.end(), {"SET", k.str, k.value});
  }
  std::string out = "/tmp/client-bench-" + std::to_string(getpid()) + ".csv";
  int rc = run_program(args, out);
  std::string text = read_file(out);
  std::remove(out.c_str());
  if (rc != 0) return -1;
  // "test","rps",...  then  "GET bench:...","52137.64",...
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("\"test\"", 0) == 0 || line.empty()) continue;
    auto comma = line.find("\",\"");
    if (comma == std::string::npos) continue;
    return std::atof(line.c_str() + comma + 3);
  }
  return -1;
}

// ---- modes ------------------------------------------------------------------------
int throughput(const std::string& url, const std::vector<std::string>& ops, int runs) {
  auto options = wb::ConnectionOptions::from_url(url);
  wb::Valkey client(options);
  Raw raw(options);
  Keys k;
  prepare(client, k);
  std::string bench = benchmark_program();
  std::cout << "Throughput, one connection to " << options.address() << ", " << runs
            << " runs per client, taking turns (commands per second: median, min-max)\n\n";
  std::printf("%-27s %26s %26s %22s %26s\n", "", "wb::Valkey", "raw hiredis", "wb / hiredis",
              bench.empty() ? "(no benchmark tool)" : bench.c_str());
  for (const auto& name : ops) {
    Op op = op_info(name);
    run_wb(client, k, op, op.throughput_n / 10);  // warm both up
    run_raw(raw, k, op, op.throughput_n / 10);
    std::vector<double> wb_rate, raw_rate, ratio, tool_rate;
    for (int r = 0; r < runs; ++r) {
      // A run is 20 blocks per client, the two taking turns block by block
      // (and going first in turn), so that a moment when the shared machine
      // is busy slows both alike.
      const long long block = op.throughput_n / kBlocks;
      double wb_seconds = 0, raw_seconds = 0;
      for (int i = 0; i < kBlocks; ++i) {
        for (int side = 0; side < 2; ++side) {
          bool wb_turn = (side == 0) == (i % 2 == 0);
          auto t0 = std::chrono::steady_clock::now();
          if (wb_turn)
            run_wb(client, k, op, block);
          else
            run_raw(raw, k, op, block);
          (wb_turn ? wb_seconds : raw_seconds) += seconds_since(t0);
        }
      }
      double a = static_cast<double>(block * kBlocks) / wb_seconds;
      double b = static_cast<double>(block * kBlocks) / raw_seconds;
      wb_rate.push_back(a);
      raw_rate.push_back(b);
      ratio.push_back(a / b);
      double t = valkey_benchmark(bench, options, k, op, op.throughput_n);
      if (t > 0) tool_rate.push_back(t);
    }
    auto w = stats(wb_rate), h = stats(raw_rate), q = stats(ratio);
    std::string tool = "-";
    if (!tool_rate.empty()) {
      auto t = stats(tool_rate);
      tool = fmt(t.median) + " (" + fmt(t.min) + "-" + fmt(t.max) + ")";
    }
    std::printf("%-27s %26s %26s %22s %26s\n", op.label.c_str(),
                (fmt(w.median) + " (" + fmt(w.min) + "-" + fmt(w.max) + ")").c_str(),
                (fmt(h.median) + " (" + fmt(h.min) + "-" + fmt(h.max) + ")").c_str(),
                (fmt(q.median, 2) + " (" + fmt(q.min, 2) + "-" + fmt(q.max, 2) + ")").c_str(),
                tool.c_str());
  }
  cleanup(client, k);
  return 0;
}

long long callgrind_total(const std::string& self, const std::string& url, const std::string& who,
                          const std::string& op, long long n) {
  std::string out = "/tmp/client-bench-" + std::to_string(getpid()) + ".callgrind";
  int rc = run_program({"valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, self,
                        "--url", url, "--child", who, op, std::to_string(n)});
  std::string text = read_file(out);
  std::remove(out.c_str());
  if (rc != 0) throw std::runtime_error("valgrind --tool=callgrind " + who + " " + op + " failed");
  for (const char* tag : {"\ntotals:", "\nsummary:"}) {
    auto at = text.find(tag);
    if (at != std::string::npos) return std::atoll(text.c_str() + at + std::strlen(tag));
  }
  throw std::runtime_error("no totals in the callgrind output");
}

int instructions(const std::string& self, const std::string& url,
                 const std::vector<std::string>& ops) {
  std::cout << "Instructions per command (valgrind --tool=callgrind, the client's process: "
               "the difference between N and 3N commands, divided by 2N)\n\n";
  std::printf("%-27s %8s %14s %14s %12s\n", "", "N", "wb::Valkey", "raw hiredis", "wb / hiredis");
  for (const auto& name : ops) {
    Op op = op_info(name);
    long long n = op.batch >= 1000 ? 4000 : (op.batch > 1 ? 3200 : 1000);
    double per[2];
    const char* who[2] = {"wb", "raw"};
    for (int i = 0; i < 2; ++i) {
      long long small = callgrind_total(self, url, who[i], name, n);
      long long large = callgrind_total(self, url, who[i], name, 3 * n);
      per[i] = static_cast<double>(large - small) / static_cast<double>(2 * n);
    }
    std::printf("%-27s %8lld %14s %14s %12s\n", op.label.c_str(), n, fmt(per[0]).c_str(),
                fmt(per[1]).c_str(), (fmt(per[0] / per[1], 2) + "x").c_str());
  }
  return 0;
}

// Run under callgrind: set up, warm up, then exactly n commands.
int child(const std::string& url, const std::string& who, const std::string& name, long long n) {
  Op op = op_info(name);
  auto options = wb::ConnectionOptions::from_url(url);
  wb::Valkey client(options);
  Keys k;
  prepare(client, k);
  long long warm = op.batch > 1 ? 2 * op.batch : 50;
  if (who == "wb") {
    run_wb(client, k, op, warm);
    run_wb(client, k, op, n);
  } else {
    Raw raw(options);
    run_raw(raw, k, op, warm);
    run_raw(raw, k, op, n);
  }
  cleanup(client, k);
  return 0;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string url = wb::valkey_url_from_env();
    std::vector<std::string> ops = kAllOps;
    int runs = 11;
    bool count_instructions = false;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--url")
        url = value();
      else if (a == "--runs")
        runs = std::max(1, std::atoi(value().c_str()));
      else if (a == "--ops")
        ops = split(value());
      else if (a == "--instructions")
        count_instructions = true;
      else if (a == "--child" && i + 3 < argc)
        return child(url, argv[i + 1], argv[i + 2], std::atoll(argv[i + 3]));
      else {
        std::cerr << "usage: client-bench [--instructions] [--url URL] [--runs N] "
                     "[--ops get,set,hgetall,pipe16,pipe1000]\n";
        return 2;
      }
    }
    for (const auto& op : ops) op_info(op);
    if (count_instructions) {
      char self[4096];
      ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
      if (len <= 0) throw std::runtime_error("cannot find this program's own path");
      self[len] = '\0';
      return instructions(self, url, ops);
    }
    return throughput(url, ops, runs);
  } catch (const std::exception& e) {
    std::cerr << "client-bench: " << e.what() << "\n";
    return 1;
  }
}
