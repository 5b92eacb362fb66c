"""`cablebot preview`: the posts one paragraph becomes on each network, exactly as they would be sent.

Nothing is sent. The text and facets shown are the very `Post.text` and `Post.facets` the network
adapters send.

With `--network NAME`, one network (any installed one, with or without an account); `--format json`
then prints one object. Without it, the networks of the configured accounts (the first account of each
network gives its limits), or every installed network when no account is configured; `--format json`
then prints a list of those objects, one per network, whatever their number.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.app import CONFIG_OPTION, FORMAT_OPTION, OutputFormat, app, fail

if TYPE_CHECKING:
    from bot.config import Config
    from bot.posts.model import Thread
    from bot.posts.rules import TextRules


@app.command()
def preview(
    ref_id: str = typer.Argument(..., help="The cable's reference ID, e.g. 08ASTANA2079."),
    paragraph: str = typer.Option(..., "--paragraph", "-p", help="The paragraph's number, e.g. 3."),
    network: str | None = typer.Option(
        None,
        "--network",
        "-n",
        help="One installed network (x, bluesky, mastodon, outbox...). "
        "Default: the networks of the configured accounts, or all installed ones.",
    ),
    output: OutputFormat = FORMAT_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Show the posts a paragraph becomes on each network, fitted to its limits. Nothing is sent."""
    from bot.config import load_config
    from bot.posts.render import min_quote_share, render_thread
    from bot.posts.templates import TemplateSet
    from bot.store import open_store

    settings = load_config(config)
    targets = _targets(settings, network)  # unknown networks fail before the store is opened
    with open_store() as store:
        cable = store.get_cable(ref_id.strip().upper(), settings.permalinks)
    found = cable.paragraph(paragraph.strip())
    if found is None:
        numbers = ", ".join(p.number for p in cable.paragraphs) or "none"
        fail(f"cable {cable.ref_id} has no paragraph {paragraph!r}; its paragraphs: {numbers}")
        return
    templates = TemplateSet.from_config(settings)
    share = min_quote_share(settings)
    threads = [
        render_thread(cable, found, network=name, rules=rules, templates=templates, min_quote_share=share)
        for name, rules in targets
    ]
    if output is OutputFormat.json:
        documents = [thread_to_json(t) for t in threads]
        print(json.dumps(documents[0] if network else documents, ensure_ascii=False, indent=2))
    else:
        for i, thread in enumerate(threads):
            if i:
                print()
            _print_thread(thread)


def thread_to_json(thread: Thread) -> dict[str, Any]:
    return {
        "ref_id": thread.ref_id,
        "paragraph": thread.paragraph,
        "network": thread.network,
        "posts": [
            {
                "text": p.text,
                "length": p.length,
                "limit": p.limit,
                "quote": p.quote,
                "facets": [f.to_atproto() for f in p.facets],
            }
            for p in thread.posts
        ],
    }


def _targets(settings: Config, network: str | None) -> list[tuple[str, TextRules]]:
    """(network, its text rules) for each network to preview, in a stable order."""
    from bot.networks.registry import installed_networks

    accounts: dict[str, dict[str, Any]] = {}
    for table in settings.accounts.values():
        accounts.setdefault(str(table["network"]), table)
    if network:
        names = [network.strip().lower()]
    elif accounts:
        names = list(accounts)
    else:
        names = installed_networks()
    return [(name, _network(name).text_rules(accounts.get(name))) for name in names]


def _network(name: str) -> Any:
    from bot.networks.registry import network_class

    try:
        return network_class(name)
    except ImportError as e:
        fail(f"network {name!r} is installed but its adapter cannot be loaded: {e}")


def _print_thread(thread: Thread) -> None:
    count = len(thread.posts)
    print(f"{thread.network}: {thread.ref_id} ¶{thread.paragraph}, {count} post{'s' if count > 1 else ''}")
    for i, post in enumerate(thread.posts, start=1):
        print(f"--- {i}/{count} ({post.length} of {post.limit})")
        print(post.text)
