#!/usr/bin/env bash
# scripts/setup.sh: install the system packages the workbook needs.
#
#   scripts/setup.sh                  install what is missing (make setup)
#   scripts/setup.sh --check          list what is missing; exit 1 if anything is
#   scripts/setup.sh --quiet-if-ok    print nothing when all is there, else install
#   scripts/setup.sh --second-server  also the second server `make check` proves
#                                     the solutions on (redis-server 7.0 beside
#                                     Valkey); combines with the options above
#
# Debian/Ubuntu: apt-get (through sudo when not root). macOS: Homebrew.
# Anything else: prints what is needed and exits 1.
#
# The server is Valkey: from the release's own suite where it has one
# (Debian 13, newer Ubuntu), from Debian 12's bookworm-backports (enabled in a
# sources file of the workbook's own, after asking), from Homebrew on macOS.
# redis-server 7.0 only where no Valkey package can be had (it says why).
#
# It asks before it installs anything. Without a terminal it installs nothing
# and names `make setup`, unless CI is set (CI may install without asking).
# Safe to run again: when nothing is missing it does nothing, quickly.
set -euo pipefail

PROG=scripts/setup.sh

# ---------------------------------------------------------------------------
# THE CATCH2 SWITCH (Debian 12 only). Where Catch2 comes from:
#   main       Catch2 v2 (2.13) from bookworm itself
#   backports  Catch2 v3 (3.7) from bookworm-backports           <- now
# The graders use v3's light headers (catch_test_macros.hpp and friends), so
# they compile faster than with v2's single header; v2 still builds (CI proves
# it in a folder of its own). Where backports cannot be read, v2 is installed.
# Elsewhere the release's own catch2 is taken (v3 on Debian 13 and Homebrew).
CATCH2_SUITE_ON_BOOKWORM=backports
# ---------------------------------------------------------------------------

# apt's folder and the release file (tests/tools/infra.sh points them at
# scratch copies, to play a fresh machine without touching this one).
APT_ETC=${WB_SETUP_APT_ETC:-/etc/apt}
OS_RELEASE=${WB_SETUP_OS_RELEASE:-/etc/os-release}
# The sources file of the workbook's own (the system's sources are never edited).
BACKPORTS_FILE=$APT_ETC/sources.list.d/valkey-workbook-backports.sources

usage() {
  cat <<EOF
Usage: $PROG [--check | --quiet-if-ok] [--second-server]

Installs the compiler, libraries and servers the Valkey Caching Workbook needs.

  (no option)      install whatever is missing (asks first; without a terminal
                   it installs nothing unless CI is set)
  --check          only report what is missing; exit 1 if anything is
  --quiet-if-ok    print nothing and exit 0 when everything is installed;
                   otherwise install, as with no option
  --second-server  also install the second server that 'make check' proves
                   every solution on (redis-server 7.0, beside Valkey)
  -h, --help       this help
EOF
}

MODE=install
SECOND_SERVER=0
for arg in "$@"; do
  case "$arg" in
    --check) MODE=check ;;
    --quiet-if-ok) MODE=quiet ;;
    --second-server) SECOND_SERVER=1 ;;
    -h | --help) usage; exit 0 ;;
    *) printf '%s: unknown option "%s"\n\n' "$PROG" "$arg" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '%s\n' "$*"; }
err() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# Ask once; the default is No. CI may install without asking; without a
# terminal (a make target run by a script, an editor's task) nothing is
# installed: the learner runs `make setup` themselves.
confirm() {
  local answer=""
  if [[ -n ${CI:-} ]]; then
    say "(CI is set: installing without asking.)"
    return 0
  fi
  if [[ ! -t 0 ]]; then
    say "Not installing anything without asking, and there is no terminal to ask on."
    say "Run this in a terminal:  make setup"
    exit 1
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
# "@server" is Valkey (valkey-server and valkey-tools), or redis-server where
# no Valkey package can be had; "@second" is the second server of make check.
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
  "@catch2;^catch2$;Catch2, the test framework the graders use"
  "libssl-dev;^libssl-dev$;OpenSSL, for digests of queries and random tokens"
  "postgresql;^(postgresql|postgresql-[0-9]+)$;the PostgreSQL server (the database behind the cache)"
  "postgresql-client;^(postgresql-client|postgresql-client-[0-9]+)$;psql, to look inside the database"
  "@server;^(valkey-server|redis-server)$;Valkey, the cache server the course is about (valkey-server, valkey-cli)"
  "inotify-tools;^inotify-tools$;inotifywait, used by 'make watch' to re-run a grader when you save"
  "ca-certificates;^ca-certificates$;the certificates apt and git need for https"
)
SECOND_REQUIREMENT="@second;^redis-server$;Redis 7.0, the second server 'make check' proves every solution on"

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

