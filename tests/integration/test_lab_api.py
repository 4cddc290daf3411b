"""The Lab API on the default topology: commands, FRR config, hosts, links,
FRR restarts and the suite-daemon helpers (with stand-in daemons, since the C++
binaries may not exist yet)."""

import json
import os
import signal
import textwrap

import hrlab
import pytest
from hrlab import LabError, proc

FAKE_DAEMON = textwrap.dedent("""\
    #!/usr/bin/python3
    # Stand-in for a suite daemon: listens on its control socket until SIGTERM.
    import json, os, signal, socket, sys
    ns = sys.argv[sys.argv.index("-N") + 1]
    name = os.path.basename(sys.argv[0])
    print("args", sys.argv[1:], flush=True)
    if "--fail" in sys.argv:
        print("failing on purpose", flush=True)
        sys.exit(3)
    cfg = f"/etc/frr-hostroute/{ns}/hostroute.json"
    if os.path.exists(cfg):
        print("config", json.load(open(cfg)), flush=True)
    path = f"/run/frr-hostroute/{ns}/{name}.sock"
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    def bye(*_):
        os.unlink(path)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    while True:
        c, _ = s.accept()
        c.close()
""")

FAKE_CTL = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    print(json.dumps({"ns": sys.argv[2], "args": sys.argv[3:],
                      "netns": os.readlink("/proc/self/ns/net")}))
""")


def test_run_and_popen(lab):
    addrs = json.loads(lab.run("tor1", ["ip", "-j", "addr", "show", "br10"]).stdout)
    assert {a["local"] for a in addrs[0]["addr_info"]} >= {"10.1.0.2", "2001:db8:1::2"}
    assert lab.run("h11", "echo $((6*7))").stdout.strip() == "42"
    with pytest.raises(LabError, match="exit 3"):
        lab.run("h11", "exit 3")
    p = lab.popen("h21", ["sleep", "1000"])
    lab.wait_until(lambda: p.pid in proc.netns_pids(lab.ns("h21")), timeout=5,
                   desc="sleep visible in h21")
    # sysctls from the lab: forwarding in routers, no DAD anywhere
    assert lab.run("tor1", "sysctl -n net.ipv4.ip_forward").stdout.strip() == "1"
    assert lab.run("h11", "sysctl -n net.ipv6.conf.eth0.accept_dad").stdout.strip() == "0"


def test_frr_config_static_route(lab):
    lab.frr_config("tor1", "ip route 192.0.2.0/24 blackhole")
    lab.wait_route("tor1", "192.0.2.0/24", protocol="static", timeout=5)
    lab.frr_config("tor1", ["no ip route 192.0.2.0/24 blackhole"])
    lab.wait_route("tor1", "192.0.2.0/24", present=False, timeout=5)
    with pytest.raises(LabError, match="rejected"):
        lab.frr_config("tor1", "ip route this-is-not-a-prefix")
    assert lab.frr_config_errors("tor1") == []


def test_routes_listing(lab):
    lab.wait_route("spine", "10.0.0.11/32", protocol="bgp", via_router="tor1", timeout=15)
    lab.wait_route("spine", "10.0.0.12/32", protocol="bgp", via_router="tor2", timeout=15)
    lab.wait_route("spine", "2001:db8:ff::12/128", protocol="bgp", via_router="tor2", timeout=15)
    bgp = lab.routes("spine", "ipv4", protocol="bgp")
    assert "10.0.0.11/32" in bgp and "10.0.0.12/32" in bgp
    assert all(e["protocol"] == "bgp" for entries in bgp.values() for e in entries)
    v6 = lab.routes("spine", "ipv6")
    assert "2001:db8:ff::12/128" in v6


def test_move_host_keeps_namespace_mac_and_addresses(lab):
    ns = lab.ns("h11")
    ino = os.stat(f"/run/netns/{ns}").st_ino
    lab.wait_until(lambda: lab.ping("h11", "10.1.0.2"), timeout=10, desc="h11 reaches tor1")
    lab.move_host("h11", "tor2")
    assert os.stat(f"/run/netns/{ns}").st_ino == ino
    assert lab.run("h11", "cat /sys/class/net/eth0/address").stdout.strip() == lab.host_mac("h11")
    addrs = json.loads(lab.run("h11", "ip -j addr show eth0").stdout)[0]["addr_info"]
    assert {"10.1.0.11", "2001:db8:1::11"} <= {a["local"] for a in addrs}
    assert lab.run("tor1", "ip link show h11", check=False).returncode != 0
    port = json.loads(lab.run("tor2", "ip -j link show h11").stdout)[0]
    assert port["master"] == "br10"
    # reachable on tor2's bridge now; the default gateway (tor1's 10.1.0.2) was kept
    lab.wait_until(lambda: lab.ping("h11", "10.1.0.3"), timeout=10, desc="h11 reaches tor2")
    assert "10.1.0.2" in lab.run("h11", "ip route show default").stdout
    lab.move_host("h11", "tor1")
    lab.wait_until(lambda: lab.ping("h11", "10.1.0.2"), timeout=10, desc="h11 back on tor1")


def test_add_and_remove_host(lab):
    h = lab.add_host("h12", "tor1", ipv4="10.1.0.12", ipv6="2001:db8:1::12")
    assert h.ipv4 == "10.1.0.12/24"
    lab.wait_until(lambda: lab.ping("h12", "2001:db8:1::2"), timeout=10, desc="h12 -> tor1 v6")
    lab.wait_until(lambda: lab.ping("h12", "10.1.0.11"), timeout=10, desc="h12 -> h11")
    assert lab.ns("h12") in hrlab.resources(lab.prefix)["namespaces"]
    lab.remove_host("h12")
    assert lab.ns("h12") not in proc.netns_list()
    assert lab.run("tor1", "ip link show h12", check=False).returncode != 0
    with pytest.raises(LabError):
        lab.add_host("h11", "tor1", ipv4="10.1.0.99/24")


def test_link_down_withdraws_and_link_up_restores(lab):
    lab.link_down("tor1", "swp1")
    lab.wait_route("tor2", "10.0.0.11/32", present=False, timeout=10)
    lab.wait_route("tor2", "2001:db8:ff::11/128", present=False, timeout=10)
    lab.link_up("tor1", "swp1")
    lab.wait_bgp_established(timeout=30)
    lab.wait_ospf_full(timeout=30)
    lab.wait_route("tor2", "10.0.0.11/32", protocol="bgp", via_router="spine", timeout=15)


def test_restart_frr(lab):
    before = lab.frr_pids("tor1")
    assert set(before) == {"zebra", "staticd", "bgpd", "ospfd", "ospf6d"}
    lab.restart_frr("tor1")
    after = lab.frr_pids("tor1")
    assert set(after) == set(before) and not set(after.values()) & set(before.values())
    assert not any(proc.pid_alive(p) for p in before.values())
    lab.wait_bgp_established(timeout=30)
    lab.wait_ospf_full(timeout=30)
    lab.wait_route("tor2", "2001:db8:ff::11/128", protocol="bgp", via_router="spine", timeout=15)


@pytest.fixture
def fake_build(lab, tmp_path):
    """A build dir with stand-in daemons and hostroutectl; restores the lab's."""
    (tmp_path / "bin").mkdir()
    for name in ("hostroute_learner", "fpm_client"):
        (tmp_path / "bin" / name).write_text(FAKE_DAEMON)
    (tmp_path / "bin" / "hostroutectl").write_text(FAKE_CTL)
    for f in (tmp_path / "bin").iterdir():
        f.chmod(0o755)
    old = lab.build_dir
    lab.build_dir = tmp_path
    yield tmp_path
    lab.build_dir = old


