#!/usr/bin/env bash
# infra/infra.sh: start, stop and inspect the workbook's two servers.
#
#   infra/infra.sh up       start Valkey and PostgreSQL (does nothing if they run)
#   infra/infra.sh down     stop what 'up' started (and nothing else)
#   infra/infra.sh status   which servers answer; exit 0 when both do
#
# Configuration (environment):
#   VALKEY_URL      default redis://127.0.0.1:6379
#   DATABASE_URL    default postgresql://workbook:workbook@127.0.0.1:55432/workbook
#   WORKBOOK_INFRA  docker | native   (default: docker when an engine answers
#                   and 'docker compose' exists, else native)
#
# Native servers keep everything under .state/ at the repository root:
#   .state/backend              which backend 'up' used (docker or native)
#   .state/infra.lock           one 'up' or 'down' at a time
#   .state/valkey/              the server's --dir, valkey.pid, valkey.log, port
#   .state/postgres/            data/, run/ (socket), postgres.log, staff.loaded
# When running as root, PostgreSQL runs as the 'postgres' user (or a system
# user 'workbook-pg'); if that user cannot reach the repository folder, its
# files live in /var/tmp/valkey-workbook-<hash>/ instead (.state/postgres/location
# says where).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE=$ROOT/.state
COMPOSE_FILE=$ROOT/infra/compose.yaml
STAFF_SQL=$ROOT/infra/staff.sql
COMPOSE_PROJECT=valkey-workbook

DEFAULT_VALKEY_URL=redis://127.0.0.1:6379
DEFAULT_DATABASE_URL=postgresql://workbook:workbook@127.0.0.1:55432/workbook
VALKEY_URL=${VALKEY_URL:-$DEFAULT_VALKEY_URL}
DATABASE_URL=${DATABASE_URL:-$DEFAULT_DATABASE_URL}

PROG=infra/infra.sh

usage() {
  cat <<EOF
Usage: $PROG up|down|status

  up       start Valkey and PostgreSQL (make infra-up)
  down     stop the servers that 'up' started (make infra-down)
  status   show which servers answer; exit 0 when both do (make infra-status)

Environment:
  VALKEY_URL      the Valkey server  (default $DEFAULT_VALKEY_URL)
  DATABASE_URL    the PostgreSQL server  (default $DEFAULT_DATABASE_URL)
  WORKBOOK_INFRA  docker or native, to force how the servers run
EOF
}

say() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }
die() {
  err "$PROG: $*"
  exit 1
}

# Path relative to the repository root, for messages.
rel() {
  case $1 in
    "$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# Last lines of a log file, indented, to stderr.
show_log_tail() {
  local file=$1 n=${2:-20}
  if [[ -r $file ]]; then
    err "--- last lines of $(rel "$file") ---"
    tail -n "$n" "$file" | sed 's/^/    /' >&2
    err "---"
  fi
}

is_root() { [[ $EUID -eq 0 ]]; }

sleep_a_bit() { sleep 0.2 2>/dev/null || sleep 1; }

# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------

urldecode() {
  local in=$1 out="" c
  while [[ -n $in ]]; do
    if [[ $in =~ ^%([0-9a-fA-F]{2})(.*)$ ]]; then
      printf -v c '%b' "\\x${BASH_REMATCH[1]}"
      out+=$c
      in=${BASH_REMATCH[2]}
    else
      out+=${in:0:1}
      in=${in:1}
    fi
  done
  printf '%s' "$out"
}

# Splits $1 into U_SCHEME U_USER U_PASS U_HOST U_PORT U_PATH (decoded).
parse_url() {
  local url=$1
  local re='^([A-Za-z][A-Za-z0-9+.-]*)://(([^:@/]*)(:([^@/]*))?@)?(\[[^]/]*\]|[^]:/?#[]*)(:([0-9]*))?(/([^?#]*))?([?#].*)?$'
  if [[ ! $url =~ $re ]]; then
    return 1
  fi
  U_SCHEME=${BASH_REMATCH[1]}
  U_USER=$(urldecode "${BASH_REMATCH[3]}")
  U_PASS=$(urldecode "${BASH_REMATCH[5]}")
  U_HOST=${BASH_REMATCH[6]}
  U_PORT=${BASH_REMATCH[8]}
  U_PATH=$(urldecode "${BASH_REMATCH[10]}")
}

# Hides the password of a URL for display.
hide_password() {
  local url=$1
  local re='^([A-Za-z][A-Za-z0-9+.-]*://[^:@/]*):[^@/]*@(.*)$'
  if [[ $url =~ $re ]]; then
    printf '%s:***@%s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    printf '%s' "$url"
  fi
}

is_local_host() {
  case $1 in
    "" | 127.0.0.1 | localhost) return 0 ;;
    *) return 1 ;;
  esac
}

# Reads VALKEY_URL into VK_HOST VK_PORT VK_PASS (VK_LOCAL=1 when on this machine).
load_valkey_url() {
  parse_url "$VALKEY_URL" || die "VALKEY_URL is not a URL I understand: '$VALKEY_URL'
  expected something like: redis://127.0.0.1:6379"
  case $U_SCHEME in
    redis | valkey) ;;
    rediss | valkeys) die "VALKEY_URL uses TLS ($U_SCHEME://); the workbook's own servers do not. Use redis://..." ;;
    *) die "VALKEY_URL must start with redis:// (it is '$VALKEY_URL')" ;;
  esac
  VK_HOST=$U_HOST
  VK_PORT=${U_PORT:-6379}
  VK_PASS=$U_PASS
  VK_USER=$U_USER
  [[ $VK_PORT =~ ^[0-9]+$ && $VK_PORT -ge 1 && $VK_PORT -le 65535 ]] || die "VALKEY_URL has an invalid port: '$VK_PORT'"
  VK_LOCAL=0
  is_local_host "$VK_HOST" && VK_LOCAL=1
  VK_ADDR=$VK_HOST
  [[ $VK_LOCAL -eq 1 ]] && VK_ADDR=127.0.0.1
  VK_SHOWN=$(hide_password "$VALKEY_URL")
  return 0
}

