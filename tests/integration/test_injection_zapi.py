"""Host-route injection through fpm_client's ZAPI session, on real FRR 8.4 (lab topology
lab/topologies/injection.toml: eBGP + OSPFv2/v3, tor1 and tor2 configured as
docs/frr-config.md prescribes). fpm_client is driven over its IPC exactly as the learner
drives it (tests/integration/injection_ipc.py): Hello, Subscribe, SyncBegin, RouteIntents,
SyncEnd, deltas.

Shown here: a /32 and a /128 reach tor1's RIB as table routes with our distance and the
spine's BGP, OSPF and OSPFv3 pointing to tor1; claims relax to holds; withdrawal; the host
interface going down and up; kill -9 of fpm_client with zebra's graceful restart (the spine
never loses the route, no flap, the stale route not re-sent is swept by COMPLETE); FRR
restarted as watchfrr does; mark and sweep of the learner's resync."""

import time

import pytest

from injection_lab import (TOPOLOGIES, LearnerClient, RouteWatcher, hrlab, injection_config, route_entry, show,
                           start_fpm, wait_client_state)

V4 = "10.1.0.50"
V6 = "2001:db8:1::50"


@pytest.fixture(scope="module")
def lab(request):
    from conftest import lab_prefix, require_lab_environment
    require_lab_environment()
    lab = hrlab.Lab.from_file(TOPOLOGIES / "injection.toml", prefix=lab_prefix(), log=lambda m: print(f"[hrlab] {m}"))
    try:
        lab.up(wait=True, timeout=60)
        yield lab
    finally:
        lab.down(keep_logs=request.module.__dict__.get("_hrlab_failed", False) or None)


@pytest.fixture
def tor1(lab):
    """fpm_client on tor1 (claim window 500 ms) and a learner stand-in subscribed to it;
    afterwards every route is withdrawn and fpm_client stopped."""
    start_fpm(lab, "tor1", injection_config(move_signal={"claim_window": 500}))
    c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
    c.subscribe()
    yield c
    c.close()
    if lab.daemon_pid("tor1", "fpm_client"):
        # GR_DISABLE on stop: zebra withdraws everything now, the next test starts clean.
        lab.config_path("tor1").write_text('{"frr-hostroute:hostroute": {"learning": {"injection": '
                                           '{"graceful-restart": {"stop-action": "withdraw"}}}}}')
        lab.hostroutectl("tor1", "reload")
        lab.stop_daemon("tor1", "fpm_client")
    for p in (f"{V4}/32", f"{V6}/128"):
        lab.wait_route("tor1", p, present=False, protocol="table", timeout=10)


def wait_on_spine(lab, via="tor1", present=True, addrs=(V4, V6), timeout=15):
    for a in addrs:
        p = f"{a}/32" if ":" not in a else f"{a}/128"
        lab.wait_route("spine", p, present=present, protocol="bgp", via_router=via if present else None, timeout=timeout)


def test_host_routes_reach_tor_rib_and_spine_bgp_ospf(lab, tor1):
    tor1.sync(1, [V4, V6])
    # tor1's RIB: table routes, selected, via br10, with the hold distance.
    for p in (f"{V4}/32", f"{V6}/128"):
        lab.wait_route("tor1", p, protocol="table", timeout=10)
        e = route_entry(lab, "tor1", p, "table")
        assert e["distance"] == 250, e
        assert [n.get("interfaceName") for n in e["nexthops"]] == ["br10"], e
    # The spine: BGP (v4 and v6) and OSPF / OSPFv3 externals, all pointing to tor1.
    wait_on_spine(lab)
    lab.wait_route("spine", f"{V4}/32", protocol="ospf", via_router="tor1", selected=False, timeout=15)
    lab.wait_route("spine", f"{V6}/128", protocol="ospf6", via_router="tor1", selected=False, timeout=15)
    # zebra's word on each route reached the learner, and show routes says the same.
    wait_client_state(tor1, [V4, V6])
    routes = show(lab, "tor1", "routes")
    assert routes["total"] == 2 and routes["states"]["installed"] == 2, routes
    r = show(lab, "tor1", "routes", V4)["routes"][0]
    assert (r["interface"], r["state"], r["mode"], r["distance"], r["tag"], r["method"]) == \
        ("br10", "installed", "hold", 250, 2, "zapi"), r
    z = show(lab, "tor1", "zebra")
    assert z["session"]["frrVersion"].startswith("8.4"), z["session"]
    assert z["frrConfig"]["ok"] is True, z["frrConfig"]
    assert z["frrConfig"]["moveSignalBgp"] is True, z["frrConfig"]

    tor1.withdraw([V4, V6])
    for p in (f"{V4}/32", f"{V6}/128"):
        lab.wait_route("tor1", p, present=False, protocol="table", timeout=10)
    wait_on_spine(lab, present=False)
    lab.wait_route("spine", f"{V4}/32", present=False, protocol="ospf", timeout=15)
    lab.wait_route("spine", f"{V6}/128", present=False, protocol="ospf6", timeout=15)
    assert show(lab, "tor1", "routes")["total"] == 0


