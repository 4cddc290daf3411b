"""hostroute_learner in the lab: real FRR routers, real kernel bridges and neighbour tables,
real ARP/ND frames from host namespaces (scapy for the crafted ones). The learner runs on
tor1 (bridge br10, 10.1.0.0/24 + 2001:db8:1::/64); what it learned is read back through
`hostroutectl show hosts --json` and `show counters --json`.

Most of these tests do not need fpm_client (the learner keeps trying to reach it, and its
timeline says each intent waits for fpm_client); those that look at where traffic goes or at
a route leaving zebra and the spine start it (the `southbound` fixture: fpm_client on tor1,
`redistribute table` in tor1's BGP). The end-to-end tests with both ToRs are in
test_hostroute_e2e.py.
"""

import json
import os
import signal
import time

import pytest

from hrlab import wait_until

LEARNER = "hostroute_learner"
FPM = "fpm_client"


def config(**learning):
    doc = {
        "frr-hostroute:hostroute": {
            "interface": [{
                "name": "br10",
                "subnet": [{"prefix": "10.1.0.0/24"}, {"prefix": "2001:db8:1::/64"}],
                "learning": {"enabled": True},
            }],
            "learning": {"aging": {"hold-time": 60}, "probing": {"interval": 1000, "retries": 3},
                         "timeline": {"length": 16},
                         # fpm_client (when a test starts it) withdraws its routes on stop: the
                         # module's lab is shared by the tests.
                         "injection": {"graceful-restart": {"stop-action": "withdraw"}}},
        }
    }
    doc["frr-hostroute:hostroute"]["learning"].update(learning)
    return doc


@pytest.fixture
def learner(lab):
    started = []

    def start(cfg=None):
        lab.start_daemon("tor1", LEARNER, config=cfg or config())
        started.append(True)
        return lab

    yield start
    if lab.daemon_pid("tor1", LEARNER):
        lab.stop_daemon("tor1", LEARNER)


TOR1_BGP = "router bgp 65001\n address-family ipv4 unicast\n  {}redistribute table\n exit-address-family"


@pytest.fixture
def southbound(lab):
    """fpm_client on tor1 with `redistribute table` in tor1's BGP: the learner's routes reach
    tor1's zebra and the spine. Start it after the learner (it reads the same config file)."""
    lab.frr_config("tor1", TOR1_BGP.format(""))

    def start():
        lab.start_daemon("tor1", FPM, args=["--log-target", "stderr"])
        wait_until(lambda: lab.hostroutectl("tor1", "show", "zebra", "--json", json=True)["session"]["state"]
                   == "ready", timeout=15, desc="fpm_client's ZAPI session ready")

    yield start
    if lab.daemon_pid("tor1", FPM):
        lab.stop_daemon("tor1", FPM)
    lab.frr_config("tor1", TOR1_BGP.format("no "))


def hosts(lab):
    return lab.hostroutectl("tor1", "show", "hosts", "--json", json=True)


def host(lab, addr):
    """The host's JSON document, or None while the learner has not seen it."""
    out = lab.hostroutectl("tor1", "show", "hosts", addr, "--json", check=False)
    return json.loads(out) if out.strip() else None


def counters(lab):
    return lab.hostroutectl("tor1", "show", "counters", "--json", json=True)[LEARNER]


def counter(lab, name):
    return counters(lab).get(f"{LEARNER}.{name}", 0)


def learned(lab, addr):
    h = host(lab, addr)
    return h if h and h.get("learned") else None


def scapy(lab, node, code):
    """Runs a scapy snippet in a host namespace (frames go out of its eth0)."""
    lab.run(node, ["/usr/bin/python3", "-c", "from scapy.all import *\nconf.verb = 0\n" + code])


def garp(lab, node, mac, addr, iface="eth0"):
    scapy(lab, node, f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='{mac}', psrc='{addr}', "
                     f"hwdst='00:00:00:00:00:00', pdst='{addr}'), iface='{iface}')")


