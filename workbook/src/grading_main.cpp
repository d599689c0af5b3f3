// The one main of every grader: compiled once, linked into all of them.
//
// What the learner reads (the default):
//   Grading 01-set-get: 13 behaviours
//   the first failing behaviour in full: what the grader expected and saw
//   (its INFO text), the check and its values, the test's own keys;
//   every other failing behaviour on one line; a task whose stub still
//   throws "not implemented" once, with how many behaviours wait for it;
//   First failing behaviour: ... / First failing task: N / Stuck? ... / RESULT ...
// On a terminal a status line below says which test runs (N of M, seconds);
// elsewhere a line comes when a test has run for 4 s without output.
// WB_VERBOSE=1 (make test-N VERBOSE=1) prints every test as it ends and every
// failure in full. WB_RESULT_FILE=PATH keeps a plain copy of the output.
//
// Catch2's own reporter is replaced by a silent one ("workbook") unless -r
// names another (make report asks for -r xml -o FILE); this listener prints
// either way, so the RESULT line contract holds for every caller:
//   RESULT <id>: PASSED (N of N behaviours)
//   RESULT <id>: FAILED (F of N behaviours failing; K not implemented yet)
//   RESULT <id>: NO SERVER (why)   NO TESTS (...)   TIMED OUT (...)   CRASHED (...)
// A run of only some tests (a test spec on the command line) adds
// "; only the tests matching ..." inside the parentheses.
//
// Time limits: a watchdog thread, so that they hold while the learner's code
// spins or blocks in a read: WB_TEST_TIMEOUT seconds for one test (30) and
// WB_GRADE_TIMEOUT for the whole run (120). It names the test that was
// running, removes this run's keys and ends the process (exit status 124).
#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#include <catch2/catch_test_case_info.hpp>
#include <catch2/catch_translate_exception.hpp>
#include <catch2/internal/catch_reporter_spec_parser.hpp>
#include <catch2/internal/catch_test_case_registry_impl.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#include <catch2/reporters/catch_reporter_streaming_base.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grading_internal.hpp"
#include "workbook/exercise.hpp"
#include "workbook/grading.hpp"
#include "workbook/postgres.hpp"

