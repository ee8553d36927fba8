"""Child processes that never outlive the process that started them, and say who they are."""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1


def _prctl(option: int, argument: object) -> None:
    """Linux's prctl(2); elsewhere nothing happens."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, argument)


def die_with_parent() -> None:
    """``preexec_fn`` for a child: on Linux it gets SIGKILL when its parent dies, however the
    parent dies (elsewhere this does nothing and the parent's own cleanup must do)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def name_this_process(name: str) -> None:
    """What ``ps -o comm``, ``top`` and ``pgrep`` show for this process (Linux: its first 15
    bytes; elsewhere nothing changes)."""
    _prctl(_PR_SET_NAME, ctypes.create_string_buffer(name.encode()[:15]))
