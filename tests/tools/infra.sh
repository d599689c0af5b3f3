# shellcheck shell=bash
# Tests of the infrastructure: infra/infra.sh, infra/wb-url, scripts/setup.sh
# and the Docker path. Sourced by tests/tools/run, whose helpers (check,
# wbmake, start_job, SCRATCH, WB, MAIN, MAIN_BUILD) they use.
#
# Each test that starts servers starts them in the scratch clone ($WB), on
# free loopback ports of its own, and stops them when it ends, whatever
# happened (an EXIT trap in the test's subshell). Run as root, the scratch
# clone sits in a private folder (mktemp -d), so the servers' accounts cannot
# reach it: these tests then also prove the folders made outside the project
# (/var/tmp/valkey-workbook-*) and their removal.

# A password that holds every character with a meaning in a URL, written
# percent-encoded in the URLs. Neither form, nor a piece of either, may appear
# in any output, log or report.
INFRA_PASSWORD='s3@cr:et%V@l:/%ue'
INFRA_ENCODED='s3%40cr%3Aet%25V%40l%3A%2F%25ue'
INFRA_PIECES=("$INFRA_PASSWORD" "$INFRA_ENCODED" 'cr:et%V' 'cr%3Aet' 'et%25V' 'V@l:/' '%ue')

