"""What the code says a deployment must configure, read from the code at test time.

Each service's settings class (the return type of ``commerce.<name>.bootstrap.load_settings``)
gives the environment variables it reads (``env_prefix`` + field name); the bootstrap module
says whether the service has a database (``SERVICE_PACKAGE``). Nothing here is a hand-kept
list of variable names, so a renamed or new setting makes the deployment checks fail until
compose and Kubernetes follow.
"""

from __future__ import annotations

import importlib
import os
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

import pytest
from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from commerce.cli import APPS
from commerce.kernel.settings import ServiceSettings
from commerce.platform import DEFAULT_PORTS

# Variables a service container may carry besides its own settings: the image's HEALTHCHECK.
CONTAINER_VARIABLES = frozenset({"HEALTHCHECK_PORT"})
# Field-name endings that point at another server: left at their loopback defaults inside a
# container they are always wrong, so a deployment must set them...
LINK_SUFFIXES = ("_url", "_urls", "_servers", "_endpoint")
# ...except these, for a stated reason.
OPTIONAL_LINKS = {
    "jwks_url": "derived from the auth URL when unset",
    "otlp_endpoint": "the deployments export traces to Zipkin, not OTLP",
    "database_url": "only services with migrations (SERVICE_PACKAGE) have a database",
    "redis_url": "only the services in REDIS_USERS keep state in Redis",
}
# The deployment's choice (docs/deploy.md): refresh tokens, login limits and the gateway's
# request rate limit live in Redis so that every replica shares them.
REDIS_USERS = frozenset({"auth", "gateway"})
# Settings that must never be written out in clear in a manifest, besides SecretStr fields:
# their URLs carry credentials.
CREDENTIAL_FIELDS = frozenset({"database_url", "redis_url"})


@dataclass(frozen=True)
class ServiceModel:
    """One deployable app as the code defines it."""

    name: str
    settings_class: type[ServiceSettings]
    prefix: str
    variables: Mapping[str, str]  # environment variable -> field name
    has_database: bool
    port: int = field(default=0)

    @property
    def uses_kafka(self) -> bool:
        return "kafka_bootstrap_servers" in self.settings_class.model_fields

    def variable(self, field_name: str) -> str:
        for variable, name in self.variables.items():
            if name == field_name:
                return variable
        raise KeyError(f"{self.settings_class.__name__} has no field {field_name!r}")

    def has_field(self, field_name: str) -> bool:
        return field_name in self.settings_class.model_fields

    def field_info(self, variable: str) -> FieldInfo:
        return self.settings_class.model_fields[self.variables[variable]]

    def is_secret(self, variable: str) -> bool:
        name = self.variables[variable]
        annotation = self.settings_class.model_fields[name].annotation
        return name in CREDENTIAL_FIELDS or SecretStr in _flatten(annotation)

    def required_links(self) -> set[str]:
        """Variables naming another server that a container must set."""
        return {variable for variable, name in self.variables.items() if self._must_link(name)}

    def _must_link(self, name: str) -> bool:
        if not name.endswith(LINK_SUFFIXES):
            return False
        if name == "database_url":
            return self.has_database
        if name == "redis_url":
            return self.name in REDIS_USERS
        return name not in OPTIONAL_LINKS

    def default(self, field_name: str) -> object:
        return self.settings_class.model_fields[field_name].get_default(call_default_factory=True)


def _flatten(annotation: object) -> set[object]:
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    found: set[object] = set()
    for arg in args:
        found |= _flatten(arg)
    return found


def _env_names(settings_class: type[ServiceSettings]) -> dict[str, str]:
    """Environment variable -> field, the way pydantic-settings looks them up."""
    prefix = settings_class.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for name, info in settings_class.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            names[alias.upper()] = name
        elif isinstance(alias, AliasChoices):
            for choice in alias.choices:
                if isinstance(choice, str):
                    names[choice.upper()] = name
        else:
            names[(prefix + name).upper()] = name
    return names


def _settings_class(name: str, bootstrap: object) -> type[ServiceSettings]:
    hints = typing.get_type_hints(bootstrap.load_settings)  # type: ignore[attr-defined]
    settings_class = hints.get("return")
    if not (isinstance(settings_class, type) and issubclass(settings_class, ServiceSettings)):
        raise AssertionError(
            f"commerce.{name}.bootstrap.load_settings() returns no ServiceSettings"
        )
    return settings_class


@cache
def service_model(name: str) -> ServiceModel:
    try:
        bootstrap = importlib.import_module(f"commerce.{name}.bootstrap")
    except ModuleNotFoundError as error:
        if error.name and f"commerce.{name}.bootstrap".startswith(error.name):
            # Not written yet: nothing to deploy, so nothing to compare (a missing module is
            # not a deployment inconsistency; the service's own tests fail on it).
            pytest.skip(f"commerce.{name}.bootstrap does not exist yet")
        raise
    settings_class = _settings_class(name, bootstrap)
    prefix = settings_class.model_config.get("env_prefix", "").upper()
    return ServiceModel(
        name=name,
        settings_class=settings_class,
        prefix=prefix,
        variables=_env_names(settings_class),
        has_database=hasattr(bootstrap, "SERVICE_PACKAGE"),
        port=DEFAULT_PORTS[name],
    )


