"""Istio and Strimzi resources: their CRD schemas, and the policies they must express."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commerce.cli import APPS
from commerce.contracts.topics import ALL_TOPICS, dlq_topic
from tests.deploy.conftest import (
    KUBERNETES,
    OVERLAYS,
    Resource,
    container_env,
    edited_prod,
    is_builtin,
    named,
    of_kind,
    render,
)
from tests.deploy.crd_schemas import CrdVersion, crd_errors
from tests.deploy.service_settings import effective, service_model, url_host_port

pytestmark = pytest.mark.deploy

Crds = dict[tuple[str, str], CrdVersion]
SAFE_RETRY_ON = {"connect-failure", "refused-stream", "unavailable", "cancelled", "503"}
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS"}
INGRESS_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
# Which services consume Kafka (API.md, "Integration events"): their replicas share partitions.
CONSUMERS = ("product", "order", "payment", "cart")
# The calls one service makes to another besides auth -> user (ADR 0120, ADR 0122).
CART_CALLS = {"product": (["GET"], "/v1/products/*"), "order": (["POST"], "/v1/orders")}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, overlays: dict[str, list[Resource]]) -> list[Resource]:
    return overlays[request.param]


def custom_resources(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if not is_builtin(r)]


def test_custom_resources_match_their_crds(overlay: list[Resource], crds: Crds) -> None:
    customs = custom_resources(overlay)
    groups = {r["apiVersion"].split("/")[0] for r in customs}
    assert {
        "networking.istio.io",
        "security.istio.io",
        "telemetry.istio.io",
        "kafka.strimzi.io",
    } <= groups
    problems = [problem for resource in customs for problem in crd_errors(resource, crds)]
    assert not problems, "\n".join(problems)


def test_a_typo_in_an_istio_field_is_reported(tmp_path: Path, crds: Crds) -> None:
    """The manifests with one misspelt key (``timout:``) fail the same check as above."""
    traffic = "base/app/istio/traffic.yaml"
    broken = render(edited_prod(tmp_path, traffic, "      timeout: ", "      timout: "))
    problems = [p for r in custom_resources(broken) for p in crd_errors(r, crds)]
    assert len(problems) == 1, problems
    assert "VirtualService/" in problems[0] and "'timout' was unexpected" in problems[0]


def test_wrong_types_and_unknown_enum_values_are_reported(crds: Crds) -> None:
    resources = render(KUBERNETES / "overlays" / "prod")
    peer = named(resources, "PeerAuthentication", "default")
    peer["spec"]["mtls"]["mode"] = "STRICTLY"
    topic = named(resources, "KafkaTopic", ALL_TOPICS[0])
    topic["spec"]["partitions"] = "six"
    problems = crd_errors(peer, crds) + crd_errors(topic, crds)
    assert any("STRICTLY" in p for p in problems) and any(
        "'six' is not of type 'integer'" in p for p in problems
    )


# --- Istio -----------------------------------------------------------------------------------


def host_of(app: str, resources: list[Resource]) -> str:
    service = named(resources, "Service", app)
    return f"{app}.{service['metadata']['namespace']}.svc.cluster.local"


def methods_of(match: dict) -> set[str] | None:
    """The HTTP methods a route match admits (None: any)."""
    method = match.get("method")
    if method is None:
        return None
    if "exact" in method:
        return {method["exact"]}
    if "regex" in method:
        return {
            m
            for m in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
            if re.fullmatch(method["regex"], m)
        }
    return None


def retry_problems(virtual_service: Resource) -> list[str]:
    problems = []
    for route in virtual_service["spec"]["http"]:
        where = f"VirtualService/{virtual_service['metadata']['name']} route {route.get('name')}"
        if "timeout" not in route:
            problems.append(f"{where}: no timeout")
        retries = route.get("retries")
        if retries is None:
            problems.append(f"{where}: no retry policy (Istio's default retries POST too)")
            continue
        if retries.get("attempts", 0) == 0:
            continue
        methods: set[str] = set()
        for match in route.get("match", [{}]):
            admitted = methods_of(match)
            methods |= admitted if admitted is not None else {"POST"}
        if not methods <= IDEMPOTENT_METHODS:
            problems.append(
                f"{where}: retries non-idempotent methods {sorted(methods - IDEMPOTENT_METHODS)}"
            )
        conditions = set(retries.get("retryOn", "").split(","))
        if not conditions <= SAFE_RETRY_ON:
            problems.append(f"{where}: unsafe retryOn {sorted(conditions - SAFE_RETRY_ON)}")
    return problems


def test_every_service_has_a_destination_rule_and_safe_virtual_service(
    overlay: list[Resource],
) -> None:
    problems = []
    for app in APPS:
        host = host_of(app, overlay)
        rule = named(overlay, "DestinationRule", app)
        assert rule["spec"]["host"] == host
        policy = rule["spec"]["trafficPolicy"]
        assert policy["tls"]["mode"] == "ISTIO_MUTUAL"
        assert policy["connectionPool"]["tcp"]["maxConnections"] > 0
        assert policy["connectionPool"]["http"]["http1MaxPendingRequests"] > 0
        assert policy["outlierDetection"]["consecutive5xxErrors"] > 0
        service = named(overlay, "VirtualService", app)
        assert service["spec"]["hosts"] == [host]
        for route in service["spec"]["http"]:
            for destination in route["route"]:
                assert destination["destination"]["host"] == host
                assert destination["destination"]["port"]["number"] == service_model(app).port
        problems += retry_problems(service)
    assert not problems, "\n".join(problems)


def test_the_retry_check_rejects_retrying_writes(overlays: dict[str, list[Resource]]) -> None:
    import copy

    service = copy.deepcopy(named(overlays["prod"], "VirtualService", "order"))
    writes = service["spec"]["http"][-1]
    writes["retries"] = {"attempts": 2, "retryOn": "5xx"}
    problems = "\n".join(retry_problems(service))
    assert (
        "retries non-idempotent methods ['POST']" in problems
        and "unsafe retryOn ['5xx']" in problems
    )


def test_the_ingress_sends_the_public_api_to_the_gateway(overlay: list[Resource]) -> None:
    gateway = named(overlay, "Gateway", "commerce-ingress")
    assert gateway["spec"]["selector"] == {"istio": "ingressgateway"}
    hosts = {h for server in gateway["spec"]["servers"] for h in server["hosts"]}
    public = named(overlay, "VirtualService", "commerce-public-api")
    assert set(public["spec"]["hosts"]) == hosts
    assert public["spec"]["gateways"] == ["commerce-ingress"]
    target = host_of("gateway", overlay)
    matched_prefixes, matched_exact = set(), set()
    for route in public["spec"]["http"]:
        assert [d["destination"]["host"] for d in route["route"]] == [target]
        for match in route["match"]:
            matched_prefixes |= {match["uri"]["prefix"]} if "prefix" in match["uri"] else set()
            matched_exact |= {match["uri"]["exact"]} if "exact" in match["uri"] else set()
    assert "/v1/" in matched_prefixes and "/.well-known/jwks.json" in matched_exact
    assert not retry_problems(public)


def test_mtls_is_strict_and_only_the_gateway_reaches_the_services(overlay: list[Resource]) -> None:
    namespace = named(overlay, "Namespace", "commerce")["metadata"]["name"]
    peer = named(overlay, "PeerAuthentication", "default")
    assert peer["metadata"]["namespace"] == namespace and peer["spec"]["mtls"]["mode"] == "STRICT"
    deny = named(overlay, "AuthorizationPolicy", "allow-nothing")
    assert deny["spec"] == {} and deny["metadata"]["namespace"] == namespace

    def principal(app: str) -> str:
        return f"cluster.local/ns/{namespace}/sa/{app}"

    for app in APPS:
        policy = named(overlay, "AuthorizationPolicy", app)
        assert (
            policy["spec"]["selector"]["matchLabels"]
            == named(overlay, "Service", app)["spec"]["selector"]
        )
        assert policy["spec"].get("action", "ALLOW") == "ALLOW"
        allowed = []
        for rule in policy["spec"]["rules"]:
            (source,) = rule["from"]
            (operation,) = rule["to"]
            assert operation["operation"]["ports"] == [str(service_model(app).port)]
            allowed.append((tuple(source["source"]["principals"]), operation["operation"]))
        if app == "gateway":
            assert [p for p, _ in allowed] == [(INGRESS_PRINCIPAL,)]
            continue
        assert allowed[0][0] == (principal("gateway"),)
        assert allowed[0][1].get("notPaths") == ["/internal/*"]
        extra = allowed[1:]
        if app == "user":
            # auth -> user: the credential check at login, the current roles at refresh
            # (ADR 0126), nothing else
            assert extra == [
                (
                    (principal("auth"),),
                    {
                        "ports": ["8001"],
                        "methods": ["POST"],
                        "paths": ["/internal/v1/credentials/verify"],
                    },
                ),
                (
                    (principal("auth"),),
                    {"ports": ["8001"], "methods": ["GET"], "paths": ["/internal/v1/users/*"]},
                ),
            ]
        elif app in CART_CALLS:
            # cart -> product for a product its view has not seen, cart -> order to check out
            methods, path = CART_CALLS[app]
            port = [str(service_model(app).port)]
            assert extra == [
                ((principal("cart"),), {"ports": port, "methods": methods, "paths": [path]})
            ]
        else:
            assert extra == []


def test_auth_calls_user_only_where_the_policy_lets_it(overlay: list[Resource]) -> None:
    # The policy above allows auth -> user; the URL auth is configured with must be that one.
    auth = service_model("auth")
    env = container_env(overlay, "auth").values
    host, port = url_host_port(str(env[auth.variable("user_service_url")]))
    assert (host.split(".")[0], port) == ("user", service_model("user").port)


def test_the_ingress_checks_tokens_with_the_auth_services_keys(overlay: list[Resource]) -> None:
    request_auth = named(overlay, "RequestAuthentication", "commerce-jwt")
    assert request_auth["metadata"]["namespace"] == "istio-system"
    assert request_auth["spec"]["selector"]["matchLabels"] == {"istio": "ingressgateway"}
    (rule,) = request_auth["spec"]["jwtRules"]
    auth = service_model("auth")
    env = container_env(overlay, "auth").values
    assert rule["issuer"] == effective(auth, env, "issuer")
    assert rule["audiences"] == [effective(auth, env, "audience")]
    host, _ = url_host_port(rule["jwksUri"])
    gateway = named(overlay, "Gateway", "commerce-ingress")
    assert host in {h for s in gateway["spec"]["servers"] for h in s["hosts"]}
    assert rule["jwksUri"].endswith("/.well-known/jwks.json")


def test_traces_go_to_zipkin(overlay: list[Resource]) -> None:
    telemetry = named(overlay, "Telemetry", "tracing")
    providers = [p["name"] for t in telemetry["spec"]["tracing"] for p in t["providers"]]
    assert providers == ["zipkin"]
    for app in APPS:
        model = service_model(app)
        env = container_env(overlay, app).values
        if model.has_field("zipkin_endpoint"):
            host, _ = url_host_port(str(env[model.variable("zipkin_endpoint")]))
            assert host.startswith("zipkin.")


# --- Strimzi ---------------------------------------------------------------------------------


def test_kafka_runs_in_kraft_mode_with_node_pools(overlay: list[Resource]) -> None:
    (kafka,) = of_kind(overlay, "Kafka")
    assert "zookeeper" not in kafka["spec"]
    pools = [
        p
        for p in of_kind(overlay, "KafkaNodePool")
        if p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    ]
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    cluster, namespace = kafka["metadata"]["name"], kafka["metadata"]["namespace"]
    bootstrap = f"{cluster}-kafka-bootstrap.{namespace}.svc.cluster.local"
    listeners = kafka["spec"]["kafka"]["listeners"]
    for app in APPS:
        model = service_model(app)
        if model.uses_kafka:
            servers = container_env(overlay, app).values[model.variable("kafka_bootstrap_servers")]
            host, port = url_host_port("tcp://" + str(servers))
            assert host == bootstrap and port in {listener["port"] for listener in listeners}


def test_every_topic_and_dead_letter_topic_is_declared(overlay: list[Resource]) -> None:
    (kafka,) = of_kind(overlay, "Kafka")
    topics = of_kind(overlay, "KafkaTopic")
    names = {t["spec"].get("topicName", t["metadata"]["name"]) for t in topics}
    assert names == set(ALL_TOPICS) | {dlq_topic(t) for t in ALL_TOPICS}
    brokers = sum(
        p["spec"]["replicas"]
        for p in of_kind(overlay, "KafkaNodePool")
        if "broker" in p["spec"]["roles"]
    )
    for topic in topics:
        assert topic["metadata"]["namespace"] == kafka["metadata"]["namespace"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        replicas = topic["spec"]["replicas"]
        assert replicas <= brokers
        min_insync = int(topic["spec"]["config"]["min.insync.replicas"])
        assert min_insync == 1 if replicas == 1 else 1 < min_insync < replicas


def test_production_topics_keep_three_copies_and_need_two(
    overlays: dict[str, list[Resource]],
) -> None:
    for topic in of_kind(overlays["prod"], "KafkaTopic"):
        assert topic["spec"]["replicas"] == 3
        assert int(topic["spec"]["config"]["min.insync.replicas"]) == 2
    (kafka,) = of_kind(overlays["prod"], "Kafka")
    assert int(kafka["spec"]["kafka"]["config"]["min.insync.replicas"]) == 2


def test_services_create_topics_the_way_the_cluster_declares_them(overlay: list[Resource]) -> None:
    """Partitions and replicas in KafkaTopic equal what a service would create on its own."""
    topics = of_kind(overlay, "KafkaTopic")
    partitions = {t["spec"]["partitions"] for t in topics}
    replicas = {t["spec"]["replicas"] for t in topics}
    assert len(partitions) == 1 and len(replicas) == 1
    for app in APPS:
        model = service_model(app)
        if not model.uses_kafka:
            continue
        env = container_env(overlay, app).values
        assert int(str(effective(model, env, "kafka_topic_partitions"))) in partitions, app
        assert int(str(effective(model, env, "kafka_replication_factor"))) in replicas, app


def test_consumers_never_scale_past_the_partitions(overlay: list[Resource]) -> None:
    """A consumer replica beyond the partition count would get no partition at all."""
    partitions = min(t["spec"]["partitions"] for t in of_kind(overlay, "KafkaTopic"))
    for app in CONSUMERS:
        assert service_model(app).uses_kafka
        assert named(overlay, "HorizontalPodAutoscaler", app)["spec"]["maxReplicas"] <= partitions


@pytest.mark.parametrize("required", ["1", ""])
def test_missing_crd_schemas_are_reported_not_ignored(
    required: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.deploy import crd_schemas

    monkeypatch.setattr(crd_schemas, "SCHEMAS_DIR", tmp_path / "absent")
    monkeypatch.setenv("COMMERCE_TEST_REQUIRE_SERVICES", required)
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match="Istio and Strimzi resources were NOT validated"):
        crd_schemas.schemas_dir_or_skip()


def test_cart_calls_order_and_product_only_where_the_policies_let_it(
    overlay: list[Resource],
) -> None:
    cart = service_model("cart")
    env = container_env(overlay, "cart").values
    for upstream, setting in (("order", "order_service_url"), ("product", "product_service_url")):
        host, port = url_host_port(str(env[cart.variable(setting)]))
        assert (host.split(".")[0], port) == (upstream, service_model(upstream).port)
