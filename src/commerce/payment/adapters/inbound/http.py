"""The payments HTTP API: one read for fulfilment staff (the public contract has no payment
routes; the gateway may expose this one to STAFF)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from commerce.kernel.http.identity import CurrentIdentity
from commerce.kernel.http.schemas import UtcTimestamp
from commerce.payment.application.queries import PaymentView
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.domain.payment import DeclineReason, PaymentMethod, PaymentStatus


async def _use_cases(request: Request) -> PaymentUseCases:
    use_cases: PaymentUseCases = request.app.state.payment_use_cases
    return use_cases


UseCases = Annotated[PaymentUseCases, Depends(_use_cases)]
OrderId = Annotated[str, Path(min_length=1, max_length=64, description="The order's id.")]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token."},
    403: {"description": "The caller is not STAFF."},
    404: {"description": "The order has no payment (yet)."},
    422: {"description": "The order id is longer than any order's."},
}


class HistoryOut(BaseModel):
    status: PaymentStatus
    amount: int = Field(description="KRW.")
    at: UtcTimestamp


class PaymentOut(BaseModel):
    id: str
    order_id: str
    user_id: str
    amount: int = Field(description="KRW: the catalog's total of the order.")
    method: PaymentMethod
    status: PaymentStatus
    reason: DeclineReason | None = Field(description="Why it was declined, else null.")
    history: list[HistoryOut] = Field(description="Every change of status, oldest first.")
    created_at: UtcTimestamp
    updated_at: UtcTimestamp

    @classmethod
    def of(cls, view: PaymentView) -> PaymentOut:
        return cls(
            id=view.id,
            order_id=view.order_id,
            user_id=view.user_id,
            amount=view.amount,
            method=PaymentMethod(view.method),
            status=PaymentStatus(view.status),
            reason=DeclineReason(view.reason) if view.reason else None,
            history=[
                HistoryOut(status=PaymentStatus(h.status), amount=h.amount, at=h.at)
                for h in view.history
            ],
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.get("/{order_id}", response_model=PaymentOut, responses=PROBLEMS)
async def get(order_id: OrderId, identity: CurrentIdentity, use_cases: UseCases) -> PaymentOut:
    """The payment of an order and its history (STAFF only)."""
    return PaymentOut.of(await use_cases.read.for_order(identity.roles, order_id))
