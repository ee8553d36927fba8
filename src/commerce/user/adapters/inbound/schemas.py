"""Request and response bodies of the user service's HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from commerce.kernel.domain import InvalidInput
from commerce.kernel.http.schemas import RequestBody, SchemaPattern
from commerce.kernel.http.text_patterns import (
    PYTHON_WHITESPACE,
    excluding,
    trimmed,
    trimmed_printable,
)
from commerce.user.application.views import UserView
from commerce.user.domain.email import MAX_LENGTH as MAX_EMAIL_LENGTH
from commerce.user.domain.email import MAX_LOCAL_LENGTH, Email
from commerce.user.domain.password import MAX_LENGTH, MIN_LENGTH
from commerce.user.domain.user import MAX_NAME_LENGTH, normalise_name


def _valid_email(value: str) -> str:
    # The domain's rule, reported as a field error so the 422 names the field.
    try:
        return Email.parse(value).value
    except InvalidInput as error:
        raise ValueError(error.message) from None


def _valid_name(value: str | None) -> str | None:
    try:
        return normalise_name(value)
    except InvalidInput as error:
        raise ValueError(error.message) from None


# The domain's rules (Email.parse, normalise_name: trimmed, then checked) as patterns, so
# that the document says what the validators accept.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = trimmed(
    rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}", PYTHON_WHITESPACE
)
# The address has no blanks in it: its parts' lengths are those of runs of other characters.
EMAIL_LENGTHS = (
    rf"^{PYTHON_WHITESPACE}*[^@]{{1,{MAX_LOCAL_LENGTH}}}@",
    trimmed(f"{excluding(PYTHON_WHITESPACE)}{{1,{MAX_EMAIL_LENGTH}}}", PYTHON_WHITESPACE),
)
NAME_PATTERN = trimmed_printable(PYTHON_WHITESPACE)


class SignUpRequest(RequestBody):
    email: Annotated[
        str,
        Field(max_length=320, examples=["ada@example.com"]),
        AfterValidator(_valid_email),
        SchemaPattern(EMAIL_PATTERN, also=EMAIL_LENGTHS),
    ]
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, repr=False)
    name: (
        Annotated[
            str,
            Field(min_length=1, max_length=MAX_NAME_LENGTH),
            AfterValidator(_valid_name),
            SchemaPattern(NAME_PATTERN),
        ]
        | None
    ) = None


class UserResponse(BaseModel):
    id: str
    email: str
    name: str | None
    roles: list[str]
    created_at: datetime

    @classmethod
    def of(cls, view: UserView) -> UserResponse:
        return cls(
            id=view.id,
            email=view.email,
            name=view.name,
            roles=list(view.roles),
            created_at=view.created_at,
        )


class VerifyCredentialsRequest(RequestBody):
    # Lenient on purpose: whatever was typed at sign-in gets the same 401 when it is wrong.
    # The bounds only keep absurd bodies out.
    email: str = Field(max_length=1024)
    password: str = Field(max_length=1024, repr=False)


class VerifiedUserResponse(BaseModel):
    id: str
    email: str
    name: str | None
    roles: list[str]

    @classmethod
    def of(cls, view: UserView) -> VerifiedUserResponse:
        return cls(id=view.id, email=view.email, name=view.name, roles=list(view.roles))


class InternalUserResponse(BaseModel):
    """What a token needs of a user: no name, nothing secret."""

    id: str
    email: str
    roles: list[str]

    @classmethod
    def of(cls, view: UserView) -> InternalUserResponse:
        return cls(id=view.id, email=view.email, roles=list(view.roles))
