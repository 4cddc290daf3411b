"""Shared helpers of the host-route injection tests (test_injection_*.py) and
bench/lab_injection.py: starting fpm_client on a lab router with an injection config,
waiting for its ZAPI session, reading `show zebra` / `show routes`, and watching a prefix on
another router continuously (to prove it never disappeared)."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import hrlab  # noqa: E402
from injection_ipc import LearnerClient  # noqa: E402,F401

TOPOLOGIES = REPO / "lab" / "topologies"


def injection_config(**injection) -> dict:
    """A hostroute.json document with learning/injection set from keyword arguments
    (underscores become dashes; nested dicts are containers)."""
    def fix(d):
        return {k.replace("_", "-"): fix(v) if isinstance(v, dict) else v for k, v in d.items()}
    return {"frr-hostroute:hostroute": {"learning": {"injection": fix(injection)}}}


def start_fpm(lab, router: str, config: dict | None = None, args=()):
    """Start fpm_client on `router` and wait until its ZAPI session is ready."""
    lab.start_daemon(router, "fpm_client", args=["--log-target", "stderr", *args],
                     config=config if config is not None else injection_config())
    wait_ready(lab, router)


def show(lab, router: str, *words):
    return lab.hostroutectl(router, "show", *words, "--json", json=True)


def wait_ready(lab, router: str, timeout: float = 15.0):
    def ready():
        z = show(lab, router, "zebra")
        return hrlab.Observation(z["session"]["state"] == "ready", observed=z["session"])
    return hrlab.wait_until(ready, timeout=timeout, desc=f"fpm_client ZAPI session ready on {router}")


def route_entry(lab, router: str, prefix: str, protocol: str | None = None):
    for e in lab.route(router, prefix):
        if protocol is None or e.get("protocol") == protocol:
            return e
    return None


def wait_client_state(client, addrs, state="ROUTE_INSTALLED", timeout=15.0, vrf=""):
    addrs = list(addrs)

    def check():
        bad = {a: client.state(a, vrf) for a in addrs if client.state(a, vrf) != state}
        return hrlab.Observation(not bad, observed=dict(list(bad.items())[:5]), expected=state)
    hrlab.wait_until(check, timeout=timeout, desc=f"{len(addrs)} route states {state}")


class RouteWatcher:
    """Watches prefixes on a router continuously while a `with` block runs, two ways:
    `ip monitor route` in the router's namespace (every kernel FIB change, no gaps: a
    withdrawal of one of the prefixes shows up as a `Deleted` line) and polling of
    `show ip[v6] route PREFIX json` (zebra's RIB: selected via `protocol`). `missing` lists
    what either saw."""

    def __init__(self, lab, router: str, prefixes, protocol: str = "bgp", interval: float = 0.05):
        self.lab, self.router, self.protocol, self.interval = lab, router, protocol, interval
        self.prefixes = [str(ipaddress.ip_network(p)) for p in prefixes]
        self.missing: list[tuple[float, str]] = []
        self.fib_events: list[str] = []
        self.samples = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._mon = None

    def __enter__(self):
        self._mon = subprocess.Popen(["ip", "-n", self.lab.ns(self.router), "-o", "monitor", "route"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._mt = threading.Thread(target=self._monitor, daemon=True)
        self._mt.start()
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(timeout=10)
        self._mon.terminate()
        self._mon.wait(timeout=5)
        self._mt.join(timeout=5)

    def _monitor(self):
        hosts = {p.split("/")[0] for p in self.prefixes}
        for line in self._mon.stdout:
            words = line.split()
            if len(words) >= 2 and words[0] == "Deleted" and words[1].split("/")[0] in hosts:
                self.fib_events.append(line.strip())
                self.missing.append((time.monotonic(), f"FIB: {line.strip()}"))

    def _present(self, prefix):
        afi = "ipv6" if ":" in prefix else "ip"
        out = subprocess.run(["vtysh", "-N", self.lab.ns(self.router), "-c", f"show {afi} route {prefix} json"],
                             capture_output=True, text=True, timeout=10).stdout
        try:
            entries = json.loads(out).get(prefix, []) if out.strip() else []
        except json.JSONDecodeError:
            return True  # vtysh hiccup: not evidence of absence
        return any(e.get("protocol") == self.protocol and e.get("selected") for e in entries)

    def _run(self):
        while not self._stop.is_set():
            for p in self.prefixes:
                if not self._present(p):
                    self.missing.append((time.monotonic(), p))
            self.samples += 1
            self._stop.wait(self.interval)