def test_claim_is_relaxed_to_hold(lab, tor1):
    tor1.add([V4], claim=True)
    lab.wait_route("tor1", f"{V4}/32", protocol="table", timeout=10)
    wait_on_spine(lab, addrs=[V4])

    def distance(want):
        e = route_entry(lab, "tor1", f"{V4}/32", "table")
        return hrlab.Observation(e is not None and e["distance"] == want, observed=e, expected=want)
    # The claim (distance 10, unprepended) is seen first or the hold already: the window is
    # 500 ms; what must hold is that it ends as a hold with the prepended AS path.
    hrlab.wait_until(lambda: distance(250), timeout=10, desc="claim relaxed to hold distance 250")

    def prepended():
        best = lab.bgp_best_path("spine", f"{V4}/32")
        path = best["aspath"]["string"] if best else None
        return hrlab.Observation(path == "65001 65001 65001", observed=path, expected="65001 65001 65001")
    hrlab.wait_until(prepended, timeout=10, desc="held route prepended by HOSTROUTES-OUT")
    best = lab.bgp_best_path("spine", f"{V4}/32")
    assert "65000:100" in best.get("community", {}).get("string", ""), best
    assert show(lab, "tor1", "zebra")["counters"]["routes.relaxed"] >= 1


def test_interface_down_withdraws_and_up_restores(lab, tor1):
    tor1.sync(1, [V4, V6])
    wait_on_spine(lab)
    lab.link_down("tor1", "br10")
    for p in (f"{V4}/32", f"{V6}/128"):
        lab.wait_route("tor1", p, present=False, protocol="table", timeout=10)
    wait_on_spine(lab, present=False)
    r = show(lab, "tor1", "routes", V4)["routes"][0]
    assert (r["state"], r["reason"]) == ("waiting", "interface br10 is down"), r
    wait_client_state(tor1, [V4, V6], "ROUTE_WAITING")

    lab.link_up("tor1", "br10")
    for p in (f"{V4}/32", f"{V6}/128"):
        lab.wait_route("tor1", p, protocol="table", timeout=10)
    wait_on_spine(lab)
    # Not only zebra's RIB: the kernel FIB has the route again (ZAPI.md §7.1).
    fib = lab.run("tor1", ["ip", "route", "show", f"{V4}/32"]).stdout
    assert "dev br10" in fib and "proto zebra" in fib, fib
    wait_client_state(tor1, [V4, V6])