declare -A INSTALLED=()
load_installed() {
  INSTALLED=()
  local pkg status version
  while IFS=$'\t' read -r pkg status version; do
    [[ $status == "install ok installed" ]] && INSTALLED[$pkg]=$version
  done < <(dpkg-query -W -f='${Package}\t${Status}\t${Version}\n' 2>/dev/null || true)
}

# The release: sets OS_ID (debian, ubuntu) and OS_CODENAME (bookworm, ...).
load_release() {
  OS_ID="" OS_CODENAME=""
  if [[ -r $OS_RELEASE ]]; then
    # shellcheck disable=SC1090
    OS_ID=$(. "$OS_RELEASE" && echo "${ID:-}")
    # shellcheck disable=SC1090
    OS_CODENAME=$(. "$OS_RELEASE" && echo "${VERSION_CODENAME:-}")
  fi
}
on_bookworm() { [[ $OS_ID == debian && $OS_CODENAME == bookworm ]]; }

# Prints the requirements (install names) that are missing, one a line.
deb_missing() {
  local line install_name regex _why name found
  local -a lines=("${DEB_REQUIREMENTS[@]}")
  [[ $SECOND_SERVER == 1 ]] && lines+=("$SECOND_REQUIREMENT")
  for line in "${lines[@]}"; do
    IFS=';' read -r install_name regex _why <<<"$line"
    found=0
    for name in "${!INSTALLED[@]}"; do
      if [[ $name =~ $regex ]]; then
        found=1
        break
      fi
    done
    # Catch2 v3 wanted on Debian 12 (the switch above): `make setup` offers
    # to replace an installed v2. The other commands (--quiet-if-ok) build
    # with the v2 that is there, which works as well, rather than stop.
    if [[ $install_name == "@catch2" && $found == 1 && $MODE != quiet ]] && on_bookworm &&
       [[ $CATCH2_SUITE_ON_BOOKWORM == backports && ${INSTALLED[catch2]:-} == 2.* ]]; then
      found=0
    fi
    [[ $found -eq 1 ]] || printf '%s\n' "$install_name"
  done
}

deb_why() {
  local wanted=$1 line install_name regex why
  for line in "${DEB_REQUIREMENTS[@]}" "$SECOND_REQUIREMENT"; do
    IFS=';' read -r install_name regex why <<<"$line"
    if [[ $install_name == "$wanted" ]]; then
      printf '%s' "$why"
      return
    fi
  done
}

# True when an enabled apt source (the system's, or ours) has bookworm-backports.
backports_enabled() {
  grep -qsE '^[^#]*bookworm-backports' "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list \
    "$APT_ETC"/sources.list.d/*.sources 2>/dev/null
}

