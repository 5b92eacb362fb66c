"""Corpus statistics: each paragraph counts a term once, and a batch counts as its paragraphs do."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.picks.corpus import CorpusDelta
from bot.picks.signals import terms

PARAGRAPHS = st.lists(
    st.frozensets(st.sampled_from(["oil", "minister", "bribe", "tehran", "gas"])), max_size=8
)


@given(PARAGRAPHS)
def test_a_batch_counts_the_same_as_its_paragraphs_one_by_one(paragraphs: list[frozenset[str]]) -> None:
    one_by_one, batch = CorpusDelta(), CorpusDelta()
    for p in paragraphs:
        one_by_one.add_terms(p)
    batch.add_paragraphs(iter(paragraphs))
    assert batch.changed() == one_by_one.changed()
    assert batch.paragraphs == one_by_one.paragraphs == len(paragraphs)


def test_a_term_counts_once_per_paragraph_however_often_it_appears() -> None:
    delta = CorpusDelta()
    delta.add_text("Oil, oil and more oil: the minister spoke of oil.")
    delta.add_text("The minister left.")
    assert delta.df["oil"] == 1
    assert delta.df["minister"] == 2
    assert "the" not in terms("The minister left.")  # stop words are not terms
