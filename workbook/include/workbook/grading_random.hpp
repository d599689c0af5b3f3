// What a grader that stands in for OpenSSL's RAND_bytes adds to grading.hpp.
//
// Including this header links a RAND_bytes of the workbook's own into the
// grader (workbook/src/grading_random.cpp), in place of OpenSSL's: every
// RAND_bytes call of the code under test, and of the harness, comes there.
// By default it passes through to OpenSSL's RAND_priv_bytes (real random
// bytes, the same kind of generator). A test can, for its own thread and for
// as long as a Scope lives, hand out chosen bytes or make every call fail, and
// read how often and for how many bytes it was asked. Other threads keep
// getting real bytes. Keep a Scope around the learner's call only: a KeyScope
// made inside one would get its random prefix from the chosen bytes too.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace wb::grading::fake_rand {

enum class Mode { real, chosen, failing };

struct State {
  Mode mode = Mode::real;
  // chosen, when `sequence` is empty: every byte of the first call is `first`,
  // every byte of the calls after it `later`.
  unsigned char first = 0x01;
  unsigned char later = 0x01;
  // chosen, when not empty: the bytes handed out in this order, across calls,
  // from the start again when they are used up.
  std::vector<unsigned char> sequence;
  int fail_with = 0;    // failing: what every call returns (0 or -1); the buffer is zeroed
  int calls = 0;        // RAND_bytes calls in this Scope
  long long bytes = 0;  // bytes asked for in this Scope, in all
};

// This thread's state: how many calls and bytes the code under test asked for.
const State& state();

// What RAND_bytes does on this thread while it lives; real bytes again at the
// end, however the test ends.
class Scope {
 public:
  explicit Scope(State s);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};

// Every byte of the first call `first`, of the calls after it `later`.
Scope chosen(unsigned char first, unsigned char later);
// These bytes, in order (see State::sequence).
Scope chosen(std::vector<unsigned char> bytes);
// Every call fails, returning `fail_with` (0 or -1), its buffer zeroed (what
// code that ignores the failure reads). Asked more than 100 times in a row it
// throws std::logic_error: code that retries a failing source forever would
// otherwise never return. Chosen bytes asked for more than 1000 times throw
// std::logic_error too.
Scope failing(int fail_with);

// What `make` returned, called once with chosen(bytes), and what it asked
// RAND_bytes for.
struct Drawn {
  std::string returned;
  int calls = 0;
  long long bytes = 0;
};
Drawn call_with_bytes(std::vector<unsigned char> bytes, const std::function<std::string()>& make);

// Checks (REQUIRE) that `make` throws std::runtime_error while RAND_bytes
// fails with `fail_with`; the message names `function` and what it makes
// (`what`: "code", "token") and the usual mistakes (the failure ignored, or
// `if (!RAND_bytes(...))`, which lets -1 through).
void require_throws_when_failing(int fail_with, std::string_view function, std::string_view what,
                                 const std::function<std::string()>& make);

}  // namespace wb::grading::fake_rand
