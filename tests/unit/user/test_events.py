import pytest

from commerce.contracts.users import UserRegistered as UserRegisteredV1
from commerce.kernel.domain import DomainEvent
from commerce.user.adapters.outbound.events import integration_event
from commerce.user.domain.user import UserRegistered


def test_user_registered_maps_to_the_contract() -> None:
    payload = integration_event(UserRegistered(user_id="u1", email="ada@example.com"))
    assert payload == UserRegisteredV1(user_id="u1", email="ada@example.com")
    assert payload.partition_key == "u1"


def test_an_unmapped_event_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        integration_event(DomainEvent())