namespace {

using wb::grading::lesson;
using Clock = std::chrono::steady_clock;
namespace internal = wb::grading::internal;

// ---- settings ------------------------------------------------------------------
long env_number(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  return (end && *end == '\0' && value > 0) ? value : fallback;
}
bool env_on(const char* name) {
  const char* text = std::getenv(name);
  return text && *text && std::strcmp(text, "0") != 0;
}

struct Settings {
  bool verbose = false;
  bool tty = false;     // stdout is a terminal: a status line, colour
  bool colour = false;  // and NO_COLOR is not set
  std::size_t width = 100;
  std::chrono::seconds test_limit{30};
  std::chrono::seconds run_limit{120};
};
Settings settings;

void read_settings() {
  settings.verbose = env_on("WB_VERBOSE");
  const char* term = std::getenv("TERM");
  settings.tty = isatty(STDOUT_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
  // NO_COLOR counts when it is set and not empty (no-color.org); make exports it empty.
  const char* no_colour = std::getenv("NO_COLOR");
  settings.colour = settings.tty && !(no_colour && *no_colour);
  winsize ws{};
  if (settings.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
    settings.width = ws.ws_col;
  else
    settings.width = static_cast<std::size_t>(env_number("COLUMNS", 100));
  settings.test_limit = std::chrono::seconds(env_number("WB_TEST_TIMEOUT", 30));
  settings.run_limit = std::chrono::seconds(env_number("WB_GRADE_TIMEOUT", 120));
}

// ---- text ----------------------------------------------------------------------
std::string paint(const char* code, const std::string& text) {
  return std::string("\033[") + code + "m" + text + "\033[0m";
}
std::string red(const std::string& t) { return paint("31", t); }
std::string green(const std::string& t) { return paint("32", t); }
std::string bold(const std::string& t) { return paint("1", t); }
std::string dim(const std::string& t) { return paint("2", t); }

// Without the colour codes: for files, pipes and NO_COLOR.
std::string plain(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t m = text.find('m', i);
      if (m != std::string::npos) {
        i = m;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (char ch : plain(s))
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;  // count UTF-8 lead bytes only
  return n;
}

// Cuts to at most `max` characters (UTF-8 aware), with "..." when cut.
std::string cut(const std::string& s, std::size_t max) {
  if (display_width(s) <= max) return s;
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > max - 3) break;
    out += s[i];
  }
  return out + "...";
}

// One line: whitespace folded.
std::string one_line(const std::string& text) {
  std::string line;
  for (char c : text) {
    bool space = c == '\n' || c == ' ' || c == '\t' || c == '\r';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// The byte index of the n-th character (UTF-8), or the size.
std::size_t byte_index(const std::string& s, std::size_t n) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == n) return i;
  }
  return s.size();
}

// Long lines broken at a space to fit the width, each line indented; the
// text's own line breaks and spacing kept (values are shown as they are).
std::string wrap(const std::string& text, std::size_t indent) {
  const std::string pad(indent, ' ');
  const std::size_t width = std::max<std::size_t>(settings.width - 1, indent + 40);
  std::ostringstream out;
  std::istringstream lines(text);
  std::string rest;
  while (std::getline(lines, rest)) {
    std::size_t lead = rest.find_first_not_of(' ');
    if (lead == std::string::npos) {
      out << '\n';
      continue;
    }
    const std::string more = pad + std::string(lead, ' ');
    std::string prefix = pad;
    for (;;) {
      if (display_width(prefix + rest) <= width) {
        out << prefix << rest << '\n';
        break;
      }
      std::size_t room = width > display_width(prefix) ? width - display_width(prefix) : 10;
      std::size_t space = rest.rfind(' ', byte_index(rest, room));
      if (space == std::string::npos || space <= lead)
        space = rest.find(' ', byte_index(rest, room));
      if (space == std::string::npos) {
        out << prefix << rest << '\n';
        break;
      }
      out << prefix << rest.substr(0, space) << '\n';
      std::size_t next = rest.find_first_not_of(' ', space);
      if (next == std::string::npos) break;
      rest = rest.substr(next);
      prefix = more;
      lead = 0;
    }
  }
  return out.str();
}

// Catch2 adds " (0x3e8)" to integers over 255 and writes {?} for values it
// cannot print: neither helps a learner.
std::string without_hex(std::string s) {
  for (std::size_t at = s.find(" (0x"); at != std::string::npos; at = s.find(" (0x", at)) {
    std::size_t end = at + 4;
    while (end < s.size() && std::isxdigit(static_cast<unsigned char>(s[end]))) ++end;
    if (end > at + 4 && end < s.size() && s[end] == ')')
      s.erase(at, end + 1 - at);
    else
      at = end;
  }
  return s;
}

// "../graders/01-set-get/grade_set_get.cpp" -> "graders/01-set-get/grade_set_get.cpp"
std::string project_path(const std::string& file) {
  for (const char* top : {"graders/", "workbook/", "exercises/", "solutions/"}) {
    auto at = file.find(top);
    if (at != std::string::npos) return file.substr(at);
  }
  return file;
}

// Keeps a password out of everything printed (its messages name the address).
std::string secret;
std::string scrub(std::string text) {
  if (secret.size() < 3) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "***");
  return text;
}

// ---- the screen ------------------------------------------------------------------
// Everything goes through here, under `screen_mutex`: the watchdog thread
// writes too.
std::timed_mutex screen_mutex;

class Screen {
 public:
  void open() {
    if (const char* path = std::getenv("WB_RESULT_FILE"); path && *path)
      copy_ = std::fopen(path, "w");
    last_output_ = Clock::now();
  }
  // Lines of text; the status line (a terminal's) is put back below them.
  void print(const std::string& text) {
    hide_status();
    std::string shown = settings.colour ? text : plain(text);
    std::fwrite(shown.data(), 1, shown.size(), stdout);
    std::fflush(stdout);
    if (copy_) {
      std::string p = plain(text);
      std::fwrite(p.data(), 1, p.size(), copy_);
      std::fflush(copy_);
    }
    last_output_ = Clock::now();
    show_status();
  }
  void line(const std::string& text) { print(text + "\n"); }
  // The transient last line on a terminal; nothing anywhere else.
  void status(const std::string& text) {
    if (!settings.tty) return;
    status_ = cut(text, settings.width - 1);
    show_status();
  }
  void clear_status() {
    hide_status();
    status_.clear();
  }
  Clock::time_point last_output() const { return last_output_; }

 private:
  void hide_status() {
    if (!status_shown_) return;
    std::fputs("\r\033[K", stdout);
    status_shown_ = false;
  }
  void show_status() {
    if (!settings.tty || status_.empty()) return;
    std::string text = "\r\033[K" + (settings.colour ? dim(status_) : status_);
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    status_shown_ = true;
  }

