"""The signals that say whether a paragraph is worth quoting, each named, explainable and bounded.

Every signal is a small pure function of a `Passage` (one paragraph read in the context of its cable,
with the corpus statistics) and returns a value in [0, 1], but `wording`: a mean of its lexicon's weights,
which are negative for the words of paragraphs editors pass over. A signal never decides alone:
`bot.picks.score` multiplies each by an editor-tunable weight (negative for penalties) and adds them up,
so the reasons of a pick are simply each signal's share of the score.

Speed matters: scoring runs at ingest on every paragraph of every cable and must cost a fraction of
parsing. So a paragraph is read once (`Reading`): C-level string methods split it into words (`words`),
and each distinct word is classified against all the word lists once per process (`_classify`,
memoised), so that a signal is a few set operations and counts, not a scan. Phrases are matched as word
pairs, and only when their rarer word is present; a regular expression runs only where a cheap test
says it can match.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from operator import itemgetter
from types import ModuleType
from typing import NamedTuple

from bot.model import Cable, Paragraph
from bot.picks.wording import Lexicon, load_lexicon

# --- Word lists ---------------------------------------------------------------------------------
# A word ending in "*" is a stem (any ending); two words are a phrase, matched as a pair of words.

CANDID = (
    # candour about the telling itself
    "frankly frank candid candidly candour candor privately confided confidential* blunt* unbeknownst "
    "secretly quipped joked "
    "joke joking laughed sarcastic* wryly ironic* admitted admits "
    "in_private off_the behind_the let_slip real_reason real_motive "
    # judgements of people
    "corrupt* incompeten* inept* paranoi* crazy mad insane clown* puppet* arrogan* vain vanity erratic* "
    "unpredictable weak weakness naive neophyte prickly flustered sheepish* embarrass* humiliat* furious "
    "angry anger angered outburst bitter* ridicul* mock* cronies crony* shadowy nefarious lavish "
    "extravagan* macho playboy drunk* mistress* thug* autocrat* authoritarian dictator* megaloman* "
    "untrustworth* distrust* mistrust* disastrous* disaster distressing* disturbing* shocking* astonish* "
    "surprising* strangely dismal dire hypocri* cynical* populis* demagog* manipulat* obsess* emotional "
    "nervous hurt upset frustrat* disappoint* exasperat* lament* complain* insult* rude* hostil* hatred "
    "hate enemy enemies rival* feud* not_trusted lack_trust lack_faith "
    # Not here: the verbs that report a public stance (criticised, blamed, accused, denounced) and the
    # worries every cable reports ("fears that"): they are how cables describe any political quarrel,
    # not a frank word; nor "in fact", a filler.
    # what was done, or is feared
    "afraid lies lied lying liar rigg* rig fraud* bribe* briber* kickback* embezzl* smuggl* stolen "
    "steal* theft launder* blackmail* "
    "intimidat* bully* bullied threaten* plot* conspira* coup coups scandal* tortur* assassinat* massacre* "
    "abuse* cover-up smokescreen double-dealing profit* abandon* overthrow* covert* spy spies spying defect* "
    "purge* crackdown repress* persecut* illegal* illicit* mafia cartel* terroris* bomb bombs "
    "slap_face regime_change nuclear_weapon nuclear_weapons"
)
SPEECH = (
    "said says told tells stated stressed claimed admitted confided complained quipped asserted warned "
    "insisted lamented remarked declared argued replied responded opined joked boasted conceded "
    "acknowledged confessed predicted vowed pledged threatened exclaimed snapped asked"
)
DEAL = (
    "request* offer* deal deals bargain* promis* pledg* refus* reject* unwilling demand* pay paid price "
    "cash fund funds sell* sold buy* bought weapon* missile* troops bribe* "
    "in_exchange in_return agreed_to would_not willing_to insisted_that warned_that asked_for asked_us "
    "asked_the asked_washington"
)
BACKREF = (
    "reftel reftels septel ibid above-mentioned see_para see_paragraph see_paras see_above see_below "
    "as_noted noted_above mentioned_above described_above the_above previously_reported reported_previously "
    "ref_a ref_b ref_c ref_d ref_e ref_f refs_a refs_b"
)
BOILERPLATE = (
    "decl declassified declassify declassification intelink siprnet sgov notetaker itinerary logistics "
    "participants addressees nnnn "
    "classified_by reason_1 reasons_1 e_o eo_12958 sensitive_but but_unclassified "
    "public_internet official_use handle_accordingly protect_accordingly please_advise advise_soonest "
    "embassy_will post_will mission_will will_report report_septel action_request action_cable "
    "action_message an_action has_cleared have_cleared cleared_this cleared_on not_clear not_cleared "
    "classified_website classified_web web_site minimize_considered note_taker drafted_by approved_by "
    "please_cite department_requests department_instructs department_appreciates are_requested "
    "is_requested point_of of_contact poc_is control_officer hotel_reservations hotel_reservation "
    "country_clearance scheduled_for scheduled_to will_meet will_arrive will_depart will_travel cable_text "
    "this_cable this_message coordinated_this requests_that request_that requests_post requests_embassy"
)
PROCEDURE = (
    "discussed attended delegation met_with meeting_with called_on courtesy_call introductory_call "
    "accompanied_by to_discuss the_meeting in_attendance the_margins"
)
US_SUBJECT = (
    "ambassador charge dcm das usg washington we embassy post poloff poloffs econoff econoffs emboff emboffs "
    "codel senator secretary usd a_s u_s deputy_secretary under_secretary assistant_secretary"
)
US_VERB = (
    "said stressed noted urged asked explained emphasized underscored reiterated outlined thanked encouraged "
    "expressed pressed raised reminded assured welcomed described made believe need should will would can "
    "must met responded replied agreed praised commended highlighted cautioned countered pushed sought "
    "solicited briefed delivered conveyed observed concurred added argued asserted told informed reassured "
    "suggested proposed recommended insisted clarified acknowledged offered hoped requested promised "
    "discussed affirmed inquired queried warned"
)
DEICTIC = (
    "this that these those he she they it his her their its also however but and moreover furthermore "
    "additionally nonetheless nevertheless meanwhile similarly likewise"
)
UNITS = (
    "percent million billion trillion dollars dollar euro euros ruble rubles rial rials pounds yuan rmb won "
    "kilo kilos kilograms kg ton tons tonnes barrels km kilometers miles troops soldiers people persons "
    "refugees dead killed casualties weapons missiles liters litres hectares acres votes seats members usd"
)
TITLES = (
    "President Minister Ambassador Amb General Gen Colonel Col Admiral Adm King Queen Prince Emir Sheikh "
    "Sultan Senator Sen Governor Mayor Chancellor Secretary Director Chief Commander Judge Dr Mr Mrs Ms "
    "Chairman Speaker Mullah Ayatollah Imam Archbishop Patriarch Pope Representative Rep Deputy Premier "
    "Spokesman Spokesperson MP PM FM DPM MFA"
)
STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "with",
        "this",
        "from",
        "have",
        "has",
        "had",
        "was",
        "were",
        "are",
        "but",
        "not",
        "its",
        "his",
        "her",
        "their",
        "they",
        "them",
        "which",
        "who",
        "whom",
        "whose",
        "will",
        "would",
        "could",
        "should",
        "been",
        "being",
        "also",
        "than",
        "then",
        "there",
        "these",
        "those",
        "into",
        "about",
        "over",
        "under",
        "after",
        "before",
        "while",
        "when",
        "where",
        "what",
        "said",
        "told",
        "noted",
        "such",
        "other",
        "more",
        "most",
        "some",
        "any",
        "all",
        "very",
        "only",
        "just",
        "our",
        "out",
        "one",
        "two",
        "three",
        "can",
        "may",
        "might",
        "must",
        "did",
        "does",
        "says",
        "upon",
    ]
)

_LISTS = (
    "candid",
    "speech",
    "deal",
    "backref",
    "boilerplate",
    "procedure",
    "us_subject",
    "us_verb",
    "deictic",
    "unit",
)
_BIT = {name: 1 << i for i, name in enumerate(_LISTS)}
_LIST_BITS = tuple((name, _BIT[name]) for name in _LISTS)


def _parse_list(text: str) -> tuple[frozenset[str], tuple[str, ...], dict[tuple[str, str], None]]:
    words: set[str] = set()
    stems: list[str] = []
    pairs: dict[tuple[str, str], None] = {}
    for item in text.split():
        parts = item.split("_")
        if len(parts) == 2:
            pairs[(parts[0], parts[1])] = None
        elif item.endswith("*"):
            stems.append(item[:-1])
        else:
            words.add(item)
    return frozenset(words), tuple(stems), pairs


_SOURCES = {
    "candid": CANDID,
    "speech": SPEECH,
    "deal": DEAL,
    "backref": BACKREF,
    "boilerplate": BOILERPLATE,
    "procedure": PROCEDURE,
    "us_subject": US_SUBJECT,
    "us_verb": US_VERB,
    "deictic": DEICTIC,
    "unit": UNITS,
}
_WORDS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
_PAIRS: dict[tuple[str, str], int] = {}
for _name, _text in _SOURCES.items():
    _w, _s, _p = _parse_list(_text)
    _WORDS[_name] = (_w, _s)
    for _pair in _p:
        _PAIRS[_pair] = _PAIRS.get(_pair, 0) | _BIT[_name]
_TITLE_WORDS = frozenset(TITLES.split()) | frozenset(t.upper() for t in TITLES.split())
_TITLE_LOWER = frozenset(t.lower() for t in _TITLE_WORDS)

_memo: dict[str, int] = {}  # word -> the word lists it belongs to, as bits
_names: dict[str, tuple[tuple[str, str], ...]] = {}  # word -> (word list, root) of each list it is in
_known: set[str] = set()  # every word classified so far
_listed: set[str] = set()  # ... that belong to at least one word list
_terms: set[str] = set()  # ... that the corpus statistics count (3+ letters, not a stop word)
_numerals: set[str] = set()  # ... that are numbers of 3+ digits and not years


_EXACT: dict[str, int] = {}  # a listed word -> the lists it is in, as bits
for _name, (_w, _s) in _WORDS.items():
    for _word in _w:
        _EXACT[_word] = _EXACT.get(_word, 0) | _BIT[_name]
_ALL_STEMS = tuple(_stem for _w, _stems in _WORDS.values() for _stem in _stems)
_STEMS = tuple((_stems, _BIT[_name]) for _name, (_w, _stems) in _WORDS.items() if _stems)


def _classify(word: str) -> int:
    """The word lists a (lower-case) word belongs to, as bits."""
    bits = _EXACT.get(word, 0)
    if word.startswith(_ALL_STEMS):  # most words begin with no stem: one test says so
        for stems, bit in _STEMS:
            if word.startswith(stems):
                bits |= bit
    return bits


def _list_names(bits: int) -> tuple[str, ...]:
    return tuple(name for name, bit in _LIST_BITS if bits & bit)


def _roots(word: str, bits: int) -> tuple[tuple[str, str], ...]:
    """Each word list a word is in, with the root it is counted under there: the stem it matched
    ("terroris" for terrorist, terrorists, terrorism), else the word itself. A list counts distinct
    roots, so one idea written three ways is one hit, not three."""
    found = []
    for name in _list_names(bits):
        exact, stems = _WORDS[name]
        root = word if word in exact else next((s for s in stems if word.startswith(s)), word)
        found.append((name, root))
    return tuple(found)


def _learn(words: Iterable[str]) -> None:
    """Classify words seen for the first time, once per process (the vocabulary of the cables is finite).

    Another thread may read while this runs: each word's facts are written before it is in `_listed`
    (its `_names` first) and before it is in `_known` (last), so a reader finds a word either not known
    (and learns it too: learning again gives the same facts) or known with every fact in place."""
    for word in words:
        bits = _classify(word)
        _memo[word] = bits
        if bits:
            _names[word] = _roots(word, bits)
            _listed.add(word)
        if len(word) >= 3 and word[0].isalpha() and word not in STOP:
            _terms.add(word)
        elif word.isdigit() and len(word) >= 3 and not (len(word) == 4 and word[:2] in ("19", "20")):
            _numerals.add(word)
        _known.add(word)


# Phrases are matched as " first second " in the normalised text. Each phrase is looked up only when
# its rarer word is in the text ("discuss" for "to discuss"): the common words (to, the, will...) are in
# nearly every paragraph and would make every phrase a search.
_COMMON = STOP | frozenset(_parse_list("a an as at be by in is it of on or to we see has post please not")[0])
_PHRASES: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for (_a, _b), _bits in _PAIRS.items():
    _key = _b if _a in _COMMON and _b not in _COMMON else _a
    _PHRASES.setdefault(_key, []).append((f" {_a} {_b} ", _list_names(_bits)))
_PHRASE_KEYS = frozenset(_PHRASES)

# Words of the text: letters and digits, inner hyphens kept (cover-up, jean-francois). `words` splits
# with C-level string methods (every other character becomes a space); `_WORD` says the same as a regex.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")


# The text is read as ASCII bytes (anything else becomes "?", a separator like every character that is
# not a letter, digit or hyphen); bytes.translate is one table lookup per byte, in C.
_SEPARATORS = bytes(c if chr(c).isalnum() or c == ord("-") else ord(" ") for c in range(128)) + b" " * 128


def words(text: str) -> list[str]:
    """The words of a text, as written: what `_WORD.findall(text)` finds, at C speed."""
    return _split(text.encode("ascii", "replace").translate(_SEPARATORS).decode("ascii"))


def _split(spaced: str) -> list[str]:
    if " -" in spaced or spaced[:1] == "-":  # a word starts at a letter or digit, never at a hyphen
        spaced = f" {spaced}"
        while " -" in spaced:
            spaced = spaced.replace(" -", "  ")
    return spaced.split()


_US_SUBJECTS = _parse_list(US_SUBJECT)[0]
_US_VERBS = _parse_list(US_VERB)[0]
_DEICTIC_WORDS = _parse_list(DEICTIC)[0]
_UNIT_WORDS = _parse_list(UNITS)[0]
_US_SUBJECTS_SLASHED = _US_SUBJECTS | {"s"}  # A/S and U/S read as "a", "s"
_PARA_NUMBER = re.compile(r"\bparas?\.?\s+\d|\bparagraphs?\s+\d", re.IGNORECASE)
_DOUBLE_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"")
_PARA_WORDS = frozenset(("para", "paras", "paragraph", "paragraphs"))
_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:" + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True)) + r")\b")


# --- Reading a paragraph once -------------------------------------------------------------------


class Reading(NamedTuple):
    """Everything the signals count in a text, gathered in one pass. (A named tuple rather than a frozen
    dataclass: it is built for every paragraph at ingest, and a tuple is built in one step.)"""

    words: int
    shouting: bool
    counts: Mapping[str, int]  # distinct roots (and phrases) of each word list: stems count once
    titles: int
    capitalised: int
    us_side: int
    amounts: int
    numbers: int  # distinct numbers of 3+ digits that are not years
    sentences: int
    deictic_start: bool
    terms: frozenset[str]
    para_refs: int = 0  # "see para 3", "paragraphs 2-4"


def read(text: str) -> Reading:
    """Read a text once for every signal: the words are split with C-level string methods, and the word
    lists are matched by set intersections (C speed); the few Python loops run over hits, not over every
    word, because this runs on every paragraph at ingest."""
    spaced = text.encode("ascii", "replace").translate(_SEPARATORS).decode("ascii")
    tokens = _split(spaced)
    lower = _split(spaced.lower())
    n = len(lower)
    # All-capitals telegrams: capitalisation says nothing about names there.
    shouting = text[:300].isupper()
    distinct = set(lower)
    if len(_known) > 1_000_000:  # a bound for very long runs over very varied text: start again
        for table in (_memo, _names, _known, _listed, _terms, _numerals):
            table.clear()
    # What is known is asked first, then the facts: a word another thread is learning is either not yet
    # known (learnt here too) or known with its facts (see _learn).
    if unknown := distinct - _known:
        _learn(unknown)
    found_terms = distinct & _terms
    others = distinct - found_terms  # stop words, numbers, short words
    listed = distinct & _listed
    counts = dict.fromkeys(_LISTS, 0)
    for name, _root in set(chain.from_iterable(map(_names.__getitem__, listed))):
        counts[name] += 1
    keys = distinct & _PHRASE_KEYS
    if keys:
        padded = f" {' '.join(lower)} "
        for key in keys:
            for phrase, names in _PHRASES[key]:
                if phrase in padded:
                    for name in names:
                        counts[name] += 1
    titles = 0 if _TITLE_LOWER.isdisjoint(distinct) else len(_TITLE_WORDS.intersection(tokens))
    capitalised = 0 if shouting else min(n, sum(map(str.istitle, tokens))) - titles
    lower_text = text.lower()
    us_side = _us_side(text, lower_text, lower, distinct)
    amounts = len(_AMOUNT.findall(lower_text)) if not distinct.isdisjoint(_UNIT_WORDS) else 0
    if "$" in text or "%" in text or "€" in text or "£" in text:
        amounts += text.count("$") + text.count("%") + text.count("€") + text.count("£")
    numbers = len(others & _numerals)  # a numeral is never a term
    sentences = max(
        1, text.count(". ") + text.count("? ") + (1 if text.rstrip().endswith((".", "?", "!")) else 0)
    )
    deictic = n > 0 and (lower[0] in _DEICTIC_WORDS or (n > 1 and lower[1] == "also"))
    return Reading(
        n,
        shouting,
        counts,
        titles,
        max(0, capitalised),
        us_side,
        amounts,
        numbers,
        sentences,
        deictic,
        frozenset(found_terms),
        len(_PARA_NUMBER.findall(text)) if not distinct.isdisjoint(_PARA_WORDS) else 0,
    )


def _us_side(text: str, lower_text: str, lower: list[str], distinct: set[str]) -> int:
    """How often the US side is the subject of a verb of saying: "the Ambassador (two more words) stressed".
    Words inside quotation marks are the quoted speaker's ("'We will never accept it,' the minister said"),
    so they are left out."""
    said, subjects = lower, distinct & _US_SUBJECTS_SLASHED
    if not subjects or _US_VERBS.isdisjoint(distinct):
        return 0
    if '"' in text or "“" in text:
        said = words(_DOUBLE_QUOTED.sub(" ", lower_text))
        subjects = subjects.intersection(said)
    found = 0
    verbs = _US_VERBS
    index = said.index
    for word in subjects:
        i = -1
        while True:
            try:
                i = index(word, i + 1)
            except ValueError:
                break
            if not verbs.isdisjoint(said[i + 1 : i + 4]):
                found += 1
    return found


@dataclass(frozen=True)
class Passage:
    """A paragraph as the signals see it: its text, marking and place in the cable, plus the corpus.

    `df` maps a term to the number of paragraphs of the corpus that contain it (only the terms of this
    paragraph need be present); `total` is the number of paragraphs in the corpus. `given` is a Reading
    of the text made earlier (ingest reads each paragraph once, for the corpus and for the score), and
    `given_repeated` the terms other paragraphs of the cable share (`repeated_terms` of all its readings).
    """

    paragraph: Paragraph
    cable: Cable
    position: int = 0
    df: Mapping[str, int] = field(default_factory=dict)
    total: int = 0
    given: Reading | None = None
    given_repeated: frozenset[str] | None = None  # the cable's repeated terms, when known (`repeated`)

    @property
    def text(self) -> str:
        return self.paragraph.text

    def __post_init__(self) -> None:
        # What is known already need not go through the cached properties.
        if self.given is not None:
            self.__dict__["reading"] = self.given
        if self.given_repeated is not None:
            self.__dict__["repeated"] = self.given_repeated

    @cached_property
    def reading(self) -> Reading:
        return self.given if self.given is not None else read(self.text)

    @property
    def terms(self) -> frozenset[str]:
        return self.reading.terms

    @cached_property
    def repeated(self) -> frozenset[str]:
        """The terms that another paragraph of the cable holds too (`repeated_terms`): what `novelty`
        discounts. Known when the cable is scored as a whole; worked out here for a passage made alone."""
        return _repeated_in(self.cable)

    @cached_property
    def us_speaking(self) -> int:
        """How many verbs of saying have the US side as their subject (`_us_speaking`): two signals ask."""
        return _us_speaking(self)


def terms(text: str) -> frozenset[str]:
    """The distinct terms of a text, as the corpus counts them (lower case, no stop words, 3+ letters)."""
    return read(text).terms


def _clamp(x: float) -> float:
    return 0.0 if x <= 0 else 1.0 if x >= 1 else x


def _density(hits: float, words: int, per: float) -> float:
    """Hits, discounted for length: a long paragraph collects more of everything without saying more.
    `per` is the number of hits that gives full marks in a paragraph of about 120 words."""
    return _clamp(hits / per / (0.5 + words / 240))


# --- Direct quotation ---------------------------------------------------------------------------

# Curly and straight double quotes; single quotes only when they open after a space; and the cable
# system's own mangling of quotes into `&...8` (`a &perception of winning.8`).
_QUOTE = re.compile(
    r"[“\"]([^“”\"]{2,400})[”\"]"
    r"|(?<![\w’'])'([^'\n]{3,120})'(?![A-Za-z])"
    r"|&([A-Za-z][^&\n]{2,300}?)8(?![0-9])"
)
_OPENERS = ('"', "“", "'", "&")


def _quotes(text: str) -> list[re.Match[str]]:
    """What `_QUOTE.finditer(text)` finds, tried only where a quote can open: at each quotation mark,
    apostrophe or ampersand (a match begins with one), instead of scanning every character."""
    starts: list[int] = []
    for opener in _OPENERS:
        i = text.find(opener)
        while i >= 0:
            starts.append(i)
            i = text.find(opener, i + 1)
    starts.sort()
    found: list[re.Match[str]] = []
    end = 0
    match = _QUOTE.match
    for i in starts:
        if i >= end and (m := match(text, i)) is not None:
            found.append(m)
            end = m.end()
    return found


def quotation(p: Passage) -> float:
    """A named person's own words: quoted speech counts most (longer quotes more than a scare-quoted
    word), verbs of saying a little, since every cable is reported speech."""
    text = p.text
    quoted = 0.0
    if '"' in text or "“" in text or " '" in text or "&" in text:
        for m in _quotes(text):
            words = (m.group(1) or m.group(2) or m.group(3)).count(" ") + 1
            quoted += min(0.45, 0.1 + 0.04 * words)
    r = p.reading
    return _clamp(_density(quoted, r.words, 1.0) + min(0.2, 0.05 * r.counts["speech"]))


# --- Named people and their titles --------------------------------------------------------------


def named_people(p: Passage) -> float:
    """Named people and their titles (Minister, President, Ambassador...): who is speaking or spoken of.
    Capitalised words count as names (a party or a place too: close enough)."""
    r = p.reading
    return _clamp(0.2 * r.titles + 0.08 * r.capitalised)


# --- Figures and amounts ------------------------------------------------------------------------


def figures(p: Passage) -> float:
    """Figures and amounts: money, percentages, counts with units. Years and cable numbers count little."""
    r = p.reading
    return _clamp(0.4 * r.amounts + 0.1 * min(r.numbers, 3))


# --- Evaluative or candid language --------------------------------------------------------------


def candour(p: Passage) -> float:
    """Evaluative or candid language: a frank opinion about a leader, corruption, a private aside. Not the
    verbs that report a public stance (criticised, blamed, accused) nor "fears that": every political
    quarrel and worry is told with them."""
    r = p.reading
    return _density(r.counts["candid"], r.words, 3)


def request_or_deal(p: Passage) -> float:
    """A request, an offer, a deal, a refusal, money or arms changing hands: things that happened."""
    r = p.reading
    return _density(r.counts["deal"], r.words, 3)


# --- Hearsay and revelation ---------------------------------------------------------------------

# Words that say something was let out rather than announced: a rumour, an allegation, a denial, a story
# someone told of the past, an impression. Exact forms, matched against a reading's terms (one set
# intersection, no stems, no new pass over the text). Not "suspected": law-enforcement cables use it
# for every "suspected terrorist"; not "alleged": it is the legal word of every indictment.
_REVEALING = _parse_list(
    "reportedly rumored rumoured rumors rumours rumor allegedly apparently denied denies "
    "recalled recounted revealed whispered seemed"
)[0]


def hearsay(p: Passage) -> float:
    """Hearsay and revelation: a rumour, an allegation, a denial, a story told of the past, an impression
    ("reportedly", "rumored", "denied", "recounted", "seemed"): what someone let out rather than a
    position they announced, and what editors quote. Two such words give full marks."""
    return _clamp(0.5 * len(_REVEALING.intersection(p.reading.terms)))


# Words that say someone holds a view rather than states a position: a judgement of a leader, a
# government, a plan ("he believes Chavez is finished", "described the minister as weak", "sees the
# deal as a gift"). Exact forms, matched against a reading's terms like `_REVEALING`.
_JUDGING = _parse_list(
    "believes believed thinks thought views viewed considers regards regarded characterized characterised "
    "described doubted doubts suspects suspected judged opined dismissed sees saw"
)[0]


def judgement(p: Passage) -> float:
    """Someone's own judgement ("believes", "described", "doubts", "sees"): a view of a leader or a
    government that a person holds, which editors quote, rather than a position announced. The US side's
    views are its talking points (the Ambassador believes, we think), so a paragraph where the US side
    speaks gets nothing here. Two such words give full marks."""
    hits = len(_JUDGING.intersection(p.reading.terms))
    if not hits or p.us_speaking:  # (most paragraphs stop at the first test)
        return 0.0
    return _clamp(0.5 * hits)


_COMMENT = re.compile(r"^\W*(?:\(\w[\w/ ]*\)\s*)?comment\b|\bcomment:", re.IGNORECASE)


def embassy_comment(p: Passage) -> float:
    """The embassy's own comment: where a cable says what it really thinks."""
    head = p.text[:200]
    if "omment" not in head and "OMMENT" not in head:
        return 0.0
    return 1.0 if _COMMENT.search(head) else 0.0


