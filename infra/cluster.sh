#!/usr/bin/env bash
# infra/cluster.sh: the six-node Valkey Cluster of lesson 15, on this machine.
#
#   infra/cluster.sh up             start 3 primaries + 3 replicas (nothing if it runs)
#   infra/cluster.sh down           stop the nodes 'up' started and remove their folders
#   infra/cluster.sh down-all       the same for every node started here, on any ports
#   infra/cluster.sh status         the nodes, their roles and slots; exit 0 when healthy
#   infra/cluster.sh answers        exit 0 when the cluster answers and is healthy (quiet)
#   infra/cluster.sh restart-node PORT   start one stopped node again (same folder, same
#                                   config: it rejoins the cluster it knew)
#
# Configuration (environment):
#   VALKEY_CLUSTER_URL   redis://127.0.0.1:7001 (the default): the first node's
#                        port P; the nodes use P..P+5 and their cluster bus
#                        ports P+10000..P+10005. A password in the URL becomes
#                        every node's requirepass (and masterauth).
#   CLUSTER_NODE_TIMEOUT milliseconds before a silent node counts as failed
#                        (default 1000; see lessons/15-cluster/README.md).
#   WORKBOOK_CLUSTER_SERVER  valkey | redis: which server to run (default:
#                        valkey-server, or redis-server where Valkey is missing).
#
# Every node binds 127.0.0.1 only, keeps nothing on disk but the cluster's own
# nodes.conf (no RDB, no AOF: it is a cache), and lives in .state/cluster/PORT/
# (node.conf, nodes.conf, node.log, node.pid). Run as root, the nodes run as
# the server package's unprivileged account, valkey or redis (as
# infra/infra.sh's servers do); see "who runs the nodes" below.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE=$ROOT/.state/cluster
PROG=infra/cluster.sh
DEFAULT_CLUSTER_URL=redis://127.0.0.1:7001
CLUSTER_URL=${VALKEY_CLUSTER_URL:-$DEFAULT_CLUSTER_URL}
NODE_TIMEOUT=${CLUSTER_NODE_TIMEOUT:-1000}
NODES=6

say() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }
die() {
  err "$PROG: $*"
  exit 1
}

usage() {
  cat <<EOF
Usage: $PROG up|down|status|answers|restart-node PORT

  up        start the cluster: 3 primaries, 3 replicas (make cluster-up)
  down      stop it and remove its folders (make cluster-down)
  status    its nodes, roles and slots; exit 0 when healthy (make cluster-status)
  answers   exit 0 when it answers and is healthy, quietly
  restart-node PORT   start one stopped node of it again

Environment:
  VALKEY_CLUSTER_URL     the first node (default $DEFAULT_CLUSTER_URL; nodes on P..P+5)
  CLUSTER_NODE_TIMEOUT   ms before a silent node counts as failed (default 1000)
  WORKBOOK_CLUSTER_SERVER  valkey or redis (default: valkey when installed)
EOF
}