# A free loopback port (nothing accepts connections there), below Linux's
# ephemeral range (32768 and up), where a client's connection could take it.
infra_free_port() {
  local p tries
  for ((tries = 0; tries < 100; tries++)); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# For check, which runs its command as given (a "!" there would be a command).
quiet_port() { ! (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
lacks() { ! grep -q "$@"; }

# Ports and URLs of this test's own servers (password: the encoded one, or $1).
infra_urls() {
  IV=$(infra_free_port) && IP=$(infra_free_port) || return 1
  [ "$IV" != "$IP" ] || IP=$((IV + 1))
  local pw=${1-$INFRA_ENCODED}
  if [ -n "$pw" ]; then
    export VALKEY_URL="redis://:$pw@127.0.0.1:$IV" DATABASE_URL="postgresql://workbook:$pw@127.0.0.1:$IP/workbook"
  else
    export VALKEY_URL="redis://127.0.0.1:$IV" DATABASE_URL="postgresql://workbook:workbook@127.0.0.1:$IP/workbook"
  fi
}
# Stops whatever this test started in the scratch clone.
infra_stop() {
  (cd "$WB" && infra/infra.sh down && infra/infra.sh second-server stop) >/dev/null 2>&1 || true
}
# The folders under /var/tmp and /tmp this workbook makes, one a line.
# This clone's folders outside the project (infra.sh writes the checkout's
# path into each): another clone's make check on this machine makes and
# removes its own there meanwhile, and they are not this test's business.
infra_outside() {
  local d here
  here=$(pwd -P)
  for d in /var/tmp/valkey-workbook-* /tmp/valkey-workbook-*; do
    [ -d "$d" ] && [ "$(cat "$d/.workbook-project" 2>/dev/null)" = "$here" ] && echo "$d"
  done | sort
  return 0
}
# Fails (naming where) when any piece of the password is in the files or
# folders given.
infra_no_password_in() {
  local piece hits=""
  for piece in "${INFRA_PIECES[@]}"; do
    hits+=$(grep -rlF -e "$piece" "$@" 2>/dev/null | grep -v '/\.state/valkey\.conf$' || true)
  done
  [ -z "$hits" ] || { echo "the password (or a piece of it) is in:"; sort -u <<<"$hits"; return 1; }
}

test_infra_url_tool_reads_urls_as_the_library_does() {
  local out
  out=$(U="redis://us%65r:$INFRA_ENCODED@h:7/3" infra/wb-url shell X U 2>&1) || { echo "$out"; return 1; }
  eval "$out"
  check "the user is decoded" [ "$X_USER" = user ] &&
    check "the password is decoded, every character of it" [ "$X_PASSWORD" = "$INFRA_PASSWORD" ] &&
    check "host, port, database" [ "$X_HOST/$X_PORT/$X_DB/$X_LOCAL" = "h/7/3/0" ] &&
    check "the shown URL hides it" [ "$X_SHOWN" = "redis://us%65r:***@h:7/3" ] || return 1
  out=$(U="Redis://pw@localhost" infra/wb-url shell X U 2>&1) && eval "$out"
  check "scheme case-insensitive, a lone credential is the password, localhost is local" \
    [ "$X_SCHEME/$X_PASSWORD/$X_LOCAL/$X_PORT" = "redis/pw/1/6379" ] || return 1
  out=$(U="postgresql://u:$INFRA_ENCODED@127.0.0.1/db?sslmode=disable&statement_timeout=500" infra/wb-url shell P U 2>&1) && eval "$out"
  check "PostgreSQL: settings by name" [ "$P_SET_SSLMODE/$P_SET_STATEMENT_TIMEOUT/$P_PATH/$P_PORT" = "disable/500/db/5432" ] || return 1
  # Refusals: the reason, never the password.
  local rc=0
  out=$(U="redis://:$INFRA_ENCODED@h:oops" infra/wb-url shell X U 2>&1) || rc=$?
  check "a bad port is refused (exit 2)" [ "$rc" = 2 ] && check "it says why" grep -q "port that is not a number" <<<"$out" &&
    check "it names the variable" grep -q "^U 'redis://:\*\*\*@h:oops'" <<<"$out" || { echo "$out"; return 1; }
  out=$(U="postgresql://u:$INFRA_ENCODED@h/db?sslmod=x" infra/wb-url shell X U 2>&1)
  check "an unknown setting is refused by name" grep -q "'sslmod'" <<<"$out" || { echo "$out"; return 1; }
  out=$(U="redis://:pa%zz$INFRA_PASSWORD@h:1" infra/wb-url shell X U 2>&1)
  check "a broken escape is refused" grep -q "%XX" <<<"$out" || { echo "$out"; return 1; }
  # The values survive eval whatever they hold: quotes, $, backquotes.
  out=$(U="redis://:%27%24(touch%20$SCRATCH/pwned)%60x%60%22@h:1" infra/wb-url shell X U 2>&1) && eval "$out"
  check "a quote, \$( ) and a backquote in a password stay text" [ "$X_PASSWORD" = "'\$(touch $SCRATCH/pwned)\`x\`\"" ] &&
    check "and run nothing" [ ! -e "$SCRATCH/pwned" ] || return 1
  out=$(U="redis://:a%22b%5Cc@h:1" infra/wb-url valkey-conf U)
  check "valkey.conf's quoting" [ "$out" = 'requirepass "a\"b\\c"' ] || { echo "$out"; return 1; }
  infra_no_password_in <(U="redis://:$INFRA_ENCODED@h:oops" infra/wb-url shell X U 2>&1; U="redis://:$INFRA_ENCODED@h:1" infra/wb-url redact U)
}

test_infra_a_password_with_at_colon_percent_never_shows() {
  trap infra_stop EXIT
  infra_urls || return 1
  local out=$SCRATCH/infra-password.out rc
  infra/infra.sh up >"$out" 2>&1 || { cat "$out"; return 1; }
  check "both answer with the URLs' logins" infra/infra.sh check || { infra/infra.sh status; return 1; }
  # The servers' command lines (which every user sees in ps) hold no password.
  ps -eo user,pid,args >"$SCRATCH/ps.txt"  # first: the grep below holds the pieces in its own
  check "no password in any command line" infra_no_password_in "$SCRATCH/ps.txt" || return 1
  check "valkey.conf (the password, on stdin) is private" [ "$(stat -c %a .state/valkey.conf)" = 600 ] || return 1
  {
    infra/infra.sh status
    scripts/doctor
    wbmake test-1 SOLUTIONS=1
    LESSONS=1 wbmake test      # the stub: a failing run
    LESSONS=1 wbmake report    # build/report/results.json
    # Wrong passwords (of the same shape): the failing runs' messages.
    VALKEY_URL="redis://:x$INFRA_ENCODED@127.0.0.1:$IV" wbmake test-1
    VALKEY_URL="redis://:x$INFRA_ENCODED@127.0.0.1:$IV" build/grade-01
    VALKEY_URL="redis://:x$INFRA_ENCODED@127.0.0.1:$IV" LESSONS=1 wbmake report
    VALKEY_URL="redis://:x$INFRA_ENCODED@127.0.0.1:$IV" infra/infra.sh status
    DATABASE_URL="postgresql://workbook:x$INFRA_ENCODED@127.0.0.1:$IP/workbook" infra/infra.sh status
    DATABASE_URL="postgresql://workbook:x$INFRA_ENCODED@127.0.0.1:$IP/workbook" scripts/doctor
    VALKEY_URL="redis://:$INFRA_ENCODED@127.0.0.1:oops" scripts/doctor
    VALKEY_URL="redis://:$INFRA_ENCODED@127.0.0.1:oops" infra/infra.sh up
  } >>"$out" 2>&1
  check "the wrong password reads as a refused login, not as a missing server" \
    grep -q "Valkey answers, but the login was refused" "$out" || { cat "$out"; return 1; }
  check "the report was written" [ -s build/report/results.json ] || return 1
  check "the solution was graded" grep -q "RESULT 01-set-get: PASSED" "$out" &&
    check "and with the wrong password the grader said NO SERVER" grep -q "RESULT 01-set-get: NO SERVER" "$out" &&
    check "a refused login, naming the server (the grader shows its address only)" grep -q "Valkey at 127.0.0.1:$IV refused the login" "$out" &&
    check "an unparsable URL says why" grep -q "port that is not a number" "$out" || { cat "$out"; return 1; }
  if [ -x "$MAIN_BUILD/grade-05-solution" ]; then
    DATABASE_URL="postgresql://workbook:x$INFRA_ENCODED@127.0.0.1:$IP/workbook" "$MAIN_BUILD/grade-05-solution" >>"$out" 2>&1
  fi
  if [ -x "$MAIN_BUILD/example-01" ]; then
    VALKEY_URL="redis://:x$INFRA_ENCODED@127.0.0.1:$IV" "$MAIN_BUILD/example-01" >>"$out" 2>&1
    check "an example with a refused login says so" grep -q "refused the login" "$out" || { tail -5 "$out"; return 1; }
  fi
  infra/infra.sh down >>"$out" 2>&1
  infra_no_password_in "$out" build/results build/report .state
}

test_infra_the_database_user_is_an_ordinary_owner() {
  trap infra_stop EXIT
  infra_urls "" || return 1
  local out
  out=$(infra/infra.sh up 2>&1) || { echo "$out"; return 1; }
  local psql=(env PGPASSWORD=workbook psql -X -h 127.0.0.1 -p "$IP" -U workbook -d workbook -v ON_ERROR_STOP=1)
  out=$("${psql[@]}" -tAc "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user" 2>&1)
  check "no superuser, no CREATEDB, no CREATEROLE (got '$out')" [ "$out" = "f|f|f" ] || return 1
  out=$("${psql[@]}" -tAc "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()" 2>&1)
  check "it owns its database (owner '$out')" [ "$out" = workbook ] || return 1
  out=$("${psql[@]}" -c "CREATE TEMP TABLE t (line text)" -c "COPY t FROM PROGRAM 'id'" 2>&1) && { echo "$out"; return 1; }
  check "COPY ... FROM PROGRAM is refused" grep -qE "must be superuser or have privileges of the pg_execute_server_program role|permission denied to COPY" <<<"$out" ||
    { echo "$out"; return 1; }
  out=$("${psql[@]}" -c "CREATE SCHEMA wbtest_owner_can; DROP SCHEMA wbtest_owner_can" 2>&1)
  check "and it may make schemas in it (the graders do)" [ $? = 0 ] || { echo "$out"; return 1; }
  out=$(env PGPASSWORD=workbook psql -X -h 127.0.0.1 -p "$IP" -U workbook_admin -d postgres -tAc "SELECT 1" 2>&1)
  check "the set-up superuser cannot log in over TCP" grep -q "password authentication failed" <<<"$out" || { echo "$out"; return 1; }
  if [ "$(id -u)" = 0 ]; then
    local vuser puser
    vuser=$(ps -o user= -p "$(cat "$(cat .state/valkey.home 2>/dev/null || echo .state/valkey)/valkey.pid")")
    puser=$(ps -o user= -p "$(head -n 1 "$(cat .state/postgres.home 2>/dev/null || echo .state/postgres)/data/postmaster.pid")")
    check "Valkey runs as an unprivileged account (it runs as '$vuser')" [ -n "$vuser" ] && [ "$vuser" != root ] || return 1
    check "PostgreSQL too" [ -n "$puser" ] && [ "$puser" != root ] || return 1
  fi
}

test_infra_a_stopped_postgresql_ends_within_the_time_limit() {
  trap 'infra_resume; infra_stop' EXIT
  infra_urls "" || return 1
  local out
  out=$(infra/infra.sh up 2>&1) || { echo "$out"; return 1; }
  local tests=$MAIN_BUILD/workbook-tests
  if [ ! -x "$tests" ]; then
    cmake --build build --target workbook-tests >/dev/null 2>&1 || { echo "could not build workbook-tests"; return 1; }
    tests=build/workbook-tests
  fi
  # One backend stopped mid-connection: the statement ends within its limit.
  out=$("$tests" "[stopped-server]" 2>&1)
  check "a statement on a stopped backend ends within the limit" grep -q "RESULT 00-workbook: PASSED (1 of 1" <<<"$out" ||
    { echo "$out" | tail -30; return 1; }
  # The whole server stopped: a grader ends, quickly, saying why.
  local data pid
  data=$(cat .state/postgres.home 2>/dev/null || echo .state/postgres)/data
  pid=$(head -n 1 "$data/postmaster.pid")
  INFRA_STOPPED="$pid $(ps -o pid= --ppid "$pid" | tr '\n' ' ')"
  # shellcheck disable=SC2086
  kill -STOP $INFRA_STOPPED
  local grader=$MAIN_BUILD/grade-05-solution t0=$SECONDS rc=0
  [ -x "$grader" ] || grader=$tests
  out=$(timeout 60 "$grader" 2>&1) || rc=$?
  local took=$((SECONDS - t0))
  infra_resume
  echo "# a grader on a stopped PostgreSQL ended after $took s (exit $rc)" >&2
  check "it ended within 20 s (took $took s)" [ "$took" -lt 20 ] && check "by itself, not by timeout" [ "$rc" != 124 ] &&
    check "saying PostgreSQL did not answer" grep -qi "postgresql" <<<"$out" || { echo "$out" | tail -20; return 1; }
}
INFRA_STOPPED=""
# shellcheck disable=SC2086
infra_resume() { [ -z "$INFRA_STOPPED" ] || kill -CONT $INFRA_STOPPED 2>/dev/null; INFRA_STOPPED=""; }

test_infra_up_is_all_or_nothing() {
  trap infra_stop EXIT
  infra_urls "" || return 1
  local out rc=0 before
  before=$(infra_outside)
  # PostgreSQL's port taken by another program (a Valkey, which never
  # answers PostgreSQL's first message): nothing is started, Valkey included.
  mkdir -p "$SCRATCH/squatter"
  start_job "$SCRATCH/squatter.out" "$(command -v valkey-server || command -v redis-server)" --port "$IP" \
    --bind 127.0.0.1 --save "" --appendonly no --dir "$SCRATCH/squatter"
  local i
  for ((i = 0; i < 50; i++)); do listening "$IP" && break; sleep 0.1; done
  out=$(infra/infra.sh up 2>&1) || rc=$?
  check "up fails" [ "$rc" != 0 ] && check "naming the taken port" grep -q "Cannot start PostgreSQL: port $IP" <<<"$out" ||
    { echo "$out"; return 1; }
  check "and Valkey was not started" quiet_port "$IV" || { echo "$out"; return 1; }
  kill -TERM -- "-$JOB" 2>/dev/null
  for ((i = 0; i < 50; i++)); do listening "$IP" || break; sleep 0.1; done
  # A failure after both started (a broken staff.sql): both stopped again.
  cp infra/staff.sql "$SCRATCH/staff.sql.saved"
  echo "THIS IS NOT SQL;" >>infra/staff.sql
  rc=0
  out=$(infra/infra.sh up 2>&1) || rc=$?
  cp "$SCRATCH/staff.sql.saved" infra/staff.sql
  check "up fails on the broken staff.sql" [ "$rc" != 0 ] && check "saying so" grep -q "loading infra/staff.sql" <<<"$out" ||
    { echo "$out"; return 1; }
  check "it stopped Valkey again" grep -q "Valkey: *stopped again" <<<"$out" && check "and PostgreSQL" grep -q "PostgreSQL: stopped again" <<<"$out" ||
    { echo "$out"; return 1; }
  check "nothing listens on either port" quiet_port "$IV" && check "(PostgreSQL's)" quiet_port "$IP" || return 1
  check "no folder outside the project is left" [ "$(infra_outside)" = "$before" ] || { infra_outside; return 1; }
}

test_infra_servers_follow_the_urls() {
  trap infra_stop EXIT
  infra_urls "" || return 1
  local out own_pid
  # A Valkey of the learner's own on VALKEY_URL's port: used as it is, and
  # PostgreSQL is still started.
  mkdir -p "$SCRATCH/own-valkey"
  start_job "$SCRATCH/own-valkey.out" "$(command -v valkey-server || command -v redis-server)" --port "$IV" \
    --bind 127.0.0.1 --save "" --appendonly no --dir "$SCRATCH/own-valkey"
  own_pid=$JOB
  local i
  for ((i = 0; i < 50; i++)); do listening "$IV" && break; sleep 0.1; done
  out=$(wbmake infra-up 2>&1) || { echo "$out"; return 1; }
  check "the learner's Valkey is used as it is" grep -q "already answers on 127.0.0.1:$IV (not started by the workbook): using it as it is" <<<"$out" &&
    check "PostgreSQL is started" grep -q "PostgreSQL: started" <<<"$out" || { echo "$out"; return 1; }
  check "the learner's Valkey still runs" kill -0 "$own_pid" || return 1
  # make test-N / example-N start what is not running on the URLs' ports.
  wbmake infra-down >/dev/null 2>&1
  check "infra-down left the learner's Valkey alone" kill -0 "$own_pid" || return 1
  check "and stopped PostgreSQL" quiet_port "$IP" || return 1
  out=$(wbmake example-1 2>&1) || { echo "$out" | tail -20; return 1; }
  check "make example-1 started PostgreSQL" grep -q "PostgreSQL: started" <<<"$out" || { echo "$out" | tail -20; return 1; }
  check "and its banner names the server and its version" grep -qE "^Connected to (valkey|redis) [0-9]+\.[0-9]+\.[0-9]+ at 127.0.0.1:$IV" <<<"$out" ||
    { echo "$out" | tail -20; return 1; }
  # A URL that points at another host is never started, only checked.
  out=$(VALKEY_URL="redis://127.0.0.2:$IV" infra/infra.sh up 2>&1)
  check "another host: not started" grep -q "points at 127.0.0.2, not this machine: not started here" <<<"$out" || { echo "$out"; return 1; }
  check "and nothing listens there" quiet_port "$IV" 127.0.0.2 || return 1
}

test_infra_down_and_clean_all_leave_nothing_behind() {
  trap infra_stop EXIT
  infra_urls "" || return 1
  local out before
  before=$(infra_outside)
  out=$(infra/infra.sh up 2>&1) || { echo "$out"; return 1; }
  out=$(wbmake infra-down 2>&1) || { echo "$out"; return 1; }
  check "nothing listens on either port" quiet_port "$IV" && check "(PostgreSQL's)" quiet_port "$IP" || return 1
  check "no folder of ours outside the project" [ "$(infra_outside)" = "$before" ] || { infra_outside; return 1; }
  out=$(wbmake clean-all 2>&1) || { echo "$out"; return 1; }
  check "clean-all says what it removes" grep -q "removed .state/" <<<"$out" || { echo "$out"; return 1; }
  check ".state/ is gone" [ ! -e .state ] || return 1
  check "and the build folder" [ ! -e build ] || return 1
}

test_infra_second_server_starts_on_a_port_of_its_own_and_stops() {
  trap infra_stop EXIT
  infra_urls "" || return 1
  local out line url second primary before
  out=$(infra/infra.sh up 2>&1) || { echo "$out"; return 1; }
  before=$(infra_outside)
  line=$(infra/infra.sh second-server start 2>"$SCRATCH/second.err") || { echo "$line"; cat "$SCRATCH/second.err"; return 1; }
  IFS=$'\t' read -r url second primary <<<"$line"
  check "one line: its URL, its name and version, the primary's ('$line')" \
    grep -qE "^redis://127\.0\.0\.1:[0-9]+$(printf '\t')(redis|valkey) [0-9.]+$(printf '\t')(valkey|redis) [0-9.]+$" <<<"$line" || return 1
  check "the other server than the primary ($second beside $primary)" [ "${second%% *}" != "${primary%% *}" ] || return 1
  local port=${url##*:}
  check "it answers there" listening "$port" || return 1
  if [ "$(id -u)" = 0 ]; then
    local pid
    pid=$(cat "$(cat .state/second-server.home 2>/dev/null || echo .state/second-server)/valkey.pid" 2>/dev/null)
    check "as an unprivileged account" [ -n "$pid" ] && [ "$(ps -o user= -p "$pid")" != root ] || return 1
  fi
  infra/infra.sh second-server stop >/dev/null 2>&1
  check "stop stops it" quiet_port "$port" || return 1
  check "and removes its folder" [ ! -e .state/second-server ] && [ "$(infra_outside)" = "$before" ] || { infra_outside; return 1; }
}

# setup.sh on a fresh Debian 12, played with fake apt programs on PATH and
# scratch copies of /etc/apt and /etc/os-release: nothing on this machine
# is touched.
infra_fake_apt() {
  local dir=$SCRATCH/fake-apt mode=$1
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/etc/apt/sources.list.d"
  printf 'ID=debian\nVERSION_CODENAME=bookworm\n' >"$dir/os-release"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n' \
    >"$dir/etc/apt/sources.list.d/debian.sources"
  : >"$dir/calls"
  # Nothing is installed.
  printf '#!/bin/sh\nexit 0\n' >"$dir/bin/dpkg-query"
  cat >"$dir/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$dir/calls"
case "\$*" in *update*) [ "$mode" = offline ] && exit 100 ;; esac
exit 0
EOF
  cat >"$dir/bin/apt-cache" <<EOF
#!/bin/sh
case "\$*" in
  "madison valkey-server")
    [ "$mode" = online ] && [ -e "$dir/etc/apt/sources.list.d/valkey-workbook-backports.sources" ] &&
      echo "valkey-server | 8.0.1+dfsg1-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages" ;;
  "madison catch2")
    [ "$mode" = online ] && [ -e "$dir/etc/apt/sources.list.d/valkey-workbook-backports.sources" ] &&
      echo "    catch2 | 3.7.1-0.4~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages"
    echo "    catch2 |  2.13.10-1 | http://deb.debian.org/debian bookworm/main amd64 Packages" ;;
esac
exit 0
EOF
  chmod +x "$dir/bin/"*
  INFRA_SETUP_ENV=(env PATH="$dir/bin:$PATH" WB_SETUP_APT_ETC="$dir/etc/apt" WB_SETUP_OS_RELEASE="$dir/os-release")
  INFRA_CALLS=$dir/calls
  INFRA_BPO=$dir/etc/apt/sources.list.d/valkey-workbook-backports.sources
}

test_infra_setup_asks_and_takes_valkey_from_backports() {
  local out rc=0
  infra_fake_apt online
  out=$(unset CI; "${INFRA_SETUP_ENV[@]}" scripts/setup.sh </dev/null 2>&1) || rc=$?
  check "without a terminal: exit 1" [ "$rc" = 1 ] && check "it names make setup" grep -q "make setup" <<<"$out" &&
    check "and says why it enables backports" grep -q "bookworm-backports" <<<"$out" || { echo "$out"; return 1; }
  check "nothing installed, no sources file" [ ! -s "$INFRA_CALLS" ] && [ ! -e "$INFRA_BPO" ] || { cat "$INFRA_CALLS"; return 1; }
  if script -qec true /dev/null >/dev/null 2>&1; then
    out=$(printf 'n\n' | "${INFRA_SETUP_ENV[@]}" script -qec "env -u CI scripts/setup.sh" /dev/null 2>&1)
    check "on a terminal it asks" grep -q "Enable bookworm-backports and install them now with apt-get? \[y/N\]" <<<"$out" &&
      check "and 'n' installs nothing" [ ! -s "$INFRA_CALLS" ] || { echo "$out"; return 1; }
  fi
  rc=0
  out=$(CI=true "${INFRA_SETUP_ENV[@]}" scripts/setup.sh 2>&1) || rc=$?
  check "in CI it installs" grep -q "apt-get update" "$INFRA_CALLS" || { echo "$out"; return 1; }
  check "backports in the workbook's own file" grep -q "^Suites: bookworm-backports" "$INFRA_BPO" || { echo "$out"; return 1; }
  check "valkey-server, valkey-tools and catch2 (v3) from backports, by name" \
    grep -q "install -y -q --no-install-recommends -t bookworm-backports valkey-server valkey-tools catch2" "$INFRA_CALLS" || { cat "$INFRA_CALLS"; return 1; }
  check "everything else from bookworm itself" grep -q "install -y -q --no-install-recommends build-essential " "$INFRA_CALLS" &&
    check "(and not catch2 2.13 from bookworm)" lacks "install -y -q --no-install-recommends build-essential .*catch2" "$INFRA_CALLS" || { cat "$INFRA_CALLS"; return 1; }
  check "no redis-server" lacks "redis-server" "$INFRA_CALLS" || { cat "$INFRA_CALLS"; return 1; }
}

test_infra_setup_offline_falls_back_to_redis_and_leaves_no_sources_file() {
  local out rc=0
  infra_fake_apt offline
  out=$(CI=true "${INFRA_SETUP_ENV[@]}" scripts/setup.sh 2>&1) || rc=$?
  check "it says why Valkey cannot be had, in one line" grep -q "^Valkey: cannot be installed (bookworm-backports cannot be read here: offline, or a mirror without backports): installing redis-server 7.0 instead" <<<"$out" ||
    { echo "$out"; return 1; }
  check "it installs redis-server instead" grep -q "install .*redis-server" "$INFRA_CALLS" || { cat "$INFRA_CALLS"; return 1; }
  check "nothing from backports" lacks "bookworm-backports" "$INFRA_CALLS" || { cat "$INFRA_CALLS"; return 1; }
  check "and no stray sources file" [ ! -e "$INFRA_BPO" ] || return 1
}

# The Docker path, with a docker command that only records what it is asked.
test_infra_docker_path_per_clone_project_and_login_check() {
  local dir=$SCRATCH/fake-docker out rc=0
  mkdir -p "$dir"
  : >"$dir/calls"
  cat >"$dir/docker" <<EOF
#!/bin/sh
echo "docker \$* | auth=\${WB_VALKEY_AUTH:+set} port=\${WB_VALKEY_PORT:-}" >>"$dir/calls"
case "\$*" in *" exec "*) cat >/dev/null ;; esac
exit 0
EOF
  chmod +x "$dir/docker"
  infra_urls || return 1
  out=$(PATH="$dir:$PATH" WORKBOOK_INFRA=docker infra/infra.sh up 2>&1) || rc=$?
  local project
  project=$(grep -o -- '-p valkey-workbook-[0-9a-f]*' "$dir/calls" | head -n 1)
  check "a compose project named after the clone" [ -n "$project" ] || { cat "$dir/calls"; return 1; }
  check "the password of VALKEY_URL is passed" grep -q "compose .* up -d --wait | auth=set port=$IV" "$dir/calls" || { cat "$dir/calls"; return 1; }
  check "up checks the logins: nothing answers here, so it fails" [ "$rc" != 0 ] &&
    check "saying so" grep -q "container runs, but on 127.0.0.1:$IV nothing answers there" <<<"$out" || { echo "$out"; return 1; }
  # Another clone gets another project.
  git clone -q "$WB" "$SCRATCH/second-clone" || return 1
  : >"$dir/calls"
  (cd "$SCRATCH/second-clone" && PATH="$dir:$PATH" WORKBOOK_INFRA=docker infra/infra.sh up >/dev/null 2>&1)
  local other
  other=$(grep -o -- '-p valkey-workbook-[0-9a-f]*' "$dir/calls" | head -n 1)
  check "another clone, another project ($project vs $other)" [ -n "$other" ] && [ "$other" != "$project" ] || return 1
  rm -rf "$SCRATCH/second-clone"
  if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "# infra/compose.yaml not read as YAML here: no python3 with its yaml module" >&2
  else
    python3 - infra/compose.yaml <<'EOF' || return 1
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
v, p = c["services"]["valkey"], c["services"]["postgres"]
assert v["image"] == "valkey/valkey:8.0", v["image"]
assert p["image"] == "postgres:15", p["image"]
assert all(port.startswith("127.0.0.1:") for port in v["ports"] + p["ports"]), "ports on loopback only"
assert v.get("user") == "valkey", "Valkey as its own account"
assert "WB_VALKEY_AUTH" in v["command"][0], "the password from VALKEY_URL"
assert p["environment"]["POSTGRES_USER"] == "workbook_admin", "the superuser is for set-up only"
EOF
  fi
}

