// The transcript replay against a real server: one lesson's transcript
// blocks, in order, on one connection, as one session, every key under a
// prefix of the replay's own (see replay.hpp for the pieces, and
// CONTRIBUTING.md, "Transcripts are replayed", for the rules a lesson author
// follows).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replay.hpp"
#include "workbook/own_server.hpp"
#include "workbook/valkey.hpp"

namespace wb::replay {

// What one lesson's replay found.
struct Report {
  std::string server;                  // "valkey 8.0.1"
  int blocks = 0;                      // transcript blocks in the text
  int replayed = 0;                    // blocks replayed and matched
  std::vector<std::string> skipped;    // "line 93: it needs a wait" (`replay: skip`)
  std::vector<std::string> elsewhere;  // "line 359: redis only" (for the other server)
  std::vector<std::string> failures;   // what did not match or could not be sent, in full
  // Why the cluster blocks were not replayed ("no cluster answers at ..."),
  // counted in `skipped` too; empty when there was a cluster or no such block.
  std::string no_cluster;
};

// One replayed line's outcome, for the tests and for --print.
struct Printed {
  std::vector<std::string> lines;
  std::string refused;  // why the replay did not send it (then `lines` is empty)
};

// A connection of its own (hiredis), not the workbook client's pool: MULTI
// must stay on one connection, and the replay needs the raw replies.
class Connection {
 public:
  explicit Connection(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Reply command(const std::vector<std::string>& argv);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Session {
 public:
  // Connects twice (the session, and a side connection that asks the server
  // about commands without disturbing a MULTI). `tag` goes into the prefix
  // ("wbtest:replay-03:<random>:"), so that leftovers name their lesson.
  // `cluster`: the first node of the workbook's cluster, for the blocks marked
  // `cluster ...` (connected to when the first such block comes).
  Session(const ConnectionOptions& options, const std::string& tag,
          std::optional<ConnectionOptions> cluster = std::nullopt);
  ~Session();  // removes every key under the prefix, stops its own server
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& prefix() const { return prefix_; }
  const std::string& server() const { return server_; }  // "valkey 8.0.1"
  Only kind() const { return kind_; }

  // Every block of `text` (the file's name is for messages), stopping at the
  // first line that does not match.
  Report replay(const Transcripts& text, const std::string& file);

  // Makes `block`'s place the one later lines go to: the learner's server;
  // a server of the replay's own (a new one, configured as the mark says, or
  // the one the block before started); or the cluster. Returns why the block
  // cannot be replayed there ("" when it can): no cluster answers, say.
  // Throws when the place cannot be made (a server that does not start).
  std::string enter(const Block& block);
  // The node of the cluster a step's prompt names (cluster blocks only): the
  // text's first three ports are the primaries of 0-5460, 5461-10922 and
  // 10923-16383; a line at any other port (a replica's) is not sent.
  void at_prompt(const Block& block, const Step& step);

  // One input line as the CLI would send it, under the prefix; the reply
  // printed as the CLI prints it. `expected` (the text's lines) only decides
  // the order of replies whose order the server does not promise.
  Printed run(const std::string& input, const std::vector<std::string>& expected = {});

  // A fill block's loop on the own server: the number of replies that print
  // its word, as `grep -c` counts them.
  Printed run_fill(const Fill& fill);

  bool in_transaction() const { return in_tx_; }

  // Removes every key under the prefix (also done by the destructor).
  void clean_up();

 private:
  CommandInfo info_for(const std::vector<std::string>& argv);
  CommandInfo info_named(const std::string& name);
  void check_keys_with_server(const std::vector<std::string>& argv);
  std::string scan_note(const std::vector<std::string>& argv, const Printed& printed);
  static bool scan_walk_shown_whole(const std::vector<std::string>& expected);
  void finish_scan_walk(Reply& reply, const std::vector<std::string>& sent);

  void clean_up_cluster();
  std::string check_cluster();
  Connection& node(int port);

  ConnectionOptions options_;
  std::unique_ptr<Connection> session_;
  std::unique_ptr<Connection> side_;
  std::string prefix_;
  std::string server_;
  Only kind_ = Only::Redis;
  bool in_tx_ = false;
  std::map<std::string, CommandInfo> infos_;

  // Where run() sends: the learner's server (session_), the own server, or a
  // node of the cluster.
  Place place_ = Place::Learner;
  Connection* target_ = nullptr;
  std::unique_ptr<OwnServer> own_;
  std::unique_ptr<Connection> own_session_;
  std::optional<ConnectionOptions> cluster_;
  std::optional<std::string> cluster_problem_;        // set once the cluster was checked
  std::map<int, std::unique_ptr<Connection>> nodes_;  // by the node's real port
  std::vector<int> primaries_;    // the ports of the primaries of 0, 5461, 10923
  std::map<int, int> text_port_;  // a primary's port -> the text's port of it
  std::string no_target_;         // why a prompt names no node the replay can reach
  // On the cluster: every key as sent (under the prefix, in its slot) and as
  // typed, to put replies back into the text's words.
  std::map<std::string, std::string> cluster_keys_;
};

}  // namespace wb::replay
