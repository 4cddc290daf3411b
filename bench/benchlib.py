"""Shared pieces of the lab benchmarks (bench/lab_learning.py, bench/lab_injection.py).

- RawZapi: a bare ZAPI client, FRR's floor. It says HELLO as route type table, instance 0
  (what fpm_client is) and writes ROUTE_ADD/ROUTE_DELETE encoded here by hand after
  ZAPI.md §2.2 with the attributes fpm_client uses (one IFINDEX nexthop, a distance and a
  tag), with nothing in between: no learner, no IPC, no core. Two sessions of the same
  type and instance share cleanup (ZAPI.md §7.2): never run it beside fpm_client.
- Probe: a ZAPI client that only listens to REDISTRIBUTE_ROUTE_ADD/DEL of the route types
  it subscribed to, and notes when each wanted prefix first arrived, per route type. zebra
  redistributes a route once it is selected and installed (ZAPI.md §6.1): on tor1
  subscribed to table/0 it times "in tor1's RIB"; on the spine subscribed to bgp, ospf and
  ospf6 it times the arrival over each protocol separately.
- Frames: crafted gratuitous ARP and unsolicited NA frames, and frame_sender.py (run inside
  a host namespace) that writes them to a raw socket with their send times.
- Percentiles and the summary table: every lab benchmark ends with one table of
  target | measured | PASS/MISS.

All times are time.monotonic() (CLOCK_MONOTONIC, the same clock in every process on the
machine, so the sender in a host namespace and the probes here compare directly).
"""

from __future__ import annotations

import ipaddress
import json
import select
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# ZAPI command numbers of FRR 8.4 (ZAPI.md §1.4) and route types (§1.5).
REDIST_ADD, REDIST_DEL, HELLO, ROUTE_ADD, ROUTE_DELETE = 11, 12, 18, 8, 9
REDIST_ROUTE_ADD, REDIST_ROUTE_DEL = 30, 31
TABLE, BGP, OSPF, OSPF6, BABEL = 15, 9, 6, 7, 22
TYPE_NAME = {TABLE: "table", BGP: "bgp", OSPF: "ospf", OSPF6: "ospf6", BABEL: "babel"}
AFI_IP, AFI_IP6 = 1, 2
MSG_NEXTHOP, MSG_DISTANCE, MSG_TAG = 0x01, 0x02, 0x08
NH_IFINDEX = 1


def zmsg(cmd: int, body: bytes = b"", vrf: int = 0) -> bytes:
    return struct.pack(">HBBIH", 10 + len(body), 254, 6, vrf, cmd) + body


def key(addr) -> bytes:
    """The probes' key of a host prefix: its address bytes (4 or 16)."""
    return ipaddress.ip_address(addr).packed


def route_msg(cmd: int, addr, ifindex: int = 0, distance: int = 10, tag: int = 1,
              rtype: int = TABLE) -> bytes:
    """ROUTE_ADD (one IFINDEX nexthop, distance, tag) or ROUTE_DELETE of a /32 or /128."""
    a = ipaddress.ip_address(addr)
    fam, plen = (2, 32) if a.version == 4 else (10, 128)
    message = MSG_NEXTHOP | MSG_DISTANCE | (MSG_TAG if tag else 0) if cmd == ROUTE_ADD else 0
    body = struct.pack(">BHIIBBB", rtype, 0, 0, message, 1, fam, plen) + a.packed
    if cmd == ROUTE_ADD:
        body += struct.pack(">HIBBI", 1, 0, NH_IFINDEX, 0, ifindex) + bytes([distance])
        if tag:
            body += struct.pack(">I", tag)
    return zmsg(cmd, body)


def zserv_path(lab, router: str) -> str:
    return f"/var/run/frr/{lab.ns(router)}/zserv.api"


class RawZapi:
    """A bare ZAPI client as table/0 (see the module text), or as another route type
    (`rtype`, e.g. BABEL: the same path through zebra and the routing daemons, under another
    name, so that it can run beside fpm_client: ZAPI.md §7.2)."""

    def __init__(self, lab, router: str, rtype: int = TABLE):
        self.rtype = rtype
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(zserv_path(lab, router))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        # HELLO: the type, instance 0, session 0, no route notifications, not synchronous.
        self.s.sendall(zmsg(HELLO, struct.pack(">BHIBB", rtype, 0, 0, 0, 0)))
        # zebra answers with CAPABILITIES, VRF_ADD and interface events: drain and ignore.
        self._stop = False
        self._t = threading.Thread(target=self._drain, daemon=True)
        self._t.start()

    def _drain(self):
        while not self._stop:
            r, _, _ = select.select([self.s], [], [], 0.2)
            if r:
                try:
                    if not self.s.recv(1 << 16):
                        return
                except OSError:
                    return

    def send(self, data: bytes) -> float:
        """Writes data; returns the time just before the write."""
        t = time.monotonic()
        self.s.sendall(data)
        return t

    def close(self):
        self._stop = True
        self._t.join(timeout=2)
        self.s.close()


