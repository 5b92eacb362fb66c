"""`cablebot pick` and `cablebot next`: what is worth posting, and why.

Thin commands over bot.picks; the store and its libraries load inside the commands so that
`cablebot --help` stays fast.
"""

from __future__ import annotations

import json

import typer

from bot.cli.app import CONFIG_OPTION, FORMAT_OPTION, OutputFormat, app, fail


@app.command()
def pick(
    ref_id: str = typer.Argument(
        None, help="The cable's reference ID, e.g. 08ASTANA2079.", show_default=False
    ),
    output: OutputFormat = FORMAT_OPTION,
    rescore: bool = typer.Option(
        False,
        "--rescore",
        help="Score stored paragraphs again with the current config and corpus statistics "
        "(the cable given, else every cable) and save the scores.",
    ),
    config: str | None = CONFIG_OPTION,
) -> None:
    """A cable's paragraphs ranked, best first, each with its score and the share of each signal in it."""
    from bot.config import load_config
    from bot.picks.persist import load_stats
    from bot.picks.persist import rescore as rescore_store
    from bot.picks.score import ranked, score_cable
    from bot.picks.settings import parse_picks
    from bot.picks.signals import terms
    from bot.store import open_store

    cfg = load_config(config)
    settings = parse_picks(cfg.picks, cfg.where())
    if rescore:
        with open_store() as store, store.write() as conn, _progress() as advance:
            count = rescore_store(conn, settings, [ref_id.strip().upper()] if ref_id else None, advance)
        print(
            json.dumps({"rescored": count}) if output is OutputFormat.json else f"rescored {count} cable(s)"
        )
        if not ref_id:
            return
    if not ref_id:
        fail("give a cable's reference ID (cablebot pick 08ASTANA2079), or --rescore")
    with open_store() as store:
        cable = store.get_cable(ref_id.strip().upper(), cfg.permalinks)
        with store.read() as conn:
            wanted: set[str] = set()
            for p in cable.paragraphs:
                wanted |= terms(p.text)
            stats = load_stats(conn, wanted)
    scores = score_cable(cable, settings, stats.df, stats.total)
    order = ranked(cable, scores)
    if output is OutputFormat.json:
        rows = []
        for i, s in order:
            para = cable.paragraphs[i]
            rows.append({"number": para.number, "url": para.url, **s.to_json()})
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _print_ranking(cable, order)


@app.command("next")
def next_(
    account: str = typer.Option(None, "--account", help="The account (a [accounts.NAME] of the config)."),
    count: int = typer.Option(1, "-n", "--count", min=1, max=100, help="How many posts ahead to show."),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """What the bot would post next across the whole corpus, and why (nothing is posted)."""
    from bot.config import load_config
    from bot.picks.settings import parse_picks
    from bot.store import open_store
    from bot.worker.choose import choose_next

    cfg = load_config(config)
    settings = parse_picks(cfg.picks, cfg.where())
    if account is None:
        account = next(iter(cfg.accounts), "default")
    elif cfg.accounts and account not in cfg.accounts:
        fail(f"no account {account!r} in {cfg.where()}; accounts: {', '.join(sorted(cfg.accounts))}")
    with open_store() as store, store.read() as conn:
        choices = choose_next(conn, account, settings, count)
        urls = {}
        for c in choices:
            cable = store.get_cable(c.ref_id, cfg.permalinks)
            para = cable.paragraph(c.number)
            urls[(c.ref_id, c.number)] = (para.url if para else None, para.text if para else "")
    if output is OutputFormat.json:
        print(
            json.dumps(
                [{"account": account, **c.to_json(), "url": urls[(c.ref_id, c.number)][0]} for c in choices],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    _print_next(account, choices, urls)


def _progress():
    from contextlib import contextmanager

    @contextmanager
    def bar():
        import sys

        if not sys.stderr.isatty():
            yield lambda _n: None
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn

        with Progress(SpinnerColumn(), TextColumn("rescoring: {task.completed} cables"), transient=True) as p:
            task = p.add_task("rescore", total=None)
            yield lambda n: p.advance(task, n)

    return bar()


def _top_reasons(reasons: dict[str, float], k: int = 6) -> str:
    items = sorted(reasons.items(), key=lambda kv: -abs(kv[1]))[:k]
    return ", ".join(f"{name} {value:+.2f}" for name, value in items)


def _print_ranking(cable, order) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"[bold]{cable.ref_id}[/bold]  {cable.subject.splitlines()[0] if cable.subject else ''}")
    table = Table(show_lines=False, expand=True)
    table.add_column("¶", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("why", ratio=2)
    table.add_column("text", ratio=3)
    for i, s in order:
        para = cable.paragraphs[i]
        why = _top_reasons(dict(s.reasons))
        if s.blocked:
            why = f"[red]blocked: {s.block_reason}[/red]\n{why}"
        elif s.released:
            why = f"[yellow]{s.released}[/yellow]\n{why}"
        text = para.text if len(para.text) <= 160 else para.text[:157] + "..."
        table.add_row(para.number, f"{s.value:.2f}", why, text, style="dim" if s.blocked else None)
    console.print(table)


def _print_next(account: str, choices, urls) -> None:
    from rich.console import Console

    console = Console(highlight=False)
    if not choices:
        console.print(
            f"nothing left to post for account {account!r}: every postable paragraph is posted, "
            "blocked or inside the same-cable window"
        )
        return
    console.print(f"[bold]next for account {account!r}[/bold]")
    for n, c in enumerate(choices, 1):
        url, text = urls[(c.ref_id, c.number)]
        console.print(
            f"\n{n}. [bold]{c.ref_id} ¶{c.number}[/bold]  score {c.score:.2f}  "
            f"({c.origin}, {c.created:%Y-%m-%d})"
        )
        console.print(f"   {url}")
        console.print(f"   {text[:200]}{'...' if len(text) > 200 else ''}")
        console.print(f"   why: {_top_reasons(c.reasons)}")
        for note in c.why:
            console.print(f"   - {note}")