  std::FILE* copy_ = nullptr;
  std::string status_;
  bool status_shown_ = false;
  Clock::time_point last_output_;
};
Screen screen;

// ---- what happened -----------------------------------------------------------------
struct Failure {
  std::string test;
  std::vector<int> tasks;  // from the [taskN] tags
  std::string full;        // every line the learner needs, unindented
  std::string summary;     // one line
  std::string ni_task;     // "task 2 (get_key)": the stub's, when not implemented
  int ni_number = 0;
  bool server_lost = false;
  bool timed_out = false;
  bool crashed = false;
  std::string signal;
};

struct Run {
  int total = 0;    // tests that will run
  int started = 0;  // tests started so far
  int passed = 0;
  bool in_test = false;
  std::string current;
  std::vector<int> current_tasks;
  Clock::time_point current_start;
  Clock::time_point run_start = Clock::now();
  std::vector<Failure> failures;
  std::string fatal;      // the signal, when the grader crashed
  bool reported = false;  // the RESULT line is out
  int exit_code = 0;
  std::string server_id;  // INFO server run_id when the run started
  std::string spec;       // the test spec, when only some tests run
};
Run run;                             // guarded by screen_mutex
std::vector<std::string> all_tests;  // "name   [task N]", for a spec that matches nothing

std::vector<int> tasks_of(const Catch::TestCaseInfo& info) {
  std::vector<int> tasks;
  for (const auto& tag : info.tags) {
#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
    std::string text(tag.original);
#else
    std::string text(tag);
#endif
    if (!text.empty() && text.front() == '[') text = text.substr(1, text.size() - 2);
    if (text.rfind("task", 0) == 0 && text.size() > 4 &&
        text.find_first_not_of("0123456789", 4) == std::string::npos)
      tasks.push_back(std::stoi(text.substr(4)));
  }
  return tasks;
}

std::string tasks_text(const std::vector<int>& tasks) {
  if (tasks.empty()) return "";
  std::string out = tasks.size() == 1 ? "task " : "tasks ";
  for (std::size_t i = 0; i < tasks.size(); ++i)
    out += (i ? (i + 1 == tasks.size() ? " and " : ", ") : "") + std::to_string(tasks[i]);
  return out;
}

// The task a failure asks the learner to work on: the stub's, or the test's.
int task_of(const Failure& f) {
  if (f.ni_number > 0) return f.ni_number;
  return f.tasks.empty() ? 0 : f.tasks.front();
}

// What the stub's translator saw last (the test's own thread sets it).
struct NotImplementedSeen {
  std::string task, file;
};
NotImplementedSeen last_not_implemented;

std::string signal_words(const std::string& signal) {
  if (signal.find("SIGSEGV") != std::string::npos)
    return "a bad pointer or reference (a dangling one, or past the end of a container)";
  if (signal.find("SIGABRT") != std::string::npos)
    return "an abort: often an exception thrown where none may be (a destructor, a noexcept "
           "function, a thread)";
  if (signal.find("SIGFPE") != std::string::npos) return "an integer division by zero";
  if (signal.find("SIGILL") != std::string::npos) return "an illegal instruction";
  return "";
}

// ---- per test, on the test's own thread ----------------------------------------------
struct Current {
  int failed_assertions = 0;
  std::string first;  // the first failed check, formatted
  std::string first_summary;
  std::string all;  // every failed check (verbose)
  std::string keys;
  bool not_implemented = false;
  NotImplementedSeen ni;
  bool fatal = false;
  std::string signal;  // "SIGSEGV", after a crash
};
Current current;

