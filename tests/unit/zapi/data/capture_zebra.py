#!/usr/bin/env python3
"""Records the bytes a real zebra (FRR 8.4, Debian 12) sends to a ZAPI client, into the golden
file the codec's unit tests decode (tests/unit/zapi/data/frr-<version>-session.zapi).

It brings up the lab's default topology (prefix from HRLAB_PREFIX, default 'hrza'), adds
`redistribute table` on tor1, then plays a scripted session on tor1's zserv.api as the
product does (HELLO table/0, GR, PENDING, interface dump, router-id, subscriptions to bgp,
ospf and ospf6, host routes) and provokes every message the codec decodes: CAPABILITIES,
VRF_ADD, INTERFACE_ADD/ADDRESS_ADD/UP/DOWN, ROUTER_ID_UPDATE, ROUTE_NOTIFY_OWNER (INSTALLED,
REMOVED, FAIL_INSTALL, BETTER_ADMIN_WON), REDISTRIBUTE_ROUTE_ADD/DEL from bgp/ospf/ospf6,
ERROR, CLIENT_CLOSE_NOTIFY. Each line of the output is `< HEX` (from zebra) or `> HEX` (what
this script sent), with `#` comments naming the step. Run as root:

    HRLAB_PREFIX=hrza /usr/bin/python3 tests/unit/zapi/data/capture_zebra.py

The lab is torn down at the end. Re-running overwrites the file; the unit tests check fields,
not the whole file, so a capture from another 8.4.x zebra passes them too.
"""

import os
import select
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO / "lab"))

import hrlab  # noqa: E402

# FRR 8.4 command numbers (lib/zclient.h of frr-8.4.4).
INTERFACE_ADD, INTERFACE_UP, INTERFACE_DOWN = 0, 4, 5
ROUTE_ADD, ROUTE_DELETE, ROUTE_NOTIFY_OWNER = 8, 9, 10
REDISTRIBUTE_ADD, ROUTER_ID_ADD, ROUTER_ID_UPDATE, HELLO = 11, 15, 17, 18
REDIST_ROUTE_ADD, REDIST_ROUTE_DEL, VRF_ADD = 30, 31, 33
ERROR, CLIENT_CAPABILITIES, CLIENT_CLOSE_NOTIFY = 118, 119, 125
NAMES = {0: "INTERFACE_ADD", 1: "INTERFACE_DELETE", 2: "INTERFACE_ADDRESS_ADD",
         3: "INTERFACE_ADDRESS_DELETE", 4: "INTERFACE_UP", 5: "INTERFACE_DOWN", 8: "ROUTE_ADD",
         9: "ROUTE_DELETE", 10: "ROUTE_NOTIFY_OWNER", 11: "REDISTRIBUTE_ADD", 15: "ROUTER_ID_ADD",
         17: "ROUTER_ID_UPDATE", 18: "HELLO", 19: "CAPABILITIES", 23: "INTERFACE_NBR_ADDRESS_ADD",
         24: "INTERFACE_NBR_ADDRESS_DELETE", 30: "REDISTRIBUTE_ROUTE_ADD",
         31: "REDISTRIBUTE_ROUTE_DEL", 33: "VRF_ADD", 34: "VRF_DELETE", 42: "INTERFACE_LINK_PARAMS",
         118: "ERROR", 119: "CLIENT_CAPABILITIES", 125: "CLIENT_CLOSE_NOTIFY"}
TABLE, STATIC, OSPF, OSPF6, BGP = 15, 3, 6, 7, 9


def msg(cmd, body=b"", vrf=0):
    return struct.pack(">HBBIH", 10 + len(body), 254, 6, vrf, cmd) + body


def hello(proto=TABLE):
    return msg(HELLO, struct.pack(">BHIBB", proto, 0, 0, 1, 0))


def cap(code, *vals):
    return msg(CLIENT_CAPABILITIES, struct.pack(">I", code) + b"".join(struct.pack(">I", v) for v in vals))


