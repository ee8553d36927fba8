"""What drives the order service: HTTP requests, catalog events, the re-drive timer."""