# Reads DATABASE_URL into PG_USER PG_PASS PG_HOST PG_PORT PG_DB (PG_LOCAL=1 when local).
load_database_url() {
  parse_url "$DATABASE_URL" || die "DATABASE_URL is not a URL I understand: '$DATABASE_URL'
  expected something like: $DEFAULT_DATABASE_URL"
  case $U_SCHEME in
    postgresql | postgres) ;;
    *) die "DATABASE_URL must start with postgresql:// (it is '$(hide_password "$DATABASE_URL")')" ;;
  esac
  PG_USER=$U_USER
  PG_PASS=$U_PASS
  PG_HOST=$U_HOST
  PG_PORT=${U_PORT:-5432}
  PG_DB=$U_PATH
  [[ $PG_PORT =~ ^[0-9]+$ && $PG_PORT -ge 1 && $PG_PORT -le 65535 ]] || die "DATABASE_URL has an invalid port: '$PG_PORT'"
  PG_LOCAL=0
  is_local_host "$PG_HOST" && PG_LOCAL=1
  PG_ADDR=$PG_HOST
  [[ $PG_LOCAL -eq 1 ]] && PG_ADDR=127.0.0.1
  PG_SHOWN=$(hide_password "$DATABASE_URL")
  return 0
}

# For 'up' on this machine the URL must name a user, a password and a database.
require_full_database_url() {
  [[ -n $PG_USER && -n $PG_PASS && -n $PG_DB ]] || die "DATABASE_URL must name a user, a password and a database,
  like $DEFAULT_DATABASE_URL
  (it is '$PG_SHOWN')"
}

# ---------------------------------------------------------------------------
# Talking to servers with bash alone (/dev/tcp): no client program needed.
# ---------------------------------------------------------------------------

# Runs "$@" with a time limit when the 'timeout' program exists.
with_timeout() {
  local secs=$1
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout "$secs" "$@"
  else
    "$@"
  fi
}

# The helpers below run in a child bash (so that 'timeout' can bound them);
# they are exported to it with 'export -f'.

# Opens fd 3 to host $1 port $2.
_tcp_open() {
  exec 3<>"/dev/tcp/$1/$2"
}

# Sends one RESP command (its words are "$@") on fd 3.
_resp_send() {
  local msg="*$#"$'\r\n' a
  for a in "$@"; do
    msg+="\$${#a}"$'\r\n'"$a"$'\r\n'
  done
  printf '%s' "$msg" >&3
}

