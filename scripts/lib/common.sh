# shellcheck shell=bash
# Shared by scripts/workbook and the tools it runs (watch, reset, report,
# doctor): the manifest, the build, the servers, and grading one exercise.
# Source it; it changes to the repository's root.
#
# Environment: BUILD (build folder, default build), SOLUTIONS=1 (grade the
# reference solutions), LESSONS (only these lessons: "1 3", "2-5", "1,4"),
# VALKEY_URL, DATABASE_URL, WB_GRADE_TIMEOUT (seconds a grader may run, 120).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
MANIFEST=lessons/manifest.txt

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# ---- the manifest -------------------------------------------------------------
# lessons/manifest.txt holds one table per lesson:
#   [NN]
#   slug = ..., title = ..., needs = ..., files = ...   (one "key = value" a line)
#   hint N = ...   (tiers for task N, in order; "hint = ..." for the whole lesson)
# manifest_awk PROGRAM [VAR=VALUE...]: runs an awk program over the manifest;
# for each "key = value" line it calls the program's entry(lesson, key, task,
# value) (task: the N of "hint N", else ""). VAR=VALUE are awk -v variables.
manifest_awk() {
  local program=$1 assign=() a
  shift
  for a in "$@"; do assign+=(-v "$a"); done
  awk "${assign[@]}" '
    /^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
    /^\[[0-9][0-9]\][[:space:]]*$/ { lesson = substr($0, 2, 2); next }
    {
      line = $0
      eq = index(line, "=")
      if (lesson == "" || eq == 0) next
      k = substr(line, 1, eq - 1); v = substr(line, eq + 1)
      gsub(/^[[:space:]]+|[[:space:]]+$/, "", k); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
      task = ""
      if (k ~ /^hint[[:space:]]+[0-9]+$/) { task = k; sub(/^hint[[:space:]]+/, "", task); k = "hint" }
      entry(lesson, k, task, v)
    }
    '"$program" "$MANIFEST"
}

# Prints "NN|slug|title|needs|files" lines, in the manifest's order.
manifest() {
  manifest_awk '
    function entry(l, k, t, v) {
      if (!(l in seen)) { seen[l] = 1; order[++n] = l }
      if (k == "slug" || k == "title" || k == "needs" || k == "files") f[l, k] = v
    }
    END { for (i = 1; i <= n; i++) { l = order[i]; print l "|" f[l, "slug"] "|" f[l, "title"] "|" f[l, "needs"] "|" f[l, "files"] } }'
}

# lesson_field N FIELD -> the field (1 number, 2 slug, 3 title, 4 needs, 5 files)
lesson_field() {
  local nn
  nn=$(lesson_number "$1")
  manifest | awk -F '|' -v n="$nn" -v f="$2" '$1 == n { print $f; found = 1 } END { exit !found }' ||
    die "there is no lesson $1 (see 'make lessons')"
}

# lesson_hints N -> "task<TAB>text" per hint tier, in order ("" task: the whole lesson).
lesson_hints() {
  local nn
  nn=$(lesson_number "$1")
  manifest_awk 'function entry(l, k, t, v) { if (l == want && k == "hint") print t "\t" v }' "want=$nn"
}

# "1" or "01" -> "01"
lesson_number() {
  [[ "$1" =~ ^[0-9]+$ ]] || die "'$1' is not a lesson number"
  printf '%02d' "$((10#$1))"
}
lesson_id() { echo "$(lesson_number "$1")-$(lesson_field "$1" 2)"; }
lesson_numbers() { manifest | cut -d'|' -f1; }
lesson_short() { echo "$((10#$1))"; }

