"""A stand-in for hostroute_learner on fpm_client's control socket, for the injection tests
and benchmarks: it speaks the real IPC (core/ipc/hostroute_ipc.proto, Python classes generated
at import time with protoc into a temporary directory) exactly as the learner does: Hello,
Subscribe{route-status, remote-routes}, SyncBegin, RouteIntents, SyncEnd, then deltas; and it
collects the RouteStatusBatch / RemoteRouteBatch that fpm_client pushes.

Needs Debian's protobuf-compiler and python3-protobuf (dev.sh installs both)."""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "core" / "ipc" / "hostroute_ipc.proto"


def _generate():
    out = Path(tempfile.mkdtemp(prefix="hr-ipc-py-"))
    subprocess.run(["protoc", f"-I{PROTO.parent}", f"--python_out={out}", str(PROTO)], check=True)
    sys.path.insert(0, str(out))
    import hostroute_ipc_pb2  # noqa: E402
    return hostroute_ipc_pb2


pb = _generate()

CLAIM = pb.HOST_ROUTE_CLAIM
STATE_NAMES = {v: k for k, v in pb.RouteState.items()}


def _addr_bytes(addr: str) -> bytes:
    return ipaddress.ip_address(addr).packed


class LearnerClient:
    """One connection to fpm_client.sock. A reader thread collects what fpm_client pushes:
    `status[(vrf, address)] = (state name, detail)`, `remote` (a list of (vrf, address,
    protocol, present, time.monotonic()) in arrival order) and `snapshots`."""

    def __init__(self, sock_path: str | Path, name: str = "hostroute_learner", timeout: float = 10.0):
        self.path = str(sock_path)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.s.connect(self.path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.lock = threading.Lock()
        self.status: dict[tuple[str, str], tuple[str, str]] = {}
        self.counts: dict[str, int] = {}
        self.status_events = 0
        self.remote: list[tuple[str, str, str, bool, float]] = []
        self.snapshots = {"route-status": 0, "remote-routes": 0}
        self.closed = False
        self._next_id = 1
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.send(hello=pb.Hello(daemon=name, instance="", pid=os.getpid(), version="test"))

    # ---- sending -------------------------------------------------------------------------
    def send(self, **body):
        e = pb.Envelope(id=self._next_id, **body)
        self._next_id += 1
        data = e.SerializeToString()
        self.s.sendall(struct.pack(">I", len(data)) + data)

    def subscribe(self, topics=("route-status", "remote-routes")):
        self.send(subscribe=pb.Subscribe(topics=list(topics)))

    @staticmethod
    def route(addr: str, ifname: str = "br10", vrf: str = "", claim: bool = False, ifindex: int = 0,
              mac: bytes = b""):
        return pb.HostRoute(vrf=vrf, address=_addr_bytes(addr), ifname=ifname, ifindex=ifindex, mac=mac,
                            flags=CLAIM if claim else 0)

    def frames(self, addrs, ifname="br10", vrf="", claim=False, withdraw=False, batch=20000) -> bytes:
        """The framed RouteIntents for `addrs`, serialized now and sent later with
        send_raw() (benchmarks keep Python's protobuf work out of the measured time)."""
        out = b""
        addrs = list(addrs)
        for i in range(0, len(addrs), batch):
            routes = [self.route(a, ifname if not withdraw else "", vrf, claim) for a in addrs[i:i + batch]]
            intents = pb.RouteIntents(withdraw=routes) if withdraw else pb.RouteIntents(add=routes)
            data = pb.Envelope(id=self._next_id, intents=intents).SerializeToString()
            self._next_id += 1
            out += struct.pack(">I", len(data)) + data
        return out

    def add(self, addrs, ifname="br10", vrf="", claim=False, batch=20000):
        addrs = list(addrs)
        for i in range(0, len(addrs), batch):
            self.send(intents=pb.RouteIntents(add=[self.route(a, ifname, vrf, claim) for a in addrs[i:i + batch]]))

    def withdraw(self, addrs, vrf="", batch=20000):
        addrs = list(addrs)
        for i in range(0, len(addrs), batch):
            self.send(intents=pb.RouteIntents(withdraw=[self.route(a, "", vrf) for a in addrs[i:i + batch]]))

    def sync(self, generation: int, addrs, ifname="br10", vrf=""):
        self.send(sync_begin=pb.SyncBegin(generation=generation))
        self.add(addrs, ifname, vrf)
        self.send(sync_end=pb.SyncEnd(generation=generation))

    def send_raw(self, data: bytes):
        self.s.sendall(data)

    # ---- receiving -----------------------------------------------------------------------
    def _read(self):
        buf = b""
        while True:
            try:
                r, _, _ = select.select([self.s], [], [], 0.5)
                if not r:
                    continue
                data = self.s.recv(1 << 20)
            except (OSError, ValueError):  # closed under us
                break
            if not data:
                break
            buf += data
            while len(buf) >= 4:
                n = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                e = pb.Envelope()
                e.ParseFromString(buf[4:4 + n])
                buf = buf[4 + n:]
                self._handle(e)
        self.closed = True

    def _handle(self, e):
        now = time.monotonic()
        kind = e.WhichOneof("body")
        with self.lock:
            if kind == "route_status":
                if e.route_status.snapshot:
                    self.snapshots["route-status"] += 1
                    self.status.clear()
                    self.counts.clear()
                for s in e.route_status.status:
                    key = (s.vrf, str(ipaddress.ip_address(s.address)))
                    name = STATE_NAMES.get(s.state, str(s.state))
                    old = self.status.get(key)
                    if old:
                        self.counts[old[0]] -= 1
                    self.counts[name] = self.counts.get(name, 0) + 1
                    self.status[key] = (name, s.detail)
                    self.status_events += 1
            elif kind == "remote_routes":
                if e.remote_routes.snapshot:
                    self.snapshots["remote-routes"] += 1
                for r in e.remote_routes.routes:
                    self.remote.append((r.vrf, str(ipaddress.ip_address(r.address)), r.protocol, r.present, now))

    def state(self, addr: str, vrf: str = ""):
        with self.lock:
            return self.status.get((vrf, str(ipaddress.ip_address(addr))), (None, None))[0]

    def count_state(self, state: str) -> int:
        with self.lock:
            return self.counts.get(state, 0)

    def remote_events(self, addr: str | None = None):
        with self.lock:
            return [r for r in self.remote if addr is None or r[1] == str(ipaddress.ip_address(addr))]

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass
