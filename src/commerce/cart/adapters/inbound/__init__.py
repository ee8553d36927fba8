"""What drives the cart service: HTTP requests, catalog and order events."""
