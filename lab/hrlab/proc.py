"""Process, namespace and filesystem helpers, and prefix-scoped cleanup.

Hygiene rules (lab/README.md): everything the lab creates carries the prefix;
namespaces are `<prefix>-<node>`; a process is only ever signalled by PID, and
only if it lives in one of our namespaces or a pid file under one of our
prefixed directories names it (and its command line confirms it).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Iterable, Sequence

from .topology import PREFIX_RE
from .waiting import wait_until

NETNS_DIR = Path("/run/netns")
FRR_ETC = Path("/etc/frr")
FRR_RUN = Path("/var/run/frr")
HR_ETC = Path("/etc/frr-hostroute")
HR_RUN = Path("/run/frr-hostroute")
WORK_BASE = Path(os.environ.get("HRLAB_WORK_BASE", "/tmp"))


class LabError(RuntimeError):
    """A lab operation failed (the message says what and shows the output)."""


def check_prefix(prefix: str) -> str:
    """Validate a lab prefix (lower-case letters/digits, no '-'), return it."""
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        raise LabError(f"bad lab prefix {prefix!r}: lower-case letters and digits, "
                       "starting with a letter, at most 16, no '-'")
    return prefix


def default_prefix() -> str:
    """The prefix from env HRLAB_PREFIX, default 'hr'."""
    return check_prefix(os.environ.get("HRLAB_PREFIX", "hr"))


def workdir_for(prefix: str) -> Path:
    """The lab's work dir (logs, state, pid files): /tmp/<prefix>-lab."""
    return WORK_BASE / f"{check_prefix(prefix)}-lab"


def ns_regex(prefix: str) -> re.Pattern:
    """Matches exactly the names `<prefix>-<node>` (node: letters, digits, '_')."""
    return re.compile(rf"^{re.escape(check_prefix(prefix))}-[A-Za-z0-9_]+$")


# ----- running commands ---------------------------------------------------

