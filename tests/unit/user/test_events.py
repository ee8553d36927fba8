import pytest

from commerce.contracts.users import UserRegistered as UserRegisteredV1
from commerce.contracts.users import UserRoleGranted as UserRoleGrantedV1
from commerce.contracts.users import UserRoleRevoked as UserRoleRevokedV1
from commerce.kernel.domain import DomainEvent
from commerce.user.adapters.outbound.events import integration_event
from commerce.user.domain.roles import Role
from commerce.user.domain.user import UserRegistered, UserRoleGranted, UserRoleRevoked


def test_user_registered_maps_to_the_contract() -> None:
    payload = integration_event(UserRegistered(user_id="u1", email="ada@example.com"))
    assert payload == UserRegisteredV1(user_id="u1", email="ada@example.com")
    assert payload.partition_key == "u1"


def test_an_unmapped_event_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        integration_event(DomainEvent())


def test_role_events_map_to_the_contract() -> None:
    granted = integration_event(UserRoleGranted(user_id="u1", role=Role.STAFF))
    revoked = integration_event(UserRoleRevoked(user_id="u1", role=Role.ADMIN))
    assert granted == UserRoleGrantedV1(user_id="u1", role="STAFF")
    assert revoked == UserRoleRevokedV1(user_id="u1", role="ADMIN")
    assert (granted.partition_key, revoked.partition_key) == ("u1", "u1")