# --- Portion marking ----------------------------------------------------------------------------

_LEADING_MARK = re.compile(r"^\s*\(((?:TS|S|C|U|SBU)(?:\s*[/-]+\s*[A-Z ,/]+)?)\)")


def marking(p: Passage) -> float:
    """How secret the paragraph was: S/NF and S above C, above SBU, above U."""
    m = (p.paragraph.marking or "").upper().replace(" ", "")
    if not m and p.text[:1] == "(" and (lead := _LEADING_MARK.match(p.text)):
        m = lead.group(1).upper().replace(" ", "")  # a marking the parser left in the text: "(C) Echoing..."
    if not m:
        return 0.3  # unmarked: old cables and retypes say nothing either way
    noforn = "NF" in m or "NOFORN" in m
    if m.startswith("TS"):
        return 1.0
    if m.startswith("SBU"):
        return 0.25
    if m.startswith("S"):
        return 1.0 if noforn else 0.85
    if m.startswith("C"):
        return 0.75 if noforn else 0.6
    if m.startswith("U"):
        return 0.15 if "FOUO" in m else 0.05
    return 0.3


# --- Distinctiveness against the corpus ---------------------------------------------------------


CORPUS_SIGNAL = "distinctiveness"  # the only signal that reads the corpus statistics (df, total)


