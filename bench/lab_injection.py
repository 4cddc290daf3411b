#!/usr/bin/env python3
"""Host-route injection benchmark on real FRR 8.4 (lab topology
lab/topologies/injection-ebgp.toml, plus `ip import-table 10` / `redistribute table 10` on
tor1 for the kernel-table paths): N host /32s via tor1's br10, then withdrawn, through four
paths measured in the same run:

  zapi-floor    a bare ZAPI client (this script, FRR's own floor): one write of N prebuilt
                ROUTE_ADDs as table/0, as in ZAPI.md §6
  fpm-zapi      fpm_client, method zapi: the learner's IPC (RouteIntents) -> one ZAPI batch
  fpm-kernel    fpm_client, method kernel-table: the learner's IPC -> windowed netlink into
                kernel table 10 -> zebra's `ip import-table 10`
  ip-batch      `ip -batch` of N `route add ... table 10` (Cumulus' redistribute-neighbour way)

Times are from t0 (the first byte sent / `ip` started) until the Nth event, seen by ZAPI
probes (ZAPI.md §6.1): a probe on tor1 subscribed to table/0 and table/10 ("selected in
tor1's RIB, bgpd told") and a probe on the spine subscribed to bgp ("in the spine's RIB").
For the fpm-zapi path also the Nth INSTALLED status the learner receives. Withdrawal: all N
deleted, then the stale routes left in tor1's zebra and on the spine are counted (the
kernel-table paths lost deletions at 50k in ZAPI.md §6.3).

    HRLAB_PREFIX=hrza /usr/bin/python3 bench/lab_injection.py [N ...]    (default 10000 100000)
"""

import ipaddress
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from injection_lab import TOPOLOGIES, LearnerClient, hrlab, injection_config, show, start_fpm  # noqa: E402

REDIST_ADD, REDIST_DEL, HELLO, ROUTE_ADD, ROUTE_DELETE, REDIST_ROUTE_ADD, REDIST_ROUTE_DEL = 11, 12, 18, 8, 9, 30, 31
TABLE, BGP = 15, 9


def zmsg(cmd, body=b"", vrf=0):
    return struct.pack(">HBBIH", 10 + len(body), 254, 6, vrf, cmd) + body


