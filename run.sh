#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), builds quizd, and starts it
# with the bundled corpus. Extra arguments go to quizd (see ./run.sh --help).
#   ./run.sh                 build and start on port 8080
#   ./run.sh --port 9000     any quizd option
#   ./run.sh --build-only    install and build, do not start (used by test.sh)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

RUNTIME_PKGS=(cmake gcc make pkg-config libwebsockets-dev libwebsockets-evlib-uv libuv1-dev
              libjansson-dev libqrencode-dev libicu-dev libssl-dev libsqlite3-dev)

source .ci/common.sh

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
