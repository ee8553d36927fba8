"""The Payment aggregate and its state machine, in plain Python."""
