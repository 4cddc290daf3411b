#!/usr/bin/env bash
# frr-hostroute developer entry point: the README's two commands.
#
#   ./dev.sh demo   install what is missing, build, run the lab demo (real FRR in namespaces)
#   ./dev.sh test   install what is missing, build, run every test; non-zero on any failure
#
# Other verbs: deps (install only), build, unit, sanitize (clang ASan+UBSan build: unit tests
# and libFuzzer targets), integration, bench, format (clang-format check), tidy (clang-tidy's
# braces check over both builds' compile_commands.json); `test` runs format and tidy too.
# Environment: HR_BUILD_DIR (default ./build), HR_JOBS (default: nproc),
#              HRLAB_PREFIX (namespace prefix of the lab, default "hr"),
#              HR_TEST_BUDGET (seconds the whole `test` verb may take, default 2700 = 45 min:
#              each phase runs under `timeout` with what is left, and fails when it runs out).
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
BUILD=${HR_BUILD_DIR:-$ROOT/build}
SAN_BUILD=${HR_SAN_BUILD_DIR:-$ROOT/build-san}
JOBS=${HR_JOBS:-$(nproc)}
PY=/usr/bin/python3   # Debian's python: pytest and scapy come from Debian packages

# Debian 12 packages (LAB.md): build, run time, tests, lab.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev clang-format-14 clang-tidy-14
  libyang2-dev libyang2-tools
  protobuf-compiler libprotobuf-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libsystemd-dev libnl-3-dev libnl-route-3-dev libmnl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  frr
  iproute2 iputils-ping procps psmisc bridge-utils nftables tcpdump arping ndisc6 keepalived
  python3 python3-pytest python3-scapy python3-protobuf
)

log() { printf '\n==> %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev.sh: run as root (the lab creates network namespaces and starts FRR)" >&2
    exit 1
  fi
}

deps() {
  need_root
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "dependencies: all ${#PACKAGES[@]} packages present"
    return
  fi
  log "dependencies: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # FRR's postinst tries to start the system service; in containers that is refused, which is
  # harmless: the lab starts its own daemons per namespace.
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  log "build: $BUILD (g++, -Werror)"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHR_WERROR=ON >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
}

unit() {
  log "unit tests"
  ctest --test-dir "$BUILD" -L unit --no-tests=error --output-on-failure -j "$JOBS"
}

# Our C++ sources (not the generated protobuf code in the build tree).
sources() {
  find "$ROOT/core" "$ROOT/fpm_client" "$ROOT/hostroute_learner" "$ROOT/vrrp_anycast" \
    "$ROOT/tools" "$ROOT/tests" "$ROOT/bench" -type f \( -name '*.cpp' -o -name '*.h' \) | sort
}

