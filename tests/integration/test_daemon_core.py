"""The daemon core on a real binary (no namespaces needed): start-up on a valid config,
refusal of an invalid or missing one naming the data path or the file, SIGHUP reload (valid
applied, invalid or vanished file refused with the running config kept), the control socket,
sd_notify, the CLI's view of a killed daemon, the pid-file lock and a clean SIGTERM stop."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import lab_prefix

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

    def start(self, daemon="hostroute_learner", args=None, env=None):
        """Start `daemon` with `--run-dir` and `args` (default `-N core-test -c CONFIG`),
        logging to stderr unless `args` choose a target."""
        self.daemon = daemon
        if args is None:
            args = ["-N", "core-test", "-c", str(self.config)]
        if "--log-target" not in args:
            args = [*args, "--log-target", "stderr"]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [str(BIN / daemon), *args, "--run-dir", str(self.run_dir)],
                stdout=subprocess.DEVNULL, stderr=log, env=env)
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


def counters(inst):
    return json.loads(inst.ctl("show", "counters", "--json").stdout)[inst.daemon]


def test_explicit_config_file_must_exist(inst):
    p = inst.start(args=["-N", "core-test", "-c", str(inst.tmp / "typo.json")])
    rc = p.wait(timeout=10)
    err = inst.log.read_text()
    assert rc == 1
    assert f"hostroute_learner: config.missing: config file {inst.tmp / 'typo.json'} (given with -c) " \
           "does not exist" in err, err
    assert not socket_up(inst)


def test_implicit_default_config_may_be_absent(inst):
    # No -c: /etc/frr-hostroute/NAME/hostroute.json, for a NAME nobody configured.
    name = f"{lab_prefix()}-coretest-{os.getpid()}"
    assert not Path(f"/etc/frr-hostroute/{name}").exists()
    inst.start(args=["-N", name])
    wait_until(lambda: socket_up(inst), desc="control socket")
    st = inst.status()
    assert st["config"] == {"file": f"/etc/frr-hostroute/{name}/hostroute.json", "present": False,
                            "generation": 1, "lastReloadError": None}
    assert f"event=no_config file=/etc/frr-hostroute/{name}/hostroute.json" in inst.log.read_text()
    # Still absent on reload: the defaults again, not a refusal.
    r = inst.ctl("reload")
    assert "generation 2" in r.stdout and "YANG defaults" in r.stdout, r.stdout
    assert counters(inst)["hostroute_learner.config.reload_failures"] == 0
    inst.stop()
    assert inst.proc.returncode == 0


@pytest.mark.parametrize("how", ["removed", "directory"])
def test_reload_refuses_a_vanished_or_unreadable_file(inst, how):
    inst.write(VALID)
    inst.start()
    wait_until(lambda: socket_up(inst), desc="control socket")
    inst.config.unlink()
    if how == "directory":
        inst.config.mkdir()
    inst.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: inst.status()["config"]["lastReloadError"], desc="reload refused")
    st = inst.status()["config"]
    want = "has gone" if how == "removed" else "is not a regular file"
    assert want in st["lastReloadError"], st
    assert st["generation"] == 1 and st["present"] is True, st
    # The running config stays: not the defaults (hold-time 300).
    assert json.loads(inst.ctl("show", "learning", "--json").stdout)["holdTimeSeconds"] == 60
    assert counters(inst)["hostroute_learner.config.reload_failures"] == 1
    code = "config.missing" if how == "removed" else "config.unreadable"
    assert f"event=config_refused file={inst.config} code={code}" in inst.log.read_text()
    r = inst.ctl("reload", check=False)
    assert r.returncode == 1 and want in r.stderr, r.stderr
    assert counters(inst)["hostroute_learner.config.reload_failures"] == 2
    # The file is back: applied.
    if how == "directory":
        inst.config.rmdir()
    inst.write(VALID)
    assert "generation 2" in inst.ctl("reload").stdout
    assert inst.status()["config"]["lastReloadError"] is None


@pytest.mark.parametrize("args,code,text", [
    (["-N", "core-test", "--debug", "everything"], "daemon.bad_debug",
     "unknown debug category 'everything'"),
    (["-N", "../etc"], "daemon.bad_instance", "instance name '../etc' has '/'"),
    (["-N", ".."], "daemon.bad_instance", "contains '..'"),
    (["-N", "core-test", "--log-target", "syslog"], "log.bad_target",
     "unknown log target 'syslog'"),
])
def test_startup_errors_print_their_code(inst, args, code, text):
    inst.write(VALID)
    p = inst.start(args=[*args, "-c", str(inst.config)])
    assert p.wait(timeout=10) == 1
    err = inst.log.read_text()
    assert f"hostroute_learner: {code}: " in err and text in err, err


def test_cli_refuses_a_bad_instance_name(inst):
    r = inst.ctl("-N", "a/b", "show", "status", check=False)
    assert r.returncode == 2
    assert "daemon.bad_instance" in r.stderr and "'a/b'" in r.stderr, r.stderr


def test_sd_notify_ready_reloading_stopping(inst):
    """The daemon tells a NOTIFY_SOCKET (as systemd's Type=notify gives it) when it is ready,
    reloading and stopping, in that order."""
    inst.write(VALID)
    path = inst.tmp / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)  # each recv below is a wait with a deadline
    try:
        inst.start(env={**os.environ, "NOTIFY_SOCKET": str(path)})

        def next_message():
            return sock.recv(4096).decode()

        assert next_message() == "READY=1"
        assert socket_up(inst)  # READY comes once the control socket listens
        inst.proc.send_signal(signal.SIGHUP)
        assert next_message() == "RELOADING=1"
        assert next_message() == "READY=1"
        assert inst.status()["config"]["generation"] == 2
        inst.proc.send_signal(signal.SIGTERM)
        assert next_message() == "STOPPING=1"
        assert inst.proc.wait(timeout=10) == 0
    finally:
        sock.close()


def test_cli_sees_a_killed_daemon_as_not_running(inst):
    """SIGKILL leaves the socket file behind: the CLI must not take it for a running daemon."""
    inst.write(VALID)
    inst.start()
    wait_until(lambda: socket_up(inst), desc="control socket")
    inst.proc.kill()
    inst.proc.wait()
    assert socket_up(inst), "SIGKILL leaves the socket file (what this test is about)"
    r = inst.ctl("show", "status", check=False)
    assert r.returncode == 1
    row = [l for l in r.stdout.splitlines() if l.startswith("hostroute_learner")]
    assert row and row[0].split()[1:3] == ["not", "running"], r.stdout
    j = json.loads(inst.ctl("show", "status", "--json", check=False).stdout)["hostroute_learner"]
    assert j["code"] == "ipc.not_running", j
    r = inst.ctl("reload", check=False)
    assert r.returncode == 1 and "no daemon of this instance is running" in r.stderr, r.stderr
    # A new daemon replaces the stale socket.
    inst.start()
    wait_until(lambda: inst.ctl("show", "status", check=False).returncode == 0, desc="restarted daemon answers")


def test_debug_off_restores_the_configured_level(inst):
    doc = json.loads(json.dumps(VALID))
    doc["frr-hostroute:hostroute"]["logging"] = {"level": "warning"}
    inst.write(doc)
    inst.start()
    wait_until(lambda: socket_up(inst), desc="control socket")
    r = inst.ctl("debug", "ipc", "on")
    assert "debug ipc on (log level debug)" in r.stdout, r.stdout
    assert inst.status()["debug"] == ["ipc"]
    # The category's lines show: closing a control connection is an ipc debug event.
    wait_until(lambda: "event=ipc_close" in inst.log.read_text(), desc="an ipc debug line")
    r = inst.ctl("debug", "ipc", "off")
    assert "debug ipc off (log level warning)" in r.stdout, r.stdout
    assert inst.status()["debug"] == []
