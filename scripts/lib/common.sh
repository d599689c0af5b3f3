# shellcheck shell=bash
# Shared by scripts/workbook and the tools it runs (watch, reset, report,
# doctor): the manifest, the build, the servers, and grading one exercise.
# Source it; it changes to the repository's root.
#
# Environment: BUILD (build folder, default build), SOLUTIONS=1 (grade the
# reference solutions), LESSONS (only these lessons: "1 3", "2-5", "1,4"),
# VALKEY_URL, DATABASE_URL, WB_GRADE_TIMEOUT (seconds a grader may run, 120)
# and WB_TEST_TIMEOUT (seconds one of its tests may run, 30): the grader's own
# watchdog enforces both and names the test.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# make test-N VERBOSE=1 is for the grader (WB_VERBOSE); CMake would take
# VERBOSE, even empty, as "print every compiler command".
export WB_VERBOSE=${WB_VERBOSE:-${VERBOSE:-}}
unset VERBOSE
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

# Prints "NN|slug|title|needs|files" lines, in the manifest's order. Read
# once per process (see the end of this file): every command asks often.
manifest() {
  if [ -n "${MANIFEST_TABLE:-}" ]; then printf '%s\n' "$MANIFEST_TABLE"; return; fi
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
# The check of the packages reads the whole package list (about 0.1 s CPU on
# every command): skipped while the build folder's note that it passed is
# newer than dpkg's list of installed packages (which changes with every
# install or removal). Elsewhere (Homebrew) it runs every time.
ensure_packages() {
  local note="$BUILD/.packages-checked" packages=/var/lib/dpkg/status
  if [ -f "$packages" ] && [ -f "$note" ] && [ "$note" -nt "$packages" ]; then return 0; fi
  scripts/setup.sh --quiet-if-ok || return
  if [ -f "$packages" ] && [ -d "$BUILD" ]; then touch "$note" 2>/dev/null || true; fi
}

cmake_generator_args() {
  if command -v ninja >/dev/null 2>&1; then echo "-G Ninja"; fi
}

ensure_configured() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    local werror=OFF
    [ "${WB_WERROR:-}" = 1 ] || [ "${WB_WERROR:-}" = ON ] && werror=ON
    heartbeat_start "Configuring the build in $BUILD/ (CMake, the first time only)" now
    # shellcheck disable=SC2046
    cmake -S . -B "$BUILD" $(cmake_generator_args) -DWB_WERROR="$werror" >"$BUILD.configure.log" 2>&1 || {
      heartbeat_stop; cat "$BUILD.configure.log"; die "CMake could not configure the build (log above)"; }
    heartbeat_stop
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

# What every command needs first: the packages, the build folder, the
# servers. Each says what it does when it takes a while (the first check of
# the servers compiles infra's URL tool, and a server may have to start).
prepare() {
  ensure_packages
  ensure_configured
  heartbeat_start "Checking the servers (VALKEY_URL, DATABASE_URL)"
  local rc=0
  ensure_servers || rc=$?
  heartbeat_stop
  return "$rc"
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
  { grep -v -E '^\[[0-9/]+\] |^\[ *[0-9]+%\] |^FAILED: |^ninja: |^g?make(\[[0-9]+\])?: |^make: \*\*\*| -o CMakeFiles/' || true; } |
    sed "s|$ROOT/||g"
}

# ---- progress: never silent -----------------------------------------------------------
# Progress goes to stderr (the terminal, when there is one): standard output
# may be a log file. On a terminal one line is rewritten in place; elsewhere
# (a pipe, a file, watch's screen) a line comes at least every 4 seconds.
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); else echo $((SECONDS * 1000)); fi
}
progress_tty() { [ -t 2 ] && [ "${TERM:-dumb}" != dumb ]; }
# status TEXT: on a terminal, the rewritten line (cut to the width); elsewhere a line.
status() {
  if progress_tty; then
    local cols=${COLUMNS:-}
    [ -n "$cols" ] || cols=$(tput cols 2>/dev/null || echo 80)
    printf '\r\033[K%s' "${1:0:$((cols - 1))}" >&2
  else
    printf '%s\n' "$1" >&2
  fi
}
status_clear() { if progress_tty; then printf '\r\033[K' >&2; fi; }

