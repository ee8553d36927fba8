"""Use cases of the payment service and the ports they need."""
