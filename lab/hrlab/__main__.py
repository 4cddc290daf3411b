"""CLI: python3 -m hrlab {up,down,status,cleanup} [--topology FILE] [--prefix P].

`up` leaves the lab running (state in /tmp/<prefix>-lab/state.json) so that a
later `down` or `status` finds it; `cleanup` removes every trace of a prefix
(e.g. after a crash) without needing any state.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import proc
from .lab import Lab
from .proc import LabError, cleanup_leftovers, resources, workdir_for
from .topology import DEFAULT_TOPOLOGY, TopologyError


def _say(msg: str) -> None:
    print(f"[hrlab] {msg}", flush=True)


def _load_state(prefix: str) -> dict | None:
    try:
        return json.loads((workdir_for(prefix) / "state.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _lab_from_state(prefix: str) -> Lab | None:
    st = _load_state(prefix)
    if not st:
        return None
    return Lab(st["topology"], prefix=prefix, log=_say)


def cmd_up(a) -> int:
    lab = Lab.from_file(a.topology, prefix=a.prefix, log=_say)
    try:
        lab.up(wait=not a.no_wait, timeout=a.timeout)
    except BaseException:
        _say("bring-up failed, tearing down")
        lab.down(keep_logs=True)
        raise
    _say(f"lab '{lab.topo.name}' up with prefix '{lab.prefix}' in {lab.timings['total']:.2f}s "
         f"({', '.join(f'{k} {v:.2f}s' for k, v in lab.timings.items() if k != 'total')})")
    _say(f"namespaces: {' '.join(lab.ns(n) for n in lab.nodes())}")
    _say(f"vtysh: vtysh -N {lab.ns(lab.routers[0])}   shell: ip netns exec "
         f"{lab.ns(lab.routers[0])} bash   logs: {lab.workdir}")
    _say(f"stop with: python3 -m hrlab down --prefix {lab.prefix}")
    return 0


def cmd_down(a) -> int:
    lab = _lab_from_state(a.prefix)
    if lab is None:
        _say(f"no state for prefix '{a.prefix}'; removing whatever carries it")
        cleanup_leftovers(a.prefix, log=_say)
    else:
        lab.down(keep_logs=a.keep_logs)
    left = resources(a.prefix)
    if proc.is_empty(left):
        _say(f"nothing left of prefix '{a.prefix}'")
        return 0
    _say(f"left behind: {left}")
    return 1


def cmd_status(a) -> int:
    res = resources(a.prefix)
    if proc.is_empty(res):
        _say(f"no lab with prefix '{a.prefix}'")
        return 1
    print(json.dumps(res, indent=1, default=str))
    lab = _lab_from_state(a.prefix)
    if lab is not None:
        for r in lab.routers:
            if not lab.frr_pids(r):
                print(f"{r}: FRR not running")
                continue
            try:
                bgp = lab.bgp_sessions(r) if "bgp" in lab.topo.routers[r].protocols else {}
                o2 = lab.ospf_neighbors(r, 2) if "ospf" in lab.topo.routers[r].protocols else {}
                o3 = lab.ospf_neighbors(r, 3) if "ospf" in lab.topo.routers[r].protocols else {}
            except LabError as e:
                print(f"{r}: {e}")
                continue
            print(f"{r}: bgp {bgp} ospfv2 {o2} ospfv3 {o3}")
    return 0


def cmd_cleanup(a) -> int:
    removed = cleanup_leftovers(a.prefix, log=_say)
    left = resources(a.prefix)
    _say(f"removed: {removed}")
    if not proc.is_empty(left):
        _say(f"still there: {left}")
        return 1
    _say(f"nothing left of prefix '{a.prefix}'")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m hrlab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["up", "down", "status", "cleanup"])
    ap.add_argument("--topology", default=str(DEFAULT_TOPOLOGY),
                    help="topology TOML file (default: %(default)s)")
    ap.add_argument("--prefix", default=None,
                    help="name prefix of everything created (default: env HRLAB_PREFIX or 'hr')")
    ap.add_argument("--no-wait", action="store_true", help="up: do not wait for convergence")
    ap.add_argument("--timeout", type=float, default=60.0, help="up: convergence deadline (s)")
    ap.add_argument("--keep-logs", action="store_true",
                    help="down: copy logs to /tmp/<prefix>-lab-logs first")
    a = ap.parse_args(argv)
    try:
        a.prefix = proc.check_prefix(a.prefix) if a.prefix else proc.default_prefix()
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status,
                "cleanup": cmd_cleanup}[a.command](a)
    except (LabError, TopologyError, AssertionError) as e:
        print(f"hrlab {a.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
