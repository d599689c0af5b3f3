// The one main of every grader: compiled once, linked into all of them.
#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#include <catch2/catch_test_case_info.hpp>
#include <catch2/catch_translate_exception.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <iostream>
#include <string>

#include "grading_internal.hpp"
#include "workbook/exercise.hpp"
#include "workbook/grading.hpp"
#include "workbook/postgres.hpp"

namespace {

using wb::grading::lesson;

struct Outcome {
  int cases = 0;
  int failed_cases = 0;
  int not_implemented_cases = 0;
  std::string first_failure;  // "behaviour — why"
};
Outcome outcome;

// Per test case, while it runs.
bool saw_not_implemented = false;
std::string keys_at_failure;
std::string first_message;

// One line for the summary: whitespace folded, at most 200 characters.
std::string one_line(const std::string& text) {
  std::string line;
  for (char c : text) {
    bool space = c == '\n' || c == ' ' || c == '\t';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (line.size() > 200) line = line.substr(0, 197) + "...";
  return line;
}

#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
using ListenerBase = Catch::EventListenerBase;
#define WB_ASSERTION_RESULT void
#define WB_ASSERTION_RETURN
const Catch::TestCaseInfo& info_of(const Catch::TestCaseStats& s) { return *s.testInfo; }
#else
using ListenerBase = Catch::TestEventListenerBase;
#define WB_ASSERTION_RESULT bool
#define WB_ASSERTION_RETURN true
const Catch::TestCaseInfo& info_of(const Catch::TestCaseStats& s) { return s.testInfo; }
#endif

class Listener : public ListenerBase {
 public:
  using ListenerBase::ListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    ListenerBase::testCaseStarting(info);
    saw_not_implemented = false;
    keys_at_failure.clear();
    first_message.clear();
  }

  WB_ASSERTION_RESULT assertionEnded(const Catch::AssertionStats& stats) override {
    const auto& result = stats.assertionResult;
    if (!result.isOk() && first_message.empty()) {
      std::string why;
      for (const auto& info : stats.infoMessages) why += info.message + " ";
      if (why.empty()) why = std::string(result.getMessage());
      if (why.empty()) why = result.getExpression() + " was " + result.getExpandedExpression();
      first_message = one_line(why);
      if (std::string(result.getMessage()).rfind("not implemented yet", 0) == 0)
        saw_not_implemented = true;
      // The test's keys are still there: its scope ends after this returns.
      if (!saw_not_implemented) keys_at_failure = wb::grading::internal::view_live_scopes();
    }
    return WB_ASSERTION_RETURN;
  }

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    ++outcome.cases;
    if (stats.totals.assertions.failed > 0) {
      ++outcome.failed_cases;
      if (saw_not_implemented) ++outcome.not_implemented_cases;
      if (outcome.first_failure.empty())
        outcome.first_failure = info_of(stats).name + " — " + first_message;
      if (!keys_at_failure.empty())
        std::cout << "\nWhen that check failed, the test's own keys were:\n" << keys_at_failure;
    }
    ListenerBase::testCaseEnded(stats);
  }
};

std::string hint_line() {
  if (lesson().number().empty()) return "";  // the support library's own tests
  return "Stuck? `make hint-" + lesson().number() +
         "` shows a hint (ask again for the next), and " + "lessons/" + lesson().id +
         "/README.md explains the idea.";
}

// Checks the servers before any test runs: one clear line if one is missing.
bool servers_answer() {
  try {
    wb::grading::connect().ping();
  } catch (const std::exception& e) {
    std::cout << "Cannot reach Valkey at " << wb::redact_url(wb::valkey_url_from_env()) << " ("
              << e.what() << "). Start the servers with `make infra-up`, or set VALKEY_URL.\n";
    return false;
  }
  if (lesson().needs_postgres) {
    try {
      wb::grading::database();
    } catch (const std::exception& e) {
      std::cout << e.what() << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

CATCH_REGISTER_LISTENER(Listener)

CATCH_TRANSLATE_EXCEPTION(const wb::NotImplemented& e) {
  return "not implemented yet: " + e.task() + " in " + e.file() +
         " still throws WB_TODO. Write it, then run `make test-" + lesson().number() + "` again.";
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  const auto& config = session.configData();
  bool only_listing =
      config.listTests || config.listTags || config.listReporters || config.showHelp;
#if !(defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3)
  only_listing = only_listing || config.listTestNamesOnly;  // a v2-only option
#endif
  if (only_listing) return session.run();

  const std::string id = lesson().id;
  if (!servers_answer()) {
    std::cout << "RESULT " << id << ": NO SERVER\n";
    return 3;
  }

  int failed = session.run();
  if (outcome.cases == 0) {
    std::cout << "RESULT " << id << ": NO TESTS (nothing matched)\n";
    return 4;
  }
  if (outcome.failed_cases == 0 && failed == 0) {
    std::cout << "RESULT " << id << ": PASSED (" << outcome.cases << " of " << outcome.cases
              << " behaviours)\n";
    return 0;
  }
  std::cout << "\nFirst failing behaviour: " << outcome.first_failure << "\n"
            << hint_line() << (hint_line().empty() ? "" : "\n") << "RESULT " << id << ": FAILED ("
            << outcome.failed_cases << " of " << outcome.cases << " behaviours failing; "
            << outcome.not_implemented_cases << " not implemented yet)\n";
  return 1;
}
