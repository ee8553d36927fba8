"""docs/event-storming.md cannot drift from the integration events the code publishes."""

from __future__ import annotations

import re
from pathlib import Path

import commerce.contracts  # noqa: F401 - importing it registers every event type
from commerce.contracts.envelope import event_types

BOARD = Path(__file__).resolve().parents[2] / "docs" / "event-storming.md"
PLANNED = "planned"  # the subgraph of what the v1.1 contract adds and is not built yet
STICKY_KINDS = {"actor", "command", "aggregate", "event", "policy", "readModel", "external"}
EVENT_NODE = re.compile(r'^\s*\w+\["([^"]+)"\]:::event\s*$')
SUBGRAPH = re.compile(r"^\s*subgraph\s+(\w+)")
# An integration event is named by its type, one CamelCase word; others stay in a service.
INTEGRATION_EVENT = re.compile(r"^(?:[A-Z][a-z]+){2,}$")


def mermaid_block() -> list[str]:
    text = BOARD.read_text(encoding="utf-8")
    (block,) = re.findall(r"^```mermaid\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    return block.splitlines()


def events_on_the_board() -> tuple[set[str], set[str]]:
    """(built, planned): the event stickies outside and inside the planned frame."""
    built: set[str] = set()
    planned: set[str] = set()
    frames: list[str] = []
    for line in mermaid_block():
        if opened := SUBGRAPH.match(line):
            frames.append(opened.group(1))
        elif line.strip() == "end":
            frames.pop()
        elif sticky := EVENT_NODE.match(line):
            (planned if PLANNED in frames else built).add(sticky.group(1))
    return built, planned


def test_every_integration_event_is_on_the_board_as_built() -> None:
    built, _ = events_on_the_board()
    missing = set(event_types()) - built
    assert not missing, f"add to docs/event-storming.md: {sorted(missing)}"


def test_the_board_names_no_integration_event_the_code_lacks() -> None:
    built, _ = events_on_the_board()
    named = {label for label in built if INTEGRATION_EVENT.match(label)}
    assert named == set(event_types())


def test_what_is_built_is_no_longer_drawn_as_planned() -> None:
    _, planned = events_on_the_board()
    built_but_planned = planned & set(event_types())
    assert not built_but_planned, f"move out of the planned frame: {sorted(built_but_planned)}"


def test_the_legend_colours_every_kind_of_sticky() -> None:
    defined = {
        match.group(1)
        for line in mermaid_block()
        if (match := re.match(r"^\s*classDef\s+(\w+)\s", line))
    }
    assert defined == STICKY_KINDS
