"""deploy/compose.yaml against the code: services, ports, variables, links, start-up order.

Docker cannot run here; the file is parsed (YAML with anchors and merge keys, as Compose
reads it) and compared with what each service's settings class reads.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from commerce.cli import APPS
from commerce.contracts.topics import ALL_TOPICS, dlq_topic
from commerce.platform import DEFAULT_PORTS
from tests.deploy.conftest import DEPLOY
from tests.deploy.service_settings import (
    ContainerEnv,
    all_models,
    check_container_env,
    effective,
    service_model,
    url_host_port,
)

pytestmark = pytest.mark.deploy

INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")
BACKING = {"mysql", "kafka", "redis", "zipkin"}


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with an empty environment: the default."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()}


def app_services(compose: dict[str, Any]) -> dict[str, str]:
    """compose service -> app, for the containers that run `commerce serve <app>`."""
    found = {}
    for name, service in compose["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command[:1] == ["serve"]:
            found[name] = command[1]
    return found


def migration_services(compose: dict[str, Any]) -> dict[str, str]:
    found = {}
    for name, service in compose["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command[:1] == ["migrate"]:
            found[name] = command[1]
    return found


def resolver(compose: dict[str, Any]):  # type: ignore[no-untyped-def]
    apps = app_services(compose)

    def resolve(url: str) -> tuple[str, int] | None:
        host, port = url_host_port(interpolate(url))
        if host not in apps:
            return None
        return apps[host], port or 80

    return resolve


def test_every_app_runs_once_under_its_own_name(compose: dict[str, Any]) -> None:
    assert app_services(compose) == {app: app for app in APPS}


def test_every_container_environment_matches_the_code(compose: dict[str, Any]) -> None:
    problems = []
    resolve = resolver(compose)
    for name, app in app_services(compose).items():
        env = ContainerEnv(app, {k: v for k, v in environment(compose["services"][name]).items()})
        problems += check_container_env(env, resolve)
    for name, app in migration_services(compose).items():
        model = service_model(app)
        env = environment(compose["services"][name])
        unknown = [k for k in env if k not in model.variables]
        problems += [
            f"{name}: {k} is read by no field of {model.settings_class.__name__}" for k in unknown
        ]
        if model.variable("database_url") not in env:
            problems.append(f"{name}: no database URL")
    assert not problems, "\n".join(problems)


def test_each_service_with_a_database_has_its_own_database_and_a_migration_one_shot(
    compose: dict[str, Any],
) -> None:
    models = all_models()
    migrations = migration_services(compose)
    with_db = {name for name, model in models.items() if model.has_database}
    assert set(migrations.values()) == with_db
    databases = {}
    for app in with_db:
        model = models[app]
        url = interpolate(environment(compose["services"][app])[model.variable("database_url")])
        assert url.startswith("mysql+asyncmy://"), url
        host, port = url_host_port(url)
        assert (host, port) == ("mysql", 3306)
        databases[app] = url.rsplit("/", 1)[1]
        migrate = next(name for name, target in migrations.items() if target == app)
        migrate_url = environment(compose["services"][migrate])[model.variable("database_url")]
        assert interpolate(migrate_url) == url, f"{migrate} migrates another database"
    assert len(set(databases.values())) == len(databases), "services share a database"
    init = (DEPLOY / "compose" / "mysql-init" / "10-databases.sh").read_text()
    loop = re.search(r"for service in ([a-z ]+); do", init)
    assert loop and set(loop.group(1).split()) == with_db
    assert all(db == f"commerce_{app}" for app, db in databases.items())
    mysql = compose["services"]["mysql"]
    assert re.fullmatch(r"mysql:8(\.\d+)*", mysql["image"])
    assert "./compose/mysql-init:/docker-entrypoint-initdb.d:ro" in mysql["volumes"]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def test_start_up_is_gated_on_health_and_finished_one_shots(compose: dict[str, Any]) -> None:
    services = compose["services"]
    one_shots = set(migration_services(compose)) | {"kafka-topics", "proof-key"}
    problems = []
    for name, service in services.items():
        for dependency, condition in depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if dependency in one_shots:
                expected = "service_completed_successfully"
            elif dependency == "zipkin":
                expected = "service_started"  # traces are best effort; nothing waits for them
            else:
                expected = "service_healthy"
            if condition != expected:
                problems.append(f"{name} -> {dependency}: {condition}, expected {expected}")
            target = services[dependency]
            if (
                expected == "service_healthy"
                and "healthcheck" not in target
                and dependency not in APPS
            ):
                problems.append(f"{dependency} has no healthcheck to wait for")
    assert not problems, "\n".join(problems)


def test_every_link_is_a_dependency(compose: dict[str, Any]) -> None:
    """A service waits for what its URLs point at (and its own migration)."""
    services = compose["services"]
    migrations = {app: name for name, app in migration_services(compose).items()}
    problems = []
    for name, app in app_services(compose).items():
        deps = depends_on(services[name])
        env = environment(services[name])
        wanted = {migrations[app]} if app in migrations else set()
        for value in env.values():
            for part in interpolate(value).split(","):
                host, _ = url_host_port(part if "://" in part else "tcp://" + part)
                if host in services and host != name:
                    wanted.add(host)
        if service_model(app).uses_kafka:
            wanted.add("kafka-topics")
        missing = wanted - set(deps)
        if missing:
            problems.append(f"{name} does not wait for {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_kafka_runs_in_kraft_mode_and_every_topic_is_created(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert not any("zookeeper" in name for name in services)
    kafka = environment(services["kafka"])
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"].split(",")
    assert not any("ZOOKEEPER" in key for key in kafka)
    script = " ".join(services["kafka-topics"]["command"])
    created = set(re.findall(r"--topic (\S+)", script))
    assert created == set(ALL_TOPICS) | {dlq_topic(t) for t in ALL_TOPICS}
    partitions = set(re.findall(r"--partitions (\d+)", script))
    for app in APPS:
        model = service_model(app)
        if model.uses_kafka:
            env = environment(services[app])
            assert {str(effective(model, env, "kafka_topic_partitions"))} == partitions


def test_tokens_agree_between_auth_and_gateway(compose: dict[str, Any]) -> None:
    services = compose["services"]
    auth, gateway = service_model("auth"), service_model("gateway")
    auth_env, gateway_env = environment(services["auth"]), environment(services["gateway"])
    for field in ("issuer", "audience"):
        assert effective(auth, auth_env, field) == effective(gateway, gateway_env, field)
    user_env = environment(services["user"])
    user = service_model("user")
    # The internal token auth presents is the one user expects.
    assert (
        auth_env[auth.variable("user_service_token")]
        == user_env[user.variable("internal_api_token")]
    )


def test_only_the_gateway_and_zipkin_are_published(compose: dict[str, Any]) -> None:
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"gateway", "zipkin"}
    assert compose["services"]["gateway"]["ports"] == [
        f"{DEFAULT_PORTS['gateway']}:{DEFAULT_PORTS['gateway']}"
    ]


def test_app_containers_are_hardened_and_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in [*app_services(compose), *migration_services(compose)]:
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
    for name in BACKING:
        assert "build" not in services[name]


def test_the_consistency_check_catches_an_unknown_variable_and_a_missing_link(
    compose: dict[str, Any],
) -> None:
    resolve = resolver(compose)
    env = environment(compose["services"]["gateway"])
    env["GATEWAY_UPSTREAM_TIMEOUT"] = "5"  # no such setting
    del env["GATEWAY_ORDER_URL"]  # would silently fall back to 127.0.0.1
    env["GATEWAY_PRODUCT_URL"] = "http://order:8004"  # right form, wrong service
    problems = "\n".join(check_container_env(ContainerEnv("gateway", env), resolve))
    assert "GATEWAY_UPSTREAM_TIMEOUT is read by no field" in problems
    assert "GATEWAY_ORDER_URL is not set" in problems
    assert "GATEWAY_PRODUCT_URL=http://order:8004 reaches ('order', 8004)" in problems