# host port password command...: prints the reply (see resp_call).
_resp_call() {
  export LC_ALL=C
  local host=$1 port=$2 pass=$3 line="" l want got
  shift 3
  _tcp_open "$host" "$port" || return 1
  if [[ -n $pass ]]; then
    _resp_send AUTH "$pass"
    IFS= read -r -t 3 line <&3 || return 1
    line=${line%$'\r'}
    if [[ $line != +OK* ]]; then
      printf '%s\n' "$line"
      return 0
    fi
  fi
  _resp_send "$@"
  IFS= read -r -t 3 line <&3 || return 1
  line=${line%$'\r'}
  case $line in
    '$-1') ;;
    '$'*)
      want=$((${line#\$} + 2))
      got=0
      while ((got < want)) && IFS= read -r -t 3 l <&3; do
        got=$((got + ${#l} + 1))
        printf '%s\n' "${l%$'\r'}"
      done
      ;;
    *) printf '%s\n' "$line" ;;
  esac
}

# Sends an SSLRequest; a PostgreSQL server answers one byte, 'S' or 'N'.
_pg_sslrequest() {
  export LC_ALL=C
  local c=""
  _tcp_open "$1" "$2" || return 1
  printf '\000\000\000\010\004\322\026\057' >&3
  IFS= read -r -n 1 -t 3 c <&3 || return 1
  [[ $c == S || $c == N ]]
}

export -f _tcp_open _resp_send _resp_call _pg_sslrequest

# True when something accepts TCP connections on host $1 port $2.
port_open() {
  # shellcheck disable=SC2016 # $1 and $2 belong to the child bash
  with_timeout 3 bash -c '_tcp_open "$1" "$2"' _ "$1" "$2" 2>/dev/null
}

# Sends one RESP command to host $1 port $2 (AUTH first when $3 is a password)
# and prints the reply: a status or error line as it is, a bulk string's lines.
resp_call() {
  with_timeout 5 bash -c '_resp_call "$@"' _ "$@" 2>/dev/null
}

# True when a Redis/Valkey server answers PING with PONG.
valkey_answers() {
  local reply
  reply=$(resp_call "$1" "$2" "${3:-}" PING) || return 1
  [[ $reply == +PONG* ]]
}

# True when whatever listens there speaks RESP (even if it wants a password).
speaks_resp() {
  local reply
  reply=$(resp_call "$1" "$2" "" PING) || return 1
  [[ $reply == +* || $reply == -* ]]
}

# "Valkey 8.1.1" or "Redis 7.0.15", from INFO server.
valkey_server_version() {
  local info name="" ver="" vver="" line
  info=$(resp_call "$1" "$2" "${3:-}" INFO server) || return 1
  while IFS= read -r line; do
    case $line in
      valkey_version:*) vver=${line#valkey_version:} ;;
      redis_version:*) ver=${line#redis_version:} ;;
      server_name:*) name=${line#server_name:} ;;
    esac
  done <<<"$info"
  if [[ -n $vver ]]; then
    printf 'Valkey %s' "$vver"
  elif [[ $name == valkey ]]; then
    printf 'Valkey %s' "$ver"
  elif [[ -n $ver ]]; then
    printf 'Redis %s' "$ver"
  else
    return 1
  fi
}

# True when a PostgreSQL server answers an SSLRequest ('S' or 'N').
speaks_postgres_protocol() {
  # shellcheck disable=SC2016 # $1 and $2 belong to the child bash
  with_timeout 5 bash -c '_pg_sslrequest "$1" "$2"' _ "$1" "$2" 2>/dev/null
}

# True when PostgreSQL accepts connections on host $1 port $2.
postgres_answers() {
  local isready=""
  isready=$(find_pg_tool pg_isready || true)
  if [[ -n $isready ]]; then
    "$isready" -q -h "$1" -p "$2" -t 3 >/dev/null 2>&1
  else
    speaks_postgres_protocol "$1" "$2"
  fi
}

# "the program 'redis-server' (pid 123)" when ss can tell, else nothing.
listener_process() {
  local port=$1 out name pid
  command -v ss >/dev/null 2>&1 || return 0
  out=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1) || return 0
  if [[ $out =~ users:\(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
    name=${BASH_REMATCH[1]}
    pid=${BASH_REMATCH[2]}
    printf " (the program '%s', pid %s)" "$name" "$pid"
  fi
}

# What listens on 127.0.0.1:$1, in words.
describe_listener() {
  local port=$1 what
  if speaks_resp 127.0.0.1 "$port"; then
    what="another Redis/Valkey server"
  elif postgres_answers 127.0.0.1 "$port" || speaks_postgres_protocol 127.0.0.1 "$port"; then
    what="another PostgreSQL server"
  else
    what="another program (neither Redis/Valkey nor PostgreSQL)"
  fi
  printf '%s%s' "$what" "$(listener_process "$port")"
}

# First port after $1 where nothing listens.
free_port_after() {
  local p=$(($1 + 1)) tries=0
  while port_open 127.0.0.1 "$p" && [[ $tries -lt 50 ]]; do
    p=$((p + 1))
    tries=$((tries + 1))
  done
  printf '%s' "$p"
}

# DATABASE_URL with another port, to suggest (the password shown only when
# it is the workbook's default one).
database_url_with_port() {
  local pass='<password>'
  [[ $PG_PASS == workbook ]] && pass=$PG_PASS
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$PG_USER" "$pass" "$1" "$PG_DB"
}

# Explains a port collision and exits.
port_taken() {
  local server=$1 port=$2 var=$3 example=$4
  err ""
  err "Cannot start $server: port $port on 127.0.0.1 is already taken by"
  err "$(describe_listener "$port"), not by this workbook's 'make infra-up'."
  err ""
  err "Either stop that program, or give the workbook another port, e.g.:"
  err "    $var=$example make infra-up"
  err "and then set the same $var for every make command, or export it once:"
  err "    export $var=$example"
  exit 1
}

# ---------------------------------------------------------------------------
# Backend choice
# ---------------------------------------------------------------------------

docker_available() {
  command -v docker >/dev/null 2>&1 &&
    with_timeout 15 docker info >/dev/null 2>&1 &&
    docker compose version >/dev/null 2>&1
}

recorded_backend() {
  local b=""
  [[ -r $STATE/backend ]] && b=$(head -n 1 "$STATE/backend")
  case $b in
    docker | native) printf '%s' "$b" ;;
    *) ;;
  esac
}

forced_backend() {
  case ${WORKBOOK_INFRA:-} in
    "") ;;
    docker | native) printf '%s' "$WORKBOOK_INFRA" ;;
    *)
      err "$PROG: WORKBOOK_INFRA must be 'docker' or 'native' (it is '$WORKBOOK_INFRA')."
      exit 2
      ;;
  esac
}

auto_backend() {
  if docker_available; then echo docker; else echo native; fi
}

record_backend() {
  mkdir -p "$STATE"
  printf '%s\n' "$1" >"$STATE/backend"
}

# One 'up'/'down' at a time (make -j may start several). The servers are
# started with fd 9 closed, so that they do not keep holding the lock.
take_lock() {
  mkdir -p "$STATE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE/infra.lock"
    if ! flock -w 120 9; then
      die "another 'make infra-up' or 'make infra-down' has been busy for 2 minutes (it holds $(rel "$STATE/infra.lock")).
  Wait for it to finish, or stop it, and try again."
    fi
  fi
}

# ---------------------------------------------------------------------------
# Native: Valkey
# ---------------------------------------------------------------------------

VK_DIR=$STATE/valkey
VK_PIDFILE=$VK_DIR/valkey.pid
VK_LOG=$VK_DIR/valkey.log
VK_PORTFILE=$VK_DIR/port

find_valkey_server() {
  local name dir
  for name in valkey-server redis-server; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  for name in valkey-server redis-server; do
    for dir in /usr/bin /usr/sbin /usr/local/bin /opt/homebrew/bin; do
      if [[ -x $dir/$name ]]; then
        printf '%s\n' "$dir/$name"
        return 0
      fi
    done
  done
  return 1
}

# The name of the program running as pid $1.
proc_name() {
  if [[ -r /proc/$1/comm ]]; then
    cat "/proc/$1/comm" 2>/dev/null
  else
    ps -p "$1" -o comm= 2>/dev/null
  fi
}

# Prints the pid of our Valkey when it is alive.
valkey_our_pid() {
  local pid name
  [[ -r $VK_PIDFILE ]] || return 1
  pid=$(head -n 1 "$VK_PIDFILE" 2>/dev/null | tr -dc 0-9)
  [[ -n $pid ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  name=$(proc_name "$pid" || true)
  case $name in
    *valkey* | *redis*) ;;
    *) return 1 ;;
  esac
  # Linux: the server works in its --dir; a copied .state/ points elsewhere.
  local cwd
  if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) && [[ -n $cwd ]]; then
    [[ $cwd == "$(cd "$VK_DIR" 2>/dev/null && pwd -P)" ]] || return 1
  fi
  printf '%s' "$pid"
}

