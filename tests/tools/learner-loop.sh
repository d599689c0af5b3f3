# shellcheck shell=bash
# The learner's loop, played as a learner would (sourced by tests/tools/run,
# which lists these tests in its TESTS, in the order they run): never silent,
# one failure at a time, TEST= and TASK=, the time limit, warnings, hints per
# task and their reset, checked.md, watch's order, keys and the save made
# during grading, and no password in any output.

# ---- helpers ----------------------------------------------------------------------
ms_now() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }

# timed_run OUT CMD...: runs CMD (stdout and stderr together), its lines in OUT;
# FIRST_MS: when the first line came, GAP_MS: the longest time without a line
# (to the end included), both from the start, in milliseconds.
timed_run() {
  local out=$1 start last now line
  shift
  start=$(ms_now); last=$start; FIRST_MS=""; GAP_MS=0
  : >"$out"; : >"$out.times"
  while IFS= read -r line; do
    now=$(ms_now)
    [ -n "$FIRST_MS" ] || FIRST_MS=$((now - start))
    [ $((now - last)) -gt "$GAP_MS" ] && GAP_MS=$((now - last))
    last=$now
    printf '%s\n' "$line" >>"$out"
    printf '%6d  %s\n' "$((now - start))" "$line" >>"$out.times"
  done < <("$@" 2>&1 </dev/null)
  now=$(ms_now)
  [ $((now - last)) -gt "$GAP_MS" ] && GAP_MS=$((now - last))
  [ -n "$FIRST_MS" ] || FIRST_MS=$((now - start))
}

grader_of() { echo "$WB/build/grade-$(printf %02d "$1")"; }
# names_of_tests GRADER [SPEC]: the names of its tests, one a line (Catch2 v2 or v3).
names_of_tests() {
  local grader=$1 out
  shift
  # (Catch2 v2 ends a listing with the number of tests as its exit status.)
  out=$("$grader" --list-test-names-only "$@" 2>/dev/null || true)
  if [ -z "$out" ] || grep -qi 'unrecognised' <<<"$out"; then
    out=$("$grader" --list-tests --verbosity quiet "$@" 2>/dev/null || true)
  fi
  grep -v '^RESULT ' <<<"$out" | grep '[^[:space:]]' | sed 's/^  *//'
}
# The first WB_TODO line of the stub, with CODE put in front of it.
stub_with_before_first_todo() {
  git -C "$WB" show "$ORIGIN:exercises/$LID/$(basename "$(main_cpp)")" |
    awk -v code="$1" '!done && /WB_TODO\(/ { print code; done = 1 } { print }'
}
# Lessons with a grader and a solution, in order: "NN-slug" each.
lessons_with_solutions() {
  local nn slug
  while IFS='|' read -r nn slug _; do
    [ -d "$WB/graders/$nn-$slug" ] && [ -d "$WB/solutions/$nn-$slug" ] && [ -d "$WB/exercises/$nn-$slug" ] && echo "$nn-$slug"
  done < <(cd "$WB" && bash -c 'source scripts/lib/common.sh; manifest')
}
use_solution() { local f; for f in "$WB/solutions/$1/"*.cpp; do cp "$f" "$WB/exercises/$1/$(basename "$f")"; done; }
use_stub() { git -C "$WB" checkout -q "$ORIGIN" -- "exercises/$1"; }
no_catch2_noise() {  # FILE: none of Catch2's own lines, no make error line
  ! grep -nE '^~~~~|Catch v[0-9]|Catch2 v[0-9]|Randomness seeded|^={20,}|^-{20,}$|^test cases: |^assertions: |\(0x[0-9a-f]+\)|\{\?\}|^make(\[[0-9]+\])?: \*\*\*' "$1"
}

