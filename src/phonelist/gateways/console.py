"""Gateways for local development: show the message on a terminal or append it to a file.

Their whole point is to show the message, number and text included, so they are for local
development only: never configure them where real people's numbers are on the list. They log
nothing; what they write goes to the stream or file they were given.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TextIO

from phonelist.gateways.base import Outbound, SendResult

__all__ = ["ConsoleGateway", "FileGateway"]


class _Local:
    """Numbering and idempotency shared by both: a repeated key answers the first reference."""

    prefix = "local"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._by_key: dict[str, str] = {}

    def send(self, message: Outbound) -> SendResult:
        with self._lock:
            if message.idempotency_key is not None and message.idempotency_key in self._by_key:
                return SendResult(provider_ref=self._by_key[message.idempotency_key])
            self._count += 1
            ref = f"{self.prefix}-{self._count}"
            self._write(ref, message)
            if message.idempotency_key is not None:
                self._by_key[message.idempotency_key] = ref
            return SendResult(provider_ref=ref)

    def _write(self, ref: str, message: Outbound) -> None:
        raise NotImplementedError


class ConsoleGateway(_Local):
    """Prints each message as one line on ``stream`` (default: standard output)."""

    name = "console"
    prefix = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream

    def _write(self, ref: str, message: Outbound) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        sender = message.sender or "default sender"
        stream.write(f"[{ref}] {sender} -> {message.to} ({message.kind}): {message.body}\n")
        stream.flush()


class FileGateway(_Local):
    """Appends each message as one JSON line to ``path`` (created with its folder)."""

    name = "file"
    prefix = "file"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _write(self, ref: str, message: Outbound) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": ref,
            "to": message.to,
            "from": message.sender,
            "body": message.body,
            "kind": message.kind,
            "idempotency_key": message.idempotency_key,
            "status_callback": message.status_callback,
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