def test_suite_daemon_helpers(lab, fake_build):
    cfg = {"subnets": ["10.1.0.0/24"]}
    p = lab.start_daemon("tor1", "hostroute_learner", args=["--verbose"], config=cfg)
    assert lab.daemon_pid("tor1", "hostroute_learner") == p.pid
    assert proc.pid_in_netns(p.pid, lab.ns("tor1"))
    assert json.loads(lab.config_path("tor1").read_text()) == cfg
    log = lab.daemon_log("tor1", "hostroute_learner")
    lab.wait_until(lambda: "config {'subnets'" in log.read_text(), timeout=5,
                   desc="daemon read its config")
    assert "--verbose" in log.read_text()
    with pytest.raises(LabError, match="already running"):
        lab.start_daemon("tor1", "hostroute_learner")
    assert lab.stop_daemon("tor1", "hostroute_learner") == 0
    assert lab.daemon_pid("tor1", "hostroute_learner") is None

    lab.start_daemon("tor2", "fpm_client")
    assert lab.kill_daemon("tor2", "fpm_client") == -signal.SIGKILL

    with pytest.raises(LabError, match="exited with 3") as e:
        lab.start_daemon("tor1", "fpm_client", args=["--fail"])
    assert "failing on purpose" in str(e.value)
    with pytest.raises(LabError, match="does not exist"):
        lab.start_daemon("tor1", "vrrp_anycast")

    out = lab.hostroutectl("tor1", "show", "hosts", json=True)
    assert out["ns"] == lab.ns("tor1") and out["args"] == ["show", "hosts"]
    assert out["netns"] == os.readlink(f"/proc/{lab.frr_pids('tor1')['zebra']}/ns/net")

    # a daemon left running is stopped by down() (checked by the next test)
    lab.start_daemon("tor2", "hostroute_learner")


def test_teardown_leaves_nothing(lab):
    pid = lab.daemon_pid("tor2", "hostroute_learner")
    assert pid
    lab.down()
    assert not proc.pid_alive(pid)
    left = lab.resources()
    assert hrlab.is_empty(left), f"left behind after down(): {left}"
