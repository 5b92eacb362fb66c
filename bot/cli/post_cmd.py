"""`cablebot post`, `history` and `check`: publish a paragraph now, list the ledger, check the setup.

Thin commands over bot.posting and the ledger; the store, the renderer and the network SDKs load inside
the commands (a network's SDK only when that network publishes).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.app import CONFIG_OPTION, FORMAT_OPTION, OutputFormat, app, fail

if TYPE_CHECKING:
    from bot.config import Config
    from bot.model import Cable
    from bot.store import Store
    from bot.store.ledger import Ledger, LedgerEntry


@app.command()
def post(
    ref_id: str = typer.Argument(..., help="The cable's reference ID, e.g. 08ASTANA2079."),
    paragraph: str | None = typer.Option(
        None, "--paragraph", "-p", help="The paragraph's number. Default: the best one not yet posted."
    ),
    account: str | None = typer.Option(
        None, "--account", "-a", help="The account ([accounts.NAME] in the config). Default: the only one."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be posted; publish nothing and record nothing."
    ),
    force: bool = typer.Option(False, "--force", help="Post it again even if this account already did."),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Publish one paragraph now, and record every post in the ledger."""
    from bot.config import load_config
    from bot.logs import setup_logging
    from bot.networks.registry import network_class
    from bot.posting import RetryPolicy, choose_account, choose_generation, publish_thread
    from bot.posts.render import min_quote_share, render_thread
    from bot.posts.templates import TemplateSet
    from bot.store import open_store
    from bot.store.ledger import DatabaseSessions, Ledger

    setup_logging(level=30, stream=sys.stderr)
    settings = load_config(config)
    name, table = choose_account(settings, account)
    cls = network_class(str(table["network"]))
    with open_store() as store:
        # A dry run goes through the same choice, refusal and rendering as a post and stops before the
        # first write: its network is not even built (no SDK, no session, no secret needed to preview).
        sessions = DatabaseSessions(store.engine)
        network = None if dry_run else cls.from_account(name, table, os.environ, sessions)
        ledger = Ledger(store.engine)
        cable = store.get_cable(ref_id.strip().upper(), settings.permalinks)
        number = paragraph.strip() if paragraph else _best_paragraph(store, settings, cable, name, ledger)
        found = cable.paragraph(number)
        if found is None:
            numbers = ", ".join(p.number for p in cable.paragraphs) or "none"
            fail(f"cable {cable.ref_id} has no paragraph {number!r}; its paragraphs: {numbers}")
            return
        generation = choose_generation(ledger, name, cable.ref_id, found.number, force=force)
        thread = render_thread(
            cable,
            found,
            network=cls.name,
            rules=cls.text_rules(table),
            templates=TemplateSet.from_config(settings),
            min_quote_share=min_quote_share(settings),
        )
        if network is None:
            _print_dry_run(name, generation, thread, output)
            return
        outcome = publish_thread(
            ledger,
            network,
            account=name,
            thread=thread,
            generation=generation,
            paragraph_id=ledger.paragraph_id(cable.ref_id, found.number),
            policy=RetryPolicy(),
            retry_rejected=True,
        )
    _print_entries(outcome.entries, output)
    if outcome.error:
        fail(str(outcome.error))


def _print_dry_run(account: str, generation: int, thread: Any, output: OutputFormat) -> None:
    """The thread a post would publish, shaped like `post`'s own output, with status `dry-run`."""
    parts = len(thread.posts)
    rows = [
        {
            "account": account,
            "network": thread.network,
            "ref_id": thread.ref_id,
            "paragraph": thread.paragraph,
            "generation": generation,
            "position": position,
            "parts": parts,
            "status": "dry-run",
            "text": p.text,
            "length": p.length,
            "limit": p.limit,
            "permalink": thread.permalink,
            "remote_id": None,
            "url": None,
        }
        for position, p in enumerate(thread.posts, start=1)
    ]
    if output is OutputFormat.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    again = f", generation {generation} (posted before; --force)" if generation else ""
    print(
        f"dry run: {account} ({thread.network}) would post {thread.ref_id} paragraph {thread.paragraph}"
        f"{again} in {parts} post{'s' if parts > 1 else ''}; nothing was published or recorded"
    )
    for row in rows:
        print(f"--- {row['position']}/{parts} ({row['length']}/{row['limit']})")
        print(row["text"])


