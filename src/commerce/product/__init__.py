"""The product service: the catalog and its stock, reserved all-or-nothing per order."""
