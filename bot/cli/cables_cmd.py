"""`cablebot ingest`, `show` and `export`: cables into the store and back out.

Thin commands over bot.ingest and bot.store; the database libraries load inside the commands so that
`cablebot --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.app import CONFIG_OPTION, FORMAT_OPTION, OutputFormat, app, fail

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bot.ingest import IngestReport, Progress
    from bot.model import Cable

SAMPLE = "08ASTANA2079.txt"


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(  # noqa: B008 - typer declares arguments this way
        None, help="Files, folders (read recursively) or a CSV of the full release.", show_default=False
    ),
    sample: bool = typer.Option(False, "--sample", help=f"Also ingest the bundled sample cable ({SAMPLE})."),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Read cables into the store. Bad inputs are reported and skipped; the exit code is 1 if any failed."""
    from bot.config import load_config
    from bot.ingest import find_inputs, find_scorer, ingest_paths
    from bot.store import open_store

    if not paths and not sample:
        fail("give the files or folders to ingest (cablebot ingest PATH...), or --sample")
    settings = load_config(config)
    with ExitStack() as stack:
        targets = list(paths or [])
        if sample:
            targets.append(stack.enter_context(_sample_path()))
        inputs = find_inputs(targets)
        store = stack.enter_context(open_store())
        try:
            with _progress_bar(inputs.total_bytes) as progress:  # closed before anything is said below
                report = ingest_paths(
                    inputs,
                    store,
                    permalinks=settings.permalinks,
                    scorer=find_scorer(settings),
                    progress=progress,
                )
        except KeyboardInterrupt:
            # Every batch commits whole (cables, scores, corpus statistics), so what is stored is sound and
            # a second run skips it: say so, rather than leave the editor guessing.
            held = store.counts()
            fail(
                f"interrupted: the store ({store.url}) holds {held['cables']:,} cables and "
                f"{held['paragraphs']:,} paragraphs, each batch saved whole; run the same command again to "
                "finish (what is stored already is skipped)",
                130,
            )
        store_url = store.url
    _print_report(report, store_url, output)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def show(
    ref_id: str = typer.Argument(..., help="The cable's reference ID, e.g. 08ASTANA2079."),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """A stored cable: its metadata, then each paragraph with its number, marking, text and permalink."""
    from bot.config import load_config
    from bot.store import open_store
    from bot.store.export import cable_to_json

    settings = load_config(config)
    with open_store() as store:
        cable = store.get_cable(ref_id.strip().upper(), settings.permalinks)
    if output is OutputFormat.json:
        print(json.dumps(cable_to_json(cable), ensure_ascii=False, indent=2))
    else:
        _print_cable(cable)


@app.command()
def export(config: str | None = CONFIG_OPTION) -> None:
    """Every stored cable as JSON lines on stdout (one cable per line)."""
    from bot.config import load_config
    from bot.store import open_store
    from bot.store.export import write_json_lines

    settings = load_config(config)
    try:
        with open_store() as store:
            write_json_lines(store.iter_cables(settings.permalinks), sys.stdout)
            sys.stdout.flush()
    except BrokenPipeError:
        # `cablebot export | head` closed the pipe: that is the reader's choice, not an error.
        sys.stdout = None  # type: ignore[assignment]  # keep Python from flushing into the closed pipe


@contextmanager
def _sample_path() -> Iterator[Path]:
    from importlib.resources import as_file, files

    with as_file(files("bot") / "samples" / SAMPLE) as path:
        yield path


@contextmanager
def _progress_bar(total: int) -> Iterator[Progress | None]:
    """A progress bar by bytes read, on a terminal only: logs and pipes get nothing but the summary."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress("ingesting", *columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("ingest", total=total)
        yield lambda n: bar.advance(task, n)


def _print_report(report: IngestReport, store_url: str, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print(json.dumps(report.to_json() | {"store": store_url}, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.text import Text

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for failure in report.failures:
        err.print(Text.assemble(("failed  ", "bold red"), str(failure)))
    for warning in report.warnings:
        err.print(Text.assemble(("warning ", "yellow"), str(warning)))
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"ingested {report.ingested:,}, updated {report.updated:,}, skipped {report.skipped:,} (unchanged), "
        f"failed {report.failed:,}; warnings {len(report.warnings):,}; store {store_url}"
    )


def _print_cable(cable: Cable) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from bot.store.export import iso_utc

    console = Console(highlight=False, soft_wrap=False)
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold")
    meta.add_column()
    for label, value in (
        ("Reference ID", cable.ref_id),
        ("Created", iso_utc(cable.created)),
        ("Released", iso_utc(cable.released) or "unknown"),
        ("Classification", cable.classification),
        ("Origin", cable.origin),
        ("Subject", cable.subject),
        ("Tags", ", ".join(cable.tags)),
        ("References", ", ".join(cable.references) or "none"),
        ("URL", cable.url),
        ("Source", str(cable.source) if cable.source else "unknown"),
    ):
        meta.add_row(label, Text(value or ""))
    console.print(meta)
    if not cable.paragraphs:
        console.print(Text("\nNo numbered paragraphs: nothing of this cable can be posted.", style="yellow"))
    for p in cable.paragraphs:
        console.print()
        head = Text.assemble((f"¶{p.number}", "bold"), f" ({p.marking})" if p.marking else "")
        console.print(head)
        console.print(Text(p.text), soft_wrap=True)  # a terminal wraps it; a pipe gets whole lines
        link = Text(p.url, style="cyan") if p.url else Text("no anchor of its own: not citable", style="dim")
        console.print(link, soft_wrap=True)
