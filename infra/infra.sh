#!/usr/bin/env bash
# infra/infra.sh: start, stop and inspect the workbook's two servers.
#
#   infra/infra.sh up       start what VALKEY_URL and DATABASE_URL need here
#   infra/infra.sh down     stop what 'up' started (and nothing else)
#   infra/infra.sh status   which servers answer, with the URL's login; exit 0 when both do
#   infra/infra.sh check    the same, quietly: exit 0 when both answer (scripts use it)
#   infra/infra.sh probe    one line per server for scripts/doctor:
#                           name<TAB>state<TAB>version ("-" if none)<TAB>detail
#                           (state: ok, login-refused, not-answering, port-taken)
#   infra/infra.sh second-server start|stop
#                           the second server `make check` proves the solutions
#                           on (Redis 7.0 when the primary is Valkey, and the other
#                           way round), on a free loopback port of its own; start
#                           prints one line, URL<TAB>second's name and
#                           version<TAB>primary's, or why it cannot (exit 3)
#   infra/infra.sh clean    'down', then remove everything the servers left (.state/
#                           and any folder outside the project), saying what
#
# Servers follow the URLs: for a URL on this machine (127.0.0.1, localhost)
# 'up' starts what does not answer there yet; a server that already answers
# there with the URL's login (one of your own) is used as it is; a URL that
# points at another machine is never started, only checked.
#
# Configuration (environment):
#   VALKEY_URL      default redis://127.0.0.1:6379
#   DATABASE_URL    default postgresql://workbook:workbook@127.0.0.1:25432/workbook
#   WORKBOOK_INFRA  docker | native   (default: docker when an engine answers
#                   and 'docker compose' exists, else native)
# The URLs are read by the workbook's one parser (infra/wb-url), never here.
#
# Native servers keep their files under .state/ at the repository root:
#   .state/backend               which backend 'up' used (docker or native)
#   .state/infra.lock            one 'up' or 'down' at a time
#   .state/valkey/               the server's folder: valkey.pid, valkey.log
#   .state/valkey.conf           its settings and password (mode 600, read on stdin)
#   .state/postgres/             data/, run/ (socket), postgres.log
# Run as root, each server runs as an unprivileged account (valkey or redis,
# postgres: the packages' own; none is created). When that account cannot
# reach the project (a private parent folder, as /root), the server's folder
# is made with mktemp under /var/tmp instead, recorded in .state/<server>.home,
# and removed by 'down' (with its data: the next 'up' makes a new database).
#
# PostgreSQL: initdb makes a superuser 'workbook_admin' that logs in over the
# Unix socket only (its folder is private), for set-up. DATABASE_URL's user is
# an ordinary role that owns DATABASE_URL's database: no superuser, no
# CREATEDB, no COPY ... FROM PROGRAM.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE=$ROOT/.state
COMPOSE_FILE=$ROOT/infra/compose.yaml
STAFF_SQL=$ROOT/infra/staff.sql
WB_URL=$ROOT/infra/wb-url

DEFAULT_VALKEY_URL=redis://127.0.0.1:6379
# Port 25432: below Linux's ephemeral range (32768-60999), from which every
# outgoing connection takes its local port. The old default, 55432, was in it,
# and on a busy machine PostgreSQL's start failed now and then with "Address
# already in use" while nothing listened there (a client's connection held it).
DEFAULT_DATABASE_URL=postgresql://workbook:workbook@127.0.0.1:25432/workbook
# The cluster's superuser, for set-up over the Unix socket only.
PG_ADMIN=workbook_admin
# Written next to data/ by the initdb of this layout; a data/ without it was
# made by an older workbook, whose URL user was the superuser.
PG_LAYOUT="2 admin=$PG_ADMIN"

PROG=infra/infra.sh

usage() {
  cat <<EOF
Usage: $PROG up|down|status|check|probe|clean|second-server start|stop

  up       start Valkey and PostgreSQL where the URLs point at this machine (make infra-up)
  down     stop the servers that 'up' started (make infra-down)
  status   show which servers answer, with the URLs' logins; exit 0 when both do (make infra-status)
  check    exit 0 when both answer (quiet)
  probe    one line per server, for scripts/doctor
  clean    stop them and remove every file they left, in .state/ and outside the project
  second-server start|stop   the second server of make check

Environment:
  VALKEY_URL      the Valkey server  (default $DEFAULT_VALKEY_URL)
  DATABASE_URL    the PostgreSQL server  (default postgresql://workbook:***@127.0.0.1:25432/workbook)
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

short_hash() {
  printf '%08x' "$(printf '%s' "$1" | cksum | cut -d ' ' -f 1)"
}

# ---------------------------------------------------------------------------
# URLs: parsed by infra/wb-url (the C++ parser), never here.
# ---------------------------------------------------------------------------

# Sets VK_* and PG_* (see workbook/tools/url_tool.cpp for the names).
load_urls() {
  local out
  # The tool reads the variables by name: give it the defaults too.
  export VALKEY_URL=${VALKEY_URL:-$DEFAULT_VALKEY_URL} DATABASE_URL=${DATABASE_URL:-$DEFAULT_DATABASE_URL}
  # (The names the tool sets, for readers and shellcheck.)
  VK_SCHEME="" VK_USER="" VK_PASSWORD="" VK_HOST="" VK_PORT="" VK_TLS="" VK_LOCAL="" VK_SHOWN=""
  PG_SCHEME="" PG_USER="" PG_PASSWORD="" PG_HOST="" PG_PORT="" PG_PATH="" PG_LOCAL="" PG_SHOWN=""
  out=$("$WB_URL" shell VK VALKEY_URL "$DEFAULT_VALKEY_URL" 2>&1) || die "$out"
  eval "$out"
  out=$("$WB_URL" shell PG DATABASE_URL "$DEFAULT_DATABASE_URL" 2>&1) || die "$out"
  eval "$out"
  case $VK_SCHEME in
    redis | valkey | rediss | valkeys) ;;
    *) die "VALKEY_URL must start with redis:// (it is '$VK_SHOWN')" ;;
  esac
  case $PG_SCHEME in
    postgresql | postgres) ;;
    *) die "DATABASE_URL must start with postgresql:// (it is '$PG_SHOWN')" ;;
  esac
  # The client connects to 127.0.0.1 when the URL names no host.
  VK_ADDR=${VK_HOST:-127.0.0.1}
  [[ $VK_ADDR == localhost ]] && VK_ADDR=127.0.0.1
  PG_ADDR=$PG_HOST
  [[ $PG_ADDR == localhost ]] && PG_ADDR=127.0.0.1
  PG_DB=$PG_PATH
  return 0
}

# For a server of our own the URL must be complete and plain.
require_startable_urls() {
  local var port
  for var in VALKEY_URL DATABASE_URL; do
    if [[ $var == VALKEY_URL ]]; then [[ $VK_LOCAL == 1 ]] || continue; port=$VK_PORT; else [[ $PG_LOCAL == 1 ]] || continue; port=$PG_PORT; fi
    [[ $port -ge 1024 ]] || die "$var's port $port is below 1024, where only root may listen; the workbook's servers run unprivileged. Choose a port from 1024 up."
  done
  if [[ $VK_LOCAL == 1 ]]; then
    [[ $VK_TLS == 0 ]] || die "VALKEY_URL asks for TLS ($VK_SCHEME://); the workbook's own server does not speak it. Use redis://..."
    if [[ -n $VK_USER && $VK_USER != default ]]; then
      die "VALKEY_URL names the user '$VK_USER': the workbook's own server only knows the user 'default' (redis://:password@host:port)."
    fi
  fi
  if [[ $PG_LOCAL == 1 ]]; then
    [[ -n $PG_HOST ]] || die "DATABASE_URL names no host (libpq would use a Unix socket); write 127.0.0.1 for the workbook's own server: $DEFAULT_DATABASE_URL"
    [[ -n $PG_USER && -n $PG_PASSWORD && -n $PG_DB ]] || die "DATABASE_URL must name a user, a password and a database,
  like postgresql://workbook:workbook@127.0.0.1:25432/workbook
  (it is '$PG_SHOWN')"
    [[ $PG_USER != "$PG_ADMIN" ]] || die "DATABASE_URL's user '$PG_ADMIN' is the name of the set-up superuser; choose another user name."
  fi
}

