"""cleanup_leftovers removes a crashed lab of its prefix and nothing else."""

import os
import signal
import subprocess

import hrlab
import pytest
from hrlab import proc

from conftest import lab_prefix, require_lab_environment


def _spawn_in(ns: str, script: str) -> subprocess.Popen:
    """A shell started inside namespace `ns` (our own child)."""
    return subprocess.Popen(["ip", "netns", "exec", ns, "/bin/sh", "-c", script],
                            start_new_session=True)


@pytest.fixture
def prefixes():
    """(our prefix, another prefix that shares its first letters)."""
    require_lab_environment()
    prefix = lab_prefix()
    res = hrlab.resources(prefix)
    if not hrlab.is_empty(res):
        pytest.fail(f"a lab with prefix {prefix!r} exists already; "
                    f"`python3 -m hrlab cleanup --prefix {prefix}` first: {res}", pytrace=False)
    return prefix, prefix + "other"


def test_cleanup_removes_crashed_lab_only(prefixes):
    prefix, other = prefixes
    mine, theirs = f"{prefix}-crash", f"{other}-x"
    procs = []
    try:
        subprocess.run(["ip", "netns", "add", mine], check=True)
        subprocess.run(["ip", "netns", "add", theirs], check=True)
        # a process that ignores SIGTERM (cleanup must escalate to SIGKILL)...
        stubborn = _spawn_in(mine, "trap '' TERM; exec sleep 1000")
        # ...a plain one...
        plain = _spawn_in(mine, "exec sleep 1000")
        # ...and one in the other prefix's namespace, which must survive.
        foreign = _spawn_in(theirs, "exec sleep 1000")
        procs = [stubborn, plain, foreign]
        # FRR-style leftovers: dirs and a stale pid file naming our process.
        for d in (proc.FRR_ETC / mine, proc.FRR_RUN / mine, proc.HR_RUN / mine,
                  proc.FRR_ETC / theirs):
            d.mkdir(parents=True, exist_ok=True)
        (proc.FRR_RUN / mine / "zebra.pid").write_text(f"{plain.pid}\n")
        proc.workdir_for(prefix).mkdir(parents=True, exist_ok=True)

        def all_in_ns():
            got = {mine: sorted(proc.netns_pids(mine)), theirs: sorted(proc.netns_pids(theirs))}
            want = {mine: sorted([stubborn.pid, plain.pid]), theirs: [foreign.pid]}
            return hrlab.Observation(got == want, observed=got, expected=want)
        hrlab.wait_until(all_in_ns, timeout=10, desc="sleepers inside their namespaces")

        removed = hrlab.cleanup_leftovers(prefix, term_timeout=1.0)

        assert removed["namespaces"] == [mine], removed
        assert sorted(removed["pids"]) == sorted([stubborn.pid, plain.pid]), removed
        for p in (stubborn, plain):
            p.wait(timeout=5)  # reap our children: they must be dead already
        assert stubborn.returncode == -signal.SIGKILL, stubborn.returncode
        assert plain.returncode == -signal.SIGTERM, plain.returncode
        left = hrlab.resources(prefix)
        assert hrlab.is_empty(left), f"left behind: {left}"
        # the other prefix is untouched
        assert theirs in proc.netns_list()
        assert foreign.poll() is None, "cleanup killed a process of another prefix"
        assert proc.netns_pids(theirs) == [foreign.pid]
        assert (proc.FRR_ETC / theirs).is_dir()
    finally:
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        for ns in (mine, theirs):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
        for d in (proc.FRR_ETC / theirs,):
            if d.is_dir():
                d.rmdir()
        hrlab.cleanup_leftovers(prefix, term_timeout=1.0)


def test_prefix_matching_is_exact(prefixes):
    """`<prefix>-<node>` only: not `<prefix>x-y`, not `<prefix>-a-b`."""
    prefix, other = prefixes
    rx = proc.ns_regex(prefix)
    assert rx.match(f"{prefix}-tor1")
    assert not rx.match(f"{other}-tor1")
    assert not rx.match(f"{prefix}-a-b")
    assert not rx.match(f"x{prefix}-tor1")
    with pytest.raises(hrlab.LabError):
        proc.check_prefix("hr-x")