# heartbeat_start TEXT [now] / heartbeat_stop: while a step runs, "TEXT..."
# after half a second (with "now": at once, for a step known to be long), then
# "TEXT (N s)" every 3 s (on a terminal: at once, then every second, in
# place). For steps whose own output goes to a file.
HEARTBEAT_PID=""
heartbeat_start() {
  heartbeat_stop
  local text=$1 every=3 now=${2:-}
  progress_tty && every=1
  if progress_tty || [ "$now" = now ]; then status "$text..."; fi
  (
    # A sleep of its own that a TERM ends at once: nothing is left behind.
    sp=""
    trap '[ -z "$sp" ] || kill "$sp" 2>/dev/null; exit 0' TERM
    pause() { sleep "$1" & sp=$!; wait "$sp"; sp=""; }
    start=$SECONDS
    pause 0.5
    progress_tty || [ "$now" = now ] || status "$text..."
    # ($$ is the script's own pid here: it stops when the script is gone.)
    while pause "$every" && kill -0 "$$" 2>/dev/null; do status "$text ($((SECONDS - start)) s)"; done
  ) &
  HEARTBEAT_PID=$!
}
heartbeat_stop() {
  if [ -n "$HEARTBEAT_PID" ]; then
    kill "$HEARTBEAT_PID" 2>/dev/null || true
    wait "$HEARTBEAT_PID" 2>/dev/null || true
    HEARTBEAT_PID=""
    status_clear
  fi
}

# What a build target is, in words.
target_words() {
  case "$1" in
    grade-[0-9][0-9]) echo "the grader of your exercise $((10#${1#grade-}))" ;;
    grade-[0-9][0-9]-solution) local n=${1#grade-}; echo "the grader of solution $((10#${n%-solution}))" ;;
    example-[0-9][0-9]) echo "the example of lesson $((10#${1#example-}))" ;;
    check-build) echo "the workbook, every solution, stub and mutant" ;;
    workbook-watch) echo "the watch tool" ;;
    *) echo "$1" ;;
  esac
}

