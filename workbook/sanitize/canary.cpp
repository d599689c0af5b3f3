// Proves that a sanitizer build catches what it is for: `workbook-sanitizer-
// canary leak` leaks, `... ub` overflows a signed int. CTest expects each
// report (see CMakeLists.txt, WB_SANITIZE): if the flags ever stop
// instrumenting, these tests fail. Built only with -DWB_SANITIZE=ON.
#include <climits>
#include <cstdio>
#include <cstring>

namespace {

int* leak() { return new int[16]{}; }

int overflow(int value) { return value + 1; }

}  // namespace

int main(int argc, char* argv[]) {
  if (argc == 2 && std::strcmp(argv[1], "leak") == 0) {
    int* lost = leak();
    std::printf("allocated %d\n", lost[0]);
    lost = nullptr;  // the only pointer to it, gone
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "ub") == 0) {
    volatile int big = INT_MAX;  // volatile: the compiler may not fold it away
    std::printf("%d\n", overflow(big));
    return 0;
  }
  std::fprintf(stderr, "usage: %s leak|ub\n", argv[0]);
  return 2;
}
