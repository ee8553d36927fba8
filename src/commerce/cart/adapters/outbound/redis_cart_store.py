"""Carts and checkouts in Redis, shared by every replica (when ``CART_REDIS_URL`` is set).

Layout under the key prefix (``cart:`` by default)::

    <prefix>cart:<user id>       hash: ver ("<cart id>:<revision>"), doc (the cart as JSON)
    <prefix>checkout:<order id>  hash: doc (the checkout as JSON), settled ("0" or "1")
    <prefix>confirmed:<order id> "1", for a day: the order was confirmed

A save and a settlement each run as one Lua script, compare-and-set on ``ver``: atomic
against every other client, like the SQL store's conditional UPDATE (docs/adr/0120).
Checkouts expire after ``checkout_ttl_seconds``; carts do not expire.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from redis.asyncio import Redis

from commerce.cart.adapters.outbound.codec import (
    checkout_fields,
    checkout_of,
    decode_cart,
    encode_lines,
    new_cart,
)
from commerce.cart.application.ports import CartChangedMeanwhile
from commerce.cart.domain.cart import Cart, Checkout

# KEYS: cart. ARGV: expected ver ('' = no cart yet), new ver, doc. 1 stored, 0 changed since.
_SAVE = """
local ver = redis.call('HGET', KEYS[1], 'ver')
if ARGV[1] == '' then
  if ver then return 0 end
elseif ver ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'doc', ARGV[3])
return 1
"""

# KEYS: checkout, cart. ARGV: expected ver, new ver, doc ('' = cart unchanged).
# 1 settled, 0 not open (settled before, or gone), -1 the cart changed since it was loaded.
_SETTLE = """
if redis.call('HGET', KEYS[1], 'settled') ~= '0' then return 0 end
if ARGV[3] ~= '' then
  local ver = redis.call('HGET', KEYS[2], 'ver')
  if ARGV[1] == '' then
    if ver then return -1 end
  elseif ver ~= ARGV[1] then
    return -1
  end
  redis.call('HSET', KEYS[2], 'ver', ARGV[2], 'doc', ARGV[3])
end
redis.call('HSET', KEYS[1], 'settled', '1')
return 1
"""

# KEYS: checkout. ARGV: doc, ttl in ms. Keeps a checkout recorded before.
_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'settled', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


# How long a confirmation is remembered for a checkout not recorded yet: far longer than the
# moment between the order service's answer and the record.
CONFIRMATION_MEMORY_MS = 24 * 3600 * 1000


def _version(cart_id: str, revision: int) -> str:
    return f"{cart_id}:{revision}"


def _expected(cart: Cart) -> str:
    return "" if cart.base_revision == 0 else _version(cart.id, cart.base_revision)


def _doc(cart: Cart) -> str:
    updated = cart.updated_at.isoformat() if cart.updated_at else None
    return json.dumps(
        {
            "id": cart.id,
            "revision": cart.revision,
            "updated_at": updated,
            "lines": encode_lines(cart),
        }
    )


class RedisCartStore:
    def __init__(self, redis: Redis, *, prefix: str, checkout_ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = checkout_ttl_seconds * 1000
        self._save = redis.register_script(_SAVE)
        self._settle = redis.register_script(_SETTLE)
        self._record = redis.register_script(_RECORD)

    def _cart_key(self, user_id: str) -> str:
        return f"{self._prefix}cart:{user_id}"

    def _checkout_key(self, order_id: str) -> str:
        return f"{self._prefix}checkout:{order_id}"

    def _confirmed_key(self, order_id: str) -> str:
        return f"{self._prefix}confirmed:{order_id}"

    async def load(self, user_id: str) -> Cart:
        raw = await self._redis.hget(self._cart_key(user_id), "doc")
        if raw is None:
            return new_cart(user_id)
        doc = json.loads(raw)
        updated = datetime.fromisoformat(doc["updated_at"]) if doc["updated_at"] else None
        return decode_cart(
            user_id,
            doc["id"],
            int(doc["revision"]),
            updated and updated.astimezone(UTC),
            doc["lines"],
        )

    async def save(self, cart: Cart) -> None:
        args = [_expected(cart), _version(cart.id, cart.revision), _doc(cart)]
        if await self._save(keys=[self._cart_key(cart.user_id)], args=args) != 1:
            raise CartChangedMeanwhile()
        cart.mark_saved()

    async def delete(self, user_id: str) -> None:
        await self._redis.delete(self._cart_key(user_id))

    async def record_checkout(self, checkout: Checkout) -> None:
        doc = json.dumps(checkout_fields(checkout))
        await self._record(keys=[self._checkout_key(checkout.order_id)], args=[doc, self._ttl_ms])

    async def open_checkout(self, order_id: str) -> Checkout | None:
        doc, settled = await self._redis.hmget(self._checkout_key(order_id), ["doc", "settled"])
        if doc is None or settled != b"0":
            return None
        return checkout_of(json.loads(doc))

    async def note_confirmed(self, order_id: str) -> None:
        await self._redis.set(self._confirmed_key(order_id), b"1", px=CONFIRMATION_MEMORY_MS)

    async def was_confirmed(self, order_id: str) -> bool:
        return bool(await self._redis.exists(self._confirmed_key(order_id)))

    async def settle(self, checkout: Checkout, cart: Cart) -> bool:
        new_doc = _doc(cart) if cart.changed else ""
        args = [_expected(cart), _version(cart.id, cart.revision), new_doc]
        keys = [self._checkout_key(checkout.order_id), self._cart_key(cart.user_id)]
        outcome = await self._settle(keys=keys, args=args)
        if outcome == -1:
            raise CartChangedMeanwhile()
        if outcome == 1:
            cart.mark_saved()
        return bool(outcome == 1)
