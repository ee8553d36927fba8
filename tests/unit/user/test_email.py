import pytest

from commerce.user.domain.email import Email
from commerce.user.domain.errors import InvalidEmail


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM \n", "ada.lovelace@example.com"),
        ("first+tag@sub.example.co.kr", "first+tag@sub.example.co.kr"),
        ("o'brien@my-domain.org", "o'brien@my-domain.org"),
    ],
)
def test_parse_trims_and_lower_cases(raw: str, normalised: str) -> None:
    assert Email.parse(raw).value == normalised


def test_different_cases_are_the_same_address() -> None:
    assert Email.parse("ADA@EXAMPLE.COM") == Email.parse("ada@example.com")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "ada@",
        "ada@@example.com",
        "ada@b@example.com",
        "ada@example",
        "ada@example.c",
        "ada@-example.com",
        "ada@example-.com",
        "ada@exa_mple.com",
        ".ada@example.com",
        "ada.@example.com",
        "a..da@example.com",
        "a da@example.com",
        '"ada"@example.com',
        "ada@[127.0.0.1]",
        "adä@example.com",
        "ada@exämple.com",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 250 + ".com",
        "ada@example.com\x00",
    ],
)
def test_parse_refuses_invalid_addresses(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        Email.parse(raw)


def test_longest_local_part_is_accepted() -> None:
    assert Email.parse("a" * 64 + "@example.com").value.startswith("a" * 64)
