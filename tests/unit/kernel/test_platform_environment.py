from __future__ import annotations

from commerce.platform import PlatformConfig, service_environments


def test_each_service_gets_its_own_port_and_its_peers_addresses() -> None:
    config = PlatformConfig(
        ports={"gateway": 9000, "user": 9001, "auth": 9002, "product": 9003, "order": 9004},
        kafka_bootstrap_servers="127.0.0.1:19092",
    )
    envs = service_environments(config)
    assert envs["user"]["USER_PORT"] == "9001"
    assert envs["auth"]["AUTH_USER_SERVICE_URL"] == "http://127.0.0.1:9001"
    assert envs["gateway"]["GATEWAY_ORDER_URL"] == "http://127.0.0.1:9004"
    assert envs["order"]["ORDER_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
    assert "GATEWAY_KAFKA_BOOTSTRAP_SERVERS" not in envs["gateway"]
    ports = {env[name.upper() + "_PORT"] for name, env in envs.items()}
    assert len(ports) == 5
