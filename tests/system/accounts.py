"""Sign-up and sign-in through the gateway, for system tests of any service."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.system.conftest import RunningPlatform

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


def sign_up(client: httpx.Client, email: str | None = None, password: str = PASSWORD) -> dict:
    response = client.post(
        "/v1/users", json={"email": email or unique_email(), "password": password}
    )
    assert response.status_code == 201, response.text
    return response.json()


def log_in(client: httpx.Client, email: str, password: str = PASSWORD) -> dict:
    response = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def new_account(client: httpx.Client, label: str = "user") -> Account:
    user = sign_up(client, unique_email(label))
    tokens = log_in(client, user["email"])
    return Account(
        user["id"], user["email"], PASSWORD, tokens["access_token"], tokens["refresh_token"]
    )


def operator(running: RunningPlatform, *argv: str) -> subprocess.CompletedProcess[str]:
    """``commerce users ...`` in a shell whose USER_* settings name the platform's database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("USER_")}
    env["USER_VAR_DIR"] = str(running.platform.config.var_dir)
    if "USER_DATABASE_URL" in running.platform.config.extra_env:
        env["USER_DATABASE_URL"] = running.platform.config.extra_env["USER_DATABASE_URL"]
    return subprocess.run(
        [sys.executable, "-m", "commerce", "users", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def with_role(
    running: RunningPlatform, client: httpx.Client, account: Account, role: str
) -> Account:
    """``account`` after an operator granted it ``role``, signed in again (tokens issued
    before the grant do not carry it)."""
    granted = operator(running, "grant-role", account.email, role)
    assert granted.returncode == 0, granted.stderr
    tokens = log_in(client, account.email, account.password)
    return replace(
        account, access_token=tokens["access_token"], refresh_token=tokens["refresh_token"]
    )