def test_arp_from_a_host_is_learned(lab, learner):
    learner()
    lab.add_host("ha1", "tor1", ipv4="10.1.0.31", ipv6="2001:db8:1::31")
    mac = lab.host_mac("ha1")
    lab.run("ha1", ["arping", "-c", "1", "-I", "eth0", "10.1.0.2"], check=False)
    h = wait_until(lambda: learned(lab, "10.1.0.31"), timeout=5, desc="10.1.0.31 learned from one ARP")
    assert h["mac"] == mac
    assert h["interface"] == "br10"
    assert h["port"] == "ha1"  # the bridge port (the ToR end of the host's veth)
    assert h["state"] == "active"
    events = [e["event"] for e in h["timeline"]]
    # No fpm_client here: the intent waits for it, and the timeline says so.
    assert events[:2] == ["learned", "intent-held"], h["timeline"]
    assert "arp" in h["timeline"][0]["detail"]
    table = hosts(lab)
    assert "10.1.0.31" in [x["address"] for x in table["hosts"]]
    # The text form names the host too.
    assert "10.1.0.31" in lab.hostroutectl("tor1", "show", "hosts")


def test_ipv6_host_learned_from_nd(lab, learner):
    learner()
    lab.add_host("ha2", "tor1", ipv4="10.1.0.32", ipv6="2001:db8:1::32")
    lab.run("ha2", ["ping", "-6", "-c", "1", "-W", "1", "2001:db8:1::2"], check=False)
    h = wait_until(lambda: learned(lab, "2001:db8:1::32"), timeout=5, desc="2001:db8:1::32 learned from ND")
    assert h["family"] == "ipv6"
    assert h["mac"] == lab.host_mac("ha2")
    # Link-local senders are never learned, and are counted.
    assert counter(lab, "admission.refused.link-local") >= 1


def test_outside_subnet_refused_then_admitted_by_foreign_subnet(lab, learner):
    learner()
    lab.add_host("ha3", "tor1", ipv4="10.9.0.33/24", gateway4="none", gateway6="none")
    garp(lab, "ha3", lab.host_mac("ha3"), "10.9.0.33")
    h = wait_until(lambda: host(lab, "10.9.0.33"), timeout=5, desc="10.9.0.33 seen")
    assert h["learned"] is False
    assert h["refused"]["reason"] == "outside-subnet"
    before = counter(lab, "admission.refused.outside-subnet")
    assert before >= 1
    for _ in range(5):  # counted once per host, not per packet
        garp(lab, "ha3", lab.host_mac("ha3"), "10.9.0.33")
    wait_until(lambda: host(lab, "10.9.0.33")["refused"]["count"] >= 6, timeout=5, desc="repeats seen")
    assert counter(lab, "admission.refused.outside-subnet") == before

    cfg = config(**{"foreign-subnet": [{"prefix": "10.9.0.0/16", "interface": ["br10"]}]})
    with open(lab.config_path("tor1"), "w") as f:
        json.dump(cfg, f)
    lab.hostroutectl("tor1", "reload", LEARNER)
    h = wait_until(lambda: learned(lab, "10.9.0.33"), timeout=5, desc="10.9.0.33 learned once the range covers it")
    assert h["foreignSubnet"] is True


def withdrawn_after_last_seen_ms(h):
    """From one `show hosts ADDRESS` document: how long after its last sign of life the host
    was withdrawn (both relative to the same moment: the timeline's withdrawn event and
    lastSeenMsAgo)."""
    w = [e for e in h["timeline"] if e["event"] == "withdrawn"]
    assert w, h["timeline"]
    return h["lastSeenMsAgo"] - w[-1]["msAgo"]


