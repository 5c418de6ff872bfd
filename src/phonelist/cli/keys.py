"""``phonelist keys rotate``: re-encrypt every sealed value under a new data key."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from phonelist.cli.context import open_core
from phonelist.cli.output import Interrupted, JsonFlag, emit_json, guarded, stderr, stdout

__all__ = ["app"]

app = typer.Typer(name="keys", help="Manage the encryption keys.", no_args_is_help=True)


@app.command("rotate")
@guarded
def rotate(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Re-encrypt all personal data under a new data key, then retire the old key.

    Safe to interrupt: every row stays readable, and running the command again resumes.
    Back up the keys directory afterwards.
    """
    with open_core(ctx) as core:
        rotation = core.rotation()
        total = rotation.total_rows()
        console = stderr()
        progress = Progress(
            TextColumn("re-encrypting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=as_json or not console.is_terminal,
        )
        try:
            with progress:
                task = progress.add_task("rotate", total=total)
                report = rotation.run(
                    core.cli_actor(), progress=lambda rows: progress.advance(task, rows)
                )
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted: nothing is lost; run 'phonelist keys rotate' again to resume"
            ) from None
    if as_json:
        emit_json(report)
        return
    verb = "Resumed and finished" if report.resumed else "Finished"
    retired = ", ".join(report.retired_keys) or "none"
    stdout().print(
        Text(
            f"{verb} key rotation: {report.rewritten} values re-encrypted, active key "
            f"{report.active_key}, retired keys: {retired}. Back up the keys directory now.",
            style="green",
        )
    )
