import pytest
from pydantic import ValidationError

from commerce.user.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USER_PORT", "USER_INTERNAL_API_TOKEN", "USER_ARGON2_TIME_COST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.service_name, settings.port) == ("user", 8001)
    assert (settings.argon2_time_cost, settings.argon2_memory_cost) == (2, 19456)
    assert settings.argon2_parallelism == 1
    assert settings.internal_api_token is None


def test_reads_user_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_PORT", "9101")
    monkeypatch.setenv("USER_ARGON2_MEMORY_COST", "65536")
    monkeypatch.setenv("USER_INTERNAL_API_TOKEN", "s3cret")
    monkeypatch.setenv("AUTH_PORT", "9999")
    settings = Settings()
    assert settings.port == 9101
    assert settings.argon2_memory_cost == 65536
    assert settings.internal_api_token is not None
    assert settings.internal_api_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("memory", "time"), [(19456, 2), (47104, 1), (12288, 3), (9216, 4), (7168, 5), (65536, 3)]
)
def test_owasp_equivalent_argon2_parameters_are_accepted(memory: int, time: int) -> None:
    Settings(argon2_memory_cost=memory, argon2_time_cost=time)


@pytest.mark.parametrize(("memory", "time"), [(19456, 1), (12288, 2), (7168, 4), (4096, 10)])
def test_weaker_argon2_parameters_are_refused(memory: int, time: int) -> None:
    with pytest.raises(ValidationError):
        Settings(argon2_memory_cost=memory, argon2_time_cost=time)