def test_dead_host_withdrawn_within_hold_time_silent_host_stays(lab, learner, southbound):
    hold = 5
    learner(config(aging={"hold-time": hold}, probing={"interval": 1000, "retries": 2}))
    southbound()
    lab.add_host("ha4", "tor1", ipv4="10.1.0.34")  # silent but alive: answers probes
    lab.add_host("ha5", "tor1", ipv4="10.1.0.35")  # dies
    for n, a in (("ha4", "10.1.0.34"), ("ha5", "10.1.0.35")):
        garp(lab, n, lab.host_mac(n), a)
    wait_until(lambda: learned(lab, "10.1.0.34") and learned(lab, "10.1.0.35"), timeout=5, desc="both learned")
    for a in ("10.1.0.34", "10.1.0.35"):
        lab.wait_route("tor1", f"{a}/32", protocol="table", timeout=5)
        lab.wait_route("spine", f"{a}/32", protocol="bgp", via_router="tor1", timeout=10)
    lab.link_down("ha5", "eth0")
    h = wait_until(lambda: (x := host(lab, "10.1.0.35")) and x["state"] == "withdrawn" and x,
                   timeout=hold + 3, desc="dead host withdrawn")
    assert h["reason"] == "aged"
    # Measured by the learner's own clock: withdrawn within the hold time of its last frame.
    took = withdrawn_after_last_seen_ms(h)
    print(f"[learner] dead host withdrawn {took} ms after its last sign of life (hold {hold} s)")
    assert took <= hold * 1000, (took, h["timeline"])
    # ... and its route left tor1's zebra and the spine.
    lab.wait_route("tor1", "10.1.0.35/32", present=False, timeout=5)
    lab.wait_route("spine", "10.1.0.35/32", present=False, timeout=10)
    # The silent one has been probed and answered at least once by now, and stays.
    wait_until(lambda: counter(lab, "probes.answered") >= 1, timeout=hold + 3, desc="a probe answered")
    alive = host(lab, "10.1.0.34")
    assert alive["state"] in ("active", "probing") and alive["learned"], alive
    assert "answered" in [e["event"] for e in alive["timeline"]], alive["timeline"]
    assert alive["zebra"] == "installed", alive
    lab.wait_route("spine", "10.1.0.34/32", protocol="bgp", via_router="tor1", timeout=5)


def tor1_neighbor_mac(lab, addr):
    cp = lab.run("tor1", ["ip", "-j", "neigh", "show", "to", addr, "dev", "br10"], check=False)
    entries = [n for n in json.loads(cp.stdout or "[]") if n.get("lladdr")]
    return entries[0]["lladdr"] if entries else None


def test_spoofed_garp_does_not_hijack_and_flags_duplicate(lab, learner, southbound):
    learner()
    southbound()
    lab.add_host("ha6", "tor1", ipv4="10.1.0.36")
    lab.add_host("hx6", "tor1", ipv4="10.1.0.136")  # the attacker, on another port
    real, spoofer = lab.host_mac("ha6"), lab.host_mac("hx6")
    lab.run("ha6", ["arping", "-c", "1", "-I", "eth0", "10.1.0.2"], check=False)
    wait_until(lambda: learned(lab, "10.1.0.36"), timeout=5, desc="real host learned")
    lab.wait_route("spine", "10.1.0.36/32", protocol="bgp", via_router="tor1", timeout=10)
    assert tor1_neighbor_mac(lab, "10.1.0.36") == real
    restored = counter(lab, "neighbor.restored")
    for _ in range(3):
        garp(lab, "hx6", spoofer, "10.1.0.36")
    h = wait_until(lambda: (x := host(lab, "10.1.0.36")) and x["duplicate"] and x, timeout=5, desc="flagged duplicate")
    assert h["mac"] == real
    assert h["port"] == "ha6"
    assert h["duplicateOf"]["mac"] == spoofer
    assert counter(lab, "mobility.conflicts") >= 1
    assert "duplicate" in [e["event"] for e in h["timeline"]]
    # The gratuitous ARPs pointed tor1's kernel neighbour entry at the spoofer (the /32's next
    # hop is the bridge, so that entry decides where the traffic goes): the learner set it
    # back to the verified binding after the conflict and after each later announcement.
    wait_until(lambda: counter(lab, "neighbor.restored") > restored, timeout=5, desc="neighbour entry restored")
    assert "neighbor-restored" in [e["event"] for e in host(lab, "10.1.0.36")["timeline"]]
    assert wait_until(lambda: tor1_neighbor_mac(lab, "10.1.0.36") == real, timeout=2,
                      desc="tor1's neighbour entry has the real MAC"), tor1_neighbor_mac(lab, "10.1.0.36")
    assert counter(lab, "neighbor.restore_errors") == 0
    # A host behind the spine still reaches the real host (the route stayed, the kernel's
    # entry points at it).
    lab.wait_route("spine", "10.1.0.36/32", protocol="bgp", via_router="tor1", timeout=5)
    assert wait_until(lambda: lab.ping("hs1", "10.1.0.36"), timeout=5, desc="hs1 -> ha6")
    assert tor1_neighbor_mac(lab, "10.1.0.36") == real


