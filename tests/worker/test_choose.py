"""Choosing what an account posts next, on a real store (SQLite and PostgreSQL) and D's real ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.config import Config
from bot.ingest import ingest
from bot.picks import batch_scorer
from bot.picks.settings import PickSettings, parse_picks
from bot.store.ledger import FAILED, PLANNED, SENDING, SENT, UNKNOWN, Ledger
from bot.store.schema import queue
from bot.worker.choose import choose_next, finish_served_queue, recent_mix
from tests.support import make_cable

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

GREAT = (
    'Privately, the minister said the president is "paranoid and surrounded by corrupt cronies" '
    "and feared a coup."
)
GOOD = (
    'Frankly, the general told us privately that the army "cannot win this war", that the president is '
    "corrupt, paranoid and incompetent, and that 40 percent of $2 billion in aid was stolen."
)
FAIR = 'The mayor said the governor "lies to everyone" and blamed him for the riots.'
DULL = "The delegation discussed the agenda for the meeting with the ministry and agreed on dates."


def corpus():
    # 09ALPHA1's paragraph 1 is the corpus's best, its paragraph 3 the next best: the tests below lean on it.
    return [
        make_cable(
            "09ALPHA1", [GREAT, DULL, GOOD], origin="Embassy Alpha", created=datetime(2009, 1, 5, tzinfo=UTC)
        ),
        make_cable("08BETA2", [FAIR, DULL], origin="Embassy Beta", created=datetime(2008, 2, 5, tzinfo=UTC)),
        make_cable(
            "07GAMMA3",
            [DULL + " The weather was mild."],
            origin="Embassy Gamma",
            created=datetime(2007, 3, 5, tzinfo=UTC),
        ),
        make_cable(
            "06DELTA4",
            [DULL, DULL + " Nothing more."],
            origin="Embassy Delta",
            created=datetime(2006, 4, 5, tzinfo=UTC),
        ),
    ]


@pytest.fixture
def filled(store):
    ingest(corpus(), store, scorer=batch_scorer(Config(path=None)))
    return store


def post(store, account, ref_id, number, at=NOW, status=None, linked=False):
    """A post as the ledger keeps it; `linked`: naming its paragraph row too, as the worker's do."""
    ledger = Ledger(store.engine, clock=lambda: at)
    [entry] = ledger.plan(
        account=account,
        network="outbox",
        ref_id=ref_id,
        paragraph=number,
        generation=0,
        texts=[f"{ref_id} {number}"],
        paragraph_id=ledger.paragraph_id(ref_id, number) if linked else None,
    )
    if status:
        ledger.mark(entry.id, status)


def nxt(store, account="news", settings=None, n=1, now=NOW):
    with store.read() as conn:
        return [(c.ref_id, c.number) for c in choose_next(conn, account, settings or PickSettings(), n, now)]


def test_the_best_postable_paragraph_comes_first(filled):
    assert nxt(filled) == [("09ALPHA1", "1")]


@pytest.mark.parametrize("linked", [False, True], ids=["by-cable-and-number", "by-paragraph-row"])
def test_a_paragraph_is_never_posted_twice_by_one_account(filled, linked):
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(days=30), linked=linked)
    later = nxt(filled, n=10)
    assert ("09ALPHA1", "1") not in later
    assert ("09ALPHA1", "3") in later  # the cable's next-best paragraph, the window being over
    assert nxt(filled, account="other") == [("09ALPHA1", "1")]  # another account may post it


@pytest.mark.parametrize("status", [FAILED, PLANNED, SENDING, UNKNOWN, SENT])
def test_a_paragraph_with_any_ledger_row_is_never_chosen_again(filled, status):
    # A rejected post waits for an editor (`post --force`): choosing it again would meet the same
    # rejection at every slot. Unsettled rows are the worker's to resume, not the picker's to repeat.
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(days=30), status=status)
    assert ("09ALPHA1", "1") not in nxt(filled, n=10)
    assert nxt(filled, account="other") == [("09ALPHA1", "1")]