def distinctiveness(p: Passage) -> float:
    """How unusual its words are across the whole ingested corpus (tf-idf against paragraph frequencies):
    the mean inverse document frequency of its ten rarest terms, relative to the largest possible.

    Every paragraph has a few rare words; what tells them apart is how rare the rarest ten are, which
    over real cables ranges from about 0.5 (stock phrases) to 0.9 (names, places, specifics) of the
    maximum. With no corpus statistics yet, every paragraph scores 0 here: no corpus, no evidence.
    """
    return corpus_distinctiveness(p.terms, p.df, p.total)


def corpus_distinctiveness(found: Collection[str], df: Mapping[str, int], total: int) -> float:
    """`distinctiveness` of a paragraph's distinct terms `found` (a set, or a list without repeats)
    against the corpus statistics: what a scorer that has the terms without a Passage calls."""
    if total <= 1:
        return 0.0
    if not found:
        return 0.0
    rarest = _rarest(found, df)
    ceiling = math.log(total + 1)
    mean = (ceiling - sum(map(math.log1p, rarest)) / len(rarest)) / ceiling
    return _clamp((mean - 0.5) / 0.4)


# --- Standing alone -----------------------------------------------------------------------------


def dependence(p: Passage) -> float:
    """How much it leans on the rest of the cable: "reftel", "see para 3", "as noted above", starting with
    "This" or "He also". A paragraph worth quoting makes sense read alone."""
    r = p.reading
    refs = r.counts["backref"] + r.para_refs
    return _clamp(0.35 * refs + (0.5 if r.deictic_start else 0.0))


def novelty(p: Passage) -> float:
    """What the paragraph says that no other paragraph of its cable says: the share of its terms that it
    alone holds. A summary, or a comment restating the cable, shares its words with the paragraphs that
    tell the story; the paragraph with the telling detail (a name, a number, a scene) holds them alone."""
    found = p.reading.terms
    if not found:
        return 0.0
    return len(found - p.repeated) / len(found)


def repeated_terms(readings: Iterable[Reading]) -> frozenset[str]:
    """The terms held by two or more of the readings (a cable's paragraphs): set operations, in C."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for r in readings:
        repeated |= seen & r.terms
        seen |= r.terms
    return frozenset(repeated)


# A passage made alone (not by score_cable, which knows a cable's readings) works out its cable's repeated
# terms here: its neighbours are the same cable's other paragraphs, asked about in turn, so one is kept.
_last_repeated: tuple[Cable | None, frozenset[str]] = (None, frozenset())


def _repeated_in(cable: Cable) -> frozenset[str]:
    global _last_repeated
    last = _last_repeated  # (one read of the pair: another thread may replace it meanwhile)
    if last[0] is not cable:
        last = _last_repeated = (cable, repeated_terms(read(p.text) for p in cable.paragraphs))
    return last[1]


# --- Wording: the words of quoted paragraphs ----------------------------------------------------


# The lexicon's numbers in units of 2**-32, as integers: sums of integers are exact, so `wording` is the
# same whatever order a paragraph's terms come in (a set's order changes with each process's hash seed),
# and the compiled scorer gives it to the bit. (|sif * lex| < 2**40 for |lex| < 256: sums of a paragraph's
# terms stay below 2**53, exact as floats too.)
_WORDING_UNIT = 2**32


def _wording_table(lexicon: Lexicon) -> dict[str, tuple[int, int]]:
    """Each term of the lexicon with what `wording` adds up for it: (sif * lex, sif), in units of 2**-32."""
    return {
        term: (round(sif * lex * _WORDING_UNIT), round(sif * _WORDING_UNIT))
        for term, (sif, lex) in lexicon.items()
    }


# bot/picks/wording.tsv (bot.picks.wording): a missing or malformed file stops the import, naming the line.
# Replaced, never changed in place: the compiled scorer copies it, again whenever it is another object.
_WORDING = _wording_table(load_lexicon(stop_words=STOP))


def wording(p: Passage) -> float:
    """How much its words are those of the paragraphs editors quote, from a lexicon learned from their
    picks (bot/picks/wording.tsv): the mean of its terms' `lex` (positive for the words of quoted
    paragraphs, negative for those of paragraphs passed over), each weighed by its `sif` (rare words
    weigh more than common ones); 0.0 when none of its terms is in the lexicon. Not in [0, 1]: in units of
    the score (its learned weight is 1.0), 0 on the corpus's average paragraph."""
    num = 0
    den = 0
    get = _WORDING.get
    for t in p.terms:
        e = get(t)
        if e is not None:
            num += e[0]
            den += e[1]
    return num / den if den else 0.0  # (int / int: the correctly rounded quotient)


