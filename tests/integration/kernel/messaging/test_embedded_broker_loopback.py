"""The running embedded broker listens on loopback only, and tells clients so (ADR 0046)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from tests.broker import listening_addresses

pytestmark = pytest.mark.integration


async def test_the_broker_listens_and_advertises_on_loopback_only(tmp_path: Path) -> None:
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