# progress KIND LABEL LOG: reads a tool's output, keeps all of it in LOG and
# shows on stderr how far it is: nothing for a step that is done within a
# quarter of a second, then a line at least every 3 s (on a terminal, one line
# in place).
# KIND: build (CMake's build tool: "[3/45] Building CXX object ..."), ctest
# ("12/187 Test #3: name ... Passed"), tap (tests/tools/run: "ok 3 - name").
progress() {
  local kind=$1 label=$2 log=$3 line="" part="" done="" last="" failed=0 rc
  local start now next shown=0 every=3000
  progress_tty && every=250
  exec {logfd}>"$log"
  start=$(now_ms); next=$((start + 250))
  while :; do
    rc=0
    IFS= read -r -t 0.25 part || rc=$?
    if [ "$rc" -gt 128 ]; then
      line+=$part    # a timeout: keep what came of the line
    else
      line+=$part
      if [ "$rc" = 0 ] || [ -n "$line" ]; then
        printf '%s\n' "$line" >&"$logfd"
        case $kind in
          build)
            if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\]\ (.*)$ ]]; then
              done="${BASH_REMATCH[1]} of ${BASH_REMATCH[2]} steps"; last=${BASH_REMATCH[3]}
              [[ "$last" =~ VerifyGlobs|^Re-checking ]] && last="looking for new files"
            elif [[ "$line" =~ ^\[\ *([0-9]+)%\]\ (.*)$ ]]; then
              done="${BASH_REMATCH[1]}%"; last=${BASH_REMATCH[2]}
            elif [[ "$line" =~ ^--\ (Configuring|Generating) ]]; then
              last="configuring (CMake)"
            fi ;;
          ctest)
            if [[ "$line" =~ ^\ *([0-9]+)/([0-9]+)\ Test\ +#[0-9]+:\ ([^ ]+)\ .*\ (Passed|\*\*\*Failed|Failed|\*\*\*Timeout|\*\*\*Exception) ]]; then
              done="${BASH_REMATCH[1]} of ${BASH_REMATCH[2]}"; last=${BASH_REMATCH[3]}
              [ "${BASH_REMATCH[4]}" = Passed ] || failed=$((failed + 1))
            fi ;;
          tap)
            if [[ "$line" =~ ^(ok|not\ ok)\ ([0-9]+)\ -\ (.*)$ ]]; then
              done="${BASH_REMATCH[2]}"; last=${BASH_REMATCH[3]%% (*}
              [ "${BASH_REMATCH[1]}" = ok ] || failed=$((failed + 1))
            fi ;;
        esac
      fi
      line=""
      [ "$rc" = 0 ] || break    # the end of the output
    fi
    now=$(now_ms)
    if [ "$now" -ge "$next" ]; then
      local what=$last secs=$(((now - start) / 1000)) bad=""
      [ "$failed" = 0 ] || bad=", $failed failed"
      case $kind in
        build)
          case "$what" in
            "Building CXX object "*) what=${what#Building CXX object }; what=${what%.o}; what="compiled ${what#*.dir/}" ;;
            "Linking CXX "*) what="linked ${what##* }" ;;
            "Built target "*) what="finished ${what#Built target }" ;;
          esac
          if [ -n "$done" ]; then status "Building $label: $done done ($secs s)${what:+; the last: $what}"
          else status "Building $label ($secs s)..."; fi ;;
        *)
          if [ -n "$done" ]; then status "$label: $done done$bad ($secs s); the last: $what"
          else status "$label ($secs s)..."; fi ;;
      esac
      shown=1; next=$((now + every))
    fi
  done
  exec {logfd}>&-
  if [ "$shown" = 1 ]; then
    status_clear
    # A line that stays, for a build worth mentioning.
    local secs=$((($(now_ms) - start) / 1000))
    [ "$kind" = build ] && [ "$secs" -ge 2 ] && printf 'Built %s in %s s.\n' "$label" "$secs" >&2
  fi
  return 0
}