# --- Length: a post or a short thread -----------------------------------------------------------


def fit(p: Passage) -> float:
    """Whether it fits a post or a short thread: full marks from 200 to 1,200 characters."""
    n = len(p.text)
    if n < 60:
        return 0.0
    if n < 200:
        return (n - 60) / 140
    if n <= 1200:
        return 1.0
    return max(0.3, 1.0 - (n - 1200) / 2000)


def too_short(p: Passage) -> float:
    """A very short paragraph (a heading, a line of routing) is not notable."""
    n = p.reading.words
    return 1.0 if n < 12 else 0.5 if n < 20 else 0.0


# --- Boilerplate and procedure ------------------------------------------------------------------


def boilerplate(p: Passage) -> float:
    """Classification and declassification lines, handling caveats, distribution and action requests,
    clearances, scheduling: what no reader would quote. Denser boilerplate scores higher."""
    r = p.reading
    hits = r.counts["boilerplate"]
    if not hits:
        return 0.0
    density = hits / max(1.0, r.words / 25)
    return _clamp(0.35 * hits + 0.4 * density)


def procedure(p: Passage) -> float:
    """Who met whom, when and to discuss what: the set-up of a meeting rather than what was said in it."""
    return _clamp(p.reading.counts["procedure"] / 3)


def us_talking_points(p: Passage) -> float:
    """How much of it is the US side talking (the Ambassador urged, we believe, Washington should, A/S
    Cohen responded, and later "Cohen said"): cables reveal what others say and what the embassy really
    thinks, not Washington's talking points. "The U.S." is the country, not a speaker, and "Iran's" is
    not "A/S": "the Pakistanis worry that the U.S. will drop in, Leslie said" is Leslie talking. The
    embassy's own comment is never talking points: its "we believe" is what the embassy really thinks."""
    speaking = p.us_speaking
    if not speaking or embassy_comment(p):  # (most paragraphs stop at the first test)
        return 0.0
    return _clamp(speaking / p.reading.sentences * 1.5)