# ---------------------------------------------------------------------------
# Talking to servers with bash alone (/dev/tcp): no client program needed.
# A password travels in the environment (WB_AUTH_USER, WB_AUTH_PASS), never
# in a command line, which every user of the machine can read.
# ---------------------------------------------------------------------------

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
_tcp_open() {
  exec 3<>"/dev/tcp/$1/$2"
}

_resp_send() {
  local msg="*$#"$'\r\n' a
  for a in "$@"; do
    msg+="\$${#a}"$'\r\n'"$a"$'\r\n'
  done
  printf '%s' "$msg" >&3
}

# host port command...: prints the reply: a status or error line as it is, a
# bulk string's lines. AUTH first when WB_AUTH_PASS is set; a refused AUTH
# prints its error line instead.
_resp_call() {
  export LC_ALL=C
  local host=$1 port=$2 line="" l want got
  shift 2
  _tcp_open "$host" "$port" || return 1
  if [[ -n ${WB_AUTH_PASS:-} ]]; then
    if [[ -n ${WB_AUTH_USER:-} ]]; then
      _resp_send AUTH "$WB_AUTH_USER" "$WB_AUTH_PASS"
    else
      _resp_send AUTH "$WB_AUTH_PASS"
    fi
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

port_open() {
  # shellcheck disable=SC2016 # $1 and $2 belong to the child bash
  with_timeout 3 bash -c '_tcp_open "$1" "$2"' _ "$1" "$2" 2>/dev/null
}

# resp_call HOST PORT USER PASSWORD COMMAND...
resp_call() {
  local host=$1 port=$2 user=$3 pass=$4
  shift 4
  # shellcheck disable=SC2016 # the arguments belong to the child bash
  WB_AUTH_USER=$user WB_AUTH_PASS=$pass with_timeout 5 bash -c '_resp_call "$@"' _ "$host" "$port" "$@" 2>/dev/null
}

# valkey_probe HOST PORT USER PASSWORD: sets PROBE (ok | login-refused |
# not-answering | port-taken), PROBE_WHY (words) and PROBE_VERSION
# ("valkey 8.0.1").
valkey_probe() {
  local host=$1 port=$2 user=$3 pass=$4 reply
  PROBE=not-answering PROBE_WHY="nothing answers there" PROBE_VERSION=""
  if ! reply=$(resp_call "$host" "$port" "$user" "$pass" PING); then
    if port_open "$host" "$port"; then
      PROBE=port-taken PROBE_WHY="something listens there, but it does not answer Valkey's PING (a stopped server, or another program)"
    fi
    return 0
  fi
  case $reply in
    +PONG*)
      PROBE=ok PROBE_WHY="answers"
      PROBE_VERSION=$(valkey_server_version "$host" "$port" "$user" "$pass" || echo "?")
      ;;
    -NOAUTH*)
      PROBE=login-refused PROBE_WHY="it wants a password, and VALKEY_URL gives none"
      ;;
    -ERR*without\ any\ password*)
      PROBE=login-refused PROBE_WHY="it has no password, and VALKEY_URL gives one"
      ;;
    -WRONGPASS* | -ERR*invalid*password* | -ERR*AUTH*)
      PROBE=login-refused PROBE_WHY="it refuses VALKEY_URL's user or password (${reply#-})"
      ;;
    -*)
      PROBE=port-taken PROBE_WHY="it answers PING with an error (${reply#-})"
      ;;
    "")
      PROBE=port-taken PROBE_WHY="something listens there, but it does not speak Valkey's protocol"
      ;;
    *)
      PROBE=port-taken PROBE_WHY="it answers PING with '$reply'"
      ;;
  esac
  return 0
}

# "valkey 8.0.1" or "redis 7.0.15", from INFO server.
valkey_server_version() {
  local info name="" ver="" vver="" line
  info=$(resp_call "$1" "$2" "$3" "$4" INFO server) || return 1
  while IFS= read -r line; do
    case $line in
      valkey_version:*) vver=${line#valkey_version:} ;;
      redis_version:*) ver=${line#redis_version:} ;;
      server_name:*) name=${line#server_name:} ;;
    esac
  done <<<"$info"
  if [[ -n $vver ]]; then
    printf 'valkey %s' "$vver"
  elif [[ $name == valkey ]]; then
    printf 'valkey %s' "$ver"
  elif [[ -n $ver ]]; then
    printf 'redis %s' "$ver"
  else
    return 1
  fi
}

speaks_postgres_protocol() {
  # shellcheck disable=SC2016 # $1 and $2 belong to the child bash
  with_timeout 5 bash -c '_pg_sslrequest "$1" "$2"' _ "$1" "$2" 2>/dev/null
}

# pg_probe HOST PORT: logs in with DATABASE_URL's user, password and
# database; sets PROBE, PROBE_WHY and PROBE_VERSION ("postgresql 15.18").
pg_probe() {
  local host=$1 port=$2 psql out
  PROBE=not-answering PROBE_WHY="nothing answers there" PROBE_VERSION=""
  if ! psql=$(find_pg_tool psql); then
    if speaks_postgres_protocol "$host" "$port"; then
      PROBE=ok PROBE_WHY="answers (psql is missing, so the login was not tried: make setup)"
    elif port_open "$host" "$port"; then
      PROBE=port-taken PROBE_WHY="something listens there, but it does not speak PostgreSQL's protocol"
    fi
    return 0
  fi
  if out=$(pg_as_url "$psql" -h "$host" -p "$port" -tAc 'SHOW server_version' 2>&1); then
    PROBE=ok PROBE_WHY="answers" PROBE_VERSION="postgresql ${out%% *}"
    return 0
  fi
  out=$(grep -m 1 -E 'FATAL|error|timeout' <<<"$out" | sed -E 's/^.*FATAL: *//; s/^psql: error: //' || true)
  case $out in
    *"Connection refused"* | *"No such file"*) ;;
    *"timeout expired"*) PROBE=port-taken PROBE_WHY="something accepts connections there but does not answer (a stopped server, or not PostgreSQL)" ;;
    *"could not translate host name"*) PROBE_WHY="its host name is unknown here" ;;
    *"password authentication failed"* | *"does not exist"* | *"no pg_hba.conf entry"* | *"permission denied"* | *"not permitted to log in"*)
      PROBE=login-refused PROBE_WHY="it refuses DATABASE_URL's login: $out"
      ;;
    *)
      if speaks_postgres_protocol "$host" "$port"; then
        PROBE=login-refused PROBE_WHY="it answers, but the login failed: $out"
      elif port_open "$host" "$port"; then
        PROBE=port-taken PROBE_WHY="something listens there, but it does not speak PostgreSQL's protocol"
      fi
      ;;
  esac
  return 0
}