# build_targets TARGET...: builds them, with progress on stderr; the full log
# is $BUILD/last-build.log. On failure, the compiler's words on stdout.
build_targets() {
  local label rc=0
  if [ $# -eq 1 ]; then label=$(target_words "$1"); else label="${BUILD_LABEL:-$# targets}"; fi
  # (PIPESTATUS inside the braces: after "|| true" it would be true's.)
  # shellcheck disable=SC2086
  { cmake --build "$BUILD" --target "$@" -- ${WB_BUILD_ARGS:-} 2>&1 </dev/null |
      progress build "$label" "$BUILD/last-build.log"; rc=${PIPESTATUS[0]}; } || true
  if [ "$rc" != 0 ]; then
    # Show the compiler's words: the learner needs them.
    compiler_words <"$BUILD/last-build.log" | head -80 || true
    say ""
    say "The build failed (full log: $BUILD/last-build.log)."
    return 1
  fi
}

# Builds several targets at once, in parallel, carrying on past failures; the
# failures are reported later, one target at a time, by build_targets.
prebuild_targets() {
  local keep_going="-k"
  grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja' "$BUILD/CMakeCache.txt" 2>/dev/null && keep_going="-k 0"
  # shellcheck disable=SC2086
  cmake --build "$BUILD" --target "$@" -- $keep_going ${WB_BUILD_ARGS:-} 2>&1 </dev/null |
    progress build "${BUILD_LABEL:-the graders of $# exercises}" "$BUILD/prebuild.log" || true
  save_learner_warnings_from "$BUILD/prebuild.log"
}

# ---- warnings in the learner's own file ------------------------------------------
# A build that compiled exercises/NN-slug/x.cpp leaves the compiler's words for
# it in $BUILD/warnings/NN-slug.txt (empty when there were none); a build that
# did not recompile it leaves the file as it was, so the warnings are shown on
# every grade until they are fixed.
save_learner_warnings_from() {
  local log=$1 id
  [ -f "$log" ] || return 0
  mkdir -p "$BUILD/warnings"
  for id in $(grep -oE 'Building CXX object .*exercises/[0-9][0-9]-[a-z0-9-]+/' "$log" 2>/dev/null |
      grep -oE '[0-9][0-9]-[a-z0-9-]+/$' | tr -d / | sort -u); do
    awk -v pat="exercises/$id/" -f scripts/lib/warnings.awk "$log" | compiler_words >"$BUILD/warnings/$id.txt"
  done
}

# learner_warnings NN: the warnings of the learner's file (after a build), or nothing.
learner_warnings() {
  local id file
  [ "${SOLUTIONS:-}" = 1 ] && return 0
  id=$(lesson_id "$1"); file="$BUILD/warnings/$id.txt"
  save_learner_warnings_from "$BUILD/last-build.log"
  [ -s "$file" ] || return 0
  say "Your file compiles, with warnings (each one is worth reading: they often point at the bug):"
  head -n 60 "$file"
  say ""
}

# ---- grading one exercise -------------------------------------------------------
# The plain copy of exercise NN's last grade: the learner's, or the solution's
# with SOLUTIONS=1 (kept apart, or a teacher's SOLUTIONS=1 run would read as
# the learner's exercise passing to make hint-N and watch).
result_log() {
  if [ "${SOLUTIONS:-}" = 1 ]; then echo "$BUILD/results/$(lesson_id "$1").solution.txt"
  else echo "$BUILD/results/$(lesson_id "$1").txt"; fi
}

grader_target() {
  local nn=$1
  if [ "${SOLUTIONS:-}" = 1 ]; then echo "grade-$nn-solution"; else echo "grade-$nn"; fi
}

# classify_log LOG -> "status<TAB>first failing behaviour", from a grader's output.
# status: passed | failing | not started | no server | timed out | crashed | no tests |
#         won't build
# The grader's RESULT line is the contract (see workbook/src/grading_main.cpp):
#   PASSED (...) | FAILED (F of N behaviours failing; K not implemented yet...) |
#   NO SERVER (why) | TIMED OUT (what) | CRASHED (what) | NO TESTS (...)
classify_log() {
  local log=$1 line first status reason=""
  line=$(grep -E '^RESULT ' "$log" | tail -n 1 || true)
  first=$(grep -E '^First failing behaviour: ' "$log" | head -n 1 | sed 's/^First failing behaviour: //' || true)
  [[ "$line" =~ ^RESULT\ [^:]*:\ [A-Z\ ]+\ \((.*)\)$ ]] && reason=${BASH_REMATCH[1]}
  case "$line" in
    *": PASSED"*) status="passed"; first="" ;;
    *": NO SERVER"*)
      status="no server"
      first=$reason
      [ -n "$first" ] || first=$(grep -v '^RESULT ' "$log" | grep -v '^[[:space:]]*$' | head -n 1 || true) ;;
    *": TIMED OUT"*) status="timed out"; first=$reason ;;
    *": CRASHED"*) status="crashed"; first=$reason ;;
    *": NO TESTS"*) status="no tests"; first="no test matched: $reason" ;;
    *": DOES NOT BUILD"*)
      status="won't build"
      first=$(grep -m 1 -E '(error|Error)[: ]' "$log" | sed "s|$ROOT/||g" || true)
      [ -n "$first" ] || first="see $log" ;;
    *": FAILED"*)
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

# first_failing_task LOG -> N from the grader's "First failing task: N" line, or nothing.
first_failing_task() {
  grep -E '^First failing task: [0-9]+$' "$1" 2>/dev/null | head -n 1 | sed 's/^First failing task: //' || true
}

