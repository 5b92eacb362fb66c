"""The published JSON form of a cable (export, show --format json)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.store.export import cable_to_json
from tests.support import make_cable


def test_a_cable_becomes_exactly_the_published_fields_with_utc_times():
    created = datetime(2008, 10, 20, 14, 3, tzinfo=timezone(timedelta(hours=3)))
    cable = make_cable(
        "08ASTANA2079",
        [("1", "U", "First."), ("A", None, "Lettered.")],
        created=created,
        released=None,
        references=("08ASTANA1927",),
        source=("html", "pages/08ASTANA2079.html"),
    )
    assert cable_to_json(cable) == {
        "ref_id": "08ASTANA2079",
        "created": "2008-10-20T11:03:00Z",
        "released": None,
        "classification": "CONFIDENTIAL",
        "origin": "Embassy Astana",
        "subject": "KAZAKHSTAN: A SUBJECT WRITTEN FOR A TEST",
        "tags": ["PREL", "KZ"],
        "references": ["08ASTANA1927"],
        "url": "https://wikileaks.org/cable/2008/10/08ASTANA2079.html",
        "paragraphs": [
            {
                "number": "1",
                "marking": "U",
                "text": "First.",
                "url": "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#par1",
            },
            {
                "number": "A",
                "marking": None,
                "text": "Lettered.",
                "url": "https://wikileaks.org/cable/2008/10/08ASTANA2079.html#parA",
            },
        ],
        "source": {"format": "html", "location": "pages/08ASTANA2079.html"},
    }


def test_a_release_date_is_written_in_utc():
    cable = make_cable(released=datetime(2011, 8, 30, 1, 44, tzinfo=UTC))
    assert cable_to_json(cable)["released"] == "2011-08-30T01:44:00Z"
