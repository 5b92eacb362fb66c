"""Where X sees URLs in a text: twitter-text's URL extraction, so that each one can be counted as 23.

The patterns follow twitter-text's own (`extractUrl` and the checks of `extractUrlsWithIndices`):
a URL with or without a scheme, whose host ends in a known top-level domain. twitter-text ships its own
TLD list; here the TLDs come from the Public Suffix List of the `publicsuffixlist` package (the IANA
root zone as the PSL mirrors it), split the way twitter-text splits them: country codes (two letters,
and the internationalised country codes listed before the PSL's "newGTLDs" part) and generic ones.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib.resources import files

import regex

_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63

_INVALID_CHARS = "\ufffe\ufeff\uffff"
_DIRECTIONAL_MARKERS = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_SPACES = r"\x09-\x0d\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_LATIN_ACCENTS = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    r"\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"


# TLDs that have left the root zone, so that the PSL no longer lists them, but that X's twitter-text
# (3.1.0) still links: to X, "name.tp" is a link and counts 23.
RETIRED_COUNTRY_TLDS = frozenset({"an", "bl", "bq", "eh", "mf", "tp", "um"})
RETIRED_GENERIC_TLDS = frozenset(
    str.split("""
    abarth active adac afamilycompany aigo alfaromeo avianca bananarepublic bentley blanco bnl boots
    budapest bugatti cancerresearch cartier caseih cbs ceb chloe chrysler cityeats comcast cookingchannel
    csc dabur dodge doha doosan duck dunlop duns epost esurance etisalat everbank fiat flsmidth foodnetwork
    frontdoor fujixerox glade goo goodhands guardian hgtv honeywell hoteles htc iinet intel iselect iveco
    iwc jcp jlc juniper kerrylogistics kinder ladbrokes lancaster lancia lancome liaison linde lipsy lixil
    loft lupin macys maserati mcd mcdonalds meo metlife mobily montblanc mopar movistar mtpc mutual
    mutuelle nadex nationwide natura newholland northwesternmutual off oldnavy onyourside orientexpress
    pamperedchef panerai passagens piaget pramerica qvc raid redstone rightathome rmit rocher sapo sca
    scjohnson scor ses shaw showtime shriram spiegel spreadbetting srt starhub statoil swiftcover symantec
    telecity telefonica tiffany travelchannel uconnect vista vistaprint volkswagen vuelos warman
    wolterskluwer xfinity xperia zippo اتصالات موبايلي 大众汽车 工行 手表 珠宝 诺基亚
""")
)
# TLDs of the PSL that twitter-text 3.1.0 does not know: to X, "name.music/..." may be plain text, so a
# link under one of these counts as the longer of 23 and its own characters.
RECENT_TLDS = frozenset(
    str.split("""
    amazon hotel kids merck music spa web ישראל السعوديه السعودیة السعودیۃ اليمن ايران سوريا پاكستان
    アマゾン 亚马逊 澳门 臺灣
