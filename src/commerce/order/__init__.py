"""The order service: places orders and drives the reservation saga with the catalog."""