# Runs psql (its path first) as DATABASE_URL's user, the password in the
# environment: pg_as_url PSQL -h HOST -p PORT ARGS...
pg_as_url() {
  local psql=$1
  shift
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 PGSSLMODE=${PG_SET_SSLMODE:-prefer} \
    "$psql" -X -U "$PG_USER" -d "$PG_DB" "$@"
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

# First port after $1 where nothing listens.
free_port_after() {
  local p=$(($1 + 1)) tries=0
  while port_open 127.0.0.1 "$p" && [[ $tries -lt 50 ]]; do
    p=$((p + 1))
    tries=$((tries + 1))
  done
  printf '%s' "$p"
}

# Explains a port collision and exits.
port_taken() {
  local server=$1 port=$2 var=$3 example=$4 why=$5
  err ""
  err "Cannot start $server: port $port on 127.0.0.1 is taken$(listener_process "$port"):"
  err "  $why."
  err ""
  err "Either stop that program, or give the workbook another port, e.g.:"
  err "    $var=$example make infra-up"
  err "and then set the same $var for every make command, or export it once:"
  err "    export $var=$example"
  exit 1
}

# ---------------------------------------------------------------------------
# Accounts and folders
# ---------------------------------------------------------------------------

# Runs a command as account $1 (from /, which every account can reach); as
# ourselves when not root or when $1 is empty.
as_user() {
  local account=$1
  shift
  if [[ -z $account ]] || ! is_root; then
    "$@"
  elif command -v setpriv >/dev/null 2>&1; then
    (cd / && exec setpriv --reuid="$account" --regid="$account" --init-groups -- "$@")
  else
    local cmd
    cmd=$(printf '%q ' "$@")
    (cd / && exec su -s /bin/sh "$account" -c "exec $cmd")
  fi
}

# The account a server runs as when we are root ("" when not root): the one
# its package made. $1: valkey-server, redis-server or postgres.
server_account() {
  is_root || return 0
  local name
  case $1 in
    valkey-server) for name in valkey redis postgres; do id "$name" >/dev/null 2>&1 && { printf '%s' "$name"; return 0; }; done ;;
    redis-server) for name in redis valkey postgres; do id "$name" >/dev/null 2>&1 && { printf '%s' "$name"; return 0; }; done ;;
    postgres) id postgres >/dev/null 2>&1 && { printf postgres; return 0; } ;;
  esac
  die "running as root, and there is no unprivileged account to run $1 as (its package makes one: make setup). Or run the workbook as a normal user."
}

# server_home NAME ACCOUNT: sets HOME_DIR, a folder that ACCOUNT owns and can
# write: $STATE/NAME when ACCOUNT can reach it, else one made with mktemp -d
# under /var/tmp (an unguessable name, created atomically with mode 700; the
# sticky /var/tmp keeps others from swapping it), recorded in
# $STATE/NAME.home. Set HOME_CREATED=1 when this call made an outside one.
server_home() {
  local name=$1 account=$2 inside=$STATE/$1 record=$STATE/$1.home recorded=""
  HOME_CREATED=0
  mkdir -p "$STATE"
  if [[ -r $record ]]; then
    recorded=$(head -n 1 "$record")
    if outside_home_ok "$recorded" "$account"; then
      HOME_DIR=$recorded
      return 0
    fi
    rm -f "$record"
  fi
  mkdir -p "$inside"
  chmod 700 "$inside"
  if [[ -z $account ]]; then
    HOME_DIR=$inside
    return 0
  fi
  chown "$account:" "$inside"
  if as_user "$account" test -w "$inside" 2>/dev/null; then
    HOME_DIR=$inside
    return 0
  fi
  rmdir "$inside" 2>/dev/null || true
  HOME_DIR=$(mktemp -d "/var/tmp/valkey-workbook-$name.XXXXXXXX") || die "could not make a folder for $name under /var/tmp."
  chown "$account:" "$HOME_DIR"
  # Whose folder this is: the checkout, so that a look at /var/tmp (make
  # clean-all, the tools' tests) can tell this clone's folders from another's.
  printf '%s\n' "$ROOT" >"$HOME_DIR/.workbook-project"
  printf '%s\n' "$HOME_DIR" >"$record"
  HOME_CREATED=1
  say "$name: the account '$account' cannot reach $ROOT (a parent folder is private),"
  say "       so its files go to $HOME_DIR (removed by make infra-down)."
}

# True when $1 is a folder we made outside: a real directory (no link) right
# under /var/tmp or /tmp, owned by account $2 (or root, while being made),
# mode 700.
outside_home_ok() {
  local d=$1 account=$2 owner mode
  case $d in
    /var/tmp/valkey-workbook-* | /tmp/valkey-workbook-*) ;;
    *) return 1 ;;
  esac
  [[ -d $d && ! -L $d ]] || return 1
  owner=$(stat -c %U "$d" 2>/dev/null || stat -f %Su "$d" 2>/dev/null) || return 1
  mode=$(stat -c %a "$d" 2>/dev/null || stat -f %Lp "$d" 2>/dev/null) || return 1
  [[ ($owner == "${account:-$(id -un)}" || $owner == root) && $mode == 700 ]]
}

# Removes the outside folder recorded for NAME (after its server stopped).
remove_outside_home() { remove_outside "$STATE/$1.home" "$1"; }

# remove_outside RECORD LABEL: removes the folder RECORD names (when it is one
# of ours outside the project), then RECORD.
remove_outside() {
  local record=$1 label=$2 d
  [[ -r $record ]] || return 0
  d=$(head -n 1 "$record")
  if outside_home_ok "$d" "$(stat -c %U "$d" 2>/dev/null || true)"; then
    rm -rf -- "$d"
    say "$label: removed $d"
  fi
  rm -f "$record"
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

proc_name() {
  if [[ -r /proc/$1/comm ]]; then
    cat "/proc/$1/comm" 2>/dev/null
  else
    ps -p "$1" -o comm= 2>/dev/null
  fi
}

# A Valkey of ours: its pid file in $1 (its folder), alive, a valkey or
# redis program working in that folder. Prints the pid.
valkey_pid_in() {
  local dir=$1 pid name cwd
  [[ -r $dir/valkey.pid ]] || return 1
  pid=$(head -n 1 "$dir/valkey.pid" 2>/dev/null | tr -dc 0-9)
  [[ -n $pid ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  name=$(proc_name "$pid" || true)
  case $name in
    *valkey* | *redis*) ;;
    *) return 1 ;;
  esac
  # Linux: the server works in its dir; a copied .state/ points elsewhere.
  if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) && [[ -n $cwd ]]; then
    [[ $cwd == "$(cd "$dir" 2>/dev/null && pwd -P)" ]] || return 1
  fi
  printf '%s' "$pid"
}

# The folder of our primary Valkey if one was made (without making one).
valkey_home_known() {
  if [[ -r $STATE/valkey.home ]]; then
    head -n 1 "$STATE/valkey.home"
  else
    printf '%s' "$STATE/valkey"
  fi
}

valkey_our_pid() { valkey_pid_in "$(valkey_home_known)"; }

# The port our Valkey was started on ("" when unknown; an older workbook
# wrote it in .state/valkey/port).
valkey_recorded_port() {
  cat "$STATE/valkey.port" 2>/dev/null || cat "$STATE/valkey/port" 2>/dev/null || true
}

