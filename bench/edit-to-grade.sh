#!/usr/bin/env bash
# How long a learner waits between saving an exercise and reading the grade:
# touch the exercise file, run `make test-N`, repeat; print the median.
#   bench/edit-to-grade.sh [N] [runs]      (default: lesson 1, 7 runs)
# Prints one line per run and a summary. It measures; it does not judge.
set -euo pipefail
cd "$(dirname "$0")/.."
lesson=${1:-1}
runs=${2:-7}
nn=$(printf '%02d' "$((10#$lesson))")
file=$(ls exercises/"$nn"-*/*.cpp | head -n 1)

make --no-print-directory test-"$lesson" >/dev/null 2>&1 || true   # warm: configured, built, servers up
times=()
for ((i = 1; i <= runs; i++)); do
  touch "$file"
  start=$(date +%s%N)
  make --no-print-directory test-"$lesson" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  times+=("$ms")
  echo "run $i: $ms ms"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "edit-to-grade, lesson $lesson ($file touched, make test-$lesson): median $median ms over $runs runs"