class Probe:
    """A ZAPI client that only listens: REDISTRIBUTE_ROUTE_ADD/DEL of the given types, for
    the prefixes of the current run, with the arrival time of each."""

    def __init__(self, lab, router, subs):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(f"/var/run/frr/{lab.ns(router)}/zserv.api")
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.lock = threading.Lock()
        self.want = set()
        self.added, self.deleted = {}, {}
        self.stop = False
        # HELLO as "system" (proto 0): zebra lets it subscribe but gives it no route type.
        self.s.sendall(zmsg(HELLO, struct.pack(">BHIBB", 0, 0, 0, 0, 0)))
        for afi, t, inst in subs:
            self.s.sendall(zmsg(REDIST_ADD, struct.pack(">BBH", afi, t, inst)))
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def expect(self, prefixes):
        with self.lock:
            self.want = set(prefixes)
            self.added, self.deleted = {}, {}

    def _run(self):
        buf = b""
        while not self.stop:
            r, _, _ = select.select([self.s], [], [], 0.2)
            if not r:
                continue
            data = self.s.recv(1 << 20)
            if not data:
                return
            buf += data
            now = time.monotonic()
            off = 0
            with self.lock:
                while len(buf) - off >= 10:
                    n = struct.unpack_from(">H", buf, off)[0]
                    if len(buf) - off < n:
                        break
                    cmd = struct.unpack_from(">H", buf, off + 8)[0]
                    if cmd in (REDIST_ROUTE_ADD, REDIST_ROUTE_DEL) and buf[off + 22] == 2 and buf[off + 23] == 32:
                        p = struct.unpack_from(">I", buf, off + 24)[0]
                        if p in self.want:
                            (self.added if cmd == REDIST_ROUTE_ADD else self.deleted).setdefault(p, now)
                    off += n
            buf = buf[off:]

    def wait(self, which, n, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                d = self.added if which == "add" else self.deleted
                if len(d) >= n:
                    return max(d.values())
            time.sleep(0.01)
        return None

    def count(self, which):
        with self.lock:
            return len(self.added if which == "add" else self.deleted)


def prefixes(base, n):
    b = int(ipaddress.ip_address(base))
    return [b + i for i in range(n)]


def route_msg(cmd, p, ifindex):
    body = struct.pack(">BHIIBBB", TABLE, 0, 0, 0x03 if cmd == ROUTE_ADD else 0, 1, 2, 32) + struct.pack(">I", p)
    if cmd == ROUTE_ADD:
        body += struct.pack(">HIBBI", 1, 0, 1, 0, ifindex) + bytes([250])
    return zmsg(cmd, body)


def stale(lab, table=None):
    """Host routes of the benchmark's ranges left in tor1's zebra (type table) and on the spine."""
    def count(router, cmd):
        out = lab.vtysh(router, cmd, timeout=120)
        return sum(1 for line in out.splitlines() if " 10.1" in line and "/32" in line)
    return count("tor1", "show ip route table"), count("spine", "show ip route bgp")


def zebra_alive(lab):
    return "zebra" in lab.frr_pids("tor1")


def measure(name, lab, probes, addrs, inject, withdraw, timeout):
    if not zebra_alive(lab):
        return {"path": name, "n": len(addrs), "error": "zebra not running"}
    tor, spine = probes
    ints = [int(ipaddress.ip_address(a)) for a in addrs]
    n = len(ints)
    for p in probes:
        p.expect(ints)
    row = {"path": name, "n": n}
    t0 = time.monotonic()
    extra = inject()
    t_rib = tor.wait("add", n, timeout)
    t_spine = spine.wait("add", n, timeout)
    row["rib"] = None if t_rib is None else t_rib - t0
    row["spine"] = None if t_spine is None else t_spine - t0
    for k, v in (extra or {}).items():
        t = v() if callable(v) else v
        row[k] = None if t is None else t - t0
    row["rib_seen"], row["spine_seen"] = tor.count("add"), spine.count("add")
    t1 = time.monotonic()
    withdraw()
    w_rib = tor.wait("del", n, timeout)
    w_spine = spine.wait("del", n, timeout)
    row["w_rib"] = None if w_rib is None else w_rib - t1
    row["w_spine"] = None if w_spine is None else w_spine - t1
    if not zebra_alive(lab):
        row["error"] = "tor1's zebra died (see its log: netlink overrun?)"
        row["stale_tor1"], row["stale_spine"] = None, None
        return row
    row["stale_tor1"], row["stale_spine"] = stale(lab)
    return row


def fmt(v):
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def main(sizes):
    prefix = os.environ.get("HRLAB_PREFIX", "hrbench")
    lab = hrlab.Lab.from_file(TOPOLOGIES / "injection-ebgp.toml", prefix=prefix, log=lambda m: None)
    rows = []
    with lab:
        lab.frr_config("tor1", ["ip import-table 10", "router bgp 65001", "address-family ipv4 unicast",
                                "redistribute table 10", "exit-address-family"])
        br10 = int(lab.run("tor1", ["cat", "/sys/class/net/br10/ifindex"]).stdout)
        tor = Probe(lab, "tor1", [(1, TABLE, 0), (1, TABLE, 10)])
        spine = Probe(lab, "spine", [(1, BGP, 0)])
        zserv = f"/var/run/frr/{lab.ns('tor1')}/zserv.api"
        timeout = 120
        # Warm-up (not measured): the first routes after bring-up wait for bgpd's start-up.
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.connect(zserv)
        raw.sendall(zmsg(HELLO, struct.pack(">BHIBB", TABLE, 0, 0, 0, 0)))
        warm = prefixes("10.99.0.0", 100)
        measure("warm-up", lab, (tor, spine), [str(ipaddress.ip_address(p)) for p in warm],
                lambda: raw.sendall(b"".join(route_msg(ROUTE_ADD, p, br10) for p in warm)),
                lambda: raw.sendall(b"".join(route_msg(ROUTE_DELETE, p, br10) for p in warm)), 60)
        raw.close()
        for n in sizes:
            # 1. FRR's floor: a bare ZAPI client, one write.
            addrs = [str(ipaddress.ip_address(p)) for p in prefixes("10.100.0.0", n)]
            adds = b"".join(route_msg(ROUTE_ADD, p, br10) for p in prefixes("10.100.0.0", n))
            dels = b"".join(route_msg(ROUTE_DELETE, p, br10) for p in prefixes("10.100.0.0", n))
            raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            raw.connect(zserv)
            raw.sendall(zmsg(HELLO, struct.pack(">BHIBB", TABLE, 0, 0, 0, 0)))
            rows.append(measure("zapi-floor", lab, (tor, spine), addrs, lambda: raw.sendall(adds),
                                lambda: raw.sendall(dels), timeout))
            raw.close()

            # 2. fpm_client, ZAPI method.
            start_fpm(lab, "tor1", injection_config(graceful_restart={"stop_action": "withdraw"}))
            # No route-status subscription: parsing 2 x N statuses in Python would steal the CPU
            # zebra needs (the learner is C++); the acknowledgement is read from show zebra.
            c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
            c.subscribe(["remote-routes"])
            c.sync(1, [])
            addrs = [str(ipaddress.ip_address(p)) for p in prefixes("10.110.0.0", n)]

            add_bytes, del_bytes = c.frames(addrs), c.frames(addrs, withdraw=True)

            def inject_fpm(c=c, addrs=addrs, data=add_bytes):
                c.send_raw(data)
                done = {}

                def poll():  # zebra's INSTALLED for every route, as fpm_client counts them
                    deadline = time.monotonic() + timeout
                    while time.monotonic() < deadline:
                        if show(lab, "tor1", "zebra")["routes"]["states"].get("installed", 0) >= len(addrs):
                            done["t"] = time.monotonic()
                            return
                        time.sleep(0.02)
                th = threading.Thread(target=poll, daemon=True)
                th.start()
                return {"ack": lambda: (th.join(), done.get("t"))[1]}
            rows.append(measure("fpm-zapi", lab, (tor, spine), addrs, inject_fpm, lambda c=c, d=del_bytes: c.send_raw(d),
                                timeout))
            c.close()
            lab.stop_daemon("tor1", "fpm_client")

            # 3. fpm_client, kernel-table method.
            start_fpm(lab, "tor1", injection_config(method="kernel-table", kernel_table=10,
                                                    graceful_restart={"stop_action": "withdraw"}))
            c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
            c.subscribe(["remote-routes"])
            c.sync(1, [])
            addrs = [str(ipaddress.ip_address(p)) for p in prefixes("10.120.0.0", n)]
            add_bytes, del_bytes = c.frames(addrs), c.frames(addrs, withdraw=True)
            rows.append(measure("fpm-kernel", lab, (tor, spine), addrs, lambda c=c, d=add_bytes: c.send_raw(d),
                                lambda c=c, d=del_bytes: c.send_raw(d), timeout))
            c.close()
            lab.stop_daemon("tor1", "fpm_client")

            # 4. ip -batch into table 10, flushed at once (the Cumulus way).
            addrs = [str(ipaddress.ip_address(p)) for p in prefixes("10.130.0.0", n)]
            batch = "".join(f"route add {a}/32 dev br10 table 10\n" for a in addrs)

            def ip_batch(cmds):
                subprocess.run(["ip", "-n", lab.ns("tor1"), "-batch", "-"], input=cmds, text=True, check=True)
            rows.append(measure("ip-batch", lab, (tor, spine), addrs, lambda: ip_batch(batch),
                                lambda: subprocess.run(["ip", "-n", lab.ns("tor1"), "route", "flush", "table", "10"],
                                                       check=True), timeout))
            # Repair what zebra may have kept (ZAPI.md §6.3) before the next size.
            lab.frr_config("tor1", ["no ip import-table 10", "ip import-table 10"])

        tor.stop = spine.stop = True

    print()
    print("Host-route injection, tor1 -> spine (eBGP), FRR 8.4.4 defaults; seconds from t0 to the Nth event")
    hdr = f"{'N':>7} {'path':<11} {'tor1 RIB':>9} {'spine':>9} {'ack':>9} {'withdraw RIB':>13} {'withdraw spine':>15} {'stale tor1/spine':>17}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        if "rib" not in r:
            print(f"{r['n']:>7} {r['path']:<11} {r['error']}")
            continue
        print(f"{r['n']:>7} {r['path']:<11} {fmt(r['rib']):>9} {fmt(r['spine']):>9} {fmt(r.get('ack')):>9} "
              f"{fmt(r['w_rib']):>13} {fmt(r['w_spine']):>15} {str(r['stale_tor1']) + '/' + str(r['stale_spine']):>17}"
              + (f"  {r['error']}" if r.get("error") else ""))
        if r.get("rib_seen", r["n"]) < r["n"] or r.get("spine_seen", r["n"]) < r["n"]:
            print(f"{'':>20}only {r['rib_seen']} in tor1's RIB / {r['spine_seen']} on the spine within the timeout")
    print()
    for n in sizes:
        by = {r["path"]: r for r in rows if r["n"] == n}
        floor, ours, kern, ipb = (by.get(k) for k in ("zapi-floor", "fpm-zapi", "fpm-kernel", "ip-batch"))
        if floor and ours and floor.get("spine") and ours.get("spine"):
            print(f"N={n}: fpm-zapi / floor at the spine: x{ours['spine'] / floor['spine']:.2f}", end="")
            for name, r in (("fpm-kernel", kern), ("ip-batch", ipb)):
                if r and r.get("spine"):
                    print(f"; {name} / fpm-zapi: x{r['spine'] / ours['spine']:.2f}", end="")
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [10000, 100000]))
