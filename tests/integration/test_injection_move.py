"""The move signal (docs/frr-config.md, ZAPI.md §9) on real FRR, in an OSPF fabric and in an
eBGP fabric, each configured as docs/frr-config.md prescribes
(lab/topologies/injection-ospf.toml, injection-ebgp.toml).

tor1 holds 10.1.0.50/32 (distance 250, tag 2); the host moves and tor2 claims it (distance
10, tag 1): tor1's zebra selects tor2's copy over its held route, redistributes it to
fpm_client, and fpm_client tells the learner (RemoteRoute present=true); the spine moves to
tor2. The learner then withdraws on tor1 (it would after a failed probe); tor2 relaxes to hold
and keeps the host. Timings are not asserted here beyond a generous bound: this test prints the
signal's delay at tor1 (one sample per fabric, `pytest -s`), and bench/lab_learning.py --moves
measures whole moves with the learner (bench/lab_injection.py measures injection, not moves)."""

import time

import pytest

from injection_lab import (TOPOLOGIES, LearnerClient, hrlab, injection_config, route_entry, show, start_fpm,
                           wait_client_state)

HOST = "10.1.0.50"
HOST6 = "2001:db8:1::50"
BOUND = 5.0  # seconds: the signal must arrive within this (it takes ~25 ms / ~175 ms)

FABRICS = [("injection-ospf", "ospf", "ospf6"), ("injection-ebgp", "bgp", "bgp")]


@pytest.fixture(scope="module", params=FABRICS, ids=[f[0] for f in FABRICS])
def fabric(request):
    from conftest import lab_prefix, require_lab_environment
    require_lab_environment()
    topo, proto4, proto6 = request.param
    lab = hrlab.Lab.from_file(TOPOLOGIES / f"{topo}.toml", prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        yield lab, proto4, proto6
    finally:
        lab.down(keep_logs=request.module.__dict__.get("_hrlab_failed", False) or None)


@pytest.fixture
def tors(fabric):
    lab, proto4, proto6 = fabric
    cfg = injection_config(move_signal={"claim_window": 1000}, graceful_restart={"stop_action": "withdraw"})
    clients = {}
    for tor in ("tor1", "tor2"):
        start_fpm(lab, tor, cfg)
        clients[tor] = LearnerClient(lab.daemon_socket(tor, "fpm_client"))
        clients[tor].subscribe()
    yield lab, proto4, proto6, clients
    for tor, c in clients.items():
        c.close()
        lab.stop_daemon(tor, "fpm_client")
    for tor in ("tor1", "tor2"):
        lab.wait_route(tor, f"{HOST}/32", present=False, protocol="table", timeout=10)
        lab.wait_route(tor, f"{HOST6}/128", present=False, protocol="table", timeout=10)


def spine_via(lab, proto, prefix, tor, timeout=15):
    lab.wait_route("spine", prefix, protocol=proto, via_router=tor, timeout=timeout)


def wait_remote(client, addr, proto, present=True, timeout=BOUND):
    def seen():
        ev = [r for r in client.remote_events(addr) if r[2] == proto and r[3] == present]
        return hrlab.Observation(bool(ev), observed=client.remote_events(addr))
    return hrlab.wait_until(seen, timeout=timeout, interval=0.005,
                            desc=f"RemoteRoute {addr} {proto} present={present}")


def test_old_tor_hears_the_claim(tors):
    lab, proto4, proto6, c = tors
    # The host lives on tor1 (held: no claim flag).
    c["tor1"].sync(1, [HOST, HOST6])
    wait_client_state(c["tor1"], [HOST, HOST6])
    spine_via(lab, proto4, f"{HOST}/32", "tor1")
    spine_via(lab, proto6, f"{HOST6}/128", "tor1")
    assert route_entry(lab, "tor1", f"{HOST}/32", "table")["distance"] == 250
    assert not c["tor1"].remote_events(HOST)

    # It moves: tor2's learner sees it and claims it.
    t0 = time.monotonic()
    c["tor2"].sync(1, [])
    c["tor2"].add([HOST, HOST6], claim=True)
    wait_remote(c["tor1"], HOST, proto4)
    wait_remote(c["tor1"], HOST6, proto6)
    took = time.monotonic() - t0
    print(f"move signal at tor1 after {took * 1000:.1f} ms ({proto4})")
    spine_via(lab, proto4, f"{HOST}/32", "tor2")
    spine_via(lab, proto6, f"{HOST6}/128", "tor2")
    # tor1's own route lost to the remote copy in its zebra.
    wait_client_state(c["tor1"], [HOST, HOST6], "ROUTE_SHADOWED")
    r = show(lab, "tor1", "routes", HOST)["routes"][0]
    assert r["remoteProtocol"] == proto4, r
    assert show(lab, "tor1", "zebra")["counters"]["routes.remote_signals"] >= 2

    # The learner probes, the host is gone: tor1 withdraws. tor2 relaxes to hold and keeps it.
    c["tor1"].withdraw([HOST, HOST6])
    lab.wait_route("tor1", f"{HOST}/32", present=False, protocol="table", timeout=10)

    def held():
        r2 = show(lab, "tor2", "routes", HOST)["routes"][0]
        return hrlab.Observation(r2["mode"] == "hold" and r2["state"] == "installed", observed=r2)
    hrlab.wait_until(held, timeout=10, desc="tor2 relaxed to an installed hold")
    spine_via(lab, proto4, f"{HOST}/32", "tor2")
    spine_via(lab, proto6, f"{HOST6}/128", "tor2")
    if proto4 == "bgp":
        # The held route is prepended by HOSTROUTES-OUT and carries the host-route community.
        best = lab.bgp_best_path("spine", f"{HOST}/32")
        hrlab.wait_until(lambda: lab.bgp_best_path("spine", f"{HOST}/32")["aspath"]["string"] == "65002 65002 65002",
                         timeout=10, desc="spine sees tor2's held path prepended")
        assert "65000:100" in best.get("community", {}).get("string", ""), best


def test_both_claiming_hear_each_other_once_one_relaxes(tors):
    """The corner of the scheme: while both ToRs claim, neither hears the other (both win
    locally at distance 10). The first to relax (end of its claim window) hears the other."""
    lab, proto4, _, c = tors
    c["tor1"].sync(1, [])
    c["tor2"].sync(1, [])
    c["tor1"].add([HOST], claim=True)
    spine_via(lab, proto4, f"{HOST}/32", "tor1")
    c["tor2"].add([HOST], claim=True)  # within tor1's claim window
    # tor1 relaxes first (it claimed first): then tor2's claim beats its hold.
    wait_remote(c["tor1"], HOST, proto4, timeout=BOUND + 1.0)
    spine_via(lab, proto4, f"{HOST}/32", "tor2")
    r = show(lab, "tor1", "routes", HOST)["routes"][0]
    assert (r["mode"], r["state"]) == ("hold", "shadowed"), r
    c["tor1"].withdraw([HOST])
    lab.wait_route("tor1", f"{HOST}/32", present=False, protocol="table", timeout=10)
