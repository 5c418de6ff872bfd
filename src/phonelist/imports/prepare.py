"""A file's rows to batches of prepared rows, in worker processes when the file is big.

Preparing a row (cell checks, number analysis) needs only the row and the import's settings,
so for a big file it runs in worker processes while this process reads the file and writes
the batches: the other cores do the preparing. The batches are the ones this process makes
alone (``workers=0``), in the same order, with the same rows and results.

How many workers: ``PHONELIST_IMPORT_WORKERS`` if set (``0``: none, prepare in this process),
else one per CPU up to :data:`MAX_WORKERS` for a file of at least :data:`PARALLEL_MIN_ROWS`
rows to import, else none (starting workers costs more than they save on a small file).

A worker that fails stops the import with its error; a worker that dies stops it with a
:class:`~phonelist.errors.PhonelistError` (``import_worker_died``). Workers ignore Ctrl-C
(this process stops them) and exit by themselves when this process dies, even by ``kill -9``.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from operator import attrgetter, itemgetter
from typing import Any

from phonelist.contacts.bulk import NewContact, NewPhone
from phonelist.errors import ConfigError, PhonelistError
from phonelist.imports.batches import Batch
from phonelist.imports.rows import Columns, Prepared, Rejected, RowPreparer, row_preparer
from phonelist.numbers.analyze import Analysis

__all__ = ["MAX_WORKERS", "PARALLEL_MIN_ROWS", "WORKERS_VARIABLE", "prepared_batches"]

WORKERS_VARIABLE = "PHONELIST_IMPORT_WORKERS"
MAX_WORKERS = 4
"""Most worker processes: the writing process is the limit beyond a few."""
PARALLEL_MIN_ROWS = 20_000
"""Fewest rows to import for workers to start by themselves."""
_IN_FLIGHT = 2  # batches handed to each worker ahead: enough to keep it busy, memory bounded


def prepared_batches(
    table: Any,
    size: int,
    after: int,
    columns: Columns,
    context: dict[str, Any],
    *,
    workers: int | None = None,
) -> Generator[Batch, None, None]:
    """Batches of ``size`` rows after row ``after``, each row prepared by
    :func:`~phonelist.imports.rows.row_preparer` with ``context``; ``workers`` overrides
    the number of worker processes (0: prepare in this process)."""
    count = worker_count(workers, table.row_count, after)
    if count == 0:
        return _in_process(table, size, after, row_preparer(columns, **context))
    return _in_workers(table, size, after, columns, context, count)


def worker_count(workers: int | None, rows: int | None, after: int) -> int:
    """``workers`` if given, else ``PHONELIST_IMPORT_WORKERS``, else chosen by the size."""
    if workers is None:
        workers = _workers_from_environment()
    if workers is not None:
        return workers
    cpus = os.cpu_count() or 1
    if cpus < 2 or rows is None or rows - after < PARALLEL_MIN_ROWS:
        return 0
    return min(cpus - 1, MAX_WORKERS)  # a core stays with this process, which writes


def _workers_from_environment() -> int | None:
    text = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"{WORKERS_VARIABLE} must be a whole number of workers, 0 or more")
    return value


def _in_process(
    table: Any, size: int, after: int, prepare: RowPreparer
) -> Generator[Batch, None, None]:
    items: list[tuple[int, Prepared | Rejected]] = []
    for row_number, values in table.rows(after=after):
        items.append((row_number, prepare(values)))
        if len(items) >= size:
            yield Batch(items, row_number)
            items = []
    if items:
        yield Batch(items, items[-1][0])


def _in_workers(
    table: Any,
    size: int,
    after: int,
    columns: Columns,
    context: dict[str, Any],
    workers: int,
) -> Generator[Batch, None, None]:
    # Only the cells that preparing reads travel, as tuples; results come back as bytes.
    names = [name for name in table.columns if name in _used(columns)]
    cells = itemgetter(*names) if len(names) > 1 else lambda values: (values[names[0]],)
    executor = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(_start_method()),
        initializer=_start_worker,
        initargs=(columns, context, names),
    )
    pending: deque[tuple[list[int], Future[bytes]]] = deque()
    finished = False
    try:
        numbers: list[int] = []
        rows: list[tuple[str, ...]] = []
        for row_number, values in table.rows(after=after):
            numbers.append(row_number)
            rows.append(cells(values))
            if len(rows) >= size:
                pending.append((numbers, executor.submit(_prepare_rows, rows)))
                numbers, rows = [], []
                if len(pending) > workers * _IN_FLIGHT:
                    yield _batch(*pending.popleft())
        if rows:
            pending.append((numbers, executor.submit(_prepare_rows, rows)))
        while pending:
            yield _batch(*pending.popleft())
        finished = True
    finally:
        # Stopped early (an error, Ctrl-C, the consumer gave up): drop the queued batches;
        # the workers finish the one they hold and exit.
        executor.shutdown(wait=finished, cancel_futures=True)


def _start_method() -> str:
    """fork starts a worker in milliseconds instead of seconds (no imports to redo), but only
    a process running one thread forks safely: in the server, a lock another thread holds
    would stay locked in the copy. forkserver and spawn start clean processes."""
    if sys.platform.startswith("linux"):
        return "fork" if threading.active_count() == 1 else "forkserver"
    return "spawn"


def _batch(numbers: list[int], future: Future[bytes]) -> Batch:
    try:
        data = future.result()
    except BrokenProcessPool as exc:  # killed, or out of memory: say so, not a Python trace
        raise PhonelistError(
            "an import worker process ended unexpectedly (killed or out of memory); the "
            "batches already written stay: resume the job, or set "
            f"{WORKERS_VARIABLE}=0 to import in one process",
            code="import_worker_died",
        ) from exc
    # Unpickling makes only live objects: a collection meanwhile would find no garbage and
    # doubles the cost (the cyclic collector runs every few hundred new objects).
    collecting = gc.isenabled()
    gc.disable()
    try:
        results: list[Prepared | Rejected] = pickle.loads(data)  # noqa: S301 (our workers')
    finally:
        if collecting:
            gc.enable()
    return Batch(list(zip(numbers, results, strict=True)), numbers[-1])


def _used(columns: Columns) -> set[str]:
    """The columns that preparing a row reads."""
    used = {*columns.simple.values(), *columns.custom.values(), *columns.consent.values()}
    for column, _, label_column in (*columns.phones, *columns.emails):
        used.add(column)
        if label_column is not None:
            used.add(label_column)
    return used


# -- in a worker --------------------------------------------------------------------------------
_worker: tuple[RowPreparer, list[str]] | None = None
_Reducer = Callable[[Any], tuple[Callable[..., Any], tuple[Any, ...]]]


def _start_worker(columns: Columns, context: dict[str, Any], names: list[str]) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the importing process decides
    gc.freeze()  # what a forked worker inherits: never collected here, so never copied
    _worker = (row_preparer(columns, **context), names)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: Any) -> None:
    parent.join()  # returns when the parent process has ended, however it ended
    os._exit(1)


def _prepare_rows(rows: list[tuple[str, ...]]) -> bytes:
    assert _worker is not None
    prepare, names = _worker
    results = [prepare(dict(zip(names, row, strict=True))) for row in rows]
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _BY_CONSTRUCTOR
    pickler.dump(results)
    return buffer.getvalue()


def _by_constructor(cls: type) -> _Reducer:
    """Pickle a dataclass instance as a call of its constructor with its fields.

    Frozen dataclasses with slots otherwise unpickle through a ``__setstate__`` loop that
    costs this process about twice as much.
    """
    names = [field.name for field in dataclasses.fields(cls)]
    values = attrgetter(*names)
    return lambda instance: (cls, values(instance))


# Only classes whose constructor takes every field, in order, and does nothing else.
_BY_CONSTRUCTOR: dict[type, _Reducer] = {
    cls: _by_constructor(cls)
    for cls in (Prepared, Rejected, NewContact, NewPhone, Analysis)
    if len(dataclasses.fields(cls)) > 1
    and all(field.init for field in dataclasses.fields(cls))
    and not hasattr(cls, "__post_init__")
}
