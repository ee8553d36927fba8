from __future__ import annotations

from commerce.platform import ProcessStatus
from commerce.terminal.colour import Painter
from commerce.terminal.status_table import render_status_table

PROCESSES = [
    ProcessStatus("gateway", "http://127.0.0.1:8000", 4100, "ready", note="API docs: /docs"),
    ProcessStatus("order", "http://127.0.0.1:8004", 4104, "exited", exit_code=1),
    ProcessStatus("broker", "127.0.0.1:39999", None, "exited"),
]


def test_one_aligned_row_per_process_with_its_state() -> None:
    assert render_status_table(PROCESSES, Painter(enabled=False)).splitlines() == [
        "process  address                pid   state",
        "gateway  http://127.0.0.1:8000  4100  ready       API docs: /docs",
        "order    http://127.0.0.1:8004  4104  exited (1)",
        "broker   127.0.0.1:39999        -     exited",
    ]


def test_colour_marks_the_state_and_keeps_the_columns_aligned() -> None:
    coloured = render_status_table(PROCESSES, Painter(enabled=True)).splitlines()
    assert "\x1b[32mready     \x1b[0m" in coloured[1]
    assert "\x1b[31mexited (1)\x1b[0m" in coloured[2]
    plain = render_status_table(PROCESSES, Painter(enabled=False)).splitlines()
    assert coloured[2].startswith(plain[2][: len("order    http://127.0.0.1:8004  4104  ")])