format_check() {
  log "format: clang-format-14 --dry-run on every C++ source (.clang-format)"
  local bad=() f
  while read -r f; do
    clang-format-14 --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("${f#"$ROOT"/}")
  done < <(sources)
  if [ ${#bad[@]} -ne 0 ]; then
    echo "dev.sh: not formatted (fix: clang-format-14 -i FILE): ${bad[*]}" >&2
    return 1
  fi
  echo "$(sources | wc -l) files formatted"
}

tidy() {
  log "tidy: clang-tidy (.clang-tidy) over $BUILD/compile_commands.json"
  # Only the findings: not the command lines and warning tallies of every file.
  local noise='^(clang-tidy-14 |[0-9]+ warnings? generated|Suppressed [0-9]+ warnings|Use -header-filter)'
  local rc=0
  run-clang-tidy-14 -p "$BUILD" -quiet -j "$JOBS" \
    "^$ROOT/(core|fpm_client|hostroute_learner|vrrp_anycast|tools|tests|bench)/" 2>&1 |
    { grep -vE "$noise" || true; } || rc=1
  # The libFuzzer targets exist only in the sanitizer build.
  if [ -f "$SAN_BUILD/compile_commands.json" ]; then
    run-clang-tidy-14 -p "$SAN_BUILD" -quiet -j "$JOBS" "^$ROOT/tests/fuzz/" 2>&1 |
      { grep -vE "$noise" || true; } || rc=1
  else
    echo "dev.sh: no $SAN_BUILD yet (./dev.sh sanitize): tests/fuzz not checked" >&2
  fi
  [ "$rc" -eq 0 ] && echo "no findings"
  return "$rc"
}

sanitize() {
  log "sanitize: clang build with ASan + UBSan and the libFuzzer targets: $SAN_BUILD"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$SAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHR_SANITIZE=ON -DHR_FUZZ=ON -DHR_BENCH=OFF -DHR_WERROR=ON >/dev/null
  cmake --build "$SAN_BUILD" -j "$JOBS"
  local rc=0
  log "unit tests under ASan + UBSan"
  ctest --test-dir "$SAN_BUILD" -L unit --no-tests=error --output-on-failure -j "$JOBS" || rc=1
  for t in "$SAN_BUILD"/bin/*_fuzz; do
    [ -x "$t" ] || continue
    local name corpus work
    name=$(basename "$t")
    corpus="$ROOT/tests/fuzz/corpus/${name%_fuzz}"
    log "fuzz: $name (seed corpus + ${HR_FUZZ_SECONDS:-20} s)"
    work=$(mktemp -d)
    if ! "$t" -max_total_time="${HR_FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         "$work" "$corpus" 2>"$work.log"; then
      tail -n 40 "$work.log"
      rc=1
    else
      grep -E "stat::number_of_executed_units|stat::new_units_added" "$work.log" || true
    fi
    rm -rf "$work" "$work.log"
  done
  return $rc
}

integration() {
  need_root
  log "integration tests (real FRR in network namespaces, prefix ${HRLAB_PREFIX:-hr})"
  HR_BUILD_DIR="$BUILD" "$PY" -m pytest -v -p no:cacheprovider --durations=15 "$ROOT/tests/integration" "$@"
}

demo() {
  need_root
  log "demo"
  HR_BUILD_DIR="$BUILD" exec "$PY" "$ROOT/lab/demo.py" "$@"
}

bench() {
  need_root
  cmake --build "$BUILD" -j "$JOBS"
  HR_BUILD_DIR="$BUILD" "$PY" "$ROOT/bench/run.py" "$@"
}

# The `test` verb's time budget: the README promises the whole command (install, build, every
# test) stays under 45 minutes on 2 cores. Each phase runs under `timeout` with what is left of
# the budget (SIGINT first, so pytest still tears its labs down), and its duration is printed.
# Ctrl-C (or SIGTERM) is passed on to the running phase the same way, and stops the run.
BUDGET=${HR_TEST_BUDGET:-2700}
PHASES=()
INTERRUPTED=0

# phase NAME VERB: runs `dev.sh _VERB` within the rest of the budget; records its duration.
phase() {
  local name=$1 verb=$2 start=$SECONDS rc=0 pid
  local left=$((BUDGET - SECONDS))
  if [ "$INTERRUPTED" -ne 0 ]; then
    PHASES+=("$name: not run (interrupted)")
    return 1
  fi
  if [ "$left" -le 0 ]; then
    echo "dev.sh: no time left of the ${BUDGET} s budget for $name" >&2
    PHASES+=("$name: not run (budget spent)")
    return 1
  fi
  # timeout runs the phase in a process group of its own, which a terminal's Ctrl-C does
  # not reach: forward it.
  timeout -s INT --kill-after=120 "$left" "$ROOT/dev.sh" "_$verb" &
  pid=$!
  trap 'INTERRUPTED=1; kill -INT "$pid" 2>/dev/null || true' INT TERM
  while :; do
    rc=0
    wait "$pid" || rc=$?
    kill -0 "$pid" 2>/dev/null || break   # a trapped signal ended the wait, not the phase
  done
  trap - INT TERM
  local took=$((SECONDS - start))
  if [ "$rc" -eq 124 ]; then
    echo "dev.sh: $name ran out of the ${BUDGET} s budget (stopped after ${took} s)" >&2
    PHASES+=("$name: ${took} s, STOPPED at the budget")
  elif [ "$INTERRUPTED" -ne 0 ]; then
    PHASES+=("$name: ${took} s, interrupted")
    rc=130
  else
    PHASES+=("$name: ${took} s$([ "$rc" -eq 0 ] || echo ", FAILED (exit $rc)")")
  fi
  return "$rc"
}

print_phases() {
  log "durations (budget ${BUDGET} s, used ${SECONDS} s)"
  local p
  for p in "${PHASES[@]}"; do
    echo "  $p"
  done
}

all_tests() {
  local failed=()
  phase format format || failed+=(format)
  phase unit unit || failed+=(unit)
  phase sanitize sanitize || failed+=(sanitize)
  phase tidy tidy || failed+=(tidy)   # after sanitize: the fuzz targets are in its build
  phase integration integration || failed+=(integration)
  print_phases
  if [ "$INTERRUPTED" -ne 0 ]; then
    echo "INTERRUPTED" >&2
    return 130
  fi
  if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    return 1
  fi
  echo "all tests passed"
}

verb=${1:-}
shift || true
case "$verb" in
  deps) deps ;;
  build) build ;;
  unit) build; unit ;;
  sanitize|fuzz) sanitize ;;
  integration) build; integration "$@" ;;
  test)
    t=$SECONDS; deps; PHASES+=("deps: $((SECONDS - t)) s")
    t=$SECONDS; build; PHASES+=("build: $((SECONDS - t)) s")
    all_tests
    ;;
  format) format_check ;;
  tidy) deps; build; tidy ;;
  _format) format_check ;;  # the phases of `test`, run under its budget (see phase)
  _tidy) tidy ;;
  _unit) unit ;;
  _sanitize) sanitize ;;
  _integration) integration "$@" ;;
  demo) deps; build; demo "$@" ;;
  bench) deps; build; bench "$@" ;;
  *)
    echo "usage: $0 demo|test|deps|build|unit|sanitize|integration|bench|format|tidy" >&2
    exit 2
    ;;
esac
