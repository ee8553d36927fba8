"""ANSI colours, by hand: a few SGR codes do it. rich would add 5 MB to the supervisor and take
about 80 us a line where this takes 13 (parsing included), and the supervisor renders every
line of the stack (docs/adr/0083)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import IO


class Style(StrEnum):
    BOLD = "1"
    DIM = "2"
    RED = "31"
    GREEN = "32"
    YELLOW = "33"
    BLUE = "34"
    MAGENTA = "35"
    CYAN = "36"
    BOLD_RED = "1;31"
    BRIGHT_BLUE = "94"
    BRIGHT_MAGENTA = "95"
    BRIGHT_CYAN = "96"


@dataclass(frozen=True)
class Painter:
    """Wraps text in a style, or leaves it as it is when colour is off."""

    enabled: bool

    def __call__(self, text: str, style: Style | None) -> str:
        if not self.enabled or style is None or not text:
            return text
        return f"\x1b[{style}m{text}\x1b[0m"


def colour_wanted(stream: IO[str], environ: Mapping[str, str]) -> bool:
    """On a terminal, unless ``NO_COLOR`` is set (no-color.org) or the terminal is dumb."""
    return stream.isatty() and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"
