// The mutant check (workbook/tools/mutant*): a mutant's Message phrases, and
// finding them in a grader's output the way the learner reads it.
#include <string>
#include <vector>

#include "mutant.hpp"
#include "support.hpp"
#include "workbook/grading.hpp"

namespace mutant = wb::mutant;

TEST_CASE("read_header takes every Message phrase of a mutant's header, and stops at the diff") {
  auto header = mutant::read_header(
      "Mutant of lesson 03: cache_for sends SET, then PEXPIRE: two commands.\n"
      "The grader must reject it: \"cache_for writes the value and its expiry in one command\".\n"
      "Message: \"in two commands\"\n"
      "Message:   \"SET and then   EXPIRE\"  \n"
      "\n"
      "--- solutions/03-ttl/ttl.cpp\n"
      "+++ solutions/03-ttl/ttl.cpp (x)\n"
      "@@ -1,1 +1,1 @@\n"
      "-Message: \"not a header line\"\n"
      "+x\n");
  CHECK(header.problems.empty());
  CHECK(header.messages == std::vector<std::string>{"in two commands", "SET and then EXPIRE"});
}

TEST_CASE("read_header keeps a quote inside the phrase, and names a Message line it cannot read") {
  auto inner = mutant::read_header("Message: \"returned \"\" instead of std::nullopt\"\n--- a\n");
  CHECK(inner.messages == std::vector<std::string>{"returned \"\" instead of std::nullopt"});
  auto bad = mutant::read_header("Mutant.\nMessage: two commands\nMessage: \"\"\n--- a\n");
  CHECK(bad.messages.empty());
  REQUIRE(bad.problems.size() == 2);
  CHECK(wb_test::contains(bad.problems[0],
                          "line 2: a Message line states its phrase in double quotes"));
  CHECK(wb_test::contains(bad.problems[1], "line 3:"));
  CHECK(mutant::read_header("Mutant of lesson 01: no message yet.\n\n--- a\n").messages.empty());
}

TEST_CASE("output_contains finds a phrase across the output's line wraps, and nothing else") {
  const std::string output =
      "with message:\n"
      "  count_visit should send one INCR. A GET, +1 in C++, then SET is a read-\n"
      "  modify-write: two callers can both read 41. PTTL answers -\n"
      "  2 for \"no such key\"\n";
  CHECK(mutant::output_contains(output, "then SET is a read-modify-write"));
  CHECK(mutant::output_contains(output, "one INCR. A GET, +1"));
  CHECK(mutant::output_contains(output, "PTTL answers -2 for \"no such key\""));
  CHECK(mutant::output_contains(output, "send  one\nINCR"));
  CHECK_FALSE(mutant::output_contains(output, "then SET is a read modify write"));
  CHECK_FALSE(mutant::output_contains(output, "Then SET"));  // case counts
  CHECK_FALSE(mutant::output_contains(output, "two commands"));
  CHECK_FALSE(mutant::output_contains(output, "   "));  // an empty phrase is never found
}

TEST_CASE("failed_result_line finds the grader's FAILED verdict, not a PASSED one") {
  CHECK(
      mutant::failed_result_line("...\nRESULT 01-set-get: FAILED (2 of 13 behaviours failing)\n") ==
      "RESULT 01-set-get: FAILED (2 of 13 behaviours failing)");
  CHECK(mutant::failed_result_line("RESULT 01-set-get: PASSED (13 of 13 behaviours)\n").empty());
  CHECK(mutant::failed_result_line("Segmentation fault\n").empty());
}