test_infra_cluster_health_needs_every_node_to_agree_on_the_slots() {
  # cluster.sh's slot check on canned CLUSTER NODES replies (a real cluster
  # heals such a view within moments when it is made by hand, so it cannot
  # be made on purpose): a node that lists a range on a replica, or a
  # primary other than the others do, makes the cluster not healthy.
  local out
  out=$(bash -c '
    source <(sed "/^case \${1:-} in/,\$d" infra/cluster.sh)
    PORTS=(7001 7002 7003)
    good="a 127.0.0.1:7001@17001 master - 0 0 1 connected 0-8191
b 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383 [99->-c]
c 127.0.0.1:7003@17003 slave a 0 0 1 connected"
    cli() { case "$1:$VIEW" in
      7003:replica) sed "s/slave a 0 0 1 connected/slave a 0 0 1 connected 5333/" <<<"$good" ;;
      7002:other) sed "s/0-8191/0-8190/; s/8192-16383/8191-16383/" <<<"$good" ;;
      *) echo "$good" ;; esac; }
    for VIEW in same replica other; do echo "$VIEW: $(slots_disagree)"; done')
  check "every node agrees: nothing to say (got: $out)" grep -qx "same: " <<<"$out"
  check "a slot listed on a replica is named (got: $out)" grep -qx "replica: 7003 lists slots 5333 on a replica" <<<"$out"
  check "a node with another owner is named (got: $out)" \
    grep -qx "other: 7002 sees slots 0-8190 served by another node than 127.0.0.1:7001 does" <<<"$out"
}

TESTS+=(
  test_infra_cluster_health_needs_every_node_to_agree_on_the_slots
  test_infra_url_tool_reads_urls_as_the_library_does
  test_infra_a_password_with_at_colon_percent_never_shows
  test_infra_the_database_user_is_an_ordinary_owner
  test_infra_a_stopped_postgresql_ends_within_the_time_limit
  test_infra_up_is_all_or_nothing
  test_infra_servers_follow_the_urls
  test_infra_second_server_starts_on_a_port_of_its_own_and_stops
  test_infra_setup_asks_and_takes_valkey_from_backports
  test_infra_setup_offline_falls_back_to_redis_and_leaves_no_sources_file
  test_infra_docker_path_per_clone_project_and_login_check
  test_infra_down_and_clean_all_leave_nothing_behind
)
