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
