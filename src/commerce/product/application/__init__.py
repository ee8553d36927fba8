"""Use cases of the catalog: commands, their handlers, queries and the ports they need."""