std::string format_assertion(const Catch::AssertionStats& stats, std::string* summary) {
  const auto& result = stats.assertionResult;
  const std::string message = scrub(without_hex(std::string(result.getMessage())));
  const std::string where =
      project_path(result.getSourceInfo().file) + ":" + std::to_string(result.getSourceInfo().line);
  std::ostringstream out;  // after the INFO text
  std::string infos, last_info;
  for (const auto& info : stats.infoMessages) {
    std::string text = scrub(info.message);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    infos += text + "\n";
    last_info = text;
  }
  std::string check, values;
  if (result.hasExpression()) {
    check = result.getExpressionInMacro();
    std::string expanded = without_hex(result.getExpandedExpression());
    // "!true", "false" and {?} (a value Catch2 cannot print) say nothing.
    bool says_nothing = expanded == "true" || expanded == "false" || expanded == "!true" ||
                        expanded == "!false" || expanded.find("{?}") != std::string::npos;
    if (expanded != result.getExpression() && !says_nothing) values = scrub(expanded);
  }
  std::string headline;
  switch (result.getResultType()) {
    case Catch::ResultWas::ThrewException:
      headline = "threw an exception: " + message;
      if (!check.empty()) out << "check:  " << check << "\n";
      out << headline << "\n";
      break;
    case Catch::ResultWas::DidntThrowException:
      headline = "no exception was thrown where the check expects one";
      out << "check:  " << check << "\n" << headline << "\n";
      break;
    case Catch::ResultWas::FatalErrorCondition: {
      std::string words = signal_words(message);
      headline =
          "the grader crashed during this test: " + message + (words.empty() ? "" : " - " + words);
      out << headline << "\n";
      infos.clear();  // Catch2 repeats the signal's name as a message
      break;
    }
    case Catch::ResultWas::ExpressionFailed:
      if (!check.empty()) out << "check:  " << check << "\n";
      if (!values.empty()) out << "values: " << values << "\n";
      headline = check.empty() ? message : check + (values.empty() ? "" : " was " + values);
      break;
    default:
      // Catch2 v3 also lists FAIL's message among the INFO messages: once is enough.
      if (!message.empty() && message != last_info) out << message << "\n";
      headline = message;
      break;
  }
  out << dim("(" + where + ")") << "\n";
  *summary = one_line(infos.empty() ? headline : infos);
  return infos + out.str();
}

// ---- the report ---------------------------------------------------------------------
std::string hint_line() {
  if (lesson().number().empty()) return "";  // the support library's own tests
  return "Stuck? `make hint-" + lesson().number() +
         "` gives a hint for that task (ask again for the next), and lessons/" + lesson().id +
         "/README.md explains the idea.";
}

std::string failure_header(const Failure& f) {
  std::string tasks = tasks_text(f.tasks);
  return red("✗ ") + bold(f.test) + (tasks.empty() ? "" : dim("   [" + tasks + "]"));
}

std::string only_text() { return run.spec.empty() ? "" : "; only the tests matching " + run.spec; }

