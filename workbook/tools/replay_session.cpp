// The transcript replay against a real server: see replay_session.hpp.
#include "replay_session.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <functional>
#include <random>
#include <set>
#include <sstream>

namespace wb::replay {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STATUS: out.type = Reply::Type::Status; break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::Error; break;
    case REDIS_REPLY_STRING: out.type = Reply::Type::String; break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::Integer; break;
    case REDIS_REPLY_ARRAY: out.type = Reply::Type::Array; break;
    default: out.type = Reply::Type::Nil; break;
  }
  if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR ||
      r->type == REDIS_REPLY_STRING)
    out.str.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY)
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
  return out;
}

// The keys of a cluster reply as the text typed them (`sent` -> `typed`),
// the longest first: one sent key may begin with another.
void restore_keys(Reply& reply, const std::map<std::string, std::string>& keys) {
  if (keys.empty()) return;
  std::vector<std::pair<std::string, std::string>> longest_first(keys.begin(), keys.end());
  std::stable_sort(longest_first.begin(), longest_first.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::function<void(Reply&)> restore = [&](Reply& r) {
    for (const auto& [sent, typed] : longest_first)
      for (std::size_t at = r.str.find(sent); at != std::string::npos;
           at = r.str.find(sent, at + typed.size()))
        r.str.replace(at, sent.size(), typed);
    for (Reply& element : r.elements) restore(element);
  };
  restore(reply);
}

// 8 hex digits from the operating system's generator: two replays (or two
// servers' runs) never share a prefix.
std::string random_tag() {
  std::random_device device;
  std::ostringstream out;
  out << std::hex << device();
  return out.str();
}

}  // namespace

// ---- Connection --------------------------------------------------------------------

struct Connection::Impl {
  redisContext* context = nullptr;
  std::string address;
  long long timeout_s = 10;
  ~Impl() {
    if (context) redisFree(context);
  }
};

Connection::Connection(const ConnectionOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->address = options.address();
  // Like the workbook's client: a rediss:// URL's password never goes out in
  // plain text, and this connection has no TLS.
  if (options.tls)
    throw IoError("cannot connect to " + impl_->address +
                  ": the URL asks for TLS (rediss://), which the replay does not speak; use "
                  "redis:// for a server on this machine");
  auto to_timeval = [](std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
  };
  impl_->context = redisConnectWithTimeout(options.host.c_str(), options.port,
                                           to_timeval(options.connect_timeout));
  if (!impl_->context || impl_->context->err)
    throw IoError("cannot connect to " + impl_->address + ": " +
                  (impl_->context ? impl_->context->errstr : "out of memory") +
                  " (is the server running? make infra-up starts it)");
  // A blocking command in a transcript may wait a little; never for ever.
  auto timeout = std::max(options.socket_timeout, std::chrono::milliseconds(10000));
  impl_->timeout_s = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  redisSetTimeout(impl_->context, to_timeval(timeout));
  if (!options.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!options.user.empty()) auth.push_back(options.user);
    auth.push_back(options.password);
    Reply r = command(auth);
    if (r.type == Reply::Type::Error)
      throw ReplyError("AUTH on " + impl_->address + ": " + r.str, r.str);
  }
  if (options.db != 0) {
    Reply r = command({"SELECT", std::to_string(options.db)});
    if (r.type == Reply::Type::Error)
      throw ReplyError("SELECT on " + impl_->address + ": " + r.str, r.str);
  }
}

Connection::~Connection() = default;

