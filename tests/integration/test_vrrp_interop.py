"""Interop on one segment (lab/topologies/vrrp_interop.toml): vrrp_anycast (r1) with FRR
8.4's vrrpd (r2), then with keepalived 2.2.7 (r3): the same master, priorities and
preemption seen from both sides, IPv4 and IPv6, and a host keeps its gateway.

Each side's view of the other is read from that side: ours from `show vrrp --json`, FRR's
from its own JSON (the master's interval it learned: ours is 1.2 s, FRR's own 1 s) and its
`debug vrrp protocol` log (every advertisement it received, with the priority), keepalived's
from its log (the priority of the advertisement that made it step down) and its state.
Preemption is exercised off and on, on both sides.

vrrp_anycast runs classic VRRP here (anycast false): one plain segment, where only the
master may own the virtual MAC (shared/VRRP.md P10, docs/vrrp-anycast.md "Interoperability").
"""

import json
import re
import shutil

import pytest

import hrlab
from conftest import lab_prefix, require_lab_environment
from vrrp_support import VIP4, VIP6, config, group, groups, wait_role
from hrlab import Observation, wait_until

TOPOLOGY = hrlab.DEFAULT_TOPOLOGY.parent / "vrrp_interop.toml"
FAMS = ("ipv4", "ipv6")
OUR_INTERVAL_CS = 120  # distinct from the peers' 1 s: a peer that learned it heard us


def ours(priority, preempt=True):
    return config(interface="eth0", groups=[group(priority, preempt=preempt, anycast=False,
                                                  **{"advertisement-interval": OUR_INTERVAL_CS})])


def set_ours(lab, priority, preempt=True):
    lab.config_path("r1").write_text(json.dumps(ours(priority, preempt)))
    lab.hostroutectl("r1", "reload")


def ours_is(lab, state, master_addr4=None, master_prio=None):
    """Waits until both our instances are in `state` and, if given, know that master."""
    def check():
        g = groups(lab, "r1")
        seen = {f: (g[f]["state"], (g[f]["master"] or {}).get("address"), (g[f]["master"] or {}).get("priority"))
                for f in FAMS}
        ok = all(st == state and (master_prio is None or p == master_prio) for st, _, p in seen.values())
        ok = ok and (master_addr4 is None or seen["ipv4"][1] == master_addr4)
        return Observation(ok, observed=seen, expected=(state, master_addr4, master_prio))
    wait_until(check, timeout=15, desc="our VRRP state on r1")


def our_sources(lab):
    g = groups(lab, "r1")
    return {"ipv4": g["ipv4"]["primaryAddress"], "ipv6": g["ipv6"]["primaryAddress"]}


def gateway_works(lab):
    for dest in (VIP4, VIP6, "10.9.9.9", "2001:db8:9::9"):
        assert lab.ping("h1", dest, count=2), f"h1 -> {dest}"


def received(lab):
    return min(g["statistics"]["advertisement-rcvd"] for g in groups(lab, "r1").values())


def sent(lab):
    return min(g["statistics"]["advertisement-sent"] for g in groups(lab, "r1").values())


def stays_backup_while_hearing(lab, n=5):
    """Preempt off: r1 hears n more advertisements (n s > Master_Down_Interval) and stays
    backup."""
    start = received(lab)
    wait_until(lambda: Observation(received(lab) >= start + n, observed=received(lab) - start, expected=f">= {n}"),
               timeout=n + 5, desc="advertisements from the master")
    assert {f: g["state"] for f, g in groups(lab, "r1").items()} == {"ipv4": "backup", "ipv6": "backup"}


def no_errors(lab):
    st = lab.hostroutectl("r1", "show", "vrrp", "--json", json=True)
    assert st["globalStatistics"] == {"checksum-errors": 0, "version-errors": 0, "vrid-errors": 0, "ip-ttl-errors": 0}, st
    assert st["receiveDrops"]["address-list-errors"] == 0, st


@pytest.fixture(scope="module")
def lab(request):
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPOLOGY, prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        lab.start_daemon("r1", "vrrp_anycast", config=ours(200))
        yield lab
    finally:
        failed = request.module.__dict__.get("_hrlab_failed", False)
        lab.down(keep_logs=failed or None)


# --- FRR vrrpd -------------------------------------------------------------------------------

FRR_MACVLANS = """
set -e
for f in 4 6; do
  ip link add vrrp$f-10 link eth0 type macvlan mode bridge
  ip link set dev vrrp$f-10 addrgenmode random
done
ip link set vrrp4-10 address 00:00:5e:00:01:0a
ip link set vrrp6-10 address 00:00:5e:00:02:0a
sysctl -qw net.ipv6.conf.vrrp4-10.disable_ipv6=1 net.ipv6.conf.vrrp6-10.accept_dad=0
ip addr add 10.1.0.1/24 dev vrrp4-10
ip addr add 2001:db8:1::1/64 dev vrrp6-10 nodad
ip link set vrrp4-10 up
ip link set vrrp6-10 up
"""


def frr_vr(lab):
    vr = [v for v in lab.vtysh_json("r2", "show vrrp json") if v["vrid"] == 10]
    return vr[0] if vr else {}


