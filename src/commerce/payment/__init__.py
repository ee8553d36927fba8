"""The payment service: authorizes, captures, voids and refunds one payment per order."""
