"""The running embedded broker listens on loopback only, and tells clients so (ADR 0046)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from commerce.kernel.messaging.embedded_broker import EmbeddedBroker

pytestmark = pytest.mark.integration

LISTEN = "0A"  # the TCP state "listening" in /proc/net/tcp


def listening_addresses(port: int) -> set[str]:
    """Local addresses of this machine's listening TCP sockets on ``port`` (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(str(_address(address)))
    return found


def _address(little_endian_hex: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(little_endian_hex)
    # The kernel prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


async def test_the_broker_listens_and_advertises_on_loopback_only(tmp_path: Path) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp here to read listening sockets from")
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        assert broker.port is not None
        assert listening_addresses(broker.port) == {"127.0.0.1"}
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
        await admin.start()
        try:
            cluster = await admin.describe_cluster()
        finally:
            await admin.close()
    assert {b["host"] for b in cluster["brokers"]} == {"127.0.0.1"}  # what clients are told
