"""Helpers shared by the vrrp_anycast integration tests and bench/lab_vrrp_failover.py.

Config documents, `show vrrp` polling, exact per-ToR packet counters (nftables), a
continuous ping with timestamps, and a VRRP packet builder for injecting advertisements
(well-formed and malformed) from a host namespace.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import struct
import subprocess
import time

from hrlab import Observation, wait_until

VRID = 10
VIP4 = "10.1.0.1"
VIP6 = "2001:db8:1::1"
VMAC4 = "00:00:5e:00:01:0a"
VMAC6 = "00:00:5e:00:02:0a"


def group(priority=100, vrid=VRID, addresses=(VIP4, VIP6), **extra) -> dict:
    g = {"vrid": vrid, "virtual-address": list(addresses), "priority": priority}
    g.update(extra)
    return g


def config(interface="br10", groups=(), on_stop=None) -> dict:
    root = {"interface": [{"name": interface, "frr-hostroute-vrrp:vrrp": {"group": list(groups)}}]}
    if on_stop:
        root["frr-hostroute-vrrp:vrrp-anycast"] = {"on-stop": on_stop}
    return {"frr-hostroute:hostroute": root}


# Tracking the default routes with the YANG default decrement (10): a withdrawn tor1 (200)
# keeps a priority (180) above tor2's (100), the case where it must still never become master.
TRACK_ROUTES = {"route": [{"prefix": "0.0.0.0/0"}, {"prefix": "::/0"}]}


def tor_config(priority, on_stop=None, track=None, **extra) -> dict:
    """br10 with VRID 10 (10.1.0.1, 2001:db8:1::1), tracking `track` (default: the default
    routes, default decrements)."""
    return config(groups=[group(priority, track=TRACK_ROUTES if track is None else track, **extra)],
                  on_stop=on_stop)


def show(lab, router) -> dict:
    return lab.hostroutectl(router, "show", "vrrp", "--json", json=True)


def groups(lab, router) -> dict:
    """{family: group json} of VRID 10."""
    return {g["family"]: g for g in show(lab, router)["groups"] if g["vrid"] == VRID}


def wait_role(lab, router, expected: dict, timeout=15.0):
    """Waits until `router`'s VRID 10 matches {family: {key: value}} (keys of the group
    JSON, e.g. state, role), printing what was seen on failure."""
    def check():
        gs = groups(lab, router)
        seen = {f: {k: gs.get(f, {}).get(k) for k in want} for f, want in expected.items()}
        return Observation(seen == expected, observed=seen, expected=expected)
    return wait_until(check, timeout=timeout, desc=f"VRRP roles on {router}")


def counters(lab, router) -> dict:
    return lab.hostroutectl(router, "show", "counters", "--json", json=True)["vrrp_anycast"]


def link_id(lab, node, ifname) -> int | None:
    cp = lab.run(node, ["ip", "-j", "link", "show", "dev", ifname], check=False)
    if cp.returncode != 0:
        return None
    return json.loads(cp.stdout)[0]["ifindex"]


def sysctl(lab, node, key) -> str:
    return lab.run(node, ["sysctl", "-n", key]).stdout.strip()


def fdb_vmac_entries(lab, node, bridge="br10") -> list[str]:
    """`bridge fdb show br BRIDGE` lines naming a virtual MAC."""
    out = lab.run(node, ["bridge", "fdb", "show", "br", bridge]).stdout
    return [l.strip() for l in out.splitlines() if "00:00:5e:00:0" in l]


# --- exact packet counters ---------------------------------------------------------------

class Counters:
    """nftables counters in a ToR namespace.

    Routed: echo requests from each host to `dest4`/`dest6` that this ToR routed out of its
    uplink `uplink` (inet forward hook). Bridged: frames to a virtual MAC its bridge
    forwards out of `isl` (isl_out, bridge forward hook) and frames to a virtual MAC that
    arrive over `isl` (isl_in, bridge prerouting: whether delivered locally or forwarded).

    Not the prerouting hook: br_netfilter is active (net.bridge.bridge-nf-call-iptables=1
    in every namespace), so IP prerouting also sees frames the bridge merely forwards."""

    TABLE = "hrvrtest"

    def __init__(self, lab, tor, hosts=(("h11", "10.1.0.11", "2001:db8:1::11"), ("h21", "10.1.0.21", "2001:db8:1::21")),
                 dest4="10.200.0.10", dest6="2001:db8:200::10", uplink="swp1", isl=None):
        self.lab, self.tor = lab, tor
        rules = [
            f'add table inet {self.TABLE}',
            f'add chain inet {self.TABLE} fw {{ type filter hook forward priority 0; }}',
            f'add table bridge {self.TABLE}',
            f'add chain bridge {self.TABLE} l2 {{ type filter hook forward priority 0; }}',
            f'add chain bridge {self.TABLE} l2in {{ type filter hook prerouting priority 0; }}',
        ]
        for name, a4, a6 in hosts:
            rules += [
                f'add rule inet {self.TABLE} fw oifname "{uplink}" ip saddr {a4} ip daddr {dest4} icmp type echo-request counter comment "{name}_v4"',
                f'add rule inet {self.TABLE} fw oifname "{uplink}" ip6 saddr {a6} ip6 daddr {dest6} icmpv6 type echo-request counter comment "{name}_v6"',
            ]
        if isl:
            rules += [
                f'add rule bridge {self.TABLE} l2 oifname "{isl}" ether daddr {{ {VMAC4}, {VMAC6} }} counter comment "isl_out"',
                f'add rule bridge {self.TABLE} l2in iifname "{isl}" ether daddr {{ {VMAC4}, {VMAC6} }} counter comment "isl_in"',
            ]
        lab.run(tor, ["nft", "-f", "-"], input="\n".join(rules) + "\n")

    def read(self) -> dict:
        out = {}
        for fam in ("inet", "bridge"):
            j = json.loads(self.lab.run(self.tor, ["nft", "-j", "list", "table", fam, self.TABLE]).stdout)
            for item in j["nftables"]:
                rule = item.get("rule")
                if not rule:
                    continue
                for e in rule["expr"]:
                    if "counter" in e:
                        out[rule.get("comment", "?")] = e["counter"]["packets"]
        return out

    def remove(self):
        for fam in ("inet", "bridge"):
            self.lab.run(self.tor, ["nft", "delete", "table", fam, self.TABLE], check=False)


# --- traffic -------------------------------------------------------------------------------

def ping_burst(lab, host, dest, count=10):
    cp = lab.run(host, ["ping", "-n", "-c", str(count), "-i", "0.05", "-W", "2", dest], check=False,
                 timeout=count + 10)
    return cp


class Pinger:
    """A continuous `ping -D` from a host; replies() parses the timestamps so far."""

    def __init__(self, lab, host, dest, interval=0.02, log=None):
        self.lab = lab
        self.path = log or lab.node_workdir(host) / f"ping-{dest.replace(':', '_')}-{time.monotonic_ns()}.txt"
        self.proc = lab.popen(host, ["ping", "-D", "-n", "-i", str(interval), dest], log=self.path)

    def replies(self) -> list[tuple[float, int]]:
        text = self.path.read_text(errors="replace") if self.path.exists() else ""
        return [(float(m.group(1)), int(m.group(2)))
                for m in re.finditer(r"\[(\d+\.\d+)\] \d+ bytes from .*?icmp_seq=(\d+)", text)]

    def wait_replies(self, n_more, timeout=10.0):
        start = len(self.replies())
        wait_until(lambda: Observation(len(self.replies()) >= start + n_more,
                                       observed=len(self.replies()) - start, expected=f">= {n_more}"),
                   timeout=timeout, desc=f"{n_more} more ping replies")

    def stop(self) -> dict:
        stopped_at = time.time()
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        text = self.path.read_text(errors="replace")
        m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
        sent, got = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        e = re.search(r"\+(\d+) errors", text)
        replies = self.replies()
        gap, at = longest_gap([t for t, _ in replies] + [stopped_at])
        return {"sent": sent, "received": got, "dups": text.count("(DUP!)"), "errors": int(e.group(1)) if e else 0,
                "error_times": [float(t) for t in re.findall(r"\[(\d+\.\d+)\] From ", text)],
                "replies": replies, "max_gap": gap, "max_gap_at": at}


def longest_gap(times) -> tuple[float, float | None]:
    """(the longest interval between consecutive timestamps, its start)."""
    ts = sorted(times)
    best, at = 0.0, None
    for a, b in zip(ts, ts[1:]):
        if b - a > best:
            best, at = b - a, a
    return best, at


# --- VRRP packets ---------------------------------------------------------------------------

def _csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def vrrp_message(src, dst, vrid=VRID, priority=100, addresses=(VIP4,), version=3, vtype=1,
                 count=None, interval_cs=100, checksum="good", pseudo=True, trailing=b"") -> bytes:
    addrs = b"".join(ipaddress.ip_address(a).packed for a in addresses)
    n = len(addresses) if count is None else count
    if version == 2:  # RFC 3768: auth type, interval in seconds, 8 bytes of auth data, no pseudo-header
        body = struct.pack(">BBBBBB", (version << 4) | vtype, vrid, priority, n, 0, interval_cs // 100) + b"\0\0" \
            + addrs + b"\0" * 8 + trailing
        pseudo = False
    else:
        body = struct.pack(">BBBBH", (version << 4) | vtype, vrid, priority, n, interval_cs & 0xFFF) + b"\0\0" + addrs + trailing
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if ipaddress.ip_address(src).version == 4:
        ph = s + d + struct.pack(">BBH", 0, 112, len(body)) if pseudo else b""
    else:
        ph = s + d + struct.pack(">I", len(body)) + b"\0\0\0" + bytes([112])
    c = _csum(ph + body)
    if checksum == "bad":
        c ^= 0x5A5A
    return body[:6] + struct.pack(">H", c) + body[8:]


def vrrp_frame(src_mac, src, message, ttl=255) -> bytes:
    """Ethernet + IPv4/IPv6 + `message` to the VRRP group."""
    mac = bytes.fromhex(src_mac.replace(":", ""))
    ip = ipaddress.ip_address(src)
    if ip.version == 4:
        dst = ipaddress.ip_address("224.0.0.18").packed
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(message), 1, 0, ttl, 112, 0, ip.packed, dst)
        hdr = hdr[:10] + struct.pack(">H", _csum(hdr)) + hdr[12:]
        return bytes.fromhex("01005e000012") + mac + b"\x08\x00" + hdr + message
    dst = ipaddress.ip_address("ff02::12").packed
    hdr = struct.pack(">IHBB16s16s", (6 << 28) | (0xC0 << 20), len(message), 112, ttl, ip.packed, dst)
    return bytes.fromhex("333300000012") + mac + b"\x86\xdd" + hdr + message


SENDER = r"""
import socket, sys
frames = [bytes.fromhex(l) for l in sys.stdin.read().split()]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for f in frames:
    s.send(f)