# valkey_launch BIN ACCOUNT HOME PORT CONF_EXTRA_FILE: starts a server
# (daemonized) with its settings on stdin; waits until it answers PING.
# Prints nothing; dies with the log when it does not start.
valkey_launch() {
  local bin=$1 account=$2 home=$3 port=$4 conf=$5 pass=$6 waited=0
  local startlog=$home.start.log
  [[ $home == "$STATE"/* ]] || startlog=$STATE/$(basename "$home").start.log
  rm -f "$home/valkey.pid"
  # A log an earlier run (as another account) left would stop the server.
  [[ -n $account && -e $home/valkey.log ]] && chown "$account:" "$home/valkey.log"
  : >"$startlog"
  # The settings (and the password) go in on stdin: never in the command
  # line, never in a file the server's account can read.
  if ! (cd / && as_user "$account" "$bin" - <"$conf") >>"$startlog" 2>&1 9>&-; then
    show_log_tail "$startlog"
    show_log_tail "$home/valkey.log"
    return 1
  fi
  until valkey_answers_locally "$port" "$pass"; do
    if [[ $waited -ge 50 ]]; then
      show_log_tail "$startlog"
      show_log_tail "$home/valkey.log"
      return 1
    fi
    sleep_a_bit
    waited=$((waited + 1))
  done
  rm -f "$startlog"
}

valkey_answers_locally() {
  local reply
  reply=$(resp_call 127.0.0.1 "$1" "" "$2" PING) || return 1
  [[ $reply == +PONG* ]]
}

# The settings of a server of ours, to stdout: port, loopback only, no
# persistence, the folder; then the password line from the URL (if any).
valkey_settings() {
  local home=$1 port=$2
  cat <<EOF
# Written by infra/infra.sh at every start: do not edit (read on stdin).
port $port
bind 127.0.0.1 -::1
protected-mode yes
daemonize yes
dir "$home"
pidfile "$home/valkey.pid"
logfile "$home/valkey.log"
save ""
appendonly no
EOF
}

# Phase 1 of 'up' for Valkey: decides VK_ACTION (start | ours | theirs |
# remote) without starting anything; dies when it cannot be done.
valkey_plan() {
  VK_ACTION=""
  if [[ $VK_LOCAL == 0 ]]; then
    VK_ACTION=remote
    return 0
  fi
  local pid oport
  if pid=$(valkey_our_pid); then
    oport=$(valkey_recorded_port)
    if [[ -n $oport && $oport != "$VK_PORT" ]]; then
      die "our Valkey is running on port $oport, but VALKEY_URL says port $VK_PORT.
  Stop it first with 'make infra-down', then run 'make infra-up' again."
    fi
    valkey_probe 127.0.0.1 "$VK_PORT" "$VK_USER" "$VK_PASSWORD"
    [[ $PROBE == ok ]] || die "our Valkey runs on port $VK_PORT, but $PROBE_WHY (it was started with other settings).
  Start it again with the URL's: make infra-down && make infra-up"
    VK_ACTION=ours
    return 0
  fi
  valkey_probe 127.0.0.1 "$VK_PORT" "$VK_USER" "$VK_PASSWORD"
  case $PROBE in
    ok)
      VK_ACTION=theirs
      VK_THEIR_VERSION=$PROBE_VERSION
      ;;
    not-answering)
      VK_BIN=$(find_valkey_server) || die "no valkey-server (or redis-server) program found. Install it with: make setup"
      VK_ACCOUNT=$(server_account "$(basename "$VK_BIN")")
      VK_ACTION=start
      ;;
    login-refused)
      die "a Valkey server already runs on 127.0.0.1:$VK_PORT$(listener_process "$VK_PORT"), not started by the workbook,
  and $PROBE_WHY. Give VALKEY_URL its password (redis://:PASSWORD@127.0.0.1:$VK_PORT), or another port:
    export VALKEY_URL=redis://127.0.0.1:$(free_port_after "$VK_PORT")"
      ;;
    *) port_taken Valkey "$VK_PORT" VALKEY_URL "redis://127.0.0.1:$(free_port_after "$VK_PORT")" "$PROBE_WHY" ;;
  esac
}

valkey_start() {
  server_home valkey "$VK_ACCOUNT"
  VK_HOME=$HOME_DIR
  [[ $HOME_CREATED == 1 ]] && CREATED_HOMES+=(valkey)
  local conf=$STATE/valkey.conf
  (
    umask 077
    valkey_settings "$VK_HOME" "$VK_PORT" >"$conf.tmp"
    "$WB_URL" valkey-conf VALKEY_URL >>"$conf.tmp"
    mv -f "$conf.tmp" "$conf"
  ) || die "could not write $(rel "$conf")."
  STARTED+=(valkey)
  if ! valkey_launch "$VK_BIN" "$VK_ACCOUNT" "$VK_HOME" "$VK_PORT" "$conf" "$VK_PASSWORD"; then
    die "$(basename "$VK_BIN") did not start on 127.0.0.1:$VK_PORT (logs above)."
  fi
  printf '%s\n' "$VK_PORT" >"$STATE/valkey.port"
  local pid version
  pid=$(valkey_our_pid || echo "?")
  version=$(valkey_server_version 127.0.0.1 "$VK_PORT" "" "$VK_PASSWORD" || basename "$VK_BIN")
  say "Valkey:     started $version on 127.0.0.1:$VK_PORT (pid $pid${VK_ACCOUNT:+, as $VK_ACCOUNT}, log $(rel "$VK_HOME")/valkey.log)"
}

# Stops a server by pid (TERM, then KILL after 10 s).
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep_a_bit
  done
  say "  pid $pid did not stop within 10 s; killing it."
  kill -KILL "$pid" 2>/dev/null || true
}

valkey_down() {
  local pid home
  home=$(valkey_home_known)
  if pid=$(valkey_pid_in "$home"); then
    stop_pid "$pid"
    say "Valkey:     stopped (pid $pid)."
  else
    say "Valkey:     not running (nothing to stop)."
  fi
  rm -f "$home/valkey.pid" "$home/port" "$STATE/valkey.port" "$STATE/valkey.conf"
  remove_outside_home valkey
}

# ---------------------------------------------------------------------------
# Native: PostgreSQL
# ---------------------------------------------------------------------------

# Folders that may hold initdb, pg_ctl and postgres, best first.
pg_bin_candidates() {
  local d
  d=$(command -v pg_ctl 2>/dev/null || true)
  if [[ -n $d ]]; then
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

pg_bin_major() {
  "$1/postgres" --version 2>/dev/null | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1
}

# Sets PG_BIN: a folder with initdb, pg_ctl and postgres, of the version that
# made the data folder when there is one (PG_WANT).
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

# Sets PG_HOME PG_DATA PG_LOG PG_SOCKDIR from what is known, making nothing.
pg_paths_known() {
  if [[ -r $STATE/postgres.home ]]; then
    PG_HOME=$(head -n 1 "$STATE/postgres.home")
  else
    PG_HOME=$STATE/postgres
  fi
  PG_DATA=$PG_HOME/data
  PG_LOG=$PG_HOME/postgres.log
  PG_SOCKDIR=$PG_HOME/run
  [[ -r $STATE/postgres.socket ]] && PG_SOCKDIR=$(head -n 1 "$STATE/postgres.socket")
  return 0
}

# True when our cluster is running; sets PG_PID and PG_RUNNING_PORT.
pg_ours_running() {
  PG_PID=""
  PG_RUNNING_PORT=""
  [[ -n ${PG_DATA:-} && -r $PG_DATA/postmaster.pid ]] || return 1
  [[ -n ${PG_BIN:-} ]] || locate_pg_bin || return 1
  PG_PID=$(sed -n 1p "$PG_DATA/postmaster.pid" | tr -dc 0-9)
  PG_RUNNING_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid" | tr -dc 0-9)
  [[ -n $PG_PID ]] && kill -0 "$PG_PID" 2>/dev/null || return 1
  local cwd
  if cwd=$(readlink "/proc/$PG_PID/cwd" 2>/dev/null) && [[ -n $cwd ]]; then
    [[ $cwd == "$(cd "$PG_DATA" 2>/dev/null && pwd -P)" ]] || return 1
  fi
  return 0
}

# psql over our Unix socket as the set-up superuser (the socket's folder is
# private to the server's account, and to root).
pg_psql_admin() {
  local psql
  psql=$(find_pg_tool psql) || die "psql was not found. Install it with: make setup"
  as_user "$PG_ACCOUNT" "$psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U "$PG_ADMIN" "$@"
}

# psql over our Unix socket as DATABASE_URL's user (for what it must own).
pg_psql_owner() {
  local psql
  psql=$(find_pg_tool psql) || die "psql was not found. Install it with: make setup"
  as_user "$PG_ACCOUNT" "$psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"
}

pg_write_config() {
  local conf=$PG_DATA/workbook.conf sock
  sock=${PG_SOCKDIR//\'/\'\'}
  # shellcheck disable=SC2016 # $1 belongs to the child sh
  as_user "$PG_ACCOUNT" sh -c 'umask 077 && cat >"$1"' _ "$conf" <<EOF
# Written by infra/infra.sh at every start (from DATABASE_URL): do not edit.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
EOF
  if ! grep -q "^include_if_exists = 'workbook.conf'" "$PG_DATA/postgresql.conf"; then
    # shellcheck disable=SC2016 # $1 belongs to the child sh
    printf "\n# The workbook's settings (listen address, port, socket folder):\ninclude_if_exists = 'workbook.conf'\n" |
      as_user "$PG_ACCOUNT" sh -c 'cat >>"$1"' _ "$PG_DATA/postgresql.conf"
  fi
}

# Phase 1 of 'up' for PostgreSQL: decides PG_ACTION (start | ours | theirs |
# remote), finds the programs, makes the data folder when there is none
# (initdb starts nothing); dies when it cannot be done.
pg_plan() {
  PG_ACTION=""
  if [[ $PG_LOCAL == 0 ]]; then
    PG_ACTION=remote
    return 0
  fi
  PG_ACCOUNT=$(server_account postgres)
  legacy_pg_down
  pg_paths_known
  if locate_pg_bin && pg_ours_running; then
    if [[ -n $PG_RUNNING_PORT && $PG_RUNNING_PORT != "$PG_PORT" ]]; then
      die "our PostgreSQL is running on port $PG_RUNNING_PORT, but DATABASE_URL says port $PG_PORT.
  Stop it first with 'make infra-down', then run 'make infra-up' again."
    fi
    if [[ $(cat "$PG_HOME/layout" 2>/dev/null) == "$PG_LAYOUT" ]]; then
      PG_ACTION=ours
      return 0
    fi
    say "PostgreSQL: ours runs from a database cluster made by an older workbook, whose user was"
    say "            its superuser. Stopping it to make a new one where that user is an ordinary owner."
    pg_stop_ours
  fi
  pg_probe 127.0.0.1 "$PG_PORT"
  case $PROBE in
    ok)
      PG_ACTION=theirs
      PG_THEIR_VERSION=$PROBE_VERSION
      return 0
      ;;
    not-answering) ;;
    login-refused)
      die "a PostgreSQL server already runs on 127.0.0.1:$PG_PORT$(listener_process "$PG_PORT"), not started by the workbook,
  and $PROBE_WHY.
  Give DATABASE_URL a user and password it accepts, or another port:
    export DATABASE_URL=postgresql://$PG_USER:<password>@127.0.0.1:$(free_port_after "$PG_PORT")/$PG_DB"
      ;;
    *) port_taken PostgreSQL "$PG_PORT" DATABASE_URL "postgresql://$PG_USER:<password>@127.0.0.1:$(free_port_after "$PG_PORT")/$PG_DB" "$PROBE_WHY" ;;
  esac
  PG_ACTION=start
  # Where its files go (made now; they hold nothing running yet).
  server_home postgres "$PG_ACCOUNT"
  PG_HOME=$HOME_DIR
  [[ $HOME_CREATED == 1 ]] && CREATED_HOMES+=(postgres)
  PG_DATA=$PG_HOME/data
  PG_LOG=$PG_HOME/postgres.log
  [[ -L $PG_LOG ]] && rm -f "$PG_LOG"  # an older workbook's link to /var/tmp
  pg_socket_dir
  if [[ -d $PG_DATA && $(cat "$PG_HOME/layout" 2>/dev/null) != "$PG_LAYOUT" ]]; then
    local aside
    aside=$PG_HOME/data.older-workbook-$(date +%Y%m%d-%H%M%S)
    mv "$PG_DATA" "$aside"
    say "PostgreSQL: $(rel "$PG_DATA") was made by an older workbook (its user was the superuser);"
    say "            moved it to $(rel "$aside") and making a new one (remove the old one when you like)."
  fi
  if ! locate_pg_bin; then
    if [[ -n $PG_WANT ]]; then
      die "the data folder $(rel "$PG_DATA") was made by PostgreSQL $PG_WANT, which is no longer installed.
  Start over with a new, empty database:  make clean-all && make infra-up"
    fi
    die "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found. Install them with: make setup"
  fi
  pg_check_disk
  [[ -s $PG_DATA/PG_VERSION ]] || pg_initdb
}

# A Unix socket path must stay under ~107 bytes: with a long project path,
# the socket goes to a private folder made with mktemp under /tmp.
pg_socket_dir() {
  local record=$STATE/postgres.socket d
  PG_SOCKDIR=$PG_HOME/run
  if [[ $((${#PG_SOCKDIR} + 20)) -le 100 ]]; then
    remove_outside "$record" "PostgreSQL's old socket folder"
    as_user "$PG_ACCOUNT" mkdir -p "$PG_SOCKDIR"
    as_user "$PG_ACCOUNT" chmod 700 "$PG_SOCKDIR"
    return 0
  fi
  if [[ -r $record ]]; then
    d=$(head -n 1 "$record")
    if outside_home_ok "$d" "$PG_ACCOUNT"; then
      PG_SOCKDIR=$d
      return 0
    fi
  fi
  PG_SOCKDIR=$(mktemp -d /tmp/valkey-workbook-pg.XXXXXXXX) || die "could not make a socket folder under /tmp."
  [[ -n $PG_ACCOUNT ]] && chown "$PG_ACCOUNT:" "$PG_SOCKDIR"
  printf '%s\n' "$ROOT" >"$PG_SOCKDIR/.workbook-project"  # whose (see server_home)
  printf '%s\n' "$PG_SOCKDIR" >"$record"
  CREATED_SOCKET=1
}

# initdb needs about 40 MB; say so before it fails half-way.
pg_check_disk() {
  local free_kb
  free_kb=$(df -Pk "$PG_HOME" 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [[ $free_kb =~ ^[0-9]+$ ]] && [[ $free_kb -lt 204800 ]]; then
    die "only $((free_kb / 1024)) MB are free where PostgreSQL's files go ($PG_HOME); it needs about 200 MB."
  fi
}

pg_initdb() {
  local initlog=$PG_HOME/initdb.log
  say "PostgreSQL: creating a new database cluster in $(rel "$PG_DATA") (first start)..."
  rm -f "$PG_HOME/layout"
  as_user "$PG_ACCOUNT" rm -rf "$PG_DATA"
  # The superuser gets no password: it logs in over the private socket only
  # (trust there); over TCP every login needs a password (scram-sha-256).
  if ! as_user "$PG_ACCOUNT" "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_ADMIN" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >"$initlog" 2>&1; then
    show_log_tail "$initlog"
    as_user "$PG_ACCOUNT" rm -rf "$PG_DATA"
    die "initdb failed (see $(rel "$initlog"))."
  fi
  printf '%s\n' "$PG_LAYOUT" >"$PG_HOME/layout"
}

pg_start() {
  pg_write_config
  STARTED+=(postgres)
  if ! as_user "$PG_ACCOUNT" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1 9>&-; then
    show_log_tail "$PG_LOG"
    die "PostgreSQL did not start (log: $(rel "$PG_LOG"))."
  fi
  pg_ours_running || true
}

# The URL's user: an ordinary role owning the URL's database (made when
# missing); then the Staff tables, loaded as that owner when infra/staff.sql
# is new to this database (its checksum is kept as the database's comment,
# so a database made again is loaded again).
pg_prepare_database() {
  "$WB_URL" pg-setup-sql DATABASE_URL | pg_psql_admin -d postgres >/dev/null ||
    die "could not set up the user and database of DATABASE_URL (log: $(rel "$PG_LOG"))."
  local signature current
  signature="workbook staff.sql $(cksum <"$STAFF_SQL" | cut -d ' ' -f 1)"
  current=$(pg_psql_owner -tA -c "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = current_database()") ||
    die "could not read the database's comment (log: $(rel "$PG_LOG"))."
  if [[ $current != "$signature" ]]; then
    pg_psql_owner <"$STAFF_SQL" >/dev/null || die "loading infra/staff.sql into '$PG_DB' failed."
    printf '%s\n' "SELECT format('COMMENT ON DATABASE %I IS %L', current_database(), :'signature') \\gexec" |
      pg_psql_owner -v signature="$signature" >/dev/null || die "could not record that infra/staff.sql is loaded."
    say "PostgreSQL: loaded the Staff tables (infra/staff.sql) into '$PG_DB'."
  fi
}

# Logs in over TCP exactly as the workbook will, with DATABASE_URL's password.
pg_check_login() {
  pg_probe 127.0.0.1 "$PG_PORT"
  [[ $PROBE == ok ]] && return 0
  die "PostgreSQL runs, but $PROBE_WHY."
}

pg_stop_ours() {
  local pid=$PG_PID
  if ! as_user "$PG_ACCOUNT" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
    show_log_tail "$PG_LOG"
    die "pg_ctl could not stop PostgreSQL (log: $(rel "$PG_LOG"))."
  fi
  say "PostgreSQL: stopped (pid $pid)."
}

pg_down() {
  if is_root; then PG_ACCOUNT=$(server_account postgres 2>/dev/null || true); else PG_ACCOUNT=""; fi
  pg_paths_known
  if pg_ours_running; then
    pg_stop_ours
  else
    say "PostgreSQL: not running (nothing to stop)."
  fi
  legacy_pg_down
  remove_outside_home postgres
  remove_outside "$STATE/postgres.socket" "PostgreSQL's socket folder"
}

# An older workbook put PostgreSQL under /var/tmp/valkey-workbook-<hash> and
# recorded it in .state/postgres/location: stop a server running from there.
legacy_pg_down() {
  local location
  [[ -r $STATE/postgres/location ]] || return 0
  location=$(head -n 1 "$STATE/postgres/location")
  [[ $location != "$STATE/postgres" && -r $location/data/postmaster.pid ]] || return 0
  local pid owner
  pid=$(sed -n 1p "$location/data/postmaster.pid" | tr -dc 0-9)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(proc_name "$pid") == postgres* ]]; then
    owner=$(stat -c %U "$location/data" 2>/dev/null || true)
    PG_DATA=$location/data
    locate_pg_bin || return 0
    as_user "$owner" "$PG_BIN/pg_ctl" -D "$location/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    say "PostgreSQL: stopped the one an older workbook ran from $location (pid $pid); 'make clean-all' removes its files."
  fi
}

# ---------------------------------------------------------------------------
# Native: up (all or nothing) / down
# ---------------------------------------------------------------------------

STARTED=()
CREATED_HOMES=()
CREATED_SOCKET=0
UP_DONE=0

# Should 'up' fail half-way, what this run started is stopped again, and the
# folders it made outside the project are removed.
undo_up() {
  [[ $UP_DONE == 1 ]] && return 0
  local what
  for what in "${STARTED[@]}"; do
    case $what in
      valkey)
        local pid
        if pid=$(valkey_our_pid); then
          stop_pid "$pid"
          err "Valkey:     stopped again (pid $pid): 'up' did not finish."
        fi
        ;;
      postgres)
        if pg_ours_running; then
          as_user "$PG_ACCOUNT" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
          err "PostgreSQL: stopped again (pid $PG_PID): 'up' did not finish."
        fi
        ;;
    esac
  done
  for what in "${CREATED_HOMES[@]}"; do remove_outside_home "$what" >&2; done
  [[ $CREATED_SOCKET == 0 ]] || remove_outside "$STATE/postgres.socket" "PostgreSQL's socket folder" >&2
}

native_up() {
  take_lock
  require_startable_urls
  trap undo_up EXIT
  # Phase 1: every check, nothing started.
  valkey_plan
  pg_plan
  record_backend native
  # Phase 2: start (PostgreSQL first: it has more that can go wrong).
  case $PG_ACTION in
    start) pg_start ;;
  esac
  case $VK_ACTION in
    start) valkey_start ;;
  esac
  # Phase 3: the database's user, database and tables; the URL's login.
  if [[ $PG_ACTION == start || $PG_ACTION == ours ]]; then
    pg_prepare_database
    pg_check_login
  fi
  UP_DONE=1
  trap - EXIT
  native_report
}

native_report() {
  local pid
  case $VK_ACTION in
    ours)
      pid=$(valkey_our_pid || echo "?")
      say "Valkey:     already running (ours: $(valkey_server_version 127.0.0.1 "$VK_PORT" "$VK_USER" "$VK_PASSWORD" || echo "?"), pid $pid, port $VK_PORT). Nothing to do."
      ;;
    theirs) say "Valkey:     $VK_THEIR_VERSION already answers on 127.0.0.1:$VK_PORT (not started by the workbook): using it as it is." ;;
    remote) report_remote_valkey ;;
  esac
  case $PG_ACTION in
    start) say "PostgreSQL: started $("$PG_BIN/postgres" --version | sed -e 's/^postgres (PostgreSQL) /postgresql /' -e 's/ (.*//') on 127.0.0.1:$PG_PORT (pid ${PG_PID:-?}${PG_ACCOUNT:+, as $PG_ACCOUNT}, log $(rel "$PG_LOG"))" ;;
    ours) say "PostgreSQL: already running (ours: pid $PG_PID, port $PG_PORT). Nothing to do." ;;
    theirs)
      say "PostgreSQL: $PG_THEIR_VERSION already answers on 127.0.0.1:$PG_PORT with DATABASE_URL's login (not started by the workbook): using it as it is."
      staff_note
      ;;
    remote) report_remote_pg ;;
  esac
}

