"""The daemon core on a real binary (no namespaces needed): start-up on a valid config,
refusal of an invalid one naming the data path, SIGHUP reload (valid applied, invalid
refused with the running config kept), the control socket, the pid-file lock and a clean
SIGTERM stop."""

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("HR_BUILD_DIR", ROOT / "build"))
BIN = BUILD / "bin"

VALID = {
    "frr-hostroute:hostroute": {
        "interface": [
            {"name": "br10", "subnet": [{"prefix": "10.1.0.0/24"}], "learning": {"enabled": True}}
        ],
        "learning": {"aging": {"hold-time": 60}},
    }
}


def wait_until(pred, timeout=10.0, desc="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {desc}; last value: {last!r}")


class Instance:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.run_dir = tmp / "run"
        self.config = tmp / "hostroute.json"
        self.proc = None
        self.log = tmp / "daemon.log"

    def write(self, doc):
        self.config.write_text(json.dumps(doc) if isinstance(doc, dict) else doc)

    def start(self, daemon="hostroute_learner"):
        self.daemon = daemon
        self.proc = subprocess.Popen(
            [str(BIN / daemon), "-N", "core-test", "--run-dir", str(self.run_dir), "-c", str(self.config), "--log-target", "stderr"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"),
        )
        return self.proc

    def ctl(self, *args, check=True):
        r = subprocess.run([str(BIN / "hostroutectl"), "--run-dir", str(self.run_dir), *args], capture_output=True, text=True, timeout=20)
        if check:
            assert r.returncode == 0, f"hostroutectl {args} failed: {r.stderr}"
        return r

    def status(self):
        r = self.ctl("show", "status", "--json")
        return json.loads(r.stdout)[self.daemon]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)


@pytest.fixture
def inst():
    with tempfile.TemporaryDirectory(prefix="hr-core-") as d:
        i = Instance(Path(d))
        yield i
        if i.proc and i.proc.poll() is None:
            i.proc.kill()
            i.proc.wait()


def socket_up(inst):
    return (inst.run_dir / f"{inst.daemon}.sock").exists()


def test_invalid_config_refuses_start_naming_the_path(inst):
    inst.write({"frr-hostroute:hostroute": {"learning": {"probing": {"retries": 42}}}})
    p = inst.start()
    rc = p.wait(timeout=10)
    err = inst.log.read_text()
    assert rc != 0
    assert "/frr-hostroute:hostroute/learning/probing/retries" in err, err
    assert "out of the allowed range" in err, err
    assert str(inst.config) in err, err


def test_start_reload_and_stop(inst):
    inst.write(VALID)
    inst.start()
    wait_until(lambda: socket_up(inst), desc="control socket")
    st = inst.status()
    assert st["config"]["generation"] == 1
    assert st["pid"] == inst.proc.pid
    learning = json.loads(inst.ctl("show", "learning", "--json").stdout)
    assert learning["holdTimeSeconds"] == 60
    assert [i["name"] for i in learning["interfaces"]] == ["br10"]

    # A valid change is applied on SIGHUP.
    doc = json.loads(json.dumps(VALID))
    doc["frr-hostroute:hostroute"]["learning"]["aging"]["hold-time"] = 90
    inst.write(doc)
    inst.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: inst.status()["config"]["generation"] == 2, desc="generation 2 after SIGHUP")
    assert json.loads(inst.ctl("show", "learning", "--json").stdout)["holdTimeSeconds"] == 90

    # An invalid one is refused: the running config stays, the error is reported.
    inst.write('{"frr-hostroute:hostroute": {"interface": [{"name": "br10", "colour": "red"}]}}')
    inst.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: inst.status()["config"]["lastReloadError"], desc="reload error reported")
    st = inst.status()
    assert st["config"]["generation"] == 2
    assert "colour" in st["config"]["lastReloadError"]
    assert json.loads(inst.ctl("show", "learning", "--json").stdout)["holdTimeSeconds"] == 90
    counters = json.loads(inst.ctl("show", "counters", "--json").stdout)["hostroute_learner"]
    assert counters["hostroute_learner.config.reload_failures"] == 1
    assert counters["hostroute_learner.config.reloads"] == 1

    # `hostroutectl reload` does the same over the control socket and says why.
    r = inst.ctl("reload", check=False)
    assert r.returncode == 1 and "colour" in r.stderr
    inst.write(VALID)
    r = inst.ctl("reload")
    assert "generation 3" in r.stdout

    # A second instance of the same daemon is refused by the pid-file lock.
    second = subprocess.run(
        [str(BIN / "hostroute_learner"), "-N", "core-test", "--run-dir", str(inst.run_dir), "-c", str(inst.config), "--log-target", "stderr"],
        capture_output=True, text=True, timeout=10)
    assert second.returncode != 0
    assert f"already runs for this instance (pid {inst.proc.pid})" in second.stderr

    # SIGTERM: clean exit, socket and pid file removed.
    inst.stop()
    assert inst.proc.returncode == 0
    assert not (inst.run_dir / "hostroute_learner.sock").exists()
    assert not (inst.run_dir / "hostroute_learner.pid").exists()


@pytest.mark.parametrize("daemon", ["fpm_client", "vrrp_anycast"])
def test_every_daemon_starts_on_the_validated_config(inst, daemon):
    inst.write(VALID)
    inst.start(daemon)
    wait_until(lambda: socket_up(inst), desc=f"{daemon} control socket")
    st = inst.status()
    assert st["daemon"] == daemon and st["config"]["present"] is True
    inst.stop()
    assert inst.proc.returncode == 0


def test_validate_command(inst, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(VALID))
    r = inst.ctl("validate", str(good))
    assert r.stdout.strip() == f"{good}: valid"
    bad = tmp_path / "bad.json"
    bad.write_text('{"frr-hostroute:hostroute": {"learning": {"foreign-subnet": [{"prefix": "10.9.0.0/16", "interface": ["nope0"]}]}}}')
    r = inst.ctl("validate", str(bad), check=False)
    assert r.returncode == 1
    assert "foreign-subnet[prefix='10.9.0.0/16']/interface" in r.stderr
    assert "INVALID" in r.stderr
    xml = ROOT / "yang" / "examples" / "tor.xml"
    assert inst.ctl("validate", str(xml)).returncode == 0


def test_cli_refuses_a_bad_instance_name(inst):
    r = inst.ctl("-N", "a/b", "show", "status", check=False)
    assert r.returncode == 2
    assert "daemon.bad_instance" in r.stderr and "'a/b'" in r.stderr, r.stderr
