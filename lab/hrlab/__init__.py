"""hrlab: the frr-hostroute network-namespace lab (real FRR in namespaces).

    from hrlab import Lab
    with Lab.from_file("lab/topologies/default.toml", prefix="hrlab") as lab:
        lab.wait_route("tor2", "10.0.0.11/32", protocol="bgp", via_router="spine")

See lab/README.md.
"""

from .lab import SUITE_DAEMONS, Lab, default_build_dir
from .proc import LabError, cleanup_leftovers, default_prefix, is_empty, resources, workdir_for
from .topology import (DEFAULT_TOPOLOGY, Host, Link, LinkEnd, Node, Topology, TopologyError,
                       host_mac, iface_mac, bridge_mac, stable_mac)
from .waiting import Observation, WaitTimeout, wait_until

__all__ = [
    "Lab", "LabError", "cleanup_leftovers", "resources", "is_empty", "default_prefix",
    "workdir_for", "default_build_dir", "SUITE_DAEMONS", "Topology", "TopologyError", "Node",
    "Host", "Link", "LinkEnd", "DEFAULT_TOPOLOGY", "host_mac", "iface_mac", "bridge_mac",
    "stable_mac", "wait_until", "Observation", "WaitTimeout",
]
