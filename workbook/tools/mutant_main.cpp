// workbook-mutant: runs a grader against one mutant and proves two things
// (CONTRIBUTING.md, "Mutants"): the grader rejects it, and its output - the
// default output, the one `make test-N` shows the learner - contains every
// phrase the mutant's header states on a `Message: "<phrase>"` line.
//
//   workbook-mutant [--require-message] [--result FILE] MUTANT.patch GRADER
//
// A mutant that states no message passes on its rejection alone, and says so
// (the summary counts it); --require-message makes that a failure.
// Exit 0 when proven, 1 when not, 2 when it cannot run.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "mutant.hpp"
#include "text_file.hpp"

namespace {

// The grader's output, stdout and stderr together as a terminal shows them,
// and its exit status. No arguments: what `make test-N` runs.
std::string run(const std::string& grader, int& status) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t child = fork();
  if (child < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    execl(grader.c_str(), grader.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "cannot run %s: %s\n", grader.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return output;
}

// "graders/01-set-get/mutants/x.patch" whatever the build's absolute path.
std::string shown(const std::string& path) {
  std::size_t at = path.rfind("graders/");
  return at == std::string::npos ? path : path.substr(at);
}

// "graders/01-set-get/..." -> "1" (for `make test-1`).
std::string lesson_number(const std::string& path) {
  std::size_t at = path.rfind("graders/");
  if (at == std::string::npos || path.size() < at + 10) return "N";
  std::string nn = path.substr(at + 8, 2);
  return nn[0] == '0' ? nn.substr(1) : nn;
}

}  // namespace

int main(int argc, char** argv) {
  bool require = false;
  std::string result_file;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--require-message") {
      require = true;
    } else if (arg == "--result" && i + 1 < argc) {
      result_file = argv[++i];
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.size() != 2) {
    std::cerr << "usage: workbook-mutant [--require-message] [--result FILE] MUTANT.patch GRADER\n";
    return 2;
  }
  const std::string patch = shown(paths[0]), test = "make test-" + lesson_number(paths[0]);
  try {
    auto header = wb::mutant::read_header(wb::tools::read_file(paths[0]));
    int status = 0;
    std::string output = run(paths[1], status);
    std::vector<std::string> failures;
    for (const auto& problem : header.problems) failures.push_back(patch + ":" + problem.substr(5));
    const bool rejected = !wb::mutant::failed_result_line(output).empty() &&
                          !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!rejected) {
      // The grader's own verdict line says why: PASSED (a mutant it misses),
      // NO SERVER, DOES NOT BUILD, or none at all (it crashed).
      std::string verdict;
      for (std::size_t at = output.find("RESULT "); at != std::string::npos;
           at = output.find("RESULT ", at + 1))
        verdict = output.substr(at, output.find('\n', at) - at);
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      failures.push_back(patch + ": not rejected: " +
                         (verdict.empty() ? "the grader ended without a verdict" : verdict) +
                         " (exit " + std::to_string(code) + ")");
    }
    std::size_t verified = 0;
    for (const auto& phrase : header.messages) {
      if (!rejected) break;  // no verdict, no message to check
      if (wb::mutant::output_contains(output, phrase)) {
        ++verified;
      } else {
        failures.push_back(patch + ": its Message \"" + phrase +
                           "\" is not in the grader's output (what " + test +
                           " shows the learner); the output must name this mutant's mistake");
      }
    }
    if (header.messages.empty() && require)
      failures.push_back(
          patch + ": states no Message: \"<phrase>\" line (the words the learner must read)");

    if (!result_file.empty()) {
      std::ofstream out(result_file);
      out << "rejected " << (rejected ? 1 : 0) << "\nmessages " << header.messages.size()
          << "\nverified " << verified << "\n";
      for (const auto& phrase : header.messages)
        if (rejected && !wb::mutant::output_contains(output, phrase))
          out << "missing " << phrase << "\n";
    }
    if (failures.empty()) {
      std::cout << patch << ": rejected";
      if (header.messages.empty()) {
        std::cout << "; it states no message yet\n";
      } else {
        std::cout << ", and its output names the mistake:";
        for (const auto& phrase : header.messages) std::cout << " \"" << phrase << "\"";
        std::cout << "\n";
      }
      return 0;
    }
    for (const auto& failure : failures) std::cout << failure << "\n";
    std::cout << "--- the grader's output (" << test << ", against this mutant) ---\n" << output;
    return 1;
  } catch (const std::exception& e) {
    std::cout << patch << ": " << e.what() << "\n";
    return 2;
  }
}