// Prints everything after the tests, and the RESULT line. Caller holds the lock.
void report(const std::string& result_override = "") {
  if (run.reported) return;
  run.reported = true;
  screen.clear_status();
  const std::string id = lesson().id;
  std::vector<const Failure*> genuine, lost;
  for (const auto& f : run.failures) (f.server_lost ? lost : genuine).push_back(&f);
  const int cases = run.passed + static_cast<int>(run.failures.size());

  if (cases == 0 && result_override.empty()) {
    std::ostringstream out;
    out << "No test matches " << (run.spec.empty() ? "(none given)" : run.spec)
        << ". TEST=\"words\" picks the tests whose name holds those words, TASK=N the tests "
           "of task N. The tests of this grader:\n";
    for (const auto& name : all_tests) out << "  " << name << "\n";
    out << "RESULT " << id << ": NO TESTS (nothing matched"
        << (run.spec.empty() ? "" : " " + run.spec) << ")\n";
    screen.print(out.str());
    run.exit_code = 4;
    return;
  }

  const Failure* first =
      !genuine.empty() ? genuine.front() : (!lost.empty() ? lost.front() : nullptr);
  std::ostringstream out;
  if (first && !settings.verbose) {
    // The first failure in full; the others one line each, and a stub's task once.
    out << "\n" << failure_header(*first) << "\n" << wrap(first->full, 4);
    std::map<std::string, int> waiting;  // not implemented: task -> behaviours
    for (const auto& f : run.failures)
      if (!f.ni_task.empty()) ++waiting[f.ni_task];
    if (!first->ni_task.empty() && waiting[first->ni_task] > 1)
      out << "    "
          << dim("(" + std::to_string(waiting[first->ni_task] - 1) + " more behaviours wait for " +
                 first->ni_task + ".)")
          << "\n";
    std::ostringstream others;
    int shown = 0;
    for (const auto& f : run.failures) {
      if (&f == first || f.server_lost) continue;  // counted below
      if (!f.ni_task.empty()) {
        if (f.ni_task == first->ni_task || waiting[f.ni_task] == 0) continue;
        int n = waiting[f.ni_task];
        waiting[f.ni_task] = 0;  // once per task
        others << "  " << red("✗ ") << f.ni_task << " is not implemented yet: " << n
               << (n == 1 ? " behaviour waits" : " behaviours wait") << " for it\n";
      } else {
        std::string tasks = tasks_text(f.tasks);
        std::string head = f.test + (tasks.empty() ? "" : " [" + tasks + "]");
        others << "  " << red("✗ ") << head << dim(" - " + cut(f.summary, 240)) << "\n";
      }
      ++shown;
    }
    if (shown > 0)
      out << "\nAlso failing, one line each (`make test-" << lesson().number()
          << " TEST=\"words of its name\"` shows one in full, VERBOSE=1 all of them):\n"
          << others.str();
  }
  if (!lost.empty())
    out << "\n"
        << lost.size() << (lost.size() == 1 ? " behaviour was" : " behaviours were")
        << " cut short because the server went away during the test: that says nothing about "
           "your code. Run it again.\n";
  screen.print(out.str());

  std::string result;
  const int failing = static_cast<int>(genuine.size());
  int not_implemented = 0;
  for (const auto* f : genuine)
    if (!f->ni_task.empty()) ++not_implemented;
  if (!result_override.empty()) {
    result = result_override;
  } else if (failing == 0 && lost.empty()) {
    result = "PASSED (" + std::to_string(cases) + " of " + std::to_string(cases) + " behaviours" +
             only_text() + ")";
    run.exit_code = 0;
  } else if (failing == 0) {
    result = "NO SERVER (the server went away during " + std::to_string(lost.size()) +
             (lost.size() == 1 ? " behaviour" : " behaviours") + "; run it again)";
    run.exit_code = 3;
  } else {
    result = "FAILED (" + std::to_string(failing) + " of " + std::to_string(cases) +
             " behaviours failing; " + std::to_string(not_implemented) + " not implemented yet" +
             only_text() + ")";
    run.exit_code = 1;
  }
  std::ostringstream tail;
  if (run.exit_code == 0 && result_override.empty()) {
    tail << green("✓ All " + std::to_string(cases) + " behaviours pass.") << "\n";
  } else if (first) {
    std::string why = first->summary.empty() ? "" : " — " + cut(first->summary, 200);
    tail << "\nFirst failing behaviour: " << first->test << why << "\n";
    if (int task = task_of(*first); task > 0 && !first->server_lost)
      tail << "First failing task: " << task << "\n";
    if (!first->server_lost && !hint_line().empty()) tail << hint_line() << "\n";
  }
  tail << "RESULT " << id << ": " << result << "\n";
  screen.print(tail.str());
}