# The suite apt would take valkey-server from now: "main" (a release's own
# suite), "backports", or "" (none known).
valkey_suite() {
  local line suite="" any=""
  while IFS= read -r line; do
    any=1
    case $line in
      *-backports/*) [[ -n $suite ]] || suite=backports ;;
      *) suite=main ;;
    esac
  done < <(apt-cache madison valkey-server 2>/dev/null | grep -E '\| *[^ ]+ *\|' || true)
  [[ -n $any ]] && printf '%s' "$suite"
  return 0
}

# The mirror the system takes bookworm from (so that a local mirror is used
# for backports too), else Debian's own.
bookworm_mirror() {
  local uri
  uri=$(apt-cache policy 2>/dev/null | awk '$3 == "bookworm/main" && $2 ~ /^https?:/ { print $2; exit }')
  printf '%s' "${uri:-http://deb.debian.org/debian}"
}

write_backports_file() {
  local mirror
  mirror=$(bookworm_mirror)
  printf '%s\n' \
    "# Written by the Valkey Caching Workbook (scripts/setup.sh): Debian's" \
    "# bookworm-backports, for valkey-server and valkey-tools (Valkey 8), which" \
    "# Debian 12 itself does not package. Backports are never taken unless" \
    "# asked for by name (apt-get install -t bookworm-backports ...), so nothing" \
    "# else on this machine changes. Remove this file to turn it off again." \
    "Types: deb" \
    "URIs: $mirror" \
    "Suites: bookworm-backports" \
    "Components: main" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
    "${SUDO[@]}" tee "$BACKPORTS_FILE" >/dev/null
}

remove_backports_file() {
  if [[ -e $BACKPORTS_FILE ]]; then
    "${SUDO[@]}" rm -f "$BACKPORTS_FILE"
    say "Removed $BACKPORTS_FILE again (nothing was installed from it)."
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
      "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
      "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
      say ""
      say "Note: installing $svc started it as a system service on port 6379, where"
      say "      the workbook runs its own server. I stopped it and turned off its start at boot."
      say "      To restore it:  sudo update-rc.d $svc enable && sudo service $svc start"
    fi
  fi
}

deb_main() {
  load_installed
  load_release
  local -a missing=()
  mapfile -t missing < <(deb_missing)
  local upgrade_to_valkey=0
  # A machine that got redis-server when no Valkey could be had: an explicit
  # `make setup` offers Valkey again (make test and the rest do not insist).
  if [[ $MODE == install && -z ${INSTALLED[valkey-server]:-} && -n ${INSTALLED[redis-server]:-} ]] &&
     on_bookworm && [[ " ${missing[*]} " != *" @server "* ]]; then
    missing+=("@server")
    upgrade_to_valkey=1
  fi

  if [[ ${#missing[@]} -eq 0 ]]; then
    [[ $MODE == quiet ]] || say "Everything the workbook needs is installed. Nothing to do."
    exit 0
  fi

  # What comes from where. On Debian 12, Valkey (and Catch2 v3, when the
  # switch says so) need bookworm-backports.
  local want_server=0 want_second=0 want_catch2=0 pkg
  local -a plain=()
  for pkg in "${missing[@]}"; do
    case $pkg in
      @server) want_server=1 ;;
      @second) want_second=1 ;;
      @catch2) want_catch2=1 ;;
      *) plain+=("$pkg") ;;
    esac
  done
  local need_backports=0 add_backports=0 catch2_backports=0
  if on_bookworm; then
    [[ $want_server == 1 ]] && need_backports=1
    if [[ $want_catch2 == 1 && $CATCH2_SUITE_ON_BOOKWORM == backports ]]; then
      need_backports=1
      catch2_backports=1
    fi
    if [[ $need_backports == 1 ]] && ! backports_enabled; then add_backports=1; fi
  fi

  local prefix=""
  [[ $(id -u) -eq 0 ]] || prefix="sudo "
  local server_shown="valkey-server valkey-tools"
  on_bookworm || server_shown="valkey-server valkey-tools (or redis-server where this release has no Valkey)"
  local catch2_shown="catch2"
  [[ $catch2_backports == 1 ]] && catch2_shown="catch2 (v3, from bookworm-backports)"

  if [[ $MODE == check ]]; then
    say "Missing (${#missing[@]}):"
  else
    say "The workbook needs these packages, which are not installed yet:"
  fi
  for pkg in "${missing[@]}"; do
    case $pkg in
      @server)
        if [[ $upgrade_to_valkey == 1 ]]; then
          printf '  %-20s %s\n' "valkey-server" "Valkey 8, the server the course is about (you have redis-server 7.0, which works too)"
        else
          printf '  %-20s %s\n' "$server_shown" "$(deb_why @server)"
        fi
        ;;
      @second) printf '  %-20s %s\n' "redis-server" "$(deb_why @second)" ;;
      @catch2) printf '  %-20s %s\n' "$catch2_shown" "$(deb_why @catch2)" ;;
      *) printf '  %-20s %s\n' "$pkg" "$(deb_why "$pkg")" ;;
    esac
  done
  if [[ $add_backports == 1 ]]; then
    say ""
    say "Debian 12 packages Valkey 8 only in its bookworm-backports suite (Debian's own"
    say "newer packages for this release). To install it I would first enable that suite in"
    say "  $BACKPORTS_FILE"
    say "a sources file of the workbook's own (your own sources are not touched). apt takes a"
    say "package from backports only when asked for it by name, so nothing else changes:"
    say "only valkey-server and valkey-tools$([[ $catch2_backports == 1 ]] && echo " and catch2") come from there."
  fi
  say ""
  if [[ $MODE == check ]]; then
    say "Install them with:  make setup"
    exit 1
  fi

  need_root_helper
  local question="Install them now with apt-get (${prefix}apt-get install ...)?"
  [[ $add_backports == 1 ]] && question="Enable bookworm-backports and install them now with apt-get?"
  if ! confirm "$question"; then
    say "Nothing installed. To install them yourself:  make setup"
    exit 1
  fi

  local -a apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  local backports_added=0
  if [[ $add_backports == 1 ]]; then
    write_backports_file
    backports_added=1
    say "Enabled bookworm-backports in $BACKPORTS_FILE."
  fi
  say "Updating the package lists (apt-get update)..."
  if ! "${apt[@]}" update -q; then
    if [[ $backports_added == 1 ]]; then
      remove_backports_file
      backports_added=0
      say "apt-get update could not read every source (offline, or a mirror without backports?)."
    else
      say "apt-get update could not read every source; going on with the lists it has."
    fi
  fi

  # Where the server comes from, now that the lists are fresh.
  local server_pkgs=() server_from="" fallback_reason=""
  if [[ $want_server == 1 ]]; then
    case $(valkey_suite) in
      main) server_pkgs=(valkey-server valkey-tools) server_from=main ;;
      backports)
        if on_bookworm; then
          server_pkgs=(valkey-server valkey-tools) server_from=backports
        else
          fallback_reason="Valkey is only in this release's backports, which the workbook does not enable here"
        fi
        ;;
      *)
        if on_bookworm; then
          fallback_reason="bookworm-backports cannot be read here: offline, or a mirror without backports"
        else
          fallback_reason="${OS_ID:-this system} ${OS_CODENAME:-} does not package Valkey"
        fi
        ;;
    esac
    if [[ -z $server_from ]]; then
      [[ $backports_added == 1 ]] && { remove_backports_file; backports_added=0; }
      if [[ -n ${INSTALLED[redis-server]:-} ]]; then
        say "Valkey: cannot be installed ($fallback_reason); redis-server 7.0, already here, stays the server."
        want_server=0
      else
        say "Valkey: cannot be installed ($fallback_reason): installing redis-server 7.0 instead (same protocol; every lesson passes on it)."
        server_pkgs=(redis-server)
        server_from=main
      fi
    fi
  fi
  if [[ $catch2_backports == 1 ]] && [[ $(apt-cache madison catch2 2>/dev/null) != *-backports/* ]]; then
    say "Catch2 v3: bookworm-backports cannot be read here: installing Catch2 v2 from bookworm instead."
    catch2_backports=0
  fi

  # From the release's own suites: everything that is not from backports.
  local -a main_pkgs=("${plain[@]}")
  [[ $want_catch2 == 1 && $catch2_backports == 0 ]] && main_pkgs+=(catch2)
  [[ $server_from == main ]] && main_pkgs+=("${server_pkgs[@]}")
  [[ $want_second == 1 ]] && main_pkgs+=(redis-server)
  local -a new_services=()
  if [[ ${#main_pkgs[@]} -gt 0 ]]; then
    say "Installing: ${main_pkgs[*]}"
    local installed_ok=1
    "${apt[@]}" install -y -q --no-install-recommends "${main_pkgs[@]}" || installed_ok=0
    for pkg in "${main_pkgs[@]}"; do
      case $pkg in valkey-server | redis-server) new_services+=("$pkg") ;; esac
    done
    if [[ $installed_ok == 0 ]]; then
      # A server that did get installed may have started a service on 6379.
      for pkg in "${new_services[@]}"; do deb_quiet_new_service "$pkg"; done
      err "apt-get install failed (its messages are above); nothing else was installed."
      exit 1
    fi
  fi
  # From bookworm-backports, by name only (-t): apt downloads all before it
  # unpacks any, so a failure here installs nothing.
  local -a bpo_pkgs=()
  [[ $server_from == backports ]] && bpo_pkgs+=("${server_pkgs[@]}")
  [[ $catch2_backports == 1 ]] && bpo_pkgs+=(catch2)
  if [[ ${#bpo_pkgs[@]} -gt 0 ]]; then
    say "Installing from bookworm-backports: ${bpo_pkgs[*]}"
    if "${apt[@]}" install -y -q --no-install-recommends -t bookworm-backports "${bpo_pkgs[@]}"; then
      [[ $server_from == backports ]] && new_services+=(valkey-server)
    elif [[ $server_from == backports ]]; then
      [[ $backports_added == 1 ]] && { remove_backports_file; backports_added=0; }
      if [[ -z ${INSTALLED[redis-server]:-} && $want_second == 0 ]]; then
        say "Valkey: the download from bookworm-backports failed: installing redis-server 7.0 instead (same protocol)."
        "${apt[@]}" install -y -q --no-install-recommends redis-server
        new_services+=(redis-server)
      else
        say "Valkey: the download from bookworm-backports failed; redis-server 7.0 stays the server."
      fi
    fi
  fi

  local svc
  for svc in "${new_services[@]}"; do deb_quiet_new_service "$svc"; done

  load_installed
  local -a still=()
  mapfile -t still < <(deb_missing)
  if [[ ${#still[@]} -gt 0 ]]; then
    err "apt-get finished, but these are still missing: ${still[*]}"
    exit 1
  fi
  say ""
  if [[ -n ${INSTALLED[valkey-server]:-} ]]; then
    say "Done: everything the workbook needs is installed (valkey-server ${INSTALLED[valkey-server]%%+*}). Next: make infra-up"
  else
    local v=${INSTALLED[redis-server]:-}
    v=${v#*:}
    say "Done: everything the workbook needs is installed (redis-server ${v%%-*}). Next: make infra-up"
  fi
}

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
  local -a lines=("${BREW_REQUIREMENTS[@]}")
  [[ $SECOND_SERVER == 1 ]] && lines+=("redis|redis|Redis 7, the second server 'make check' proves every solution on")
  for line in "${lines[@]}"; do
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
  if [[ $SECOND_SERVER == 1 ]]; then
    command -v redis-server >/dev/null 2>&1 || missing+=("redis-server (the second server of make check)")
  fi
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