def test_host_flapping_between_ports_is_frozen(lab, learner):
    learner(config(mobility={"max-moves": 3, "window": 60, "freeze-time": 600}))
    lab.add_host("ha7", "tor1", ipv4="10.1.0.37")
    mac = lab.host_mac("ha7")
    # A second attachment of the same host to br10 (another hypervisor port).
    lab.add_link("ha7", "eth1", "tor1", "ha7b", b_bridge="br10")
    lab.run("ha7", f"ip link set eth1 down; ip link set eth1 address {mac}")
    garp(lab, "ha7", mac, "10.1.0.37")
    wait_until(lambda: learned(lab, "10.1.0.37"), timeout=5, desc="learned")
    ifs = ["eth0", "eth1"]
    for move in range(1, 5):
        up, down = ifs[move % 2], ifs[(move + 1) % 2]
        lab.run("ha7", f"ip link set {down} down; ip link set {up} up")
        for _ in range(2):  # a burst: the repeat is not a move
            garp(lab, "ha7", mac, "10.1.0.37", iface=up)
        if move <= 3:
            wait_until(lambda: host(lab, "10.1.0.37")["moves"] >= move, timeout=5, desc=f"move {move}")
    h = wait_until(lambda: (x := host(lab, "10.1.0.37")) and x["frozen"] and x, timeout=5, desc="frozen")
    assert h["moves"] == 4, h
    assert counter(lab, "mobility.freezes") == 1
    r = lab.hostroutectl("tor1", "clear", "host", "10.1.0.37", "freeze")
    assert "released" in r
    assert host(lab, "10.1.0.37")["frozen"] is False


def test_rarp_after_a_migration_moves_the_host_to_its_new_port(lab, learner):
    """A hypervisor announces a migrated VM with a RARP (ethertype 0x8035: its MAC, no
    address). The learner takes it as a hint for the hosts with that MAC: seen on another
    port, the old binding is probed there, stays silent, and the host moves at once."""
    learner()
    lab.add_host("ha10", "tor1", ipv4="10.1.0.40")
    mac = lab.host_mac("ha10")
    lab.add_link("ha10", "eth1", "tor1", "ha10b", b_bridge="br10")  # the new hypervisor's port
    lab.run("ha10", f"ip link set eth1 down; ip link set eth1 address {mac}")
    garp(lab, "ha10", mac, "10.1.0.40")
    h = wait_until(lambda: learned(lab, "10.1.0.40"), timeout=5, desc="learned on its first port")
    assert h["port"] == "ha10"
    seen = counter(lab, "hosts.rarp_seen")
    # The migration: the old port goes quiet, the VM is behind the new one and only RARPs.
    lab.run("ha10", "ip link set eth0 down; ip link set eth1 up")
    scapy(lab, "ha10", f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff', type=0x8035)/"
                       f"ARP(op=3, hwsrc='{mac}', psrc='0.0.0.0', hwdst='{mac}', pdst='0.0.0.0'), iface='eth1')")
    h = wait_until(lambda: (x := host(lab, "10.1.0.40")) and x["port"] == "ha10b" and x, timeout=5,
                   desc="moved to the new port on the RARP")
    assert h["reason"] == "moved" and h["moves"] == 1, h
    moved = [e["detail"] for e in h["timeline"] if e["event"] == "moved"]
    assert moved and "rarp" in moved[-1], h["timeline"]
    assert counter(lab, "hosts.rarp_seen") == seen + 1
    assert counter(lab, "mobility.rarp_hints") >= 1