def all_models() -> dict[str, ServiceModel]:
    return {name: service_model(name) for name in APPS}


@contextmanager
def _isolated_environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for key in list(os.environ):
            if key.startswith(tuple(f"{app.upper()}_" for app in APPS)):
                del os.environ[key]
        os.environ.update(env)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_with(model: ServiceModel, env: Mapping[str, str]) -> ServiceSettings:
    """The service's settings as the container would build them from ``env``."""
    with _isolated_environment(env):
        return model.settings_class()


# Stand-ins for values that come from Secrets: well-formed, so the settings still validate.
SECRET_PLACEHOLDERS = {
    "database_url": "mysql+asyncmy://svc:secret@db.invalid:3306/svc",
    "redis_url": "redis://redis.invalid:6379/0",
}


def placeholder_for(model: ServiceModel, variable: str) -> str:
    return SECRET_PLACEHOLDERS.get(model.variables[variable], "from-a-secret")


@dataclass
class ContainerEnv:
    """A service container's environment: literal values, and variables set from a secret
    (value ``None``) identified by ``secret_sources``."""

    app: str
    values: dict[str, str | None]
    secret_sources: dict[str, str] = field(default_factory=dict)


def check_container_env(
    env: ContainerEnv, resolve_host: typing.Callable[[str], tuple[str, int] | None]
) -> list[str]:
    """Every inconsistency between one container's environment and the code's settings.

    ``resolve_host(url)`` names the app and port a URL reaches in this deployment (or None
    when it is outside the platform, e.g. Zipkin).
    """
    model = service_model(env.app)
    problems: list[str] = []
    where = f"{env.app}:"
    for variable in env.values:
        if variable in CONTAINER_VARIABLES:
            continue
        if variable not in model.variables:
            problems.append(
                f"{where} {variable} is read by no field of {model.settings_class.__name__}"
            )
    missing = model.required_links() - set(env.values)
    problems += [
        f"{where} {variable} is not set (a link to another server)" for variable in sorted(missing)
    ]
    known = {k: v for k, v in env.values.items() if k in model.variables}

    def value(field_name: str) -> str | None:
        return known.get(model.variable(field_name)) if model.has_field(field_name) else None

    expectations = {
        "host": "0.0.0.0",
        "port": str(model.port),
        "tracing_exporter": "zipkin",
    }
    if model.has_database:
        expectations["migrate_on_start"] = "false"
    if model.uses_kafka:
        expectations["kafka_enable_idempotence"] = "true"
    for field_name, expected in expectations.items():
        if not model.has_field(field_name):
            continue
        actual = value(field_name)
        if actual is None or actual.lower() != expected:
            problems.append(
                f"{where} {model.variable(field_name)}={actual!r}, expected {expected!r}"
            )
    if "HEALTHCHECK_PORT" in env.values and env.values["HEALTHCHECK_PORT"] != str(model.port):
        problems.append(f"{where} HEALTHCHECK_PORT is not the service's port {model.port}")
    for variable, actual in known.items():
        if model.is_secret(variable) and variable not in env.secret_sources and _in_clear(actual):
            problems.append(f"{where} {variable} is a credential but is written in clear")
    problems += _check_url_targets(model, known, resolve_host)
    if not problems:
        filled = {k: (v if v is not None else placeholder_for(model, k)) for k, v in known.items()}
        try:
            load_with(model, filled)
        except Exception as error:  # the settings class refuses the values: say which
            problems.append(f"{where} the settings do not load: {error}")
    return problems


def _in_clear(value: str | None) -> bool:
    """A secret written into the file itself (compose interpolation counts as a reference;
    a URL without a password in it holds no secret)."""
    if value is None or "${" in value:
        return False
    if "://" in value:
        return urlsplit(value).password is not None
    return True


def _check_url_targets(
    model: ServiceModel,
    known: Mapping[str, str | None],
    resolve_host: typing.Callable[[str], tuple[str, int] | None],
) -> list[str]:
    """``<app>_url`` and ``<app>_service_url`` fields must reach that app on its port."""
    problems = []
    for variable, url in known.items():
        name = model.variables[variable]
        if url is None or not name.endswith("_url") or "://" not in url:
            continue
        target = resolve_host(url)
        wanted = name.removesuffix("_url").removesuffix("_service")
        if wanted in APPS:
            if target is None:
                problems.append(f"{model.name}: {variable}={url} reaches no {wanted} service")
            elif target != (wanted, DEFAULT_PORTS[wanted]):
                problems.append(
                    f"{model.name}: {variable}={url} reaches {target}, "
                    f"expected ({wanted!r}, {DEFAULT_PORTS[wanted]})"
                )
        elif target is not None and target[1] != DEFAULT_PORTS[target[0]]:
            problems.append(f"{model.name}: {variable}={url} uses the wrong port for {target[0]}")
    return problems


def url_host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port


def effective(model: ServiceModel, env: Mapping[str, str | None], field_name: str) -> object:
    """A setting's value in a container: the environment's, else the code's default."""
    variable = model.variable(field_name)
    if variable in env and env[variable] is not None:
        return env[variable]
    return model.default(field_name)
