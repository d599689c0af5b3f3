// Small timing helpers for the examples: they measure, they do not judge.
// Medians, not averages: one slow call (the machine doing something else)
// moves an average a lot and a median hardly at all.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace wb {

// How long one call of `f` takes, in microseconds: each call timed alone.
struct Timings {
  std::vector<double> micros;  // sorted, fastest first

  double median() const { return micros[micros.size() / 2]; }
  double percentile(int p) const {
    return micros[micros.size() * static_cast<std::size_t>(p) / 100];
  }
  double slowest() const { return micros.back(); }
};

// Times `calls` calls of `f`, one by one (calls must be at least 1).
template <typename F>
Timings time_calls(int calls, F&& f) {
  Timings t;
  t.micros.reserve(static_cast<std::size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    t.micros.push_back(took.count());
  }
  std::sort(t.micros.begin(), t.micros.end());
  return t;
}

// The median of `calls` calls of `f`, in microseconds.
template <typename F>
double median_micros(int calls, F&& f) {
  return time_calls(calls, f).median();
}

}  // namespace wb
