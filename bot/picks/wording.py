"""The lexicon of the `wording` signal: how much each word is one of the words of quoted paragraphs.

    lexicon = load_lexicon()                  # bot/picks/wording.tsv, shipped with cablebot
    lexicon = load_lexicon(path)              # another file
    lexicon = load_lexicon(text="...")        # a lexicon written out (tests)

gives {term: (sif, lex)}. The file is learned from the editors' labels (over static word vectors) and
shipped as package data; it is plain text, one line per term:

    # comment lines (and blank lines) anywhere
    term<TAB>sif<TAB>lex

`term` is a term as bot.picks.signals.terms() counts them (lower case, 3+ characters, beginning with a
letter, letters, digits and hyphens, not a stop word); `sif` its weight in a paragraph, in (0, 1] (the
rarer the word, the more it weighs); `lex` how much it is a word of the paragraphs editors quote (positive)
or of those they pass over (negative). A file that does not say exactly that stops cablebot at import,
with the file and the line: scores computed with half a lexicon would be silently wrong.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Collection, Iterable
from importlib import resources
from pathlib import Path

from bot.errors import CablebotError

LEXICON = "wording.tsv"  # in the package bot.picks

Lexicon = dict[str, tuple[float, float]]  # term -> (sif, lex)

_TERM = re.compile(r"[a-z][a-z0-9\-]{2,}")


class LexiconError(CablebotError):
    """The wording lexicon cannot be read: which file, which line, and why."""

    def __init__(self, reason: str, *, where: str, line: int | None = None) -> None:
        self.reason = reason
        self.where = where
        self.line = line
        place = where if line is None else f"{where}:{line}"
        super().__init__(
            f"{place}: {reason} (the wording lexicon holds one term<TAB>sif<TAB>lex per line; "
            "cablebot ships it as bot/picks/wording.tsv: reinstall cablebot if it is damaged)"
        )


def load_lexicon(
    path: Path | None = None, *, text: str | None = None, stop_words: Collection[str] = ()
) -> Lexicon:
    """The lexicon of a file (the one cablebot ships when no path is given) or of a text, checked whole:
    a missing or unreadable file, or any malformed line, is a LexiconError naming the file and line.
    A term among `stop_words` is one no paragraph has: an error too."""
    if text is not None:
        return _parse(io.StringIO(text), "<text>", stop_words)
    source = resources.files("bot.picks").joinpath(LEXICON) if path is None else path
    where = str(source)
    try:
        with source.open(encoding="utf-8") as lines:  # (line by line: no copy of the whole file)
            return _parse(lines, where, stop_words)
    except FileNotFoundError:
        raise LexiconError("no such file", where=where) from None
    except (OSError, UnicodeDecodeError) as e:
        raise LexiconError(f"cannot be read: {e}", where=where) from None


def _parse(lines: Iterable[str], where: str, stop_words: Collection[str]) -> Lexicon:
    lexicon: Lexicon = {}
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise LexiconError(
                f"{len(fields)} tab-separated field(s) where term, sif and lex were expected: {line[:60]!r}",
                where=where,
                line=number,
            )
        term, sif_text, lex_text = fields
        if not _TERM.fullmatch(term) or term in stop_words:
            raise LexiconError(
                f"{term!r} is not a term (lower case, 3+ characters, a letter first, then letters, digits "
                "or hyphens, not a stop word)",
                where=where,
                line=number,
            )
        sif = _number(sif_text, "sif", where, number)
        lex = _number(lex_text, "lex", where, number)
        if not 0.0 < sif <= 1.0:
            raise LexiconError(f"sif {sif_text!r} of {term!r} is not in (0, 1]", where=where, line=number)
        if term in lexicon:
            raise LexiconError(f"{term!r} again", where=where, line=number)
        lexicon[term] = (sif, lex)
    if not lexicon:
        raise LexiconError("no term in it", where=where)
    return lexicon


def _number(text: str, name: str, where: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LexiconError(f"{name} {text!r} is not a number", where=where, line=line) from None
    if not math.isfinite(value):
        raise LexiconError(f"{name} {text!r} is not a finite number", where=where, line=line)
    return value
