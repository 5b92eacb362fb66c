"""Never amplify a protected source.

Cables mark people whose safety depends on discretion: "Juan Sanchez (please protect)", "Ricard (strictly
protect throughout)", "XXXXXXXXXXXX (PROTECT)", "-- PROTECT". A paragraph that carries such a marker is
blocked; so is every other paragraph of the same cable that names the person the marker protects. The
name is read just before the marker ("Dr. Ali Hassan (PROTECT)" protects "Ali Hassan" and "Hassan").

Not every "protect" is a marker: "Sensitive but unclassified. Please protect accordingly." is a handling
caveat, and "to protect the country" is a verb. Markers are the parenthesised or dashed forms and the
phrases "strictly protect", "please protect", "protect source", "protect throughout".

When the protected name is itself redacted (XXXXXXXXXXXX), the redaction is the only handle on that
person, so every paragraph of the cable that holds a redaction is blocked: the cable's own words about a
protected source are exactly what must not be amplified, even with the name blacked out.

Editors add their own phrases and names (`[picks.protect]`), and release one paragraph only by naming it
(`[[picks.release]]`, see bot.picks.settings); the release is logged where it is applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.model import Cable

_MARKER = re.compile(
    r"\(\s*(?:please\s+|strictly\s+)?protect(?:\s+(?:throughout|source|sources|him|her|them|identity|"
    r"accordingly\s+throughout))?\s*\)"
    r"|\bstrictly\s+protect(?:ed)?\b"
    r"|--\s*protect\b"
    r"|\bplease\s+protect\b(?!\s+accordingly)"
    r"|\bprotect\s+(?:our\s+|this\s+|the\s+)?source\b"
    r"|\bprotect\s+throughout\b",
    re.IGNORECASE,
)
# A bare, shouted PROTECT in ordinary text ("Ali Hassan, PROTECT, said"). In all-capitals cables every
# word is shouted, so there it means nothing and only the forms above count.
_SHOUTED = re.compile(r"(?<![A-Z] )\bPROTECT\b(?!ION|ED|ING|IVE|S| [A-Z]{2})")

_REDACTED = re.compile(r"\b[Xx]{4,}\b")
_REDACTED_NAME = re.compile(r"[Xx]{4,}")
_PARTICLES = {
    "bin",
    "bint",
    "al",
    "el",
    "de",
    "del",
    "la",
    "da",
    "di",
    "van",
    "von",
    "der",
    "ibn",
    "abu",
    "y",
}
_TITLES = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "minister",
    "president",
    "ambassador",
    "general",
    "gen",
    "colonel",
    "col",
    "secretary",
    "director",
    "judge",
    "professor",
    "prof",
    "sheikh",
    "prince",
    "senator",
    "governor",
    "mayor",
    "chief",
    "deputy",
    "advisor",
    "adviser",
    "commissioner",
    "magistrate",
    "prosecutor",
    "captain",
    "major",
    "lieutenant",
    "sergeant",
    "father",
    "imam",
    "mullah",
    "the",
    "a",
    "an",
    "our",
    "his",
    "her",
    "mp",
    "officer",
    "manager",
    "candidate",
    "head",
    "chairman",
    "vice",
    "counselor",
    "consul",
    "spokesman",
    "editor",
    "founder",
    "ceo",
    "owner",
    "leader",
    "member",
    "polcouns",
    "poloff",
}


@dataclass(frozen=True)
class Protection:
    """What protection rules say about one cable: which paragraphs are blocked, and why."""

    blocked: dict[int, str]  # paragraph index -> the reason an editor reads
    names: tuple[str, ...]  # the protected names found in the cable

    def reason(self, index: int) -> str | None:
        return self.blocked.get(index)


def find_markers(text: str, extra: Iterable[str] = ()) -> list[re.Match[str] | tuple[int, str]]:
    """Where a text carries a protection marker (the built-in forms and an editor's own phrases)."""
    found: list[re.Match[str] | tuple[int, str]] = []
    # Nearly every paragraph has no marker: a substring test first keeps the regexes off them.
    if "rotect" in text or "ROTECT" in text:
        found.extend(_markers(text))
        if "PROTECT" in text and not _is_shouting(text):
            found.extend(_SHOUTED.finditer(text))
    if extra:
        lower = text.lower()
        for phrase in extra:
            i = lower.find(phrase.lower())
            if i >= 0:
                found.append((i, phrase))
    return found


def _markers(text: str) -> list[re.Match[str]]:
    """The matches of `_MARKER.finditer(text)`, tried only just before each "protect" of the text.

    Run over a whole text, the regex tries its six forms at every character (about 0.3 ms for a long
    paragraph). Every form holds "protect" (in any ASCII case: under IGNORECASE no other character
    matches its letters), after at most an opening bracket or two dashes, spaces, "please" or "strictly"
    and spaces (`_earliest`); and that short run holds no other "protect". So a match begins between
    `_earliest(at)` and `at` for the first "protect" (at `at`) at or after the end of the last match, or
    not at all before the next one: each position there is tried with `match`, in order, as finditer
    would find them."""
    lower = text.lower()
    if len(lower) != len(text):  # a character whose lower case is longer ("İ"): the positions move
        return list(_MARKER.finditer(text))
    found: list[re.Match[str]] = []
    end = 0
    match = _MARKER.match
    at = lower.find("protect")
    while at >= 0:
        for start in range(max(end, _earliest(text, at)), at + 1):
            if (m := match(text, start)) is not None:
                found.append(m)
                end = m.end()
                break
        at = lower.find("protect", max(end, at + 1))
    return found


def _earliest(text: str, at: int) -> int:
    """Where a marker holding the "protect" at `at` may begin, at the earliest: before it, spaces, a word
    of up to 8 letters ("strictly"), spaces, and "(" or "--"."""
    i = at
    while i > 0 and text[i - 1].isspace():  # (str.isspace is what \s matches)
        i -= 1
    i = max(0, i - 8)
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return max(0, i - 2)


_NAME_RUN = re.compile(
    r"((?:(?:[A-Z][\w'’\-]*\.?|[Xx]{4,}|(?:bin|al|el|de|del|la|da|di|van|von|der|zu|ibn|abu|y))[ \t]+)*"
    r"(?:[A-Z][\w'’\-]*|[Xx]{4,}))[ \t]*$"
)
_PLACE_WORDS = {"the", "in", "of", "at", "from", "for", "to", "on"}


def _name_at_end(text: str) -> str | None:
    """The person's name a stretch of text ends with: "Tory MP Keith Simpson" -> "Keith Simpson"."""
    m = _NAME_RUN.search(text)
    if not m:
        return None
    words = [re.sub(r"['’]s$", "", w) for w in m.group(1).split()]
    redacted = [w for w in words if _REDACTED_NAME.fullmatch(w)]
    if redacted:
        return redacted[-1].upper()
    # Titles and roles before the name ("UK Ambassador Blunt", "Country Manager Omar Nottaro") are not it.
    cut = max((i + 1 for i, w in enumerate(words) if w.rstrip(".").lower() in _TITLES), default=0)
    words = words[cut:][-4:]
    while words and (words[0].lower() in _PARTICLES or (words[0].isupper() and len(words[0]) <= 5)):
        words = words[1:]  # a leading particle, or an acronym (CSU, DCM): an organisation, not a person
    if not words:
        return None
    if len(words) == 1:
        before = text[: m.start()].split()
        if before and before[-1].lower() in _PLACE_WORDS:
            return None  # "in the Chancellery (protect)", "in Baku (protect)": a place, not a person
    return " ".join(words)


def protected_names_before(text: str, at: int) -> list[str]:
    """Who a marker protects, read from the text before it: the name just before it ("Dr. Ali Hassan
    (PROTECT)" -> "Ali Hassan"), and the name an apposition describes ("Karl-Theodor zu Guttenberg,
    Secretary General of the CSU (PROTECT)" -> "Karl-Theodor zu Guttenberg")."""
    before = text[max(0, at - 200) : at].rstrip(" ,;:-–—(")
    clause = re.split(r"(?<=[.;:!?])\s+", before)[-1]
    names = []
    if (name := _name_at_end(clause)) is not None:
        names.append(name)
    if "," in clause:
        head = clause.split(",")[0]
        if (name := _name_at_end(head)) is not None and (" " in name or _REDACTED_NAME.fullmatch(name)):
            names.append(name)
    return names


def _is_shouting(text: str) -> bool:
    head = text[:400]
    if head.isascii():  # an ASCII upper-case character is a letter: count both in C
        letters, upper = sum(map(str.isalpha, head)), sum(map(str.isupper, head))
        return bool(letters) and upper > 0.85 * letters
    letters = [c for c in head if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.85 * len(letters)


def _name_pattern(name: str) -> re.Pattern[str]:
    if _REDACTED_NAME.fullmatch(name):
        return _REDACTED
    parts = name.split()
    forms = {name}
    surname = parts[-1]
    if len(parts) > 1 and len(surname) >= 4:
        forms.add(surname)  # "Ricard" protects "Jean-Francois Ricard" in every paragraph that follows
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    # Names are matched as written (capitalised), or in capitals for all-capitals cables.
    upper = "|".join(re.escape(f.upper()) for f in forms)
    return re.compile(rf"\b(?:{alternation}|{upper})\b")


def protect_cable(cable: Cable, extra_phrases: Iterable[str] = (), names: Iterable[str] = ()) -> Protection:
    """Apply the protection rules to every paragraph of a cable (pure)."""
    phrases = tuple(p for p in extra_phrases if p.strip())
    blocked: dict[int, str] = {}
    protected: dict[str, str] = {}  # name -> where it was marked (paragraph number)
    for i, para in enumerate(cable.paragraphs):
        for marker in find_markers(para.text, phrases):
            if isinstance(marker, tuple):
                start, shown = marker
            else:
                start, shown = marker.start(), marker.group(0)
            blocked.setdefault(i, f"protected source: carries the marker {shown.strip()!r}")
            for name in protected_names_before(para.text, start):
                protected.setdefault(name, para.number)
    for name in names:
        if name.strip():
            protected.setdefault(name.strip(), "config")
    if protected:
        patterns = {name: _name_pattern(name) for name in protected}
        for i, para in enumerate(cable.paragraphs):
            if i in blocked:
                continue
            for name, pattern in patterns.items():
                if pattern.search(para.text):
                    shown = "a redacted person" if _REDACTED_NAME.fullmatch(name) else repr(name)
                    where = protected[name]
                    origin = "the editors' protected names" if where == "config" else f"paragraph {where}"
                    blocked[i] = f"protected source: names {shown}, protected in {origin}"
                    break
    return Protection(blocked=blocked, names=tuple(protected))
