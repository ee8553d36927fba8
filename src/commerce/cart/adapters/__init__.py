"""Where the cart service meets the outside world."""