# The lessons LESSONS selects (all when it is empty), in manifest order.
selected_lessons() {
  local spec=${LESSONS:-} nn n part lo hi
  if [ -z "$spec" ]; then lesson_numbers; return; fi
  local -A want=()
  for part in ${spec//,/ }; do
    if [[ "$part" =~ ^([0-9]+)-([0-9]+)$ ]]; then
      lo=$((10#${BASH_REMATCH[1]})); hi=$((10#${BASH_REMATCH[2]}))
      for ((n = lo; n <= hi; n++)); do want[$n]=1; done
    elif [[ "$part" =~ ^[0-9]+$ ]]; then
      want[$((10#$part))]=1
    else
      die "LESSONS='$spec': use lesson numbers, e.g. LESSONS=\"1 3\" or LESSONS=2-5"
    fi
  done
  for nn in $(lesson_numbers); do
    [ -n "${want[$((10#$nn))]:-}" ] && echo "$nn"
  done
  return 0
}

# The folder graded: exercises/NN-slug, or solutions/NN-slug with SOLUTIONS=1.
graded_dir() {
  if [ "${SOLUTIONS:-}" = 1 ]; then echo "solutions/$(lesson_id "$1")"; else echo "exercises/$(lesson_id "$1")"; fi
}

# The file the learner edits: the last one the manifest names that exists.
main_file() {
  local dir files f last=""
  dir=$(graded_dir "$1")
  files=$(lesson_field "$1" 5)
  for f in $files; do [ -f "$dir/$f" ] && last="$dir/$f"; done
  if [ -z "$last" ]; then last=$(ls "$dir"/*.cpp 2>/dev/null | tail -n 1 || true); fi
  echo "${last:-$dir}"
}

has_grader() { [ -d "graders/$(lesson_id "$1")" ]; }

# ---- preparing: packages, build folder, servers ---------------------------------
ensure_packages() { scripts/setup.sh --quiet-if-ok; }

cmake_generator_args() {
  if command -v ninja >/dev/null 2>&1; then echo "-G Ninja"; fi
}

ensure_configured() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    local werror=OFF
    [ "${WB_WERROR:-}" = 1 ] || [ "${WB_WERROR:-}" = ON ] && werror=ON
    # shellcheck disable=SC2046
    cmake -S . -B "$BUILD" $(cmake_generator_args) -DWB_WERROR="$werror" >"$BUILD.configure.log" 2>&1 || {
      cat "$BUILD.configure.log"; die "CMake could not configure the build (log above)"; }
    rm -f "$BUILD.configure.log"
    link_compile_commands
  fi
}

# Editors look for compile_commands.json at the top of the project.
link_compile_commands() {
  ln -sfn "$BUILD/compile_commands.json" compile_commands.json 2>/dev/null || true
}

# Both servers answer, with the URLs' logins (ours, or ones VALKEY_URL and
# DATABASE_URL point at)? infra/infra.sh asks them; the URLs are read by the
# workbook's one parser (infra/wb-url), never here.
servers_answer() { infra/infra.sh check >/dev/null 2>&1; }

# Servers follow the URLs: what VALKEY_URL and DATABASE_URL need on this
# machine and does not answer yet is started (infra/infra.sh up). A server of
# yours that already answers there is used as it is; a URL that points at
# another machine is only checked (a grader then says in one line that it
# cannot reach it).
ensure_servers() {
  servers_answer && return 0
  say "The servers do not all answer yet: make infra-up"
  # When that cannot be done, it says why; the graders and examples then say
  # in one line what they cannot reach (and a report is still written).
  infra/infra.sh up || say "(Not every server could be started: see above.)"
}

# A lesson whose manifest `needs` names the cluster (lesson 15) runs on the
# workbook's own cluster (infra/cluster.sh, VALKEY_CLUSTER_URL): started here
# when it does not answer.
ensure_cluster() {
  case "$(lesson_field "$1" 4)" in *cluster*) ;; *) return 0 ;; esac
  infra/cluster.sh answers 2>/dev/null || infra/cluster.sh up
}

# The compiler's messages without the build tool's lines (progress, the
# command line, "FAILED:", "build stopped"), and paths relative to the project.
compiler_words() {
  grep -v -E '^\[[0-9/]+\] |^FAILED: |^ninja: |^g?make(\[[0-9]+\])?: |^make: \*\*\*| -o CMakeFiles/' | sed "s|$ROOT/||g"
}

build_targets() {
  # shellcheck disable=SC2086
  cmake --build "$BUILD" --target "$@" -- ${WB_BUILD_ARGS:-} >"$BUILD/last-build.log" 2>&1 || {
    # Show the compiler's words: the learner needs them.
    compiler_words <"$BUILD/last-build.log" | head -80 || true
    say ""
    say "The build failed (full log: $BUILD/last-build.log)."
    return 1
  }
}

# Builds several targets at once, in parallel, carrying on past failures; the
# failures are reported later, one target at a time, by build_targets.
prebuild_targets() {
  local keep_going="-k"
  grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja' "$BUILD/CMakeCache.txt" 2>/dev/null && keep_going="-k 0"
  # shellcheck disable=SC2086
  cmake --build "$BUILD" --target "$@" -- $keep_going ${WB_BUILD_ARGS:-} >/dev/null 2>&1 || true
}

# ---- grading one exercise -------------------------------------------------------
grader_target() {
  local nn=$1
  if [ "${SOLUTIONS:-}" = 1 ]; then echo "grade-$nn-solution"; else echo "grade-$nn"; fi
}

# classify_log LOG -> "status<TAB>first failing behaviour", from a grader's output.
# status: passed | failing | not started | no server | crashed
classify_log() {
  local log=$1 line first status
  line=$(grep -E '^RESULT ' "$log" | tail -n 1 || true)
  first=$(grep -E '^First failing behaviour: ' "$log" | head -n 1 | sed 's/^First failing behaviour: //' || true)
  case "$line" in
    *": PASSED"*) status="passed"; first="" ;;
    *"NO SERVER"*) status="no server"; first=$(grep -v '^RESULT ' "$log" | grep -v '^[[:space:]]*$' | head -n 1 || true) ;;
    *"FAILED"*)
      if [[ "$line" =~ \(([0-9]+)\ of\ ([0-9]+)\ behaviours\ failing\;\ ([0-9]+)\ not ]] &&
         [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[3]}" = "${BASH_REMATCH[2]}" ]; then
        status="not started"
      else
        status="failing"
      fi ;;
    *)
      status="crashed"
      first=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)
      [ -n "$first" ] || first="the grader stopped without a result" ;;
  esac
  printf '%s\t%s\n' "$status" "$first"
}

# grade_lesson NN [xml-report-file]
# Builds and runs the grader of exercise NN (the learner's, or the solution with
# SOLUTIONS=1); its output goes to $BUILD/results/NN-slug.txt. Sets G_STATUS
# (passed | failing | not started | won't build | no grader | no server |
# crashed | timed out), G_FIRST (the first failing behaviour, or why) and G_LOG.
grade_lesson() {
  local nn=$1 xml=${2:-} id target
  id=$(lesson_id "$nn"); target=$(grader_target "$nn")
  mkdir -p "$BUILD/results"
  G_LOG="$BUILD/results/$id.txt"; G_FIRST=""; G_STATUS=""
  if ! has_grader "$nn"; then
    G_STATUS="no grader"; G_FIRST="this lesson has no exercise yet"
    say "Lesson $id has no grader yet." >"$G_LOG"
    return 0
  fi
  ensure_cluster "$nn" >/dev/null 2>&1 || true
  if ! build_targets "$target" >"$G_LOG" 2>&1; then
    G_STATUS="won't build"
    G_FIRST=$(grep -m 1 -E '(error|Error)[: ]' "$G_LOG" | sed "s|$ROOT/||g" || true)
    [ -n "$G_FIRST" ] || G_FIRST="see $G_LOG"
    return 0
  fi
  local -a args=()
  [ -n "$xml" ] && args=(-r xml -o "$xml")
  local -a limit=()
  command -v timeout >/dev/null 2>&1 && limit=(timeout "${WB_GRADE_TIMEOUT:-120}")
  local rc=0
  # (The braces keep bash's own "Segmentation fault" line out of the way.)
  { "${limit[@]}" "$BUILD/$target" "${args[@]}" >"$G_LOG" 2>&1; } 2>/dev/null || rc=$?
  local result
  result=$(classify_log "$G_LOG")
  G_STATUS=${result%%$'\t'*}; G_FIRST=${result#*$'\t'}
  # A grader may have tests that an untouched stub passes (nothing to write
  # for them): every failure "not implemented" and the files as shipped is
  # not started too.
  if [ "$G_STATUS" = failing ] && [ "${SOLUTIONS:-}" != 1 ] &&
     [[ "$(grep -E '^RESULT ' "$G_LOG" | tail -n 1)" =~ \(([0-9]+)\ of\ [0-9]+\ behaviours\ failing\;\ ([0-9]+)\ not ]] &&
     [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && exercise_is_stub "$nn"; then
    G_STATUS="not started"
  fi
  if [ "$G_STATUS" = crashed ]; then
    if [ "$rc" = 124 ]; then
      G_STATUS="timed out"
      G_FIRST="the grader ran longer than ${WB_GRADE_TIMEOUT:-120} s: an endless loop, or a wait that never ends?"
    else
      G_FIRST=$(crash_reason "$G_LOG" "$rc")
    fi
  fi
  return 0
}

# Why a grader stopped without its RESULT line: the signal, and the test it was in.
crash_reason() {
  local log=$1 rc=$2 signal="" test
  [ "$rc" -gt 128 ] 2>/dev/null && signal=$(kill -l $((rc - 128)) 2>/dev/null || true)
  test=$(awk '
    BEGIN { rule = sprintf("%79s", ""); gsub(/ /, "-", rule) }
    $0 == rule { if (++n % 2 == 1) { getline; name = $0 } }
    /fatal error condition/ { print name; exit }
    END { }' "$log")
  case "$signal" in
    SEGV) signal="SIGSEGV, a bad pointer or reference" ;;
    ABRT) signal="SIGABRT, an abort: often an exception thrown where none may be" ;;
    FPE) signal="SIGFPE, a division by zero" ;;
  esac
  if [ -n "$test" ]; then echo "${signal:-stopped}, in: $test"
  else echo "${signal:-stopped}; the end of its output is in $log"; fi
}

# One row of the progress table.
table_header() { printf '%-4s %-20s %-12s %s\n' "N" "lesson" "status" "first failing behaviour"; }
table_row() {
  local nn=$1 status=$2 first=$3
  # Not started: where to start says more than the first test's name.
  if [ "$status" = "not started" ] && [[ "$first" =~ not\ implemented\ yet:\ (task\ [^\ ]+\ \([^\)]*\))\ in\ ([^\ ]+) ]]; then
    first="start with ${BASH_REMATCH[1]} in ${BASH_REMATCH[2]}"
  fi
  [ ${#first} -gt 90 ] && first="${first:0:87}..."
  printf '%-4s %-20s %-12s %s\n' "$((10#$nn))" "$(lesson_field "$nn" 2)" "$status" "$first"
}

# ---- the stubs as shipped ---------------------------------------------------------
# stub_commit PATH -> the commit whose version of PATH is the stub: the newest
# commit that has the most WB_TODO( lines of any commit of that file. A
# learner's own commits have fewer (they replaced some), so they are skipped;
# a file without WB_TODO lines (a header) is taken from the newest commit.
stub_commit() {
  local path=$1 commit count best="" best_count=-1
  while read -r commit; do
    git cat-file -e "$commit:$path" 2>/dev/null || continue
    count=$(git show "$commit:$path" | grep -c 'WB_TODO(' || true)
    if [ "$count" -gt "$best_count" ]; then best=$commit; best_count=$count; fi
  done < <(git log --format=%H HEAD -- "$path" 2>/dev/null)
  echo "$best"
}

# True when every committed file of exercises/NN-slug is as its stub (git needed).
exercise_is_stub() {
  local id path commit any=1
  id=$(lesson_id "$1")
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 1
  while read -r path; do
    [ -n "$path" ] || continue
    commit=$(stub_commit "$path")
    [ -n "$commit" ] && [ -f "$path" ] && git show "$commit:$path" | cmp -s - "$path" || return 1
    any=0
  done < <(git ls-tree -r --name-only HEAD -- "exercises/$id/" 2>/dev/null)
  return $any
}
