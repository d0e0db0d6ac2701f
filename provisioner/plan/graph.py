"""The dependency DAG of a stack: an edge for every reference and `depends_on`."""

from __future__ import annotations

from provisioner.addresses import Address
from provisioner.stack.model import Stack


def dependency_graph(stack: Stack) -> dict[Address, set[Address]]:
    """address -> the addresses it depends on (every resource is a key)."""
    return {address: {d.address for d in resource.dependencies}
            for address, resource in stack.resources.items()}
