// make watch's logic (workbook/tools/watch.hpp): no terminal, no server.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "watch.hpp"
#include "workbook/grading.hpp"

namespace watch = wb::watch;
namespace fs = std::filesystem;

namespace {
std::vector<watch::Exercise> three() {
  return watch::parse_exercises(
      "01\t01-set-get\tSET and GET\texercises/01-set-get\texercises/01-set-get/set_get.cpp\n"
      "02\t02-namespacing\tKey names\texercises/02-namespacing\tx.cpp\n"
      "03\t03-ttl\tExpiry\texercises/03-ttl\ty.cpp\n");
}

// A folder of its own, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("wb-watch-test-" + wb::grading::random_hex(6));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary | std::ios::trunc) << text;
  }
};
}  // namespace

TEST_CASE("watch reads the exercise list that scripts/watch writes", "[watch]") {
  auto list = three();
  REQUIRE(list.size() == 3);
  CHECK(list[0].id == "01-set-get");
  CHECK(list[0].title == "SET and GET");
  CHECK(list[0].dir == "exercises/01-set-get");
  CHECK(list[0].main_file == "exercises/01-set-get/set_get.cpp");
  CHECK(list[2].short_number() == 3);
  CHECK(watch::parse_exercises("only\ttwo fields\n\n").empty());
}

TEST_CASE("watch reads a grade's status, first failure, task and log", "[watch]") {
  auto g = watch::parse_grade(
      "failing\tget_key returns the stored value — oops\t2\tbuild/results/01.txt");
  REQUIRE(g.has_value());
  CHECK(g->status == "failing");
  CHECK(g->first == "get_key returns the stored value — oops");
  CHECK(g->task == "2");
  CHECK(g->log == "build/results/01.txt");
  CHECK_FALSE(g->passed());
  auto passed = watch::parse_grade("passed\t\t\tbuild/results/01.txt");
  REQUIRE(passed.has_value());
  CHECK(passed->passed());
  CHECK(passed->task.empty());
  CHECK_FALSE(watch::parse_grade("").has_value());
}

TEST_CASE("the next exercise is the first in lesson order that does not pass", "[watch]") {
  auto list = three();
  std::vector<std::size_t> graded;
  auto grade = [&](const std::map<std::size_t, std::string>& results) {
    return [&graded, results](std::size_t i) {
      graded.push_back(i);
      return watch::Grade{results.at(i), "", "", ""};
    };
  };
  SECTION("an unstarted exercise before the one that passes comes first") {
    // watch-3 on a passing exercise 3 must go to 2, not 4.
    auto next = watch::first_not_passing(list, {{0, true}, {2, true}}, grade({{1, "not started"}}));
    REQUIRE(next == std::optional<std::size_t>(1));
    CHECK(graded == std::vector<std::size_t>{1});  // 1 and 3 were known to pass
  }
  SECTION("exercises not known to pass are graded, in order, until one fails") {
    auto next =
        watch::first_not_passing(list, {}, grade({{0, "passed"}, {1, "passed"}, {2, "failing"}}));
    REQUIRE(next == std::optional<std::size_t>(2));
    CHECK(graded == std::vector<std::size_t>{0, 1, 2});
  }
  SECTION("when every exercise passes there is none") {
    auto next = watch::first_not_passing(list, {{0, true}, {1, true}}, grade({{2, "passed"}}));
    CHECK_FALSE(next.has_value());
  }
  SECTION("a known failure is graded again: it may pass now") {
    auto next =
        watch::first_not_passing(list, {{0, false}}, grade({{0, "passed"}, {1, "failing"}}));
    REQUIRE(next == std::optional<std::size_t>(1));
    CHECK(graded == std::vector<std::size_t>{0, 1});
  }
}

TEST_CASE("n goes to the next exercise and wraps round to the first", "[watch]") {
  CHECK(watch::next_after(0, 3) == 1);
  CHECK(watch::next_after(2, 3) == 0);
  CHECK(watch::next_after(0, 0) == 0);
}

TEST_CASE("watch's keys are rustlings': h, n, r, l, q", "[watch]") {
  CHECK(watch::key_action('h') == watch::Key::Hint);
  CHECK(watch::key_action('n') == watch::Key::Next);
  CHECK(watch::key_action('r') == watch::Key::Rerun);
  CHECK(watch::key_action('l') == watch::Key::List);
  CHECK(watch::key_action('q') == watch::Key::Quit);
  CHECK(watch::key_action('Q') == watch::Key::Quit);
  CHECK(watch::key_action('x') == watch::Key::None);
}

TEST_CASE("a save made after the snapshot is seen, even while grading ran", "[watch]") {
  TempDir a, b;
  a.write("x.cpp", "int x = 1;\n");
  b.write("y.cpp", "int y = 1;\n");
  const std::vector<std::string> dirs{a.path.string(), b.path.string()};
  // The fingerprint comes first, when grading starts ...
  auto before = watch::snapshot(dirs);
  CHECK_FALSE(watch::changed(before, watch::snapshot(dirs)).has_value());
  // ... so a save while the grader runs differs from it afterwards.
  b.write("y.cpp", "int y = 2;\n");
  auto after = watch::snapshot(dirs);
  REQUIRE(watch::changed(before, after) == std::optional<std::size_t>(1));
  // The same length and (within the clock's resolution) the same time: the
  // contents still tell.
  auto again = watch::snapshot(dirs);
  b.write("y.cpp", "int y = 3;\n");
  CHECK(watch::changed(again, watch::snapshot(dirs)) == std::optional<std::size_t>(1));
  // A new file, a removed one.
  auto now = watch::snapshot(dirs);
  a.write("new.hpp", "");
  CHECK(watch::changed(now, watch::snapshot(dirs)) == std::optional<std::size_t>(0));
  now = watch::snapshot(dirs);
  fs::remove(a.path / "new.hpp");
  CHECK(watch::changed(now, watch::snapshot(dirs)) == std::optional<std::size_t>(0));
}

TEST_CASE("the progress bar fills with the exercises that pass", "[watch]") {
  CHECK(watch::progress_bar(0, 10, 10) == "[----------]  0 of 10 exercises pass");
  CHECK(watch::progress_bar(5, 10, 10) == "[#####-----]  5 of 10 exercises pass");
  CHECK(watch::progress_bar(10, 10, 10) == "[##########]  10 of 10 exercises pass");
  CHECK(watch::progress_bar(1, 11, 10) == "[#---------]  1 of 11 exercises pass");
  CHECK(watch::progress_bar(0, 0, 4) == "[----]  0 of 0 exercises pass");
}
