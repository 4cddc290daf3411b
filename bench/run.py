#!/usr/bin/env python3
"""Runs every benchmark: the Google Benchmark binaries (build/bin/bench_*) and the lab
benchmarks (bench/lab_*.py, each printing its figures beside a baseline measured in the
same run). `./dev.sh bench [NAME...]` runs the ones whose name contains NAME."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("HR_BUILD_DIR", ROOT / "build"))


def main(filters):
    runs = sorted((BUILD / "bin").glob("bench_*")) + sorted((ROOT / "bench").glob("lab_*.py"))
    failed = []
    for r in runs:
        if filters and not any(f in r.name for f in filters):
            continue
        print(f"\n==> {r.name}", flush=True)
        cmd = [sys.executable, str(r)] if r.suffix == ".py" else [str(r)]
        if subprocess.run(cmd).returncode != 0:
            failed.append(r.name)
    if failed:
        print("FAILED:", " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
