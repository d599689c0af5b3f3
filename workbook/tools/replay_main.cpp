// workbook-replay: replays the CLI transcripts of lesson texts against the
// server of VALKEY_URL (CONTRIBUTING.md, "Transcripts are replayed").
//
//   workbook-replay [--result FILE] lessons/NN-slug/README.md
//       replays the lesson's blocks in order, as one session, and says where
//       the text differs from what the server printed; exit 1 if it does.
//       --result writes the counts for scripts/check-summary. Blocks marked
//       for the cluster go to the cluster of VALKEY_CLUSTER_URL; with none
//       answering they are skipped, and the exit code is 77.
//   workbook-replay --print lessons/NN-slug/README.md
//       prints each block as the server really printed it (for writing or
//       correcting a transcript: paste, then mark what varies with ~).
//
// Every key goes under a prefix of the replay's own (wbtest:replay-NN:...:),
// removed at the end; lines that would reach other keys or change the server
// are refused, never sent.
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "replay_session.hpp"
#include "text_file.hpp"
#include "workbook/cluster.hpp"

namespace {

// "lessons/03-ttl/README.md" -> "03-ttl"; the prefix carries its number.
std::string lesson_of(const std::string& path) {
  std::string dir =
      path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  std::size_t slash = dir.find_last_of('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

std::string shown_path(const std::string& path) {
  std::size_t at = path.rfind("lessons/");
  return at == std::string::npos ? path : path.substr(at);
}

void print_session(wb::replay::Session& session, const wb::replay::Transcripts& text) {
  using wb::replay::Only;
  for (const auto& block : text.blocks) {
    std::cout << "--- line " << block.line;
    if (!block.skip_reason.empty()) {
      std::cout << ": skipped (" << block.skip_reason << ")\n";
      continue;
    }
    if (block.only != Only::Any && block.only != session.kind()) {
      std::cout << ": " << wb::replay::only_name(block.only) << " only\n";
      continue;
    }
    std::string elsewhere = session.enter(block);
    if (!elsewhere.empty()) {
      std::cout << ": not replayed (" << elsewhere << ")\n";
      continue;
    }
    std::cout << "\n```\n";
    if (block.fill) {
      auto printed = session.run_fill(*block.fill);
      if (!printed.refused.empty()) std::cout << "[not replayed: " << printed.refused << "]\n";
      for (const auto& line : printed.lines) std::cout << line << "\n";
    }
    for (const auto& step : block.steps) {
      if (step.only != Only::Any && step.only != session.kind()) continue;
      session.at_prompt(block, step);
      std::vector<std::string> expected;
      for (const auto& line : step.reply) expected.push_back(line.text);
      std::cout << "127.0.0.1:" << step.port << (session.in_transaction() ? "(TX)" : "") << "> "
                << step.input << "\n";
      auto printed = session.run(step.input, expected);
      if (!printed.refused.empty()) std::cout << "[not replayed: " << printed.refused << "]\n";
      for (const auto& line : printed.lines) std::cout << line << "\n";
    }
    std::cout << "```\n";
  }
}

// The workbook's cluster, when the text has blocks for it.
std::optional<wb::ConnectionOptions> cluster_for(const wb::replay::Transcripts& text) {
  for (const auto& block : text.blocks)
    if (block.place == wb::replay::Place::Cluster)
      return wb::ConnectionOptions::from_url(wb::cluster_url_from_env());
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::string result_file, path;
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--result" && i + 1 < argc) {
      result_file = argv[++i];
    } else if (arg == "--print") {
      print = true;
    } else if (!arg.empty() && arg[0] != '-' && path.empty()) {
      path = arg;
    } else {
      std::cerr << "usage: workbook-replay [--result FILE | --print] lessons/NN-slug/README.md\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: workbook-replay [--result FILE | --print] lessons/NN-slug/README.md\n";
    return 2;
  }
  const std::string lesson = lesson_of(path), file = shown_path(path);
  try {
    auto text = wb::replay::scan_markdown(wb::tools::read_file(path));
    auto options = wb::ConnectionOptions::from_env();
    wb::replay::Session session(options, lesson.substr(0, lesson.find('-')), cluster_for(text));
    if (print) {
      print_session(session, text);
      return 0;
    }
    wb::replay::Report report = session.replay(text, file);
    for (const auto& failure : report.failures) std::cout << failure << "\n\n";
    std::ostringstream counts;
    counts << report.replayed << " of " << report.blocks << " blocks replayed";
    if (!report.skipped.empty()) counts << ", " << report.skipped.size() << " skipped";
    if (!report.elsewhere.empty())
      counts << ", " << report.elsewhere.size() << " for the other server";
    for (const auto& s : report.skipped) std::cout << "skipped " << file << " " << s << "\n";
    for (const auto& s : report.elsewhere)
      std::cout << "not on " << report.server << ": " << file << " " << s << "\n";
    const bool ok = report.failures.empty();
    std::cout << "RESULT transcripts " << lesson << " on " << report.server << ": "
              << (ok ? "MATCH" : "DIFFER") << " (" << counts.str() << ")\n";
    // Blocks for the cluster and no cluster: skipped (77), not passed.
    const bool skipped = ok && !report.no_cluster.empty();
    if (skipped)
      std::cout << "SKIPPED: the blocks for the cluster were not replayed: " << report.no_cluster
                << "\n";
    if (!result_file.empty()) {
      // The counts for scripts/check-summary, twice: as the latest run, and
      // under the server's name (make check replays on two servers, one
      // after the other, and sums up afterwards).
      std::ostringstream counts_file;
      counts_file << "server " << report.server << "\nblocks " << report.blocks << "\nreplayed "
                  << report.replayed << "\nfailed " << report.failures.size() << "\n";
      for (const auto& f : report.failures)
        counts_file << "failure " << f.substr(0, f.find('\n')) << "\n";
      for (const auto& s : report.skipped) counts_file << "skip " << s << "\n";
      for (const auto& s : report.elsewhere) counts_file << "elsewhere " << s << "\n";
      std::string server = report.server;
      for (char& c : server)
        if (c == ' ') c = '-';
      std::string per_server = result_file;
      std::size_t dot = per_server.rfind(".txt");
      per_server = (dot == std::string::npos ? per_server : per_server.substr(0, dot)) + "." +
                   server + ".txt";
      std::ofstream(result_file) << counts_file.str();
      std::ofstream(per_server) << counts_file.str();
    }
    return skipped ? 77 : ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cout << file << ": " << e.what() << "\n";
    std::cout << "RESULT transcripts " << lesson << ": NOT REPLAYED\n";
    if (!result_file.empty())
      std::ofstream(result_file) << "server ?\nblocks 0\nreplayed 0\nfailed 1\n";
    return 1;
  }
}
