"""Record ids: ULIDs (26 Crockford base32 characters, time-ordered, 80 random bits).

The 48-bit millisecond time comes first, so ids sort by creation time (cursor pagination
relies on it). Encoding goes ten bits at a time through a 1,024-entry table: the importer
makes millions of ids, and a character-by-character loop cost more than the encryption.
"""

from __future__ import annotations

import os
import time

__all__ = ["new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # index = 10-bit value
_SHIFTS = tuple(range(120, -1, -10))  # 13 pairs = 130 bits, the top 2 always zero


def new_id() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])
