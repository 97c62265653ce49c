# Helpers shared by ./run.sh and ./test.sh (sourced, not run).

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the Debian packages given that are not installed yet ("apt-get
# update" once, only when something is missing). Needs root or sudo.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Installs packages wanted for their programs only (haproxy; promtool, which
# comes in Debian's prometheus package): their daemons are neither started
# nor left enabled, so the suite never leaves a Prometheus on :9090. Debian's
# maintainer scripts start services through invoke-rc.d/deb-systemd-invoke,
# which ask /usr/sbin/policy-rc.d first (exit 101: not now), so one is in
# place for the install when the machine has none (containers often have
# one); enabling is deb-systemd-helper's and ignores that policy, so on a
# systemd machine the units of the packages installed here are disabled
# (and stopped, should one have started) afterwards. Packages already
# installed are left as they are: their services are the owner's business.
ensure_tools() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=() policy=/usr/sbin/policy-rc.d ours=0 rc=0
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# quizd test.sh: no service starts while it installs its tools\nexit 101\n' |
      "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    ours=1
  fi
  # A subshell, so the policy goes away however the install ends.
  (
    [ "$ours" = 0 ] || trap '"${sudo[@]}" rm -f "$policy"' EXIT
    ensure_packages "${missing[@]}"
  ) || rc=$?
  if [ -d /run/systemd/system ]; then
    for p in "${missing[@]}"; do
      for u in $(dpkg-query -L "$p" 2>/dev/null | sed -n 's#^\(/usr\)\{0,1\}/lib/systemd/system/\([^/]*\.service\)$#\2#p'); do
        "${sudo[@]}" systemctl disable --now "$u" >/dev/null 2>&1 || true
      done
    done
  fi
  return "$rc"
}

# Node.js and npm: any install will do (NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package), else Debian's.
ensure_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    ensure_packages nodejs npm
  fi
}

# build DIR [cmake options...]: (re)configure — cheap, and it makes CMake look
# again for tools installed since (valgrind, node) — then build incrementally.
build() {
  local dir=$1; shift
  local type=RelWithDebInfo
  [ -f "$dir/CMakeCache.txt" ] && type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$dir/CMakeCache.txt")
  say "configuring $dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${type:-RelWithDebInfo}" "$@" >/dev/null
  say "building $dir"
  cmake --build "$dir" -j"$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- ' || true
  [ -x "$dir/quizd" ] || [ -x "$dir/tests/fuzz_parser" ] || { echo "build of $dir failed" >&2; exit 1; }
}