// ---- the listener -----------------------------------------------------------------------
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
    current = Current{};
    last_not_implemented = {};
    std::lock_guard<std::timed_mutex> lock(screen_mutex);
    ++run.started;
    run.in_test = true;
    run.current = info.name;
    run.current_tasks = tasks_of(info);
    run.current_start = Clock::now();
  }

  WB_ASSERTION_RESULT assertionEnded(const Catch::AssertionStats& stats) override {
    const auto& result = stats.assertionResult;
    if (result.isOk()) return WB_ASSERTION_RETURN;
    ++current.failed_assertions;
    std::string message(result.getMessage());
    bool ni = result.getResultType() == Catch::ResultWas::ThrewException &&
              message.rfind("not implemented yet", 0) == 0;
    bool fatal = result.getResultType() == Catch::ResultWas::FatalErrorCondition;
    std::string summary;
    std::string text = format_assertion(stats, &summary);
    if (current.failed_assertions == 1) {
      current.not_implemented = ni;
      current.fatal = fatal;
      if (fatal) current.signal = message.substr(0, message.find(" - "));
      if (ni) {
        current.ni = last_not_implemented;
        if (current.ni.task.empty()) current.ni.task = "a task";
        current.first = message + "\n";
        current.first_summary = message;
      } else {
        current.first = text;
        current.first_summary = summary;
        // The test's keys are still there: its scope ends after this returns.
        // (Not after a crash: the process is going down.)
        if (!fatal) current.keys = scrub(internal::view_live_scopes());
      }
    }
    current.all += text;
    return WB_ASSERTION_RETURN;
  }

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    const auto& info = info_of(stats);
    bool failed = stats.totals.assertions.failed > 0 || stats.totals.testCases.failed > 0;
    Failure f;
    if (failed) {
      f.test = info.name;
      f.tasks = tasks_of(info);
      f.crashed = current.fatal;
      f.signal = current.signal;
      if (current.not_implemented) {
        f.ni_task = current.ni.task;
        auto digits = f.ni_task.find_first_of("0123456789");
        if (digits != std::string::npos) f.ni_number = std::atoi(f.ni_task.c_str() + digits);
        f.full = current.first;
        f.summary = current.first_summary;
      } else {
        f.full = settings.verbose ? current.all : current.first;
        if (!settings.verbose && current.failed_assertions > 1)
          f.full += dim("(and " + std::to_string(current.failed_assertions - 1) +
                        " more failed check" + (current.failed_assertions > 2 ? "s" : "") +
                        " in this test: VERBOSE=1 shows them)") +
                    "\n";
        if (!current.keys.empty())
          f.full += "The test's own keys when that check failed:\n" + current.keys;
        f.summary = current.first_summary;
        if (!current.fatal) check_server(f);
      }
    }
    {
      std::lock_guard<std::timed_mutex> lock(screen_mutex);
      run.in_test = false;
      if (!failed) {
        ++run.passed;
        if (settings.verbose) {
          std::string tasks = tasks_text(tasks_of(info));
          screen.line(green("✓ ") + info.name + (tasks.empty() ? "" : dim("   [" + tasks + "]")));
        }
      } else {
        if (settings.verbose) screen.print(failure_header(f) + "\n" + wrap(f.full, 4));
        run.failures.push_back(std::move(f));
      }
    }
    ListenerBase::testCaseEnded(stats);
  }

  void fatalErrorEncountered(Catch::StringRef name) override {
    run.fatal = std::string(name);
    if (auto dash = run.fatal.find(" - "); dash != std::string::npos) run.fatal.resize(dash);
    ListenerBase::fatalErrorEncountered(name);
  }

  void testRunEnded(const Catch::TestRunStats& stats) override {
    // After a crash this runs inside Catch2's signal handler: no network, and
    // the lock only if it comes.
    std::unique_lock<std::timed_mutex> lock(screen_mutex, std::defer_lock);
    if (!lock.try_lock_for(std::chrono::seconds(2))) return;
    const Failure* crash = nullptr;
    for (const auto& f : run.failures)
      if (f.crashed) crash = &f;
    if (crash || !run.fatal.empty()) {
      std::string in = crash ? ", in \"" + crash->test + "\"" : "";
      std::string signal = crash && !crash->signal.empty() ? crash->signal : run.fatal;
      report("CRASHED (" + (signal.empty() ? std::string("a fatal signal") : signal) + in + ")");
    } else {
      report();
    }
    ListenerBase::testRunEnded(stats);
  }

 private:
  // A failed test whose server restarted or went away says so: the failure
  // is not the learner's.
  static void check_server(Failure& f) {
    std::string now;
    bool gone = false;
    try {
      now = internal::server_run_id();
    } catch (...) {
      gone = true;
    }
    bool restarted = !gone && !run.server_id.empty() && !now.empty() && now != run.server_id;
    if (!gone && !restarted) return;
    if (restarted) run.server_id = now;
    f.server_lost = true;
    f.full =
        std::string("The server went away during this test: ") +
        (gone ? "Valkey stopped answering" : "Valkey restarted (its run_id changed)") +
        ". That says nothing about your code: run it again.\n(What the test saw: " + f.summary +
        ")\n";
    f.summary = "the server went away during this test; run it again";
  }
};

// Catch2's console reporter is replaced by this silent one (the listener
// prints); `-r NAME` still picks any other.
#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
class QuietReporter : public Catch::StreamingReporterBase {
 public:
  using StreamingReporterBase::StreamingReporterBase;
  static std::string getDescription() { return "the workbook's own output (the listener prints)"; }
};
#else
class QuietReporter : public Catch::StreamingReporterBase<QuietReporter> {
 public:
  using StreamingReporterBase::StreamingReporterBase;
  static std::string getDescription() { return "the workbook's own output (the listener prints)"; }
  void assertionStarting(const Catch::AssertionInfo&) override {}
  bool assertionEnded(const Catch::AssertionStats&) override { return true; }
};
#endif

// ---- the watchdog ---------------------------------------------------------------------
std::mutex watchdog_mutex;
std::condition_variable watchdog_wake;
bool watchdog_stop = false;