class Probe:
    """Listens to zebra's redistribution of the subscribed (afi, type[, instance]) and notes
    the first arrival (and first withdrawal) of each wanted prefix per route kind: a route
    type (instance 0) or a (type, instance) pair such as (TABLE, 10) for `ip import-table 10`."""

    def __init__(self, lab, router: str, subs):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(zserv_path(lab, router))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.lock = threading.Lock()
        self.want: set[bytes] = set()
        self.kinds = sorted({(s[1], s[2] if len(s) > 2 else 0) for s in subs})
        self.added = {k: {} for k in self.kinds}
        self.deleted = {k: {} for k in self.kinds}
        self.stop = False
        self.last = time.monotonic()  # the last redistribution message of any prefix
        # HELLO as "system" (proto 0): zebra lets it subscribe but gives it no route type.
        self.s.sendall(zmsg(HELLO, struct.pack(">BHIBB", 0, 0, 0, 0, 0)))
        for sub in subs:
            afi, t, inst = sub[0], sub[1], sub[2] if len(sub) > 2 else 0
            self.s.sendall(zmsg(REDIST_ADD, struct.pack(">BBH", afi, t, inst)))
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def expect(self, keys):
        with self.lock:
            self.want = set(keys)
            self.added = {k: {} for k in self.kinds}
            self.deleted = {k: {} for k in self.kinds}

    def _run(self):
        buf = b""
        while not self.stop:
            r, _, _ = select.select([self.s], [], [], 0.2)
            if not r:
                continue
            data = self.s.recv(1 << 20)
            if not data:
                return
            now = time.monotonic()
            buf += data
            off = 0
            with self.lock:
                while len(buf) - off >= 10:
                    n = struct.unpack_from(">H", buf, off)[0]
                    if n < 10 or len(buf) - off < n:
                        break
                    cmd = struct.unpack_from(">H", buf, off + 8)[0]
                    if cmd in (REDIST_ROUTE_ADD, REDIST_ROUTE_DEL) and n >= 28:
                        self.last = now
                        kind = (buf[off + 10], struct.unpack_from(">H", buf, off + 11)[0])
                        plen = buf[off + 23]
                        if plen in (32, 128) and kind in self.added:
                            k = bytes(buf[off + 24:off + 24 + plen // 8])
                            if k in self.want:
                                d = self.added if cmd == REDIST_ROUTE_ADD else self.deleted
                                d[kind].setdefault(k, now)
                    off += n
            buf = buf[off:]

    @staticmethod
    def _kind(kind):
        return kind if isinstance(kind, tuple) else (kind, 0)

    def times(self, which: str, kind) -> dict:
        with self.lock:
            return dict((self.added if which == "add" else self.deleted)[self._kind(kind)])

    def count(self, which: str, kind) -> int:
        with self.lock:
            return len((self.added if which == "add" else self.deleted)[self._kind(kind)])

    def wait(self, which: str, kind, n: int, timeout: float):
        """The time the n-th wanted prefix arrived (or left), or None at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                d = (self.added if which == "add" else self.deleted)[self._kind(kind)]
                if len(d) >= n:
                    return max(d.values())
            time.sleep(0.01)
        return None

    def quiet(self, quiet_for: float = 1.0, timeout: float = 120.0) -> bool:
        """Waits until no redistribution message arrived for `quiet_for` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                last = self.last
            if time.monotonic() - last >= quiet_for:
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.stop = True
        self.t.join(timeout=2)
        self.s.close()


# ---- crafted frames ------------------------------------------------------------------------

def mac_bytes(mac: str) -> bytes:
    return bytes(int(x, 16) for x in mac.split(":"))


def host_mac(i: int, family: int = 4) -> str:
    return "02:%02x:%02x:%02x:%02x:%02x" % (0x70 + family, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)


def garp_frame(mac: str, ip: str) -> bytes:
    """A gratuitous ARP request (sender = target = ip) from mac, broadcast."""
    m = mac_bytes(mac)
    a = ipaddress.IPv4Address(ip).packed
    eth = b"\xff" * 6 + m + b"\x08\x06"
    arp = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + m + a + b"\x00" * 6 + a
    return (eth + arp).ljust(60, b"\x00")


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def una_frame(mac: str, ip: str) -> bytes:
    """An unsolicited neighbor advertisement (override, target = source = ip, target
    link-layer option) to ff02::1: how a host announces itself in IPv6 (RFC 4861 §7.2.6)."""
    m = mac_bytes(mac)
    src = ipaddress.IPv6Address(ip).packed
    dst = ipaddress.IPv6Address("ff02::1").packed
    icmp = struct.pack(">BBHI", 136, 0, 0, 0x20000000) + src + bytes([2, 1]) + m
    pseudo = src + dst + struct.pack(">I", len(icmp)) + b"\x00\x00\x00\x3a"
    c = _csum(pseudo + icmp)
    icmp = icmp[:2] + struct.pack(">H", c) + icmp[4:]
    ip6 = struct.pack(">IHBB", 0x60000000, len(icmp), 58, 255) + src + dst
    eth = b"\x33\x33\x00\x00\x00\x01" + m + b"\x86\xdd"
    return eth + ip6 + icmp


def frame_for(addr: str, i: int) -> bytes:
    a = ipaddress.ip_address(addr)
    return garp_frame(host_mac(i, 4), addr) if a.version == 4 else una_frame(host_mac(i, 6), addr)


class FrameSender:
    """frame_sender.py in `host`'s namespace, in the background: writes `frames` out of
    eth0, one every `gap` seconds or paced at `rate` frames/s (0: as fast as the socket takes
    them), the first at monotonic time `start` (0: at once). result() waits and returns
    {"times": [monotonic send time of each frame], ...} (see frame_sender.py)."""

    def __init__(self, lab, host: str, workdir: Path, frames: list[bytes], gap: float = 0.0,
                 rate: float = 0.0, start: float = 0.0):
        size = len(frames[0])
        assert all(len(f) == size for f in frames), "frames of one run must have one size"
        fin = workdir / f"frames-{host}.bin"
        self.out = workdir / f"sent-{host}.json"
        self.out.unlink(missing_ok=True)
        fin.write_bytes(b"".join(frames))
        self.p = subprocess.Popen(["ip", "netns", "exec", lab.ns(host), "/usr/bin/python3",
                                   str(BENCH / "frame_sender.py"), "eth0", str(fin), str(size), str(gap),
                                   str(rate), str(self.out), str(start)])

    def result(self, timeout: float = 600.0) -> dict:
        if self.p.wait(timeout=timeout) != 0:
            raise RuntimeError(f"frame_sender.py exited with {self.p.returncode}")
        return json.loads(self.out.read_text())


def send_frames(lab, host: str, workdir: Path, frames: list[bytes], gap: float = 0.0,
                rate: float = 0.0, timeout: float = 600.0) -> dict:
    """FrameSender(...).result(): sends now and waits."""
    return FrameSender(lab, host, workdir, frames, gap, rate).result(timeout)


# ---- statistics and the summary -----------------------------------------------------------

def pct(xs, p):
    """Nearest-rank percentile (p in 0..100) of xs; NaN when empty."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[int(k)]


class Summary:
    """One table per benchmark: what is measured, the target, the figure, PASS/MISS."""

    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, str, str, str]] = []

    def check(self, what: str, measured: str, target: str, ok: bool | None):
        """ok None: no figure (the measurement failed): reported as MISS, with the reason in
        `measured`."""
        self.rows.append((what, target, measured, "PASS" if ok else "MISS"))

    def info(self, what: str, measured: str):
        self.rows.append((what, "-", measured, ""))

    def print(self):
        w0 = max([len(r[0]) for r in self.rows] + [8])
        w1 = max([len(r[1]) for r in self.rows] + [6])
        w2 = max([len(r[2]) for r in self.rows] + [8])
        print(f"\n{self.title}: summary")
        print(f"  {'measure':<{w0}}  {'target':<{w1}}  {'measured':<{w2}}  result")
        print("  " + "-" * (w0 + w1 + w2 + 12))
        for what, target, measured, res in self.rows:
            print(f"  {what:<{w0}}  {target:<{w1}}  {measured:<{w2}}  {res}")
        missed = sum(1 for r in self.rows if r[3] == "MISS")
        print(f"  {missed} of {sum(1 for r in self.rows if r[3])} targets missed")
        return missed


def machine_load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
