"""SMS encoding and segment counting (COMPLIANCE.md M3; 3GPP TS 23.038 and 23.040).

A message whose every character is in the GSM 7-bit default alphabet or its extension table
goes as GSM-7: 160 septets in one segment, 153 per segment when concatenated (the other 7 carry
the concatenation header). An extension character (``^{}\\[~]|€`` and form feed) takes two
septets, an escape and the character, and a segment never splits the pair. Any other character
switches the whole message to UCS-2: 70 UTF-16 code units in one segment, 67 per segment when
concatenated; a character outside the Basic Multilingual Plane (most emoji) takes two code
units, and a segment never splits the surrogate pair.

Pure and table-driven; the tables agree with the ``gsm0338`` codec (a test checks every
character it maps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["GSM7_BASIC", "GSM7_EXTENSION", "Encoding", "SegmentCount", "count_segments"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

Encoding = Literal["GSM-7", "UCS-2"]

_LIMITS: dict[str, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """How a text goes over SMS: its encoding, length in units, and segments."""

    encoding: Encoding
    characters: int  # what a person counts (code points)
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # the limit that applied: 160/153 or 70/67
    remaining: int  # units left in the last segment before another one starts
    non_gsm: tuple[str, ...]  # the characters that forced UCS-2, first occurrences in order

    def as_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "units": self.units,
            "segments": self.segments,
            "per_segment": self.per_segment,
            "remaining": self.remaining,
            "non_gsm": list(self.non_gsm),
        }


def _unit_sizes(text: str) -> tuple[Encoding, list[int], tuple[str, ...]]:
    non_gsm: dict[str, None] = {}
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            non_gsm.setdefault(char, None)
    if not non_gsm:
        return "GSM-7", [2 if c in GSM7_EXTENSION else 1 for c in text], ()
    return "UCS-2", [2 if ord(c) > 0xFFFF else 1 for c in text], tuple(non_gsm)


def count_segments(text: str) -> SegmentCount:
    """The encoding and segment count of ``text`` as one SMS (an empty text is one segment)."""
    encoding, sizes, non_gsm = _unit_sizes(text)
    single, multi = _LIMITS[encoding]
    units = sum(sizes)
    if units <= single:
        return SegmentCount(encoding, len(text), units, 1, single, single - units, non_gsm)
    segments, used = 1, 0
    for size in sizes:  # pack greedily; a two-unit character never straddles segments
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return SegmentCount(encoding, len(text), units, segments, multi, multi - used, non_gsm)
