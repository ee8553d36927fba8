"""``commerce up``'s processes as a small table: name, address, pid, state, and a note."""

from __future__ import annotations

from collections.abc import Sequence

from commerce.platform import ProcessStatus
from commerce.terminal.colour import Painter, Style

_HEADER = ("process", "address", "pid", "state")
_STATE_STYLES = {
    "ready": Style.GREEN,
    "running": Style.GREEN,
    "starting": Style.YELLOW,
    "exited": Style.RED,
}


def render_status_table(processes: Sequence[ProcessStatus], paint: Painter) -> str:
    rows = [
        (status.name, status.address, str(status.pid or "-"), _state(status))
        for status in processes
    ]
    # Padded before painting: escape codes take no room on the screen but count in len().
    widths = [max(len(row[column]) for row in (_HEADER, *rows)) for column in range(4)]
    lines = [paint(_cells(_HEADER, widths).rstrip(), Style.BOLD)]
    for status, row in zip(processes, rows, strict=True):
        cells = _cells(row[:3], widths) + "  "
        state = paint(row[3].ljust(widths[3]), _STATE_STYLES[status.state])
        lines.append((cells + state + "  " + paint(status.note, Style.DIM)).rstrip())
    return "\n".join(lines)


def _state(status: ProcessStatus) -> str:
    if status.state == "exited" and status.exit_code is not None:
        return f"exited ({status.exit_code})"
    return status.state


def _cells(values: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=False))
