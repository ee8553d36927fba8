"""The Order aggregate and its state machine, in plain Python."""
