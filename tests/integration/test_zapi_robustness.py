"""fpm_client's ZAPI decoder on malformed bytes from the socket, in place of zebra: a unix-
socket peer at the --zserv path plays zebra and sends truncated, inconsistent, unknown,
oversized and garbage messages. Each is counted by reason and dropped; a broken stream
closes the session, which reconnects; a reset right after HELLO is reported as a likely
version mismatch; an unsupported FRR release is refused before connecting. The daemon keeps
running throughout. (The real zebra's bytes are in tests/unit/zapi/data/; this is the
robustness test on real sockets.) No namespaces needed."""

import json
import os
import random
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("HR_BUILD_DIR", ROOT / "build")) / "bin"


def msg(cmd, body=b"", vrf=0, length=None, marker=254, version=6):
    n = 10 + len(body) if length is None else length
    return struct.pack(">HBBIH", n, marker, version, vrf, cmd) + body


CAPABILITIES = msg(19, struct.pack(">IBIB", 0, 0, 256, 0))
VRF_DEFAULT = msg(33, struct.pack("<I", 254) + b"\0" * 36 + b"default".ljust(36, b"\0"))
ROUTER_ID = msg(17, bytes([2, 10, 0, 0, 11, 32]))


def wait_until(pred, timeout=10.0, desc="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {desc}; last: {last!r}")