""")
)


@cache
def top_level_domains() -> tuple[frozenset[str], frozenset[str]]:
    """(generic, country-code) TLDs: those of the ICANN part of the Public Suffix List, and the retired
    ones X still links."""
    text = files("publicsuffixlist").joinpath("public_suffix_list.dat").read_text(encoding="utf-8")
    generic: set[str] = set()
    country: set[str] = set()
    in_icann = past_legacy = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("// ===BEGIN ICANN DOMAINS==="):
            in_icann = True
        elif line.startswith("// ===END ICANN DOMAINS==="):
            break
        elif line.startswith("// newGTLDs"):
            past_legacy = True
        elif in_icann and line and not line.startswith("//"):
            # "ac.za" and "*.ck" name their TLD too: some country codes have no rule of their own.
            tld = line.rsplit(".", 1)[-1].lower()
            if not past_legacy and (len(tld) == 2 or not tld.isascii()):
                country.add(tld)
            else:
                generic.add(tld)
    return frozenset(generic | RETIRED_GENERIC_TLDS), frozenset(country | RETIRED_COUNTRY_TLDS)


def url_tld(url: str) -> str:
    """The top-level domain of a URL found by `extract_url_spans`, lower-cased."""
    host = regex.sub(r"^https?://", "", url, flags=regex.IGNORECASE)
    host = regex.split(r"[/:?#]", host, maxsplit=1)[0]
    return host.rsplit(".", 1)[-1].lower()


def _alternation(words: frozenset[str]) -> str:
    # Longest first, so that "co" never wins over "com".
    return "|".join(regex.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@cache
def _patterns() -> dict[str, regex.Pattern[str]]:
    generic, country = top_level_domains()
    tld_end = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
    gtld = f"(?:(?:{_alternation(generic)}){tld_end})"
    cctld = f"(?:(?:{_alternation(country)}){tld_end})"
    punycode = r"(?:xn--[\-0-9a-z]+)"
    domain_char = f"[^{_PUNCT}{_SPACES}{_INVALID_CHARS}{_DIRECTIONAL_MARKERS}]"
    # A label is a run of domain characters (with "_" or "-" inside), ending in a domain character and
    # a dot. The run is matched possessively: "." is not a label character, so a shorter run could
    # never be followed by the dot, and backtracking into it would only cost time (quadratic time on a
    # long word without dots, which quotes do have).
    subdomain = f"(?:{domain_char}(?:[_\\-]|{domain_char})*+(?<={domain_char})\\.)"
    domain_name = f"(?:{domain_char}(?:-|{domain_char})*+(?<={domain_char})\\.)"
    domain = f"(?:{subdomain}*{domain_name}(?:{gtld}|{cctld}|{punycode}))"
    path_char = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
    parens = f"\\((?:{path_char}+|(?:{path_char}*\\({path_char}+\\){path_char}*))\\)"
    path_end = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|(?:{parens}))"
    path = f"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end})|(?:@{path_char}+/))"
    query_char = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
    query_end = r"[a-z0-9\-_&=#/]"
    preceding = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID_CHARS}]|[{_DIRECTIONAL_MARKERS}]|^)"
    url = (
        f"(?P<before>{preceding})"
        f"(?P<url>(?P<scheme>https?://)?(?P<domain>{domain})(?::[0-9]+)?"
        f"(?P<path>/{path}*)?(?:\\?{query_char}*{query_end})?)"
    )
    flags = regex.IGNORECASE | regex.V0
    return {
        "url": regex.compile(url, flags),
        "ascii_domain": regex.compile(
            f"(?:(?:[\\-a-z0-9{_LATIN_ACCENTS}]+)\\.)+(?:{gtld}|{cctld}|{punycode})", flags
        ),
        "tco": regex.compile(f"^https?://t\\.co/([a-z0-9]+)(?:\\?{query_char}*{query_end})?", flags),
        "bad_before_bare": regex.compile(r"[-_./]\Z"),
    }


def _host_is_valid(domain: str) -> bool:
    """twitter-text's light IDNA check: every label, punycode-encoded, is 1 to 63 characters."""
    if domain.lower().startswith("xn--") and not _patterns()["ascii_domain"].search(domain):
        return False
    for label in domain.split("."):
        encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        if not 1 <= len(encoded) <= _MAX_LABEL_LENGTH:
            return False
    return True


def extract_url_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) code point offsets of every URL twitter-text finds in `text`."""
    # No URL spans a space, so each run between spaces is searched alone, and only when it has a dot:
    # the same matches as one search of the whole text, without its cost on long words.
    spans: list[tuple[int, int]] = []
    for run in _RUNS.finditer(text):
        if "." in run.group():
            spans.extend((run.start() + s, run.start() + e) for s, e in _url_spans(run.group()))
    return spans


_RUNS = regex.compile(f"[^{_SPACES}]+")


@lru_cache(maxsize=8192)  # fitting measures the same words again and again
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    p = _patterns()
    spans: list[tuple[int, int]] = []
    for m in p["url"].finditer(text):
        url, scheme, domain, path = m["url"], m["scheme"], m["domain"], m["path"]
        start, end = m.start("url"), m.end("url")
        if not _host_is_valid(domain) or len(scheme or "https://") + len(url) > _MAX_URL_LENGTH:
            continue
        if scheme:
            tco = p["tco"].match(url)
            if tco:
                if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + len(tco.group(0))
            spans.append((start, end))
            continue
        # Without a scheme, only the ASCII host names in the match count.
        if p["bad_before_bare"].search(m["before"]):
            continue
        found = [(start + a.start(), start + a.end()) for a in p["ascii_domain"].finditer(domain)]
        if found and path:
            found[-1] = (found[-1][0], end)
        spans.extend(found)
    return tuple(spans)
