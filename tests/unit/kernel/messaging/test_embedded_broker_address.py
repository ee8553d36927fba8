"""The embedded broker authenticates no one, so it is on loopback and nowhere else."""

from __future__ import annotations

import pytest

from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.platform import Platform, PlatformConfig


def test_tansu_is_told_to_listen_and_advertise_on_loopback() -> None:
    command = EmbeddedBroker(binary="tansu").command(19092, "cluster")
    options = dict(zip(command[2::2], command[3::2], strict=True))
    assert options["--listener-url"] == "tcp://127.0.0.1:19092"
    assert options["--advertised-listener-url"] == "tcp://127.0.0.1:19092"
    # Tansu's own default is every interface: the option must never be dropped.
    assert "--listener-url" in command


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "localhost", "broker"])
def test_any_address_but_loopback_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        EmbeddedBroker(host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1"])
def test_every_loopback_address_is_accepted(host: str) -> None:
    assert EmbeddedBroker(host=host).host == host


def test_the_platform_keeps_the_broker_on_loopback_when_services_bind_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(EmbeddedBroker, "start", lambda self, timeout=0.0: None)
    platform = Platform(PlatformConfig(host="0.0.0.0"))
    platform.start_broker()
    assert platform.broker is not None and platform.broker.host == "127.0.0.1"
