#!/usr/bin/env bash
# Runs the whole test suite through CTest, installing what is missing first:
#   1. the normal build (-Werror): unit, integration, corpus (python3 truth
#      check), browser end-to-end (Chromium) and a valgrind shutdown test;
#   2. the same tests on an ASan+UBSan build;
#   3. libFuzzer targets for a bounded time (QZ_FUZZ_SECONDS, default 10 s each).
# Options: --quick (normal build only), --no-fuzz.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

QUICK=0 FUZZ=1
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --no-fuzz) FUZZ=0 ;;
    *) echo "usage: ./test.sh [--quick] [--no-fuzz]" >&2; exit 2 ;;
  esac
done

# The test tools first (CMake registers tests for the tools it finds), then
# everything run.sh needs and the build.
source .ci/common.sh
ensure_packages python3 valgrind chromium clang libclang-rt-14-dev
ensure_tools haproxy prometheus   # their programs, not their daemons
ensure_node
./run.sh --build-only

say "installing the browser test driver (npm)"
if [ ! -f tests/e2e/node_modules/.package-lock.json ] || \
   ! cmp -s tests/e2e/package-lock.json tests/e2e/node_modules/.quizd-lock; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.quizd-lock)
fi

status=0
export CTEST_OUTPUT_ON_FAILURE=1
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
say "tests: normal build"
(cd build && ctest --timeout 900) | tee -a "$LOG" || status=1

if [ "$QUICK" = 0 ]; then
  build build-asan -DQZ_WERROR=ON -DQZ_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  say "tests: ASan+UBSan build"
  (cd build-asan && ctest --timeout 900) | tee -a "$LOG" || status=1
  if [ "$FUZZ" = 1 ]; then
    build build-fuzz -DQZ_FUZZ=ON -DQZ_E2E=OFF -DQZ_BENCH=OFF -DCMAKE_C_COMPILER=clang
    say "tests: fuzzing (${QZ_FUZZ_SECONDS:=10} s per target)"
    (cd build-fuzz && QZ_FUZZ_SECONDS=$QZ_FUZZ_SECONDS ctest -L fuzz --timeout 900) | tee -a "$LOG" || status=1
  fi
fi

# One closing line over every CTest run above.
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$LOG" | awk '{s+=$1} END {print s+0}')
failed=$(sed -n 's/.* \([0-9]*\) tests failed out of .*/\1/p' "$LOG" | awk '{s+=$1} END {print s+0}')
[ "$status" = 0 ] || [ "${failed:-0}" -gt 0 ] || failed=1
if [ "$status" = 0 ]; then say "all tests passed"; else say "SOME TESTS FAILED"; fi
echo "$((${total:-0} - ${failed:-0})) passed, ${failed:-0} failed"
exit "$status"
