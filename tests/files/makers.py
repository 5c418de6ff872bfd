"""Build test files: workbooks, and zip bombs that cost almost nothing to make."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

MIB = 1024 * 1024


def xlsx(
    path: Path, rows: Sequence[Sequence[Any]], *, sheets: dict[str, Any] | None = None
) -> Path:
    """A workbook whose first sheet holds ``rows``; ``sheets`` adds more, by name."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "First"
    for row in rows:
        sheet.append(list(row))
    for name, extra in (sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(list(row))
    book.save(path)
    return path


def zip_bomb(path: Path, members: dict[str, int]) -> Path:
    """A real zip archive whose members each unpack to that many zero bytes (whole MiBs).

    The deflate stream is one flushed 1 MiB block repeated, so building a 1 GB member takes
    a few milliseconds and ~1 MB; the CRC-32 is the true one, so zipfile would unpack it.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(b"\0" * MIB) + packer.flush(zlib.Z_FULL_FLUSH)
    ending = packer.flush(zlib.Z_FINISH)
    zeros = b"\0" * MIB
    local, central = bytearray(), bytearray()
    for name, size in members.items():
        count = size // MIB
        data = block * count + ending
        crc = 0
        for _ in range(count):
            crc = zlib.crc32(zeros, crc)
        encoded = name.encode()
        offset = len(local)
        fields = (20, 0, 8, 0, 0, crc, len(data), count * MIB, len(encoded), 0)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + encoded + data
        central += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                *fields,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path