def test_a_failed_post_neither_comes_back_nor_opens_the_same_cable_window(filled):
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(minutes=5), status=FAILED)
    assert nxt(filled) == [("09ALPHA1", "3")]  # nothing went out from the cable: no window


def test_a_forced_generation_that_failed_keeps_the_paragraph_out_too(filled):
    ledger = Ledger(filled.engine, clock=lambda: NOW - timedelta(days=30))
    for generation, status in ((0, SENT), (1, FAILED)):
        [entry] = ledger.plan(
            account="news",
            network="outbox",
            ref_id="09ALPHA1",
            paragraph="1",
            generation=generation,
            texts=["again"],
        )
        ledger.mark(entry.id, status)
    assert ("09ALPHA1", "1") not in nxt(filled, n=10)


def test_no_two_posts_from_one_cable_within_the_window(filled):
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(hours=5))
    assert all(ref_id != "09ALPHA1" for ref_id, _ in nxt(filled, n=10))
    wide = parse_picks({"same_cable_window": "2h", "variety": {"origin_penalty": 0, "year_penalty": 0}})
    assert ("09ALPHA1", "3") in nxt(filled, settings=wide, n=10)


def test_the_window_ends_exactly_its_length_after_the_cables_last_post(filled):
    plain = parse_picks({"same_cable_window": "6h", "variety": {"origin_penalty": 0, "year_penalty": 0}})
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(hours=6) + timedelta(seconds=1))
    assert ("09ALPHA1", "3") not in nxt(filled, settings=plain, n=10)
    later = NOW + timedelta(seconds=2)  # the post is now 6h and 1s old
    assert nxt(filled, settings=plain, now=later) == [("09ALPHA1", "3")]


def test_the_window_holds_however_many_cables_the_account_posted_in_it(store):
    many = [
        make_cable(
            f"09MANY{i}", [GREAT, FAIR], origin=f"Embassy {i}", created=datetime(2009, 1, 5, tzinfo=UTC)
        )
        for i in range(60)
    ]
    ingest(many, store, scorer=batch_scorer(Config(path=None)))
    for i, cable in enumerate(many[:59]):
        post(store, "news", cable.ref_id, "1", at=NOW - timedelta(minutes=i + 1))
    assert [ref_id for ref_id, _ in nxt(store, n=5)] == ["09MANY59"]  # the one not posted from lately


def test_a_listing_takes_each_cable_once(filled):
    listing = nxt(filled, n=10)
    refs = [ref_id for ref_id, _ in listing]
    assert len(refs) == len(set(refs))


def test_the_editors_queue_comes_first_and_serves_a_few_paragraphs(filled):
    with filled.write() as conn:
        conn.execute(
            insert(queue).values(ref_id="06DELTA4", account=None, requested_at=NOW - timedelta(hours=1))
        )
    with filled.read() as conn:
        [first] = choose_next(conn, "news", PickSettings(), 1, NOW)
    assert (first.ref_id, first.queued) == ("06DELTA4", True)
    assert any("queued" in why for why in first.why)
    post(filled, "news", "06DELTA4", first.number, at=NOW - timedelta(minutes=30))
    second = nxt(filled)
    assert second[0][0] == "06DELTA4" and second[0][1] != first.number  # the queue overrides the window
    post(filled, "news", "06DELTA4", second[0][1], at=NOW - timedelta(minutes=10))
    assert nxt(filled)[0] == ("09ALPHA1", "1")  # nothing left to serve


def queue_for(store, ref_id, account=None, at=NOW - timedelta(hours=1)) -> int:
    with store.write() as conn:
        return conn.execute(
            insert(queue).values(ref_id=ref_id, account=account, requested_at=at).returning(queue.c.id)
        ).scalar_one()


def finish(store, accounts=("news",), settings=None, now=NOW) -> list[int]:
    with store.write() as conn:
        return finish_served_queue(conn, list(accounts), settings or PickSettings(), now)


def done_at(store, entry_id):
    with store.read() as conn:
        return conn.execute(select(queue.c.done_at).where(queue.c.id == entry_id)).scalar_one()