def frr_status(lab):
    vr = frr_vr(lab)
    return {"ipv4": vr["v4"]["status"], "ipv6": vr["v6"]["status"]} if vr else {}


def frr_is(lab, status):
    want = {f: status for f in FAMS}
    wait_until(lambda: Observation(frr_status(lab) == want, observed=frr_status(lab), expected=want),
               timeout=15, desc="FRR vrrpd state")


FRR_RX = re.compile(r"\[VRID 10\] \[IPv(4|6)\] Received VRRP Advertisement from (\S+): version 3, .*?"
                    r"priority (\d+), #\d+ addresses, max adver int (\d+)")


class FrrLog:
    """The advertisements FRR's vrrpd logged as received (`debug vrrp protocol`), from mark()."""

    def __init__(self, lab):
        self.path = lab.node_workdir("r2") / "vrrpd.log"
        self.mark()

    def mark(self):
        self.offset = self.path.stat().st_size

    def received(self):
        with open(self.path, errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
        return [(f"ipv{m.group(1)}", m.group(2), int(m.group(3)), int(m.group(4))) for m in FRR_RX.finditer(text)]


def frr_heard_us(lab, log, prio, n=3):
    """FRR logged at least n advertisements of each family from our sources, all (from the
    first at `prio` on) with priority `prio` and our interval."""
    src = our_sources(lab)

    def check():
        got = {f: [(p, i) for fam, s, p, i in log.received() if fam == f and s == src[f]] for f in FAMS}
        # From the first advertisement at the new priority on (a change is advertised at once).
        tail = {f: got[f][next((k for k, (p, _) in enumerate(got[f]) if p == prio), len(got[f])):] for f in FAMS}
        ok = all(len(tail[f]) >= n and all(x == (prio, OUR_INTERVAL_CS) for x in tail[f]) for f in FAMS)
        return Observation(ok, observed=got, expected=f">= {n} x ({prio}, {OUR_INTERVAL_CS}) from {src}")
    wait_until(check, timeout=n + 10, desc="FRR's log of our advertisements")


def test_frr_vrrpd(lab):
    lab.run("r2", FRR_MACVLANS)
    try:
        lab.vtysh("r2", "debug vrrp packets", "debug vrrp protocol")
        log = FrrLog(lab)
        lab.frr_config("r2", ["interface eth0", " vrrp 10 version 3", " vrrp 10 priority 100",
                              f" vrrp 10 ip {VIP4}", f" vrrp 10 ipv6 {VIP6}"])
        # Ours 200, FRR 100: ours is master, FRR agrees: it logs our priority and learned our
        # interval (1.2 s; its own is 1 s).
        ours_is(lab, "master")
        frr_is(lab, "Backup")
        frr_heard_us(lab, log, 200)
        vr = frr_vr(lab)
        for v in ("v4", "v6"):
            assert vr[v]["masterAdverInterval"] == OUR_INTERVAL_CS * 10 and vr[v]["effectivePriority"] == 100, vr[v]
        gateway_works(lab)

        # Ours 50: FRR hears it at once and preempts; we see FRR's priority.
        log.mark()
        set_ours(lab, 50)
        frr_heard_us(lab, log, 50, n=1)
        frr_is(lab, "Master")
        ours_is(lab, "backup", master_addr4="10.1.0.12", master_prio=100)
        gateway_works(lab)

        # Ours 200 without preemption: FRR stays master.
        set_ours(lab, 200, preempt=False)
        stays_backup_while_hearing(lab)
        frr_is(lab, "Master")

        # Preemption on: ours takes over, FRR agrees.
        log.mark()
        set_ours(lab, 200, preempt=True)
        ours_is(lab, "master")
        frr_is(lab, "Backup")
        frr_heard_us(lab, log, 200)
        gateway_works(lab)

        # FRR without preemption, at 150 above our 100: FRR hears our lower priority for longer
        # than its Master_Down_Interval and stays backup (its own counter proves it listened).
        lab.frr_config("r2", ["interface eth0", " vrrp 10 priority 150", " no vrrp 10 preempt"])
        log.mark()
        rx = {v: frr_vr(lab)[v]["stats"]["adverRx"] for v in ("v4", "v6")}
        set_ours(lab, 100)
        frr_heard_us(lab, log, 100, n=6)
        vr = frr_vr(lab)
        assert (vr["preemptMode"], vr["v4"]["effectivePriority"]) == (False, 150), vr
        assert {v: vr[v]["stats"]["adverRx"] - rx[v] >= 6 for v in ("v4", "v6")} == {"v4": True, "v6": True}, vr
        assert frr_status(lab) == {"ipv4": "Backup", "ipv6": "Backup"}
        assert {f: g["state"] for f, g in groups(lab, "r1").items()} == {"ipv4": "master", "ipv6": "master"}
        # ... and preempts once preemption is on again.
        lab.frr_config("r2", ["interface eth0", " vrrp 10 preempt"])
        frr_is(lab, "Master")
        ours_is(lab, "backup", master_addr4="10.1.0.12", master_prio=150)
        gateway_works(lab)
        no_errors(lab)
    finally:
        lab.frr_config("r2", ["interface eth0", " no vrrp 10"], check=False)
        lab.run("r2", "ip link del vrrp4-10; ip link del vrrp6-10", check=False)


# --- keepalived -------------------------------------------------------------------------------

KEEPALIVED = """global_defs {{
    router_id {ns}
    vrrp_version 3
}}
vrrp_instance VI4 {{
    state BACKUP
    {preempt}
    interface eth0
    virtual_router_id 10
    priority {prio}
    advert_int 1
    use_vmac vrrp4-10
    virtual_ipaddress {{
        10.1.0.1/24
    }}
}}
vrrp_instance VI6 {{
    state BACKUP
    {preempt}
    interface eth0
    virtual_router_id 10
    priority {prio}
    advert_int 1
    use_vmac vrrp6-10
    native_ipv6
    virtual_ipaddress {{
        2001:db8:1::1/64
    }}
}}
"""


def ka_states(log):
    text = log.read_text(errors="replace") if log.exists() else ""
    out = {}
    for inst, fam in (("VI4", "ipv4"), ("VI6", "ipv6")):
        m = re.findall(rf"\({inst}\) Entering (\w+) STATE", text)
        out[fam] = m[-1] if m else None
    return out


def ka_is(log, state):
    want = {f: state for f in FAMS}
    wait_until(lambda: Observation(ka_states(log) == want, observed=ka_states(log), expected=want),
               timeout=15, desc="keepalived state")


class Keepalived:
    def __init__(self, lab):
        self.lab, self.dir, self.proc = lab, lab.node_workdir("r3"), None

    def start(self, prio, preempt=True, name="keepalived"):
        conf, self.log = self.dir / f"{name}.conf", self.dir / f"{name}.log"
        conf.write_text(KEEPALIVED.format(ns=self.lab.ns("r3"), prio=prio, preempt="" if preempt else "nopreempt"))
        self.proc = self.lab.popen("r3", ["keepalived", "-n", "-l", "-D", "-P", "-R", "-f", str(conf),
                                          "-p", str(self.dir / "ka.pid"), "-r", str(self.dir / "ka-vrrp.pid"),
                                          "-c", str(self.dir / "ka-check.pid")], log=self.log)
        return self.log

    def stop(self):
        # SIGTERM: it sends priority 0, removes its VIPs and VMAC interfaces (shared/VRRP.md §2).
        self.proc.terminate()
        self.proc.wait(timeout=15)


def test_keepalived(lab):
    assert shutil.which("keepalived"), "keepalived is not installed (./dev.sh deps installs it)"
    ka = Keepalived(lab)
    set_ours(lab, 50)
    log = ka.start(150)
    # keepalived 150 preempts ours at 50; both agree, and we see its priority.
    ka_is(log, "MASTER")
    ours_is(lab, "backup", master_addr4="10.1.0.13", master_prio=150)
    gateway_works(lab)

    # Ours 200 without preemption: keepalived stays master.
    set_ours(lab, 200, preempt=False)
    stays_backup_while_hearing(lab)
    assert ka_states(log) == {"ipv4": "MASTER", "ipv6": "MASTER"}

    # With preemption: ours takes over; keepalived logs our priority and steps down.
    set_ours(lab, 200)
    ours_is(lab, "master")
    ka_is(log, "BACKUP")
    text = log.read_text()
    assert "(VI4) Master received advert from 10.1.0.11 with higher priority 200, ours 150" in text, text[-2000:]
    assert "with higher priority 200, ours 150" in text.split("(VI6) Master received advert", 1)[-1][:200]
    gateway_works(lab)

    # keepalived without preemption (nopreempt), at 250 above our 200, started while ours is
    # master: it stays BACKUP while we advertise for longer than its Master_Down_Interval
    # (3 s): it heard us, or it would have taken over (as it does once we leave, below).
    ka.stop()
    wait_role(lab, "r1", {f: {"state": "master"} for f in FAMS}, timeout=15)
    log = ka.start(250, preempt=False, name="keepalived-nopreempt")
    ka_is(log, "BACKUP")
    start = sent(lab)
    wait_until(lambda: Observation(sent(lab) >= start + 6, observed=sent(lab) - start, expected=">= 6"),
               timeout=15, desc="our advertisements while keepalived listens")
    assert ka_states(log) == {"ipv4": "BACKUP", "ipv6": "BACKUP"}, log.read_text()[-2000:]
    assert "Entering MASTER STATE" not in log.read_text()
    assert {f: g["state"] for f, g in groups(lab, "r1").items()} == {"ipv4": "master", "ipv6": "master"}
    # Ours leaves (SIGTERM: priority 0): keepalived takes over, and we see its priority once
    # back.
    lab.stop_daemon("r1", "vrrp_anycast")
    ka_is(log, "MASTER")
    lab.start_daemon("r1", "vrrp_anycast", config=ours(100))
    ours_is(lab, "backup", master_addr4="10.1.0.13", master_prio=250)
    gateway_works(lab)
    no_errors(lab)
    ka.stop()