"""


def inject(lab, host, frames, ifname="eth0"):
    """Sends raw frames out of `host`'s interface."""
    lab.run(host, ["/usr/bin/python3", "-c", SENDER, ifname], input="\n".join(f.hex() for f in frames) + "\n")


ANNOUNCEMENT_COUNTER = r"""
import socket, struct, sys, time
vmac4, vmac6, want, deadline = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), int(sys.argv[3]), time.time() + float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
s.settimeout(0.2)
garp = na = 0
while time.time() < deadline and (garp < want or na < want):
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    et = struct.unpack(">H", f[12:14])[0]
    if et == 0x0806 and f[6:12] == vmac4 and f[20:22] == b"\x00\x01" and f[28:32] == f[38:42]:
        garp += 1
    elif et == 0x86dd and f[6:12] == vmac6 and f[20] == 58 and f[54] == 136:
        na += 1
print(garp, na)
"""


def count_announcements(lab, host, want, timeout):
    """Gratuitous ARPs and unsolicited NAs from the virtual MACs seen on `host` until `want`
    of each arrived or `timeout` passed: (garp, na)."""
    cp = lab.run(host, ["/usr/bin/python3", "-c", ANNOUNCEMENT_COUNTER, VMAC4.replace(":", ""),
                        VMAC6.replace(":", ""), str(want), str(timeout)], timeout=timeout + 10)
    garp, na = cp.stdout.split()
    return int(garp), int(na)