@app.command()
def history(
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account's posts."),
    limit: int = typer.Option(100, "--limit", help="At most this many posts, newest first (0: all)."),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """List the ledger: every post cablebot planned or made, newest first."""
    from bot.store import open_store
    from bot.store.ledger import Ledger

    with open_store() as store:
        entries = Ledger(store.engine).history(account, limit or None)
    _print_entries(entries, output, empty="the ledger is empty: nothing has been posted yet")


@app.command()
def check(config: str | None = CONFIG_OPTION) -> None:
    """Check the config, templates, accounts and credentials before anything runs; report every problem."""
    from bot.errors import CablebotError
    from bot.logs import redact

    problems: list[str] = []
    try:
        from bot.config import load_config

        settings = load_config(config)
    except CablebotError as e:
        fail(f"1 problem:\n  - {redact(str(e))}")
        return
    for problem in _problems(settings):
        problems.append(redact(problem))
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        fail(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}:\n{listed}")
    print(f"ok: {settings.where()}, {_accounts_line(settings)}")


def _problems(settings: Config) -> list[str]:
    """Every problem with the setup, each one a message an editor can act on."""
    from bot.errors import CablebotError
    from bot.networks.base import MemorySessions
    from bot.networks.registry import network_class
    from bot.posting import configured_accounts
    from bot.posts.render import min_quote_share, render_thread
    from bot.posts.templates import TemplateSet

    try:
        from bot.worker.schedule import schedule_from_config
    except ImportError:  # a cablebot without the worker: accounts post by hand only

        def schedule_from_config(*args: Any) -> None:
            return None

    problems: list[str] = []
    try:
        share = min_quote_share(settings)
    except CablebotError as e:
        problems.append(str(e))
        share = 0.6
    templates = TemplateSet.from_config(settings)
    cable = _sample_cable(settings)
    paragraph = next(p for p in cable.paragraphs if p.citable)
    rendered: set[str] = set()
    for name, table in configured_accounts(settings).items():
        try:
            cls = network_class(str(table.get("network")))
        except CablebotError as e:
            problems.append(f"[accounts.{name}]: {e}")
            continue
        except ImportError as e:
            problems.append(f"[accounts.{name}]: the {table.get('network')} adapter cannot be loaded: {e}")
            continue
        _collect(problems, cls.from_account, name, table, os.environ, MemorySessions())
        _collect(problems, schedule_from_config, name, dict(table), settings.where())
        if cls.name not in rendered:
            rendered.add(cls.name)
            _collect(
                problems,
                render_thread,
                cable,
                paragraph,
                network=cls.name,
                rules=cls.text_rules(table),
                templates=templates,
                min_quote_share=share,
            )
    return problems


def _collect(problems: list[str], call: Any, *args: Any, **kwargs: Any) -> None:
    from bot.errors import CablebotError

    try:
        call(*args, **kwargs)
    except CablebotError as e:
        problems.append(str(e))


def _sample_cable(settings: Config) -> Cable:
    """The bundled sample cable, read with the config's permalinks: what `check` renders templates on."""
    from importlib.resources import files

    from bot.sources import parse_document

    text = (files("bot") / "samples" / "08ASTANA2079.txt").read_text(encoding="utf-8")
    return parse_document(text, where="bot/samples/08ASTANA2079.txt", permalinks=settings.permalinks)


def _accounts_line(settings: Config) -> str:
    from bot.posting import configured_accounts

    accounts = configured_accounts(settings)
    listed = ", ".join(f"{name} ({table.get('network')})" for name, table in accounts.items())
    return f"{len(accounts)} account{'s' if len(accounts) > 1 else ''}: {listed}"


def _best_paragraph(store: Store, settings: Config, cable: Cable, account: str, ledger: Ledger) -> str:
    """The best citable paragraph of the cable this account has not posted (the picker's scores)."""
    from bot.picks.score import ranked, score_cable
    from bot.picks.settings import parse_picks

    stored = _stored_scores(store, cable.ref_id)
    if stored:
        order = [number for number, _ in sorted(stored.items(), key=lambda item: -item[1])]
    else:
        scores = score_cable(cable, parse_picks(settings.picks, settings.where()))
        order = [cable.paragraphs[i].number for i, s in ranked(cable, scores) if not s.blocked]
    for number in order:
        if not ledger.posted(account, cable.ref_id, number):
            return number
    fail(
        f"{account} has posted every paragraph of {cable.ref_id} the picker allows; "
        "give one with --paragraph (and --force to post it again)"
    )
    raise AssertionError  # fail() exits


def _stored_scores(store: Store, ref_id: str) -> dict[str, float]:
    """Scores the picker stored at ingest, for the paragraphs that may be posted (first of each number)."""
    from sqlalchemy import select

    from bot.store.schema import cables, paragraphs

    query = (
        select(paragraphs.c.number, paragraphs.c.score)
        .join(cables, cables.c.id == paragraphs.c.cable_id)
        .where(
            cables.c.ref_id == ref_id,
            paragraphs.c.anchored,
            ~paragraphs.c.blocked,
            paragraphs.c.score.is_not(None),
        )
        .order_by(paragraphs.c.position)
    )
    with store.read() as conn:
        found: dict[str, float] = {}
        for number, score in conn.execute(query):
            found.setdefault(number, score)
        return found


def _print_entries(entries: list[LedgerEntry], output: OutputFormat, empty: str = "") -> None:
    if output is OutputFormat.json:
        print(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        if empty:
            print(empty)
        return
    for e in entries:
        line = (
            f"{e.updated_at:%Y-%m-%d %H:%M}  {e.account}  {e.network}  {e.ref_id} ¶{e.paragraph}  "
            f"{e.position}/{e.parts}  {e.status}  {e.remote_id or ''}  {e.url or ''}"
        )
        if e.error and e.status != "sent":
            line += f"  ({e.error})"
        print(line.rstrip())
