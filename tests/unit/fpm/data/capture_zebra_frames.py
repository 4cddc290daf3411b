#!/usr/bin/env python3
"""Records real FPM streams from zebra 8.4 (dplane_fpm_nl) for the codec's golden tests.

Brings up lab/topologies/fpm.toml (prefix $HRLAB_PREFIX, default hrfp), listens on
127.0.0.1:2620 inside the ToR's namespace in place of fpm_client, and records, each into
its own file of this folder:

  nhg_replay.bin     the replay after connect, next-hop-group mode (the default)
  nhg_live.bin       live updates: 192.0.2.0/24 loses and regains s2 (ECMP -> single ->
                     ECMP: DEL+NEW pairs), 198.51.100.0/24 withdrawn and re-announced
  inline_replay.bin  the replay after `no fpm use-next-hop-groups`
  inline_live.bin    the same live updates in inline mode

and frames.json: every frame of every file decoded by the small, independent decoder
below (the C++ test checks its own decoder against it). Re-run it to refresh the data:

  HRLAB_PREFIX=hrfp /usr/bin/python3 tests/unit/fpm/data/capture_zebra_frames.py
"""
import ctypes
import ipaddress
import json
import os
import socket
import struct
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "lab"))
from hrlab import Lab, wait_until  # noqa: E402

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd: int) -> None:
    # os.setns arrived in Python 3.12; Debian 12 has 3.11.
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


RTM = {24: "NEWROUTE", 25: "DELROUTE", 104: "NEWNEXTHOP", 105: "DELNEXTHOP"}


def listen_in(ns: str, port: int) -> socket.socket:
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        setns(target)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return s
    finally:
        setns(own)
        os.close(own)
        os.close(target)


def attrs(buf: bytes):
    off = 0
    while off + 4 <= len(buf):
        ln, typ = struct.unpack_from("=HH", buf, off)
        if ln < 4:
            break
        yield typ & 0x3FFF, buf[off + 4:off + ln]
        off += (ln + 3) & ~3


def addr(b: bytes) -> str:
    return str(ipaddress.ip_address(b))


def decode_msg(m: bytes) -> dict:
    ln, typ, flags, _seq, _pid = struct.unpack_from("=IHHII", m)
    body = m[16:ln]
    out = {"type": RTM.get(typ, str(typ)), "flags": flags}
    if typ in (24, 25):
        fam, dlen, _slen, _tos, table, proto, _scope, rtype, _fl = struct.unpack_from("=BBBBBBBBI", body)
        out.update(family=fam, proto=proto, rtype=rtype, table=table)
        dst = None
        for t, v in attrs(body[12:]):
            if t == 1:
                dst = addr(v)
            elif t == 15:
                out["table"] = struct.unpack("=I", v)[0]
            elif t == 30:
                out["nh_id"] = struct.unpack("=I", v)[0]
            elif t == 5:
                out["gateways"] = [addr(v)]
            elif t == 4:
                out["oif"] = struct.unpack("=I", v)[0]
            elif t == 9:
                gws, o = [], 0
                while o + 8 <= len(v):
                    nl, _f, _h, ifi = struct.unpack_from("=HBBi", v, o)
                    gw = next((addr(x) for tt, x in attrs(v[o + 8:o + nl]) if tt == 5), None)
                    gws.append(f"{gw}@{ifi}")
                    o += (nl + 3) & ~3
                out["multipath"] = gws
        if dst is None:
            dst = "0.0.0.0" if fam == 2 else "::"
        out["prefix"] = str(ipaddress.ip_network(f"{dst}/{dlen}", strict=False))
    elif typ in (104, 105):
        fam, _scope, proto, _r, _fl = struct.unpack_from("=BBBBI", body)
        out.update(family=fam, proto=proto)
        for t, v in attrs(body[8:]):
            if t == 1:
                out["id"] = struct.unpack("=I", v)[0]
            elif t == 2:
                out["group"] = [struct.unpack_from("=I", v, i)[0] for i in range(0, len(v), 8)]
            elif t == 4:
                out["blackhole"] = True
            elif t == 5:
                out["oif"] = struct.unpack("=I", v)[0]
            elif t == 6:
                out["gateway"] = addr(v)
    return out


def decode_stream(data: bytes) -> list[list[dict]]:
    frames, off = [], 0
    while off + 4 <= len(data):
        ver, typ, ln = struct.unpack_from("!BBH", data, off)
        assert ver == 1 and typ == 1 and ln >= 20, (ver, typ, ln)
        payload, msgs, o = data[off + 4:off + ln], [], 0
        while o + 16 <= len(payload):
            mlen = struct.unpack_from("=I", payload, o)[0]
            msgs.append(decode_msg(payload[o:o + mlen]))
            o += (mlen + 3) & ~3
        frames.append(msgs)
        off += ln
    assert off == len(data), "trailing bytes"
    return frames


def record(conn: socket.socket, quiet: float = 1.0) -> bytes:
    """Everything zebra sends until it has been quiet for `quiet` seconds."""
    conn.settimeout(quiet)
    data = b""
    while True:
        try:
            b = conn.recv(65536)
        except socket.timeout:
            return data
        if not b:
            return data
        data += b


def main() -> int:
    prefix = os.environ.get("HRLAB_PREFIX", "hrfp")
    files = {}
    with Lab.from_file(ROOT / "lab/topologies/fpm.toml", prefix=prefix) as lab:
        ns = lab.ns("tor")
        srv = listen_in(ns, 2620)
        lab.wait_route("tor", "192.0.2.0/24", protocol="bgp", timeout=30)
        wait_until(lambda: len(lab.route("tor", "192.0.2.0/24")[0]["nexthops"]) == 2, timeout=30,
                   desc="ECMP on the ToR")

        def paths(p):
            r = lab.route("tor", p)
            return len(r[0]["nexthops"]) if r else 0

        def live_events():
            lab.frr_config("s2", ["router bgp 65102", "address-family ipv4 unicast", "no network 192.0.2.0/24"])
            wait_until(lambda: paths("192.0.2.0/24") == 1, timeout=10, desc="ECMP shrinks")
            lab.frr_config("s2", ["router bgp 65102", "address-family ipv4 unicast", "network 192.0.2.0/24"])
            wait_until(lambda: paths("192.0.2.0/24") == 2, timeout=10, desc="ECMP again")
            lab.frr_config("s1", ["router bgp 65101", "address-family ipv4 unicast", "no network 198.51.100.0/24"])
            lab.wait_route("tor", "198.51.100.0/24", present=False, timeout=10)
            lab.frr_config("s1", ["router bgp 65101", "address-family ipv4 unicast", "network 198.51.100.0/24"])
            lab.wait_route("tor", "198.51.100.0/24", timeout=10)

        for mode in ("nhg", "inline"):
            srv.settimeout(15)
            conn, _ = srv.accept()
            files[f"{mode}_replay.bin"] = record(conn)
            live_events()
            files[f"{mode}_live.bin"] = record(conn)
            if mode == "nhg":
                lab.vtysh("tor", "configure terminal", "no fpm use-next-hop-groups")
                files[f"{mode}_live.bin"] += record(conn, 0.5)  # whatever precedes the close
            conn.close()
        srv.close()
    manifest = {}
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        manifest[name] = decode_stream(data)
        print(f"{name}: {len(data)} bytes, {len(manifest[name])} frames")
    (HERE / "frames.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
