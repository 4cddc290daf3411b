"""The README's main command, `./dev.sh demo`, runs start to finish and leaves nothing behind.

The demo (lab/demo.py) checks every state it reports (it polls with deadlines and fails on a
timeout or on a daemon it started that died), so its exit status is the verdict; this test
runs it exactly as the README says, with a lab prefix of its own (<lab prefix>demo, so it
never meets the other tests' labs), and then looks for anything left with that prefix.
"""

import os
import re
import signal
import subprocess

import hrlab
import pytest

from conftest import REPO, lab_prefix, require_lab_environment

DEADLINE = 600  # seconds for the whole demo; it normally needs well under a minute


def demo_prefix() -> str:
    """<lab prefix>demo, within the 16 characters a prefix may have."""
    return lab_prefix()[:12] + "demo"


def test_demo_runs_and_leaves_nothing_behind():
    require_lab_environment()
    prefix = demo_prefix()
    before = hrlab.resources(prefix)
    if not hrlab.is_empty(before):
        pytest.fail(f"a lab with prefix {prefix!r} exists already; `python3 -m hrlab cleanup "
                    f"--prefix {prefix}` first: {before}", pytrace=False)
    env = {**os.environ, "HRLAB_PREFIX": prefix}
    p = subprocess.Popen([str(REPO / "dev.sh"), "demo"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)  # the demo tears down on SIGINT
        out, _ = p.communicate(timeout=120)
        pytest.fail(f"the demo did not finish within {DEADLINE}s; output:\n{out}")
    print(out)
    assert p.returncode == 0, f"./dev.sh demo exited {p.returncode}; output:\n{out}"
    assert re.search(r"all \d+ steps passed", out), out
    assert f"nothing left: no namespace, process, pid file, directory or link with prefix " \
           f"'{prefix}'" in out, out
    left = hrlab.resources(prefix)
    assert hrlab.is_empty(left), f"left behind by the demo: {left}"
