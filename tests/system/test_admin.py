"""Operations through the gateway on the whole platform: an OrderPlaced the product service
cannot apply is parked, shows up as a stuck order and an open dead letter, and an ADMIN
replays it (the order completes) or discards it with a reason; all of it audited."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.system.accounts import Account, new_account, with_role
from tests.system.conftest import RunningPlatform
from tests.system.faults import failing_reservations, wait_parked

pytestmark = pytest.mark.system

PRODUCT_ADMIN = "/v1/admin/product"
DEADLINE_SECONDS = 30.0


def place(gateway: httpx.Client, buyer: Account, product_id: str) -> str:
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    response = gateway.post("/v1/orders", json=body, headers=buyer.auth)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    return order_id


def parked_letter(gateway: httpx.Client, admin: Account, order_id: str) -> dict:
    listed = gateway.get(f"{PRODUCT_ADMIN}/dead-letters?status=OPEN&limit=100", headers=admin.auth)
    assert listed.status_code == 200, listed.text
    for item in listed.json()["items"]:
        detail = gateway.get(f"{PRODUCT_ADMIN}/dead-letters/{item['id']}", headers=admin.auth)
        assert detail.status_code == 200, detail.text
        payload = detail.json()["payload"]
        if isinstance(payload, dict) and payload.get("data", {}).get("order_id") == order_id:
            return detail.json()
    raise AssertionError(f"no open dead letter for {order_id}")


def wait_status(gateway: httpx.Client, buyer: Account, order_id: str, status: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        order = gateway.get(f"/v1/orders/{order_id}", headers=buyer.auth).json()
        if order["status"] == status:
            return
        assert time.monotonic() < deadline, f"order {order_id} still {order['status']}"
        time.sleep(0.1)


def test_an_admin_replays_a_parked_order_and_discards_another(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    seller = new_account(gateway, "admin-seller")
    buyer = new_account(gateway, "admin-buyer")
    admin = with_role(running, gateway, new_account(gateway, "ops"), "ADMIN")
    product = gateway.post(
        "/v1/products",
        json={"name": f"Fault {uuid.uuid4().hex[:8]}", "price": 1_000, "stock": 10},
        headers=seller.auth,
    ).json()

    with failing_reservations(running, product["id"]):
        replayed_id = place(gateway, buyer, product["id"])
        discarded_id = place(gateway, buyer, product["id"])
        wait_parked(running, replayed_id)
        wait_parked(running, discarded_id)
        # Still inside the fault: nothing can have answered these orders yet.
        stuck = gateway.get(
            "/v1/admin/order/stuck-orders?older_than_seconds=1&limit=100", headers=admin.auth
        )
        assert stuck.status_code == 200, stuck.text
        waiting = {item["id"]: item["waiting_for"] for item in stuck.json()["items"]}
        assert waiting[replayed_id] == waiting[discarded_id] == "stock"
        letter = parked_letter(gateway, admin, replayed_id)
        other = parked_letter(gateway, admin, discarded_id)
        assert (letter["event_type"], letter["error_type"]) == ("OrderPlaced", "IntegrityError")
        assert letter["attempts"] >= 1 and letter["topic"] == "commerce.order.events"
        overview = gateway.get(f"{PRODUCT_ADMIN}/messaging", headers=admin.auth).json()
        assert overview["dead_letters"]["open"] >= 2
        assert {row["group"] for row in overview["consumers"]} == {"product"}

    refused = gateway.post(
        f"{PRODUCT_ADMIN}/dead-letters/{letter['id']}/replay", headers=buyer.auth
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"

    replayed = gateway.post(
        f"{PRODUCT_ADMIN}/dead-letters/{letter['id']}/replay", headers=admin.auth
    )
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["resolved_by"]) == ("REPLAYED", admin.id)
    wait_status(gateway, buyer, replayed_id, "CONFIRMED")

    discarded = gateway.post(
        f"{PRODUCT_ADMIN}/dead-letters/{other['id']}/discard",
        json={"reason": "duplicate of a phone order"},
        headers=admin.auth,
    )
    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["status"] == "DISCARDED"

    audit = gateway.get(f"{PRODUCT_ADMIN}/audit?limit=100", headers=admin.auth).json()["items"]
    done = {(row["action"], row["target"]): row for row in audit}
    assert done[("replay", f"dead-letter:{letter['id']}")]["actor_email"] == admin.email
    assert done[("discard", f"dead-letter:{other['id']}")]["detail"] == "duplicate of a phone order"

    # A re-drive of the discarded order may have been parked meanwhile: replay-all takes it.
    counts = gateway.post(f"{PRODUCT_ADMIN}/dead-letters/replay", headers=admin.auth)
    assert counts.status_code == 200, counts.text
    assert set(counts.json()) == {"replayed", "failed"} and counts.json()["failed"] == 0
    services = gateway.get("/v1/admin/services", headers=admin.auth).json()["items"]
    assert {item["name"] for item in services} >= {"gateway", "product", "order", "payment"}