Reply Connection::command(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(impl_->context, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (!raw) {
    const std::string name = argv.empty() ? "" : argv[0];
    // hiredis 0.14 reports a read timeout as an I/O error with EAGAIN.
    if (impl_->context->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
      throw TimeoutError(name + " on " + impl_->address + ": no reply within " +
                         std::to_string(impl_->timeout_s) +
                         " s (a command that blocks, waiting for another "
                         "client? Mark its block <!-- replay: skip: <why> -->)");
    throw IoError(name + " on " + impl_->address + ": " + impl_->context->errstr);
  }
  Reply reply = convert(raw);
  freeReplyObject(raw);
  return reply;
}

// ---- Session ---------------------------------------------------------------------------

Session::Session(const ConnectionOptions& options, const std::string& tag,
                 std::optional<ConnectionOptions> cluster)
    : options_(options),
      session_(std::make_unique<Connection>(options)),
      side_(std::make_unique<Connection>(options)),
      // No glob character in it: it goes in front of SCAN's MATCH pattern as it is.
      prefix_("wbtest:replay-" + tag + ":" + random_tag() + ":") {
  // INFO's "key:value" lines; Valkey names itself in server_name.
  std::map<std::string, std::string> fields;
  std::istringstream info(side_->command({"INFO", "server"}).str);
  for (std::string line; std::getline(info, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t colon = line.find(':');
    if (colon != std::string::npos) fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  std::string name = "redis", version = fields["redis_version"];
  if (fields["server_name"] == "valkey") {
    name = "valkey";
    kind_ = Only::Valkey;
    version = fields["valkey_version"];
  }
  server_ = name + " " + version;
  target_ = session_.get();
  cluster_ = std::move(cluster);
}

Session::~Session() {
  try {
    clean_up();
  } catch (...) {
    // A server gone away takes the keys with it, or keyguard names them.
  }
}

void Session::clean_up() {
  // The own server goes with everything on it; the cluster's keys are the
  // ones the replay sent, each deleted where its slot lives.
  own_session_.reset();
  own_.reset();
  clean_up_cluster();
  nodes_.clear();
  target_ = nullptr;
  // A transaction left open is discarded with its connection.
  session_.reset();
  std::string cursor = "0";
  do {
    Reply r = side_->command({"SCAN", cursor, "MATCH", prefix_ + "*", "COUNT", "1000"});
    if (r.type != Reply::Type::Array || r.elements.size() != 2) break;
    cursor = r.elements[0].str;
    if (!r.elements[1].elements.empty()) {
      std::vector<std::string> del{"UNLINK"};
      for (const Reply& key : r.elements[1].elements) del.push_back(key.str);
      side_->command(del);
    }
  } while (cursor != "0");
}

void Session::clean_up_cluster() {
  for (const auto& [sent, typed] : cluster_keys_) {
    (void)typed;
    int port = cluster_->port;
    for (int hop = 0; hop < 5; ++hop) {
      Reply r = node(port).command({"UNLINK", sent});
      // "MOVED 2780 127.0.0.1:7002": the key's slot lives on another node.
      if (r.type != Reply::Type::Error || r.str.rfind("MOVED ", 0) != 0) break;
      port = std::stoi(r.str.substr(r.str.rfind(':') + 1));
    }
  }
  cluster_keys_.clear();
}

Connection& Session::node(int port) {
  auto& connection = nodes_[port];
  if (!connection) {
    ConnectionOptions options = *cluster_;
    options.port = port;
    connection = std::make_unique<Connection>(options);
  }
  return *connection;
}

// The cluster as the text shows it: answering, healthy, its slots in the
// three ranges cluster.sh gives its primaries when it makes the cluster (a
// failover may have swapped a primary with its replica: the replay follows
// the ranges, not the ports). "" when so; the reason when no cluster answers;
// throws when one answers in another shape.
std::string Session::check_cluster() {
  if (cluster_problem_) return *cluster_problem_;
  cluster_problem_ = "";
  const std::string url = "redis://" + cluster_->address();
  Reply info, slots;
  try {
    info = node(cluster_->port).command({"CLUSTER", "INFO"});
    slots = node(cluster_->port).command({"CLUSTER", "SLOTS"});
  } catch (const IoError& e) {
    nodes_.clear();
    cluster_problem_ = "no cluster answers at VALKEY_CLUSTER_URL=" + url +
                       " (make cluster-up starts it; make check does)";
    return *cluster_problem_;
  }
  if (info.type == Reply::Type::Error)
    throw std::runtime_error("the server at VALKEY_CLUSTER_URL=" + url +
                             " is not a cluster node: CLUSTER INFO says " + info.str);
  if (info.str.find("cluster_state:ok") == std::string::npos)
    throw std::runtime_error("the cluster at " + url +
                             " is not healthy (cluster_state is not ok): make cluster-status");
  std::map<long long, std::pair<long long, long long>> ranges;  // start -> end, port
  for (const Reply& range : slots.elements)
    if (range.elements.size() >= 3 && range.elements[2].elements.size() >= 2)
      ranges[range.elements[0].integer] = {range.elements[1].integer,
                                           range.elements[2].elements[1].integer};
  const std::vector<std::pair<long long, long long>> made = {
      {0, 5460}, {5461, 10922}, {10923, 16383}};
  bool as_made = ranges.size() == made.size();
  for (const auto& [start, end] : made) {
    auto found = ranges.find(start);
    if (found == ranges.end() || found->second.first != end) {
      as_made = false;
      break;
    }
    primaries_.push_back(static_cast<int>(found->second.second));
  }
  if (!as_made) {
    std::ostringstream out;
    out << "the cluster at " << url
        << " does not serve its slots in the three ranges of a cluster as it is made "
           "(0-5460, 5461-10922, 10923-16383), which the text's redirects name; it serves:";
    for (const auto& [start, end_port] : ranges)
      out << " " << start << "-" << end_port.first << " on " << end_port.second << ";";
    out << " (a reshard moved them: make cluster-down cluster-up)";
    primaries_.clear();
    throw std::runtime_error(out.str());
  }
  return "";
}

std::string Session::enter(const Block& block) {
  place_ = block.place;
  switch (block.place) {
    case Place::Learner: target_ = session_.get(); return "";
    case Place::OwnServer:
      if (block.new_server || !own_) {
        own_session_.reset();
        own_.reset();
        {
          // The same kind of server as the learner's: the compat run proves
          // the block on Redis 7.0 too.
          Valkey learner(options_);
          own_servers_like(learner);
        }
        own_ = std::make_unique<OwnServer>(block.config);
        own_session_ = std::make_unique<Connection>(ConnectionOptions::from_url(own_->url()));
      }
      target_ = own_session_.get();
      return "";
    case Place::Cluster: {
      if (!cluster_) return "no cluster was given to the replay";
      std::string why = check_cluster();
      if (!why.empty()) return why;
      text_port_.clear();
      for (std::size_t k = 0; k < primaries_.size(); ++k)
        text_port_[primaries_[k]] = block.first_port + static_cast<int>(k);
      target_ = &node(primaries_[0]);
      return "";
    }
  }
  return "";
}

void Session::at_prompt(const Block& block, const Step& step) {
  if (block.place != Place::Cluster || primaries_.empty()) return;
  const auto k = static_cast<std::size_t>(step.port - block.first_port);
  target_ = k < primaries_.size() ? &node(primaries_[k]) : nullptr;
  if (!target_)
    no_target_ = "127.0.0.1:" + std::to_string(step.port) +
                 " is a replica in the text's cluster, and which primary a replica copies is "
                 "chosen at random when a cluster is made: the replay sends to the primaries only";
}

CommandInfo Session::info_named(const std::string& name) {
  auto found = infos_.find(name);
  if (found != infos_.end()) return found->second;
  Reply r = side_->command({"COMMAND", "INFO", name});
  CommandInfo info;
  if (r.type == Reply::Type::Array && r.elements.size() == 1)
    info = parse_command_info(r.elements[0]);
  infos_[name] = info;
  return info;
}

CommandInfo Session::info_for(const std::vector<std::string>& argv) {
  CommandInfo info = info_named(lower(argv[0]));
  if (info.known && !info.subcommands.empty() && argv.size() > 1) {
    auto sub = info.subcommands.find(lower(argv[0]) + "|" + lower(argv[1]));
    if (sub != info.subcommands.end()) return sub->second;
  }
  return info;
}

// The server's own view of the keys, as a second opinion: every key it would
// touch must carry the prefix. An error means it finds no keys in the line
// (a keyless command, or arguments it will refuse anyway).
void Session::check_keys_with_server(const std::vector<std::string>& argv) {
  std::vector<std::string> ask{"COMMAND", "GETKEYS"};
  ask.insert(ask.end(), argv.begin(), argv.end());
  Reply keys = side_->command(ask);
  if (keys.type != Reply::Type::Array) return;
  for (const Reply& key : keys.elements)
    if (key.str.compare(0, prefix_.size(), prefix_) != 0)
      throw Refused("the server reads '" + key.str + "' as a key of this " + upper(argv[0]) +
                    ", outside the replay's prefix; the replay does not send it");
}

// A transcript's SCAN whose reply shows cursor 0 is a walk the server
// finished in one call: so it does on a server holding little besides the
// transcript's keys, where the text's transcript was taken. On a shared
// server (make check runs a lesson's example that writes 10,000 keys beside
// the replay) one call looks at about COUNT of all the server's keys and
// seldom gets to the end, whatever the transcript's own keys are.
bool Session::scan_walk_shown_whole(const std::vector<std::string>& expected) {
  return !expected.empty() && expected[0] == "1) \"0\"";
}

// Goes on with the walk the reply began (the same MATCH and COUNT) until the
// cursor is 0, and makes the reply the whole walk's: cursor 0 and every key
// found, each once (a walk may return a key twice when the table resizes).
// The replay's prefix is in the MATCH pattern, so only the transcript's own
// keys come back.
void Session::finish_scan_walk(Reply& reply, const std::vector<std::string>& sent) {
  if (reply.type != Reply::Type::Array || reply.elements.size() != 2) return;
  std::vector<std::string> next = sent;
  std::set<std::string> seen;
  std::vector<Reply> keys;
  auto take = [&](const Reply& batch) {
    for (const Reply& key : batch.elements)
      if (seen.insert(key.str).second) keys.push_back(key);
  };
  take(reply.elements[1]);
  for (int calls = 0; reply.elements[0].str != "0"; ++calls) {
    if (calls > 100000) throw Refused("SCAN did not come back to cursor 0 in 100000 calls");
    next.at(1) = reply.elements[0].str;
    reply = target_->command(next);
    if (reply.type != Reply::Type::Array || reply.elements.size() != 2) return;
    take(reply.elements[1]);
  }
  reply.elements[1].elements = std::move(keys);
}

Printed Session::run(const std::string& input, const std::vector<std::string>& expected) {
  Printed printed;
  auto args = split_args(input);
  if (!args) {
    printed.lines = {"Invalid argument(s)"};
    return printed;
  }
  if (args->empty()) return printed;
  // The CLI's "3 INCR x": a leading number repeats the command.
  long long repeat = 1;
  if (args->size() > 1 && std::all_of((*args)[0].begin(), (*args)[0].end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    repeat = std::stoll((*args)[0].substr(0, 6));
    args->erase(args->begin());
    if (repeat < 1 || repeat > 100) {
      printed.refused =
          "a repeat count of " + std::to_string(repeat) + " (the replay repeats 1 to 100 times)";
      return printed;
    }
  }
  const std::vector<std::string>& argv = *args;
  const std::string name = upper(argv[0]);
  try {
    if (!target_) throw Refused(no_target_);
    if (auto why = refusal(argv, place_ == Place::OwnServer)) throw Refused(*why);
    CommandInfo info = info_for(argv);
    std::vector<std::string> sent = argv;
    if (info.known) {
      if ((name == "EVAL" || name == "EVAL_RO") && argv.size() > 1)
        if (auto why =
                script_refusal(argv[1], [this](const std::string& n) { return info_named(n); }))
          throw Refused(*why);
      const auto keys = key_positions(info, argv);
      if (place_ == Place::Learner) {
        sent = with_prefix(argv, keys, prefix_);
        check_keys_with_server(sent);
      } else if (place_ == Place::Cluster) {
        if (name == "SCAN")
          throw Refused("SCAN on a cluster lists the keys of one node only; not replayed there");
        for (std::size_t k : keys) {
          sent.at(k) = in_same_slot(prefix_, argv.at(k));
          cluster_keys_[sent[k]] = argv[k];
        }
        check_keys_with_server(sent);
      }
      // On a server of its own every key is the replay's: sent as typed, so
      // that what the server counts (memory, keys) is what the text shows.
    }
    // else: a command this server does not know is sent as typed; the server
    // answers "unknown command" and touches nothing.
    for (long long i = 0; i < repeat; ++i) {
      Reply reply = target_->command(sent);
      if (name == "SCAN" && scan_walk_shown_whole(expected)) finish_scan_walk(reply, sent);
      const bool error = reply.type == Reply::Type::Error;
      // When the CLI shows (TX): the same rules as valkey-cli's prompt.
      if (argv.size() == 1 && name == "MULTI" && !error) in_tx_ = true;
      if (argv.size() == 1 && name == "EXEC" && in_tx_) in_tx_ = false;
      if (argv.size() == 1 && name == "DISCARD" && !error) in_tx_ = false;
      if (place_ == Place::Cluster) {
        restore_keys(reply, cluster_keys_);
        rename_ports(reply, text_port_);
      }
      strip_prefix(reply, prefix_);
      if (reply.type == Reply::Type::Array) {
        if (name == "SCAN" && reply.elements.size() == 2)
          order_like_text(reply.elements[1].elements, expected);
        else if (info.unordered_reply && !in_tx_)
          order_like_text(reply.elements, expected);
      }
      for (std::string& line : raw_output(argv) ? format_raw(reply) : format_reply(reply))
        printed.lines.push_back(std::move(line));
    }
  } catch (const Refused& e) {
    printed.refused = e.what();
    printed.lines.clear();
  }
  return printed;
}

Printed Session::run_fill(const Fill& fill) {
  Printed printed;
  long long count = 0;
  for (long long i = 1; i <= fill.count; ++i) {
    auto args = split_args(fill_line(fill, i));
    std::vector<std::string> lines = {"Invalid argument(s)"};
    if (args && !args->empty()) {
      if (auto why = refusal(*args, true)) {
        printed.refused = *why;
        return printed;
      }
      // Like valkey-cli reading its commands from a pipe: one at a time, and
      // the replies printed raw (its output is no terminal).
      lines = format_raw(target_->command(*args));
    }
    for (const std::string& line : lines)
      if (line.find(fill.word) != std::string::npos) ++count;
  }
  printed.lines = {std::to_string(count)};
  return printed;
}

std::string Session::scan_note(const std::vector<std::string>& argv, const Printed& printed) {
  if (argv.empty() || upper(argv[0]) != "SCAN" || printed.lines.empty() ||
      printed.lines[0] == "1) \"0\"")
    return "";
  Reply size = side_->command({"DBSIZE"});
  return "  (This server holds " + std::to_string(size.integer) +
         " keys. One SCAN call looks at about COUNT of them, so a transcript whose SCAN finishes "
         "in one call assumes a server with few keys besides its own.)\n";
}

Report Session::replay(const Transcripts& text, const std::string& file) {
  Report report;
  report.server = server_;
  for (const std::string& problem : text.problems) report.failures.push_back(file + ": " + problem);
  report.blocks = static_cast<int>(text.blocks.size());
  if (!report.failures.empty()) return report;

  for (const Block& block : text.blocks) {
    if (!block.skip_reason.empty()) {
      report.skipped.push_back("line " + std::to_string(block.line) + ": " + block.skip_reason);
      continue;
    }
    if (block.only != Only::Any && block.only != kind_) {
      report.elsewhere.push_back("line " + std::to_string(block.line) + ": " +
                                 only_name(block.only) + " only");
      continue;
    }
    std::string elsewhere;
    try {
      elsewhere = enter(block);
    } catch (const std::exception& e) {
      report.failures.push_back(file + ":" + std::to_string(block.line) +
                                ": the block's place could not be made ready: " + e.what());
      return report;
    }
    if (!elsewhere.empty()) {
      report.skipped.push_back("line " + std::to_string(block.line) + ": " + elsewhere);
      if (block.place == Place::Cluster) report.no_cluster = elsewhere;
      continue;
    }
    if (block.fill) {
      const Fill& fill = *block.fill;
      std::vector<std::string> expected;
      for (const ExpectedLine& line : fill.output) expected.push_back(line.text);
      Printed printed = run_fill(fill);
      const std::string where = file + ":" + std::to_string(fill.line) + ": ";
      if (!printed.refused.empty()) {
        report.failures.push_back(where + "not replayed: " + printed.refused);
        return report;
      }
      if (match_reply(expected, printed.lines)) {
        std::ostringstream out;
        out << where << "the fill loop's output differs from what " << server_
            << " printed (the replay sent its " << fill.count << " commands and counted the "
            << "replies that print " << fill.word << ")\n  the text shows:\n";
        for (const std::string& line : expected) out << "    " << line << "\n";
        out << "  the server printed:\n    " << printed.lines[0];
        report.failures.push_back(out.str());
        return report;
      }
      ++report.replayed;
      continue;
    }
    for (const Step& step : block.steps) {
      if (step.only != Only::Any && step.only != kind_) continue;
      at_prompt(block, step);
      std::vector<std::string> expected;
      for (const ExpectedLine& line : step.reply)
        if (line.only == Only::Any || line.only == kind_) expected.push_back(line.text);
      const std::string where = file + ":" + std::to_string(step.line) + ": ";
      if (step.tx_prompt != in_tx_) {
        report.failures.push_back(
            where +
            (in_tx_ ? "inside MULTI ... EXEC the CLI's prompt reads 127.0.0.1:6379(TX)> ; the text "
                      "shows it without (TX)"
                    : "the prompt shows (TX), but no MULTI is open here (the CLI shows (TX) only "
                      "between MULTI and EXEC or DISCARD)") +
            "\n  " + step.input);
        return report;
      }
      Printed printed = run(step.input, expected);
      if (!printed.refused.empty()) {
        report.failures.push_back(
            where + "not replayed: " + printed.refused + "\n  " + step.input +
            "\n  (If the block cannot be replayed at all, put <!-- replay: skip: "
            "<why> --> on the line before it.)");
        return report;
      }
      auto bad = match_reply(expected, printed.lines);
      if (bad) {
        std::ostringstream out;
        int at = *bad < step.reply.size() ? step.reply[*bad].line : step.line;
        out << file << ":" << at << ": the transcript differs from what " << server_ << " printed\n"
            << "  127.0.0.1:" << step.port << (step.tx_prompt ? "(TX)" : "") << "> " << step.input
            << "\n  the text shows:\n";
        for (const std::string& line : expected) out << "    " << line << "\n";
        if (expected.empty()) out << "    (no reply line)\n";
        out << "  the server printed:\n";
        for (const std::string& line : printed.lines) out << "    " << line << "\n";
        if (printed.lines.empty()) out << "    (nothing)\n";
        if (expected.size() == printed.lines.size())
          out << "  (A value that differs from run to run takes a ~ before it, e.g. (integer) "
                 "~29978; "
                 "a line ... stands for any number of lines: CONTRIBUTING.md, \"Transcripts are "
                 "replayed\".)\n";
        auto args = split_args(step.input);
        if (args) out << scan_note(*args, printed);
        std::string message = out.str();
        message.pop_back();
        report.failures.push_back(message);
        return report;
      }
    }
    ++report.replayed;
  }
  return report;
}

}  // namespace wb::replay
