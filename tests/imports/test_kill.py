"""kill -9 in the middle of an import, resume, and get what an uninterrupted import gives."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import delete, select

from phonelist import Phonelist, Settings
from phonelist.imports import ImportOptions
from phonelist.security.permissions import Actor
from phonelist.store.models import Contact, ImportJob
from tests.imports.helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]
ROWS = 12_000


def make_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Mobile", "Email", "Tags"])
        for i in range(ROWS):
            number = f"+35191{i:07d}" if i % 10 else f"91 {i:07d}"  # some national, region PT
            writer.writerow(
                [
                    f"Person {i}",
                    number,
                    f"p{i}@example.org" if i % 3 else "",
                    "even" if i % 2 == 0 else "odd",
                ]
            )
        writer.writerow(["Again", "+351 91 000 0001", "", ""])  # a duplicate at the very end
    return path


def cli(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "PHONELIST_DATA_DIR": str(settings.data_dir),
    }
    if settings.database_url:
        env["PHONELIST_DATABASE_URL"] = settings.database_url
    return subprocess.Popen(
        [sys.executable, "-m", "phonelist", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def job_state(core: Phonelist) -> ImportJob | None:
    with core.store.read() as session:
        return session.scalars(select(ImportJob)).first()


def test_kill_9_then_resume_matches_an_uninterrupted_import(
    core: Phonelist, actor: Actor, settings: Settings, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "people.csv")
    child = cli(settings, "import", str(source), "--region", "PT", "--batch-size", "300")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = job_state(core)
        if job is not None and job.rows_committed >= 1200:
            break
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    job = job_state(core)
    assert job is not None and job.status == "running"
    assert 1200 <= job.rows_committed < ROWS, "the import finished before it could be killed"

    resumed = cli(settings, "import", str(source), "--resume", job.id, "--json")
    _out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err.decode()
    after_kill = snapshot(core, actor)
    assert len(after_kill) == ROWS
    assert job_state(core).status == "done"  # type: ignore[union-attr]

    with core.store.write() as session:  # start again from an empty store
        session.execute(delete(Contact))
    core.imports.run(actor, source, ImportOptions(region="PT", batch_size=300))
    assert snapshot(core, actor) == after_kill