# --- watchers ------------------------------------------------------------------------------

class FdbMonitor:
    """`bridge monitor fdb` in a namespace, from start() to stop(); lines() so far.

    live(): the monitor reports a canary (a local entry added to and deleted from `bridge`
    with a MAC of our own), proving it was listening."""

    def __init__(self, lab, node, bridge="br10"):
        self.lab, self.node, self.bridge = lab, node, bridge
        self.path = lab.node_workdir(node) / f"fdb-monitor-{time.monotonic_ns()}.txt"
        self.proc = lab.popen(node, ["stdbuf", "-oL", "bridge", "monitor", "fdb"], log=self.path)

    def lines(self) -> list[str]:
        return self.path.read_text(errors="replace").splitlines() if self.path.exists() else []

    def canary(self, mac):
        """Adds and deletes a local entry for `mac` until the monitor reports both (the first
        pair may come before it listens)."""
        def reported():
            self.lab.run(self.node, ["bridge", "fdb", "replace", mac, "dev", self.bridge, "self", "local"])
            self.lab.run(self.node, ["bridge", "fdb", "del", mac, "dev", self.bridge, "self", "local"])
            seen = [l for l in self.lines() if mac in l]
            ok = any(l.startswith(mac) for l in seen) and any(l.startswith("Deleted " + mac) for l in seen)
            return Observation(ok, observed=seen)
        wait_until(reported, timeout=5, interval=0.2, desc=f"bridge monitor fdb on {self.node} reports {mac}")

    def stop(self) -> list[str]:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        return self.lines()


