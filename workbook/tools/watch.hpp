// The logic of `make watch` (workbook-watch), apart from the terminal and the
// child processes, so that it can be tested: what an exercise's grade says,
// which exercise comes next, whether files changed since a snapshot, and the
// progress bar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wb::watch {

// One exercise, as scripts/watch lists it (one line each, tab-separated:
// number, id, title, folder, the file the learner edits).
struct Exercise {
  std::string number;  // "01"
  std::string id;      // "01-set-get"
  std::string title;
  std::string dir;           // "exercises/01-set-get"
  std::string main_file;     // "exercises/01-set-get/set_get.cpp"
  int short_number() const;  // 1
};
// Reads the lines; skips lines that do not have the five fields.
std::vector<Exercise> parse_exercises(const std::string& text);

// A grade, from `scripts/workbook grade N`'s last line:
// "status<TAB>first failing behaviour<TAB>first failing task<TAB>log file".
struct Grade {
  std::string status;  // passed | failing | not started | won't build | no server | ...
  std::string first;   // the first failing behaviour, or why it could not grade
  std::string task;    // "2", or ""
  std::string log;     // where the grader's output is
  bool passed() const { return status == "passed"; }
};
std::optional<Grade> parse_grade(const std::string& line);

// The first exercise, in lesson order from `from`, that does not pass: an
// exercise known to pass (a fresh result) is skipped without grading; the
// others are graded with `grade` until one does not pass. Exercises listed
// in `skip` are not looked at. nullopt when every one passes.
std::optional<std::size_t> first_not_passing(const std::vector<Exercise>& exercises,
                                             const std::map<std::size_t, bool>& known_to_pass,
                                             const std::function<Grade(std::size_t)>& grade,
                                             std::size_t from = 0);

// The exercise after `i` in lesson order, wrapping round to the first.
std::size_t next_after(std::size_t i, std::size_t count);

// What a key does.
enum class Key { None, Hint, Next, Rerun, List, Quit };
Key key_action(char c);

// A fingerprint of the files of each watched folder (names, sizes, times and
// contents): comparing two says which folder changed.
using Snapshot = std::vector<std::uint64_t>;
Snapshot snapshot(const std::vector<std::string>& dirs);
// The index of the first folder that differs, or nullopt.
std::optional<std::size_t> changed(const Snapshot& before, const Snapshot& now);

// "[######----------]  3 of 8 exercises pass", `width` characters of bar.
std::string progress_bar(std::size_t passed, std::size_t total, std::size_t width = 20);

}  // namespace wb::watch