def test_malformed_frames_are_counted_and_dropped(lab, learner):
    learner()
    lab.add_host("ha8", "tor1", ipv4="10.1.0.38", ipv6="2001:db8:1::38")
    mac = lab.host_mac("ha8")
    pid = lab.daemon_pid("tor1", LEARNER)
    before = counter(lab, "packets.malformed")
    scapy(lab, "ha8", "\n".join([
        # ARP with a hardware length of 8
        f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff', type=0x0806)/Raw(bytes.fromhex('000108000804000102aabbccddee0a0100260000000000000a010002')), iface='eth0')",
        # NS with a wrong checksum
        f"sendp(Ether(src='{mac}', dst='33:33:ff:00:00:02')/IPv6(src='2001:db8:1::38', dst='ff02::1:ff00:2', hlim=255)/"
        f"ICMPv6ND_NS(tgt='2001:db8:1::2', cksum=0x1234)/ICMPv6NDOptSrcLLAddr(lladdr='{mac}'), iface='eth0')",
        # NS with hop limit 64 (RFC 4861 says drop)
        f"sendp(Ether(src='{mac}', dst='33:33:ff:00:00:02')/IPv6(src='2001:db8:1::38', dst='ff02::1:ff00:2', hlim=64)/"
        f"ICMPv6ND_NS(tgt='2001:db8:1::2')/ICMPv6NDOptSrcLLAddr(lladdr='{mac}'), iface='eth0')",
        # a zero-length ND option
        f"sendp(Ether(src='{mac}', dst='33:33:ff:00:00:02')/IPv6(src='2001:db8:1::38', dst='ff02::1:ff00:2', hlim=255)/"
        f"ICMPv6ND_NS(tgt='2001:db8:1::2')/Raw(b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'), iface='eth0')",
        # a truncated ARP
        f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff', type=0x0806)/Raw(b'\\x00\\x01\\x08\\x00'), iface='eth0')",
    ]))
    wait_until(lambda: counter(lab, "packets.malformed") >= before + 4, timeout=5, desc="malformed frames counted")
    c = counters(lab)
    assert c.get(f"{LEARNER}.packets.malformed.bad_arp_format", 0) >= 1
    assert c.get(f"{LEARNER}.packets.malformed.bad_checksum", 0) >= 1
    assert c.get(f"{LEARNER}.packets.malformed.bad_hop_limit", 0) >= 1
    assert c.get(f"{LEARNER}.packets.malformed.bad_option", 0) >= 1
    # Nothing was learned from them, and the daemon is the same process, still answering.
    assert not learned(lab, "2001:db8:1::38")
    assert lab.daemon_pid("tor1", LEARNER) == pid
    assert hosts(lab)["summary"]["hosts"] >= 0


