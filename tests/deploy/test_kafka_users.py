"""Authenticated messaging in Kubernetes (ADR 0046): the listener, the KafkaUsers, their ACLs
against each service's declared KAFKA_ACCESS, and how each Deployment gets its credentials."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

from commerce.cli import APPS
from commerce.kernel.messaging.access import KafkaAccess
from tests.deploy.conftest import OVERLAYS, Resource, container_env, named, of_kind
from tests.deploy.crd_schemas import CrdVersion, crd_errors
from tests.deploy.service_settings import effective, service_model, url_host_port

pytestmark = pytest.mark.deploy

Acl = tuple[str, str, str]  # (resource type, resource name, operation)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, overlays: dict[str, list[Resource]]) -> list[Resource]:
    return overlays[request.param]


def kafka_apps() -> list[str]:
    return [app for app in APPS if service_model(app).uses_kafka]


def declared_access(app: str) -> KafkaAccess:
    bootstrap = importlib.import_module(f"commerce.{app}.bootstrap")
    access = getattr(bootstrap, "KAFKA_ACCESS", None)
    assert isinstance(access, KafkaAccess), f"commerce.{app}.bootstrap declares no KAFKA_ACCESS"
    return access


def expected_acls(access: KafkaAccess) -> set[Acl]:
    """The least the service needs: Read and Write imply Describe in Kafka."""
    return (
        {("topic", topic, "Write") for topic in access.writes}
        | {("topic", topic, "Read") for topic in access.reads}
        | {("group", group, "Read") for group in access.groups}
    )


def acl_problems(user: Resource, access: KafkaAccess) -> list[str]:
    """How a KafkaUser's ACLs differ from exactly what ``access`` needs."""
    name = user["metadata"]["name"]
    authorization = user["spec"].get("authorization", {})
    problems = []
    if authorization.get("type") != "simple":
        problems.append(f"{name}: authorization is not of type simple")
    granted: set[Acl] = set()
    for acl in authorization.get("acls", []):
        resource = acl["resource"]
        if acl.get("type", "allow") != "allow" or acl.get("host", "*") != "*":
            problems.append(f"{name}: only allow rules from any host are expected: {acl}")
        if resource.get("patternType", "literal") != "literal" or resource.get("name") == "*":
            problems.append(f"{name}: {resource} is not one literal name")
        for operation in acl["operations"]:
            granted.add((resource["type"], resource.get("name", ""), operation))
    wanted = expected_acls(access)
    problems += [f"{name}: missing ACL {acl}" for acl in sorted(wanted - granted)]
    problems += [f"{name}: ACL {acl} beyond what the code does" for acl in sorted(granted - wanted)]
    return problems


def kafka_cluster(overlay: list[Resource]) -> Resource:
    (kafka,) = of_kind(overlay, "Kafka")
    return kafka


def test_every_kafka_user_matches_the_crd(
    overlay: list[Resource], crds: dict[tuple[str, str], CrdVersion]
) -> None:
    users = of_kind(overlay, "KafkaUser")
    assert users
    problems = [problem for user in users for problem in crd_errors(user, crds)]
    assert not problems, "\n".join(problems)


def test_one_kafka_user_per_service_that_uses_kafka(overlay: list[Resource]) -> None:
    users = {user["metadata"]["name"] for user in of_kind(overlay, "KafkaUser")}
    assert users == set(kafka_apps())
    assert "gateway" not in users and "auth" not in users


def test_each_service_may_do_exactly_what_its_code_declares(overlay: list[Resource]) -> None:
    problems = []
    for app in kafka_apps():
        user = named(overlay, "KafkaUser", app)
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        problems += acl_problems(user, declared_access(app))
    assert not problems, "\n".join(problems)


def test_the_acl_check_catches_a_new_consumer_and_a_broader_grant(
    overlay: list[Resource],
) -> None:
    user, access = named(overlay, "KafkaUser", "order"), declared_access("order")
    assert not acl_problems(user, access)
    consumes = {**access.consumes, "order-audit": ("commerce.user.events",)}
    more = KafkaAccess(produces=access.produces, consumes=consumes)
    missing = "\n".join(acl_problems(user, more))
    assert "missing ACL ('topic', 'commerce.user.events', 'Read')" in missing
    assert "missing ACL ('group', 'order-audit', 'Read')" in missing
    assert "missing ACL ('topic', 'commerce.user.events.dlq', 'Write')" in missing

    broader = copy.deepcopy(user)
    acls: list[dict[str, Any]] = broader["spec"]["authorization"]["acls"]
    acls[0]["operations"].append("Create")
    prefix = {"type": "topic", "name": "commerce.", "patternType": "prefix"}
    acls.append({"resource": prefix, "operations": ["Read"]})
    found = "\n".join(acl_problems(broader, access))
    assert "'Create') beyond what the code does" in found
    assert "is not one literal name" in found


def test_the_listener_the_services_use_requires_scram_over_tls(overlay: list[Resource]) -> None:
    kafka = kafka_cluster(overlay)
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    listeners = {listener["port"]: listener for listener in kafka["spec"]["kafka"]["listeners"]}
    # No way around it: every client listener authenticates (the forged-event attack used an
    # unauthenticated one).
    assert all(listener.get("authentication") for listener in listeners.values())
    for app in kafka_apps():
        model, env = service_model(app), container_env(overlay, app).values
        servers = str(env[model.variable("kafka_bootstrap_servers")])
        _, port = url_host_port("tcp://" + servers)
        listener = listeners[port]
        assert listener["tls"] is True, app
        assert listener["authentication"]["type"] == "scram-sha-512", app
        assert effective(model, env, "kafka_security_protocol") == "SASL_SSL", app
        assert effective(model, env, "kafka_sasl_mechanism") == "SCRAM-SHA-512", app


def test_each_deployment_reads_its_own_kafka_users_secret(overlay: list[Resource]) -> None:
    user_operator = kafka_cluster(overlay)["spec"]["entityOperator"]["userOperator"]
    for app in kafka_apps():
        model, env = service_model(app), container_env(overlay, app)
        username = effective(model, env.values, "kafka_sasl_username")
        user = named(overlay, "KafkaUser", str(username))
        assert user["metadata"]["name"] == app
        # The User Operator writes <secretPrefix><user> into the namespace it watches, which
        # must be the Deployment's: a Pod reads Secrets of its own namespace only.
        namespace = named(overlay, "Deployment", app)["metadata"]["namespace"]
        assert user["metadata"]["namespace"] == namespace == user_operator["watchedNamespace"]
        secret = f"{user_operator.get('secretPrefix', '')}{app}/password"
        assert env.secret_sources[model.variable("kafka_sasl_password")] == secret


def test_each_deployment_checks_the_brokers_with_the_cluster_ca(overlay: list[Resource]) -> None:
    ca_secret = f"{kafka_cluster(overlay)['metadata']['name']}-cluster-ca-cert"
    for app in kafka_apps():
        model, env = service_model(app), container_env(overlay, app).values
        directory, _, filename = str(effective(model, env, "kafka_ssl_cafile")).rpartition("/")
        spec = named(overlay, "Deployment", app)["spec"]["template"]["spec"]
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volume = {v["name"]: v for v in spec["volumes"]}[mounts[directory]]
        assert volume["secret"]["secretName"] == ca_secret, app
        assert volume["secret"]["items"] == [{"key": "ca.crt", "path": filename}], app
