"""The lab: network namespaces, veth links, bridges, hosts and real FRR.

`Lab` builds a topology (hrlab.topology) in namespaces named
`<prefix>-<node>`, starts FRR per router with the pathspace option `-N`, and
offers the operations tests need: run commands in nodes, talk to FRR via vtysh
(JSON), wait for BGP/OSPF/routes with deadlines, add/move/remove hosts, start
the suite's daemons, and tear everything down. See lab/README.md.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import frrconf, proc
from .proc import (FRR_ETC, FRR_RUN, HR_ETC, HR_RUN, LabError, check_prefix, sh,
                   workdir_for)
from .topology import (Host, Link, LinkEnd, Topology, bridge_mac, host_mac, iface_mac,
                       load as load_topology)
from .waiting import Observation, wait_until

FRR_BIN = Path("/usr/lib/frr")
SUITE_DAEMONS = ("hostroute_learner", "fpm_client", "vrrp_anycast", "proxyarp")
REPO_ROOT = Path(__file__).resolve().parents[2]

# Sysctls set in every namespace before any link exists (new interfaces
# inherit `default`): no DAD waits, keep IPv6 addresses across link down/up,
# no reverse-path filtering (the fabric routes asymmetrically).
COMMON_SYSCTLS = {
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    "net.ipv6.conf.all.keep_addr_on_down": "1",
    "net.ipv6.conf.default.keep_addr_on_down": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
}
FORWARDING_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    "net.ipv6.conf.default.forwarding": "1",
}


def default_build_dir() -> Path:
    """The C++ build dir: env HR_BUILD_DIR, else <repo>/build."""
    return Path(os.environ.get("HR_BUILD_DIR") or REPO_ROOT / "build")


def _frr_uid_gid() -> tuple[int, int]:
    import grp
    import pwd
    try:
        return pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    except KeyError:
        raise LabError("user/group 'frr' missing: is the Debian package 'frr' installed?") from None


def _chown_frr(path: Path) -> None:
    uid, gid = _frr_uid_gid()
    os.chown(path, uid, gid)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        data = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(data[-lines:]) or f"(empty log {path})"


class Lab:
    """A running (or to-be-run) lab of one topology under one prefix.

    Construct with a topology (dict, TOML path or Topology) and a prefix
    (default env HRLAB_PREFIX, else 'hr'); `up()` builds it, `down()` removes
    it. Usable as a context manager (`with Lab.from_file(p) as lab:`), which
    calls up() on entry and down() on exit.
    """

    def __init__(self, topology: dict | str | Path | Topology, prefix: str | None = None,
                 build_dir: str | Path | None = None, log: Callable[[str], None] | None = None,
                 frr_log_level: str | None = None, strict_config: bool = True):
        """Prepare (but do not build) a lab; `log` receives progress lines.

        strict_config: up() fails if a generated frr.conf line was rejected by
        every FRR daemon of the router (see check_frr_config).
        """
        self.strict_config = strict_config
        self.topo = load_topology(topology)
        self.prefix = check_prefix(prefix or proc.default_prefix())
        self.build_dir = Path(build_dir) if build_dir else default_build_dir()
        self.workdir = workdir_for(self.prefix)
        self.log = log or (lambda msg: None)
        self.frr_log_level = frr_log_level or self.topo.frr["log_level"]
        self.hosts: dict[str, Host] = {}
        self.host_gateways: dict[str, tuple[str | None, str | None]] = {}
        self.extra_links: list[Link] = []
        self.timings: dict[str, float] = {}
        self._procs: dict[tuple[str, str], subprocess.Popen] = {}
        self._bg: list[subprocess.Popen] = []
        self.leftovers_removed: dict = {}

    @classmethod
    def from_file(cls, path: str | Path, prefix: str | None = None, **kw) -> "Lab":
        """A Lab for the TOML topology file `path`."""
        return cls(Topology.from_file(path), prefix=prefix, **kw)

    # ------------------------------------------------------------------
    # names
    # ------------------------------------------------------------------
    def ns(self, node: str) -> str:
        """The namespace name of `node`: `<prefix>-<node>`."""
        return f"{self.prefix}-{node}"

    @property
    def routers(self) -> list[str]:
        """Router names (FRR runs there)."""
        return list(self.topo.routers)

    def _node_exists(self, node: str) -> bool:
        return node in self.topo.routers or node in self.topo.namespaces or node in self.hosts

    def _check_node(self, node: str) -> str:
        if not self._node_exists(node):
            raise LabError(f"unknown node {node!r}; nodes: {self.nodes()}")
        return self.ns(node)

    def _check_router(self, router: str) -> str:
        if router not in self.topo.routers:
            raise LabError(f"{router!r} is not a router; routers: {self.routers}")
        return self.ns(router)

    def nodes(self) -> list[str]:
        """All node names: routers, plain namespaces, current hosts."""
        return list(self.topo.routers) + list(self.topo.namespaces) + list(self.hosts)

    def frr_dirs(self, router: str) -> tuple[Path, Path]:
        """(/etc/frr/<ns>, /var/run/frr/<ns>) of `router`."""
        ns = self.ns(router)
        return FRR_ETC / ns, FRR_RUN / ns

    def node_workdir(self, node: str) -> Path:
        """Per-node work dir (logs): <workdir>/<node>."""
        return self.workdir / node

    # ------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------
    def __enter__(self) -> "Lab":
        try:
            self.up()
        except BaseException:
            self.down(keep_logs=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.down(keep_logs=True if exc_type else None)

    def _phase(self, name: str, t0: float) -> float:
        now = time.monotonic()
        self.timings[name] = now - t0
        return now

    def up(self, wait: bool = True, timeout: float = 60.0) -> "Lab":
        """Build the lab and start FRR; with `wait`, wait until converged.

        First removes leftovers of a previous (crashed) run with the same prefix
        (cleanup_leftovers). Then: namespaces and sysctls, loopbacks, bridges,
        links, hosts, FRR on every router. With wait=True, returns once every
        expected eBGP session is Established and every OSPFv2/v3 adjacency is
        Full (deadline `timeout`). Per-phase durations land in `self.timings`.
        """
        for tool in ("ip", "vtysh"):
            if shutil.which(tool) is None:
                raise LabError(f"'{tool}' not found in PATH")
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, FRR)")
        t_start = t = time.monotonic()
        self.timings.clear()
        left = proc.cleanup_leftovers(self.prefix, log=self.log)
        self.leftovers_removed = left
        if left["namespaces"] or left["dirs"]:
            self.log(f"removed leftovers of a previous run: {left}")
        t = self._phase("cleanup", t)
        self._forget_runtime_state()
        try:
            self.workdir.mkdir(parents=True)
            (self.workdir / "pids").mkdir()
            self._write_state()
            self._create_nodes()
            t = self._phase("namespaces", t)
            self._create_links()
            for h in self.topo.hosts.values():
                self._create_host(Host(**vars(h)))
            for name in list(self.topo.routers) + list(self.topo.namespaces):
                # after links exist, so per-interface keys (net.ipv4.neigh.br10...) work
                self._sysctl(self.ns(name), self.topo.node(name).sysctls)
            t = self._phase("links", t)
            self.log(f"namespaces, bridges and links ready ({self.timings['namespaces'] + self.timings['links']:.2f}s)")
            self.start_frr_all()
            if self.strict_config:
                self.check_frr_config()
            t = self._phase("frr_start", t)
            self.log(f"FRR started on {', '.join(self.routers)} ({self.timings['frr_start']:.2f}s)")
            if wait:
                self.wait_converged(timeout=timeout)
                t = self._phase("converge", t)
        except BaseException:
            self.log("bring-up failed; FRR logs are in " + str(self.workdir))
            raise
        self.timings["total"] = time.monotonic() - t_start
        return self

    def wait_converged(self, timeout: float = 60.0) -> None:
        """Wait until all BGP sessions are Established and OSPF adjacencies Full."""
        t0 = time.monotonic()
        self.wait_bgp_established(timeout=timeout)
        self.wait_ospf_full(timeout=max(1.0, timeout - (time.monotonic() - t0)))

    def down(self, keep_logs: bool | None = None) -> dict:
        """Tear the lab down: stop suite daemons and FRR, delete everything.

        Stops tracked background processes, stops FRR gracefully on each router,
        then cleanup_leftovers(prefix) removes every remaining process in our
        namespaces, the namespaces (and with them every link), and our
        directories. If `keep_logs` (default: env HRLAB_KEEP_LOGS=1), the logs
        and configs are first copied to /tmp/<prefix>-lab-logs/. Idempotent.
        Returns what cleanup removed.
        """
        if keep_logs is None:
            keep_logs = os.environ.get("HRLAB_KEEP_LOGS", "") not in ("", "0")
        errors = []
        for (router, daemon) in list(self._procs):
            try:
                self.stop_daemon(router, daemon, timeout=5.0)
            except Exception as e:  # noqa: BLE001 - teardown goes on
                errors.append(f"stop {daemon} on {router}: {e}")
        for p in self._bg:
            if p.poll() is None:
                proc.signal_pids([p.pid], signal.SIGTERM, timeout=3.0)
            try:
                p.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        self._bg.clear()
        for r in self.routers:
            if (FRR_RUN / self.ns(r)).exists():
                try:
                    self.stop_frr(r, timeout=5.0)
                except Exception as e:  # noqa: BLE001
                    errors.append(f"stop FRR on {r}: {e}")
        if keep_logs:
            self.save_logs()
        removed = proc.cleanup_leftovers(self.prefix, log=self.log)
        self._forget_runtime_state()
        if errors:
            self.log("teardown warnings: " + "; ".join(errors))
        return removed

    def _forget_runtime_state(self) -> None:
        """Drop what a previous up() created at runtime (hosts, links, processes)."""
        self.hosts.clear()
        self.host_gateways.clear()
        self.extra_links.clear()
        self._procs.clear()
        self._bg.clear()

    def save_logs(self, dest: str | Path | None = None) -> Path:
        """Copy logs and FRR configs to `dest` (default /tmp/<prefix>-lab-logs)."""
        dest = Path(dest) if dest else self.workdir.parent / f"{self.prefix}-lab-logs"
        shutil.rmtree(dest, ignore_errors=True)
        if self.workdir.exists():
            shutil.copytree(self.workdir, dest, ignore=shutil.ignore_patterns("*.sock"))
        for r in self.routers:
            conf = FRR_ETC / self.ns(r) / "frr.conf"
            if conf.exists():
                (dest / r).mkdir(parents=True, exist_ok=True)
                shutil.copy(conf, dest / r / "frr.conf")
        self.log(f"logs saved in {dest}")
        return dest

    def resources(self) -> dict:
        """What exists with this lab's prefix (see hrlab.proc.resources)."""
        return proc.resources(self.prefix)

    def _write_state(self) -> None:
        state = {"prefix": self.prefix, "topology_file": self.topo.source,
                 "topology": self.topo.raw, "pid": os.getpid(), "started": time.time()}
        (self.workdir / "state.json").write_text(json.dumps(state, indent=1))

    # ------------------------------------------------------------------
    # building
    # ------------------------------------------------------------------
    def _sysctl(self, ns: str, values: dict[str, str]) -> None:
        if values:
            sh(["ip", "netns", "exec", ns, "sysctl", "-q", "-w"]
               + [f"{k}={v}" for k, v in values.items()])

    def _create_nodes(self) -> None:
        for name in list(self.topo.routers) + list(self.topo.namespaces):
            node = self.topo.node(name)
            ns = self.ns(name)
            sh(["ip", "netns", "add", ns])
            self.node_workdir(name).mkdir(exist_ok=True)
            sysctls = dict(COMMON_SYSCTLS)
            if node.forwarding:
                sysctls.update(FORWARDING_SYSCTLS)
            self._sysctl(ns, sysctls)
            cmds = ["link set lo up"] + [f"addr add {a} dev lo" for a in node.loopbacks]
            for b in node.bridges:
                cmds += [
                    f"link add {b.name} address {b.mac or bridge_mac(name, b.name)} type bridge "
                    f"stp_state {1 if b.stp else 0} mcast_snooping 0",
                    *[f"addr add {a} dev {b.name}" for a in b.addresses],
                    f"link set {b.name} up",
                ]
            proc.ip_batch(ns, cmds)

    def _link_cmds(self, link: Link) -> tuple[list[str], dict[str, list[str]]]:
        a, b = link.a, link.b
        mtu = f" mtu {link.mtu}" if link.mtu else ""
        create = (f"link add {a.ifname} address {a.effective_mac}{mtu} type veth peer name "
                  f"{b.ifname} address {b.effective_mac}{mtu} netns {self.ns(b.node)}")
        setup: dict[str, list[str]] = {}
        for e in (a, b):
            cmds = setup.setdefault(e.node, [])
            if e.bridge:
                cmds.append(f"link set {e.ifname} master {e.bridge}")
            cmds += [f"addr add {x} dev {e.ifname}" for x in e.addresses]
            cmds.append(f"link set {e.ifname} up")
        return [create], setup

    def _create_links(self) -> None:
        creates: dict[str, list[str]] = {}
        setups: dict[str, list[str]] = {}
        for link in self.topo.links:
            c, s = self._link_cmds(link)
            creates.setdefault(link.a.node, []).extend(c)
            for node, cmds in s.items():
                setups.setdefault(node, []).extend(cmds)
        for node, cmds in creates.items():
            proc.ip_batch(self.ns(node), cmds)
        for node, cmds in setups.items():
            proc.ip_batch(self.ns(node), cmds)

    def _create_host(self, h: Host) -> None:
        self.topo.check_host(h)
        ns = self.ns(h.name)
        sh(["ip", "netns", "add", ns])
        self._sysctl(ns, dict(COMMON_SYSCTLS))
        proc.ip_batch(ns, ["link set lo up"])
        gw4 = self.topo.host_gateway(h, 4)
        gw6 = self.topo.host_gateway(h, 6)
        self.hosts[h.name] = h
        self.host_gateways[h.name] = (gw4, gw6)
        self._attach_host(h)

    def _attach_host(self, h: Host) -> None:
        ns, tor_ns = self.ns(h.name), self.ns(h.tor)
        gw4, gw6 = self.host_gateways[h.name]
        proc.ip_batch(tor_ns, [
            f"link add {h.name} address {iface_mac(h.tor, h.name)} type veth peer name eth0 "
            f"address {h.effective_mac} netns {ns}",
            f"link set {h.name} master {h.bridge}",
            f"link set {h.name} up",
        ])
        cmds = [f"addr add {a} dev eth0" for a in (h.ipv4, h.ipv6) if a]
        cmds.append("link set eth0 up")
        if gw4:
            cmds.append(f"route add default via {gw4} dev eth0")
        if gw6:
            cmds.append(f"route add ::/0 via {gw6} dev eth0")
        proc.ip_batch(ns, cmds)

    # ------------------------------------------------------------------
    # running things in nodes
    # ------------------------------------------------------------------
    def _argv(self, node: str, cmd: Sequence[str] | str) -> list[str]:
        ns = self._check_node(node)
        inner = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else [str(c) for c in cmd]
        return ["ip", "netns", "exec", ns] + inner

    def run(self, node: str, cmd: Sequence[str] | str, check: bool = True,
            timeout: float = 30.0, input: str | None = None) -> subprocess.CompletedProcess:
        """Run `cmd` (argv list, or a string for /bin/sh -c) inside `node`'s namespace.

        Returns the CompletedProcess (text stdout/stderr). check=True raises
        LabError on a non-zero exit, showing the output.
        """
        return sh(self._argv(node, cmd), check=check, timeout=timeout, input=input)

    def popen(self, node: str, cmd: Sequence[str] | str, log: str | Path | None = None,
              **kw) -> subprocess.Popen:
        """Start `cmd` in the background inside `node`; tracked and killed by down().

        stdout/stderr go to `log` (default <workdir>/<node>/bg-<pid>.log) unless
        given in **kw. The process gets its own session (Ctrl-C in a terminal
        does not reach it; down() does).
        """
        argv = self._argv(node, cmd)
        if "stdout" not in kw:
            path = Path(log) if log else self.node_workdir(node) / f"bg-{len(self._bg)}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "ab")
            kw["stdout"] = f
            kw.setdefault("stderr", subprocess.STDOUT)
        kw.setdefault("start_new_session", True)
        p = subprocess.Popen(argv, **kw)
        self._bg.append(p)
        return p

    # ------------------------------------------------------------------
    # FRR
    # ------------------------------------------------------------------
    def _write_frr_config(self, router: str) -> None:
        etc, run = self.frr_dirs(router)
        for d in (etc, run):
            d.mkdir(parents=True, exist_ok=True)
            _chown_frr(d)
        conf = etc / "frr.conf"
        conf.write_text(frrconf.generate(self.topo, router))
        (etc / "vtysh.conf").write_text(frrconf.vtysh_conf(router))
        for f in (conf, etc / "vtysh.conf"):
            _chown_frr(f)
            os.chmod(f, 0o640)
        logdir = self.node_workdir(router)
        logdir.mkdir(parents=True, exist_ok=True)
        _chown_frr(logdir)
        HR_RUN.mkdir(exist_ok=True)
        (HR_RUN / self.ns(router)).mkdir(exist_ok=True)

    def netns_vrf_view(self, router: str) -> list[str]:
        """The argv prefix that runs a command of `router` with FRR's netns-VRF view, or [].

        FRR's netns VRF backend (`zebra -n`) turns every entry of /run/netns into a VRF:
        other people's lab namespaces included, whose FRR-made routes zebra would sweep
        at start-up as its own leftovers. So each FRR daemon of a router with `netns_vrfs`
        runs in a private mount namespace whose /run/netns is a small tmpfs holding only
        this router's VRF namespaces, bound there under their VRF names; zebra cannot see
        or open any other namespace, and the view disappears with the daemon.
        """
        r = self.topo.routers[router]
        if not r.netns_vrfs:
            return []
        lines = ["set -e", "mount --make-rprivate /"]
        opens, binds = [], []
        for i, (vrf, node) in enumerate(sorted(r.netns_vrfs.items())):
            fd = 3 + i
            path = proc.NETNS_DIR / self.ns(node)
            opens.append(f"exec {fd}<{shlex.quote(str(path))}")
            binds += [f": > /run/netns/{vrf}", f"mount --bind /proc/self/fd/{fd} /run/netns/{vrf}",
                      f"exec {fd}<&-"]
        lines += opens
        lines.append("mount -t tmpfs -o size=64k,mode=0755 hrlab-netns-vrfs /run/netns")
        lines += binds
        lines.append('exec "$@"')
        return ["/bin/sh", "-c", "\n".join(lines), "hrlab-netns-vrfs"]

    def _daemon_argv(self, router: str, daemon: str) -> list[str]:
        r = self.topo.routers[router]
        ns = self.ns(router)
        argv = ["ip", "netns", "exec", ns, *self.netns_vrf_view(router), str(FRR_BIN / daemon), "-d", "-N", ns,
                "-A", "127.0.0.1", "-f", str(FRR_ETC / ns / "frr.conf"),
                "--log", f"file:{self.node_workdir(router) / (daemon + '.log')}",
                "--log-level", self.frr_log_level]
        if daemon == "zebra":
            for m in r.zebra_modules:
                argv += ["-M", m]
            if r.netns_vrfs:
                argv.append("-n")
            argv += r.zebra_args
        return argv

    def _spawn_frr(self, router: str, daemons: Iterable[str]) -> None:
        """Start daemons of `router` in parallel; each returns once daemonized."""
        started = []
        for d in daemons:
            argv = self._daemon_argv(router, d)
            started.append((d, argv, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                                       stderr=subprocess.STDOUT, text=True)))
        self._reap_spawned(router, started)

    def _reap_spawned(self, router: str, started) -> None:
        errors = []
        for d, argv, p in started:
            try:
                out, _ = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
            if p.returncode != 0:
                errors.append(f"{d} on {router}: exit {p.returncode}: {shlex.join(argv)}\n{out}\n"
                              + _tail(self.node_workdir(router) / f"{d}.log"))
        if errors:
            raise LabError("FRR failed to start:\n" + "\n".join(errors))

    def _wait_frr_ready(self, router: str, daemons: Iterable[str], timeout: float = 20.0) -> None:
        run = FRR_RUN / self.ns(router)
        daemons = list(daemons)

        def ready():
            missing = {}
            for d in daemons:
                pid = proc.read_pidfile(run / f"{d}.pid")
                if not pid or not proc.pid_alive(pid):
                    missing[d] = f"no live pid (pidfile: {pid})"
                elif not (run / f"{d}.vty").exists():
                    missing[d] = "no vty socket yet"
            return Observation(not missing, observed=missing, expected="all daemons up")

        try:
            wait_until(ready, timeout=timeout, desc=f"FRR daemons of {router} ready")
        except AssertionError as e:
            logs = "\n".join(f"--- {d}.log\n{_tail(self.node_workdir(router) / (d + '.log'), 15)}"
                             for d in daemons)
            raise LabError(f"{e}\n{logs}") from None

    def start_frr(self, router: str) -> None:
        """Start the FRR daemons of `router` (zebra first, then the rest) as
        watchfrr does, and wait until each has its pid file and vty socket."""
        self._check_router(router)
        self._write_frr_config(router)
        daemons = frrconf.frr_daemons(self.topo.routers[router])
        self._spawn_frr(router, daemons[:1])
        self._wait_frr_ready(router, daemons[:1])
        self._spawn_frr(router, daemons[1:])
        self._wait_frr_ready(router, daemons)

    def start_frr_all(self) -> None:
        """Start FRR on every router: all zebras, then all other daemons."""
        per = {r: frrconf.frr_daemons(self.topo.routers[r]) for r in self.routers}
        for r in self.routers:
            self._write_frr_config(r)
        for phase in (lambda ds: ds[:1], lambda ds: ds[1:]):
            started = {r: [(d, self._daemon_argv(r, d)) for d in phase(per[r])]
                       for r in self.routers}
            procs = {r: [(d, a, subprocess.Popen(a, stdout=subprocess.PIPE,
                                                 stderr=subprocess.STDOUT, text=True))
                         for d, a in lst] for r, lst in started.items()}
            for r, lst in procs.items():
                self._reap_spawned(r, lst)
            for r in self.routers:
                self._wait_frr_ready(r, [d for d, _ in started[r]])

    def _frr_logs(self, router: str) -> dict[str, str]:
        logs = {}
        for d in frrconf.frr_daemons(self.topo.routers[router]):
            p = self.node_workdir(router) / f"{d}.log"
            logs[d] = p.read_text(errors="replace") if p.exists() else ""
        return logs

    def wait_frr_config_read(self, router: str | None = None, timeout: float = 20.0) -> None:
        """Wait until every FRR daemon of `router` (default: all routers) has read
        frr.conf and logged what it rejected. A daemon reads its config in its
        event loop after its pid file and vty socket appear, so "daemon up" is not
        "config read"; an answer to a vty command is (frrconf.daemons_answering)."""
        routers = self._routers_arg(router)

        def done():
            pending = {}
            for r in routers:
                want = set(frrconf.frr_daemons(self.topo.routers[r]))
                out = self.vtysh(r, "show modules", check=False, timeout=10)
                if missing := sorted(want - frrconf.daemons_answering(out)):
                    pending[r] = missing
            return Observation(not pending, observed=pending, expected="every daemon answers")

        wait_until(done, timeout=timeout, desc="FRR daemons read frr.conf and answer vtysh")

    def frr_config_errors(self, router: str) -> list[str]:
        """Lines of `router`'s frr.conf that no running daemon accepted (parsed
        from the daemons' startup logs; see frrconf.config_errors). Complete
        only once wait_frr_config_read() has returned."""
        return frrconf.config_errors(self._frr_logs(router))

    def check_frr_config(self, router: str | None = None) -> None:
        """Raise LabError if some frr.conf line was rejected by every daemon
        (a typo in frr_extra, a command of a daemon that is not running).
        Waits first until every daemon has read its config."""
        self.wait_frr_config_read(router)
        bad = {r: e for r in self._routers_arg(router) if (e := self.frr_config_errors(r))}
        if bad:
            raise LabError("FRR rejected configuration lines (no daemon accepted them):\n"
                           + "\n".join(f"  {r}: {l}" for r, ls in bad.items() for l in ls))

    def frr_pids(self, router: str) -> dict[str, int]:
        """{daemon: pid} of the running FRR daemons of `router` (from pid files)."""
        run = FRR_RUN / self.ns(router)
        out = {}
        for d in frrconf.frr_daemons(self.topo.routers[router]):
            pid = proc.read_pidfile(run / f"{d}.pid")
            if pid and proc.pid_alive(pid) and proc.pid_in_netns(pid, self.ns(router)):
                out[d] = pid
        return out

    def stop_frr(self, router: str, timeout: float = 10.0) -> None:
        """Stop all FRR daemons of `router` (SIGTERM by pid file, SIGKILL after
        `timeout`): the protocol daemons first, zebra last; remove pid files."""
        self._check_router(router)
        pids = self.frr_pids(router)
        zebra = pids.pop("zebra", None)
        proc.signal_pids(pids.values(), signal.SIGTERM, timeout=timeout)
        if zebra:
            proc.signal_pids([zebra], signal.SIGTERM, timeout=timeout)
        run = FRR_RUN / self.ns(router)
        for d in frrconf.frr_daemons(self.topo.routers[router]):
            (run / f"{d}.pid").unlink(missing_ok=True)

    def restart_frr(self, router: str) -> None:
        """Restart FRR on `router` as watchfrr does: stop all, start zebra, then
        the rest (restarting zebra alone leaves bgpd/ospfd stale, LAB.md)."""
        self.stop_frr(router)
        self.start_frr(router)

    def vtysh(self, router: str, *cmds: str, check: bool = True, timeout: float = 30.0) -> str:
        """Run vtysh commands on `router` (`vtysh -N <ns> -c ...`), return stdout.

        check=True raises LabError if vtysh exits non-zero.
        """
        ns = self._check_router(router)
        argv = ["vtysh", "-N", ns]
        for c in cmds:
            argv += ["-c", c]
        return sh(argv, check=check, timeout=timeout).stdout

    def vtysh_json(self, router: str, cmd: str, timeout: float = 30.0) -> Any:
        """Run one `show ... json` command on `router`, return the parsed JSON
        (' json' is appended if missing)."""
        if not cmd.rstrip().endswith(" json"):
            cmd = cmd.rstrip() + " json"
        out = self.vtysh(router, cmd, timeout=timeout)
        try:
            return json.loads(out) if out.strip() else {}
        except json.JSONDecodeError as e:
            raise LabError(f"{router}: '{cmd}' gave no JSON ({e}): {out[:2000]}") from None

    def frr_config(self, router: str, lines: str | Iterable[str], check: bool = True) -> str:
        """Apply configuration lines on `router` (`configure terminal`, lines).

        `lines` is a list or a multi-line string. With check=True any output
        line starting with '%' (an FRR error) raises LabError.
        """
        if isinstance(lines, str):
            lines = lines.splitlines()
        lines = [l for l in (x.rstrip() for x in lines) if l and not l.lstrip().startswith("!")]
        ns = self._check_router(router)
        argv = ["vtysh", "-N", ns, "-c", "configure terminal"]
        for l in lines:
            argv += ["-c", l]
        cp = sh(argv, check=False)
        out = cp.stdout + cp.stderr
        if check:
            errs = [l for l in out.splitlines() if l.lstrip().startswith("%")]
            if errs or cp.returncode != 0:
                raise LabError(f"{router}: config rejected (vtysh exit {cp.returncode}): "
                               f"{errs}\nlines: {lines}\n{out}")
        return out

    # ------------------------------------------------------------------
    # waiting for protocol state
    # ------------------------------------------------------------------
    wait_until = staticmethod(wait_until)

    def _routers_arg(self, router: str | None) -> list[str]:
        if router is None:
            return self.routers
        self._check_router(router)
        return [router]

    def bgp_sessions(self, router: str) -> dict[str, str]:
        """{peer address: BGP state} for every neighbor configured on `router`."""
        data = self.vtysh_json(router, "show bgp neighbors json")
        return {peer: v.get("bgpState", "?") for peer, v in data.items() if isinstance(v, dict)}

    def wait_bgp_established(self, router: str | None = None, timeout: float = 30.0,
                             on_progress: Callable[[str, str, str, float], None] | None = None
                             ) -> dict:
        """Wait until every eBGP session of the topology (IPv4 and IPv6) on
        `router` (default: all routers) is Established.

        `on_progress(router, peer, description, seconds)` is called once per
        session when it is first seen Established. Returns {router: {peer: state}}.
        """
        t0 = time.monotonic()
        expected = {r: {ip: f"{p.peer}:{p.peer_ifname} ({afi})"
                        for ip, afi, p in self.topo.bgp_peers(r)}
                    for r in self._routers_arg(router)}
        seen: set[tuple[str, str]] = set()

        def check():
            observed, bad = {}, {}
            for r, peers in expected.items():
                if not peers:
                    continue
                st = self.bgp_sessions(r)
                observed[r] = {ip: st.get(ip, "not configured") for ip in peers}
                for ip, state in observed[r].items():
                    if state == "Established":
                        if (r, ip) not in seen and on_progress:
                            on_progress(r, ip, peers[ip], time.monotonic() - t0)
                        seen.add((r, ip))
                    else:
                        bad.setdefault(r, {})[ip] = state
            return Observation(not bad, observed=observed,
                               expected={r: {ip: "Established" for ip in p}
                                         for r, p in expected.items()},
                               notes=[f"not established: {bad}"] if bad else [])

        obs = wait_until(check, timeout=timeout,
                         desc=f"BGP sessions Established on {router or 'all routers'}")
        return obs.observed

    def ospf_neighbors(self, router: str, version: int = 2) -> dict[str, str]:
        """{neighbor router-id@interface: state} from ospfd (2) or ospf6d (3)."""
        out = {}
        if version == 2:
            data = self.vtysh_json(router, "show ip ospf neighbor json")
            for rid, lst in data.get("neighbors", {}).items():
                for n in lst if isinstance(lst, list) else [lst]:
                    ifname = (n.get("ifaceName") or "").split(":")[0]
                    out[f"{rid}@{ifname}"] = n.get("nbrState") or n.get("state", "?")
        else:
            data = self.vtysh_json(router, "show ipv6 ospf6 neighbor json")
            for n in data.get("neighbors", []):
                out[f"{n.get('neighborId')}@{n.get('interfaceName')}"] = n.get("state", "?")
        return out

    def wait_ospf_full(self, router: str | None = None, timeout: float = 30.0,
                       versions: Sequence[int] = (2, 3),
                       on_progress: Callable[[str, str, str, float], None] | None = None) -> dict:
        """Wait until every OSPFv2 and OSPFv3 adjacency of the topology on
        `router` (default: all routers) is Full.

        `on_progress(router, "ospfv2"/"ospfv3", neighbor, seconds)` is called
        once per adjacency when first seen Full. Returns what was observed.
        """
        t0 = time.monotonic()
        expected = {}
        for r in self._routers_arg(router):
            for v in versions:
                want = {f"{self.topo.routers[p.peer].router_id}@{p.ifname}": p.peer
                        for p in self.topo.ospf_peers(r, v)}
                if want:
                    expected[(r, v)] = want
        seen: set = set()

        def check():
            observed, bad = {}, {}
            for (r, v), want in expected.items():
                st = self.ospf_neighbors(r, v)
                got = {k: st.get(k, "absent") for k in want}
                observed[f"{r} ospfv{v}"] = got
                for k, state in got.items():
                    if state.split("/")[0] == "Full":
                        if (r, v, k) not in seen and on_progress:
                            on_progress(r, f"ospfv{v}", f"{want[k]} ({k})", time.monotonic() - t0)
                        seen.add((r, v, k))
                    else:
                        bad.setdefault(f"{r} ospfv{v}", {})[k] = state
            return Observation(not bad, observed=observed,
                               expected={f"{r} ospfv{v}": {k: "Full" for k in w}
                                         for (r, v), w in expected.items()},
                               notes=[f"not full: {bad}"] if bad else [])

        obs = wait_until(check, timeout=timeout,
                         desc=f"OSPF adjacencies Full on {router or 'all routers'}")
        return obs.observed

    @staticmethod
    def _afi_of(prefix: str) -> str:
        return "ipv6" if ipaddress.ip_network(prefix, strict=False).version == 6 else "ipv4"

    def route(self, router: str, prefix: str, vrf: str | None = None) -> list[dict]:
        """The RIB entries (all protocols) of exactly `prefix` on `router`, [] if none."""
        net = str(ipaddress.ip_network(prefix, strict=False))
        afi = "ipv6" if ":" in net else "ip"
        vrf_s = f" vrf {vrf}" if vrf else ""
        data = self.vtysh_json(router, f"show {afi} route{vrf_s} {net} json")
        return data.get(net, [])

    def routes(self, router: str, afi: str = "ipv4", protocol: str | None = None,
               vrf: str | None = None) -> dict[str, list[dict]]:
        """{prefix: [RIB entries]} of `router` for afi 'ipv4'/'ipv6', optionally
        only of `protocol` ('bgp', 'ospf', 'ospf6', 'connected', 'static', 'kernel'...)."""
        fam = "ipv6" if afi in ("ipv6", "6", 6) else "ip"
        vrf_s = f" vrf {vrf}" if vrf else ""
        proto_s = f" {protocol}" if protocol else ""
        return self.vtysh_json(router, f"show {fam} route{vrf_s}{proto_s} json")

    def neighbor_addresses(self, router: str, neighbor: str) -> set[str]:
        """Addresses of `neighbor` on the links it shares with `router`
        (configured ones, plus the live IPv6 link-locals of its interfaces)."""
        out: set[str] = set()
        for link in list(self.topo.links) + self.extra_links:
            for loc, rem in ((link.a, link.b), (link.b, link.a)):
                if loc.node == router and rem.node == neighbor:
                    out |= {str(ipaddress.ip_interface(a).ip) for a in rem.addresses}
                    cp = self.run(neighbor, ["ip", "-j", "-6", "addr", "show", "dev",
                                             rem.ifname, "scope", "link"], check=False)
                    for dev in json.loads(cp.stdout or "[]"):
                        out |= {a["local"] for a in dev.get("addr_info", []) if "local" in a}
        return out

    def wait_route(self, router: str, prefix: str, present: bool = True,
                   protocol: str | None = None, via_router: str | None = None,
                   vrf: str | None = None, timeout: float = 10.0,
                   selected: bool = True) -> list[dict]:
        """Wait until `prefix` is (present=True) or is not (False) in `router`'s RIB.

        Present means: an entry for exactly `prefix` that is selected and
        installed (only present, with selected=False: e.g. an OSPF route that
        loses to BGP on distance), of `protocol` if given (e.g. 'bgp', 'ospf', 'ospf6'), whose
        active next hops are all addresses of `via_router` (its link addresses
        or IPv6 link-locals on the shared links) if given. Absent means: no
        entry (of `protocol`, if given). Returns the RIB entries last seen.
        Uses `show ip[v6] route [vrf V] PREFIX json`.
        """
        via = self.neighbor_addresses(router, via_router) if via_router else None
        if via_router and not via:
            raise LabError(f"{via_router} shares no link with {router}")
        net = str(ipaddress.ip_network(prefix, strict=False))

        def check():
            entries = self.route(router, net, vrf=vrf)
            rel = [e for e in entries if protocol is None or e.get("protocol") == protocol]
            summary = [{"protocol": e.get("protocol"), "selected": e.get("selected", False),
                        "installed": e.get("installed", False),
                        "nexthops": [n.get("ip") or n.get("interfaceName")
                                     for n in e.get("nexthops", []) if n.get("active")]}
                       for e in entries]
            if not present:
                return Observation(not rel, observed=summary,
                                   expected=f"no {protocol or ''} route for {net}")
            notes = []
            for e in rel:
                if selected and not (e.get("selected") and e.get("installed")):
                    continue
                hops = {n.get("ip") for n in e.get("nexthops", []) if n.get("active")}
                if via is not None and (not hops or not hops <= via):
                    notes.append(f"next hops {sorted(map(str, hops))} not all of "
                                 f"{via_router} {sorted(via)}")
                    continue
                return Observation(True, observed=entries)
            return Observation(False, observed=summary, notes=notes,
                               expected={"prefix": net, "protocol": protocol or "any",
                                         "selected": selected, "installed": selected,
                                         "via": via_router})

        what = "present" if present else "absent"
        obs = wait_until(check, timeout=timeout,
                         desc=f"{net} {what} on {router}"
                              + (f" via {protocol}" if protocol else "")
                              + (f" next hop {via_router}" if via_router else ""))
        return obs.observed

    def bgp_best_path(self, router: str, prefix: str) -> dict | None:
        """The best BGP path of `prefix` on `router` (`show bgp ... PREFIX json`),
        or None. Its 'aspath'['string'] is the AS path, e.g. '65000 65001'."""
        net = str(ipaddress.ip_network(prefix, strict=False))
        data = self.vtysh_json(router, f"show bgp {self._afi_of(net)} unicast {net} json")
        for p in data.get("paths", []):
            if p.get("bestpath", {}).get("overall"):
                return p
        return None

    # ------------------------------------------------------------------
    # hosts
    # ------------------------------------------------------------------
    def add_host(self, name: str, tor: str, bridge: str = "br10", ipv4: str | None = None,
                 ipv6: str | None = None, mac: str | None = None, gateway4: str | None = None,
                 gateway6: str | None = None) -> Host:
        """Create host `name` (a namespace `<prefix>-<name>`) with eth0 on `tor`'s
        `bridge`. Addresses may omit the prefix length (taken from the bridge's
        subnet). The MAC defaults to host_mac(name); gateways default to the
        ToR's own bridge address in the host's subnet ('none' for no route)."""
        if self._node_exists(name):
            raise LabError(f"node {name!r} already exists")
        h = Host.from_dict(name, {k: v for k, v in dict(
            tor=tor, bridge=bridge, ipv4=ipv4, ipv6=ipv6, mac=mac, gateway4=gateway4,
            gateway6=gateway6).items() if v is not None})
        self._create_host(h)
        return h

    def move_host(self, name: str, to_tor: str, bridge: str = "br10",
                  gateway4: str | None = None, gateway6: str | None = None) -> Host:
        """Re-attach host `name` to `to_tor`'s `bridge`, as a VM migration would.

        The host keeps its namespace, MAC and addresses: the old veth pair is
        deleted and a new one is created whose host end is again eth0 with the
        same MAC and addresses. The host's default gateways stay as they were
        unless gateway4/gateway6 are given ('none' removes the route).
        """
        h = self._host(name)
        new = Host(**{**vars(h), "tor": to_tor, "bridge": bridge})
        self.topo.check_host(new)
        old_gw = self.host_gateways[name]
        gw4 = old_gw[0] if gateway4 is None else (None if gateway4 in ("", "none") else gateway4)
        gw6 = old_gw[1] if gateway6 is None else (None if gateway6 in ("", "none") else gateway6)
        proc.ip_batch(self.ns(h.tor), [f"link del {h.name}"])
        self.hosts[name] = new
        self.host_gateways[name] = (gw4, gw6)
        self._attach_host(new)
        return new

    def remove_host(self, name: str) -> None:
        """Delete host `name`: its processes, its namespace and its veth."""
        self._host(name)
        ns = self.ns(name)
        pids = [p for p in proc.netns_pids(ns) if proc.pid_in_netns(p, ns)]
        proc.signal_pids(pids, signal.SIGTERM, timeout=3.0)
        sh(["ip", "netns", "delete", ns])
        del self.hosts[name]
        del self.host_gateways[name]

    def _host(self, name: str) -> Host:
        if name not in self.hosts:
            raise LabError(f"no host {name!r}; hosts: {sorted(self.hosts)}")
        return self.hosts[name]

    def host_mac(self, name: str) -> str:
        """The MAC of host `name`'s eth0 (explicit, or derived from its name)."""
        if name in self.hosts:
            return self.hosts[name].effective_mac
        if name in self.topo.hosts:
            return self.topo.hosts[name].effective_mac
        return host_mac(name)

    def host_ip(self, name: str, version: int = 4) -> str | None:
        """Host `name`'s IPv4 (4) or IPv6 (6) address without prefix length."""
        h = self._host(name)
        a = h.ipv4 if version == 4 else h.ipv6
        return str(ipaddress.ip_interface(a).ip) if a else None

    def ping(self, node: str, addr: str, count: int = 1, timeout: float = 2.0,
             source: str | None = None) -> bool:
        """Ping `addr` from `node`; True if at least one reply came back."""
        argv = ["ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-W", str(timeout)]
        if source:
            argv += ["-I", source]
        argv.append(addr)
        cp = self.run(node, argv, check=False, timeout=timeout * count + 5)
        return cp.returncode == 0

    # ------------------------------------------------------------------
    # links
    # ------------------------------------------------------------------
    def link_down(self, node: str, ifname: str) -> None:
        """Set interface `ifname` of `node` administratively down."""
        self.run(node, ["ip", "link", "set", ifname, "down"])

    def link_up(self, node: str, ifname: str) -> None:
        """Set interface `ifname` of `node` administratively up."""
        self.run(node, ["ip", "link", "set", ifname, "up"])

    def add_link(self, a_node: str, a_ifname: str, b_node: str, b_ifname: str,
                 a_addresses: Sequence[str] = (), b_addresses: Sequence[str] = (),
                 a_bridge: str | None = None, b_bridge: str | None = None,
                 mtu: int | None = None) -> Link:
        """Create a veth link between two nodes; either end may be enslaved to
        a bridge of its node (e.g. a stretched VLAN between two ToRs' br10).
        FRR is not reconfigured: use frr_config() for routing on it."""
        for n in (a_node, b_node):
            self._check_node(n)
        for n, br in ((a_node, a_bridge), (b_node, b_bridge)):
            if br and (self.topo.node(n) is None or self.topo.node(n).bridge(br) is None):
                raise LabError(f"{n} has no bridge {br!r}")
        link = Link(a=LinkEnd(a_node, a_ifname, list(a_addresses), a_bridge),
                    b=LinkEnd(b_node, b_ifname, list(b_addresses), b_bridge), mtu=mtu)
        create, setup = self._link_cmds(link)
        proc.ip_batch(self.ns(a_node), create)
        for node, cmds in setup.items():
            proc.ip_batch(self.ns(node), cmds)
        self.extra_links.append(link)
        return link

    def del_link(self, node: str, ifname: str) -> None:
        """Delete interface `ifname` of `node` (a veth: both ends go)."""
        self.run(node, ["ip", "link", "del", ifname])
        self.extra_links = [l for l in self.extra_links
                            if not any(e.node == node and e.ifname == ifname for e in l.ends())]

    # ------------------------------------------------------------------
    # the suite's daemons
    # ------------------------------------------------------------------
    def binary(self, name: str) -> Path:
        """Path of a suite binary: <build>/bin/<name>."""
        return self.build_dir / "bin" / name

    def has_binary(self, name: str) -> bool:
        """Does <build>/bin/<name> exist and is it executable?"""
        p = self.binary(name)
        return p.is_file() and os.access(p, os.X_OK)

    def daemon_socket(self, router: str, daemon: str) -> Path:
        """The control socket /run/frr-hostroute/<ns>/<daemon>.sock."""
        return HR_RUN / self.ns(router) / f"{daemon}.sock"

    def daemon_log(self, router: str, daemon: str) -> Path:
        """The daemon's stdout/stderr log: <workdir>/<router>/<daemon>.log."""
        return self.node_workdir(router) / f"{daemon}.log"

    def config_path(self, router: str) -> Path:
        """/etc/frr-hostroute/<ns>/hostroute.json."""
        return HR_ETC / self.ns(router) / "hostroute.json"

    def start_daemon(self, router: str, daemon: str, args: Sequence[str] = (),
                     config: dict | None = None, timeout: float = 10.0) -> subprocess.Popen:
        """Start suite daemon `daemon` on `router` in the foreground (tracked).

        If `config` is given it is written as JSON to
        /etc/frr-hostroute/<ns>/hostroute.json first. Runs
        `<build>/bin/<daemon> -N <ns> [args]` inside the namespace, output to
        daemon_log(). Waits (deadline `timeout`) until its control socket
        accepts a connection; if the process exits first, raises LabError with
        the tail of its log.
        """
        ns = self._check_router(router)
        if (router, daemon) in self._procs and self._procs[(router, daemon)].poll() is None:
            raise LabError(f"{daemon} already running on {router}")
        exe = self.binary(daemon)
        if not self.has_binary(daemon):
            raise LabError(f"{exe} does not exist (build first, or set HR_BUILD_DIR)")
        if config is not None:
            path = self.config_path(router)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(config, indent=2) + "\n")
        (HR_RUN / ns).mkdir(parents=True, exist_ok=True)
        sock = self.daemon_socket(router, daemon)
        logf = self.daemon_log(router, daemon)
        logf.parent.mkdir(parents=True, exist_ok=True)
        with open(logf, "ab") as f:
            f.write(f"==== {time.strftime('%H:%M:%S')} start {daemon} -N {ns} "
                    f"{shlex.join(args)}\n".encode())
            p = subprocess.Popen(["ip", "netns", "exec", ns, str(exe), "-N", ns, *args],
                                 stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        self._procs[(router, daemon)] = p
        (self.workdir / "pids").mkdir(parents=True, exist_ok=True)
        (self.workdir / "pids" / f"{ns}.{daemon}.pid").write_text(f"{p.pid}\n")

        def accepting():
            if p.poll() is not None:
                raise _Exited(p.returncode)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(str(sock))
                return True
            except OSError as e:
                return Observation(False, observed=f"connect {sock}: {e.strerror}")
            finally:
                s.close()

        try:
            wait_until(accepting, timeout=timeout, reraise=(_Exited,),
                       desc=f"{daemon} on {router} accepting on {sock}")
        except _Exited as e:
            del self._procs[(router, daemon)]
            raise LabError(f"{daemon} on {router} exited with {e.code} before its socket "
                           f"accepted; log tail ({logf}):\n{_tail(logf)}") from None
        except AssertionError as e:
            raise LabError(f"{e}\nlog tail ({logf}):\n{_tail(logf)}") from None
        return p

    def daemon_pid(self, router: str, daemon: str) -> int | None:
        """PID of suite daemon `daemon` on `router` if it is running, else None."""
        p = self._procs.get((router, daemon))
        if p is not None and p.poll() is None:
            return p.pid
        return None

    def stop_daemon(self, router: str, daemon: str, sig: int = signal.SIGTERM,
                    timeout: float = 10.0) -> int | None:
        """Send `sig` to suite daemon `daemon` on `router` and wait (deadline
        `timeout`) for it to exit; returns its exit status (None if it was not
        running). If it does not exit in time it is SIGKILLed and LabError raised."""
        p = self._procs.pop((router, daemon), None)
        if p is None:
            return None
        (self.workdir / "pids" / f"{self.ns(router)}.{daemon}.pid").unlink(missing_ok=True)
        if p.poll() is not None:
            return p.returncode
        p.send_signal(sig)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
            raise LabError(f"{daemon} on {router} did not exit within {timeout}s of signal "
                           f"{sig}; killed. Log tail:\n{_tail(self.daemon_log(router, daemon))}")

    def kill_daemon(self, router: str, daemon: str) -> int | None:
        """SIGKILL suite daemon `daemon` on `router` (a crash), wait for it."""
        return self.stop_daemon(router, daemon, sig=signal.SIGKILL)

    def hostroutectl(self, router: str, *args: str, json: bool = False, check: bool = True,
                     timeout: float = 10.0) -> Any:
        """Run `<build>/bin/hostroutectl -N <ns> args...` inside `router`'s namespace.

        Returns stdout, or the parsed JSON of stdout with json=True (pass the
        CLI's own JSON flag in `args`). check=True raises LabError on failure.
        """
        ns = self._check_router(router)
        if not self.has_binary("hostroutectl"):
            raise LabError(f"{self.binary('hostroutectl')} does not exist")
        cp = self.run(router, [str(self.binary("hostroutectl")), "-N", ns, *args],
                      check=check, timeout=timeout)
        if not json:
            return cp.stdout
        import json as _json
        try:
            return _json.loads(cp.stdout)
        except _json.JSONDecodeError as e:
            raise LabError(f"hostroutectl {shlex.join(args)}: not JSON ({e}): "
                           f"{cp.stdout[:2000]}\n{cp.stderr[:2000]}") from None


class _Exited(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code
