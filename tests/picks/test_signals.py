"""Each signal, as a specification: what raises it, what does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import Cable, Paragraph
from bot.picks import signals
from bot.picks.signals import SIGNALS, Passage
from bot.picks.wording import load_lexicon


def cable_of(
    *texts: str, markings: tuple[str | None, ...] | None = None, numbers: tuple[str, ...] | None = None
) -> Cable:
    numbers = numbers or tuple(str(i) for i in range(1, len(texts) + 1))
    markings = markings or ("C",) * len(texts)
    return Cable(
        ref_id="09TESTLAND1",
        created=datetime(2009, 3, 1, tzinfo=UTC),
        released=None,
        classification="CONFIDENTIAL",
        origin="Embassy Testland",
        subject="TEST",
        paragraphs=tuple(
            Paragraph(n, m, t, f"https://example.org/c.html#par{n}")
            for n, m, t in zip(numbers, markings, texts, strict=True)
        ),
    )


def passage(text: str, marking: str | None = "C", number: str = "1", df=None, total: int = 0) -> Passage:
    cable = cable_of(text, markings=(marking,), numbers=(number,))
    return Passage(cable.paragraphs[0], cable, 0, df or {}, total)


CANDID_TEXT = (
    'Privately, the foreign minister told the Ambassador that the president is "paranoid and surrounded by '
    'corrupt cronies", and that he fears a coup within the year.'
)
PLAIN = (
    "The Ministry of Agriculture continues its program of rural development in the northern provinces, "
    "with funding from the national budget and support from international partners."
)


def test_a_quotation_scores_the_quotation_signal():
    quoted = passage('The Minister told the Ambassador: "We will never sell these weapons to anyone, never."')
    assert signals.quotation(quoted) > signals.quotation(passage(PLAIN)) == 0.0
    assert signals.quotation(quoted) >= 0.3


def test_a_long_quotation_counts_more_than_a_scare_quoted_word():
    word = passage(
        'He described the plan as "unworkable" and left the room early that day, as planned before.'
    )
    sentence = passage(
        'He said: "this plan will not work and everyone in the cabinet knows it" and left early.'
    )
    assert signals.quotation(sentence) > signals.quotation(word) > 0


def test_the_cable_systems_mangled_quotes_are_quotes():
    assert (
        signals.quotation(passage("Kayani said it needed a &perception of winning.8 There was no other way."))
        > 0
    )


def test_named_people_and_titles_score():
    people = passage(
        "President Ali Abdullah Saleh told Assistant Secretary Lincoln Bloomfield and Ambassador Krajeski"
    )
    assert signals.named_people(people) > signals.named_people(passage(PLAIN))


def test_figures_and_amounts_score_years_do_not():
    money = passage(
        "The army received only $300 million of the 1 billion dollars; 40 percent went elsewhere."
    )
    years = passage("In 1998 and again in 2007 the talks resumed, and they may resume in 2010 as well.")
    assert signals.figures(money) >= 0.8
    assert signals.figures(years) == 0.0


def test_candid_language_scores_candour():
    candid = passage(
        "Privately, the minister called the president paranoid and his cronies corrupt and incompetent."
    )
    assert signals.candour(candid) == 1.0
    assert signals.candour(passage(PLAIN)) == 0.0


def test_secret_markings_rank_above_confidential_above_sbu_above_unclassified():
    values = [signals.marking(passage(PLAIN, m)) for m in ("S/NF", "S", "C", "SBU", "U")]
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == 5


def test_a_marking_left_in_the_text_is_still_read():
    assert signals.marking(passage("(S/NF) " + PLAIN, None)) == signals.marking(passage(PLAIN, "S/NF"))


def test_rare_words_are_more_distinctive_than_common_ones():
    df = {
        "ministry": 900,
        "agriculture": 800,
        "continues": 950,
        "program": 990,
        "rural": 700,
        "development": 990,
        "northern": 600,
        "provinces": 700,
        "funding": 800,
        "national": 990,
        "budget": 900,
        "support": 990,
        "international": 990,
        "partners": 900,
    }
    rare = passage(
        "Zardari wanted Bhutto's estate in Dubai transferred through Kabul's Kandahar sheikhs",
        df=df,
        total=1000,
    )
    common = passage(PLAIN, df=df, total=1000)
    assert signals.distinctiveness(rare) > signals.distinctiveness(common)


def test_without_corpus_statistics_distinctiveness_is_zero():
    assert signals.distinctiveness(passage(PLAIN)) == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "As noted above, the minister agreed with the proposal in every respect.",
        "See para 3 for the minister's full account of the negotiations with the union.",
        "The minister repeated the points made in reftel about the budget.",
        "This would change the government's position on the matter entirely.",
        "He also said the government would consider the request carefully.",
        "Details will follow septel once the delegation has returned home.",
    ],
)
def test_a_paragraph_that_leans_on_others_does_not_stand_alone(text):
    assert signals.dependence(passage(text)) >= 0.35
    assert signals.dependence(passage(PLAIN)) == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "Classified By: Ambassador John Smith for reasons 1.4 (b) and (d).",
        "Sensitive but unclassified. Not for public internet distribution. Please protect accordingly.",
        "Embassy will report septel on the outcome. Please advise.",
        "Deputy Secretary Steinberg has cleared this cable.",
        "Visit Embassy Rabat's Classified Website: http://www.state.sgov.gov/p/nea/rabat",
        "The delegation will arrive on May 3; the control officer is the DCM; hotel reservations are made.",
    ],
)
def test_boilerplate_is_penalised(text):
    assert signals.boilerplate(passage(text)) >= 0.5
    assert signals.boilerplate(passage(PLAIN)) == 0.0


def test_redaction_heavy_paragraphs_score_redaction():
    heavy = passage("XXXXXXXXXXXX told XXXXXXXXXXXX that XXXXXXXXXXXX had met XXXXXXXXXXXX in XXXXXXXXXXXX.")
    light = passage(
        "XXXXXXXXXXXX said the harvest was poor this year in every province of the north and east."
    )
    assert signals.redaction(heavy) == 1.0
    assert 0 < signals.redaction(light) < signals.redaction(heavy)
    assert signals.redaction(passage(PLAIN)) == 0.0


def test_a_summary_is_flagged_so_it_must_earn_its_place():
    assert signals.summary(passage("Summary: the minister agreed to everything. End summary.")) == 1.0
    assert signals.summary(passage(PLAIN)) == 0.0


def test_lettered_reference_items_and_short_lines_are_not_notable():
    assert signals.reference_item(passage("MADRID 2123", number="B")) == 1.0
    assert (
        signals.reference_item(
            passage("BRASILIA 1094 Classified By: Charge d'Affaires Lisa Kubiske", number="C")
        )
        == 1.0
    )
    assert signals.reference_item(passage(PLAIN, number="A")) == 0.0  # a lettered item with content
    assert signals.reference_item(passage(PLAIN, number="3")) == 0.0
    assert signals.too_short(passage("Tripoli minimize considered.")) == 1.0
    assert signals.too_short(passage(PLAIN)) == 0.0


def test_length_fits_a_post_or_a_short_thread():
    assert signals.fit(passage("Too short.")) == 0.0
    assert signals.fit(passage(PLAIN)) > 0.5
    assert signals.fit(passage(" ".join([PLAIN] * 40))) < 0.5


def test_the_us_side_talking_is_not_the_news():
    us = passage(
        "The Ambassador stressed that Washington wants progress. A/S Cohen urged action. We believe it."
    )
    them = passage("The Foreign Minister said the Saudis are puppets and the deal is dead, by his account.")
    assert signals.us_talking_points(us) > signals.us_talking_points(them)


def test_we_inside_a_quotation_is_the_speaker_not_the_us_side():
    quoted = passage('“We will never accept it,” the Prime Minister said. "We must act," he added.')
    assert signals.us_talking_points(quoted) == 0.0
    unquoted = passage("We will never accept it, the Embassy told the Prime Minister. We must act.")
    assert signals.us_talking_points(unquoted) > 0.0


def test_reporting_a_public_stance_is_not_candour():
    # Every political quarrel is told with these verbs; a frank word is something else.
    stance = passage(
        "The opposition criticized the budget and blamed the government for the delays, accusing it "
        "of neglect and denouncing its plans; business leaders fear that inflation will rise."
    )
    assert signals.candour(stance) == 0.0
    frank = passage("The opposition leader privately called the minister corrupt and incompetent.")
    assert signals.candour(frank) > 0.5


def test_an_election_candidate_is_not_candour():
    # "candid" is a frank word; "candidate" only shares its first six letters.
    election = passage(
        "The ruling party named its candidate for the presidency; two other candidates and their "
        "candidacies were registered with the electoral commission on Monday."
    )
    assert signals.candour(election) == 0.0
    assert signals.candour(passage("The minister was candid: the reform is dead, he said candidly.")) > 0.0


def test_the_country_is_not_a_speaker():
    # "U.S." reads as the words "U" and "S", and "S" is also the Secretary of "A/S": the country is not.
    leslie = passage(
        "The Pakistanis worry that the U.S. will drop in and take their nukes, Leslie said. "
        "Iran's government would not make concessions, in his opinion."
    )
    assert signals.us_talking_points(leslie) == 0.0
    cohen = passage("A/S Cohen responded that the sanctions would stay. The minister took note of it.")
    assert signals.us_talking_points(cohen) > 0.0


def test_the_us_sides_people_speak_for_it_after_their_title_introduced_them():
    cable = cable_of(
        "Deputy Secretary James Steinberg met President Uribe and his ministers on January 15.",
        "Steinberg stressed that assistance would continue. Uribe thanked him for it.",
        "Uribe said the guerrillas had found a safe haven in Venezuela and would not talk.",
    )
    steinberg, uribe = (Passage(cable.paragraphs[i], cable, i) for i in (1, 2))
    assert signals.us_talking_points(steinberg) > 0.0
    assert signals.us_talking_points(uribe) == 0.0


def test_another_countrys_officials_are_not_the_us_side():
    cable = cable_of(
        "The Ambassador met Chinese Ambassador Zhang Yannian on February 13 to ask about the base.",
        "Zhang stressed that China could not afford the loan. Zhang said the deal was a rumour.",
    )
    assert signals.us_talking_points(Passage(cable.paragraphs[1], cable, 1)) == 0.0
    others = passage(
        "The Chinese Ambassador said the base would close. UK Foreign Secretary Miliband urged restraint. "
        "UN Secretary General Ban said talks would resume. The Secretary-General said it again."
    )
    assert signals.us_talking_points(others) == 0.0
    ours = passage("The Deputy Secretary stressed that aid would continue. The Ambassador agreed.")
    assert signals.us_talking_points(ours) > 0.0


def test_the_embassys_own_comment_is_not_us_talking_points():
    # "We believe" in a meeting is Washington's line; in the embassy's comment it is its own judgement.
    comment = passage(
        "Comment: We believe the minister is out of his depth, and we expect him to be gone within "
        "the year. End comment."
    )
    assert signals.embassy_comment(comment) == 1.0
    assert signals.us_talking_points(comment) == 0.0
    meeting = passage("We believe the minister should act, the Ambassador stressed. He agreed to try.")
    assert signals.us_talking_points(meeting) > 0.0


def test_hearsay_is_what_someone_let_out():
    told = passage(
        "The minister reportedly took the money, and he recounted how the president denied it to his face."
    )
    assert signals.hearsay(told) == 1.0  # two such words give full marks
    assert 0.0 < signals.hearsay(passage("The deal was rumored for a month before the announcement.")) < 1.0
    assert signals.hearsay(passage(PLAIN)) == 0.0
    # The cable's own law-enforcement vocabulary is not hearsay.
    arrests = passage("Police arrested three suspected smugglers and two alleged forgers.")
    assert signals.hearsay(arrests) == 0.0


def test_judgement_is_a_view_someone_holds_but_not_the_us_sides():
    view = passage(
        "The foreign minister believes the president is finished, and described his cabinet as a circus."
    )
    assert signals.judgement(view) == 1.0  # two such words give full marks
    assert 0.0 < signals.judgement(passage("The minister doubts the army will hold the border.")) < 1.0
    assert signals.judgement(passage(PLAIN)) == 0.0
    # The US side's views are its talking points, already counted against it.
    ours = passage("The Ambassador said Washington believes the president is finished and sees no deal.")
    assert signals.us_talking_points(ours) > 0.0
    assert signals.judgement(ours) == 0.0


def test_novelty_is_what_no_other_paragraph_of_the_cable_says():
    cable = cable_of(
        "Summary: the minister met the ambassador about the pipeline, the budget and the election.",
        "The minister said the pipeline contract went to his brother-in-law for forty million dollars.",
        "The minister also discussed the budget and the election with the ambassador.",
    )
    summary, detail, rest = (Passage(p, cable, i) for i, p in enumerate(cable.paragraphs))
    assert signals.novelty(detail) > signals.novelty(summary)
    assert signals.novelty(detail) > signals.novelty(rest)
    # "minister" and "pipeline" are shared with the summary; the rest of its terms are its own
    own = detail.reading.terms - summary.reading.terms - rest.reading.terms
    assert signals.novelty(detail) == len(own) / len(detail.reading.terms)
    assert signals.novelty(passage(PLAIN)) == 1.0  # a paragraph alone in its cable says only its own
    assert signals.novelty(passage("... -- 12")) == 0.0  # no terms: nothing of its own


def test_novelty_is_the_same_whether_the_cable_is_scored_whole_or_a_passage_alone():
    cable = cable_of(CANDID_TEXT, PLAIN, "The president is paranoid, the foreign minister said again.")
    readings = [signals.read(p.text) for p in cable.paragraphs]
    repeated = signals.repeated_terms(readings)
    assert repeated == {"president", "paranoid", "foreign", "minister"}
    for i, p in enumerate(cable.paragraphs):
        whole = Passage(p, cable, i, {}, 0, readings[i], repeated)
        assert signals.novelty(whole) == signals.novelty(Passage(p, cable, i))


def test_the_embassys_comment_is_flagged():
    assert signals.embassy_comment(passage("Comment: the minister is out of his depth. End comment.")) == 1.0
    assert signals.embassy_comment(passage(PLAIN)) == 0.0


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=3000),
    st.sampled_from(["1", "A", "12"]),
    st.sampled_from([None, "C", "S/NF", "SBU", "U"]),
)
def test_every_signal_stays_in_its_range_on_any_text(text, number, mark):
    p = passage(text, mark, number, df={"the": 5}, total=10)
    for name, signal in SIGNALS.items():
        value = signal(p)
        low, high = RANGES.get(name, (0.0, 1.0))
        assert low <= value <= high, name


# wording is a mean of its lexicon's lex (with 0.0 for no term of it): within their range, give or take
# the rounding of the sums.
_LEXICON = load_lexicon(stop_words=signals.STOP)
_LEX = [lex for _, lex in _LEXICON.values()]
RANGES = {"wording": (min(0.0, *_LEX) - 1e-9, max(0.0, *_LEX) + 1e-9)}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(_LEXICON)) | st.text(max_size=8), max_size=200))
def test_wording_stays_within_its_lexicons_range_on_text_of_its_words(pieces):
    low, high = RANGES["wording"]
    assert low <= signals.wording(passage(" ".join(pieces))) <= high


# --- Reading fast, reading the same -------------------------------------------------------------------

# Text heavy in what the fast paths treat specially: hyphens, quotes, apostrophes, the cables' "&...8"
# quotes, and characters beyond ASCII (letters among them, which are not word characters here).
TRICKY = st.text(alphabet=st.sampled_from([*"ab AZ09-'\"“”’&8.,\n", "é", "ç", "İ", "ß", "中"]), max_size=80)


@given(TRICKY | st.text(max_size=80))
@settings(max_examples=300)
def test_words_are_what_the_word_pattern_finds(text: str) -> None:
    assert signals.words(text) == signals._WORD.findall(text)


@given(TRICKY)
@settings(max_examples=300)
def test_quotes_are_found_as_the_quotation_pattern_finds_them(text: str) -> None:
    assert [m.span() for m in signals._quotes(text)] == [m.span() for m in signals._QUOTE.finditer(text)]


def test_a_word_list_is_matched_by_stem_and_by_whole_word() -> None:
    counts = signals.read("He was furious and corrupt, the cronies said; the deal was refused.").counts
    assert counts["candid"] == 3  # furious, corrupt*, cronies
    assert counts["deal"] == 2  # deal, refus*


def test_one_stem_written_several_ways_counts_once() -> None:
    # "terrorist", "terrorists", "terrorism": one idea, one hit; a topic repeated is not candour.
    repeated = signals.read("The terrorist and the terrorists spoke of terrorism, terrorist-related.")
    assert repeated.counts["candid"] == 1
    varied = signals.read("The terrorist was corrupt, furious and paranoid.")
    assert varied.counts["candid"] == 4


def test_a_text_reads_the_same_whether_its_words_are_new_or_already_known() -> None:
    text = 'Minister Zorblatt-Quix said: "the troops were a bribe," frankly. Reftel 12345 asked for cash.'
    first = signals.read(text)  # Zorblatt-Quix: a word never seen before in this process
    assert signals.read(text) == first
    assert "zorblatt-quix" in first.terms
    assert first.counts["candid"] >= 2 and first.counts["deal"] >= 2 and first.counts["backref"] == 1
    assert first.numbers == 1  # 12345


def test_a_read_while_another_thread_is_learning_a_word_sees_all_of_it_or_none(monkeypatch) -> None:
    # Threads read at once (two ingests in one process; the Python read() when the compiled one is
    # missing). A thread switch can fall anywhere in another thread's _learn: here, the first time
    # _roots runs, a second read of the same new word is made at that very point. It must read the
    # word as learnt (its terms, its word list), not fail on a half-learnt word nor miss its term.
    word = "corruptissimoqx"  # new to this process, a term, in the candour list by its stem
    text = f"The {word} officials."
    interleaved: list[signals.Reading | BaseException] = []
    roots = signals._roots

    def switching(w: str, bits: int):
        if w == word and not interleaved:
            interleaved.append(Exception("re-entered"))  # (the nested read learns the word too)
            try:
                interleaved[0] = signals._read_python(text)
            except Exception as e:
                interleaved[0] = e
        return roots(w, bits)

    monkeypatch.setattr(signals, "_roots", switching)
    after = signals._read_python(text)
    assert word in after.terms and after.counts["candid"] == 1
    assert interleaved == [after]