# Fails when VALKEY_URL's port is taken by a server that is not ours.
valkey_check_port() {
  [[ $VK_LOCAL -eq 1 ]] || return 0
  valkey_our_pid >/dev/null && return 0
  if port_open 127.0.0.1 "$VK_PORT"; then
    port_taken Valkey "$VK_PORT" VALKEY_URL "redis://127.0.0.1:$(free_port_after "$VK_PORT")"
  fi
  return 0
}

valkey_up() {
  if [[ $VK_LOCAL -eq 0 ]]; then
    say "Valkey:     VALKEY_URL points at $VK_HOST, not this machine: not starting one here."
    return 0
  fi
  if [[ -n $VK_USER && $VK_USER != default ]]; then
    die "VALKEY_URL names the user '$VK_USER': the workbook's own server only knows the user 'default' (redis://:password@host:port)."
  fi
  local bin pid oport waited
  mkdir -p "$VK_DIR"
  if pid=$(valkey_our_pid); then
    oport=$(cat "$VK_PORTFILE" 2>/dev/null || true)
    if [[ -n $oport && $oport != "$VK_PORT" ]]; then
      die "our Valkey is running on port $oport, but VALKEY_URL says port $VK_PORT.
  Stop it first with 'make infra-down', then run 'make infra-up' again."
    fi
    waited=0
    while ! valkey_answers 127.0.0.1 "$VK_PORT" "$VK_PASS" && [[ $waited -lt 50 ]]; do
      sleep_a_bit
      waited=$((waited + 1))
    done
    if valkey_answers 127.0.0.1 "$VK_PORT" "$VK_PASS"; then
      say "Valkey:     already running (ours: pid $pid, port $VK_PORT). Nothing to do."
      return 0
    fi
    show_log_tail "$VK_LOG"
    die "our Valkey (pid $pid) runs but does not answer on port $VK_PORT. Try 'make infra-down' then 'make infra-up'."
  fi
  rm -f "$VK_PIDFILE"
  valkey_check_port
  bin=$(find_valkey_server) || die "no valkey-server or redis-server program found. Install it with: make setup"

  local -a args=(
    --daemonize yes
    --bind 127.0.0.1
    --port "$VK_PORT"
    --dir "$VK_DIR"
    --pidfile "$VK_PIDFILE"
    --logfile "$VK_LOG"
    --save ''
    --appendonly no
    --protected-mode yes
  )
  if [[ -n $VK_PASS ]]; then
    args+=(--requirepass "$VK_PASS")
  fi
  : >"$VK_LOG"
  if ! "$bin" "${args[@]}" >>"$VK_LOG" 2>&1 9>&-; then
    show_log_tail "$VK_LOG"
    die "$(basename "$bin") did not start (see $(rel "$VK_LOG"))."
  fi
  printf '%s\n' "$VK_PORT" >"$VK_PORTFILE"
  waited=0
  until valkey_answers 127.0.0.1 "$VK_PORT" "$VK_PASS"; do
    if [[ $waited -ge 50 ]]; then
      show_log_tail "$VK_LOG"
      die "$(basename "$bin") started but does not answer PING on port $VK_PORT after 10 s (log: $(rel "$VK_LOG"))."
    fi
    sleep_a_bit
    waited=$((waited + 1))
  done
  pid=$(valkey_our_pid || echo "?")
  say "Valkey:     started $(valkey_server_version 127.0.0.1 "$VK_PORT" "$VK_PASS" || basename "$bin") on 127.0.0.1:$VK_PORT (pid $pid, log $(rel "$VK_LOG"))"
}

valkey_down() {
  local pid i
  if ! pid=$(valkey_our_pid); then
    rm -f "$VK_PIDFILE"
    say "Valkey:     not running (nothing to stop)."
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep_a_bit
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "Valkey:     pid $pid did not stop within 10 s; killing it."
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$VK_PIDFILE"
  say "Valkey:     stopped (pid $pid)."
}

# ---------------------------------------------------------------------------
# Native: PostgreSQL
# ---------------------------------------------------------------------------

PG_STATE=$STATE/postgres

# Folders that may hold initdb, pg_ctl and postgres, best first.
pg_bin_candidates() {
  local d
  d=$(command -v pg_ctl 2>/dev/null || true)
  if [[ -n $d ]]; then
    # Follow a symbolic link to the real folder, which also has psql.
    d=$(readlink -f "$d" 2>/dev/null || printf '%s' "$d")
    dirname "$d"
  fi
  # Debian/Ubuntu keep them outside PATH, one folder per version: highest first.
  for d in /usr/lib/postgresql/*/bin; do
    [[ -d $d ]] && printf '%s\n' "$d"
  done | sort -t / -k 5,5rn
  if command -v pg_config >/dev/null 2>&1; then
    pg_config --bindir 2>/dev/null || true
  fi
  # Homebrew (Apple silicon, then Intel): postgresql@NN, highest first.
  for d in /opt/homebrew/opt/postgresql@*/bin /usr/local/opt/postgresql@*/bin; do
    [[ -d $d ]] && printf '%s\n' "$d"
  done | sort -t @ -k 2,2rn
  printf '%s\n' /opt/homebrew/opt/postgresql/bin /usr/local/opt/postgresql/bin \
    /opt/homebrew/bin /usr/local/bin /usr/local/pgsql/bin
  for d in /usr/pgsql-*/bin; do
    [[ -d $d ]] && printf '%s\n' "$d"
  done
  return 0
}

# Major version of the postgres program in folder $1 ("15").
pg_bin_major() {
  "$1/postgres" --version 2>/dev/null | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1
}