def test_kill9_and_restart_keeps_routes_without_a_flap(lab, tor1):
    gone = "10.1.0.51"
    tor1.sync(1, [V4, V6, gone])
    wait_on_spine(lab, addrs=[V4, V6, gone])
    wait_client_state(tor1, [V4, V6, gone])
    # Crash in a later second than the adds: zebra's graceful restart then counts the old
    # routes as stale (it compares whole seconds), which is the case that could flap.
    hrlab.wait_until(lambda: route_entry(lab, "tor1", f"{V4}/32", "table")["uptime"] != "00:00:00",
                     timeout=5, desc="tor1's route at least a second old")
    # The spine's table version of the prefix moves on any change (a withdraw, an update with
    # other attributes); an identical re-advertisement leaves it. (lastUpdate.epoch is no
    # evidence: vtysh derives it from monotonic time at query time, +-1 s.)
    before = lab.vtysh_json("spine", f"show bgp ipv4 unicast {V4}/32 json")["version"]
    with RouteWatcher(lab, "spine", [f"{V4}/32", f"{V6}/128"]) as watch:
        lab.kill_daemon("tor1", "fpm_client")
        tor1.close()
        start_fpm(lab, "tor1", injection_config(move_signal={"claim_window": 500}))
        c = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
        c.subscribe()
        c.sync(2, [V4, V6])  # the learner re-syncs; `gone` is no longer a host here

        def complete():
            gr = show(lab, "tor1", "zebra")["gracefulRestart"]
            return hrlab.Observation(gr["state"] == "complete", observed=gr)
        hrlab.wait_until(complete, timeout=15, desc="graceful restart complete")
        wait_client_state(c, [V4, V6])
        # COMPLETE swept the route that was not re-sent, long before the 60 s stale time.
        lab.wait_route("spine", f"{gone}/32", present=False, protocol="bgp", timeout=10)
        lab.wait_route("tor1", f"{gone}/32", present=False, protocol="table", timeout=10)
    c.close()
    assert watch.samples >= 2, watch.samples
    assert not watch.missing, f"the spine lost a host route during the restart: {watch.missing[:5]}"
    after = lab.vtysh_json("spine", f"show bgp ipv4 unicast {V4}/32 json")["version"]
    assert after == before, f"the spine's BGP route changed (version {before} -> {after}): a flap"


def test_frr_restart_reinjects_everything(lab, tor1):
    tor1.sync(1, [V4, V6])
    wait_on_spine(lab)
    sessions = show(lab, "tor1", "zebra")["session"]["sessions"]
    lab.restart_frr("tor1")  # stop all daemons, start zebra, then the rest (watchfrr)
    lab.wait_bgp_established("tor1", timeout=30)
    for p in (f"{V4}/32", f"{V6}/128"):
        lab.wait_route("tor1", p, protocol="table", timeout=20)
    wait_on_spine(lab, timeout=30)
    z = show(lab, "tor1", "zebra")
    assert z["session"]["sessions"] == sessions + 1, z["session"]
    assert z["counters"]["routes.replays"] >= 2
    wait_client_state(tor1, [V4, V6])


def test_resync_sweeps_only_stale_routes_and_a_missing_learner_changes_nothing(lab, tor1):
    a, b, c_, d = "10.1.0.61", "10.1.0.62", "10.1.0.63", "10.1.0.64"
    tor1.sync(1, [a, b, c_])
    wait_on_spine(lab, addrs=[a, b, c_])
    tor1.sync(2, [a, c_, d])
    lab.wait_route("tor1", f"{b}/32", present=False, protocol="table", timeout=10)
    wait_on_spine(lab, addrs=[b], present=False)
    wait_on_spine(lab, addrs=[a, c_, d])
    routes = show(lab, "tor1", "routes")
    assert sorted(r["address"] for r in routes["routes"]) == [a, c_, d]
    assert show(lab, "tor1", "zebra")["counters"]["routes.swept"] == 1

    tor1.close()  # the learner goes away

    def gone():
        l = show(lab, "tor1", "zebra")["learner"]
        return hrlab.Observation(not l["connected"], observed=l)
    hrlab.wait_until(gone, timeout=10, desc="fpm_client noticed the learner left")
    assert show(lab, "tor1", "routes")["total"] == 3
    for x in (a, c_, d):
        assert route_entry(lab, "tor1", f"{x}/32", "table") is not None
    # A new learner session re-syncs; routes it re-sends are untouched.
    c2 = LearnerClient(lab.daemon_socket("tor1", "fpm_client"))
    c2.subscribe()
    hrlab.wait_until(lambda: c2.snapshots["route-status"] == 1, timeout=10, desc="status snapshot on Subscribe")
    assert c2.count_state("ROUTE_INSTALLED") == 3
    c2.sync(3, [a, c_, d])
    wait_client_state(c2, [a, c_, d])
    c2.withdraw([a, c_, d])
    for x in (a, c_, d):
        lab.wait_route("tor1", f"{x}/32", present=False, protocol="table", timeout=10)
    c2.close()
