#!/usr/bin/env bash
# How long a learner waits: wall and CPU seconds of the learner's commands, in a
# scratch clone of this checkout whose exercises/ hold the reference solutions
# (so every grader compiles real code and runs every test to the end).
#
#   bench/edit-to-grade.sh [-n RUNS] [-l "1 5 7"] [MODE...]
#
#   loop   (default) per lesson: edit the exercise's .cpp, then `make test-N`
#          (rebuild + grade), RUNS times; the median
#   first  the first `make test-1` in a fresh build folder (configure, support
#          library, grader, exercise), RUNS times, each in a new build folder
#   cold   `make test` (every lesson) in a fresh build folder, RUNS times
#   check  `make check` in a fresh build folder, once (several CPU-minutes)
#
# CPU is user + system seconds of the whole process tree (make, the scripts,
# cmake, ninja, every compiler and linker, the grader), from /usr/bin/time.
# An edit is a real change of the code (a new constant appended), so that no
# compiler cache can serve it; the fresh build folders get an empty ccache
# folder too. The servers must be running (VALKEY_URL / DATABASE_URL); the
# scratch clone is removed at the end. It measures; it does not judge.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
runs=5
lessons=""
modes=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    -l) lessons=$2; shift 2 ;;
    loop | first | cold | check) modes+=("$1"); shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [-n RUNS] [-l \"1 5\"] [loop|first|cold|check]..." >&2; exit 2 ;;
  esac
done
[ ${#modes[@]} -gt 0 ] || modes=(loop)
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/wb-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# A clone, with this checkout's tracked files as they are now (uncommitted
# changes included), and the solutions in exercises/.
git clone --quiet "$ROOT" "$scratch/wb"
(cd "$ROOT" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$scratch/wb"
cd "$scratch/wb"
for dir in solutions/*/; do
  id=$(basename "$dir")
  [ -d "exercises/$id" ] && cp "$dir"*.cpp "exercises/$id/"
done
[ -n "$lessons" ] || lessons=$(for d in graders/*/; do basename "$d" | cut -c1-2; done | sed 's/^0//')

# The learner's environment: no launcher forced from outside (the build picks
# ccache itself when it is installed), a cache folder of the clone's own.
unset CMAKE_CXX_COMPILER_LAUNCHER CMAKE_C_COMPILER_LAUNCHER
export CCACHE_DIR="$scratch/ccache"
export WB_TOOLS_TESTS=${WB_TOOLS_TESTS:-1}

# timed LABEL COMMAND...: runs it, appends "wall cpu" to $scratch/LABEL
timed() {
  local label=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$scratch/time" "$@" >"$scratch/last.log" 2>&1 || true
  tail -n 1 "$scratch/time" | awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' >>"$scratch/$label"
  tail -n 1 "$scratch/$label"
}

# summary LABEL TEXT: the median, minimum and maximum of wall and CPU
summary() {
  local wall cpu
  wall=$(cut -d' ' -f1 "$scratch/$1" | sort -n | paste -sd' ')
  cpu=$(cut -d' ' -f2 "$scratch/$1" | sort -n | paste -sd' ')
  awk -v text="$2" -v wall="$wall" -v cpu="$cpu" 'BEGIN {
      n = split(wall, w, " "); split(cpu, c, " "); m = int((n + 1) / 2)
      printf "%s: median wall %.2f s, CPU %.2f s (min-max wall %.2f-%.2f, CPU %.2f-%.2f; %d runs)\n",
             text, w[m], c[m], w[1], w[n], c[1], c[n], n
    }'
}

fresh_build() { rm -rf build compile_commands.json "$CCACHE_DIR"; }

# The exercise's file to edit: the last .cpp of exercises/NN-slug.
exercise_file() { ls exercises/"$(printf '%02d' "$1")"-*/*.cpp | tail -n 1; }

results=()
for mode in "${modes[@]}"; do
  case "$mode" in
    loop)
      make --no-print-directory test >/dev/null 2>&1 || true   # configured, built, warm
      for n in $lessons; do
        file=$(exercise_file "$n")
        make --no-print-directory test-"$n" >/dev/null 2>&1 || true
        : >"$scratch/loop-$n"
        for ((i = 1; i <= runs; i++)); do
          printf 'namespace { [[maybe_unused]] constexpr int wb_bench_edit_%d = %d; }\n' "$i" "$i" >>"$file"
          echo "lesson $n run $i: $(timed "loop-$n" make --no-print-directory test-"$n") (wall, CPU s)"
        done
        grep -q '^RESULT .*: PASSED' "$scratch/last.log" || echo "lesson $n: the last run did not pass:" "$(tail -n 1 "$scratch/last.log")"
        results+=("$(summary "loop-$n" "edit-to-grade lesson $n ($file, make test-$n)")")
      done ;;
    first)
      : >"$scratch/first"
      for ((i = 1; i <= runs; i++)); do
        fresh_build
        echo "first build run $i: $(timed first make --no-print-directory test-1) (wall, CPU s)"
      done
      results+=("$(summary first "first make test-1 in a fresh build folder")") ;;
    cold)
      : >"$scratch/cold"
      for ((i = 1; i <= runs; i++)); do
        fresh_build
        echo "cold make test run $i: $(timed cold make --no-print-directory test) (wall, CPU s)"
        grep -E 'exercises pass' "$scratch/last.log" || true
      done
      results+=("$(summary cold "make test (all lessons) in a fresh build folder")") ;;
    check)
      : >"$scratch/check"
      fresh_build
      echo "make check: $(timed check make --no-print-directory check) (wall, CPU s)"
      tail -n 1 "$scratch/last.log"
      results+=("$(summary check "make check in a fresh build folder")") ;;
  esac
done
echo
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(g++ --version | head -n 1) =="
printf '%s\n' "${results[@]}"
