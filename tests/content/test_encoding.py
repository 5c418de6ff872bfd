"""M3: GSM-7 / UCS-2 detection and segment counting, against the gsm0338 reference codec."""

from __future__ import annotations

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.content.encoding import GSM7_BASIC, GSM7_EXTENSION, count_segments

GSM = sorted(GSM7_BASIC | GSM7_EXTENSION)


def test_M3_the_tables_are_the_reference_codecs() -> None:
    for code_point in range(0x3_0000):
        char = chr(code_point)
        if char == "\x1b":  # the escape itself is not a character a message may hold
            continue
        try:
            septets = len(char.encode("gsm03.38"))
        except UnicodeEncodeError:
            septets = 0
        expected = 2 if char in GSM7_EXTENSION else 1 if char in GSM7_BASIC else 0
        assert septets == expected, (hex(code_point), char)


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        ("", "GSM-7", 1, 0),
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),
        ("a" * 307, "GSM-7", 3, 307),
        ("€" * 80, "GSM-7", 1, 160),  # extension characters count two septets
        ("€" * 81, "GSM-7", 2, 162),
        ("a" * 152 + "€" + "a" * 8, "GSM-7", 2, 162),  # the pair is not split across segments
        ("a" * 69 + "ç", "UCS-2", 1, 70),  # ç is not GSM-7 (Ç is)
        ("Ç" * 160, "GSM-7", 1, 160),
        ("é" * 70 + "ç", "UCS-2", 2, 71),
        ("😀" * 35, "UCS-2", 1, 70),  # outside the BMP: two UTF-16 units
        ("😀" * 36, "UCS-2", 2, 72),
        ("a" * 66 + "😀", "UCS-2", 1, 68),
        ("a" * 66 + "😀" + "a" * 3, "UCS-2", 2, 71),  # the surrogate pair moves whole
        ("Olá, João! Até já.", "UCS-2", 1, 18),  # á, ã and é: á is not GSM-7
    ],
)
def test_M3_segment_counts(text: str, encoding: str, segments: int, units: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.segments, count.units) == (encoding, segments, units)


@given(st.text(alphabet=st.sampled_from(GSM), max_size=700))
def test_M3_gsm7_units_are_the_reference_septets(text: str) -> None:
    count = count_segments(text)
    assert count.encoding == "GSM-7"
    assert count.units == len(text.encode("gsm03.38"))
    assert count.non_gsm == ()


@given(st.text(max_size=400))
def test_M3_segments_hold_every_unit_and_no_more(text: str) -> None:
    count = count_segments(text)
    single = 160 if count.encoding == "GSM-7" else 70
    if count.units <= single:
        assert count.segments == 1
    else:
        # Enough capacity for every unit, and one segment fewer would not hold them.
        assert count.segments * count.per_segment >= count.units
        assert (count.segments - 1) * count.per_segment < count.units + count.segments
    assert 0 <= count.remaining <= count.per_segment
    if count.encoding == "UCS-2":
        assert count.non_gsm and all(c in text for c in count.non_gsm)
        assert count.units == len(text.encode("utf-16-le")) // 2
