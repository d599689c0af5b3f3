// workbook-replay: replays the CLI transcripts of lesson texts against the
// server of VALKEY_URL (CONTRIBUTING.md, "Transcripts are replayed").
//
//   workbook-replay [--result FILE] lessons/NN-slug/README.md
//       replays the lesson's blocks in order, as one session, and says where
//       the text differs from what the server printed; exit 1 if it does.
//       --result writes the counts for scripts/check-summary.
//   workbook-replay --print lessons/NN-slug/README.md
//       prints each block as the server really printed it (for writing or
//       correcting a transcript: paste, then mark what varies with ~).
//
// Every key goes under a prefix of the replay's own (wbtest:replay-NN:...:),
// removed at the end; lines that would reach other keys or change the server
// are refused, never sent.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "replay_session.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

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
    std::cout << "\n```\n";
    for (const auto& step : block.steps) {
      if (step.only != Only::Any && step.only != session.kind()) continue;
      std::vector<std::string> expected;
      for (const auto& line : step.reply) expected.push_back(line.text);
      std::cout << "127.0.0.1:6379" << (session.in_transaction() ? "(TX)" : "") << "> "
                << step.input << "\n";
      auto printed = session.run(step.input, expected);
      if (!printed.refused.empty()) std::cout << "[not replayed: " << printed.refused << "]\n";
      for (const auto& line : printed.lines) std::cout << line << "\n";
    }
    std::cout << "```\n";
  }
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
    auto text = wb::replay::scan_markdown(read_file(path));
    auto options = wb::ConnectionOptions::from_env();
    wb::replay::Session session(options, lesson.substr(0, lesson.find('-')));
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
    if (!result_file.empty()) {
      std::ofstream out(result_file);
      out << "server " << report.server << "\nblocks " << report.blocks << "\nreplayed "
          << report.replayed << "\nfailed " << report.failures.size() << "\n";
      for (const auto& s : report.skipped) out << "skip " << s << "\n";
      for (const auto& s : report.elsewhere) out << "elsewhere " << s << "\n";
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cout << file << ": " << e.what() << "\n";
    std::cout << "RESULT transcripts " << lesson << ": NOT REPLAYED\n";
    if (!result_file.empty())
      std::ofstream(result_file) << "server ?\nblocks 0\nreplayed 0\nfailed 1\n";
    return 1;
  }
}
