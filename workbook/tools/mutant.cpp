// The mutant check's parts that need no grader: see mutant.hpp.
#include "mutant.hpp"

#include <cctype>

namespace wb::mutant {

namespace {

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Every run of blanks as one space, none at either end.
std::string squeezed(std::string_view text) {
  std::string out;
  bool blank = false;
  for (char c : text) {
    if (is_blank(c)) {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

}  // namespace

Header read_header(std::string_view patch) {
  Header header;
  int number = 0;
  std::size_t start = 0;
  while (start < patch.size()) {
    std::size_t end = patch.find('\n', start);
    if (end == std::string_view::npos) end = patch.size();
    std::string_view line = patch.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.substr(0, 4) == "--- " || line.substr(0, 4) == "diff") break;  // the diff begins
    if (line.substr(0, 8) != "Message:") continue;
    std::size_t open = line.find('"'), close = line.rfind('"');
    std::string phrase;
    if (open != std::string_view::npos && close > open)
      phrase = squeezed(line.substr(open + 1, close - open - 1));
    if (phrase.empty()) {
      header.problems.push_back(
          "line " + std::to_string(number) +
          ": a Message line states its phrase in double quotes: Message: \"<phrase>\"");
      continue;
    }
    header.messages.push_back(phrase);
  }
  return header;
}

bool output_contains(std::string_view output, std::string_view phrase) {
  // Catch2 also wraps right after a hyphen ("read-" / "modify-write",
  // "answers -" / "2"): there the line break is no blank of the text.
  std::string joined;
  for (std::size_t i = 0; i < output.size(); ++i) {
    joined += output[i];
    if (output[i] == '-' && i + 1 < output.size() && output[i + 1] == '\n') {
      std::size_t next = i + 1;
      while (next < output.size() && is_blank(output[next])) ++next;
      i = next - 1;
    }
  }
  std::string want = squeezed(phrase);
  return !want.empty() && squeezed(joined).find(want) != std::string::npos;
}

std::string failed_result_line(std::string_view output) {
  std::size_t start = 0;
  while (start < output.size()) {
    std::size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(start, end - start);
    std::size_t result = line.find("RESULT ");
    if (result != std::string_view::npos && line.find(": FAILED", result) != std::string_view::npos)
      return std::string(line);
    start = end + 1;
  }
  return "";
}

}  // namespace wb::mutant
