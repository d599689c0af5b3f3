#!/usr/bin/env bash
# How long a learner waits: wall and CPU seconds of the learner's commands, in a
# scratch clone of this checkout whose exercises/ hold the reference solutions
# (so every grader compiles real code and runs every test to the end).
#
#   bench/edit-to-grade.sh [-n RUNS] [-l "1 5 7"] [-r REV] [-c REV] [MODE...]
#
#   loop   (default) per lesson: edit the exercise's .cpp, then `make test-N`
#          (rebuild + grade), RUNS times; the median
#   first  the first `make test-N` in a fresh build folder (configure, support
#          library, grader, exercise), RUNS times, each in a new build folder
#          (lesson 1, or those of -l)
#   cold   `make test` (every lesson) in a fresh build folder, RUNS times
#   check  `make check` in a fresh build folder, RUNS times (CPU-minutes each)
#
#   -r REV  measure that commit, not the work tree as it is now
#   -c REV  compare with that commit (e.g. main before a change): each run of
#           the work tree (or -r) is followed by the same run of REV, so both
#           meet the same load; prints both medians and their ratio
#   -k CXX  compare with a build by that compiler (e.g. -k g++ while CXX=clang++
#           builds the measured side; with -c, REV built by CXX): run for run,
#           as -c. Each side's compiler is named in the results.
#
# CPU is user + system seconds of the whole process tree (make, the scripts,
# cmake, ninja, every compiler and linker, the grader), from /usr/bin/time.
# On a shared machine quote CPU seconds and ratios; wall time says how busy
# the machine was. An edit is a real change of the code (a new constant
# appended), so that no compiler cache can serve it; a fresh build folder gets
# an empty ccache folder too. The servers must be running (VALKEY_URL /
# DATABASE_URL). The scratch clones are removed at the end. It measures; it
# does not judge.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
runs=5
lessons=""
rev=""
base=""
base_cxx=""
modes=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    -l) lessons=$2; shift 2 ;;
    -r) rev=$2; shift 2 ;;
    -c) base=$2; shift 2 ;;
    -k) base_cxx=$2; shift 2 ;;
    loop | first | cold | check) modes+=("$1"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [-n RUNS] [-l \"1 5\"] [-r REV] [-c REV] [-k CXX] [loop|first|cold|check]..." >&2; exit 2 ;;
  esac
done
[ ${#modes[@]} -gt 0 ] || modes=(loop)
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/wb-bench.XXXXXX")
# A make test in a clone starts the cluster of lesson 15 (and servers, when
# none answer): stop what the clones started before they go.
end_scratch() {
  local d
  for d in "$scratch"/*/; do
    [ -x "$d/infra/cluster.sh" ] && (cd "$d" && infra/cluster.sh down-all) >/dev/null 2>&1
    [ -d "$d/.state" ] && (cd "$d" && infra/infra.sh down) >/dev/null 2>&1
  done
  rm -rf "$scratch"
}
trap end_scratch EXIT

# The learner's environment: no launcher forced from outside (the build picks
# ccache itself when it is installed), a cache folder of the clone's own.
unset CMAKE_CXX_COMPILER_LAUNCHER CMAKE_C_COMPILER_LAUNCHER CCACHE_DIR
export WB_TOOLS_TESTS=${WB_TOOLS_TESTS:-1}

# clone SIDE [REV]: $scratch/SIDE, a clone with the solutions in exercises/;
# without REV, this checkout's tracked files as they are now.
clone() {
  local dir=$scratch/$1 dir_id
  git clone --quiet "$ROOT" "$dir"
  if [ -n "${2:-}" ]; then
    git -C "$dir" checkout --quiet "$2"
  else
    (cd "$ROOT" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$dir"
  fi
  for dir_id in "$dir"/solutions/*/; do
    dir_id=$(basename "$dir_id")
    [ -d "$dir/exercises/$dir_id" ] && cp "$dir/solutions/$dir_id/"*.cpp "$dir/exercises/$dir_id/"
  done
  return 0
}
sides=(new)
clone new "$rev"
if [ -n "$base" ]; then sides+=(base); clone base "$base"
elif [ -n "$base_cxx" ]; then sides+=(base); clone base "$rev"; fi
# The compiler of each side: CXX as given (CMake's choice when unset), or -k's.
cxx_of() {
  if [ "$1" = base ] && [ -n "$base_cxx" ]; then echo "$base_cxx"; else echo "${CXX:-}"; fi
}
label_of() {
  local what compiler
  if [ "$1" = base ] && [ -n "$base" ]; then what=$base; else what=${rev:-the work tree}; fi
  compiler=$(cxx_of "$1")
  if [ -n "$base_cxx" ]; then echo "$what, ${compiler:-default compiler}"; else echo "$what"; fi
}

first_lessons=${lessons:-1}
[ -n "$lessons" ] || lessons=$(cd "$scratch/new" && for d in graders/*/; do basename "$d" | cut -c1-2; done | sed 's/^0//')

# with_cxx SIDE: in a subshell, the side's compiler for CMake's first configure.
with_cxx() {
  local compiler
  compiler=$(cxx_of "$1")
  if [ -n "$compiler" ]; then export CXX=$compiler; else unset CXX; fi
}
# timed SIDE LABEL COMMAND...: runs it in that clone, appends "wall cpu" to
# $scratch/SIDE.LABEL and prints it
timed() {
  local side=$1 label=$2
  shift 2
  (cd "$scratch/$side" && with_cxx "$side" && CCACHE_DIR="$scratch/$side.ccache" \
     /usr/bin/time -f '%e %U %S' -o "$scratch/time" "$@" >"$scratch/$side.last.log" 2>&1) || true
  tail -n 1 "$scratch/time" | awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' >>"$scratch/$side.$label"
  tail -n 1 "$scratch/$side.$label"
}
run_in() { (cd "$scratch/$1" && with_cxx "$1" && CCACHE_DIR="$scratch/$1.ccache" "${@:2}" >/dev/null 2>&1) || true; }
fresh_build() { rm -rf "$scratch/$1/build" "$scratch/$1/compile_commands.json" "$scratch/$1.ccache"; }
# The exercise's file to edit: the last .cpp of exercises/NN-slug.
exercise_file() {
  local nn files
  nn=$(printf '%02d' "$2")
  files=("$scratch/$1/exercises/$nn"-*/*.cpp)
  echo "${files[${#files[@]} - 1]}"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# summary LABEL TEXT: per side, the median, minimum and maximum of wall and
# CPU; with -c, the ratio of the CPU medians and the median of the pairwise
# CPU ratios (run i of the work tree / run i of REV).
summary() {
  local label=$1 text=$2 side wall cpu
  for side in "${sides[@]}"; do
    wall=$(cut -d' ' -f1 "$scratch/$side.$label" | sort -n | paste -sd' ')
    cpu=$(cut -d' ' -f2 "$scratch/$side.$label" | sort -n | paste -sd' ')
    awk -v text="$text [$(label_of "$side")]" -v wall="$wall" -v cpu="$cpu" 'BEGIN {
        n = split(wall, w, " "); split(cpu, c, " "); m = int((n + 1) / 2)
        printf "%s: median wall %.2f s, CPU %.2f s (min-max wall %.2f-%.2f, CPU %.2f-%.2f; %d runs)\n",
               text, w[m], c[m], w[1], w[n], c[1], c[n], n
      }'
  done
  if [ ${#sides[@]} = 2 ]; then
    local a b pairs o
    o=$(label_of base)
    a=$(cut -d' ' -f2 "$scratch/new.$label" | median)
    b=$(cut -d' ' -f2 "$scratch/base.$label" | median)
    pairs=$(paste -d' ' <(cut -d' ' -f2 "$scratch/new.$label") <(cut -d' ' -f2 "$scratch/base.$label") |
      awk '$2 > 0 { printf "%.3f\n", $1 / $2 }' | median)
    awk -v t="$text" -v a="$a" -v b="$b" -v p="$pairs" -v n="$(label_of new)" -v o="$o" \
      'BEGIN { printf "%s: CPU %s / %s = %.2f (median of the pairwise ratios %.2f)\n", t, n, o, a / b, p }'
  fi
}

results=()
for mode in "${modes[@]}"; do
  case "$mode" in
    loop)
      for side in "${sides[@]}"; do run_in "$side" make --no-print-directory test; done   # built, warm
      for n in $lessons; do
        for side in "${sides[@]}"; do
          : >"$scratch/$side.loop-$n"
          run_in "$side" make --no-print-directory test-"$n"
        done
        for ((i = 1; i <= runs; i++)); do
          for side in "${sides[@]}"; do
            file=$(exercise_file "$side" "$n")
            printf 'namespace { [[maybe_unused]] constexpr int wb_bench_edit_%d = %d; }\n' "$i" "$i" >>"$file"
            echo "lesson $n run $i [$(label_of "$side")]: $(timed "$side" "loop-$n" make --no-print-directory test-"$n") (wall, CPU s)"
            grep -q '^RESULT .*: PASSED' "$scratch/$side.last.log" ||
              echo "  (that run did not pass: $(grep -E '^RESULT' "$scratch/$side.last.log" | tail -n 1))"
          done
        done
        results+=("$(summary "loop-$n" "edit-to-grade lesson $n (edit its .cpp, make test-$n)")")
      done ;;
    first)
      for n in $first_lessons; do
        for side in "${sides[@]}"; do : >"$scratch/$side.first-$n"; done
        for ((i = 1; i <= runs; i++)); do
          for side in "${sides[@]}"; do
            fresh_build "$side"
            echo "first build lesson $n run $i [$(label_of "$side")]: $(timed "$side" "first-$n" make --no-print-directory test-"$n") (wall, CPU s)"
          done
        done
        results+=("$(summary "first-$n" "first make test-$n in a fresh build folder")")
      done ;;
    cold | check)
      target="test"
      [ "$mode" = check ] && target="check"
      for side in "${sides[@]}"; do : >"$scratch/$side.$mode"; done
      for ((i = 1; i <= runs; i++)); do
        for side in "${sides[@]}"; do
          fresh_build "$side"
          echo "$mode: make $target run $i [$(label_of "$side")]: $(timed "$side" "$mode" make --no-print-directory "$target") (wall, CPU s)"
          echo "  $(grep -E 'exercises pass|^[0-9]+ passed, [0-9]+ failed' "$scratch/$side.last.log" | tail -n 1)"
        done
      done
      results+=("$(summary "$mode" "make $target (every lesson) in a fresh build folder")") ;;
  esac
done
echo
compilers=""
for side in "${sides[@]}"; do
  used=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$scratch/$side/build/CMakeCache.txt" 2>/dev/null)
  [ -n "$used" ] && compilers+="${compilers:+; }[$(label_of "$side")] $("$used" --version | head -n 1)"
done
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end; $compilers =="
printf '%s\n' "${results[@]}"