# --- Who is speaking ----------------------------------------------------------------------------

# A title that makes the name after it one of the US side's people, for the whole cable: "A/S Cohen",
# "Deputy Secretary James Steinberg", "Senator Kerry", "Ambassador Patterson" (but not "Chinese
# Ambassador Zhang": a capitalised word before the title makes it someone else's, `_someone_elses`).
# Titles that say nothing of the country on their own ("Deputy", "Minister") are left out. (Written out
# in bot/picks/_scoring.c, with _someone_elses, _QUOTE and _REDACTION: change both.)
_US_TITLED = re.compile(
    r"(?:A/S|U/S|DAS|USD\(P\)|Ambassador|Amb\.|Senator|Sen\.|Congressman|Congresswoman|Codel|CODEL|"
    r"Deputy Secretary|Under Secretary|Secretary|Special Envoy)"
    r"\s+((?:[A-Z][a-z\-]+\s+)?[A-Z][a-z\-]+)"
)
_NOT_NAMES = frozenset(
    _parse_list(
        "general foreign prime state defense interior finance political economic affairs minister of the "
        "for and chief head director office ministry permanent representative envoy assistant acting "
        "january february march april may june july august september october november december"
    )[0]
)
_US_OWN = frozenset(("The", "Then", "Our", "American"))
_RANKS = frozenset(("Deputy", "Under", "Assistant", "Acting", "Former", "Special", "Senior"))
_us_named: dict[int, tuple[Cable, frozenset[str]]] = {}
_INTRODUCED_IN = 3  # cables introduce their people in the first paragraphs (the summary)
# The US side's words of 3+ letters are among a reading's terms; "we", "A/S", "U/S" are looked for.
_US_SPEAKER_TERMS = frozenset(w for w in _parse_list(US_SUBJECT)[0] if len(w) >= 3)
_ANYONES = frozenset(("ambassador", "embassy", "charge", "dcm", "senator", "secretary"))  # any country's
_PUNCTUATION = ".,;:()'\"“”‘’-"


def _us_names(cable: Cable) -> frozenset[str]:
    """The (lower-case) names of the US side's people in a cable: whoever a US title introduces in its
    first paragraphs (later, a title and its name come together: "A/S Cohen responded")."""
    cached = _us_named.get(id(cable))
    if cached is not None and cached[0] is cable:
        return cached[1]
    names: set[str] = set()
    body = [para for para in cable.paragraphs if not para.number.isalpha()]  # not the REF list's A, B...
    for para in body[:_INTRODUCED_IN]:
        text = para.text
        for m in _US_TITLED.finditer(text):
            if _someone_elses(text, m.start()):
                continue  # "Chinese Ambassador Zhang", "Saudi Ambassador Jubeir" (but "EUR A/S Fried")
            found = m.group(1).lower().split()
            if _NOT_NAMES.isdisjoint(found) and _TITLE_LOWER.isdisjoint(found):
                names.update(found)
    if len(_us_named) > 64:
        _us_named.clear()
    result = frozenset(names)
    _us_named[id(cable)] = (cable, result)
    return result


