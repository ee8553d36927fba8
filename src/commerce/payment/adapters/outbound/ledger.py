"""The simulated provider's ledger in its own table, so it outlives a restart of the service.

Concurrent calls with one key are decided by the database: the first inserts the key's row,
and each answer is a compare-and-set on the row's attempt count, so only one of two racing
calls can store an answer and the other returns that answer (no row locks, no gap locks).
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from commerce.kernel.db.connections import Connections
from commerce.kernel.domain import utc_now
from commerce.kernel.ports import Clock
from commerce.payment.adapters.outbound.simulated_provider import Decide, LedgerEntry, Outcome
from commerce.payment.adapters.outbound.tables import simulated_provider_ledger as ledger

# Racing calls of one key retry the compare-and-set at most this often.
MAX_ROUNDS = 20


class SqlaChargeLedger:
    def __init__(self, connections: Connections, clock: Clock = utc_now) -> None:
        self._connections = connections
        self._clock = clock

    async def settle(
        self, key: str, *, operation: str, amount: int, reference: str | None, decide: Decide
    ) -> LedgerEntry:
        now = self._clock()
        try:
            async with self._connections.begin() as connection:
                await connection.execute(
                    insert(ledger),
                    {
                        "idempotency_key": key,
                        "operation": operation,
                        "amount": amount,
                        "reference": reference,
                        "outcome": None,
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
        except IntegrityError:
            pass  # the key was seen before
        for _ in range(MAX_ROUNDS):
            entry = await self.find(key)
            assert entry is not None
            if entry.outcome is not Outcome.FAILED:
                return entry
            attempts = entry.attempts + 1
            outcome = decide(attempts)
            async with self._connections.begin() as connection:
                result = await connection.execute(
                    update(ledger)
                    .where(
                        ledger.c.idempotency_key == key,
                        ledger.c.attempts == entry.attempts,
                        ledger.c.outcome.is_(None),
                    )
                    .values(
                        attempts=attempts,
                        outcome=None if outcome is Outcome.FAILED else outcome.value,
                        updated_at=self._clock(),
                    )
                )
            if result.rowcount == 1:
                return LedgerEntry(
                    key, entry.operation, entry.amount, entry.reference, outcome, attempts
                )
        raise RuntimeError(f"ledger key {key} kept changing")

    async def find(self, key: str) -> LedgerEntry | None:
        async with self._connections() as connection:
            row = (
                await connection.execute(select(ledger).where(ledger.c.idempotency_key == key))
            ).first()
        return None if row is None else _entry(row)

    async def entries(self) -> list[LedgerEntry]:
        """Every entry, by key (for operators and tests: what was charged)."""
        async with self._connections() as connection:
            rows = await connection.execute(select(ledger).order_by(ledger.c.idempotency_key))
            return [_entry(row) for row in rows]


def _entry(row: Row[tuple[object, ...]]) -> LedgerEntry:
    values = row._mapping
    outcome = Outcome(values["outcome"]) if values["outcome"] else Outcome.FAILED
    return LedgerEntry(
        values["idempotency_key"],
        values["operation"],
        values["amount"],
        values["reference"],
        outcome,
        values["attempts"],
    )
