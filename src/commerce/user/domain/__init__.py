"""The user domain in plain Python: the User aggregate, the Email value object, rules."""