def test_a_queue_entry_is_done_once_it_served_queue_paragraphs_posts(filled):
    entry = queue_for(filled, "09ALPHA1", "news")
    two = parse_picks({"queue_paragraphs": 2})
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(hours=2))  # before the editor asked
    post(filled, "news", "09ALPHA1", "3", at=NOW - timedelta(minutes=40))
    assert finish(filled, settings=two) == [] and done_at(filled, entry) is None
    assert nxt(filled, settings=two)[0] == ("09ALPHA1", "2")  # still served
    post(filled, "news", "09ALPHA1", "2", at=NOW - timedelta(minutes=20), status=FAILED)
    assert finish(filled, settings=two) == [entry]  # ¶2 was rejected: nothing postable left
    assert done_at(filled, entry) == NOW
    assert finish(filled, settings=two, now=NOW + timedelta(hours=1)) == []  # closed once
    assert done_at(filled, entry) == NOW


def test_a_queue_entry_is_done_when_the_count_is_reached(filled):
    entry = queue_for(filled, "09ALPHA1", "news")
    one = parse_picks({"queue_paragraphs": 1})
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(minutes=30), status=FAILED)
    assert finish(filled, settings=one) == []  # a rejected post serves nobody
    post(filled, "news", "09ALPHA1", "3", at=NOW - timedelta(minutes=20))
    assert finish(filled, settings=one) == [entry]


def test_a_queue_entry_for_every_account_is_done_when_each_account_is_served(filled):
    entry = queue_for(filled, "08BETA2")
    for number in ("1", "2"):  # 08BETA2 has two paragraphs: serving it takes both
        post(filled, "news", "08BETA2", number, at=NOW - timedelta(minutes=30))
    assert finish(filled, accounts=("news", "other")) == []
    assert nxt(filled, account="other")[0][0] == "08BETA2"
    for number in ("1", "2"):
        post(filled, "other", "08BETA2", number, at=NOW - timedelta(minutes=20))
    assert finish(filled, accounts=("news", "other")) == [entry]
    assert done_at(filled, entry) == NOW


def test_a_done_queue_entry_is_not_served_any_more(filled):
    entry = queue_for(filled, "06DELTA4", "news")
    assert nxt(filled)[0][0] == "06DELTA4"
    with filled.write() as conn:
        conn.execute(update(queue).where(queue.c.id == entry).values(done_at=NOW - timedelta(minutes=1)))
    assert nxt(filled)[0] == ("09ALPHA1", "1")


def test_a_queue_entry_for_another_account_is_not_served(filled):
    with filled.write() as conn:
        conn.execute(
            insert(queue).values(ref_id="06DELTA4", account="other", requested_at=NOW - timedelta(hours=1))
        )
    assert nxt(filled) == [("09ALPHA1", "1")]


def test_variety_prefers_an_origin_and_year_not_posted_recently(filled):
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(days=10))
    plain = nxt(filled, settings=parse_picks({"variety": {"origin_penalty": 0, "year_penalty": 0}}))
    assert plain == [("09ALPHA1", "3")]
    varied = nxt(filled, settings=parse_picks({"variety": {"origin_penalty": 50}}))
    assert varied[0][0] != "09ALPHA1"


def test_an_editors_exclusion_or_block_applies_at_once_without_a_rescore(filled):
    assert nxt(filled, settings=parse_picks({"exclude_cables": ["09ALPHA1"]}))[0][0] != "09ALPHA1"
    assert nxt(filled, settings=parse_picks({"block": ["paranoid"]}))[0] != ("09ALPHA1", "1")
    assert nxt(filled, settings=parse_picks({"exclude_paragraphs": ["09ALPHA1#1"]}))[0] != ("09ALPHA1", "1")


def test_blocked_and_uncitable_paragraphs_are_never_chosen(store):
    cable = make_cable(
        "09SOURCE1",
        ['Dr. Ali Hassan (PROTECT) said "the president is corrupt and paranoid".', DULL],
        origin="Embassy Alpha",
    )
    hidden = make_cable("09HIDDEN2", [GREAT], anchored=False)
    ingest([cable, hidden], store, scorer=batch_scorer(Config(path=None)))
    assert nxt(store, n=10) == [("09SOURCE1", "2")]