std::string seconds(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

// `limit`: "30 s (WB_TEST_TIMEOUT, for one test)". Called with the lock held.
[[noreturn]] void time_limit_hit(const std::string& limit) {
  // The test's thread is stuck: this thread reports, cleans up and ends.
  Failure f;
  f.test = run.current.empty() ? "(between tests)" : run.current;
  f.tasks = run.current_tasks;
  f.timed_out = true;
  f.full = "Time limit: this test was still running after " + limit +
           ", so the grader stopped it. An endless loop, or a wait that never ends (a read that "
           "blocks, a lock that is never released, a retry without a limit)?\n";
  f.summary = "still running after " + limit + ": an endless loop, or a wait that never ends?";
  // The hang comes first: nothing after it ran.
  run.failures.insert(run.failures.begin(), f);
  report("TIMED OUT (\"" + f.test + "\" was still running after " + limit + ")");
  // The lock stays held: nothing else prints after the RESULT line.
  internal::sweep_own_keys();
  internal::note_io_trouble();  // the stuck thread may still send a command
  internal::finish_run();
  std::fflush(stdout);
  std::_Exit(124);
}

void watchdog() {
  auto next_renewal = Clock::now() + std::chrono::seconds(5);
  auto next_status = Clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(watchdog_mutex);
      if (watchdog_wake.wait_for(lock, std::chrono::milliseconds(200),
                                 [] { return watchdog_stop; }))
        return;
    }
    auto now = Clock::now();
    if (now >= next_renewal) {
      internal::renew_run();
      next_renewal = now + std::chrono::seconds(5);
    }
    if (!screen_mutex.try_lock_for(std::chrono::seconds(1))) continue;
    if (run.reported) {
      screen_mutex.unlock();
      continue;
    }
    if (run.in_test && now - run.current_start > settings.test_limit)
      time_limit_hit(seconds(settings.test_limit) + " (the limit for one test, WB_TEST_TIMEOUT)");
    if (now - run.run_start > settings.run_limit)
      time_limit_hit(seconds(settings.run_limit) +
                     " (the limit for the whole run, WB_GRADE_TIMEOUT)");
    if (run.in_test) {
      std::string tasks = tasks_text(run.current_tasks);
      auto running = now - run.current_start;
      if (settings.tty && now >= next_status) {
        screen.status("Grading " + lesson().id + ": " + std::to_string(run.started) + " of " +
                      std::to_string(run.total) + " · " + run.current +
                      (running >= std::chrono::seconds(1) ? " · " + seconds(running) : ""));
        next_status = now + std::chrono::milliseconds(500);
      } else if (!settings.tty && now - screen.last_output() >= std::chrono::seconds(4)) {
        screen.line(
            "  ... test " + std::to_string(run.started) + " of " + std::to_string(run.total) +
            ": \"" + run.current + "\"" + (tasks.empty() ? "" : " [" + tasks + "]") +
            (running >= std::chrono::seconds(1) ? ", running for " + seconds(running) : ""));
      }
    }
    screen_mutex.unlock();
  }
}

// ---- before the tests -------------------------------------------------------------------
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Checks the servers before any test runs: one clear line when one is
// missing or refuses the login. Returns the RESULT's reason, or "" when fine.
std::string servers_problem() {
  wb::ConnectionOptions options;
  try {
    options = wb::ConnectionOptions::from_env();
  } catch (const std::exception& e) {
    screen.line(std::string(e.what()));
    return "VALKEY_URL is not a URL the workbook understands";
  }
  secret = options.password;
  const std::string at = options.address();
  try {
    wb::Valkey client(options);
    client.ping();
    run.server_id = internal::server_run_id();
  } catch (const wb::ReplyError& e) {
    const std::string said = scrub(e.server_text());
    if (starts_with(said, "NOAUTH")) {
      screen.line("Valkey at " + at +
                  " asks for a password, and VALKEY_URL has none: give it as "
                  "redis://:PASSWORD@" +
                  at + " (or redis://USER:PASSWORD@...).");
      return "Valkey at " + at + " wants a password";
    }
    if (starts_with(said, "WRONGPASS") || said.find("invalid password") != std::string::npos ||
        said.find("invalid username-password") != std::string::npos) {
      screen.line("Valkey at " + at +
                  " refused the login: the user name or password in VALKEY_URL is wrong (the "
                  "server said: " +
                  said + ").");
      return "Valkey at " + at + " refused the login";
    }
    if (said.find("without any password configured") != std::string::npos) {
      screen.line("Valkey at " + at +
                  " has no password, but VALKEY_URL gives one: take the password out of "
                  "VALKEY_URL (the server said: " +
                  said + ").");
      return "Valkey at " + at + " refused the login";
    }
    screen.line("Valkey at " + at + " refused the first command (the server said: " + said + ").");
    return "Valkey at " + at + " refused the first command";
  } catch (const std::exception& e) {
    screen.line("Cannot reach Valkey at " + at + " (" + scrub(e.what()) +
                "). Start the servers with `make infra-up`, or set VALKEY_URL.");
    return "cannot reach Valkey at " + at + ": `make infra-up` starts the servers";
  }
  if (lesson().needs_postgres) {
    try {
      wb::grading::database();
    } catch (const std::exception& e) {
      std::string what = scrub(e.what());
      if (what.find("authentication failed") != std::string::npos ||
          what.find("no password supplied") != std::string::npos) {
        screen.line(
            "PostgreSQL refused the login: the user name or password in DATABASE_URL is wrong "
            "(the server said: password authentication failed).");
        return "PostgreSQL refused the login";
      }
      screen.line(what);
      return "cannot reach PostgreSQL: `make infra-up` starts the servers";
    }
  }
  return "";
}