def test_kill9_restart_resyncs_from_the_kernel(lab, learner):
    learner()
    lab.add_host("ha9", "tor1", ipv4="10.1.0.39")
    assert lab.ping("ha9", "10.1.0.2")  # the kernel now has a neighbour entry for it
    wait_until(lambda: learned(lab, "10.1.0.39"), timeout=5, desc="learned")
    lab.kill_daemon("tor1", LEARNER)
    lab.start_daemon("tor1", LEARNER)
    h = wait_until(lambda: learned(lab, "10.1.0.39"), timeout=5, desc="re-learned after kill -9")
    assert "start-up dump" in h["timeline"][0]["detail"], h["timeline"]
    # Hosts from the dump were here before: they are published without a claim.
    assert "claim" not in h["timeline"][1]["detail"], h["timeline"]


def rx_packets(lab, node, ifname="eth0"):
    return int(lab.run(node, ["cat", f"/sys/class/net/{ifname}/statistics/rx_packets"]).stdout)


def test_flooded_copies_are_not_queued_and_an_overflow_is_counted(lab, learner):
    """A broadcast entering br10 leaves by every other port, and the kernel would queue one
    more copy per egress port (PACKET_OUTGOING) on the snooping socket: the learner tells it
    not to. When a burst overflows the socket's buffer while the daemon is busy, the kernel's
    drop count reaches packets.socket_drops and the log, and learning goes on."""
    learner()
    lab.add_host("hb1", "tor1", ipv4="10.1.0.51")
    lab.add_host("hb2", "tor1", ipv4="10.1.0.52")
    mac = lab.host_mac("hb1")
    wait_until(lambda: (lab.run("hb1", ["arping", "-c", "1", "-I", "eth0", "10.1.0.2"], check=False)
                        and learned(lab, "10.1.0.51")), timeout=10, desc="hb1 learned")
    outgoing = counter(lab, "packets.outgoing")
    rx = counter(lab, "packets.rx")
    seen_by_hb2 = rx_packets(lab, "hb2")
    # 50 broadcast ARP requests from hb1, flooded to hb2's port (and every other one).
    sender = (
        "import socket, sys\n"
        "mac = bytes.fromhex(sys.argv[1].replace(':', ''))\n"
        "n = int(sys.argv[2])\n"
        "arp = bytes.fromhex('0001080006040001') + mac + bytes([10, 1, 0, 51]) + bytes(6) + bytes([10, 1, 0, 200])\n"
        "frame = b'\\xff' * 6 + mac + b'\\x08\\x06' + arp + bytes(18)\n"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        "s.bind(('eth0', 0))\n"
        "for _ in range(n):\n"
        "    s.send(frame)\n")
    lab.run("hb1", ["/usr/bin/python3", "-c", sender, mac, "50"])
    wait_until(lambda: rx_packets(lab, "hb2") >= seen_by_hb2 + 50, timeout=5, desc="the broadcasts flooded to hb2")
    # Each is read twice, on hb1's port and on br10; the copies leaving by the other ports
    # would have been queued before the second one.
    wait_until(lambda: counter(lab, "packets.rx") >= rx + 100, timeout=5, desc="the learner read them")
    assert counter(lab, "packets.outgoing") == outgoing, "flooded copies reached the socket"
    assert counter(lab, "packets.socket_drops") == 0

    # Overflow: the daemon is stopped (as if busy) while 40,000 frames arrive; each is queued
    # twice (the port and the bridge device), far beyond the 8 MB buffer.
    pid = lab.daemon_pid("tor1", LEARNER)
    os.kill(pid, signal.SIGSTOP)
    try:
        lab.run("hb1", ["/usr/bin/python3", "-c", sender, mac, "40000"], timeout=60)
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: counter(lab, "packets.socket_drops") > 0, timeout=20, desc="socket drops counted")
    log = lab.daemon_log("tor1", LEARNER).read_text()
    assert "event=snooping_overflow" in log
    # The same process, still learning.
    assert lab.daemon_pid("tor1", LEARNER) == pid
    wait_until(lambda: (lab.run("hb2", ["arping", "-c", "1", "-I", "eth0", "10.1.0.2"], check=False)
                        and learned(lab, "10.1.0.52")), timeout=10, desc="hb2 learned after the overflow")
