// The mutant check's parts that need no grader: a mutant's stated messages
// and the search for them in a grader's output (CONTRIBUTING.md, "Mutants").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wb::mutant {

// The header of graders/NN-slug/mutants/NAME.patch: the lines before the diff.
struct Header {
  std::vector<std::string> messages;  // each `Message: "<phrase>"` line's phrase
  std::vector<std::string> problems;  // "line 3: ..." for a Message line it cannot read
};

Header read_header(std::string_view patch);

// Whether the grader's output holds the phrase. Blanks do not count: a run of
// spaces, tabs and line breaks matches any other run (the output wraps long
// messages, and indents what it wraps), and a line break right after a hyphen
// is no blank at all; everything else must be exact.
bool output_contains(std::string_view output, std::string_view phrase);

// The output's "RESULT <lesson>: FAILED ..." line, or "" when there is none
// (the grader passed, or did not get as far as its verdict).
std::string failed_result_line(std::string_view output);

}  // namespace wb::mutant