# Sets PG_BIN: a folder with initdb, pg_ctl and postgres. When the data
# folder exists, the version must match the one that created it (PG_WANT).
locate_pg_bin() {
  local d
  PG_WANT=""
  [[ -n ${PG_DATA:-} && -r $PG_DATA/PG_VERSION ]] && PG_WANT=$(cat "$PG_DATA/PG_VERSION")
  while IFS= read -r d; do
    [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] || continue
    if [[ -z $PG_WANT || $(pg_bin_major "$d") == "$PG_WANT" ]]; then
      PG_BIN=$d
      return 0
    fi
  done < <(pg_bin_candidates)
  return 1
}

# Same, but explains and exits when there is none.
find_pg_bin() {
  locate_pg_bin && return 0
  if [[ -n $PG_WANT ]]; then
    die "the data folder $(rel "$PG_DATA") was made by PostgreSQL $PG_WANT, which is no longer installed.
  Start over with a new, empty database:  make infra-down && rm -rf $(rel "$PG_HOME") && make infra-up"
  fi
  die "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found. Install them with: make setup"
}

# Prints the path of a PostgreSQL client tool (psql, pg_isready).
find_pg_tool() {
  local d
  if [[ -n ${PG_BIN:-} && -x $PG_BIN/$1 ]]; then
    printf '%s\n' "$PG_BIN/$1"
    return 0
  fi
  while IFS= read -r d; do
    if [[ -x $d/$1 ]]; then
      printf '%s\n' "$d/$1"
      return 0
    fi
  done < <(pg_bin_candidates)
  if command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
    return 0
  fi
  return 1
}

# Who runs PostgreSQL: it refuses to run as root.
PG_RUN_USER=""
pg_pick_user() {
  if ! is_root; then
    PG_RUN_USER=$(id -un)
    return 0
  fi
  if ! command -v runuser >/dev/null 2>&1 && ! command -v su >/dev/null 2>&1; then
    die "running as root, and neither runuser nor su exists to run PostgreSQL as another user. Run as a normal user."
  fi
  if id postgres >/dev/null 2>&1; then
    PG_RUN_USER=postgres
  else
    if ! id workbook-pg >/dev/null 2>&1; then
      command -v useradd >/dev/null 2>&1 || die "PostgreSQL refuses to run as root, and there is no 'postgres' user nor useradd to create one."
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin workbook-pg 2>/dev/null ||
        useradd --system --no-create-home --shell /usr/sbin/nologin workbook-pg
      say "PostgreSQL: created the system user 'workbook-pg' to run it (PostgreSQL refuses to run as root)."
    fi
    PG_RUN_USER=workbook-pg
  fi
}

# Runs a command as PG_RUN_USER (from /, which that user can always reach).
as_pg() {
  if ! is_root; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u "$PG_RUN_USER" -- "$@")
  else
    local cmd
    cmd=$(printf '%q ' "$@")
    (cd / && su -s /bin/sh "$PG_RUN_USER" -c "exec $cmd")
  fi
}

short_hash() {
  printf '%08x' "$(printf '%s' "$1" | cksum | cut -d ' ' -f 1)"
}