# ---- the URL -------------------------------------------------------------------
# Read by the workbook's one URL parser (infra/wb-url): redis://[[user]:password@]host:port.
load_url() {
  local out
  export VALKEY_CLUSTER_URL=$CLUSTER_URL
  CL_SCHEME="" CL_USER="" CL_PASSWORD="" CL_HOST="" CL_PORT="" CL_PATH="" CL_LOCAL="" CL_SHOWN=""
  out=$("$ROOT/infra/wb-url" shell CL VALKEY_CLUSTER_URL "$DEFAULT_CLUSTER_URL" 2>&1) || die "VALKEY_CLUSTER_URL: $out"
  eval "$out"
  case $CL_SCHEME in
    redis | valkey) ;;
    *) die "VALKEY_CLUSTER_URL must start with redis:// (it is '$CL_SHOWN'); the workbook's cluster speaks no TLS." ;;
  esac
  if [[ -n $CL_USER && $CL_USER != default ]]; then
    die "VALKEY_CLUSTER_URL names the user '$CL_USER': the workbook's cluster only knows the user 'default'."
  fi
  [[ -z $CL_PATH || $CL_PATH == 0 ]] || die "VALKEY_CLUSTER_URL names a database ('$CL_SHOWN'): a cluster has only db 0."
  [[ $CL_LOCAL == 1 ]] || die "VALKEY_CLUSTER_URL points at $CL_HOST, not this machine: the workbook starts its cluster on 127.0.0.1 only."
  PASS=$CL_PASSWORD
  # valkey.conf lines that carry the password, quoted as valkey.conf wants.
  AUTH_LINES=""
  if [[ -n $PASS ]]; then
    out=$("$ROOT/infra/wb-url" valkey-conf VALKEY_CLUSTER_URL) || die "VALKEY_CLUSTER_URL: cannot read its password."
    AUTH_LINES=$(printf '%s\n%s' "$out" "${out/#requirepass/masterauth}")
  fi
  BASE_PORT=${CL_PORT:-7001}
  if ((BASE_PORT < 1024 || BASE_PORT + NODES - 1 + 10000 > 65535)); then
    die "VALKEY_CLUSTER_URL's port $BASE_PORT is out of range: the nodes need P..P+5 and P+10000..P+10005 (1024 <= P <= 55530)."
  fi
  PORTS=()
  local i
  for ((i = 0; i < NODES; i++)); do PORTS+=($((BASE_PORT + i))); done
}

# ---- native or Docker ---------------------------------------------------------------
# As infra/infra.sh: WORKBOOK_INFRA forces one; the backend `make infra-up`
# used (.state/backend) is followed; else native where the programs are,
# Docker where they are not and an engine answers.
COMPOSE_PROJECT=valkey-workbook-$(printf '%08x' "$(printf '%s' "$ROOT" | cksum | cut -d ' ' -f 1)")
BACKEND=native
pick_backend() {
  local recorded=""
  [[ -r $ROOT/.state/backend ]] && recorded=$(head -n 1 "$ROOT/.state/backend")
  case ${WORKBOOK_INFRA:-} in
    docker | native) BACKEND=$WORKBOOK_INFRA ;;
    "")
      if [[ $recorded == docker ]]; then
        BACKEND=docker
      elif command -v valkey-server >/dev/null 2>&1 || command -v redis-server >/dev/null 2>&1; then
        BACKEND=native
      elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        BACKEND=docker
      fi
      ;;
    *) die "WORKBOOK_INFRA must be 'docker' or 'native' (it is '$WORKBOOK_INFRA')." ;;
  esac
}

compose_cluster() {
  export WB_CLUSTER_PORT=$BASE_PORT WB_CLUSTER_PORT_LAST=$((BASE_PORT + NODES - 1))
  export WB_CLUSTER_PASSWORD=$PASS WB_CLUSTER_AUTH=""
  WB_CLUSTER_AUTH=$AUTH_LINES
  docker compose -f "$ROOT/infra/compose.yaml" -p "$COMPOSE_PROJECT" --profile cluster "$@"
}

docker_up() {
  if healthy; then
    say "Cluster:    already running in Docker on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}. Nothing to do."
    return 0
  fi
  say "Cluster:    starting it in Docker (project '$COMPOSE_PROJECT'; the first time downloads the image)..."
  compose_cluster up -d --wait valkey-cluster || die "docker compose could not start the cluster (docker compose -p $COMPOSE_PROJECT logs valkey-cluster)"
  wait_until 300 healthy || die "the cluster started in Docker but is not healthy after 30 s."
  say "Cluster:    started in Docker on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}: 3 primaries, 3 replicas"
}

docker_down() {
  compose_cluster rm -s -f valkey-cluster >/dev/null 2>&1 || true
  say "Cluster:    stopped and removed the cluster's container (project '$COMPOSE_PROJECT')."
}