# A server the workbook does not run: say whether it has the Staff tables.
staff_note() {
  local psql rows
  psql=$(find_pg_tool psql) || return 0
  rows=$(pg_as_url "$psql" -h "$PG_ADDR" -p "$PG_PORT" -tAc 'SELECT count(*) FROM employees' 2>/dev/null || true)
  if [[ ! $rows =~ ^[0-9]+$ ]]; then
    say "            Its database has no Staff tables yet (lesson 05 needs them); load them with:"
    say "              psql -h $PG_ADDR -p $PG_PORT -U $PG_USER -d $PG_DB -f infra/staff.sql"
  fi
}

report_remote_valkey() {
  valkey_probe "$VK_ADDR" "$VK_PORT" "$VK_USER" "$VK_PASSWORD"
  if [[ $VK_TLS == 1 ]]; then
    say "Valkey:     VALKEY_URL points at $VK_HOST (TLS), not this machine: not started here, and not checked (these scripts do not speak TLS)."
  elif [[ $PROBE == ok ]]; then
    say "Valkey:     VALKEY_URL points at $VK_HOST, not this machine: not started here; it answers ($PROBE_VERSION)."
  else
    say "Valkey:     VALKEY_URL points at $VK_HOST, not this machine: not started here, and $PROBE_WHY."
    REMOTE_PROBLEM=1
  fi
}

