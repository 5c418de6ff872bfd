"""Preparing rows in worker processes (imports/prepare.py): the same batches, in order, and
workers that never outlive the import."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from phonelist import Phonelist
from phonelist.errors import ConfigError, PhonelistError
from phonelist.files import open_table
from phonelist.files.mapping import auto_map
from phonelist.imports import ImportOptions
from phonelist.imports import prepare as prepare_module
from phonelist.imports.prepare import WORKERS_VARIABLE, prepared_batches, worker_count
from phonelist.imports.rows import Columns, Prepared, Rejected
from phonelist.security.permissions import Actor
from phonelist.store.models import Contact
from tests.imports.helpers import snapshot
from tests.imports.test_import import PT_HEADERS, PT_ROWS, _context, pt_file, write_csv

__all__ = ["pt_file"]  # a fixture, used by name


def _prepared(
    path: Path, workers: int, size: int = 7, after: int = 0, **context: Any
) -> list[tuple[int, list[tuple[int, Prepared | Rejected]]]]:
    with open_table(path) as table:
        columns = Columns.from_assignments(dict(auto_map(table.columns, {}).assignments))
        made = prepared_batches(table, size, after, columns, _context(**context), workers=workers)
        return [(batch.last_row, batch.items) for batch in made]


@pytest.mark.parametrize("start", ["fork", "forkserver"])  # forkserver: as in the server
def test_workers_prepare_the_same_batches_in_the_same_order(
    tmp_path: Path, start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if start not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start} here")
    monkeypatch.setattr(prepare_module, "_start_method", lambda: start)
    lines = [[*row, "x" if i % 3 else ""] for i, row in enumerate(PT_ROWS * 9)]
    lines[10][0], lines[11][2] = "Ana\x01", "12\x01"  # control characters
    lines[20] = [""] * len(lines[20])  # a blank row: numbered, not handed out
    path = write_csv(tmp_path / "many.csv", [*PT_HEADERS, "Nota"], lines, delimiter=";")
    alone = _prepared(path, 0)
    assert sum(len(items) for _, items in alone) == len(lines) - 1
    assert _prepared(path, 2) == alone
    assert _prepared(path, 1, size=5, after=30) == _prepared(path, 0, size=5, after=30)


def test_an_error_in_a_worker_stops_the_batches(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", ["phone", "custom.size"], [["+351912345678", "9"]] * 40)
    with pytest.raises(KeyError, match="size"):  # a custom field that is not defined
        _prepared(path, 2, fields={})


def test_an_import_with_workers_stores_what_one_without_does(
    core: Phonelist, actor: Actor, pt_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = core.imports.run(actor, pt_file, ImportOptions(batch_size=2))
    stored = snapshot(core, actor)
    with core.store.write() as session:
        session.execute(delete(Contact))
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    helped = core.imports.run(actor, pt_file, ImportOptions(batch_size=2))
    assert helped.counts.to_json() == alone.counts.to_json()
    assert snapshot(core, actor) == stored


def test_small_files_are_prepared_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_VARIABLE, raising=False)
    assert worker_count(None, 19_999, 0) == 0
    assert worker_count(None, 500_000, 490_000) == 0
    assert worker_count(3, 10, 0) == 3
    monkeypatch.setenv(WORKERS_VARIABLE, "0")
    assert worker_count(None, 10**6, 0) == 0
    monkeypatch.setenv(WORKERS_VARIABLE, "many")
    with pytest.raises(ConfigError, match=WORKERS_VARIABLE):
        worker_count(None, 10**6, 0)
    monkeypatch.delenv(WORKERS_VARIABLE)
    for cpus, workers in ((1, 0), (2, 1), (3, 2), (64, 4)):  # a core stays with the writer
        monkeypatch.setattr(os, "cpu_count", lambda cpus=cpus: cpus)
        assert worker_count(None, 10**6, 0) == workers


KILLED = """
import sys, time
from pathlib import Path
from phonelist.files import open_table
from phonelist.files.mapping import auto_map
from phonelist.imports.prepare import prepared_batches
from phonelist.imports.rows import Columns
context = dict(explicit_region="PT", default_region="US", statuses=["lead"], fields={})
with open_table(Path(sys.argv[1])) as table:
    columns = Columns.from_assignments(dict(auto_map(table.columns, {}).assignments))
    for batch in prepared_batches(table, 50, 0, columns, context, workers=2):
        print(batch.last_row, flush=True)
        time.sleep(0.2)
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_end_when_the_import_is_killed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", ["phone"], [[f"91{i:07d}"] for i in range(2000)])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "50"
        workers = _children(child.pid)
        assert len(workers) == 2
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)


def _die(rows: list[tuple[str, ...]]) -> bytes:
    os._exit(3)  # as a worker killed by the OOM killer would


def test_a_worker_that_dies_stops_the_import_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("the patched worker function reaches workers by fork")
    monkeypatch.setattr(prepare_module, "_start_method", lambda: "fork")
    monkeypatch.setattr(prepare_module, "_prepare_rows", _die)
    path = write_csv(tmp_path / "f.csv", ["phone"], [["+351912345678"]] * 40)
    with pytest.raises(PhonelistError, match="worker process ended") as caught:
        _prepared(path, 2)
    assert caught.value.code == "import_worker_died"