class FakeZebra:
    """Accepts connections on `path`; each is handed to the next scripted behaviour."""

    def __init__(self, path):
        self.path = str(path)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(8)
        self.conns = []
        self.received = []
        self.lock = threading.Lock()

    def accept(self, timeout=10):
        self.srv.settimeout(timeout)
        c, _ = self.srv.accept()
        c.settimeout(5)
        with self.lock:
            self.conns.append(c)
        return c

    @staticmethod
    def read_messages(c, until_cmd, timeout=5):
        """Reads whole messages until one with command `until_cmd` arrived; returns them."""
        buf, out = b"", []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = c.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            buf += data
            while len(buf) >= 10 and len(buf) >= struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                out.append(buf[:n])
                buf = buf[n:]
            if any(struct.unpack(">H", m[8:10])[0] == until_cmd for m in out):
                return out
        raise AssertionError(f"client never sent command {until_cmd}; got {[m[8:10].hex() for m in out]}")

    @staticmethod
    def closed_by_peer(c, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if c.recv(65536) == b"":
                    return True
            except socket.timeout:
                continue
            except OSError:
                return True
        return False

    def close(self):
        for c in self.conns:
            c.close()
        self.srv.close()


@pytest.fixture
def env():
    with tempfile.TemporaryDirectory(prefix="hrza-zapi-") as d:
        d = Path(d)
        zebra = FakeZebra(d / "zserv.api")
        procs = []

        # An explicit -c must name a file that exists; an empty object is all defaults.
        (d / "hostroute.json").write_text("{}\n")

        def start(*extra):
            log = open(d / "fpm_client.log", "ab")
            p = subprocess.Popen([str(BIN / "fpm_client"), "-N", "hrza-zapi-robust", "--run-dir", str(d / "run"),
                                  "-c", str(d / "hostroute.json"), "--zserv", str(d / "zserv.api"),
                                  "--log-target", "stderr", *extra], stdout=log, stderr=subprocess.STDOUT)
            procs.append(p)
            wait_until(lambda: (d / "run" / "fpm_client.sock").exists(), desc="fpm_client control socket")
            return p

        def ctl(*args):
            r = subprocess.run([str(BIN / "hostroutectl"), "--run-dir", str(d / "run"), *args],
                               capture_output=True, text=True, timeout=20)
            assert r.returncode == 0, r.stderr
            return json.loads(r.stdout) if "--json" in args else r.stdout

        yield d, zebra, start, ctl
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
        zebra.close()


def counters(ctl):
    return ctl("show", "zebra", "--json")["counters"]


def test_malformed_messages_are_counted_and_dropped(env):
    d, zebra, start, ctl = env
    proc = start("--frr-version", "8.4.4")

    # Session 1: a zebra that sends nonsense between valid messages.
    c = zebra.accept()
    first = zebra.read_messages(c, 15)  # ... up to ROUTER_ID_ADD, our barrier
    assert struct.unpack(">H", first[0][8:10])[0] == 18, "HELLO first"
    bad = [
        msg(10, b"\x02\x00\x00\x00\x02\x20\x0a"),                      # NOTIFY_OWNER cut short
        msg(30, b"\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x07\x20\x0a\x01\x00\x05"),  # bad family
        msg(30, b"\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x02\x20\x0a\x01\x00\x05\xff\xff"),  # 65535 nexthops
        msg(0, b"lo\0" + b"\0" * 20),                                   # INTERFACE_ADD truncated
        msg(200, b"whatever"),                                          # unknown command
        msg(42, b"\x00\x00\x00\x01"),                                   # known, unused
        msg(4, b""),                                                     # INTERFACE_UP with no body
    ]
    c.sendall(CAPABILITIES + VRF_DEFAULT + b"".join(bad) + ROUTER_ID)
    wait_until(lambda: ctl("show", "zebra", "--json")["session"]["state"] == "ready", desc="session ready")
    k = counters(ctl)
    assert k["zapi.rx_error.truncated"] == 3, k
    assert k["zapi.rx_error.bad_family"] == 1, k
    assert k["zapi.rx_error.too_many_nexthops"] == 1, k
    assert k["zapi.rx_ignored.unknown_command"] == 1, k
    assert k["zapi.rx_ignored.unused_command"] == 1, k
    assert k["zapi.rx_errors"] == 5 and k["zapi.disconnects"] == 0, k

    # Random bodies behind valid headers for every command we decode: counted, never fatal.
    rng = random.Random(4)
    blob = b"".join(msg(rng.choice([0, 1, 2, 3, 4, 5, 10, 17, 19, 30, 31, 33, 34, 118, 125]),
                        bytes(rng.randrange(256) for _ in range(rng.randrange(0, 120)))) for _ in range(500))
    c.sendall(blob)
    wait_until(lambda: counters(ctl)["zapi.rx_messages"] >= 500 + 10, desc="500 random messages processed")
    assert proc.poll() is None

    # A broken header (marker 255): the stream cannot be resynchronised; session 2 follows.
    c.sendall(msg(18, marker=255))
    assert zebra.closed_by_peer(c), "fpm_client kept a broken stream open"
    c2 = zebra.accept()
    zebra.read_messages(c2, 15)
    # An oversized length (above 16384): refused before buffering; session 3 follows.
    c2.sendall(struct.pack(">HBBIH", 0xFFFF, 254, 6, 0, 30) + b"\0" * 100)
    assert zebra.closed_by_peer(c2)
    c3 = zebra.accept()
    # Reset right after HELLO, before CAPABILITIES: what zebra does on a version mismatch.
    zebra.read_messages(c3, 18)
    c3.close()
    wait_until(lambda: counters(ctl)["zapi.version_mismatch_suspected"] == 1, desc="reset after HELLO noticed")
    c4 = zebra.accept()
    zebra.read_messages(c4, 15)
    c4.sendall(CAPABILITIES + VRF_DEFAULT + ROUTER_ID)
    wait_until(lambda: ctl("show", "zebra", "--json")["session"]["state"] == "ready", desc="session 4 ready")
    z = ctl("show", "zebra", "--json")
    assert z["session"]["sessions"] == 4, z["session"]
    k = z["counters"]
    assert k["zapi.stream_errors"] == 2 and k["zapi.rx_error.bad_marker"] == 1 and k["zapi.rx_error.too_long"] == 1, k
    log = (d / "fpm_client.log").read_text()
    assert "event=zapi_reset_after_hello" in log and "likely a ZAPI version" in log, log[-2000:]
    assert proc.poll() is None
    assert "fpm_client" in ctl("show", "status")


def test_unsupported_frr_release_is_refused_before_connecting(env):
    d, zebra, start, ctl = env
    proc = start("--frr-version", "9.1.0")
    z = wait_until(lambda: (lambda j: j if j["session"]["state"] == "refused" else None)(ctl("show", "zebra", "--json")),
                   desc="refused state")
    assert "FRR 9.1.0 is not supported" in z["session"]["refusal"], z["session"]
    assert z["counters"]["zapi.version_refusals"] >= 1
    assert not zebra.conns, "it connected to an unsupported zebra"
    text = ctl("show", "zebra")
    assert "REFUSED" in text and "9.1.0" in text, text
    log = (d / "fpm_client.log").read_text()
    assert "event=zapi_refused code=zapi.unsupported_frr" in log, log
    assert proc.poll() is None