# True when LOG is a full run (not TEST=/TASK=) newer than every file of the
# exercise and than its grader: what it says is still true.
result_is_fresh() {
  local nn=$1 log=$2 f
  [ -s "$log" ] || return 1
  grep -qE '^RESULT ' "$log" || return 1
  grep -qE '^RESULT .*(only the tests matching|: NO TESTS)' "$log" && return 1
  for f in "$(graded_dir "$nn")"/* "$BUILD/$(grader_target "$nn")"; do
    [ -e "$f" ] || continue
    [ "$log" -nt "$f" ] || return 1
  done
  return 0
}

# The time a grader may run (its own watchdog enforces it and names the test);
# the outer limit is a backstop in case the grader cannot stop itself.
grader_limit() {
  local -a limit=()
  command -v timeout >/dev/null 2>&1 && limit=(timeout --foreground -k 5 "$((${WB_GRADE_TIMEOUT:-120} + 30))")
  printf '%s\n' "${limit[@]}"
}

# grade_lesson NN [xml-report-file]
# Builds and runs the grader of exercise NN (the learner's, or the solution with
# SOLUTIONS=1); its output goes to result_log NN. Sets G_STATUS
# (passed | failing | not started | won't build | no grader | no server |
# crashed | timed out), G_FIRST (the first failing behaviour, or why) and G_LOG.
grade_lesson() {
  local nn=$1 xml=${2:-} id target
  id=$(lesson_id "$nn"); target=$(grader_target "$nn")
  mkdir -p "$BUILD/results"
  G_LOG=$(result_log "$nn"); G_FIRST=""; G_STATUS=""
  if ! has_grader "$nn"; then
    G_STATUS="no grader"; G_FIRST="this lesson has no exercise yet"
    say "Lesson $id has no grader yet." >"$G_LOG"
    return 0
  fi
  ensure_cluster "$nn" >/dev/null 2>&1 || true
  if ! build_targets "$target" >"$G_LOG"; then
    G_STATUS="won't build"
    G_FIRST=$(grep -m 1 -E '(error|Error)[: ]' "$G_LOG" | sed "s|$ROOT/||g" || true)
    [ -n "$G_FIRST" ] || G_FIRST="see $G_LOG"
    return 0
  fi
  local -a args=()
  [ -n "$xml" ] && args=(-r xml -o "$xml")
  local -a limit=()
  mapfile -t limit < <(grader_limit)
  local rc=0 warnings
  warnings=$(learner_warnings "$nn")
  heartbeat_start "Grading exercise $((10#$nn)) ($id)"
  # (The braces keep bash's own "Segmentation fault" line out of the way.)
  { WB_RESULT_FILE="" "${limit[@]}" "$BUILD/$target" "${args[@]}" >"$G_LOG.new" 2>&1; } 2>/dev/null || rc=$?
  heartbeat_stop
  { [ -z "$warnings" ] || printf '%s\n' "$warnings"; cat "$G_LOG.new"; } >"$G_LOG"
  rm -f "$G_LOG.new"
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
  if [ "$G_STATUS" = crashed ] && ! grep -qE '^RESULT ' "$G_LOG"; then
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      G_STATUS="timed out"
      G_FIRST="the grader ran longer than ${WB_GRADE_TIMEOUT:-120} s and could not stop itself: an endless loop, or a wait that never ends?"
    else
      G_FIRST=$(crash_reason "$G_LOG" "$rc")
    fi
  fi
  return 0
}

# Why a grader stopped without its RESULT line (killed from outside, or a
# crash Catch2 could not report): the signal, and the last test it started.
crash_reason() {
  local log=$1 rc=$2 signal="" test
  [ "$rc" -gt 128 ] 2>/dev/null && signal=$(kill -l $((rc - 128)) 2>/dev/null || true)
  test=$(grep -oE '^  \.\.\. test [0-9]+ of [0-9]+: "[^"]*"' "$log" | tail -n 1 | sed 's/^[^"]*//' || true)
  case "$signal" in
    SEGV) signal="SIGSEGV, a bad pointer or reference" ;;
    ABRT) signal="SIGABRT, an abort: often an exception thrown where none may be" ;;
    FPE) signal="SIGFPE, a division by zero" ;;
    KILL) signal="SIGKILL, killed from outside (out of memory?)" ;;
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

# The manifest, read once for this process and the subshells it starts.
MANIFEST_TABLE=""
MANIFEST_TABLE=$(manifest)