report_remote_pg() {
  pg_probe "$PG_ADDR" "$PG_PORT"
  if [[ $PROBE == ok ]]; then
    say "PostgreSQL: DATABASE_URL points at ${PG_HOST:-a Unix socket}, not this machine: not started here; it answers ($PROBE_VERSION)."
  else
    say "PostgreSQL: DATABASE_URL points at ${PG_HOST:-a Unix socket}, not this machine: not started here, and $PROBE_WHY."
    REMOTE_PROBLEM=1
  fi
}

native_down() {
  take_lock
  valkey_down
  pg_down
}

native_running() {
  valkey_our_pid >/dev/null && return 0
  pg_paths_known
  pg_ours_running && return 0
  return 1
}

# ---------------------------------------------------------------------------
# The second server of `make check`
# ---------------------------------------------------------------------------

SECOND=$STATE/second-server

second_start() {
  load_urls
  valkey_probe "$VK_ADDR" "$VK_PORT" "$VK_USER" "$VK_PASSWORD"
  [[ $PROBE == ok ]] || { say "the primary server (VALKEY_URL=$VK_SHOWN) does not answer: $PROBE_WHY"; exit 3; }
  local primary=$PROBE_VERSION want bin
  case $primary in
    valkey*) want=redis-server ;;
    redis*) want=valkey-server ;;
    *) say "the primary server's name is unknown ('$primary')"; exit 3 ;;
  esac
  bin=$(command -v "$want" 2>/dev/null || true)
  if [[ -z $bin ]]; then
    if [[ $want == valkey-server ]]; then
      say "the primary server is already $primary (no Valkey here to compare it with: make setup installs Valkey where a package has it)"
    else
      say "no redis-server is installed (make check installs it in CI; by hand: scripts/setup.sh --second-server)"
    fi
    exit 3
  fi
  second_stop >/dev/null 2>&1 || true
  local account port home conf
  account=$(server_account "$want")
  # Its own folder, inside the project when the account can reach it.
  mkdir -p "$STATE"
  # (Its words about where its folder goes would end up in the line below.)
  server_home second-server "$account" >/dev/null
  home=$HOME_DIR
  port=$(second_free_port) || { say "no free loopback port for the second server"; exit 3; }
  conf=$STATE/second-server.conf
  (umask 077 && valkey_settings "$home" "$port" >"$conf")
  if ! valkey_launch "$bin" "$account" "$home" "$port" "$conf" "" >/dev/null 2>&1; then
    say "$want did not start on 127.0.0.1:$port (see $(rel "$home")/valkey.log)"
    exit 3
  fi
  printf '%s\n' "$port" >"$STATE/second-server.port"
  local version
  version=$(valkey_server_version 127.0.0.1 "$port" "" "" || echo "$want ?")
  printf 'redis://127.0.0.1:%s\t%s\t%s\n' "$port" "$version" "$primary"
}

