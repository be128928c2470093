"""The brand colour, held to WCAG AA: white text on it (header, buttons) and it as link colour on
white both need a contrast ratio of at least 4.5:1.

WCAG 2.1, success criterion 1.4.3 Contrast (Minimum) and the definitions of contrast ratio and
relative luminance: https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_COLOUR = "#0b4f8a"
#: WCAG AA for normal text.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def check_brand_colour(colour: str) -> str | None:
    """None when `colour` can be the brand colour, else why not (in English, for logs and config)."""
    if not _HEX.match(colour or ""):
        return f"{colour!r} is not a colour written like #0b4f8a"
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        return f"white text on {colour} has a contrast of {ratio:.2f}:1, below the {MIN_CONTRAST}:1 that WCAG AA needs"
    return None


def _darker(colour: str, amount: float = 0.25) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in (r, g, b))


@dataclass(frozen=True)
class Colours:
    """The palette pages and emails use: `primary` for the header, buttons and links, `primary_dark`
    for hover and the footer, `on_primary` for text on either (contrast checked)."""

    primary: str
    primary_dark: str
    on_primary: str = WHITE

    @classmethod
    def from_brand(cls, colour: str) -> Colours:
        colour = colour.lower()
        return cls(primary=colour, primary_dark=_darker(colour))
