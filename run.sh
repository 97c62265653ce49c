#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), builds quizd, and starts it
# with the bundled corpus. Extra arguments go to quizd (see ./run.sh --help).
#   ./run.sh                 build and start on port 8080
#   ./run.sh --port 9000     any quizd option
#   ./run.sh --build-only    install and build, do not start (used by test.sh)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

RUNTIME_PKGS=(cmake gcc make pkg-config libwebsockets-dev libwebsockets-evlib-uv libuv1-dev
              libjansson-dev libqrencode-dev)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the Debian packages given that are not installed yet ("apt-get
# update" once, only when something is missing).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {   # build DIR [cmake options...]
  local dir=$1; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    say "configuring $dir"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  fi
  say "building $dir"
  cmake --build "$dir" -j"$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- ' || true
  [ -x "$dir/quizd" ] || { echo "build failed" >&2; exit 1; }
}

if [ "${1:-}" = "--build-only" ]; then
  shift
  ensure_packages "${RUNTIME_PKGS[@]}"
  build build -DQZ_WERROR=ON
  exit 0
fi

ensure_packages "${RUNTIME_PKGS[@]}"
build build -DQZ_WERROR=ON
say "starting quizd (Ctrl-C to stop)"
exec ./build/quizd "$@"