def test_nothing_left_is_an_empty_answer(store):
    assert nxt(store, n=3) == []


@pytest.mark.parametrize("linked", [False, True], ids=["by-cable-and-number", "by-paragraph-row"])
def test_a_posted_paragraph_stays_posted_when_its_cable_is_re_ingested(filled, linked):
    post(filled, "news", "09ALPHA1", "1", at=NOW - timedelta(days=30), linked=linked)
    fuller = make_cable(
        "09ALPHA1",
        [GREAT, DULL, GOOD, DULL + " More."],
        origin="Embassy Alpha",
        created=datetime(2009, 1, 5, tzinfo=UTC),
    )
    ingest([fuller], filled, scorer=batch_scorer(Config(path=None)))  # new paragraph rows, new ids
    assert ("09ALPHA1", "1") not in nxt(filled, n=10)


def test_a_paragraph_whose_row_another_post_names_is_passed_over_for_the_next_best(filled):
    # The score index starts with what the account posted: each is passed over on the index alone.
    for number in ("1", "3"):
        post(filled, "news", "09ALPHA1", number, at=NOW - timedelta(days=30), linked=True)
    post(filled, "news", "08BETA2", "1", at=NOW - timedelta(days=30))
    listing = nxt(filled, n=10)
    assert ("09ALPHA1", "1") not in listing and ("09ALPHA1", "3") not in listing
    assert ("08BETA2", "1") not in listing
    assert listing and all(ref_id in ("09ALPHA1", "08BETA2", "07GAMMA3", "06DELTA4") for ref_id, _ in listing)


def test_variety_counts_the_last_cables_posted_however_many_rows_their_threads_have(filled):
    ledger = Ledger(filled.engine, clock=lambda: NOW - timedelta(days=9))
    ledger.plan(account="news", network="outbox", ref_id="08BETA2", paragraph="1", generation=0, texts=["b"])
    ledger = Ledger(filled.engine, clock=lambda: NOW - timedelta(days=8))
    ledger.plan(account="news", network="outbox", ref_id="07GAMMA3", paragraph="1", generation=0, texts=["c"])
    for number, at in (("1", 2), ("3", 1)):  # the newest: two threads of twelve posts each
        ledger = Ledger(filled.engine, clock=lambda at=at: NOW - timedelta(days=at))
        ledger.plan(
            account="news",
            network="outbox",
            ref_id="09ALPHA1",
            paragraph=number,
            generation=0,
            texts=[f"part {i}" for i in range(12)],
        )
    post(filled, "news", "06DELTA4", "1", at=NOW - timedelta(hours=1), status=FAILED)  # never went out
    with filled.read() as conn:
        assert recent_mix(conn, "news", 1) == ({"Embassy Alpha": 1}, {2009: 1})
        assert recent_mix(conn, "news", 2) == ({"Embassy Alpha": 1, "Embassy Gamma": 1}, {2009: 1, 2007: 1})
        assert recent_mix(conn, "news", 3)[0] == {"Embassy Alpha": 1, "Embassy Gamma": 1, "Embassy Beta": 1}
        assert recent_mix(conn, "news", 10)[0] == {"Embassy Alpha": 1, "Embassy Gamma": 1, "Embassy Beta": 1}
        assert recent_mix(conn, "other", 3) == ({}, {})
        assert recent_mix(conn, "news", 0) == ({}, {})


def test_a_choice_carries_the_paragraphs_stored_score_and_reasons(filled):
    from bot.store.schema import cables, paragraphs

    with filled.read() as conn:
        [choice] = choose_next(conn, "news", PickSettings(), 1, NOW)
        stored = conn.execute(
            select(paragraphs.c.score, paragraphs.c.reasons)
            .join(cables, cables.c.id == paragraphs.c.cable_id)
            .where(cables.c.ref_id == choice.ref_id, paragraphs.c.number == choice.number)
        ).one()
    assert (choice.score, choice.reasons) == (stored.score, stored.reasons)
    assert choice.reasons and choice.rank == round(stored.score, 3)
