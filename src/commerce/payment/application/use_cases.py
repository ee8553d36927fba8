"""The payment service's use cases, gathered in one object for its adapters."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.payment.application.order_requests import (
    CapturePaymentHandler,
    RequestPaymentHandler,
    WithdrawPaymentHandler,
)
from commerce.payment.application.provider_steps import ProviderSteps
from commerce.payment.application.queries import PaymentReader


@dataclass(frozen=True)
class PaymentUseCases:
    request: RequestPaymentHandler
    capture: CapturePaymentHandler
    withdraw: WithdrawPaymentHandler
    steps: ProviderSteps
    read: PaymentReader