def route(cmd, prefix, ifindex=None, distance=None, tag=None):
    addr, plen = prefix.split("/")
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    raw = socket.inet_pton(fam, addr)
    message = (1 if ifindex is not None else 0) | (2 if distance else 0) | (8 if tag else 0)
    body = struct.pack(">BHIIBBB", TABLE, 0, 0, message, 1, 10 if fam == socket.AF_INET6 else 2, int(plen))
    body += raw[: (int(plen) + 7) // 8]
    if ifindex is not None:
        body += struct.pack(">HIBBI", 1, 0, 1, 0, ifindex)
    if distance:
        body += struct.pack(">B", distance)
    if tag:
        body += struct.pack(">I", tag)
    return msg(cmd, body)


class Recorder:
    def __init__(self, path):
        self.lines = [f"# zebra ZAPI session captured by {Path(__file__).name} on "
                      f"{time.strftime('%Y-%m-%d')} (FRR {frr_version()})",
                      "# '<' = zebra -> client, '>' = client -> zebra; one whole message per line"]
        self.path = path

    def note(self, text):
        self.lines.append(f"# {text}")

    def add(self, direction, data):
        cmd = struct.unpack(">H", data[8:10])[0]
        self.lines.append(f"{direction} {data.hex()}")
        return cmd

    def save(self):
        self.path.write_text("\n".join(self.lines) + "\n")


class Client:
    def __init__(self, path, rec):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
        self.rec = rec
        self.seen = []

    def send(self, *msgs):
        for m in msgs:
            if self.rec:
                self.rec.add(">", m)
            self.s.sendall(m)

    def pump(self, timeout):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return
            data = self.s.recv(65536)
            if not data:
                raise RuntimeError("zebra closed the connection")
            self.buf += data
            while len(self.buf) >= 10:
                n = struct.unpack(">H", self.buf[:2])[0]
                if len(self.buf) < n:
                    break
                m, self.buf = self.buf[:n], self.buf[n:]
                cmd = struct.unpack(">H", m[8:10])[0]
                if self.rec:
                    self.rec.add("<", m)
                self.seen.append((cmd, m))

    def wait(self, pred, desc, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for i, (cmd, m) in enumerate(self.seen):
                if pred(cmd, m):
                    del self.seen[: i + 1]
                    return m
            self.pump(0.1)
        raise RuntimeError(f"timed out waiting for {desc}; seen "
                           f"{[NAMES.get(c, c) for c, _ in self.seen][-20:]}")


def frr_version():
    out = subprocess.run(["/usr/lib/frr/zebra", "--version"], capture_output=True, text=True).stdout
    return out.split()[2] if out.startswith("zebra version") else "unknown"


def notify(note, prefix_bytes):
    return lambda c, m: c == ROUTE_NOTIFY_OWNER and struct.unpack("<I", m[10:14])[0] == note and prefix_bytes in m


def redist(cmd, rtype, prefix_bytes):
    return lambda c, m: c == cmd and m[10] == rtype and prefix_bytes in m


def main():
    prefix = os.environ.get("HRLAB_PREFIX", "hrza")
    out = HERE / f"frr-{frr_version()}-session.zapi"
    rec = Recorder(out)
    lab = hrlab.Lab.from_file(hrlab.DEFAULT_TOPOLOGY, prefix=prefix, log=lambda m: print(f"[hrlab] {m}"))
    with lab:
        lab.wait_route("tor1", "10.0.0.12/32", protocol="bgp", timeout=30)
        lab.frr_config("tor1", ["router bgp 65001", "address-family ipv4 unicast", "redistribute table",
                                "exit-address-family", "address-family ipv6 unicast", "redistribute table",
                                "exit-address-family", "router ospf", "redistribute table",
                                "router ospf6", "redistribute table"])
        zserv = f"/var/run/frr/{lab.ns('tor1')}/zserv.api"
        br10 = int(lab.run("tor1", ["cat", "/sys/class/net/br10/ifindex"]).stdout)
        c = Client(zserv, rec)

        rec.note("session start: HELLO table/0 notify, GR 60 s, PENDING v4+v6, interface dump, router-id")
        c.send(hello(), cap(1, 60, 0), cap(3, 1, 1, 0), cap(3, 2, 1, 0), msg(INTERFACE_ADD),
               msg(ROUTER_ID_ADD, struct.pack(">H", 1)))
        c.wait(lambda cmd, m: cmd == ROUTER_ID_UPDATE, "ROUTER_ID_UPDATE")
        rec.note("subscriptions: bgp+ospf for IPv4, bgp+ospf6 for IPv6 (zebra replays what is selected)")
        c.send(*(msg(REDISTRIBUTE_ADD, struct.pack(">BBH", afi, t, 0)) for afi, t in ((1, BGP), (1, OSPF), (2, BGP), (2, OSPF6))))
        c.pump(1.0)

        rec.note("host routes 10.1.0.50/32 and 2001:db8:1::50/128 via br10, distance 10: INSTALLED")
        c.send(route(ROUTE_ADD, "10.1.0.50/32", br10, 10), route(ROUTE_ADD, "2001:db8:1::50/128", br10, 10))
        c.wait(notify(2, socket.inet_pton(socket.AF_INET, "10.1.0.50")), "INSTALLED v4")
        c.wait(notify(2, socket.inet_pton(socket.AF_INET6, "2001:db8:1::50")), "INSTALLED v6")

        rec.note("remote host 10.1.0.77/32 and 2001:db8:1::77/128 appear on tor2 (connected, redistributed)")
        lab.run("tor2", ["ip", "addr", "add", "10.1.0.77/32", "dev", "lo"])
        lab.run("tor2", ["ip", "addr", "add", "2001:db8:1::77/128", "dev", "lo"])
        c.wait(redist(REDIST_ROUTE_ADD, BGP, socket.inet_pton(socket.AF_INET, "10.1.0.77")), "REDIST ADD bgp v4")
        c.wait(redist(REDIST_ROUTE_ADD, BGP, socket.inet_pton(socket.AF_INET6, "2001:db8:1::77")), "REDIST ADD bgp v6")
        rec.note("tor2 removes them: REDISTRIBUTE_ROUTE_DEL")
        lab.run("tor2", ["ip", "addr", "del", "10.1.0.77/32", "dev", "lo"])
        lab.run("tor2", ["ip", "addr", "del", "2001:db8:1::77/128", "dev", "lo"])
        c.wait(lambda cmd, m: cmd == REDIST_ROUTE_DEL and socket.inet_pton(socket.AF_INET, "10.1.0.77") in m, "REDIST DEL v4")
        c.pump(1.0)

        rec.note("our 10.1.0.78/32 at distance 250 is installed, then tor2 advertises it: BETTER_ADMIN_WON")
        c.send(route(ROUTE_ADD, "10.1.0.78/32", br10, 250, 2))
        c.wait(notify(2, socket.inet_pton(socket.AF_INET, "10.1.0.78")), "INSTALLED .78")
        lab.run("tor2", ["ip", "addr", "add", "10.1.0.78/32", "dev", "lo"])
        c.wait(notify(1, socket.inet_pton(socket.AF_INET, "10.1.0.78")), "BETTER_ADMIN_WON .78")
        c.pump(0.5)
        lab.run("tor2", ["ip", "addr", "del", "10.1.0.78/32", "dev", "lo"])
        c.send(route(ROUTE_DELETE, "10.1.0.78/32"))
        c.pump(1.0)

        rec.note("br10 goes down and comes back: INTERFACE_DOWN, INTERFACE_UP")
        lab.link_down("tor1", "br10")
        c.wait(lambda cmd, m: cmd == INTERFACE_DOWN and b"br10\0" in m, "INTERFACE_DOWN br10")
        lab.link_up("tor1", "br10")
        c.wait(lambda cmd, m: cmd == INTERFACE_UP and b"br10\0" in m, "INTERFACE_UP br10")
        c.pump(1.0)

        rec.note("ROUTE_DELETE of both host routes: REMOVED")
        c.send(route(ROUTE_DELETE, "10.1.0.50/32"), route(ROUTE_DELETE, "2001:db8:1::50/128"))
        c.wait(notify(3, socket.inet_pton(socket.AF_INET, "10.1.0.50")), "REMOVED v4")
        rec.note("a nexthop ifindex that does not exist: FAIL_INSTALL")
        c.send(route(ROUTE_ADD, "10.1.0.99/32", 999, 10))
        c.wait(notify(0, socket.inet_pton(socket.AF_INET, "10.1.0.99")), "FAIL_INSTALL")
        rec.note("an unknown command number (200): ZEBRA_ERROR INVALID_MSG_TYPE")
        c.send(msg(200))
        c.wait(lambda cmd, m: cmd == ERROR, "ERROR")

        rec.note("another client (HELLO static) connects and closes: CLIENT_CLOSE_NOTIFY")
        other = Client(zserv, None)
        other.send(hello(STATIC))
        other.pump(0.5)
        other.s.close()
        c.wait(lambda cmd, m: cmd == CLIENT_CLOSE_NOTIFY, "CLIENT_CLOSE_NOTIFY")
        rec.note("GR_DISABLE, then close")
        c.send(cap(4, 0))
        c.pump(0.5)
        c.s.close()
    rec.save()
    print(f"wrote {out} ({sum(1 for l in rec.lines if not l.startswith('#'))} messages)")


if __name__ == "__main__":
    main()
