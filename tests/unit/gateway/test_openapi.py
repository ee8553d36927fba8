from typing import Any

from commerce.gateway.openapi import OpenApiCatalog, merge_documents


def problem_schema(title: str) -> dict[str, Any]:
    return {"title": title, "type": "object"}


USER_DOC = {
    "openapi": "3.1.0",
    "paths": {
        "/v1/users": {
            "post": {
                "requestBody": {"$ref": "#/components/schemas/NewUser"},
                "responses": {"201": {"$ref": "#/components/schemas/Problem"}},
            }
        },
        "/v1/users/me": {
            "get": {
                "parameters": [
                    {"name": "X-User-Id", "in": "header"},
                    {"name": "verbose", "in": "query"},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/internal/credentials": {"post": {"responses": {}}},
        "/healthz": {"get": {"responses": {}}},
        "/v1/orders": {"get": {"responses": {}}},  # not the user service's to publish
    },
    "components": {
        "schemas": {
            "NewUser": {"type": "object"},
            "Problem": problem_schema("user problem"),
            "Shared": {"type": "string"},
        }
    },
}
PRODUCT_DOC = {
    "openapi": "3.1.0",
    "paths": {
        "/v1/products/{product_id}": {
            "get": {"responses": {"404": {"$ref": "#/components/schemas/Problem"}}},
            "patch": {"responses": {"200": {"description": "ok"}}},
        }
    },
    "components": {
        "schemas": {"Problem": problem_schema("product problem"), "Shared": {"type": "string"}}
    },
}


def merged() -> dict[str, Any]:
    return merge_documents({"user": USER_DOC, "product": PRODUCT_DOC}, title="T", version="1")


def test_only_routed_paths_of_each_service_are_published() -> None:
    assert set(merged()["paths"]) == {"/v1/users", "/v1/users/me", "/v1/products/{product_id}"}


def test_clashing_components_are_renamed_and_references_follow() -> None:
    document = merged()
    schemas = document["components"]["schemas"]

    assert schemas["Problem"]["title"] == "user problem"
    assert schemas["ProductProblem"]["title"] == "product problem"
    assert schemas["Shared"] == {"type": "string"}
    assert "ProductShared" not in schemas
    get = document["paths"]["/v1/products/{product_id}"]["get"]
    assert get["responses"]["404"]["$ref"] == "#/components/schemas/ProductProblem"
    post = document["paths"]["/v1/users"]["post"]
    assert post["responses"]["201"]["$ref"] == "#/components/schemas/Problem"


def test_protected_operations_require_the_bearer_scheme_and_public_ones_do_not() -> None:
    paths = merged()["paths"]

    assert paths["/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "401" in paths["/v1/users/me"]["get"]["responses"]
    assert paths["/v1/products/{product_id}"]["patch"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/v1/products/{product_id}"]["get"]
    assert "security" not in paths["/v1/users"]["post"]
    assert merged()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_identity_headers_are_not_published() -> None:
    parameters = merged()["paths"]["/v1/users/me"]["get"]["parameters"]

    assert parameters == [{"name": "verbose", "in": "query"}]


async def test_a_service_that_is_down_is_missing_until_it_is_back() -> None:
    down = {"product"}

    async def fetch(name: str) -> dict[str, Any]:
        if name in down:
            raise ConnectionError(name)
        return {"user": USER_DOC, "product": PRODUCT_DOC}.get(name, {"paths": {}})

    catalog = OpenApiCatalog(fetch, ("user", "product"))
    await catalog.refresh()
    assert catalog.missing == ("product",)
    assert "/v1/products/{product_id}" not in catalog.document()["paths"]

    down.clear()
    await catalog.refresh()
    assert catalog.missing == ()
    assert "/v1/products/{product_id}" in catalog.document()["paths"]


def test_the_gateways_own_operations_are_published_beside_the_services() -> None:
    own = {
        "openapi": "3.1.0",
        "paths": {
            "/v1/admin/services": {
                "get": {"responses": {"200": {"$ref": "#/components/schemas/Problem"}}}
            }
        },
        "components": {"schemas": {"Problem": problem_schema("gateway problem")}},
    }
    document = merge_documents({"user": USER_DOC}, title="T", version="1", own=own)
    operation = document["paths"]["/v1/admin/services"]["get"]
    assert operation["security"] == [{"bearerAuth": []}]  # ADMIN only: a token first
    assert operation["responses"]["200"] == {"$ref": "#/components/schemas/GatewayProblem"}
    assert document["components"]["schemas"]["GatewayProblem"]["title"] == "gateway problem"
    assert "/v1/users" in document["paths"]
