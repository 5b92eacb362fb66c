"""`cablebot worker`, `queue` and `status`: the hosted worker and what editors do around it.

Thin commands over bot.worker; the store, the networks and the renderer load inside the commands.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from bot.cli.app import CONFIG_OPTION, FORMAT_OPTION, OutputFormat, app

if TYPE_CHECKING:
    from bot.worker.run import SlotResult
    from bot.worker.status import WorkerStatus


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="One slot for every account, now, then exit."),
    accounts: list[str] = typer.Option(  # noqa: B008 - typer declares options this way
        None, "--account", help="Only this account (repeatable; with --once).", show_default=False
    ),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Run every account's schedule until SIGTERM (the Procfile's `worker: cablebot worker`)."""
    from bot.config import load_config
    from bot.logs import setup_logging
    from bot.store import open_store
    from bot.worker.run import Worker, install_signal_handlers

    settings = load_config(config)
    if once:
        # Results go to stdout for the person or script that asked; logs stay on stderr.
        setup_logging(level=30, stream=sys.stderr)
        with open_store() as store:
            results = Worker(store, settings).once(accounts or None)
        _print_results(results, output)
        raise typer.Exit(1 if any(r.status == "failed" for r in results) else 0)

    # A host collects stdout: JSON lines there unless a person is watching.
    setup_logging(stream=sys.stdout)
    import threading

    stop = threading.Event()
    install_signal_handlers(stop)
    with open_store() as store:
        Worker(store, settings, stop=stop).run()
    raise typer.Exit(0)


@app.command()
def queue(
    ref_id: str = typer.Argument(..., help="The cable to post next, e.g. 08ASTANA2079."),
    account: str | None = typer.Option(
        None, "--account", help="Only for this account (default: every account)."
    ),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """An editor's priority: post this cable's best paragraphs in the next slots."""
    from bot.config import load_config
    from bot.store import open_store
    from bot.worker.queue import enqueue, pending

    settings = load_config(config)
    with open_store() as store:
        entry, added = enqueue(store, settings, ref_id, datetime.now(UTC), account, _whoami())
        waiting = pending(store)
    place = next((i for i, q in enumerate(waiting, start=1) if q.id == entry.id), len(waiting))
    if output is OutputFormat.json:
        print(
            json.dumps(
                {
                    "ref_id": entry.ref_id,
                    "account": entry.account,
                    "added": added,
                    "position": place,
                    "requested_at": entry.requested_at.isoformat(),
                }
            )
        )
        return
    who = f"account {entry.account}" if entry.account else "every account"
    verb = "queued" if added else "already queued"
    print(
        f"{verb} {entry.ref_id} for {who}: number {place} of {len(waiting)} in the queue, "
        "posted in the next slots"
    )


@app.command()
def status(
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
    recent: int = typer.Option(10, "--recent", help="How many recent posts and failures to show."),
) -> None:
    """Next slots per account, the queue, recent posts, failures waiting for an editor, paused accounts."""
    import logging
    import os

    from bot.config import load_config
    from bot.logs import setup_logging
    from bot.store import open_store
    from bot.worker.status import worker_status

    setup_logging(level=logging.CRITICAL)  # problems are part of the report, not log lines
    settings = load_config(config)
    with open_store() as store:
        report = worker_status(store, settings, datetime.now(UTC), os.environ, recent)
    if output is OutputFormat.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_status(report)


def _whoami() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def _print_results(results: list[SlotResult], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print(
            json.dumps(
                [
                    {
                        "account": r.account,
                        "due_at": r.due_at.isoformat(),
                        "status": r.status,
                        "ref_id": r.ref_id,
                        "paragraph": r.paragraph,
                        "urls": list(r.urls),
                        "texts": list(r.texts),
                        "reason": r.reason,
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not results:
        print("no account configured: add an [accounts.NAME] table to the config")
    for r in results:
        what = f" {r.ref_id} paragraph {r.paragraph}" if r.ref_id else ""
        print(f"{r.account}: {r.status}{what}")
        for text, url in zip(r.texts, r.urls, strict=False):
            print("\n".join(f"    | {line}" for line in text.splitlines()))
            print(f"    {url}")
        for url in r.urls[len(r.texts) :]:
            print(f"    {url}")
        if r.reason:
            print(f"    {r.reason}")


def _print_status(report: WorkerStatus) -> None:
    print("Accounts")
    for a in report.accounts:
        print(f"  {a.name} ({a.network}): {a.schedule or 'no schedule (posts only when asked)'}")
        if a.problem:
            print(f"    NOT SERVED: {a.problem}")
        if a.paused_until:
            print(f"    paused by a rate limit until {_when(a.paused_until)}")
        if a.next_slots:
            print("    next: " + ", ".join(_when(t) for t in a.next_slots))
    print("Queue")
    if not report.queue:
        print("  (empty)")
    for q in report.queue:
        done = ", ".join(f"{name} {n}/{q['paragraphs_wanted']}" for name, n in q["posted"].items())
        who = q["account"] or "every account"
        print(f"  {q['ref_id']} for {who} (asked {q['requested_at'][:19]}; posted so far: {done})")
    print("Recent posts")
    if not report.recent_posts:
        print("  (none)")
    for p in report.recent_posts:
        part = f" {p['position']}/{p['parts']}" if p["parts"] > 1 else ""
        print(
            f"  {p['at'][:19]} {p['account']} {p['ref_id']} paragraph {p['paragraph']}{part}: "
            f"{p['status']} {p['url'] or ''}".rstrip()
        )
    print("Failures waiting for an editor")
    if not report.failures:
        print("  (none)")
    for f in report.failures:
        what = f" {f['ref_id']} paragraph {f['paragraph']}" if f.get("ref_id") else ""
        print(f"  {f['at'][:19]} {f['account']}{what}: {f['reason']}")