def _us_speaking(p: Passage) -> int:
    """How many verbs of saying or thinking have the US side as their subject (a US word or one of the
    cable's US people within the three words before the verb), outside quotation marks.

    The reading splits "U.S.", "A/S" and "Iran's" into the same "s"; this looks at the text itself,
    and only for the paragraphs whose reading found a US word before such a verb or that name one of
    the cable's US people (about a third): each such word is found with `str.find`, and only the
    three words after it are read."""
    r = p.reading
    names = _us_names(p.cable)
    terms = r.terms
    if not r.us_side and names.isdisjoint(terms):
        return 0
    lower = p.text.lower()
    subjects = list(_US_SPEAKER_TERMS.intersection(terms))
    if names:
        subjects.extend(names.intersection(terms))
    if " we " in lower or lower.startswith("we "):
        subjects.append("we")
    if "/s " in lower:
        subjects.extend(("a/s", "u/s"))
    if "usd(p)" in lower:
        subjects.append("usd(p)")
    quoted = '"' in lower or "“" in lower
    text = p.text if len(p.text) == len(lower) else lower  # (lower case keeps the length of ASCII)
    verbs = _US_VERBS
    spoken: set[int] = set()
    for word in subjects:
        size = len(word)
        i = lower.find(word)
        while i >= 0:
            end = i + size
            whole = (i == 0 or not lower[i - 1].isalnum()) and not lower[end : end + 1].isalnum()
            if whole and word in _ANYONES:
                # "the Chinese Ambassador said", "Secretary General Ban said": someone else's
                whole = not _someone_elses(text, i) and lower[end + 1 : end + 8] != "general"
            if whole and not (quoted and _in_quotes(lower, i)):
                after = lower[end : end + 40]
                for w in after.split()[:3]:
                    if w in verbs or w.strip(_PUNCTUATION) in verbs:
                        spoken.add(end + after.find(w))  # one verb, however many subjects before it
                        break
            i = lower.find(word, end)
    return len(spoken)


def _someone_elses(text: str, i: int) -> bool:
    """Whether the word at position i follows a capitalised word that makes it another country's:
    "Chinese Ambassador", "the Saudi Embassy", "UK Foreign Secretary" (but not "The Ambassador",
    "U.S. Embassy", "the Deputy Secretary", "EUR Assistant Secretary")."""
    before = text[max(0, i - 40) : i].split()
    while before and before[-1] in _RANKS:
        before.pop()
    return bool(before) and before[-1].istitle() and before[-1].isalpha() and before[-1] not in _US_OWN


def _in_quotes(text: str, i: int) -> bool:
    """Whether position i of a text is inside double quotation marks (straight or curly)."""
    if text.count('"', 0, i) % 2:
        return True
    return text.rfind("“", 0, i) > text.rfind("”", 0, i)


_REDACTION = re.compile(r"[Xx]{6,}")


def redaction(p: Passage) -> float:
    """The share of the paragraph hidden behind XXXXXXXXXXXX: a mostly redacted paragraph says little."""
    text = p.text
    if "XXXXXX" not in text and "xxxxxx" not in text:
        return 0.0
    return _clamp(3 * len(_REDACTION.findall(text)) / max(1, p.reading.words))


# --- Summaries and reference lists --------------------------------------------------------------

_SUMMARY = re.compile(r"^\W*(?:\(\w[\w/ ]*\)\s*)?(?:begin\s+)?summary\b|\bend\s+summary\b", re.IGNORECASE)


def summary(p: Passage) -> float:
    """A summary paragraph. Summaries pack every name and figure of the cable, so they would win on counts
    alone: this signal is a handicap they must overcome by being revealing themselves, never a bonus
    for coming first."""
    head, tail = p.text[:400], p.text[-60:]
    if "ummary" not in head and "UMMARY" not in head and "ummary" not in tail and "UMMARY" not in tail:
        return 0.0
    return 1.0 if _SUMMARY.search(head) or _SUMMARY.search(tail) else 0.0


_REFERENCE = re.compile(
    r"^\s*(?:\d{2}\s+)?(?:[A-Z][A-Z.'\-]*\s+){1,3}\d{1,6}\b|^\s*(?:\w+\s+)?e-?mail\b|classified\s+by",
    re.IGNORECASE,
)


def reference_item(p: Passage) -> float:
    """A lettered item of the REF list (`B. MADRID 2123`): a pointer to another cable, not content."""
    number = p.paragraph.number
    if not (len(number) == 1 and number.isalpha()):
        return 0.0
    if len(p.text) < 80 or _REFERENCE.search(p.text[:160]):
        return 1.0
    return 0.0


# --- The catalogue ------------------------------------------------------------------------------

Signal = Callable[[Passage], float]

SIGNALS: dict[str, Signal] = {
    "quotation": quotation,
    "named_people": named_people,
    "figures": figures,
    "candour": candour,
    "request_or_deal": request_or_deal,
    "embassy_comment": embassy_comment,
    "marking": marking,
    "distinctiveness": distinctiveness,
    "fit": fit,
    "dependence": dependence,
    "novelty": novelty,
    "boilerplate": boilerplate,
    "procedure": procedure,
    "us_talking_points": us_talking_points,
    "redaction": redaction,
    "summary": summary,
    "too_short": too_short,
    "reference_item": reference_item,
    "hearsay": hearsay,
    "judgement": judgement,
    "wording": wording,
}
"""Every signal by the name editors use in `[picks.weights]` and see in the reasons."""


def word_lists() -> Iterable[str]:
    """The names of the word lists (for documentation and tests)."""
    return _LISTS


# --- The compiled reader ------------------------------------------------------------------------

# read() above is the reference. bot.picks._reading (bot/picks/_reading.c, built by `pip install` when
# a C compiler is at hand) gives the same Reading about 6 times faster, reading this module's tables at
# every call, and the same `_rarest` without sorting; CABLEBOT_PURE_PYTHON=1 keeps the Python ones (to
# compare, or to rule the C out). tests/picks/test_reading_speedups.py holds them to the same results.
_read_python = read


def _rarest_python(terms: Collection[str], df: Mapping[str, int], k: int = 10) -> list[int]:
    """The k smallest paragraph frequencies of some distinct terms (0 for a term df lacks), smallest
    first: the core of `distinctiveness`."""
    if not terms:
        return []
    try:  # every term is counted when scoring at ingest: one C-level lookup of them all
        counts = itemgetter(*terms)(df)
        return sorted(counts if len(terms) > 1 else (counts,))[:k]
    except KeyError:
        get = df.get
        return sorted([get(t, 0) for t in terms])[:k]


_SPEEDUPS_API = 2  # bot.picks._reading's API constant: what this module expects of it