# ---- never silent -------------------------------------------------------------------
# The first make test-N of a fresh clone: configure, build, grade.
test_the_first_make_test_is_never_silent() {
  set_exercise stub
  rm -rf "$WB/build"
  local out=$SCRATCH/first-test.txt
  timed_run "$out" make -s --no-print-directory -C "$WB" "test-$L"
  echo "# first make test-$L of a fresh clone: first line after $FIRST_MS ms, longest pause $GAP_MS ms, $(wc -l <"$out") lines" >&2
  check "the first line within a second (it came after $FIRST_MS ms)" [ "$FIRST_MS" -le 1000 ] || { cat "$out"; return 1; }
  check "no pause over 5 s (the longest: $GAP_MS ms)" [ "$GAP_MS" -le 5000 ] || { cat "$out.times"; uptime; return 1; }
  check "it says it configures" grep -q "Configuring the build" "$out" || { cat "$out"; return 1; }
  check "it says what it builds, N of M" grep -qE "Building the grader of your exercise $L: [0-9]+ of [0-9]+ steps" "$out" || { cat "$out"; return 1; }
  check "and then grades" grep -q "^RESULT " "$out" || { cat "$out"; return 1; }
}

# make test with graders still to build, and make next.
test_make_test_and_next_are_never_silent() {
  local -a ids=()
  mapfile -t ids < <(lessons_with_solutions | head -n 3)
  check "three lessons with graders" [ ${#ids[@]} -ge 2 ] || return 1
  local id range="$((10#${ids[0]%%-*}))-$((10#${ids[-1]%%-*}))"
  for id in "${ids[@]}"; do use_stub "$id"; done
  local out=$SCRATCH/test-all.txt
  timed_run "$out" env LESSONS="$range" make -s --no-print-directory -C "$WB" test
  echo "# make test LESSONS=$range (graders to build): first line after $FIRST_MS ms, longest pause $GAP_MS ms" >&2
  check "the first line within a second ($FIRST_MS ms)" [ "$FIRST_MS" -le 1000 ] || { cat "$out"; return 1; }
  check "no pause over 5 s ($GAP_MS ms)" [ "$GAP_MS" -le 5000 ] || { cat "$out.times"; uptime; return 1; }
  check "the table" grep -qE "^N +lesson +status" "$out" || { cat "$out"; return 1; }
  timed_run "$out" env LESSONS="$range" make -s --no-print-directory -C "$WB" next
  check "make next: no pause over 5 s ($GAP_MS ms)" [ "$GAP_MS" -le 5000 ] || { cat "$out.times"; uptime; return 1; }
}

# ---- one failure at a time ---------------------------------------------------------------
test_a_stub_says_not_implemented_once_per_task() {
  set_exercise stub
  local out=$SCRATCH/stub.txt rc=0
  make -s --no-print-directory -C "$WB" "test-$L" >"$out" 2>&1 </dev/null || rc=$?
  check "exit 0: a failing grade is a result, not make's error" [ "$rc" = 0 ] || { cat "$out"; return 1; }
  check "no Catch2 banner, hex, {?} or make error line" no_catch2_noise "$out" || { cat "$out"; return 1; }
  check "RESULT is the last line" bash -c "tail -n 1 '$out' | grep -q '^RESULT '" || { cat "$out"; return 1; }
  local tasks dup
  tasks=$(grep -v -E '^(First failing behaviour:|RESULT )' "$out" | grep -oE 'task [0-9]+ \([a-z_0-9]+\)( in [^ ]+ still throws| is not implemented)' | grep -oE '^task [0-9]+')
  check "not implemented is named for every task" [ "$(grep -c . <<<"$tasks")" -ge 2 ] || { cat "$out"; return 1; }
  dup=$(sort <<<"$tasks" | uniq -d)
  check "once per task (twice: ${dup:-none})" [ -z "$dup" ] || { cat "$out"; return 1; }
  check "First failing task: 1" grep -q '^First failing task: 1$' "$out" || { cat "$out"; return 1; }
  rc=0; WB_STRICT=1 make -s --no-print-directory -C "$WB" "test-$L" >/dev/null 2>&1 </dev/null || rc=$?
  check "WB_STRICT=1: the grade is the exit status" [ "$rc" != 0 ] || return 1
}

test_a_failing_run_shows_the_first_failure_in_full_and_the_others_one_line_each() {
  set_exercise mutant
  local out=$SCRATCH/mutant.txt verbose=$SCRATCH/mutant-verbose.txt
  make -s --no-print-directory -C "$WB" "test-$L" >"$out" 2>&1 </dev/null
  check "no Catch2 noise" no_catch2_noise "$out" || { cat "$out"; return 1; }
  check "First failing task: N" grep -qE '^First failing task: [0-9]+$' "$out" || { cat "$out"; return 1; }
  # The first failure: a header line, then indented lines (what was expected and seen, the check).
  check "the first failure in full: its lines below it" awk '
      /^✗ / && !seen { seen = 1; getline; if ($0 ~ /^    [^ ]/) n++; getline; if ($0 ~ /^    /) n++ }
      END { exit !(n == 2) }' "$out" || { cat "$out"; return 1; }
  check "the check and its values" grep -qE '^    (check|values|threw)' "$out" || { cat "$out"; return 1; }
  check "one full block only" [ "$(grep -c '^✗ ' "$out")" = 1 ] || { cat "$out"; return 1; }
  check "the others one line each" awk '
      /^Also failing/ { on = 1; next } on && /^$/ { on = 0 }
      on && !/^  ✗ / { bad = 1 } END { exit bad }' "$out" || { cat "$out"; return 1; }
  make -s --no-print-directory -C "$WB" "test-$L" VERBOSE=1 >"$verbose" 2>&1 </dev/null
  local total shown
  total=$(names_of_tests "$(grader_of "$L")" | grep -c .)
  shown=$(grep -cE '^(✓|✗) ' "$verbose")
  check "VERBOSE=1: every test, passed or failed ($shown of $total)" [ "$shown" = "$total" ] || { cat "$verbose"; return 1; }
  check "VERBOSE=1: more than the default" [ "$(wc -l <"$verbose")" -gt "$(wc -l <"$out")" ] || return 1
}

test_TEST_and_TASK_run_only_the_matching_tests() {
  set_exercise stub
  local grader names first words out count total
  grader=$(grader_of "$L")
  names=$(names_of_tests "$grader")
  total=$(grep -c . <<<"$names")
  first=$(head -n 1 <<<"$names")
  words=$(awk '{ print $1, $2 }' <<<"$first")
  out=$(TEST="$words" make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  count=$(grep -cF "$words" <<<"$names")
  check "TEST=\"$words\": only the $count matching tests" grep -qE "^Grading $LID: $count behaviours?, the ones matching" <<<"$out" || { echo "$out"; return 1; }
  check "and the RESULT says so" grep -qE "^RESULT $LID: FAILED \(.*only the tests matching" <<<"$out" || { echo "$out"; return 1; }
  local task1
  task1=$(names_of_tests "$grader" "[task1]" | grep -c .)
  out=$(TASK=1 make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  check "TASK=1: the $task1 tests of task 1" grep -qE "^Grading $LID: $task1 behaviours?, the ones matching \"\[task1\]\"" <<<"$out" || { echo "$out"; return 1; }
  check "fewer than all $total" [ "$task1" -lt "$total" ] || return 1
  out=$(TEST="no test has this name" make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  check "a TEST that matches nothing says so" grep -q "^RESULT $LID: NO TESTS" <<<"$out" || { echo "$out"; return 1; }
  check "and lists the tests to choose from" grep -qF "  $first" <<<"$out" || { echo "$out"; return 1; }
}

# ---- the time limit ---------------------------------------------------------------------
test_the_time_limit_names_the_test_that_never_ends() {
  local first out t0 secs left kind code
  first=$(names_of_tests "$(grader_of "$L")" "[task1]" | head -n 1)
  for kind in spin block; do
    case $kind in
      spin) code='{ static volatile bool spin = true; while (spin) { } }' ;;
      block) code='std::this_thread::sleep_for(std::chrono::hours(1));' ;;
    esac
    { echo '#include <thread>'; stub_with_before_first_todo "$code"; } >"$(main_cpp)"
    t0=$SECONDS
    out=$(WB_TEST_TIMEOUT=3 make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
    secs=$((SECONDS - t0))
    echo "# $kind: stopped after $secs s (the build included)" >&2
    check "$kind: it stops (in $secs s)" [ "$secs" -lt 60 ] || { echo "$out"; return 1; }
    check "$kind: RESULT TIMED OUT names the test" grep -qF "RESULT $LID: TIMED OUT (\"$first\" was still running after 3 s" <<<"$out" || { echo "$out"; return 1; }
    check "$kind: it says what that usually is" grep -q "An endless loop, or a wait that never ends" <<<"$out" || { echo "$out"; return 1; }
    left=$(ps -eo args | grep -F "$(grader_of "$L")" | grep -vc grep || true)
    check "$kind: no grader process left ($left)" [ "$left" = 0 ] || return 1
  done
  set_exercise stub
}

# ---- warnings ------------------------------------------------------------------------------
test_warnings_in_the_learners_file_are_shown_when_it_builds() {
  stub_with_before_first_todo 'int wb_tools_test_unused = 0;' >"$(main_cpp)"
  local out
  out=$(make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  check "the build succeeds and grades" grep -q "^RESULT $LID: FAILED" <<<"$out" || { echo "$out"; return 1; }
  check "the warning is shown" grep -qE "exercises/$LID/[^:]+:[0-9]+:[0-9]+: warning: unused variable .wb_tools_test_unused." <<<"$out" || { echo "$out"; return 1; }
  out=$(make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  check "and again when nothing was rebuilt" grep -q "warning: unused variable" <<<"$out" || { echo "$out"; return 1; }
  set_exercise stub
  out=$(make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  check "gone once fixed" bash -c "! grep -q 'warning:' <<<\"\$0\"" "$out" || { echo "$out"; return 1; }
}

test_a_file_that_does_not_build_shows_the_compilers_words() {
  stub_with_before_first_todo 'this is not C++;' >"$(main_cpp)"
  local out rc=0
  out=$(make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null) || rc=$?
  check "the compiler's error, in the learner's file" grep -qE "exercises/$LID/[^:]+:[0-9]+:[0-9]+: error:" <<<"$out" || { echo "$out"; return 1; }
  check "RESULT: DOES NOT BUILD" grep -q "^RESULT $LID: DOES NOT BUILD" <<<"$out" || { echo "$out"; return 1; }
  check "no make error line" bash -c "! grep -q '^make.*\*\*\*' <<<\"\$0\"" "$out" || { echo "$out"; return 1; }
  rc=0; WB_STRICT=1 make -s --no-print-directory -C "$WB" "test-$L" >/dev/null 2>&1 </dev/null || rc=$?
  check "WB_STRICT=1: exit non-zero" [ "$rc" != 0 ] || return 1
  local status
  status=$(LESSONS=$L make -s --no-print-directory -C "$WB" test 2>&1 </dev/null | grep -E "^$L +")
  check "make test: won't build" grep -q "won't build" <<<"$status" || { echo "$status"; return 1; }
  set_exercise stub
}

# ---- hints ------------------------------------------------------------------------------------
# A manifest with tiers for two tasks of lesson L, in place of the lesson's own
# hints, for the length of a test.
with_task_hints() {  # TASK-A TASK-B
  cp "$WB/lessons/manifest.txt" "$SCRATCH/manifest.saved"
  awk -v l="[$(printf %02d "$L")]" -v a="$1" -v b="$2" '
    /^\[/ { in_l = ($0 == l) }
    in_l && /^hint/ { next }
    { print }
    $0 == l { print "hint " a " = TOOLS-TEST tier 1 of task " a
              print "hint " a " = TOOLS-TEST tier 2 of task " a
              print "hint " b " = TOOLS-TEST tier 1 of task " b }' "$SCRATCH/manifest.saved" >"$WB/lessons/manifest.txt"
}
without_task_hints() { cp "$SCRATCH/manifest.saved" "$WB/lessons/manifest.txt"; }

test_hints_start_from_the_task_of_the_first_failing_test() {
  set_exercise mutant
  local out task other
  out=$(make -s --no-print-directory -C "$WB" "test-$L" 2>&1 </dev/null)
  task=$(grep -oE '^First failing task: [0-9]+$' <<<"$out" | grep -oE '[0-9]+$')
  check "the mutant fails in a task" [ -n "$task" ] || { echo "$out"; return 1; }
  other=1; [ "$task" = 1 ] && other=2
  with_task_hints "$task" "$other"
  rm -rf "$WB/.state/hints"
  out=$(make -s --no-print-directory -C "$WB" "hint-$L" 2>&1 </dev/null)
  check "task $task's first tier" grep -q "  1. TOOLS-TEST tier 1 of task $task" <<<"$out" || { without_task_hints; echo "$out"; return 1; }
  check "the heading names task $task" grep -q "Hints for exercise $L, task $task .*1 of 2:" <<<"$out" || { without_task_hints; echo "$out"; return 1; }
  check "not another task's" bash -c "! grep -q 'of task $other' <<<\"\$0\"" "$out" || { without_task_hints; echo "$out"; return 1; }
  check "the last grade was used: no grading" bash -c "! grep -q 'Grading exercise' <<<\"\$0\"" "$out" || { without_task_hints; echo "$out"; return 1; }
  out=$(make -s --no-print-directory -C "$WB" "hint-$L" 2>&1 </dev/null)
  check "then its second tier" grep -q "  2. TOOLS-TEST tier 2 of task $task" <<<"$out" || { without_task_hints; echo "$out"; return 1; }
  out=$(make -s --no-print-directory -C "$WB" "hint-$L" 2>&1 </dev/null)
  check "and says it was the last for that task" grep -q "That was the last hint for task $task" <<<"$out" || { without_task_hints; echo "$out"; return 1; }
  # Another file: the last grade is older than it, so hint grades first, and
  # follows the stub's first failing task (1).
  set_exercise stub
  out=$(make -s --no-print-directory -C "$WB" "hint-$L" 2>&1 </dev/null)
  without_task_hints
  check "after the file changed it grades first" grep -q "Grading exercise $L first" <<<"$out" || { echo "$out"; return 1; }
  if [ "$other" = 1 ]; then
    check "and follows the new first failing task (1)" grep -q "  1. TOOLS-TEST tier 1 of task 1" <<<"$out" || { echo "$out"; return 1; }
  fi
}

test_reset_also_resets_hint_progress() {
  set_exercise stub
  rm -rf "$WB/.state/hints"
  wbmake "hint-$L" >/dev/null 2>&1
  wbmake "hint-$L" >/dev/null 2>&1
  check "hint progress was kept" [ -d "$WB/.state/hints/$(printf %02d "$L")" ] || return 1
  echo "// the learner's work" >>"$(main_cpp)"
  local out
  out=$(FORCE=1 wbmake "reset-$L" 2>&1)
  check "reset says so" grep -q "Hint progress of exercise $L is reset too" <<<"$out" || { echo "$out"; return 1; }
  check "and it is gone" [ ! -e "$WB/.state/hints/$(printf %02d "$L")" ] || return 1
  out=$(wbmake "hint-$L" 2>&1)
  check "the next hint is the first again" grep -qE " 1 of [0-9]+:" <<<"$out" || { echo "$out"; return 1; }
  out=$(FORCE=1 wbmake "reset-$L" 2>&1)
  check "with nothing to reset in the files, the hints are still reset" grep -q "Hint progress of exercise $L is reset too" <<<"$out" || { echo "$out"; return 1; }
}

# ---- checked.md --------------------------------------------------------------------------
test_checked_md_is_shown_when_the_lesson_passes() {
  local note=$WB/graders/$LID/checked.md out
  set_exercise solution
  rm -f "$note"
  out=$(wbmake "test-$L" 2>&1)
  check "without checked.md: a one-line note" [ "$(grep -c "graders/$LID/checked.md" <<<"$out")" = 1 ] || { echo "$out"; return 1; }
  printf 'The grader checked:\n- TOOLS-TEST the first mistake it rejects\n' >"$note"
  out=$(wbmake "test-$L" 2>&1)
  check "with it: its heading" grep -q "What the grader checked (graders/$LID/checked.md):" <<<"$out" || { rm -f "$note"; echo "$out"; return 1; }
  check "and its text" grep -q "TOOLS-TEST the first mistake it rejects" <<<"$out" || { rm -f "$note"; echo "$out"; return 1; }
  out=$(TASK=1 wbmake "test-$L" 2>&1)
  check "not after a run of some tests only" bash -c "! grep -q TOOLS-TEST <<<\"\$0\"" "$out" || { rm -f "$note"; echo "$out"; return 1; }
  set_exercise stub
  out=$(wbmake "test-$L" 2>&1)
  rm -f "$note"
  check "not when it fails" bash -c "! grep -q TOOLS-TEST <<<\"\$0\"" "$out" || { echo "$out"; return 1; }
}

# ---- watch ------------------------------------------------------------------------------
# watch-3 on a passing exercise 3 goes to the unstarted 2 (not to 4), and a
# save in 3 brings it back to 3.
test_watch_goes_to_the_first_exercise_not_passing_and_follows_edits() {
  local -a ids=()
  mapfile -t ids < <(lessons_with_solutions | head -n 3)
  check "three lessons with solutions" [ ${#ids[@]} = 3 ] || return 1
  local a=${ids[0]} b=${ids[1]} c=${ids[2]}
  local na=$((10#${a%%-*})) nb=$((10#${b%%-*})) nc=$((10#${c%%-*}))
  use_solution "$a"; use_stub "$b"; use_solution "$c"
  local out=$SCRATCH/watch-order.txt
  start_job "$out" env LESSONS="$na-$nc" WB_WATCH_PAUSE=0 make -s --no-print-directory -C "$WB" "watch-$nc"
  check "exercise $nc passes" wait_for "$out" "^Exercise $nc passes" 240 || { cat "$out"; return 1; }
  check "then it goes to $nb, the first that does not pass" wait_for "$out" "^== make watch: exercise $nb," 240 || { cat "$out"; return 1; }
  check "not to $na (it passes)" bash -c "! grep -q '^== make watch: exercise $na,' '$out'" || { cat "$out"; return 1; }
  check "watching $nb" wait_for "$out" "^Watching exercises/$b/" 60 || { cat "$out"; return 1; }
  use_stub "$c"
  check "a save in $nc brings it back to $nc" wait_for "$out" "^Watching exercises/$c/" 60 || { cat "$out"; return 1; }
  check "and grades it: not started" grep -q "^Status: not started" "$out" || { cat "$out"; return 1; }
  kill -INT -- "-$JOB" 2>/dev/null; wait_job 10 || true
  use_stub "$a"
}

# The race of issue 14: a save while grading runs must be graded.
test_watch_grades_a_save_made_while_grading() {
  # A stub whose first test takes 4 s: time to save while it is graded.
  { echo '#include <thread>'; stub_with_before_first_todo 'std::this_thread::sleep_for(std::chrono::seconds(4));'; } >"$(main_cpp)"
  local out=$SCRATCH/watch-race.txt
  start_job "$out" env LESSONS="$L" WB_WATCH_PAUSE=0 make -s --no-print-directory -C "$WB" "watch-$L"
  check "grading starts" wait_for "$out" "Grading exercise $L \\($LID\\)" 240 || { cat "$out"; return 1; }
  mutant_source >"$(main_cpp)"   # saved while the slow grade runs
  check "that grade ends" wait_for "$out" '^Watching ' 60 || { cat "$out"; return 1; }
  check "and the save is graded right after it: failing" wait_for "$out" '^Status: failing' 60 || { cat "$out"; return 1; }
  kill -INT -- "-$JOB" 2>/dev/null; wait_job 10 || true
  check "the output is plain text: no escape codes without a terminal" bash -c "! grep -q $'\\033' '$out'" || return 1
  set_exercise stub
}

test_watch_keys_colour_and_progress_on_a_terminal() {
  command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1 ||
    { echo "SKIP: no util-linux 'script' to play a terminal"; return 0; }
  set_exercise stub
  local out=$SCRATCH/watch-keys.txt colours
  for colours in yes no; do
    : >"$out"
    (
      wait_for "$out" 'Keys: h hint' 180 || exit 1
      printf 'l'; sleep 1; printf '\r'; sleep 2
      printf 'h'; wait_for "$out" 'Hints for exercise' 60; sleep 1
      printf 'q'; sleep 3
    ) | if [ "$colours" = yes ]; then
      env -u NO_COLOR LESSONS="$L" TERM=xterm script -qfec "make -s --no-print-directory -C '$WB' watch-$L" "$out" >/dev/null 2>&1
    else
      env NO_COLOR=1 LESSONS="$L" TERM=xterm script -qfec "make -s --no-print-directory -C '$WB' watch-$L" "$out" >/dev/null 2>&1
    fi
    check "$colours colour: a progress bar" grep -qE 'Progress: .*\[[#-]+\] +[0-9]+ of [0-9]+ exercises pass' "$out" || { cat -v "$out" | tail -40; return 1; }
    check "$colours colour: l lists the exercises" grep -q "The exercises (status as last graded):" "$out" || { cat -v "$out" | tail -40; return 1; }
    check "$colours colour: h gives a hint" grep -q "Hints for exercise $L" "$out" || { cat -v "$out" | tail -40; return 1; }
    check "$colours colour: q stops" grep -q "Stopped watching" "$out" || { cat -v "$out" | tail -40; return 1; }
    if [ "$colours" = yes ]; then
      check "colour on a terminal" grep -q $'\033\\[3[1-6]m' "$out" || { cat -v "$out" | tail -20; return 1; }
    else
      check "NO_COLOR: no colour" bash -c "! grep -q $'\\033\\[3[1-6]m' '$out'" || { cat -v "$out" | tail -20; return 1; }
    fi
  done
}

# ---- passwords -----------------------------------------------------------------------------
test_no_password_in_any_output() {
  local pw='s3cr@t:p%40ss@w0rd' out files=""
  local VK_HOST="" VK_PORT=""
  eval "$(cd "$WB" && infra/wb-url shell VK VALKEY_URL redis://127.0.0.1:6379 2>/dev/null | grep -E '^VK_(HOST|PORT)=')"
  set_exercise stub
  wbmake "test-$L" >/dev/null 2>&1   # built
  out=$(
    # No server there (127.0.0.2 is not one the workbook starts): make test, make report.
    VALKEY_URL="redis://:$pw@127.0.0.2:1" wbmake "test-$L" 2>&1
    LESSONS=$L VALKEY_URL="redis://learner:$pw@127.0.0.2:1" wbmake report 2>&1
    # The real server, the wrong login: the grader itself.
    VALKEY_URL="redis://learner:$pw@$VK_HOST:$VK_PORT" "$(grader_of "$L")" 2>&1
    VALKEY_URL="redis://:$pw@$VK_HOST:$VK_PORT" "$(grader_of "$L")" 2>&1
  )
  check "the runs said why they could not grade" grep -q "NO SERVER" <<<"$out" || { echo "$out"; return 1; }
  check "a wrong login reads as a refused login" grep -q "refused the login" <<<"$out" || { echo "$out"; return 1; }
  check "not as a server to start" bash -c "! grep -q 'refused the login.*infra-up' <<<\"\$0\"" "$out" || { echo "$out"; return 1; }
  local piece bad=""
  for piece in "s3cr" "p%40ss" "p@ss" "w0rd"; do
    grep -qF "$piece" <<<"$out" && bad="$bad output:$piece"
    files=$(grep -rlF "$piece" "$WB/build/results" "$WB/build/report" 2>/dev/null || true)
    [ -z "$files" ] || bad="$bad files:$piece($files)"
  done
  check "no piece of the password anywhere:${bad:- none}" [ -z "$bad" ] || { echo "$out"; return 1; }
}