# A port where nothing listens, away from the usual ones and below Linux's
# ephemeral range (32768 and up), where a client's connection could hold it.
second_free_port() {
  local p tries
  for ((tries = 0; tries < 50; tries++)); do
    p=$((20000 + RANDOM % 12000))
    port_open 127.0.0.1 "$p" || { printf '%s' "$p"; return 0; }
  done
  return 1
}

second_stop() {
  local home pid
  if [[ -r $STATE/second-server.home ]]; then home=$(head -n 1 "$STATE/second-server.home"); else home=$SECOND; fi
  if pid=$(valkey_pid_in "$home"); then
    stop_pid "$pid"
    say "second server: stopped (pid $pid)."
  fi
  rm -f "$STATE/second-server.port" "$STATE/second-server.conf"
  remove_outside_home second-server >/dev/null
  [[ -d $SECOND ]] && rm -rf -- "$SECOND"
  return 0
}

# ---------------------------------------------------------------------------
# Docker
# ---------------------------------------------------------------------------

# One project per clone: two clones never share containers or the database
# volume.
COMPOSE_PROJECT=valkey-workbook-$(short_hash "$ROOT")

compose() {
  docker compose -f "$COMPOSE_FILE" -p "$COMPOSE_PROJECT" "$@"
}

docker_export_env() {
  local auth
  auth=$("$WB_URL" valkey-conf VALKEY_URL) || die "VALKEY_URL: cannot read its password."
  # The Valkey container writes WB_VALKEY_AUTH into its own config file; the
  # healthcheck's valkey-cli reads the password from REDISCLI_AUTH.
  export WB_VALKEY_PORT=$VK_PORT WB_VALKEY_AUTH=$auth WB_VALKEY_PASSWORD=$VK_PASSWORD
  export WB_PG_PORT=$PG_PORT
  # The image's superuser, for set-up inside the container only (over its
  # socket): its password is random and never used; kept so that the
  # container's settings stay the same from one 'up' to the next.
  local pwfile=$STATE/docker-admin-password
  if [[ ! -s $pwfile ]]; then
    mkdir -p "$STATE"
    (umask 077 && od -An -N 24 -tx1 /dev/urandom | tr -d ' \n' >"$pwfile")
  fi
  WB_PG_ADMIN_PASSWORD=$(cat "$pwfile")
  export WB_PG_ADMIN_PASSWORD
}

docker_running_services() {
  compose ps --status running --services 2>/dev/null || true
}

docker_up() {
  [[ $VK_LOCAL == 1 && $PG_LOCAL == 1 ]] || die "with Docker, both VALKEY_URL and DATABASE_URL must point at 127.0.0.1."
  require_startable_urls
  docker_export_env
  take_lock
  local running
  running=$(docker_running_services)
  if [[ $running != *valkey* ]] && port_open 127.0.0.1 "$VK_PORT"; then
    port_taken Valkey "$VK_PORT" VALKEY_URL "redis://127.0.0.1:$(free_port_after "$VK_PORT")" "another program listens there"
  fi
  if [[ $running != *postgres* ]] && port_open 127.0.0.1 "$PG_PORT"; then
    port_taken PostgreSQL "$PG_PORT" DATABASE_URL "postgresql://$PG_USER:<password>@127.0.0.1:$(free_port_after "$PG_PORT")/$PG_DB" "another program listens there"
  fi
  record_backend docker
  say "Starting the servers in Docker (project '$COMPOSE_PROJECT'; the first time downloads the images)..."
  if ! compose up -d --wait 9>&-; then
    compose logs --tail 30 >&2 || true
    die "docker compose could not start the servers (logs above)."
  fi
  # The URL's user and database (an ordinary owner, as natively), then the
  # Staff tables whenever infra/staff.sql changed (checked at every 'up').
  "$WB_URL" pg-setup-sql DATABASE_URL |
    compose exec -T postgres psql -X -q -v ON_ERROR_STOP=1 -U "$PG_ADMIN" -d postgres >/dev/null ||
    die "could not set up the user and database of DATABASE_URL in the container."
  local signature current
  signature="workbook staff.sql $(cksum <"$STAFF_SQL" | cut -d ' ' -f 1)"
  current=$(compose exec -T postgres psql -X -tA -U "$PG_USER" -d "$PG_DB" \
    -c "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = current_database()" | tr -d '\r') ||
    die "could not read the database's comment in the container."
  if [[ $current != "$signature" ]]; then
    compose exec -T postgres psql -X -q -v ON_ERROR_STOP=1 -U "$PG_USER" -d "$PG_DB" <"$STAFF_SQL" >/dev/null ||
      die "loading infra/staff.sql into the container's '$PG_DB' failed."
    printf '%s\n' "SELECT format('COMMENT ON DATABASE %I IS %L', current_database(), :'signature') \\gexec" |
      compose exec -T postgres psql -X -q -v ON_ERROR_STOP=1 -v signature="$signature" -U "$PG_USER" -d "$PG_DB" >/dev/null ||
      die "could not record that infra/staff.sql is loaded."
    say "PostgreSQL: loaded the Staff tables (infra/staff.sql) into '$PG_DB'."
  fi
  # The logins exactly as the workbook will use them.
  valkey_probe 127.0.0.1 "$VK_PORT" "$VK_USER" "$VK_PASSWORD"
  [[ $PROBE == ok ]] || die "Valkey's container runs, but on 127.0.0.1:$VK_PORT $PROBE_WHY."
  say "Valkey:     $PROBE_VERSION running in Docker on 127.0.0.1:$VK_PORT"
  pg_probe 127.0.0.1 "$PG_PORT"
  [[ $PROBE == ok ]] || die "PostgreSQL's container runs, but on 127.0.0.1:$PG_PORT $PROBE_WHY."
  say "PostgreSQL: $PROBE_VERSION running in Docker on 127.0.0.1:$PG_PORT"
}

docker_down() {
  command -v docker >/dev/null 2>&1 || die "the servers were started with Docker, but the docker command is gone."
  docker_export_env
  take_lock
  compose down
  say "Docker: stopped and removed the workbook's containers (project '$COMPOSE_PROJECT'; the database volume is kept)."
}

# ---------------------------------------------------------------------------
# status, check, probe
# ---------------------------------------------------------------------------

# Sets VK_STATE VK_WHY VK_VERSION and PG_STATE PG_WHY PG_VERSION.
probe_both() {
  if [[ $VK_TLS == 1 ]]; then
    VK_STATE=not-checked VK_WHY="a TLS URL: these scripts cannot check it" VK_VERSION=""
  else
    valkey_probe "$VK_ADDR" "$VK_PORT" "$VK_USER" "$VK_PASSWORD"
    VK_STATE=$PROBE VK_WHY=$PROBE_WHY VK_VERSION=$PROBE_VERSION
  fi
  if [[ -z $PG_ADDR ]]; then
    PG_STATE=not-checked PG_WHY="no host in DATABASE_URL (a Unix socket): not checked" PG_VERSION=""
  else
    pg_probe "$PG_ADDR" "$PG_PORT"
    PG_STATE=$PROBE PG_WHY=$PROBE_WHY PG_VERSION=$PROBE_VERSION
  fi
}