# ---- the programs ----------------------------------------------------------------
find_programs() {
  local want=${WORKBOOK_CLUSTER_SERVER:-} port=${1:-}
  # A node started again runs the program it ran before (a Redis cluster
  # stays Redis even when Valkey is installed too).
  if [[ -n $port && -r $STATE/$port.server ]]; then
    read -r SERVER CLI <"$STATE/$port.server" || true
    if [[ -x ${SERVER:-} && -x ${CLI:-} ]]; then return 0; fi
  fi
  case $want in
    "" | valkey | redis) ;;
    *) die "WORKBOOK_CLUSTER_SERVER must be 'valkey' or 'redis' (it is '$want')." ;;
  esac
  SERVER="" CLI=""
  if [[ $want != redis ]] && command -v valkey-server >/dev/null 2>&1 && command -v valkey-cli >/dev/null 2>&1; then
    SERVER=$(command -v valkey-server) CLI=$(command -v valkey-cli)
  elif [[ $want != valkey ]] && command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    SERVER=$(command -v redis-server) CLI=$(command -v redis-cli)
  else
    die "no ${want:-valkey}-server with its ${want:-valkey}-cli found. Install them with: make setup"
  fi
}

# The CLI against one node, quietly; the password through the environment,
# never on a command line another user could read in ps.
cli() {
  local port=$1
  shift
  if [[ ${BACKEND:-native} == docker ]]; then
    # valkey-cli inside the container, the password from its environment.
    # shellcheck disable=SC2016 # expanded by the container's shell
    timeout 10 docker compose -f "$ROOT/infra/compose.yaml" -p "$COMPOSE_PROJECT" exec -T valkey-cluster \
      sh -c '[ -z "$WB_CLUSTER_PASSWORD" ] || export REDISCLI_AUTH="$WB_CLUSTER_PASSWORD"; exec valkey-cli -p "$0" "$@"' \
      "$port" "$@" 2>/dev/null | tr -d '\r'
    return "${PIPESTATUS[0]}"
  fi
  with_auth timeout 5 "$CLI" -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

# Runs "$@" with REDISCLI_AUTH set when there is a password (an empty one
# would still make the CLI send AUTH).
with_auth() {
  if [[ -n $PASS ]]; then
    REDISCLI_AUTH=$PASS "$@"
  else
    env -u REDISCLI_AUTH "$@"
  fi
}

# ---- who runs the nodes, and where ------------------------------------------------
# Run as root, the nodes run as the unprivileged account of the server's
# package (valkey or redis), as infra/infra.sh runs the single server. A
# node's folder is .state/cluster/PORT/ when that account can reach it, else
# a folder made with mktemp under /var/tmp (recorded in
# .state/cluster/PORT.home, removed by 'down').
ACCOUNT=""
pick_account() {
  ACCOUNT=""
  [[ $EUID -eq 0 ]] || return 0
  local name candidates="valkey redis"
  [[ $(basename "$SERVER") == redis-server ]] && candidates="redis valkey"
  for name in $candidates; do
    if id "$name" >/dev/null 2>&1; then
      ACCOUNT=$name
      return 0
    fi
  done
  die "running as root, and there is no unprivileged account to run $(basename "$SERVER") as (its package makes one: make setup). Or run the workbook as a normal user."
}

# Runs "$@" as ACCOUNT (from /, which every account can reach), or as ourselves.
as_account() {
  if [[ -z $ACCOUNT ]]; then
    "$@"
  elif command -v setpriv >/dev/null 2>&1; then
    (cd / && exec setpriv --reuid="$ACCOUNT" --regid="$ACCOUNT" --init-groups -- "$@")
  else
    local cmd
    cmd=$(printf '%q ' "$@")
    (cd / && exec su -s /bin/sh "$ACCOUNT" -c "exec $cmd")
  fi
}

# The node's folder (it may not exist yet).
node_dir() {
  local record=$STATE/$1.home d
  if [[ -r $record ]]; then
    d=$(head -n 1 "$record")
    case $d in
      /var/tmp/valkey-workbook-cluster-* | /tmp/valkey-workbook-cluster-*)
        if [[ -d $d && ! -L $d ]]; then
          printf '%s' "$d"
          return 0
        fi
        ;;
    esac
  fi
  printf '%s/%s' "$STATE" "$1"
}