# Sets PG_HOME (folder owned by PG_RUN_USER holding data/, run/, postgres.log),
# PG_DATA, PG_LOG, PG_SOCKDIR. Creates folders only when $1 is "create".
pg_paths() {
  local create=${1:-} fallback recorded=""
  fallback=/var/tmp/valkey-workbook-$(short_hash "$ROOT")
  [[ -r $PG_STATE/location ]] && recorded=$(head -n 1 "$PG_STATE/location")
  # Trust the record only when it belongs to this folder (not to a copy's).
  if [[ $recorded == "$PG_STATE" || $recorded == "$fallback" ]]; then
    PG_HOME=$recorded
  elif [[ $create != create ]]; then
    PG_HOME=$PG_STATE
  else
    mkdir -p "$PG_STATE"
    PG_HOME=$PG_STATE
    if is_root; then
      if ! as_pg test -x "$STATE" 2>/dev/null; then
        PG_HOME=$fallback
        say "PostgreSQL: the user '$PG_RUN_USER' cannot reach $ROOT (a parent folder is private),"
        say "            so its files go to $PG_HOME instead."
      fi
    fi
    printf '%s\n' "$PG_HOME" >"$PG_STATE/location"
  fi
  PG_DATA=$PG_HOME/data
  PG_LOG=$PG_HOME/postgres.log
  PG_SOCKDIR=$PG_HOME/run
  # A Unix socket path must stay under ~107 bytes.
  if [[ $((${#PG_SOCKDIR} + 20)) -gt 100 ]]; then
    PG_SOCKDIR=/tmp/valkey-workbook-$(short_hash "$ROOT")
  fi
  if [[ $create == create ]]; then
    local d
    for d in "$PG_HOME" "$PG_SOCKDIR"; do
      if [[ -e $d && $d != "$STATE"/* ]] && is_root; then
        # Shared /var/tmp or /tmp: only trust a folder that root or our user owns.
        local owner
        owner=$(stat -c %U "$d" 2>/dev/null || stat -f %Su "$d")
        [[ $owner == root || $owner == "$PG_RUN_USER" ]] || die "$d exists and belongs to '$owner': remove it and try again."
      fi
      mkdir -p "$d"
      chmod 700 "$d"
      if is_root; then chown "$PG_RUN_USER" "$d"; fi
    done
    if [[ $PG_HOME != "$PG_STATE" ]]; then
      ln -sfn "$PG_LOG" "$PG_STATE/postgres.log"
    fi
  fi
  return 0
}

# True when our cluster is running; sets PG_PID and PG_RUNNING_PORT.
pg_ours_running() {
  PG_PID=""
  PG_RUNNING_PORT=""
  [[ -n ${PG_DATA:-} && -r $PG_DATA/postmaster.pid ]] || return 1
  [[ -n ${PG_BIN:-} ]] || return 1
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 || return 1
  PG_PID=$(sed -n 1p "$PG_DATA/postmaster.pid" | tr -dc 0-9)
  PG_RUNNING_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid" | tr -dc 0-9)
  # Linux: the server works in its data folder; a copied .state/ points elsewhere.
  local cwd
  if [[ -n $PG_PID ]] && cwd=$(readlink "/proc/$PG_PID/cwd" 2>/dev/null) && [[ -n $cwd ]]; then
    [[ $cwd == "$(cd "$PG_DATA" 2>/dev/null && pwd -P)" ]] || return 1
  fi
  return 0
}

# psql over our Unix socket as the superuser (local connections are trusted).
pg_psql_local() {
  local psql
  psql=$(find_pg_tool psql) || die "psql was not found. Install it with: make setup"
  as_pg "$psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U "$PG_USER" "$@"
}

pg_write_config() {
  local conf=$PG_DATA/workbook.conf sock
  sock=${PG_SOCKDIR//\'/\'\'}
  cat >"$conf" <<EOF
# Written by infra/infra.sh at every start (from DATABASE_URL): do not edit.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
EOF
  if is_root; then chown "$PG_RUN_USER" "$conf"; fi
  chmod 600 "$conf"
  if ! grep -q "^include_if_exists = 'workbook.conf'" "$PG_DATA/postgresql.conf"; then
    printf "\n# The workbook's settings (listen address, port, socket folder):\ninclude_if_exists = 'workbook.conf'\n" >>"$PG_DATA/postgresql.conf"
  fi
}

pg_initdb() {
  local pwfile=$PG_HOME/.pwfile initlog=$PG_HOME/initdb.log
  say "PostgreSQL: creating a new database cluster in $(rel "$PG_DATA") (first start)..."
  rm -rf "$PG_DATA"
  (umask 077 && printf '%s\n' "$PG_PASS" >"$pwfile")
  if is_root; then chown "$PG_RUN_USER" "$pwfile" "$PG_HOME"; fi
  : >"$initlog"
  if is_root; then chown "$PG_RUN_USER" "$initlog"; fi
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >>"$initlog" 2>&1; then
    rm -f "$pwfile"
    show_log_tail "$initlog"
    die "initdb failed (see $(rel "$initlog"))."
  fi
  rm -f "$pwfile" "$PG_STATE/staff.loaded"
}

# Creates the database named in the URL when missing, then loads the Staff
# tables once (again when infra/staff.sql changes; the file is safe to re-run).
pg_prepare_database() {
  local exists signature
  exists=$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'db';" |
    pg_psql_local -d postgres -tA -v db="$PG_DB") || die "could not ask PostgreSQL for its databases (log: $(rel "$PG_LOG"))."
  if [[ $exists != 1 ]]; then
    printf '%s\n' "SELECT format('CREATE DATABASE %I', :'db') \\gexec" |
      pg_psql_local -d postgres -v db="$PG_DB" >/dev/null || die "could not create the database '$PG_DB'."
    say "PostgreSQL: created the database '$PG_DB'."
    rm -f "$PG_STATE/staff.loaded"
  fi
  signature="$PG_DB $(cksum <"$STAFF_SQL" | cut -d ' ' -f 1)"
  if [[ ! -r $PG_STATE/staff.loaded || $(cat "$PG_STATE/staff.loaded") != "$signature" ]]; then
    pg_psql_local -d "$PG_DB" <"$STAFF_SQL" >/dev/null || die "loading infra/staff.sql into '$PG_DB' failed."
    printf '%s\n' "$signature" >"$PG_STATE/staff.loaded"
    say "PostgreSQL: loaded the Staff tables (infra/staff.sql) into '$PG_DB'."
  fi
}

# Logs in over TCP exactly as the workbook will, with DATABASE_URL's password.
pg_check_login() {
  local psql out
  psql=$(find_pg_tool psql) || return 0
  if ! out=$(PGPASSWORD=$PG_PASS PGCONNECT_TIMEOUT=5 "$psql" -X -tA -h 127.0.0.1 -p "$PG_PORT" \
    -U "$PG_USER" -d "$PG_DB" -c 'SELECT 1' 2>&1); then
    err "$out"
    die "PostgreSQL runs, but refuses the user/password of DATABASE_URL ('$PG_SHOWN').
  Its data folder was probably created with other ones. Either use the URL it was
  created with, or start over with a new, empty database:
    make infra-down && rm -rf $(rel "$PG_HOME") $(rel "$PG_STATE") && make infra-up"
  fi
}

# Fails when DATABASE_URL's port is taken by a server that is not ours.
pg_check_port() {
  [[ $PG_LOCAL -eq 1 ]] || return 0
  if [[ -r $PG_STATE/location ]]; then
    if is_root; then pg_pick_user; fi
    pg_paths
    if locate_pg_bin && pg_ours_running; then
      return 0
    fi
  fi
  if port_open 127.0.0.1 "$PG_PORT"; then
    port_taken PostgreSQL "$PG_PORT" DATABASE_URL "$(database_url_with_port "$(free_port_after "$PG_PORT")")"
  fi
  return 0
}

pg_up() {
  if [[ $PG_LOCAL -eq 0 ]]; then
    say "PostgreSQL: DATABASE_URL points at $PG_HOST, not this machine: not starting one here."
    return 0
  fi
  require_full_database_url
  pg_pick_user
  pg_paths create
  find_pg_bin
  if pg_ours_running; then
    if [[ -n $PG_RUNNING_PORT && $PG_RUNNING_PORT != "$PG_PORT" ]]; then
      die "our PostgreSQL is running on port $PG_RUNNING_PORT, but DATABASE_URL says port $PG_PORT.
  Stop it first with 'make infra-down', then run 'make infra-up' again."
    fi
    say "PostgreSQL: already running (ours: pid $PG_PID, port $PG_PORT). Nothing to do."
    pg_prepare_database
    pg_check_login
    return 0
  fi
  pg_check_port
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    pg_initdb
  fi
  pg_write_config
  [[ -e $PG_LOG ]] || : >"$PG_LOG"
  if is_root; then chown "$PG_RUN_USER" "$PG_LOG"; fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1 9>&-; then
    show_log_tail "$PG_LOG"
    die "PostgreSQL did not start (log: $(rel "$PG_LOG"))."
  fi
  pg_ours_running || true
  pg_prepare_database
  pg_check_login
  say "PostgreSQL: started $("$PG_BIN/postgres" --version | sed -e 's/^postgres (PostgreSQL) /PostgreSQL /' -e 's/ (.*//') on 127.0.0.1:$PG_PORT (pid ${PG_PID:-?}, log $(rel "$PG_LOG"))"
}

pg_down() {
  if [[ ! -r $PG_STATE/location && ! -d $PG_STATE/data ]]; then
    say "PostgreSQL: not running (nothing to stop)."
    return 0
  fi
  if is_root; then pg_pick_user; fi
  pg_paths
  if ! locate_pg_bin || ! pg_ours_running; then
    say "PostgreSQL: not running (nothing to stop)."
    return 0
  fi
  local pid=$PG_PID
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
    show_log_tail "$PG_LOG"
    die "pg_ctl could not stop PostgreSQL (log: $(rel "$PG_LOG"))."
  fi
  say "PostgreSQL: stopped (pid $pid)."
}

# ---------------------------------------------------------------------------
# Native: up / down
# ---------------------------------------------------------------------------

native_up() {
  take_lock
  # Both ports first, so that nothing is started when one of them is taken.
  valkey_check_port
  pg_check_port
  record_backend native
  valkey_up
  pg_up
}

native_down() {
  take_lock
  valkey_down
  pg_down
}

# True when anything native of ours is running (for backend switches).
native_running() {
  valkey_our_pid >/dev/null && return 0
  if [[ -r $PG_STATE/location ]]; then
    if is_root; then pg_pick_user >/dev/null; fi
    pg_paths
    locate_pg_bin && pg_ours_running && return 0
  fi
  return 1
}

# ---------------------------------------------------------------------------
# Docker
# ---------------------------------------------------------------------------

compose() {
  docker compose -f "$COMPOSE_FILE" -p "$COMPOSE_PROJECT" "$@"
}

docker_export_env() {
  export VALKEY_PORT=$VK_PORT PG_PORT PG_USER PG_PASSWORD=$PG_PASS PG_DB
}

# Services of our compose project that are running, one a line.
docker_running_services() {
  compose ps --status running --services 2>/dev/null || true
}

docker_up() {
  [[ $VK_LOCAL -eq 1 && $PG_LOCAL -eq 1 ]] || die "with Docker, both VALKEY_URL and DATABASE_URL must point at 127.0.0.1."
  require_full_database_url
  docker_export_env
  take_lock
  local running
  running=$(docker_running_services)
  if [[ $running != *valkey* ]] && port_open 127.0.0.1 "$VK_PORT"; then
    port_taken Valkey "$VK_PORT" VALKEY_URL "redis://127.0.0.1:$(free_port_after "$VK_PORT")"
  fi
  if [[ $running != *postgres* ]] && port_open 127.0.0.1 "$PG_PORT"; then
    port_taken PostgreSQL "$PG_PORT" DATABASE_URL "$(database_url_with_port "$(free_port_after "$PG_PORT")")"
  fi
  record_backend docker
  say "Starting the servers in Docker (project '$COMPOSE_PROJECT'; the first time downloads the images)..."
  if ! compose up -d --wait 9>&-; then
    compose logs --tail 30 >&2 || true
    die "docker compose could not start the servers (logs above)."
  fi
  valkey_answers 127.0.0.1 "$VK_PORT" "$VK_PASS" || die "Valkey's container runs but does not answer on 127.0.0.1:$VK_PORT."
  postgres_answers 127.0.0.1 "$PG_PORT" || die "PostgreSQL's container runs but does not answer on 127.0.0.1:$PG_PORT."
  say "Valkey:     running in Docker on 127.0.0.1:$VK_PORT"
  say "PostgreSQL: running in Docker on 127.0.0.1:$PG_PORT"
}

docker_down() {
  command -v docker >/dev/null 2>&1 || die "the servers were started with Docker, but the docker command is gone."
  docker_export_env
  take_lock
  compose down
  say "Docker: stopped and removed the workbook's containers (the database volume is kept)."
}

# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------

status_cmd() {
  local backend how recorded
  recorded=$(recorded_backend)
  backend=$(forced_backend)
  [[ -n $backend ]] || backend=$recorded
  if [[ -n $backend ]]; then
    how="from the last 'make infra-up'"
    [[ -n ${WORKBOOK_INFRA:-} ]] && how="forced by WORKBOOK_INFRA"
  else
    backend=$(auto_backend)
    how="nothing started yet; 'make infra-up' would use this"
  fi
  case $backend in
    native) say "Backend: native (servers run as processes of this machine; $how)" ;;
    docker) say "Backend: docker (compose project '$COMPOSE_PROJECT'; $how)" ;;
  esac

  # Valkey row
  local vk_answers=no vk_version="-" vk_ours=no pid
  if [[ $VK_LOCAL -eq 1 ]] || port_open "$VK_ADDR" "$VK_PORT"; then
    if valkey_answers "$VK_ADDR" "$VK_PORT" "$VK_PASS"; then
      vk_answers=yes
      vk_version=$(valkey_server_version "$VK_ADDR" "$VK_PORT" "$VK_PASS" || echo "?")
    elif port_open "$VK_ADDR" "$VK_PORT"; then
      vk_answers="no (port taken)"
    fi
  fi
  # PostgreSQL row
  local pg_answers=no pg_version="-" pg_ours=no psql v
  if postgres_answers "$PG_ADDR" "$PG_PORT"; then
    pg_answers=yes
    pg_version="?"
    if psql=$(find_pg_tool psql) && [[ -n $PG_USER ]]; then
      if v=$(PGPASSWORD=$PG_PASS PGCONNECT_TIMEOUT=5 "$psql" -X -tA -h "$PG_ADDR" -p "$PG_PORT" \
        -U "$PG_USER" -d "${PG_DB:-postgres}" -c 'SHOW server_version' 2>/dev/null); then
        pg_version="PostgreSQL ${v%% *}"
      else
        pg_version="PostgreSQL (login refused)"
      fi
    fi
  elif port_open "$PG_ADDR" "$PG_PORT"; then
    pg_answers="no (port taken)"
  fi

  if [[ $backend == native ]]; then
    if pid=$(valkey_our_pid) && [[ $(cat "$VK_PORTFILE" 2>/dev/null) == "$VK_PORT" ]]; then
      vk_ours="yes (pid $pid)"
    elif pid=$(valkey_our_pid); then
      vk_ours="no (ours runs on port $(cat "$VK_PORTFILE" 2>/dev/null))"
    fi
    if [[ -r $PG_STATE/location ]]; then
      if is_root; then pg_pick_user >/dev/null; fi
      pg_paths
      if locate_pg_bin && pg_ours_running; then
        if [[ $PG_RUNNING_PORT == "$PG_PORT" ]]; then
          pg_ours="yes (pid $PG_PID)"
        else
          pg_ours="no (ours runs on port $PG_RUNNING_PORT)"
        fi
      fi
    fi
  else
    local running
    if command -v docker >/dev/null 2>&1; then
      docker_export_env
      running=$(docker_running_services)
      [[ $running == *valkey* ]] && vk_ours="yes (container)"
      [[ $running == *postgres* ]] && pg_ours="yes (container)"
      say ""
      compose ps 2>/dev/null || true
    fi
  fi
  [[ $vk_answers == no* ]] && vk_version="-"
  [[ $pg_answers == no* ]] && pg_version="-"

  # The table
  local w=3
  [[ ${#VK_SHOWN} -gt $w ]] && w=${#VK_SHOWN}
  [[ ${#PG_SHOWN} -gt $w ]] && w=${#PG_SHOWN}
  local fmt="  %-11s %-${w}s  %-19s %-6s %-16s %s\n"
  say ""
  # shellcheck disable=SC2059
  {
    printf "$fmt" SERVER URL VERSION PORT ANSWERS OURS
    printf "$fmt" Valkey "$VK_SHOWN" "$vk_version" "$VK_PORT" "$vk_answers" "$vk_ours"
    printf "$fmt" PostgreSQL "$PG_SHOWN" "$pg_version" "$PG_PORT" "$pg_answers" "$pg_ours"
  }
  say ""
  if [[ $vk_answers == yes && $pg_answers == yes ]]; then
    say "Both servers answer."
    return 0
  fi
  if [[ $vk_answers == no && $pg_answers == no ]]; then
    say "Neither server answers. Start them with: make infra-up"
  else
    say "Not every server answers. Start them with: make infra-up"
  fi
  return 1
}

# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

up_cmd() {
  local forced recorded backend
  forced=$(forced_backend)
  recorded=$(recorded_backend)
  if [[ -n $forced ]]; then
    backend=$forced
  elif [[ $recorded == docker ]] && docker_available; then
    backend=docker
  elif [[ $recorded == native ]]; then
    backend=native
  else
    backend=$(auto_backend)
  fi
  if [[ -n $recorded && $recorded != "$backend" ]]; then
    if [[ $recorded == native ]] && native_running; then
      die "the servers already run natively (from an earlier 'make infra-up'). Stop them first: make infra-down"
    fi
    if [[ $recorded == docker ]] && command -v docker >/dev/null 2>&1 && [[ -n $(docker_running_services) ]]; then
      die "the servers already run in Docker (from an earlier 'make infra-up'). Stop them first: make infra-down"
    fi
  fi
  if [[ $backend == docker ]]; then
    docker_available || die "WORKBOOK_INFRA=docker, but no Docker engine answers ('docker info' fails) or 'docker compose' is missing."
    docker_up
  else
    native_up
  fi
  say ""
  say "Ready. The workbook connects with:"
  say "  VALKEY_URL=$VK_SHOWN"
  say "  DATABASE_URL=$PG_SHOWN"
  if [[ $DATABASE_URL == "$DEFAULT_DATABASE_URL" ]]; then
    say "Look inside the database:  psql $DEFAULT_DATABASE_URL"
  else
    say "Look inside the database:  psql \"\$DATABASE_URL\""
  fi
  say "Stop them with: make infra-down"
}

down_cmd() {
  local backend
  backend=$(recorded_backend)
  [[ -n $backend ]] || backend=$(forced_backend)
  [[ -n $backend ]] || backend=native
  if [[ $backend == docker ]]; then
    docker_down
  else
    native_down
  fi
  rm -f "$STATE/backend"
}

main() {
  if [[ $# -ne 1 ]]; then
    usage >&2
    exit 2
  fi
  case $1 in
    -h | --help | help)
      usage
      exit 0
      ;;
    up | down | status) ;;
    *)
      err "$PROG: unknown command '$1'"
      usage >&2
      exit 2
      ;;
  esac
  forced_backend >/dev/null
  load_valkey_url
  load_database_url
  case $1 in
    up) up_cmd ;;
    down) down_cmd ;;
    status) status_cmd ;;
  esac
}

main "$@"