def _compiled() -> ModuleType | None:
    if os.environ.get("CABLEBOT_PURE_PYTHON") == "1":
        return None
    try:
        from bot.picks import _reading
    except ImportError:  # not built: no compiler when installed, or a source checkout
        return None
    if getattr(_reading, "API", None) == _SPEEDUPS_API:
        try:
            _reading.bind(globals())
            # The API constant is only as current as the last edit that remembered it: a build must
            # also read a text that touches every field as this version does.
            if _reading.read(_PROBE) == _read_python(_PROBE):
                return _reading
        except Exception:  # (a build that cannot even bind or read: the same answer)
            pass
    warnings.warn(
        f"bot.picks._reading ({_reading.__file__}) was built from another version of cablebot: "
        "reading with the Python read(); `pip install -e .` rebuilds it",
        RuntimeWarning,
        stacklevel=1,
    )
    return None


# A text with something for every field of a Reading.
_PROBE = (
    'However, the Ambassador said "we will never sign" and U.S. officials stressed it. The corrupt '
    "Minister paid 5,000 dollars and $300 (see para 3) to 1234 Kazakh officials in 2009?"
)


_speedups = _compiled()
read = _speedups.read if _speedups else _read_python
_rarest: Callable[[Collection[str], Mapping[str, int]], list[int]] = (
    _speedups.rarest if _speedups else _rarest_python
)


# --- The compiled scorer ------------------------------------------------------------------------

# The signals that bot.picks._scoring (bot/picks/_scoring.c, built with _reading) computes in C when
# bot.picks.score scores a cable: each one's function above is the reference, and the C must give exactly
# its value (tests/picks/test_scoring_speedups.py checks every paragraph of the corpus). Whoever changes
# one of these functions (or what it calls) ports the change to _scoring.c, or takes its name out of this
# set until then: a signal not named here, like a new one, is computed by its Python function within the
# same scoring, so that scores stay right and only speed is lost.
_COMPILED_SIGNALS = frozenset(
    (
        "quotation",
        "named_people",
        "figures",
        "candour",
        "request_or_deal",
        "embassy_comment",
        "marking",
        "distinctiveness",
        "fit",
        "dependence",
        "boilerplate",
        "procedure",
        "us_talking_points",
        "redaction",
        "summary",
        "too_short",
        "reference_item",
        "hearsay",
        "judgement",
        "novelty",
        "wording",
    )
)
_SCORING_API = 3  # bot.picks._scoring's API constant: what this module expects of it
_ported_functions = dict(SIGNALS)  # the functions the C stands for (a signal replaced later is not)


def _probe_cable() -> Cable:
    """A cable with something for every compiled signal: quotes of each kind, markings, a comment, a
    summary, a REF item, a redaction, the US side speaking, hearsay and judgement."""
    from datetime import UTC, datetime

    texts = [
        ("1", "C", "Summary: A/S Cohen and Ambassador Patterson met the Minister. End summary."),
        (
            "2",
            "S/NF",
            'However, the Ambassador said "we will never sign" and U.S. officials stressed it. The corrupt '
            "Minister paid 5,000 dollars and $300 (see para 3) to 1234 Kazakh officials in 2009? 'Not a "
            "chance,' he reportedly quipped, and &another word8 was let slip. Cohen urged restraint.",
        ),
        ("3", None, "(C) Comment: we believe XXXXXXXXXXXX doubts the deal; he described it as a gift."),
        ("A", "U", "B. MADRID 2123"),
        ("4", "SBU", "The delegation discussed the itinerary. Please advise. Reftel. " * 30),
    ]
    return Cable(
        "09PROBE1",
        datetime(2009, 1, 1, tzinfo=UTC),
        None,
        "SECRET",
        "Embassy Probe",
        "probe",
        paragraphs=tuple(Paragraph(n, m, t, f"#par{n}") for n, m, t in texts),
    )


def _probe_scoring(scoring: ModuleType, names: Iterable[str]) -> set[str]:
    """The signals among `names` whose compiled value differs from their function's on the probe cable."""
    cable = _probe_cable()
    readings = [_read_python(p.text) for p in cable.paragraphs]
    df = {t: 2 for r in readings for t in r.terms}
    plan = tuple((name, 1.0, scoring.SIGNALS.index(name)) for name in names)
    got = scoring.score(cable, readings, df, 50, plan, None, 0.0, True)
    differ = set()
    for i, (para, reading, values) in enumerate(zip(cable.paragraphs, readings, got, strict=True)):
        passage = Passage(para, cable, i, df, 50, reading)
        for name in names:
            want = SIGNALS[name](passage)
            if (values[name], type(values[name])) != (want, type(want)):
                differ.add(name)
    return differ


def _compiled_scorer() -> tuple[ModuleType | None, frozenset[str]]:
    """bot.picks._scoring, and the signals it computes (those of _COMPILED_SIGNALS it has and that give the
    same values as here on a probe); (None, nothing) when it is not built, is of another version, or
    CABLEBOT_PURE_PYTHON=1."""
    if os.environ.get("CABLEBOT_PURE_PYTHON") == "1":
        return None, frozenset()
    try:
        from bot.picks import _scoring
    except ImportError:  # not built: no compiler when installed, or a source checkout
        return None, frozenset()
    if getattr(_scoring, "API", None) == _SCORING_API:
        try:
            _scoring.bind(globals())
            ported = _COMPILED_SIGNALS.intersection(_scoring.SIGNALS)
            # A signal edited here without its C can still pass a probe, but not one that it fails: that
            # one is computed in Python, and a warning says so (the corpus test says where it differs).
            differ = _probe_scoring(_scoring, sorted(ported))
            if differ:
                warnings.warn(
                    f"bot.picks._scoring ({_scoring.__file__}) computes {', '.join(sorted(differ))} "
                    "otherwise than bot.picks.signals: computing them in Python; port the change to "
                    "_scoring.c, or `pip install -e .` to rebuild it",
                    RuntimeWarning,
                    stacklevel=1,
                )
            return _scoring, frozenset(ported - differ)
        except Exception:  # (a build that cannot even bind or score: the same answer)
            pass
    warnings.warn(
        f"bot.picks._scoring ({_scoring.__file__}) was built from another version of cablebot: "
        "scoring with the Python signals; `pip install -e .` rebuilds it",
        RuntimeWarning,
        stacklevel=1,
    )
    return None, frozenset()


_scorer, _compiled_names = _compiled_scorer()


def _compiled_index(name: str, signal: Signal) -> int | None:
    """Where bot.picks._scoring computes this signal (its index in _scoring.SIGNALS), or None when its
    Python function must: not compiled, not ported, or not the function the C stands for."""
    if _scorer is None or name not in _compiled_names or _ported_functions.get(name) is not signal:
        return None
    return _scorer.SIGNALS.index(name)