# Makes the node's folder, owned by ACCOUNT, where ACCOUNT can write.
make_node_dir() {
  local port=$1 inside=$STATE/$1 outside
  mkdir -p "$inside"
  chmod 700 "$inside"
  [[ -n $ACCOUNT ]] || return 0
  chown "$ACCOUNT:" "$inside"
  if as_account test -w "$inside" 2>/dev/null; then return 0; fi
  rmdir "$inside" 2>/dev/null || true
  outside=$(mktemp -d "/var/tmp/valkey-workbook-cluster-$port.XXXXXXXX") ||
    die "could not make a folder for the node on port $port under /var/tmp."
  chown "$ACCOUNT:" "$outside"
  printf '%s\n' "$outside" >"$STATE/$port.home"
}

node_pid() {
  local dir pid cwd
  dir=$(node_dir "$1")
  [[ -r $dir/node.pid ]] || return 1
  pid=$(tr -dc 0-9 <"$dir/node.pid")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A process killed a moment ago (or a zombie) is not a running node.
  [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  # Ours: the server works in its folder (Linux tells; elsewhere trust the file).
  if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) && [[ -n $cwd ]]; then
    [[ $cwd == "$(cd "$dir" && pwd -P)" ]] || return 1
  fi
  printf '%s' "$pid"
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

node_answers() { [[ $(cli "$1" PING) == PONG ]]; }

write_node_config() {
  local port=$1 dir
  dir=$(node_dir "$port")
  {
    echo "# Written by $PROG; one node of the workbook's cluster."
    echo "port $port"
    echo "bind 127.0.0.1"
    echo "protected-mode yes"
    echo "dir $dir"
    echo "pidfile $dir/node.pid"
    echo "logfile $dir/node.log"
    echo "daemonize yes"
    echo "cluster-enabled yes"
    echo "cluster-config-file nodes.conf"
    echo "cluster-node-timeout $NODE_TIMEOUT"
    # A cache: nothing on disk but nodes.conf.
    echo 'save ""'
    echo "appendonly no"
    # A replica syncs at once: the primary does not wait for others to join in.
    echo "repl-diskless-sync-delay 0"
    [[ -z $AUTH_LINES ]] || printf '%s\n' "$AUTH_LINES"
  } >"$dir/node.conf"
  chmod 600 "$dir/node.conf"
}

# start_node PORT [keep]: with "keep" (a node restarted after a kill) the
# node's log goes on after a marker line, so what it said before the kill can
# still be read; otherwise the log starts empty.
start_node() {
  local port=$1 keep=${2:-} dir
  dir=$(node_dir "$port")
  if [[ ! -f $dir/node.conf ]]; then
    make_node_dir "$port"
    dir=$(node_dir "$port")
    write_node_config "$port"
  fi
  [[ -z $ACCOUNT ]] || chown -R "$ACCOUNT:" "$dir"
  if [[ $keep == keep && -f $dir/node.log ]]; then
    printf '\n--- %s: started again by cluster.sh restart-node ---\n' "$(date '+%d %b %Y %H:%M:%S')" >>"$dir/node.log"
  else
    : >"$dir/node.log"
  fi
  [[ -z $ACCOUNT ]] || chown "$ACCOUNT:" "$dir/node.log"
  printf '%s %s\n' "$SERVER" "$CLI" >"$STATE/$port.server"
  if ! as_account "$SERVER" "$dir/node.conf" 9>&-; then
    tail -n 20 "$dir/node.log" >&2 || true
    die "$(basename "$SERVER") did not start on port $port (log: $dir/node.log)"
  fi
}

wait_until() {
  local tries=$1 i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# ---- the cluster ---------------------------------------------------------------------
# Healthy: every node answers, says cluster_state:ok with all 16384 slots
# served, knows all six nodes, has no slot half moved, every replica's link to
# its primary is up, and all nodes agree on who serves which slot.
# (Each node's CLUSTER NODES is kept in SEEN for that last check.)
declare -A SEEN=()
healthy() {
  local port info nodes
  SEEN=()
  for port in "${PORTS[@]}"; do
    info=$(cli "$port" CLUSTER INFO) || return 1
    [[ $info == *"cluster_state:ok"* && $info == *"cluster_slots_ok:16384"* &&
      $info == *"cluster_known_nodes:$NODES"* ]] || return 1
    if nodes=$(cli "$port" CLUSTER NODES); then
      marks_half_moved "$nodes" && return 1
      SEEN[$port]=$nodes
    fi
    info=$(cli "$port" INFO replication) || return 1
    [[ $info == *"role:master"* || $info == *"master_link_status:up"* ]] || return 1
  done
  [[ -z $(slots_disagree) ]]
}

# Who serves which slots in the CLUSTER NODES reply $1: "node-id range"
# lines, sorted ("REPLICA node-id range" for a range listed on a replica,
# which only a node whose view is out of date does).
slot_view() {
  awk '{ for (i = 9; i <= NF; i++) if ($i !~ /^\[/) print ($3 ~ /slave/ ? "REPLICA " : "") $1 " " $i }' <<<"$1" | sort
}

# Prints the first node (port) whose view of the slots differs from the first
# node's, and one slot line that differs; nothing when all agree. A node can
# keep an old view (seen once: a node that listed a slot on a node that had
# become a replica), and then every client it answers goes the wrong way.
# Uses the replies healthy() kept in SEEN, and asks the nodes it has none of.
slots_disagree() {
  local first="" first_port="" nodes view port line
  for port in "${PORTS[@]}"; do
    if [[ -n ${SEEN[$port]+set} ]]; then nodes=${SEEN[$port]}
    else nodes=$(cli "$port" CLUSTER NODES) || continue; fi
    view=$(slot_view "$nodes")
    line=$(grep -m 1 '^REPLICA ' <<<"$view" || true)
    if [[ -n $line ]]; then
      say "$port lists slots ${line##* } on a replica"
      return 0
    fi
    if [[ -z $first_port ]]; then
      first=$view first_port=$port
    elif [[ $view != "$first" ]]; then
      line=$(diff <(printf '%s\n' "$first") <(printf '%s\n' "$view") | sed -n 's/^> //p' | head -n 1)
      say "$port sees slots ${line##* } served by another node than 127.0.0.1:$first_port does"
      return 0
    fi
  done
}

# True when the node on $1 has a slot half moved (MIGRATING or IMPORTING):
# a reshard that stopped in the middle (a grader or example killed mid-way).
half_moved() {
  local nodes
  nodes=$(cli "$1" CLUSTER NODES) || return 1
  marks_half_moved "$nodes"
}
# The same, in a CLUSTER NODES reply $1.
marks_half_moved() { [[ $1 == *"->-"* || $1 == *"-<-"* ]]; }

port_taken_by_others() {
  local port=$1
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

up_cmd() {
  load_url
  pick_backend
  if [[ $BACKEND == docker ]]; then
    docker_up
    return
  fi
  find_programs
  pick_account
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  command -v flock >/dev/null 2>&1 && flock -w 60 9
  local port running=0 fresh=1
  for port in "${PORTS[@]}"; do
    if node_pid "$port" >/dev/null; then
      running=$((running + 1))
    elif port_taken_by_others "$port" || port_taken_by_others $((port + 10000)); then
      die "port $port (or its bus port $((port + 10000))) on 127.0.0.1 is taken by a program that is not this workbook's cluster.
  Stop it, or put the cluster elsewhere: VALKEY_CLUSTER_URL=redis://127.0.0.1:7101 make cluster-up"
    fi
    [[ -s $(node_dir "$port")/nodes.conf ]] && fresh=0
  done
  if ((running == NODES)) && healthy; then
    say "Cluster:    already running on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}. Nothing to do."
    return 0
  fi
  if ((running == NODES)); then
    for port in "${PORTS[@]}"; do
      half_moved "$port" || continue
      # Close the half-moved slots the way valkey-cli knows: each goes to
      # the node that holds its keys.
      say "Cluster:    a slot was left half moved (a reshard stopped in the middle): valkey-cli --cluster fix"
      with_auth "$CLI" --cluster fix "127.0.0.1:${PORTS[0]}" --cluster-yes >"$STATE/fix.log" 2>&1 || true
      break
    done
    if wait_until 100 healthy; then
      say "Cluster:    running and healthy on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}."
      return 0
    fi
  fi
  if ((fresh == 0)); then
    # A cluster that was created before: start what is missing, and the
    # nodes find each other again through their nodes.conf.
    for port in "${PORTS[@]}"; do
      node_pid "$port" >/dev/null && continue
      find_programs "$port"
      start_node "$port"
    done
    if wait_until 150 healthy; then
      say "Cluster:    restarted the stopped nodes on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}."
      return 0
    fi
    die "the cluster's nodes run but it is not healthy after 15 s; 'make cluster-down' then 'make cluster-up' starts it afresh.
$(status_lines)"
  fi
  local started
  started=$(date +%s%N)
  for port in "${PORTS[@]}"; do start_node "$port"; done
  for port in "${PORTS[@]}"; do
    wait_until 100 node_answers "$port" || die "the node on port $port does not answer (log: $(node_dir "$port")/node.log)"
  done
  local -a addrs=()
  for port in "${PORTS[@]}"; do addrs+=("127.0.0.1:$port"); done
  if ! with_auth "$CLI" --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
    >"$STATE/create.log" 2>&1; then
    cat "$STATE/create.log" >&2
    die "$(basename "$CLI") --cluster create failed (log above)"
  fi
  wait_until 300 healthy || die "the cluster was created but is not healthy after 30 s.
$(status_lines)"
  local ms=$((($(date +%s%N) - started) / 1000000))
  say "Cluster:    started $("$SERVER" --version | sed -n 's/^\([A-Za-z]*\) server v=\([0-9.]*\).*/\1 \2/p') on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}: 3 primaries, 3 replicas, node timeout ${NODE_TIMEOUT} ms ($ms ms)"
  say "            VALKEY_CLUSTER_URL=redis://127.0.0.1:${PORTS[0]}   (make cluster-status; make cluster-down)"
}

# Every node this workbook's cluster.sh started, on any ports (for make
# clean-all, which removes .state/ afterwards).
down_all_cmd() {
  [[ -d $STATE ]] || return 0
  local f port
  local -a ports=()
  for f in "$STATE"/*; do
    port=$(basename "$f")
    port=${port%%.*}
    [[ $port =~ ^[0-9]+$ ]] || continue
    [[ " ${ports[*]} " == *" $port "* ]] || ports+=("$port")
  done
  [[ ${#ports[@]} -gt 0 ]] || return 0
  PORTS=("${ports[@]}")
  stop_ports
}

down_cmd() {
  load_url
  pick_backend
  if [[ $BACKEND == docker ]]; then
    docker_down
    return
  fi
  stop_ports
}

# Stops the nodes on PORTS that this workbook started, removes their folders.
stop_ports() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  command -v flock >/dev/null 2>&1 && flock -w 60 9
  local port pid stopped=0 i
  local -a pids=()
  for port in "${PORTS[@]}"; do
    if pid=$(node_pid "$port"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    stopped=$((stopped + 1))
  done
  # A fresh cluster next time: the slot layout lives in nodes.conf.
  for port in "${PORTS[@]}"; do
    rm -rf "$(node_dir "$port")" "${STATE:?}/$port"
    rm -f "$STATE/$port.home" "$STATE/$port.last-failover" "$STATE/$port.server"
  done
  rm -f "$STATE/create.log" "$STATE/fix.log"
  if ((stopped == 0)); then
    say "Cluster:    not running on 127.0.0.1:${PORTS[0]}-${PORTS[-1]} (nothing to stop)."
  else
    say "Cluster:    stopped $stopped node(s) on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}."
  fi
}

# One line per node, from the first node that answers: address, role, what
# it serves, pid.
status_lines() {
  local port nodes=""
  for port in "${PORTS[@]}"; do
    nodes=$(cli "$port" CLUSTER NODES) && [[ -n $nodes ]] && break
  done
  if [[ -z $nodes ]]; then
    say "  no node answers"
    return 0
  fi
  # CLUSTER NODES: id addr flags primary-id ping pong epoch link slot...
  awk '
    { id[NR] = $1; split($2, a, "@"); addr[NR] = a[1]; byid[$1] = a[1]
      flags[NR] = $3; prim[NR] = $4; link[NR] = $8; slots[NR] = ""
      for (i = 9; i <= NF; i++) slots[NR] = slots[NR] (slots[NR] == "" ? "" : " ") $i }
    END {
      for (n = 1; n <= NR; n++) {
        f = flags[n]; sub(/^myself,/, "", f)
        role = (f ~ /master/) ? "primary" : (f ~ /slave/) ? "replica" : f
        what = (role == "primary") ? "slots " (slots[n] == "" ? "none" : slots[n]) : "of " byid[prim[n]]
        bad = (f ~ /fail/) ? "  FAILING (" f ")" : (link[n] != "connected" ? "  " link[n] : "")
        line[n] = sprintf("  %-16s %-8s %s%s", addr[n], role, what, bad)
      }
      # In port order.
      for (n = 1; n <= NR; n++) print line[n] | "sort -t: -k2,2n"
    }' <<<"$nodes"
}

status_cmd() {
  load_url
  pick_backend
  [[ $BACKEND == docker ]] || find_programs
  local port pid running=0
  for port in "${PORTS[@]}"; do node_pid "$port" >/dev/null && running=$((running + 1)); done
  local version
  version=$(cli "${PORTS[0]}" INFO server | tr -d '\r' | awk -F: '/^valkey_version:/ { v = "Valkey " $2 } /^redis_version:/ { r = "Redis " $2 } END { print (v != "" ? v : r) }')
  say "Cluster on 127.0.0.1:${PORTS[0]}-${PORTS[-1]} (VALKEY_CLUSTER_URL=redis://127.0.0.1:${PORTS[0]})${version:+, $version}"
  if [[ $BACKEND == docker ]]; then
    say "  in Docker (compose project '$COMPOSE_PROJECT', service valkey-cluster)"
  else
    say "  $running of $NODES nodes started by this workbook are running"
  fi
  status_lines
  local state
  state=$(cli "${PORTS[0]}" CLUSTER INFO | tr -d '\r' | sed -n 's/^cluster_state://p')
  if healthy; then
    say "  healthy: cluster_state:ok, 16384 slots served, every replica in sync"
    return 0
  fi
  for port in "${PORTS[@]}"; do
    if half_moved "$port"; then
      say "  127.0.0.1:$port has a slot half moved (a reshard stopped in the middle); 'make cluster-up' closes it."
      break
    fi
  done
  local differ
  differ=$(slots_disagree)
  [[ -z $differ ]] ||
    say "  127.0.0.1:$differ: the nodes disagree about who serves which slot, and clients are sent the wrong way; 'make cluster-down' then 'make cluster-up' starts afresh."
  say "  NOT healthy${state:+ (cluster_state:$state)}. 'make cluster-up' starts what is missing; 'make cluster-down' then 'make cluster-up' starts afresh."
  return 1
}

answers_cmd() {
  load_url
  pick_backend
  [[ $BACKEND == docker ]] || find_programs
  healthy
}

restart_node_cmd() {
  local port=${1:-}
  load_url
  pick_backend
  [[ $BACKEND == native ]] || die "restart-node works on a native cluster only (this one runs in Docker)."
  find_programs "$port"
  pick_account
  [[ " ${PORTS[*]} " == *" $port "* ]] || die "port '$port' is not one of the cluster's nodes (${PORTS[0]}-${PORTS[-1]})"
  [[ -f $(node_dir "$port")/node.conf ]] || die "the node on port $port was never started here"
  local pid
  if pid=$(node_pid "$port"); then
    if node_answers "$port"; then
      say "Cluster:    the node on port $port is running already."
      return 0
    fi
    # Killed a moment ago and not gone yet, or hanging: wait, then insist.
    wait_until 50 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
    wait_until 50 pid_gone "$pid" || die "the old node on port $port (pid $pid) does not stop"
  fi
  start_node "$port" keep
  wait_until 100 node_answers "$port" || die "the node on port $port does not answer (log: $(node_dir "$port")/node.log)"
  say "Cluster:    started the node on port $port again."
}

case ${1:-} in
  up) up_cmd ;;
  down) down_cmd ;;
  down-all) down_all_cmd ;;
  status) status_cmd ;;
  answers) answers_cmd ;;
  restart-node) restart_node_cmd "${2:-}" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
