"""Sign-up and sign-in through the gateway, for system tests of any service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

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
