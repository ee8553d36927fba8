"""What the system tests read of a process from Linux's /proc: its parent, its children,
whether it still runs."""

from __future__ import annotations

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after "pid (comm)": the command name may hold spaces, not ')'."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def parent(pid: int) -> int:
    return int(_stat_fields(pid)[1])


def children(pid: int) -> list[int]:
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in listed.read_text().split()] if listed.exists() else []


def descendants(pid: int) -> list[int]:
    """Its children, their children, and so on (the services are the forkserver's)."""
    return [pid for child in children(pid) for pid in (child, *descendants(child))]


def alive(pid: int) -> bool:
    """Not ended, nor a zombie waiting for whoever inherited it to reap it."""
    try:
        os.kill(pid, 0)
        return _stat_fields(pid)[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False