def sh(cmd: Sequence[str] | str, check: bool = True, timeout: float = 30.0,
       input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command (list, or string for /bin/sh -c), capture text output.

    With check=True a non-zero exit raises LabError showing the command, the
    exit status, stdout and stderr.
    """
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else [str(c) for c in cmd]
    try:
        cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                            input=input, env=env)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout}s: {shlex.join(argv)}\n"
                       f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}") from None
    if check and cp.returncode != 0:
        raise LabError(f"command failed (exit {cp.returncode}): {shlex.join(argv)}\n"
                       f"stdout: {cp.stdout.strip()}\nstderr: {cp.stderr.strip()}"
                       + (f"\ninput:\n{input}" if input else ""))
    return cp


def ip_batch(ns: str | None, commands: Iterable[str], force: bool = False) -> None:
    """Run `ip -batch -` (in namespace `ns` if given) with `commands`, one per line."""
    lines = [c for c in commands if c]
    if not lines:
        return
    argv = ["ip"] + (["-n", ns] if ns else []) + (["-force"] if force else []) + ["-batch", "-"]
    sh(argv, input="\n".join(lines) + "\n", check=not force)


# ----- namespaces and processes -------------------------------------------

def netns_list() -> list[str]:
    """Names of all named network namespaces (/run/netns)."""
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def prefixed_namespaces(prefix: str) -> list[str]:
    """Our namespaces: exactly `<prefix>-<node>`."""
    rx = ns_regex(prefix)
    return [n for n in netns_list() if rx.match(n)]


def netns_pids(ns: str) -> list[int]:
    """PIDs of processes in namespace `ns` (`ip netns pids`); [] if it is gone."""
    cp = sh(["ip", "netns", "pids", ns], check=False)
    if cp.returncode != 0:
        return []
    return [int(x) for x in cp.stdout.split() if x.isdigit()]


def pid_alive(pid: int) -> bool:
    """Is `pid` a live process (not a zombie)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # state is the field after the ')' that closes the command name
    state = stat[stat.rfind(")") + 2:].split(" ", 1)[0]
    return state not in ("Z", "X")


def pid_cmdline(pid: int) -> list[str]:
    """argv of `pid`, [] if unknown."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def pid_in_netns(pid: int, ns: str) -> bool:
    """Does `pid` live in the named network namespace `ns`?"""
    try:
        a = os.stat(f"/proc/{pid}/ns/net")
        b = os.stat(NETNS_DIR / ns)
    except OSError:
        return False
    return (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev)


def read_pidfile(path: str | Path) -> int | None:
    """The PID in a pid file, or None."""
    try:
        txt = Path(path).read_text().strip()
    except OSError:
        return None
    return int(txt) if txt.isdigit() else None


def signal_pids(pids: Iterable[int], sig: int = signal.SIGTERM,
                timeout: float = 5.0, kill_after: bool = True) -> list[int]:
    """Send `sig` to each PID, wait (deadline `timeout`) until all exit.

    Processes still alive at the deadline get SIGKILL (if kill_after) and are
    waited for again. Returns the PIDs that were signalled. Callers pass only
    PIDs they own (see module docstring).
    """
    pids = [p for p in dict.fromkeys(pids) if p > 1 and pid_alive(p)]
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass
    if not pids:
        return []

    def all_gone():
        alive = [p for p in pids if pid_alive(p)]
        return True if not alive else None

    try:
        wait_until(all_gone, timeout=timeout, interval=0.02, max_interval=0.2,
                   desc=f"PIDs {pids} to exit after signal {sig}")
    except AssertionError:
        if not kill_after:
            raise
        alive = [p for p in pids if pid_alive(p)]
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(all_gone, timeout=5.0, interval=0.02, max_interval=0.2,
                   desc=f"PIDs {alive} to exit after SIGKILL")
    return pids


def owned_pidfile_pids(prefix: str) -> dict[str, int]:
    """Live PIDs named by pid files under our prefixed dirs, {pidfile: pid}.

    A PID counts only if the process's command line mentions the namespace
    the pid file belongs to (guards against PID reuse).
    """
    rx = ns_regex(prefix)
    out = {}
    pattern_dirs = [FRR_RUN, HR_RUN]
    files: list[tuple[str, str]] = []
    for base in pattern_dirs:
        for d in glob.glob(str(base / f"{prefix}-*")):
            ns = os.path.basename(d)
            if rx.match(ns):
                files += [(f, ns) for f in glob.glob(os.path.join(d, "*.pid"))]
    wd = workdir_for(prefix) / "pids"
    for f in glob.glob(str(wd / "*.pid")):
        ns = os.path.basename(f).split(".", 1)[0]
        if rx.match(ns):
            files.append((f, ns))
    for f, ns in files:
        pid = read_pidfile(f)
        if pid and pid_alive(pid) and (pid_in_netns(pid, ns) or ns in pid_cmdline(pid)):
            out[f] = pid
    return out


def orphan_processes(prefix: str) -> dict[int, list[str]]:
    """Processes whose command line names one of our namespaces (`-N <prefix>-x`
    or `ip netns exec <prefix>-x`) but which no longer live in such a namespace.
    Reported by resources(); never killed on this evidence alone."""
    rx = ns_regex(prefix)
    ours = set(prefixed_namespaces(prefix))
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        argv = pid_cmdline(pid)
        hit = None
        for i, a in enumerate(argv[:-1]):
            if a in ("-N", "exec") and rx.match(argv[i + 1]):
                hit = argv[i + 1]
                break
        if hit and pid_alive(pid) and not any(pid_in_netns(pid, n) for n in ours):
            out[pid] = argv
    return out


# ----- cleanup and inventory ----------------------------------------------

def prefixed_dirs(prefix: str) -> list[str]:
    """Existing directories that belong to the prefix (FRR, suite, work dir)."""
    rx = ns_regex(prefix)
    out = []
    for base in (FRR_ETC, FRR_RUN, HR_ETC, HR_RUN):
        for d in sorted(glob.glob(str(base / f"{prefix}-*"))):
            if rx.match(os.path.basename(d)):
                out.append(d)
    wd = workdir_for(prefix)
    if wd.exists():
        out.append(str(wd))
    return out


def root_links(prefix: str) -> list[str]:
    """Links in the root namespace whose name starts with `<prefix>-` (the lab
    creates none there; this is a leak check)."""
    cp = sh(["ip", "-j", "link", "show"], check=False)
    try:
        links = json.loads(cp.stdout or "[]")
    except json.JSONDecodeError:
        return []
    return sorted(l["ifname"] for l in links if l.get("ifname", "").startswith(f"{prefix}-"))


def resources(prefix: str) -> dict:
    """What exists with this prefix: namespaces, their PIDs, PIDs named by our
    pid files, orphan processes, directories, pid files, root-namespace links.
    An empty lab gives every list/dict empty (see `is_empty`)."""
    check_prefix(prefix)
    nss = prefixed_namespaces(prefix)
    pidfiles = []
    for d in prefixed_dirs(prefix):
        pidfiles += sorted(glob.glob(os.path.join(d, "**", "*.pid"), recursive=True))
    return {
        "namespaces": nss,
        "pids": {ns: p for ns in nss if (p := netns_pids(ns))},
        "pidfile_pids": owned_pidfile_pids(prefix),
        "orphans": {pid: " ".join(a) for pid, a in orphan_processes(prefix).items()},
        "dirs": prefixed_dirs(prefix),
        "pidfiles": pidfiles,
        "links": root_links(prefix),
    }


def is_empty(res: dict) -> bool:
    """True if a resources() result shows nothing left."""
    return not any(res.values())


def cleanup_leftovers(prefix: str, term_timeout: float = 5.0, log=None) -> dict:
    """Remove everything of lab prefix `prefix` (a crashed or running lab).

    In order: SIGTERM (then SIGKILL after `term_timeout`) every process inside
    the namespaces `<prefix>-*` (`ip netns pids`) and every live process named
    by a pid file under our prefixed dirs; delete those namespaces; remove
    /etc/frr/<prefix>-*, /var/run/frr/<prefix>-*, /etc/frr-hostroute/<prefix>-*,
    /run/frr-hostroute/<prefix>-* and the work dir /tmp/<prefix>-lab. Touches
    nothing else. Returns what was removed.
    """
    check_prefix(prefix)
    say = log or (lambda msg: None)
    nss = prefixed_namespaces(prefix)
    pids: list[int] = []
    for ns in nss:
        pids += [p for p in netns_pids(ns) if pid_in_netns(p, ns)]
    pids += list(owned_pidfile_pids(prefix).values())
    pids = [p for p in dict.fromkeys(pids) if p != os.getpid()]
    if pids:
        say(f"stopping {len(pids)} process(es): {pids}")
        signal_pids(pids, signal.SIGTERM, timeout=term_timeout)
    for ns in nss:
        cp = sh(["ip", "netns", "delete", ns], check=False)
        if cp.returncode != 0 and (NETNS_DIR / ns).exists():
            raise LabError(f"could not delete namespace {ns}: {cp.stderr.strip()}")
    dirs = prefixed_dirs(prefix)
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    if nss or dirs:
        say(f"removed namespaces {nss} and dirs {dirs}")
    return {"namespaces": nss, "pids": pids, "dirs": dirs}
