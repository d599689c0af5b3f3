#!/usr/bin/env bash
# scripts/setup.sh: install the system packages the workbook needs.
#
#   scripts/setup.sh                 install what is missing (asks first on a terminal)
#   scripts/setup.sh --check         list what is missing; exit 1 if anything is
#   scripts/setup.sh --quiet-if-ok   print nothing when all is there, else install
#
# Debian/Ubuntu: apt-get (through sudo when not root). macOS: Homebrew.
# Anything else: prints what is needed and exits 1.
#
# In CI (CI set) or without a terminal on stdin it installs without asking.
# Safe to run again: when nothing is missing it does nothing, quickly.
set -euo pipefail

PROG=scripts/setup.sh

usage() {
  cat <<EOF
Usage: $PROG [--check | --quiet-if-ok]

Installs the compiler, libraries and servers the Valkey Caching Workbook needs.

  (no option)     install whatever is missing (asks once, unless CI is set or
                  stdin is not a terminal)
  --check         only report what is missing; exit 1 if anything is
  --quiet-if-ok   print nothing and exit 0 when everything is installed;
                  otherwise install, as with no option
  -h, --help      this help
EOF
}

MODE=install
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  --quiet-if-ok) MODE=quiet ;;
  -h | --help) usage; exit 0 ;;
  *) printf '%s: unknown option "%s"\n\n' "$PROG" "$1" >&2; usage >&2; exit 2 ;;
