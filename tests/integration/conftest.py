"""pytest fixtures for the lab integration tests (tests/integration/).

Makes `hrlab` (lab/hrlab) importable and provides `lab`, a module-scoped Lab of
the default topology (prefix from env HRLAB_PREFIX, default 'hr'), always torn
down. Nothing is skipped silently: without root or FRR the fixture fails with
a message saying what is missing. Logs of a module with a failed test are kept
in /tmp/<prefix>-lab-logs/.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))

import hrlab  # noqa: E402


def lab_prefix() -> str:
    """The lab prefix for this test run (env HRLAB_PREFIX, default 'hr')."""
    return hrlab.default_prefix()


def require_lab_environment() -> None:
    """Fail (not skip) with a clear message if the lab cannot run here."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root: the lab needs root for network namespaces and FRR")
    for exe in ("/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/lib/frr/ospfd",
                "/usr/lib/frr/ospf6d", "/usr/lib/frr/staticd"):
        if not os.access(exe, os.X_OK):
            problems.append(f"{exe} missing: install the Debian package 'frr'")
    for tool in ("ip", "vtysh", "ping"):
        if shutil.which(tool) is None:
            problems.append(f"'{tool}' not in PATH")
    if problems:
        pytest.fail("lab environment unusable:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember failures per module, so the lab fixture can keep the logs."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        item.module.__dict__["_hrlab_failed"] = True


@pytest.fixture(scope="module")
def lab(request):
    """The default topology, up and converged; torn down after the module."""
    require_lab_environment()
    lab = hrlab.Lab.from_file(hrlab.DEFAULT_TOPOLOGY, prefix=lab_prefix(),
                              log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        print("[hrlab] bring-up timings: "
              + ", ".join(f"{k} {v:.2f}s" for k, v in lab.timings.items()))
        yield lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)
