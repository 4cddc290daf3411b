#!/usr/bin/env bash
# frr-hostroute developer entry point: the README's two commands.
#
#   ./dev.sh demo   install what is missing, build, run the lab demo (real FRR in namespaces)
#   ./dev.sh test   install what is missing, build, run every test; non-zero on any failure
#
# Other verbs: deps (install only), build, unit, sanitize (clang ASan+UBSan build: unit tests
# and libFuzzer targets), integration, bench.
# Environment: HR_BUILD_DIR (default ./build), HR_JOBS (default: nproc),
#              HRLAB_PREFIX (namespace prefix of the lab, default "hr").
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
  clang libclang-rt-14-dev
  libyang2-dev libyang2-tools
  protobuf-compiler libprotobuf-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libsystemd-dev libnl-3-dev libnl-route-3-dev libmnl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  frr
  iproute2 iputils-ping procps psmisc bridge-utils nftables tcpdump arping ndisc6 keepalived
  python3 python3-pytest python3-scapy
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
  ctest --test-dir "$BUILD" -L unit --output-on-failure -j "$JOBS"
}

sanitize() {
  log "sanitize: clang build with ASan + UBSan and the libFuzzer targets: $SAN_BUILD"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$SAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHR_SANITIZE=ON -DHR_FUZZ=ON -DHR_BENCH=OFF -DHR_WERROR=ON >/dev/null
  cmake --build "$SAN_BUILD" -j "$JOBS"
  local rc=0
  log "unit tests under ASan + UBSan"
  ctest --test-dir "$SAN_BUILD" -L unit --output-on-failure -j "$JOBS" || rc=1
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
  HR_BUILD_DIR="$BUILD" "$PY" -m pytest -v -p no:cacheprovider "$ROOT/tests/integration" "$@"
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

all_tests() {
  local failed=()
  local start=$SECONDS
  unit || failed+=(unit)
  sanitize || failed+=(sanitize)
  integration || failed+=(integration)
  log "tests finished in $((SECONDS - start)) s"
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
  test) deps; build; all_tests ;;
  demo) deps; build; demo "$@" ;;
  bench) deps; build; bench "$@" ;;
  *)
    echo "usage: $0 demo|test|deps|build|unit|sanitize|integration|bench" >&2
    exit 2
    ;;
esac