SNIFFER = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
while True:
    f = s.recv(2048)
    t = time.time()
    et = struct.unpack(">H", f[12:14])[0]
    if et == 0x0800 and f[23] == 112:
        ihl = (f[14] & 15) * 4
        total = struct.unpack(">H", f[16:18])[0]
        v = f[14 + ihl:14 + total]
        print(f"{t:.6f} 4 {socket.inet_ntop(socket.AF_INET, f[26:30])} {v[1]} {v[2]} {v.hex()}", flush=True)
    elif et == 0x86dd and f[20] == 112:
        plen = struct.unpack(">H", f[18:20])[0]
        v = f[54:54 + plen]
        print(f"{t:.6f} 6 {socket.inet_ntop(socket.AF_INET6, f[22:38])} {v[1]} {v[2]} {v.hex()}", flush=True)
"""


class AdvertSniffer:
    """Every VRRP advertisement a host sees on eth0: (time, family 4/6, source, VRID,
    priority, the VRRP message)."""

    def __init__(self, lab, host):
        self.path = lab.node_workdir(host) / f"vrrp-adverts-{time.monotonic_ns()}.txt"
        self.proc = lab.popen(host, ["/usr/bin/python3", "-u", "-c", SNIFFER], log=self.path)

    def adverts(self, since=0.0, vrid=VRID):
        out = []
        text = self.path.read_text(errors="replace") if self.path.exists() else ""
        for line in text.splitlines():
            p = line.split()
            if len(p) == 6 and p[3] == str(vrid):
                t = float(p[0])
                if t >= since:
                    out.append((t, int(p[1]), p[2], int(p[4]), bytes.fromhex(p[5])))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)


def checksum_form(src, message) -> str | None:
    """Which checksum form a VRRPv3 message carries: "with-pseudo-header",
    "without-pseudo-header" (IPv4 only), or None (neither verifies)."""
    body = message[:6] + b"\0\0" + message[8:]
    got = struct.unpack(">H", message[6:8])[0]
    a = ipaddress.ip_address(src)
    dst = ipaddress.ip_address("224.0.0.18" if a.version == 4 else "ff02::12").packed
    if a.version == 4:
        ph = a.packed + dst + struct.pack(">BBH", 0, 112, len(body))
    else:
        ph = a.packed + dst + struct.pack(">I", len(body)) + b"\0\0\0" + bytes([112])
    if _csum(ph + body) == got:
        return "with-pseudo-header"
    if a.version == 4 and _csum(body) == got:
        return "without-pseudo-header"
    return None
