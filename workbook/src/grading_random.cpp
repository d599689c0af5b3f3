// The grader's RAND_bytes (see grading_random.hpp). Linked only into the
// graders that include that header (workbook_extra_libraries in CMakeLists.txt).
#include "workbook/grading_random.hpp"

#include "workbook/catch.hpp"

#include <openssl/rand.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace wb::grading::fake_rand {
namespace {

thread_local State current;
thread_local std::size_t next_in_sequence = 0;

}  // namespace

const State& state() { return current; }

Scope::Scope(State s) {
  current = std::move(s);
  next_in_sequence = 0;
}

Scope::~Scope() {
  current = State{};
  next_in_sequence = 0;
}

Scope chosen(unsigned char first, unsigned char later) {
  State s;
  s.mode = Mode::chosen;
  s.first = first;
  s.later = later;
  return Scope(std::move(s));
}

Scope chosen(std::vector<unsigned char> bytes) {
  State s;
  s.mode = Mode::chosen;
  s.sequence = std::move(bytes);
  return Scope(std::move(s));
}

Scope failing(int fail_with) {
  State s;
  s.mode = Mode::failing;
  s.fail_with = fail_with;
  return Scope(std::move(s));
}

Drawn call_with_bytes(std::vector<unsigned char> bytes, const std::function<std::string()>& make) {
  auto fed = chosen(std::move(bytes));
  Drawn d;
  d.returned = make();
  d.calls = current.calls;
  d.bytes = current.bytes;
  return d;
}

void require_throws_when_failing(int fail_with, std::string_view function, std::string_view what,
                                 const std::function<std::string()>& make) {
  std::string returned;
  bool threw = false;
  {
    auto broken = failing(fail_with);
    try {
      returned = make();
    } catch (const std::runtime_error&) {
      threw = true;
    }
  }
  INFO("RAND_bytes returned "
       << fail_with << " (it failed: only 1 means success) and " << function << " still returned \""
       << returned << "\", a " << what
       << " made of whatever the buffer held. Check that RAND_bytes returned 1 "
          "(-1 is true in C++: if (!RAND_bytes(...)) lets it through) and throw "
          "std::runtime_error otherwise; never fall back to a weaker source.");
  REQUIRE(threw);
}

}  // namespace wb::grading::fake_rand

// In place of OpenSSL's (declared in <openssl/rand.h>, extern "C").
int RAND_bytes(unsigned char* buf, int num) {
  using namespace wb::grading::fake_rand;
  State& s = current;
  if (s.mode == Mode::real) return RAND_priv_bytes(buf, num);
  ++s.calls;
  const std::size_t n = num > 0 ? static_cast<std::size_t>(num) : 0;
  s.bytes += static_cast<long long>(n);
  if (s.mode == Mode::failing) {
    if (s.calls > 100)
      throw std::logic_error(
          "the grader's RAND_bytes failed 100 times in a row and the code under test kept "
          "calling it: a source that fails is not retried forever; throw std::runtime_error");
    if (n > 0) std::memset(buf, 0, n);  // what an ignored failure reads
    return s.fail_with;
  }
  if (s.calls > 1000)
    throw std::logic_error(
        "the grader's RAND_bytes was called 1000 times in one test, every time with the chosen "
        "bytes: the code under test draws again for bytes that an even mapping accepts");
  if (s.sequence.empty()) {
    if (n > 0) std::memset(buf, s.calls == 1 ? s.first : s.later, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      buf[i] = s.sequence[next_in_sequence];
      next_in_sequence = (next_in_sequence + 1) % s.sequence.size();
    }
  }
  return 1;
}