esac
if [[ $# -gt 1 ]]; then
  usage >&2
  exit 2
fi

say() { printf '%s\n' "$*"; }
err() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# True when we may install without asking.
unattended() { [[ -n ${CI:-} || ! -t 0 ]]; }

# Ask once; the default is No.
confirm() {
  local answer=""
  if unattended; then
    return 0
  fi
  printf '%s [y/N] ' "$1"
  read -r answer || true
  [[ $answer == [yY] || $answer == [yY][eE][sS] ]]
}

# ---------------------------------------------------------------------------
# Debian / Ubuntu
# ---------------------------------------------------------------------------

# One line per requirement:
#   package to install ; regex of installed packages that satisfy it ; why
# "@server" is resolved to valkey-server or redis-server at install time.
DEB_REQUIREMENTS=(
  "build-essential;^(build-essential|g\+\+)$;the C++ compiler (g++) and make, to build the lessons"
  "cmake;^cmake$;CMake, the build system of the workbook"
  "make;^make$;make, behind every 'make ...' command of the workbook"
  "ninja-build;^ninja-build$;Ninja, which rebuilds an edited exercise faster than make does"
  "patch;^patch$;patch, which makes each grader's known-wrong variants (mutants) from the solution"
  "pkg-config;^(pkg-config|pkgconf)$;pkg-config, how CMake finds the libraries below"
  "git;^git$;git, to keep track of your work"
  "libhiredis-dev;^libhiredis-dev$;the C library our Valkey client is built on"
  "libpqxx-dev;^libpqxx-dev$;the C++ PostgreSQL library (lesson 05 queries the Staff database)"
  "nlohmann-json3-dev;^nlohmann-json3-dev$;JSON for C++ (lesson 07 stores JSON in the cache)"
  "catch2;^catch2$;Catch2, the test framework the graders use"
  "libssl-dev;^libssl-dev$;OpenSSL, for digests of queries and random tokens"
  "postgresql;^(postgresql|postgresql-[0-9]+)$;the PostgreSQL server (the database behind the cache)"
  "postgresql-client;^(postgresql-client|postgresql-client-[0-9]+)$;psql, to look inside the database"
  "@server;^(valkey-server|redis-server)$;the Valkey server (Redis where Valkey is not packaged: same protocol)"
  "inotify-tools;^inotify-tools$;inotifywait, used by 'make watch' to re-run a grader when you save"
)

SUDO=()
need_root_helper() {
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      err "installing packages needs root, and sudo is not installed."
      err "Run this script as root (for example: su -c '$PROG'), or install sudo."
      exit 1
    fi
  fi
}

# Prints the packages (install names) that are missing, one a line.
deb_missing() {
  local -A installed=()
  local pkg status line install_name regex _why name
  while IFS=$'\t' read -r pkg status; do
    [[ $status == "install ok installed" ]] && installed[$pkg]=1
  done < <(dpkg-query -W -f='${Package}\t${Status}\n' 2>/dev/null || true)
  for line in "${DEB_REQUIREMENTS[@]}"; do
    IFS=';' read -r install_name regex _why <<<"$line"
    local found=0
    for name in "${!installed[@]}"; do
      if [[ $name =~ $regex ]]; then
        found=1
        break
      fi
    done
    [[ $found -eq 1 ]] || printf '%s\n' "$install_name"
  done
}

deb_why() {
  local wanted=$1 line install_name regex why
  for line in "${DEB_REQUIREMENTS[@]}"; do
    IFS=';' read -r install_name regex why <<<"$line"
    if [[ $install_name == "$wanted" ]]; then
      printf '%s' "$why"
      return
    fi
  done
}

# valkey-server when this release packages it, else redis-server.
deb_server_package() {
  if apt-cache show valkey-server >/dev/null 2>&1; then
    echo valkey-server
  else
    echo redis-server
  fi
}

# The package installer may have started a system service on port 6379,
# which would collide with the workbook's own server. Only called for a
# package this run has just installed.
deb_quiet_new_service() {
  local svc=$1
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    if systemctl is-active --quiet "$svc" 2>/dev/null; then
      "${SUDO[@]}" systemctl stop "$svc"
      "${SUDO[@]}" systemctl disable --quiet "$svc" 2>/dev/null || "${SUDO[@]}" systemctl disable "$svc"
      say ""
      say "Note: installing $svc started it as a system service on port 6379, where"
      say "      the workbook runs its own server. I stopped and disabled that service."
      say "      To restore it:  sudo systemctl enable --now $svc"
    fi
  elif [[ -x /etc/init.d/$svc ]] && command -v service >/dev/null 2>&1; then
    if "${SUDO[@]}" service "$svc" status >/dev/null 2>&1; then
      "${SUDO[@]}" service "$svc" stop >/dev/null
      "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
      say ""
      say "Note: installing $svc started it as a system service on port 6379, where"
      say "      the workbook runs its own server. I stopped it and turned off its start at boot."
      say "      To restore it:  sudo update-rc.d $svc enable && sudo service $svc start"
    fi
  fi
}

deb_main() {
  local -a missing=()
  mapfile -t missing < <(deb_missing)

  if [[ ${#missing[@]} -eq 0 ]]; then
    [[ $MODE == quiet ]] || say "Everything the workbook needs is installed. Nothing to do."
    exit 0
  fi

  local server_pkg="" pkg
  for pkg in "${missing[@]}"; do
    if [[ $pkg == "@server" ]]; then
      # Before 'apt-get update' this may not know about valkey-server yet;
      # it is asked again after the update.
      server_pkg=$(deb_server_package)
    fi
  done
  local -a names=()
  for pkg in "${missing[@]}"; do
    if [[ $pkg == "@server" ]]; then names+=("$server_pkg"); else names+=("$pkg"); fi
  done

  local prefix=""
  [[ $(id -u) -eq 0 ]] || prefix="sudo "

  if [[ $MODE == check ]]; then
    say "Missing (${#names[@]}):"
    for pkg in "${missing[@]}"; do
      local shown=$pkg
      [[ $pkg == "@server" ]] && shown=$server_pkg
      printf '  %-20s %s\n' "$shown" "$(deb_why "$pkg")"
    done
    say ""
    say "Install them with:  make setup"
    say "  (which runs: ${prefix}apt-get update && ${prefix}apt-get install ${names[*]})"
    exit 1
  fi

  say "The workbook needs these packages, which are not installed yet:"
  for pkg in "${missing[@]}"; do
    local shown=$pkg
    [[ $pkg == "@server" ]] && shown=$server_pkg
    printf '  %-20s %s\n' "$shown" "$(deb_why "$pkg")"
  done
  say ""
  need_root_helper
  if ! confirm "Install them now with apt-get (${prefix}apt-get install ...)?"; then
    say "Nothing installed. To install them yourself:"
    say "  ${prefix}apt-get update && ${prefix}apt-get install ${names[*]}"
    exit 1
  fi

  local -a apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  say "Updating the package lists (apt-get update)..."
  "${apt[@]}" update -q
  if [[ -n $server_pkg ]]; then
    server_pkg=$(deb_server_package)
    if [[ $server_pkg == redis-server ]]; then
      say "This release does not package Valkey: installing redis-server instead (same protocol)."
    fi
    names=()
    for pkg in "${missing[@]}"; do
      if [[ $pkg == "@server" ]]; then names+=("$server_pkg"); else names+=("$pkg"); fi
    done
  fi
  say "Installing: ${names[*]}"
  "${apt[@]}" install -y -q --no-install-recommends "${names[@]}"

  if [[ -n $server_pkg ]]; then
    deb_quiet_new_service "$server_pkg"
  fi

  local -a still=()
  mapfile -t still < <(deb_missing)
  if [[ ${#still[@]} -gt 0 ]]; then
    err "apt-get finished, but these are still missing: ${still[*]/#@server/valkey-server or redis-server}"
    exit 1
  fi
  say ""
  say "Done: everything the workbook needs is installed. Next: make infra-up"
}

# ---------------------------------------------------------------------------
# macOS (Homebrew)
# ---------------------------------------------------------------------------

# formula | alternatives (directories under $(brew --prefix)/opt) | why
BREW_REQUIREMENTS=(
  "cmake|cmake|CMake, the build system of the workbook"
  "ninja|ninja|Ninja, which rebuilds an edited exercise faster than make does"
  "pkgconf|pkgconf pkg-config|pkg-config, how CMake finds the libraries below"
  "hiredis|hiredis|the C library our Valkey client is built on"
  "libpqxx|libpqxx|the C++ PostgreSQL library (lesson 05 queries the Staff database)"
  "nlohmann-json|nlohmann-json|JSON for C++ (lesson 07 stores JSON in the cache)"
  "catch2|catch2|Catch2, the test framework the graders use"
  "openssl|openssl openssl@3|OpenSSL, for digests of queries and random tokens"
  "postgresql@16|postgresql@16 postgresql@17 postgresql@15 postgresql@14 postgresql|the PostgreSQL server and psql"
  "valkey|valkey redis|the Valkey server"
)

mac_main() {
  if ! command -v brew >/dev/null 2>&1; then
    err "Homebrew is not installed. Install it from https://brew.sh, then run 'make setup' again."
    err "The workbook needs: xcode command line tools, cmake pkgconf hiredis libpqxx nlohmann-json catch2 openssl postgresql@16 valkey"
    exit 1
  fi
  if [[ $(id -u) -eq 0 ]]; then
    err "Homebrew must not be run as root: run 'make setup' as yourself."
    exit 1
  fi
  local prefix line formula alts why alt
  prefix=${HOMEBREW_PREFIX:-$(brew --prefix)}
  local -a missing=() whys=()
  if ! xcode-select -p >/dev/null 2>&1; then
    err "The Xcode command line tools (compiler, make, git) are missing."
    err "Install them with:  xcode-select --install   then run 'make setup' again."
    exit 1
  fi
  for line in "${BREW_REQUIREMENTS[@]}"; do
    IFS='|' read -r formula alts why <<<"$line"
    local found=0
    for alt in $alts; do
      if [[ -d $prefix/opt/$alt ]]; then
        found=1
        break
      fi
    done
    if [[ $found -eq 0 ]]; then
      missing+=("$formula")
      whys+=("$why")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    [[ $MODE == quiet ]] || say "Everything the workbook needs is installed. Nothing to do."
    exit 0
  fi
  local i
  if [[ $MODE == check ]]; then
    say "Missing (${#missing[@]}):"
  else
    say "The workbook needs these Homebrew formulae, which are not installed yet:"
  fi
  for i in "${!missing[@]}"; do
    printf '  %-20s %s\n' "${missing[$i]}" "${whys[$i]}"
  done
  say ""
  if [[ $MODE == check ]]; then
    say "Install them with:  make setup   (runs: brew install ${missing[*]})"
    exit 1
  fi
  if ! confirm "Install them now with 'brew install ${missing[*]}'?"; then
    say "Nothing installed. To install them yourself:  brew install ${missing[*]}"
    exit 1
  fi
  brew install "${missing[@]}"
  say ""
  say "Done: everything the workbook needs is installed. Next: make infra-up"
}

# ---------------------------------------------------------------------------
# Anything else: look for the tools, and say what is needed.
# ---------------------------------------------------------------------------

other_main() {
  local -a missing=()
  local have_pg=0 d
  command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || missing+=("a C++17 compiler (g++ or clang++)")
  command -v cmake >/dev/null 2>&1 || missing+=("cmake")
  command -v make >/dev/null 2>&1 || missing+=("make")
  command -v git >/dev/null 2>&1 || missing+=("git")
  if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists hiredis || missing+=("hiredis (development files)")
    pkg-config --exists libpqxx || missing+=("libpqxx (development files)")
    pkg-config --exists nlohmann_json || missing+=("nlohmann-json (version 3)")
    pkg-config --exists catch2-with-main || pkg-config --exists catch2 || missing+=("Catch2")
    pkg-config --exists openssl || missing+=("OpenSSL (development files)")
  else
    missing+=("pkg-config" "hiredis" "libpqxx" "nlohmann-json" "Catch2" "OpenSSL (development files)")
  fi
  command -v valkey-server >/dev/null 2>&1 || command -v redis-server >/dev/null 2>&1 ||
    missing+=("valkey-server (or redis-server)")
  command -v pg_ctl >/dev/null 2>&1 && have_pg=1
  for d in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin; do
    [[ -x $d/pg_ctl ]] && have_pg=1
  done
  [[ $have_pg -eq 1 ]] || missing+=("the PostgreSQL server (initdb, pg_ctl, postgres)")
  command -v psql >/dev/null 2>&1 || missing+=("psql (PostgreSQL client)")

  if [[ ${#missing[@]} -eq 0 ]]; then
    [[ $MODE == quiet ]] || say "Everything the workbook needs seems to be installed. Nothing to do."
    exit 0
  fi
  say "This script can install packages on Debian, Ubuntu and macOS only."
  say "On this system, please install these with your package manager:"
  local m
  for m in "${missing[@]}"; do
    say "  - $m"
  done
  say "Then run 'make setup' again to check."
  exit 1
}

case "$(uname -s)" in
  Darwin) mac_main ;;
  Linux)
    if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
      deb_main
    else
      other_main
    fi
    ;;
  *) other_main ;;
esac