bool reporter_named(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-r" || (arg.size() > 2 && arg[0] == '-' && arg[1] == 'r') ||
        starts_with(arg, "--reporter"))
      return true;
  }
  return false;
}

}  // namespace

CATCH_REGISTER_LISTENER(Listener)
CATCH_REGISTER_REPORTER("workbook", QuietReporter)

CATCH_TRANSLATE_EXCEPTION(const wb::NotImplemented& e) {
  last_not_implemented = {e.task(), e.file()};
  return "not implemented yet: " + e.task() + " in " + e.file() +
         " still throws WB_TODO. Write it, then run `make test-" + lesson().number() + "` again.";
}

// The client's errors read as they are; a timeout or a closed connection also
// means a command may reach the server after the test has cleaned up.
CATCH_TRANSLATE_EXCEPTION(const wb::Error& e) {
  if (dynamic_cast<const wb::IoError*>(&e) || dynamic_cast<const wb::ClosedError*>(&e))
    internal::note_io_trouble();
  return e.what();
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  auto& config = session.configData();
  bool only_listing =
      config.listTests || config.listTags || config.listReporters || config.showHelp;
#if !(defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3)
  only_listing = only_listing || config.listTestNamesOnly;  // a v2-only option
#endif
  if (only_listing) return session.run();

  read_settings();
  screen.open();
  if (!reporter_named(argc, argv)) {
#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
    config.reporterSpecifications.push_back(Catch::ReporterSpec("workbook", {}, {}, {}));
#else
    config.reporterName = "workbook";
#endif
  }
  for (const auto& spec : config.testsOrTags)
    run.spec += (run.spec.empty() ? "" : " ") + ("\"" + spec + "\"");

  const std::string id = lesson().id;
  if (std::string problem = servers_problem(); !problem.empty()) {
    screen.line("RESULT " + id + ": NO SERVER (" + problem + ")");
    return 3;
  }

  // Which tests will run (for "N of M"), and the whole list for a spec that
  // matches none.
  const auto& all = Catch::getAllTestCasesSorted(session.config());
  run.total = static_cast<int>(
      Catch::filterTests(all, session.config().testSpec(), session.config()).size());
  for (const auto& test : all) {
    const auto& info = test.getTestCaseInfo();
    std::string tasks = tasks_text(tasks_of(info));
    all_tests.push_back(info.name + (tasks.empty() ? "" : "   [" + tasks + "]"));
  }

  int swept_runs = 0;
  long long swept = 0;
  try {
    internal::register_run();
    swept = internal::sweep_abandoned_runs(&swept_runs);
  } catch (const std::exception&) {
    // Cleaning up after others is a courtesy: grading goes on without it.
  }
  {
    std::lock_guard<std::timed_mutex> lock(screen_mutex);
    if (swept > 0)
      screen.line("(Removed " + std::to_string(swept) + " key(s) that " +
                  std::to_string(swept_runs) +
                  " earlier grader run(s) left behind when they stopped early.)");
    std::string what = std::to_string(run.total) + (run.total == 1 ? " behaviour" : " behaviours");
    if (!run.spec.empty()) what += ", the ones matching " + run.spec;
    if (run.total > 0) screen.line(bold("Grading " + id + ": " + what));
    run.run_start = Clock::now();
  }

  std::thread dog(watchdog);
  session.run();
  {
    std::lock_guard<std::mutex> lock(watchdog_mutex);
    watchdog_stop = true;
  }
  watchdog_wake.notify_all();
  dog.join();
  internal::finish_run();

  std::lock_guard<std::timed_mutex> lock(screen_mutex);
  if (!run.reported) report();
  return run.exit_code;
}
