import pytest

from commerce.gateway.routing import Access, access_for, has_dot_segments, route_for


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/v1/users", "user"),
        ("/v1/users/me", "user"),
        ("/v1/auth/login", "auth"),
        ("/v1/auth/jwks", "auth"),
        ("/.well-known/jwks.json", "auth"),
        ("/v1/products", "product"),
        ("/v1/products/abc", "product"),
        ("/v1/orders", "order"),
        ("/v1/orders/abc/cancel", "order"),
    ],
)
def test_public_paths_are_routed_to_their_service(path: str, upstream: str) -> None:
    route = route_for(path)
    assert route is not None
    assert route.upstream == upstream


@pytest.mark.parametrize(
    "path",
    [
        "/internal/users/verify-credentials",
        "/v1/internal/credentials",
        "/healthz-of-user",
        "/v1/usersX",
        "/v1/users-internal/x",
        "/v2/users",
        "/V1/users",
        "/.well-known/jwks.json/extra",
        "/v1/users/../internal/users/verify-credentials",
        "/v1/users/./me",
        "/v1/users/%2e%2e/internal/x",
        "/v1/users/..\\internal",
        "/",
        "",
    ],
)
def test_anything_else_is_not_routed(path: str) -> None:
    assert route_for(path) is None


def test_dot_segments_are_found_also_when_encoded() -> None:
    assert has_dot_segments("/a/%2E%2E/b")
    assert has_dot_segments("/a/..")
    assert not has_dot_segments("/a/..b/c.d/e...")


@pytest.mark.parametrize(
    ("method", "path", "access"),
    [
        ("POST", "/v1/users", Access.PUBLIC),
        ("GET", "/v1/users/me", Access.PROTECTED),
        ("GET", "/v1/users", Access.PROTECTED),
        ("POST", "/v1/users/me", Access.PROTECTED),
        ("DELETE", "/v1/users/me", Access.PROTECTED),
        ("POST", "/v1/auth/login", Access.OWN_CREDENTIALS),
        ("POST", "/v1/auth/refresh", Access.OWN_CREDENTIALS),
        ("GET", "/v1/auth/jwks", Access.OWN_CREDENTIALS),
        ("GET", "/.well-known/jwks.json", Access.OWN_CREDENTIALS),
        ("GET", "/v1/products", Access.PUBLIC),
        ("HEAD", "/v1/products/p1", Access.PUBLIC),
        ("GET", "/v1/products/p1", Access.PUBLIC),
        ("POST", "/v1/products", Access.PROTECTED),
        ("PATCH", "/v1/products/p1", Access.PROTECTED),
        ("PUT", "/v1/products/p1", Access.PROTECTED),
        ("DELETE", "/v1/products/p1", Access.PROTECTED),
        ("OPTIONS", "/v1/products", Access.PROTECTED),
        ("GET", "/v1/orders", Access.PROTECTED),
        ("POST", "/v1/orders", Access.PROTECTED),
        ("GET", "/v1/orders/o1", Access.PROTECTED),
        ("POST", "/v1/orders/o1/cancel", Access.PROTECTED),
    ],
)
def test_access_policy(method: str, path: str, access: Access) -> None:
    assert access_for(method, path) is access