check_cmd() {
  probe_both
  [[ $VK_STATE == ok && $PG_STATE == ok ]]
}

probe_cmd() {
  probe_both
  printf 'valkey\t%s\t%s\t%s\n' "$VK_STATE" "${VK_VERSION:--}" "$VK_WHY"
  printf 'postgres\t%s\t%s\t%s\n' "$PG_STATE" "${PG_VERSION:--}" "$PG_WHY"
}

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
  probe_both
  local vk_ours=no pg_ours=no pid
  if [[ $backend == native ]]; then
    if pid=$(valkey_our_pid); then
      if [[ $(valkey_recorded_port) == "$VK_PORT" ]]; then
        vk_ours="yes (pid $pid)"
      else
        vk_ours="no (ours runs on port $(valkey_recorded_port))"
      fi
    fi
    pg_paths_known
    if pg_ours_running; then
      if [[ $PG_RUNNING_PORT == "$PG_PORT" ]]; then pg_ours="yes (pid $PG_PID)"; else pg_ours="no (ours runs on port $PG_RUNNING_PORT)"; fi
    fi
  elif command -v docker >/dev/null 2>&1; then
    local running
    docker_export_env
    running=$(docker_running_services)
    [[ $running == *valkey* ]] && vk_ours="yes (container)"
    [[ $running == *postgres* ]] && pg_ours="yes (container)"
    say ""
    compose ps 2>/dev/null || true
  fi
  local vk_answers=yes pg_answers=yes
  [[ $VK_STATE == ok ]] || vk_answers="no: $VK_WHY"
  [[ $PG_STATE == ok ]] || pg_answers="no: $PG_WHY"
  local w=3
  [[ ${#VK_SHOWN} -gt $w ]] && w=${#VK_SHOWN}
  [[ ${#PG_SHOWN} -gt $w ]] && w=${#PG_SHOWN}
  local fmt="  %-11s %-${w}s  %-18s %-6s %-16s %s\n"
  say ""
  # shellcheck disable=SC2059
  {
    printf "$fmt" SERVER URL VERSION PORT OURS ANSWERS
    printf "$fmt" Valkey "$VK_SHOWN" "${VK_VERSION:--}" "$VK_PORT" "$vk_ours" "$vk_answers"
    printf "$fmt" PostgreSQL "$PG_SHOWN" "${PG_VERSION:--}" "$PG_PORT" "$pg_ours" "$pg_answers"
  }
  say ""
  if [[ $VK_STATE == ok && $PG_STATE == ok ]]; then
    say "Both servers answer, with the URLs' logins."
    return 0
  fi
  local name state why local_ var
  for name in Valkey PostgreSQL; do
    if [[ $name == Valkey ]]; then state=$VK_STATE why=$VK_WHY local_=$VK_LOCAL var=VALKEY_URL; else state=$PG_STATE why=$PG_WHY local_=$PG_LOCAL var=DATABASE_URL; fi
    case $state in
      ok) ;;
      login-refused) say "$name answers, but the login was refused: $why. Fix the user or password in $var." ;;
      not-answering)
        if [[ $local_ == 1 ]]; then say "$name: $why. Start it with: make infra-up"; else say "$name: $why (another machine: the workbook does not start it)."; fi
        ;;
      *) say "$name: $why." ;;
    esac
  done
  return 1
}

# ---------------------------------------------------------------------------
# clean (make clean-all)
# ---------------------------------------------------------------------------

clean_cmd() {
  local backend
  backend=$(recorded_backend)
  if [[ $backend == docker ]] && command -v docker >/dev/null 2>&1; then
    docker_down || true
  else
    native_down
  fi
  second_stop >/dev/null 2>&1 || true
  # Files an older workbook left outside the project.
  local legacy d
  if [[ -r $STATE/postgres/location ]]; then
    legacy=$(head -n 1 "$STATE/postgres/location")
    case $legacy in
      /var/tmp/valkey-workbook-*)
        if [[ -d $legacy && ! -L $legacy ]]; then
          rm -rf -- "$legacy"
          say "removed $legacy (PostgreSQL's files, from an older workbook)"
        fi
        ;;
    esac
  fi
  d=/tmp/valkey-workbook-$(short_hash "$ROOT")
  if [[ -d $d && ! -L $d ]] && [[ $(stat -c %U "$d" 2>/dev/null) == @(root|postgres|workbook-pg|$(id -un)) ]]; then
    rm -rf -- "$d"
    say "removed $d (PostgreSQL's socket folder, from an older workbook)"
  fi
  if is_root && id workbook-pg >/dev/null 2>&1; then
    say "note: the system user 'workbook-pg' that an older workbook made is still there (other clones may use it);"
    say "      remove it with 'userdel workbook-pg' when no workbook of this machine needs it."
  fi
  if [[ -d $STATE ]]; then
    rm -rf -- "$STATE"
    say "removed $(rel "$STATE")/ (the servers' data, logs and settings, your hint progress, the URL tool)"
  fi
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
  elif [[ $VK_LOCAL == 1 && $PG_LOCAL == 1 ]]; then
    backend=$(auto_backend)
  else
    backend=native
  fi
  if [[ -n $recorded && $recorded != "$backend" ]]; then
    if [[ $recorded == native ]] && native_running; then
      die "the servers already run natively (from an earlier 'make infra-up'). Stop them first: make infra-down"
    fi
    if [[ $recorded == docker ]] && command -v docker >/dev/null 2>&1 && [[ -n $(docker_running_services) ]]; then
      die "the servers already run in Docker (from an earlier 'make infra-up'). Stop them first: make infra-down"
    fi
  fi
  REMOTE_PROBLEM=0
  if [[ $backend == docker ]]; then
    docker_available || die "WORKBOOK_INFRA=docker, but no Docker engine answers ('docker info' fails) or 'docker compose' is missing."
    docker_up
  else
    native_up
  fi
  say ""
  if [[ $REMOTE_PROBLEM == 1 ]]; then
    say "Ready on this machine; the server on another machine (above) does not answer. The workbook connects with:"
  else
    say "Ready. The workbook connects with:"
  fi
  say "  VALKEY_URL=$VK_SHOWN"
  say "  DATABASE_URL=$PG_SHOWN"
  say "Look inside the database:  psql -h ${PG_ADDR:-localhost} -p $PG_PORT -U $PG_USER $PG_DB   (it asks for the password)"
  say "Stop them with: make infra-down"
  return 0
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
  local cmd=${1:-}
  case $cmd in
    -h | --help | help)
      usage
      exit 0
      ;;
    up | down | status | check | probe | clean) [[ $# -eq 1 ]] || { usage >&2; exit 2; } ;;
    second-server)
      [[ $# -eq 2 && ($2 == start || $2 == stop) ]] || { usage >&2; exit 2; }
      ;;
    *)
      [[ -n $cmd ]] && err "$PROG: unknown command '$cmd'"
      usage >&2
      exit 2
      ;;
  esac
  forced_backend >/dev/null
  case $cmd in
    second-server)
      if [[ $2 == start ]]; then second_start; else second_stop; fi
      return
      ;;
    clean)
      load_urls_or_defaults
      clean_cmd
      return
      ;;
  esac
  load_urls
  case $cmd in
    up) up_cmd ;;
    down) down_cmd ;;
    status) status_cmd ;;
    check) check_cmd ;;
    probe) probe_cmd ;;
  esac
}

# 'clean' must work even when a URL does not parse (it stops what is
# recorded, whatever the URLs say now).
load_urls_or_defaults() {
  if ! (load_urls) >/dev/null 2>&1; then
    VALKEY_URL=$DEFAULT_VALKEY_URL DATABASE_URL=$DEFAULT_DATABASE_URL
  fi
  load_urls
}

main "$@"
