/* bot.picks._scoring: the per-paragraph signals of bot.picks.signals, weighed as bot.picks.score does,
 * in C.
 *
 * The Python signals are the reference: each signal this module computes must give exactly what its
 * function in signals.py gives, to the bit, and the shares and the score are rounded and added exactly
 * as score._shares and score_cable do (tests/picks/test_scoring_speedups.py checks it on the whole
 * corpus, with several sets of weights). It is only faster: no Passage, no Python call per signal.
 *
 * Which signals are computed here is declared twice: SIGNALS below (what this build can compute) and
 * signals._COMPILED_SIGNALS (what signals.py vouches is still ported); score.py asks this module for the
 * signals in both, and calls the Python function, with a Passage, for any other signal of the same
 * scoring (a new one, or one changed in signals.py and not ported yet). A signal may also hand an odd
 * paragraph to its Python function (a non-ASCII marking, a df that is not a plain dict of ints).
 *
 * The rare, irregular work is done by calling back into signals.py: its regular expressions (_COMMENT,
 * _SUMMARY, _REFERENCE, _LEADING_MARK, after a cheap test, done here, says they can match), and
 * str.lower() of the texts with a non-ASCII capital. The frequent regular expressions (_QUOTE,
 * _REDACTION, and _US_TITLED, run on every cable) and `_someone_elses` are written out here: changing
 * them in signals.py means changing them here (the parity test fails until then). The word sets, and the
 * wording lexicon (signals._WORDING), are looked up in signals.py's namespace at every call, so an edit of
 * a word list, or a new wording.tsv, needs no change here.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

/* --- The namespace of bot.picks.signals, looked up once per call ------------------------------------ */

static PyObject *space = NULL; /* the globals() of bot.picks.signals */

enum {
    N_PASSAGE, N_READING, N_US_SPEAKER_TERMS, N_ANYONES, N_US_VERBS, N_PUNCTUATION, N_REVEALING,
    N_JUDGING, N_COMMENT, N_SUMMARY, N_REFERENCE, N_LEADING_MARK, N_RANKS, N_US_OWN, N_NOT_NAMES,
    N_TITLE_LOWER, N_INTRODUCED_IN, N_WORDING, N_NAMES
};
static const char *names_in_space[N_NAMES] = {
    "Passage", "Reading", "_US_SPEAKER_TERMS", "_ANYONES", "_US_VERBS", "_PUNCTUATION", "_REVEALING",
    "_JUDGING", "_COMMENT", "_SUMMARY", "_REFERENCE", "_LEADING_MARK", "_RANKS", "_US_OWN", "_NOT_NAMES",
    "_TITLE_LOWER", "_INTRODUCED_IN", "_WORDING",
};
static PyObject *keys_in_space[N_NAMES];

/* The fields of a Reading the signals read, by name: their places are read from Reading._fields. */
enum {
    R_WORDS, R_COUNTS, R_TITLES, R_CAPITALISED, R_US_SIDE, R_AMOUNTS, R_NUMBERS, R_SENTENCES, R_DEICTIC,
    R_TERMS, R_PARA_REFS, N_FIELDS
};
static const char *field_names[N_FIELDS] = {
    "words", "counts", "titles", "capitalised", "us_side", "amounts", "numbers", "sentences",
    "deictic_start", "terms", "para_refs",
};
static PyObject *reading_type = NULL; /* the Reading the places below are for (owned) */
static Py_ssize_t field_at[N_FIELDS];

/* Keys of Reading.counts, the strings this module looks for, and attribute names. */
enum {
    K_SPEECH, K_CANDID, K_DEAL, K_BACKREF, K_BOILERPLATE, K_PROCEDURE, K_WE, K_AS, K_US, K_USDP,
    K_WE_SPACED, K_WE_START,
    K_SLASH_S, K_TEXT, K_MARKING, K_NUMBER, K_PARAGRAPHS, K_LOWER, K_SEARCH, K_MATCH, K_GROUP, K_FINDALL,
    N_KEYS
};
static const char *key_strings[N_KEYS] = {
    "speech", "candid", "deal", "backref", "boilerplate", "procedure", "we", "a/s", "u/s", "usd(p)",
    " we ", "we ", "/s ", "text", "marking", "number", "paragraphs", "lower", "search", "match", "group",
    "findall",
};
static PyObject *keys[N_KEYS];

/* --- The signals, by name: SIGNALS in this order ------------------------------------------------------ */

enum {
    S_QUOTATION, S_NAMED_PEOPLE, S_FIGURES, S_CANDOUR, S_REQUEST_OR_DEAL, S_EMBASSY_COMMENT, S_MARKING,
    S_DISTINCTIVENESS, S_FIT, S_DEPENDENCE, S_BOILERPLATE, S_PROCEDURE, S_US_TALKING_POINTS, S_REDACTION,
    S_SUMMARY, S_TOO_SHORT, S_REFERENCE_ITEM, S_HEARSAY, S_JUDGEMENT, S_NOVELTY, S_WORDING, N_SIGNALS
};
static const char *signal_names[N_SIGNALS] = {
    "quotation", "named_people", "figures", "candour", "request_or_deal", "embassy_comment", "marking",
    "distinctiveness", "fit", "dependence", "boilerplate", "procedure", "us_talking_points", "redaction",
    "summary", "too_short", "reference_item", "hearsay", "judgement", "novelty", "wording",
};

/* --- One call: a cable, and one paragraph of it at a time --------------------------------------------- */

typedef struct {
    PyObject *got[N_NAMES]; /* owned for the call */
    PyObject *cable, *paragraphs, *df, *total, *names; /* names: _us_names(cable), when asked */
    PyObject *readings;                                /* borrowed: one per paragraph */
    struct TermCount *held;                            /* held_by(), when asked */
    size_t held_mask;
    int held_state;                                    /* 1: held is made; -1: it cannot be */
    long long total_value;
    int total_fits;
} Call;

typedef struct {
    Py_ssize_t index;
    PyObject *para, *text, *reading; /* borrowed */
    int kind;
    const void *data;
    Py_ssize_t length;
    Py_ssize_t field[N_FIELDS]; /* the int fields */
    PyObject *counts, *terms;   /* borrowed from the reading */
    int deictic;
    Py_ssize_t us_speaking;     /* -1: not yet */
    int comment;                /* -1: not yet */
    PyObject *passage;          /* owned, made when a Python signal needs it */
    /* What the cheap tests of several signals look for, found in one pass over the text (`facts`) */
    int scanned;
    int quote_maybe;           /* '"', "“", "&" or " '": quotation's test */
    int summary_head, summary_tail; /* "ummary" or "UMMARY" in text[:400], in text[-60:] */
    int comment_head;          /* "omment" or "OMMENT" in text[:200] */
    int six_xs;                /* "XXXXXX" or "xxxxxx" */
    Py_ssize_t x_runs;         /* runs of six or more of [Xx]: len(_REDACTION.findall(text)) */
} Para;

#define FALLBACK 1 /* a signal's answer: let its Python function compute it for this paragraph */

static double clamp(double x) { return x <= 0 ? 0.0 : x >= 1 ? 1.0 : x; }

/* _density(hits, words, per): _clamp(hits / per / (0.5 + words / 240)) */
static double density(double hits, Py_ssize_t words, double per) {
    return clamp(hits / per / (0.5 + (double)words / 240.0));
}

/* Python's min(a, b) and max(a, b) of two floats: the first unless the second is smaller (larger). */
static double min2(double a, double b) { return b < a ? b : a; }
static double max2(double a, double b) { return b > a ? b : a; }

/* sum() of floats, as the running Python adds them: it starts from 0 (an int), so from the first value. */
static double sum_floats(const double *v, Py_ssize_t n) {
    if (n == 0) return 0.0;
    double total = 0.0 + v[0];
#if PY_VERSION_HEX >= 0x030C0000
    /* Python 3.12 adds floats with Neumaier's compensated summation (bltinmodule.c builtin_sum_impl) */
    double c = 0.0;
    for (Py_ssize_t i = 1; i < n; i++) {
        double x = v[i], t = total + x;
        if (fabs(total) >= fabs(x))
            c += (total - t) + x;
        else
            c += (x - t) + total;
        total = t;
    }
    if (c && isfinite(c)) total += c;
#else
    for (Py_ssize_t i = 1; i < n; i++) total += v[i];
#endif
    return total;
}

static PyObject *builtin_round = NULL;

/* round(x, 3) of a float, as Python rounds it: the double nearest to k / 1000, k the integer nearest to
 * the exact x * 1000 (half to even). When x * 1000, computed in doubles, is well away from a half, its
 * rounding error cannot change k, and k / 1000.0 (both exact) is correctly rounded by the division;
 * otherwise (a near tie, a huge or non-finite x) Python's own round() answers. */
static int round3(double x, double *out) {
    if (fabs(x) < 1e9) { /* |x * 1000| < 1e12: its error is under 2e-4 */
        double p = x * 1000.0, k = nearbyint(p), frac = p - k;
        if (fabs(frac) < 0.499) {
            double r = k / 1000.0;
            *out = r == 0.0 ? copysign(0.0, x) : r;
            return 0;
        }
    }
    PyObject *f = PyFloat_FromDouble(x), *three = PyLong_FromLong(3), *r = NULL;
    if (f && three) r = PyObject_CallFunctionObjArgs(builtin_round, f, three, NULL);
    Py_XDECREF(f);
    Py_XDECREF(three);
    if (!r) return -1;
    *out = PyFloat_AsDouble(r);
    Py_DECREF(r);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* --- Text helpers ----------------------------------------------------------------------------------- */

#define CH(p, i) PyUnicode_READ((p)->kind, (p)->data, (i))

/* needle in text[start:end] (str.find's bounds), for an interned needle */
static int contains(PyObject *text, PyObject *needle, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t at = PyUnicode_Find(text, needle, start, end, 1);
    return at == -2 ? -1 : at >= 0;
}

/* Whether pattern.<method>(text[start:end]) finds something (a regex of signals.py). */
static int regex_finds(PyObject *pattern, PyObject *method, PyObject *text, Py_ssize_t start, Py_ssize_t end,
                       PyObject **match) {
    PyObject *part = start == 0 && end == PyUnicode_GET_LENGTH(text) ? Py_NewRef(text)
                                                                      : PyUnicode_Substring(text, start, end);
    if (!part) return -1;
    PyObject *m = PyObject_CallMethodOneArg(pattern, method, part);
    Py_DECREF(part);
    if (!m) return -1;
    int found = m != Py_None;
    if (match)
        *match = m;
    else
        Py_DECREF(m);
    return found;
}

/* Iterating over a set: its entries, borrowed (the set is not changed meanwhile). _PySet_NextEntry is
 * private from Python 3.13 on: there, an iterator (SET_DONE must be called when a loop stops early). */
typedef struct {
    Py_ssize_t pos;
    PyObject *it;
} SetWalk;
#define SET_WALK {0, NULL}

static int set_next_hashed(PyObject *set, SetWalk *walk, PyObject **key, Py_hash_t *hash) {
#if PY_VERSION_HEX < 0x030D0000
    return _PySet_NextEntry(set, &walk->pos, key, hash);
#else
    if (!walk->it && !(walk->it = PyObject_GetIter(set))) return -1;
    PyObject *item = PyIter_Next(walk->it);
    if (!item) {
        Py_CLEAR(walk->it);
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_DECREF(item); /* the set holds it */
    *key = item;
    if ((*hash = PyObject_Hash(item)) == -1) {
        Py_CLEAR(walk->it);
        return -1;
    }
    return 1;
#endif
}

static int set_next(PyObject *set, SetWalk *walk, PyObject **key) {
#if PY_VERSION_HEX < 0x030D0000
    Py_hash_t hash;
    return _PySet_NextEntry(set, &walk->pos, key, &hash);
#else
    if (!walk->it && !(walk->it = PyObject_GetIter(set))) return -1;
    PyObject *item = PyIter_Next(walk->it);
    if (!item) {
        Py_CLEAR(walk->it);
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_DECREF(item); /* the set holds it */
    *key = item;
    return 1;
#endif
}
#define SET_DONE(walk) Py_CLEAR((walk).it)

/* The count of a word list in Reading.counts (an int of the dict, as the signal reads it) */
static int count_of(Para *p, int key, Py_ssize_t *out) {
    PyObject *v = PyDict_GetItemWithError(p->counts, keys[key]);
    if (!v) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, keys[key]);
        return -1;
    }
    if (!PyLong_CheckExact(v)) return FALLBACK;
    *out = PyLong_AsSsize_t(v);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* len(words.intersection(terms)) for a set of words */
static Py_ssize_t shared_with_terms(PyObject *words, PyObject *terms) {
    Py_ssize_t hits = 0;
    PyObject *w;
    SetWalk walk = SET_WALK;
    int more;
    while ((more = set_next(words, &walk, &w)) > 0) {
        int in = PySet_Contains(terms, w);
        if (in < 0) {
            SET_DONE(walk);
            return -1;
        }
        hits += in;
    }
    return more < 0 ? -1 : hits;
}

#define LQ 0x201C /* “ */
#define RQ 0x201D /* ” */
#define RSQ 0x2019 /* ’ */

/* --- One pass over the text for the cheap tests ------------------------------------------------------ */

#define FOLLOWED_BY(d, i, n, a, b, c, e, f) \
    ((i) + 6 <= (n) && (d)[(i) + 1] == (a) && (d)[(i) + 2] == (b) && (d)[(i) + 3] == (c) && \
     (d)[(i) + 4] == (e) && (d)[(i) + 5] == (f))

static unsigned char NOTED[256]; /* the characters `facts` stops at (besides “) */

#define FACTS_BODY(T)                                                                                    \
    {                                                                                                    \
        const T *d = (const T *)p->data;                                                                 \
        Py_ssize_t i = 0;                                                                                \
        while (i < n) {                                                                                  \
            Py_UCS4 c = d[i];                                                                            \
            if (c < 256 ? !NOTED[c] : c != LQ) {                                                         \
                i++;                                                                                     \
                continue;                                                                                \
            }                                                                                            \
            if (c == 'X' || c == 'x') { /* a run of them: its length, and its longest run of one */      \
                Py_ssize_t start = i, same = 0;                                                          \
                for (; i < n && (d[i] == 'X' || d[i] == 'x'); i++) {                                     \
                    same = i > start && d[i] == d[i - 1] ? same + 1 : 1;                                 \
                    if (same >= 6) p->six_xs = 1;                                                        \
                }                                                                                        \
                if (i - start >= 6) p->x_runs++;                                                         \
                continue;                                                                                \
            }                                                                                            \
            i++;                                                                                         \
            switch (c) {                                                                                 \
            case '"':                                                                                    \
            case '&':                                                                                    \
            case LQ:                                                                                     \
                p->quote_maybe = 1;                                                                      \
                break;                                                                                   \
            case '\'':                                                                                   \
                if (i > 1 && d[i - 2] == ' ') p->quote_maybe = 1;                                        \
                break;                                                                                   \
            case 'u':                                                                                    \
            case 'U':                                                                                    \
                if (c == 'u' ? FOLLOWED_BY(d, i - 1, n, 'm', 'm', 'a', 'r', 'y')                             \
                             : FOLLOWED_BY(d, i - 1, n, 'M', 'M', 'A', 'R', 'Y')) {                          \
                    if (i + 5 <= 400) p->summary_head = 1;                                               \
                    if (i - 1 >= n - 60) p->summary_tail = 1;                                                \
                }                                                                                        \
                break;                                                                                   \
            case 'o':                                                                                    \
            case 'O':                                                                                    \
                if (i + 5 <= 200 && (c == 'o' ? FOLLOWED_BY(d, i - 1, n, 'm', 'm', 'e', 'n', 't')            \
                                              : FOLLOWED_BY(d, i - 1, n, 'M', 'M', 'E', 'N', 'T')))          \
                    p->comment_head = 1;                                                                 \
                break;                                                                                   \
            }                                                                                            \
        }                                                                                                \
    }

/* The facts of a paragraph's text: its tests as the Python writes them ("ummary" in text[:400]...), all
 * in one pass. */
static void facts(Para *p) {
    if (p->scanned) return;
    p->scanned = 1;
    Py_ssize_t n = p->length;
    switch (p->kind) {
    case PyUnicode_1BYTE_KIND:
        FACTS_BODY(Py_UCS1)
        break;
    case PyUnicode_2BYTE_KIND:
        FACTS_BODY(Py_UCS2)
        break;
    default:
        FACTS_BODY(Py_UCS4)
    }
}

/* --- Direct quotation ------------------------------------------------------------------------------- */

static int is_word(Py_UCS4 c) { return Py_UNICODE_ISALNUM(c) || c == '_'; }
static int ascii_letter(Py_UCS4 c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* _QUOTE.match(text, i): its end (and the group's span), or -1. The three alternatives of the regex,
 * each with one possible match (its repeated class excludes its closing character). */
static Py_ssize_t quote_at(Para *p, Py_ssize_t i, Py_ssize_t *g0, Py_ssize_t *g1) {
    Py_ssize_t n = p->length, j, count;
    Py_UCS4 c = CH(p, i);
    *g0 = i + 1;
    if (c == '"' || c == LQ) { /* [“"]([^“”"]{2,400})[”"] */
        for (j = i + 1, count = 0; j < n && count < 400; j++, count++) {
            Py_UCS4 d = CH(p, j);
            if (d == LQ || d == RQ || d == '"') break;
        }
        if (count >= 2 && j < n && (CH(p, j) == RQ || CH(p, j) == '"')) {
            *g1 = j;
            return j + 1;
        }
        return -1;
    }
    if (c == '\'') { /* (?<![\w’'])'([^'\n]{3,120})'(?![A-Za-z]) */
        if (i > 0) {
            Py_UCS4 b = CH(p, i - 1);
            if (is_word(b) || b == RSQ || b == '\'') return -1;
        }
        for (j = i + 1, count = 0; j < n && count < 120; j++, count++) {
            Py_UCS4 d = CH(p, j);
            if (d == '\'' || d == '\n') break;
        }
        if (count >= 3 && j < n && CH(p, j) == '\'' && !(j + 1 < n && ascii_letter(CH(p, j + 1)))) {
            *g1 = j;
            return j + 1;
        }
        return -1;
    }
    if (c == '&') { /* &([A-Za-z][^&\n]{2,300}?)8(?![0-9]) */
        if (!(i + 1 < n && ascii_letter(CH(p, i + 1)))) return -1;
        for (j = i + 2, count = 0;; j++, count++) {
            if (count >= 2 && j < n && CH(p, j) == '8') {
                Py_UCS4 after = j + 1 < n ? CH(p, j + 1) : 0;
                if (!(after >= '0' && after <= '9')) {
                    *g1 = j;
                    return j + 1;
                }
            }
            if (count == 300 || j >= n) return -1;
            Py_UCS4 d = CH(p, j);
            if (d == '&' || d == '\n') return -1;
        }
    }
    return -1;
}

#define OPENER_BODY(T)                                                                                   \
    {                                                                                                    \
        const T *d = (const T *)p->data;                                                                 \
        for (; i < p->length; i++)                                                                       \
            if (d[i] == '"' || d[i] == '\'' || d[i] == '&' || d[i] == LQ) return i;                      \
    }

/* The next character at or after i where a quote may open (_OPENERS), or the text's length */
static Py_ssize_t next_opener(Para *p, Py_ssize_t i) {
    switch (p->kind) {
    case PyUnicode_1BYTE_KIND:
        OPENER_BODY(Py_UCS1)
        break;
    case PyUnicode_2BYTE_KIND:
        OPENER_BODY(Py_UCS2)
        break;
    default:
        OPENER_BODY(Py_UCS4)
    }
    return p->length;
}

static int sig_quotation(Call *call, Para *p, double *out) {
    double quoted = 0.0;
    facts(p);
    if (p->quote_maybe) { /* _quotes(text): a match at each opener at or after the end of the last */
        Py_ssize_t end = 0, g0, g1;
        for (Py_ssize_t i = next_opener(p, 0); i < p->length; i = next_opener(p, i + 1)) {
            if (i < end) continue;
            Py_ssize_t e = quote_at(p, i, &g0, &g1);
            if (e < 0) continue;
            Py_ssize_t spaces = 0;
            for (Py_ssize_t k = g0; k < g1; k++) spaces += CH(p, k) == ' ';
            quoted += min2(0.45, 0.1 + 0.04 * (double)(spaces + 1));
            end = e;
        }
    }
    Py_ssize_t speech;
    int rc = count_of(p, K_SPEECH, &speech);
    if (rc) return rc;
    *out = clamp(density(quoted, p->field[R_WORDS], 1.0) + min2(0.2, 0.05 * (double)speech));
    return 0;
}

/* --- Simple counts ---------------------------------------------------------------------------------- */

static int sig_named_people(Call *call, Para *p, double *out) {
    *out = clamp(0.2 * (double)p->field[R_TITLES] + 0.08 * (double)p->field[R_CAPITALISED]);
    return 0;
}

static int sig_figures(Call *call, Para *p, double *out) {
    Py_ssize_t numbers = p->field[R_NUMBERS];
    *out = clamp(0.4 * (double)p->field[R_AMOUNTS] + 0.1 * (double)(numbers < 3 ? numbers : 3));
    return 0;
}

static int sig_candour(Call *call, Para *p, double *out) {
    Py_ssize_t hits;
    int rc = count_of(p, K_CANDID, &hits);
    if (rc) return rc;
    *out = density((double)hits / 3.0, p->field[R_WORDS], 1.0);
    return 0;
}

static int sig_request_or_deal(Call *call, Para *p, double *out) {
    Py_ssize_t hits;
    int rc = count_of(p, K_DEAL, &hits);
    if (rc) return rc;
    *out = density((double)hits / 3.0, p->field[R_WORDS], 1.0);
    return 0;
}

static int sig_hearsay(Call *call, Para *p, double *out) {
    Py_ssize_t hits = shared_with_terms(call->got[N_REVEALING], p->terms);
    if (hits < 0) return -1;
    *out = clamp(0.5 * (double)hits);
    return 0;
}

/* For novelty: in how many of the cable's paragraphs each term is, in an open-addressing table of the
 * readings' own term strings (borrowed: the readings outlive the call) by their cached hashes. A Python
 * set of the repeated terms (signals.repeated_terms) costs about five times as much: it allocates and
 * resizes sets, and takes and drops a reference per term. */
typedef struct TermCount {
    PyObject *key;
    Py_hash_t hash;
    Py_ssize_t count;
} TermCount;

static int same_str(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return n == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
           memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * (size_t)kind) == 0;
}

/* The slot of `key` (hash `hash`) in the table: its own, or the empty one where it would go. */
static TermCount *held_slot(TermCount *table, size_t mask, PyObject *key, Py_hash_t hash) {
    size_t i = (size_t)hash & mask;
    while (table[i].key && (table[i].hash != hash || !same_str(table[i].key, key))) i = (i + 1) & mask;
    return &table[i];
}

/* 1 once the table is made, 0 when a reading or a term is not what this module reads (novelty goes to
 * Python then), -1 on error */
static int held_by(Call *call) {
    if (call->held_state) return call->held_state > 0;
    call->held_state = -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(call->readings), total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *reading = PySequence_Fast_GET_ITEM(call->readings, i);
        if (Py_TYPE(reading) != (PyTypeObject *)reading_type) return 0;
        PyObject *terms = PyTuple_GET_ITEM(reading, field_at[R_TERMS]);
        if (!PyFrozenSet_CheckExact(terms)) return 0;
        total += PySet_GET_SIZE(terms);
    }
    size_t size = 16;
    while (size < 2 * (size_t)total) size <<= 1;
    if (!(call->held = PyMem_Calloc(size, sizeof(TermCount)))) {
        PyErr_NoMemory();
        return -1;
    }
    call->held_mask = size - 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *terms = PyTuple_GET_ITEM(PySequence_Fast_GET_ITEM(call->readings, i), field_at[R_TERMS]), *t;
        Py_hash_t hash;
        SetWalk walk = SET_WALK;
        int more;
        while ((more = set_next_hashed(terms, &walk, &t, &hash)) > 0) {
            if (!PyUnicode_CheckExact(t)) {
                SET_DONE(walk);
                return 0;
            }
            TermCount *slot = held_slot(call->held, call->held_mask, t, hash);
            if (!slot->key) {
                slot->key = t;
                slot->hash = hash;
            }
            slot->count++;
        }
        if (more < 0) return -1;
    }
    call->held_state = 1;
    return 1;
}

static int sig_novelty(Call *call, Para *p, double *out) {
    int made = held_by(call);
    if (made <= 0) return made < 0 ? -1 : FALLBACK;
    Py_ssize_t n = PySet_GET_SIZE(p->terms), alone = 0;
    if (n == 0) {
        *out = 0.0;
        return 0;
    }
    PyObject *t;
    Py_hash_t hash;
    SetWalk walk = SET_WALK;
    int more;
    while ((more = set_next_hashed(p->terms, &walk, &t, &hash)) > 0)
        alone += held_slot(call->held, call->held_mask, t, hash)->count == 1;
    if (more < 0) return -1;
    *out = (double)alone / (double)n; /* len(found - repeated) / len(found): exact for ints below 2**53 */
    return 0;
}

/* wording's lexicon as this module reads it: signals._WORDING ({term: (sif * lex, sif)}, integers in units
 * of 2**-32) copied into an open-addressing table of (hash, term, sif * lex, sif) by the term's hash, which
 * the paragraph's set
 * holds, so that a term is looked up in one entry rather than through the dict's index and entries, the
 * key's string, a tuple and two floats. It is made again whenever _WORDING is another object or of another
 * size: signals.py replaces it, and never changes it in place. */
typedef struct {
    Py_hash_t hash;
    PyObject *key; /* owned; NULL: an empty slot */
    long long product, sif;
} WordingEntry;

/* An entry's numbers stay below 2**40, so that a paragraph's sums (of fewer than 2**22 terms) never overflow
 * and, below 2**53, convert to doubles exactly; larger ones are left to the Python function. */
#define WORDING_ENTRY_MAX (1LL << 40)
#define WORDING_EXACT (1LL << 53)

static PyObject *wording_of = NULL; /* the _WORDING the table was made of (owned) */
static Py_ssize_t wording_size = -1;
static WordingEntry *wording_table = NULL;
static size_t wording_mask = 0;
static int wording_state = 0; /* 1: made; 0: _WORDING is not a dict of str -> (int, int) in range */

static void wording_free(void) {
    if (wording_table)
        for (size_t i = 0; i <= wording_mask; i++) Py_XDECREF(wording_table[i].key);
    PyMem_Free(wording_table);
    wording_table = NULL;
    wording_mask = 0;
    wording_state = 0;
}

/* 1 when the table of `lexicon` is made, 0 when it cannot be (wording goes to Python then), -1 on error */
static int wording_made(PyObject *lexicon) {
    if (!PyDict_CheckExact(lexicon)) return 0;
    if (lexicon == wording_of && PyDict_GET_SIZE(lexicon) == wording_size) return wording_state;
    wording_free();
    Py_INCREF(lexicon);
    Py_XSETREF(wording_of, lexicon);
    wording_size = PyDict_GET_SIZE(lexicon);
    size_t size = 16;
    while (size < 2 * (size_t)wording_size) size <<= 1;
    if (!(wording_table = PyMem_Calloc(size, sizeof(WordingEntry)))) {
        wording_size = -1;
        PyErr_NoMemory();
        return -1;
    }
    wording_mask = size - 1;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(lexicon, &pos, &key, &value)) {
        PyObject *product, *sif;
        long long a = 0, b = 0;
        int overflow_a = 0, overflow_b = 0;
        if (!PyUnicode_CheckExact(key) || !PyTuple_CheckExact(value) || PyTuple_GET_SIZE(value) != 2 ||
            !PyLong_CheckExact(product = PyTuple_GET_ITEM(value, 0)) ||
            !PyLong_CheckExact(sif = PyTuple_GET_ITEM(value, 1)) ||
            ((a = PyLong_AsLongLongAndOverflow(product, &overflow_a)), overflow_a) ||
            ((b = PyLong_AsLongLongAndOverflow(sif, &overflow_b)), overflow_b) || a >= WORDING_ENTRY_MAX ||
            a <= -WORDING_ENTRY_MAX || b >= WORDING_ENTRY_MAX || b <= -WORDING_ENTRY_MAX) {
            wording_free();
            return 0;
        }
        Py_hash_t hash = PyObject_Hash(key);
        if (hash == -1) {
            wording_free();
            wording_size = -1;
            return -1;
        }
        size_t i = (size_t)hash & wording_mask;
        while (wording_table[i].key) i = (i + 1) & wording_mask; /* (a dict's keys are distinct) */
        wording_table[i] =
            (WordingEntry){hash, Py_NewRef(key), a, b};
    }
    wording_state = 1;
    return 1;
}

/* wording: the mean of the paragraph's terms' lex, weighed by their sif (the products made in signals.py).
 * The sums are of integers, exact in any order; their quotient is correctly rounded, as Python's int / int
 * is, when both are below 2**53 (otherwise the Python function divides them). */
static int sig_wording(Call *call, Para *p, double *out) {
    int made = wording_made(call->got[N_WORDING]);
    if (made <= 0) return made < 0 ? -1 : FALLBACK;
    long long num = 0, den = 0;
    Py_ssize_t found = 0;
    PyObject *t;
    Py_hash_t hash;
    SetWalk walk = SET_WALK;
    int more;
    while ((more = set_next_hashed(p->terms, &walk, &t, &hash)) > 0) {
        if (!PyUnicode_CheckExact(t)) {
            SET_DONE(walk);
            return FALLBACK;
        }
        size_t i = (size_t)hash & wording_mask;
        for (WordingEntry *e; (e = &wording_table[i])->key; i = (i + 1) & wording_mask)
            if (e->hash == hash && same_str(e->key, t)) {
                num += e->product;
                den += e->sif;
                found++;
                break;
            }
    }
    if (more < 0) return -1;
    if (found >= (1 << 22) || num >= WORDING_EXACT || num <= -WORDING_EXACT || den >= WORDING_EXACT ||
        den <= -WORDING_EXACT)
        return FALLBACK;
    *out = den != 0 ? (double)num / (double)den : 0.0; /* num / den if den else 0.0 */
    return 0;
}

static int sig_dependence(Call *call, Para *p, double *out) {
    Py_ssize_t refs;
    int rc = count_of(p, K_BACKREF, &refs);
    if (rc) return rc;
    refs += p->field[R_PARA_REFS];
    *out = clamp(0.35 * (double)refs + (p->deictic ? 0.5 : 0.0));
    return 0;
}

static int sig_fit(Call *call, Para *p, double *out) {
    Py_ssize_t n = p->length;
    *out = n < 60 ? 0.0 : n < 200 ? (double)(n - 60) / 140.0 : n <= 1200 ? 1.0
                                   : max2(0.3, 1.0 - (double)(n - 1200) / 2000.0);
    return 0;
}

static int sig_too_short(Call *call, Para *p, double *out) {
    Py_ssize_t n = p->field[R_WORDS];
    *out = n < 12 ? 1.0 : n < 20 ? 0.5 : 0.0;
    return 0;
}

static int sig_boilerplate(Call *call, Para *p, double *out) {
    Py_ssize_t hits;
    int rc = count_of(p, K_BOILERPLATE, &hits);
    if (rc) return rc;
    if (!hits) {
        *out = 0.0;
        return 0;
    }
    double d = (double)hits / max2(1.0, (double)p->field[R_WORDS] / 25.0);
    *out = clamp(0.35 * (double)hits + 0.4 * d);
    return 0;
}

static int sig_procedure(Call *call, Para *p, double *out) {
    Py_ssize_t hits;
    int rc = count_of(p, K_PROCEDURE, &hits);
    if (rc) return rc;
    *out = clamp((double)hits / 3.0);
    return 0;
}

/* --- Cues in the text, checked by the regexes of signals.py ------------------------------------------ */

static int comment_of(Call *call, Para *p) {
    if (p->comment >= 0) return p->comment;
    Py_ssize_t head = p->length < 200 ? p->length : 200;
    facts(p);
    int maybe = p->comment_head;
    if (maybe) maybe = regex_finds(call->got[N_COMMENT], keys[K_SEARCH], p->text, 0, head, NULL);
    if (maybe >= 0) p->comment = maybe;
    return maybe;
}

static int sig_embassy_comment(Call *call, Para *p, double *out) {
    int found = comment_of(call, p);
    if (found < 0) return -1;
    *out = found ? 1.0 : 0.0;
    return 0;
}

static int sig_summary(Call *call, Para *p, double *out) {
    Py_ssize_t n = p->length, head = n < 400 ? n : 400, tail = n > 60 ? n - 60 : 0;
    facts(p);
    int maybe = p->summary_head || p->summary_tail;
    if (maybe) {
        maybe = regex_finds(call->got[N_SUMMARY], keys[K_SEARCH], p->text, 0, head, NULL);
        if (maybe == 0) maybe = regex_finds(call->got[N_SUMMARY], keys[K_SEARCH], p->text, tail, n, NULL);
        if (maybe < 0) return -1;
    }
    *out = maybe ? 1.0 : 0.0;
    return 0;
}

static int sig_reference_item(Call *call, Para *p, double *out) {
    PyObject *number = PyObject_GetAttr(p->para, keys[K_NUMBER]);
    if (!number) return -1;
    if (!PyUnicode_CheckExact(number)) {
        Py_DECREF(number);
        return FALLBACK;
    }
    int lettered = PyUnicode_GET_LENGTH(number) == 1 && Py_UNICODE_ISALPHA(PyUnicode_READ_CHAR(number, 0));
    Py_DECREF(number);
    int found = 0;
    if (lettered) {
        found = p->length < 80;
        if (!found) {
            Py_ssize_t head = p->length < 160 ? p->length : 160;
            if ((found = regex_finds(call->got[N_REFERENCE], keys[K_SEARCH], p->text, 0, head, NULL)) < 0)
                return -1;
        }
    }
    *out = found ? 1.0 : 0.0;
    return 0;
}

static int sig_redaction(Call *call, Para *p, double *out) {
    facts(p);
    if (!p->six_xs) { /* "XXXXXX" not in text and "xxxxxx" not in text */
        *out = 0.0;
        return 0;
    }
    Py_ssize_t runs = p->x_runs, words = p->field[R_WORDS];
    *out = clamp((double)(3 * runs) / (double)(words > 1 ? words : 1));
    return 0;
}

/* --- Portion marking -------------------------------------------------------------------------------- */

#define MARK_MAX 256

/* text upper-cased without spaces (str.upper().replace(" ", "")) into buf, for an ASCII str; 0 if it
 * is not ASCII or too long */
static int upper_squeezed(PyObject *s, char *buf, Py_ssize_t *len) {
    if (!PyUnicode_IS_ASCII(s) || PyUnicode_GET_LENGTH(s) >= MARK_MAX) return 0;
    const char *d = (const char *)PyUnicode_DATA(s);
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(s); i++) {
        char c = d[i];
        if (c == 0) return 0; /* (the C strings below would end there) */
        if (c == ' ') continue;
        buf[n++] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
    }
    buf[n] = 0;
    *len = n;
    return 1;
}

static int sig_marking(Call *call, Para *p, double *out) {
    char m[MARK_MAX];
    Py_ssize_t n = 0;
    PyObject *marking = PyObject_GetAttr(p->para, keys[K_MARKING]);
    if (!marking) return -1;
    if (marking != Py_None) {
        int ok = PyUnicode_CheckExact(marking) && upper_squeezed(marking, m, &n);
        Py_DECREF(marking);
        if (!ok) return FALLBACK;
    } else
        Py_DECREF(marking);
    if (!n && p->length && CH(p, 0) == '(') { /* a marking the parser left in the text */
        PyObject *lead = NULL;
        int found = regex_finds(call->got[N_LEADING_MARK], keys[K_MATCH], p->text, 0, p->length, &lead);
        if (found < 0) return -1;
        if (found) {
            PyObject *one = PyLong_FromLong(1);
            PyObject *group = one ? PyObject_CallMethodOneArg(lead, keys[K_GROUP], one) : NULL;
            Py_XDECREF(one);
            Py_DECREF(lead);
            if (!group) return -1;
            int ok = PyUnicode_CheckExact(group) && upper_squeezed(group, m, &n);
            Py_DECREF(group);
            if (!ok) return FALLBACK;
        } else
            Py_XDECREF(lead);
    }
    if (!n) {
        *out = 0.3;
        return 0;
    }
    int noforn = strstr(m, "NF") || strstr(m, "NOFORN");
    if (strncmp(m, "TS", 2) == 0)
        *out = 1.0;
    else if (strncmp(m, "SBU", 3) == 0)
        *out = 0.25;
    else if (m[0] == 'S')
        *out = noforn ? 1.0 : 0.85;
    else if (m[0] == 'C')
        *out = noforn ? 0.75 : 0.6;
    else if (m[0] == 'U')
        *out = strstr(m, "FOUO") ? 0.15 : 0.05;
    else
        *out = 0.3;
    return 0;
}

/* --- Distinctiveness -------------------------------------------------------------------------------- */

#define RAREST 10

/* Keep v among the `*kept` smallest values so far (at most RAREST), in increasing order */
static void keep_rarest(long long *values, Py_ssize_t *kept, long long v) {
    if (*kept == RAREST && v >= values[RAREST - 1]) return;
    Py_ssize_t i = *kept < RAREST ? (*kept)++ : RAREST - 1;
    for (; i > 0 && values[i - 1] > v; i--) values[i] = values[i - 1];
    values[i] = v;
}

/* distinctiveness from the rarest counts (kept > 0) and the paragraph total (> 1) */
static double rarest_distinctiveness(const long long *values, Py_ssize_t kept, long long total) {
    double logs[RAREST];
    for (Py_ssize_t i = 0; i < kept; i++) logs[i] = log1p((double)values[i]);
    double ceiling = log((double)(total + 1));
    double mean = (ceiling - sum_floats(logs, kept) / (double)kept) / ceiling;
    return clamp((mean - 0.5) / 0.4);
}

/* A term's count in df (0 when it lacks it) into *v; FALLBACK when it is not a plain count (or a
 * negative one, whose log1p is the Python's error) */
static int count_in(PyObject *df, PyObject *term, Py_hash_t hash, long long *v) {
    PyObject *count = _PyDict_GetItem_KnownHash(df, term, hash);
    *v = 0;
    if (!count) return PyErr_Occurred() ? -1 : 0;
    int overflow = 0;
    if (!PyLong_CheckExact(count)) return FALLBACK;
    *v = PyLong_AsLongLongAndOverflow(count, &overflow);
    return overflow || *v < 0 ? FALLBACK : 0;
}

static int sig_distinctiveness(Call *call, Para *p, double *out) {
    if (!call->total_fits) return FALLBACK;
    if (call->total_value <= 1 || PySet_GET_SIZE(p->terms) == 0) {
        *out = 0.0;
        return 0;
    }
    if (!PyDict_CheckExact(call->df)) return FALLBACK;
    /* _rarest(terms, df): the ten smallest counts (0 for a term df lacks), smallest first */
    long long values[RAREST];
    Py_ssize_t kept = 0;
    PyObject *term;
    SetWalk walk = SET_WALK;
    int more;
    Py_hash_t hash;
    /* (the set's own copy of each hash: the term itself, far away in memory, is not read) */
    while ((more = set_next_hashed(p->terms, &walk, &term, &hash)) > 0) {
        long long v;
        int rc = count_in(call->df, term, hash, &v);
        if (rc) {
            SET_DONE(walk);
            return rc;
        }
        keep_rarest(values, &kept, v);
    }
    if (more < 0) return -1;
    *out = rarest_distinctiveness(values, kept, call->total_value);
    return 0;
}

/* --- Who is speaking -------------------------------------------------------------------------------- */

/* position i of s is inside double quotation marks (_in_quotes) */
static int in_quotes(int kind, const void *data, Py_ssize_t i) {
    Py_ssize_t straight = 0, open = -1, close = -1;
    for (Py_ssize_t k = 0; k < i; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, k);
        if (c == '"')
            straight++;
        else if (c == LQ)
            open = k;
        else if (c == RQ)
            close = k;
    }
    return straight % 2 || open > close;
}

/* Whether w (a piece of `lower`), or w stripped of _PUNCTUATION, is one of _US_VERBS */
static int is_verb(Call *call, PyObject *lower, Py_ssize_t start, Py_ssize_t end) {
    PyObject *w = PyUnicode_Substring(lower, start, end);
    if (!w) return -1;
    int found = PySet_Contains(call->got[N_US_VERBS], w);
    Py_DECREF(w);
    if (found) return found;
    PyObject *strip = call->got[N_PUNCTUATION];
    int kind = PyUnicode_KIND(lower);
    const void *data = PyUnicode_DATA(lower);
    Py_ssize_t a = start, b = end;
    Py_ssize_t strip_n = PyUnicode_GET_LENGTH(strip);
    while (a < b) {
        Py_ssize_t at = PyUnicode_FindChar(strip, PyUnicode_READ(kind, data, a), 0, strip_n, 1);
        if (at == -2) return -1;
        if (at < 0) break;
        a++;
    }
    while (b > a) {
        Py_ssize_t at = PyUnicode_FindChar(strip, PyUnicode_READ(kind, data, b - 1), 0, strip_n, 1);
        if (at == -2) return -1;
        if (at < 0) break;
        b--;
    }
    if (a == start && b == end) return 0; /* nothing stripped: the same word */
    if (!(w = PyUnicode_Substring(lower, a, b))) return -1;
    found = PySet_Contains(call->got[N_US_VERBS], w);
    Py_DECREF(w);
    return found;
}

typedef struct {
    Py_ssize_t *at;
    Py_ssize_t n, size;
    Py_ssize_t small[32];
} Positions;

static int add_position(Positions *s, Py_ssize_t at) {
    for (Py_ssize_t i = 0; i < s->n; i++)
        if (s->at[i] == at) return 0;
    if (s->n == s->size) {
        Py_ssize_t *grown = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)s->size * 2);
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(grown, s->at, sizeof(Py_ssize_t) * (size_t)s->n);
        if (s->at != s->small) PyMem_Free(s->at);
        s->at = grown;
        s->size *= 2;
    }
    s->at[s->n++] = at;
    return 0;
}

/* text[start:end] is in a set of words */
static int piece_in(PyObject *set, PyObject *text, Py_ssize_t start, Py_ssize_t end) {
    PyObject *w = PyUnicode_Substring(text, start, end);
    if (!w) return -1;
    int in = PySet_Contains(set, w);
    Py_DECREF(w);
    return in;
}

/* str.istitle() and str.isalpha() of text[start:end] (unicodeobject.c's rules) */
static int piece_istitle(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    if (end - start == 1) {
        Py_UCS4 c = PyUnicode_READ(kind, data, start);
        return Py_UNICODE_ISTITLE(c) || Py_UNICODE_ISUPPER(c);
    }
    int cased = 0, previous_is_cased = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISUPPER(c) || Py_UNICODE_ISTITLE(c)) {
            if (previous_is_cased) return 0;
            previous_is_cased = cased = 1;
        } else if (Py_UNICODE_ISLOWER(c)) {
            if (!previous_is_cased) return 0;
            previous_is_cased = cased = 1;
        } else
            previous_is_cased = 0;
    }
    return cased;
}

static int piece_isalpha(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    if (end <= start) return 0;
    for (Py_ssize_t i = start; i < end; i++)
        if (!Py_UNICODE_ISALPHA(PyUnicode_READ(kind, data, i))) return 0;
    return 1;
}

/* _someone_elses(text, i): the last word of text[i - 40:i], ranks ("Deputy") left out, is capitalised and
 * not one of the US side's ("Chinese Ambassador", but not "The Ambassador"). */
static int someone_elses(Call *call, PyObject *text, Py_ssize_t i) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t start = i > 40 ? i - 40 : 0, end = i;
    for (;;) {
        while (end > start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1))) end--;
        if (end == start) return 0;
        Py_ssize_t b = end;
        while (b > start && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, b - 1))) b--;
        int rank = piece_in(call->got[N_RANKS], text, b, end);
        if (rank < 0) return -1;
        if (rank) {
            end = b;
            continue;
        }
        if (!piece_istitle(kind, data, b, end) || !piece_isalpha(kind, data, b, end)) return 0;
        int own = piece_in(call->got[N_US_OWN], text, b, end);
        return own < 0 ? -1 : !own;
    }
}

/* The verbs said after one subject word, everywhere it is in `lower` (the loop of _us_speaking). */
static int spoken_after(Call *call, PyObject *word, PyObject *lower, PyObject *text, int quoted,
                        Positions *spoken) {
    int kind = PyUnicode_KIND(lower);
    const void *data = PyUnicode_DATA(lower);
    Py_ssize_t n = PyUnicode_GET_LENGTH(lower), size = PyUnicode_GET_LENGTH(word);
    int anyones = PySet_Contains(call->got[N_ANYONES], word);
    if (anyones < 0) return -1;
    Py_ssize_t i = PyUnicode_Find(lower, word, 0, n, 1);
    while (i >= 0) {
        Py_ssize_t end = i + size;
        int whole = (i == 0 || !Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i - 1))) &&
                    !(end < n && Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, end)));
        if (whole && anyones) { /* "the Chinese Ambassador said", "Secretary General Ban said" */
            int elses = someone_elses(call, text, i);
            if (elses < 0) return -1;
            int general = end + 8 <= n;
            for (Py_ssize_t k = 0; general && k < 7; k++)
                general = PyUnicode_READ(kind, data, end + 1 + k) == (Py_UCS4)"general"[k];
            whole = !elses && !general;
        }
        if (whole && !(quoted && in_quotes(kind, data, i))) {
            Py_ssize_t stop = end + 40 < n ? end + 40 : n, k = end;
            for (int w = 0; w < 3; w++) { /* the first three words of lower[end:end + 40] */
                while (k < stop && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k))) k++;
                if (k >= stop) break;
                Py_ssize_t start = k;
                while (k < stop && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k))) k++;
                int verb = is_verb(call, lower, start, k);
                if (verb < 0) return -1;
                if (verb) { /* one verb, however many subjects before it: where after.find(w) finds it */
                    PyObject *w = PyUnicode_Substring(lower, start, k);
                    if (!w) return -1;
                    Py_ssize_t at = PyUnicode_Find(lower, w, end, stop, 1);
                    Py_DECREF(w);
                    if (at == -2 || add_position(spoken, at) < 0) return -1;
                    break;
                }
            }
        }
        i = PyUnicode_Find(lower, word, end, n, 1);
    }
    return i == -2 ? -1 : 0;
}

/* _US_TITLED of signals.py, written out: a title, then \s+ and a name of one or two capitalised words
 * ([A-Z][a-z\-]+). No title is the start of another, so at most one can match at a position. */
static const char *us_titles[] = {
    "A/S", "U/S", "DAS", "USD(P)", "Ambassador", "Amb.", "Senator", "Sen.", "Congressman", "Congresswoman",
    "Codel", "CODEL", "Deputy Secretary", "Under Secretary", "Secretary", "Special Envoy", NULL,
};

/* [A-Z][a-z\-]+ at i: its end, or -1 */
static Py_ssize_t capitalised_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    if (i >= n) return -1;
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (!(c >= 'A' && c <= 'Z')) return -1;
    Py_ssize_t j = i + 1;
    while (j < n && ((c = PyUnicode_READ(kind, data, j)) == '-' || (c >= 'a' && c <= 'z'))) j++;
    return j > i + 1 ? j : -1;
}

static Py_ssize_t spaces_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    while (i < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
    return i;
}

/* _US_TITLED.match(text, i): the match's end and its name's words, or -1 */
static Py_ssize_t us_titled_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, Py_ssize_t words[4]) {
    const char *title = NULL;
    for (const char **t = us_titles; *t && !title; t++) {
        Py_ssize_t k = 0;
        while ((*t)[k] && i + k < n && PyUnicode_READ(kind, data, i + k) == (Py_UCS4)(unsigned char)(*t)[k]) k++;
        if (!(*t)[k]) title = *t;
    }
    if (!title) return -1;
    Py_ssize_t j = i + (Py_ssize_t)strlen(title), k = spaces_at(kind, data, n, j);
    if (k == j) return -1;
    Py_ssize_t first = capitalised_at(kind, data, n, k);
    if (first < 0) return -1;
    words[0] = k;
    words[1] = first;
    Py_ssize_t gap = spaces_at(kind, data, n, first);
    Py_ssize_t second = gap > first ? capitalised_at(kind, data, n, gap) : -1;
    if (second < 0) {
        words[2] = words[3] = -1;
        return first;
    }
    words[2] = gap;
    words[3] = second;
    return second;
}

/* _us_names(cable): the lower-case names a US title introduces in the first paragraphs of the body */
static PyObject *us_names(Call *call) {
    Py_ssize_t introduced = PyLong_AsSsize_t(call->got[N_INTRODUCED_IN]);
    if (introduced == -1 && PyErr_Occurred()) return NULL;
    PyObject *names = PySet_New(NULL), *seq = PySequence_Fast(call->paragraphs, "paragraphs");
    if (!names || !seq) goto fail;
    for (Py_ssize_t i = 0, body = 0; i < PySequence_Fast_GET_SIZE(seq) && body < introduced; i++) {
        PyObject *para = PySequence_Fast_GET_ITEM(seq, i), *number = PyObject_GetAttr(para, keys[K_NUMBER]);
        if (!number) goto fail;
        int lettered = PyUnicode_Check(number) ? piece_isalpha(PyUnicode_KIND(number), PyUnicode_DATA(number), 0,
                                                               PyUnicode_GET_LENGTH(number))
                                               : -1;
        Py_DECREF(number);
        if (lettered) { /* the REF list's A, B... (or an odd number: the Python decides) */
            if (lettered < 0) goto python;
            continue;
        }
        body++;
        PyObject *text = PyObject_GetAttr(para, keys[K_TEXT]);
        if (!text) goto fail;
        Py_DECREF(text); /* the paragraph holds it */
        if (!PyUnicode_CheckExact(text)) goto python;
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t n = PyUnicode_GET_LENGTH(text), at = 0, words[4];
        while (at < n) {
            Py_UCS4 c = PyUnicode_READ(kind, data, at);
            Py_ssize_t end = c == 'A' || c == 'U' || c == 'D' || c == 'S' || c == 'C'
                                 ? us_titled_at(kind, data, n, at, words)
                                 : -1;
            if (end < 0) {
                at++;
                continue;
            }
            int elses = someone_elses(call, text, at); /* "Chinese Ambassador Zhang" */
            if (elses < 0) goto fail;
            at = end;
            if (elses) continue;
            PyObject *found[2] = {NULL, NULL};
            int ok = 1;
            for (int w = 0; w < 2 && ok; w++) {
                if (words[2 * w] < 0) continue;
                PyObject *piece = PyUnicode_Substring(text, words[2 * w], words[2 * w + 1]);
                if (!piece || !(found[w] = PyObject_CallMethodNoArgs(piece, keys[K_LOWER]))) {
                    Py_XDECREF(piece);
                    Py_XDECREF(found[0]);
                    goto fail;
                }
                Py_DECREF(piece);
                int a = PySet_Contains(call->got[N_NOT_NAMES], found[w]);
                int b = a == 0 ? PySet_Contains(call->got[N_TITLE_LOWER], found[w]) : a;
                if (a < 0 || b < 0) {
                    Py_XDECREF(found[0]);
                    Py_XDECREF(found[1]);
                    goto fail;
                }
                ok = !a && !b;
            }
            for (int w = 0; w < 2; w++) {
                if (ok && found[w] && PySet_Add(names, found[w]) < 0) ok = -1;
                Py_XDECREF(found[w]);
            }
            if (ok < 0) goto fail;
        }
    }
    Py_DECREF(seq);
    PyObject *result = PyFrozenSet_New(names);
    Py_DECREF(names);
    return result;
python:
    Py_DECREF(seq);
    Py_DECREF(names);
    {
        PyObject *function = PyDict_GetItemString(space, "_us_names");
        if (!function) {
            PyErr_SetString(PyExc_RuntimeError, "bot.picks.signals has no _us_names");
            return NULL;
        }
        return PyObject_CallOneArg(function, call->cable);
    }
fail:
    Py_XDECREF(seq);
    Py_XDECREF(names);
    return NULL;
}

#define LOWER_BODY(T)                                                                                    \
    {                                                                                                    \
        const T *d = (const T *)p->data;                                                                 \
        T *out = (T *)PyUnicode_DATA(lower);                                                             \
        for (Py_ssize_t i = 0; i < n; i++) out[i] = d[i] >= 'A' && d[i] <= 'Z' ? d[i] + 32 : d[i];      \
    }

/* text.lower(). str.lower() changes only upper and title case characters (the test suite checks that
 * fact of Unicode): without a non-ASCII one, it lowers the ASCII letters and nothing else, which is done
 * here; otherwise (final sigmas, "İ" that becomes two characters...) str.lower() does it. */
static PyObject *lowered(Para *p) {
    Py_ssize_t n = p->length;
    if (!PyUnicode_IS_ASCII(p->text))
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = CH(p, i);
            if (c >= 128 && (Py_UNICODE_ISUPPER(c) || Py_UNICODE_ISTITLE(c)))
                return PyObject_CallMethodNoArgs(p->text, keys[K_LOWER]);
        }
    PyObject *lower = PyUnicode_New(n, PyUnicode_IS_ASCII(p->text) ? 127 : PyUnicode_MAX_CHAR_VALUE(p->text));
    if (!lower) return NULL;
    switch (p->kind) {
    case PyUnicode_1BYTE_KIND:
        LOWER_BODY(Py_UCS1)
        break;
    case PyUnicode_2BYTE_KIND:
        LOWER_BODY(Py_UCS2)
        break;
    default:
        LOWER_BODY(Py_UCS4)
    }
    return lower;
}

static Py_ssize_t us_speaking(Call *call, Para *p) {
    if (p->us_speaking >= 0) return p->us_speaking;
    PyObject *names = call->names, *w;
    int named = 0, more = 0;
    if (!p->field[R_US_SIDE]) {
        SetWalk walk = SET_WALK;
        while (!named && (more = set_next(names, &walk, &w)) > 0)
            named = PySet_Contains(p->terms, w);
        SET_DONE(walk);
        if (named < 0 || more < 0) return -1;
        if (!named) return p->us_speaking = 0;
    }
    PyObject *lower = lowered(p);
    if (!lower) return -1;
    Positions spoken = {NULL, 0, 32};
    spoken.at = spoken.small;
    Py_ssize_t n = PyUnicode_GET_LENGTH(lower), result = -1;
    PyObject *subjects = PyList_New(0);
    if (!subjects) goto done;
    PyObject *both[2] = {call->got[N_US_SPEAKER_TERMS], names};
    for (int s = 0; s < 2; s++) {
        SetWalk walk = SET_WALK;
        while ((more = set_next(both[s], &walk, &w)) > 0) {
            int in = PySet_Contains(p->terms, w);
            if (in < 0 || (in && PyList_Append(subjects, w) < 0)) {
                SET_DONE(walk);
                goto done;
            }
        }
        if (more < 0) goto done;
    }
    int we = contains(lower, keys[K_WE_SPACED], 0, n), slash, usdp, quoted;
    if (we == 0) we = PyUnicode_Tailmatch(lower, keys[K_WE_START], 0, n, -1);
    if (we < 0 || (we && PyList_Append(subjects, keys[K_WE]) < 0)) goto done;
    if ((slash = contains(lower, keys[K_SLASH_S], 0, n)) < 0) goto done;
    if (slash && (PyList_Append(subjects, keys[K_AS]) < 0 || PyList_Append(subjects, keys[K_US]) < 0)) goto done;
    if ((usdp = contains(lower, keys[K_USDP], 0, n)) < 0) goto done;
    if (usdp && PyList_Append(subjects, keys[K_USDP]) < 0) goto done;
    quoted = PyUnicode_FindChar(lower, '"', 0, n, 1) >= 0 || PyUnicode_FindChar(lower, LQ, 0, n, 1) >= 0;
    PyObject *text = PyUnicode_GET_LENGTH(p->text) == n ? p->text : lower;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(subjects); i++)
        if (spoken_after(call, PyList_GET_ITEM(subjects, i), lower, text, quoted, &spoken) < 0) goto done;
    result = p->us_speaking = spoken.n;
done:
    Py_XDECREF(subjects);
    Py_DECREF(lower);
    if (spoken.at != spoken.small) PyMem_Free(spoken.at);
    return result;
}

static int sig_us_talking_points(Call *call, Para *p, double *out) {
    Py_ssize_t speaking = us_speaking(call, p);
    if (speaking < 0) return -1;
    if (!speaking) {
        *out = 0.0;
        return 0;
    }
    int comment = comment_of(call, p);
    if (comment < 0) return -1;
    *out = comment ? 0.0 : clamp((double)speaking / (double)p->field[R_SENTENCES] * 1.5);
    return 0;
}

static int sig_judgement(Call *call, Para *p, double *out) {
    Py_ssize_t hits = shared_with_terms(call->got[N_JUDGING], p->terms);
    if (hits < 0) return -1;
    if (!hits) {
        *out = 0.0;
        return 0;
    }
    Py_ssize_t speaking = us_speaking(call, p);
    if (speaking < 0) return -1;
    *out = speaking ? 0.0 : clamp(0.5 * (double)hits);
    return 0;
}

typedef int (*SignalFunction)(Call *, Para *, double *);
static const SignalFunction signal_functions[N_SIGNALS] = {
    sig_quotation, sig_named_people, sig_figures, sig_candour, sig_request_or_deal, sig_embassy_comment,
    sig_marking, sig_distinctiveness, sig_fit, sig_dependence, sig_boilerplate, sig_procedure,
    sig_us_talking_points, sig_redaction, sig_summary, sig_too_short, sig_reference_item, sig_hearsay,
    sig_judgement, sig_novelty, sig_wording,
};

/* --- score() ---------------------------------------------------------------------------------------- */

static int fields_for(PyObject *type) {
    if (type == reading_type) return 0;
    PyObject *fields = PyObject_GetAttrString(type, "_fields");
    if (!fields) return -1;
    if (!PyTuple_Check(fields)) {
        Py_DECREF(fields);
        PyErr_SetString(PyExc_TypeError, "signals.Reading._fields is not a tuple");
        return -1;
    }
    for (int f = 0; f < N_FIELDS; f++) {
        field_at[f] = -1;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(fields); i++)
            if (PyUnicode_Check(PyTuple_GET_ITEM(fields, i)) &&
                PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(fields, i), field_names[f]) == 0)
                field_at[f] = i;
        if (field_at[f] < 0) {
            Py_DECREF(fields);
            PyErr_Format(PyExc_TypeError, "signals.Reading has no field %s", field_names[f]);
            return -1;
        }
    }
    Py_DECREF(fields);
    Py_INCREF(type);
    Py_XSETREF(reading_type, type);
    return 0;
}

/* Set up a paragraph; 1 if its reading is not one this module can read (its signals go to Python) */
static int para_init(Para *p, Py_ssize_t index, PyObject *para, PyObject *reading) {
    memset(p, 0, sizeof(Para));
    p->index = index;
    p->para = para;
    p->reading = reading;
    p->us_speaking = -1;
    p->comment = -1;
    if (!(p->text = PyObject_GetAttr(para, keys[K_TEXT]))) return -1;
    Py_DECREF(p->text); /* the paragraph (immutable) holds it */
    if (!PyUnicode_CheckExact(p->text) || Py_TYPE(reading) != (PyTypeObject *)reading_type) return FALLBACK;
    p->kind = PyUnicode_KIND(p->text);
    p->data = PyUnicode_DATA(p->text);
    p->length = PyUnicode_GET_LENGTH(p->text);
    for (int f = 0; f < N_FIELDS; f++) {
        PyObject *v = PyTuple_GET_ITEM(reading, field_at[f]);
        if (f == R_COUNTS) {
            if (!PyDict_Check(v)) return FALLBACK;
            p->counts = v;
        } else if (f == R_TERMS) {
            if (!PyFrozenSet_CheckExact(v)) return FALLBACK;
            p->terms = v;
        } else if (f == R_DEICTIC) {
            if ((p->deictic = PyObject_IsTrue(v)) < 0) return -1;
        } else {
            if (!PyLong_CheckExact(v)) return FALLBACK;
            if ((p->field[f] = PyLong_AsSsize_t(v)) == -1 && PyErr_Occurred()) return -1;
        }
    }
    if (p->field[R_SENTENCES] == 0) return FALLBACK; /* the Python's ZeroDivisionError, if it comes to that */
    return 0;
}

static PyObject *passage_of(Call *call, Para *p) {
    if (!p->passage)
        p->passage = PyObject_CallFunction(call->got[N_PASSAGE], "OOnOOO", p->para, call->cable, p->index,
                                           call->df, call->total, p->reading);
    return p->passage;
}

/* round(weight * value, 3) of Python objects, for what a Python signal returned */
static PyObject *python_share(PyObject *weight, PyObject *value) {
    PyObject *product = PyNumber_Multiply(weight, value);
    if (!product) return NULL;
    PyObject *three = PyLong_FromLong(3);
    PyObject *share = three ? PyObject_CallFunctionObjArgs(builtin_round, product, three, NULL) : NULL;
    Py_XDECREF(three);
    Py_DECREF(product);
    return share;
}

static PyObject *scoring_score(PyObject *module, PyObject *args) {
    PyObject *cable, *readings, *df, *total, *plan, *boost, *boost_weight;
    int raw = 0;
    if (!PyArg_ParseTuple(args, "OOOOO!OO|p:score", &cable, &readings, &df, &total, &PyTuple_Type, &plan, &boost,
                          &boost_weight, &raw))
        return NULL;
    if (!space) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks._scoring is not bound: call bind(signals globals)");
        return NULL;
    }
    Call call = {{NULL}, cable, NULL, df, total, NULL, NULL, NULL, 0, 0, 0, 0};
    int speakers = 0; /* a signal that asks who is speaking is computed here */
    PyObject *result = NULL, *seq = NULL;
    Py_ssize_t n_plan = PyTuple_GET_SIZE(plan);
    /* the plan: (name, weight, how), how a signal's index in SIGNALS or a Python signal */
    double *weights = PyMem_Calloc((size_t)n_plan + 1, sizeof(double));
    int *codes = PyMem_Calloc((size_t)n_plan + 1, sizeof(int));
    double *shares = PyMem_Calloc((size_t)n_plan + 2, sizeof(double));
    if (!weights || !codes || !shares) {
        PyErr_NoMemory();
        goto done;
    }
    for (int i = 0; i < N_NAMES; i++) {
        PyObject *v = PyDict_GetItemWithError(space, keys_in_space[i]);
        if (!v) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_RuntimeError, "bot.picks.signals has no %s", names_in_space[i]);
            goto done;
        }
        Py_INCREF(v);
        call.got[i] = v;
    }
    for (int i = N_US_SPEAKER_TERMS; i <= N_TITLE_LOWER; i++)
        if (i != N_PUNCTUATION && (i < N_COMMENT || i > N_LEADING_MARK) && !PyAnySet_Check(call.got[i])) {
            PyErr_Format(PyExc_TypeError, "signals.%s is not a set", names_in_space[i]);
            goto done;
        }
    if (!PyUnicode_Check(call.got[N_PUNCTUATION]) || !PyType_Check(call.got[N_READING]) ||
        fields_for(call.got[N_READING]) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "signals' tables are not what _scoring expects");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_plan; i++) {
        PyObject *step = PyTuple_GET_ITEM(plan, i);
        if (!PyTuple_Check(step) || PyTuple_GET_SIZE(step) != 3 || !PyUnicode_Check(PyTuple_GET_ITEM(step, 0))) {
            PyErr_SetString(PyExc_TypeError, "plan items must be (name, weight, signal index or function)");
            goto done;
        }
        PyObject *how = PyTuple_GET_ITEM(step, 2);
        codes[i] = -1;
        if (PyLong_CheckExact(how)) {
            long code = PyLong_AsLong(how);
            if (code < 0 || code >= N_SIGNALS) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no such compiled signal");
                goto done;
            }
            codes[i] = (int)code;
            speakers |= code == S_US_TALKING_POINTS || code == S_JUDGEMENT;
            PyObject *w = PyTuple_GET_ITEM(step, 1);
            if (!PyFloat_CheckExact(w) && !PyLong_CheckExact(w)) {
                PyErr_SetString(PyExc_TypeError, "a compiled signal's weight must be a float or an int");
                goto done;
            }
            if ((weights[i] = PyFloat_AsDouble(w)) == -1.0 && PyErr_Occurred()) goto done;
        } else if (!PyCallable_Check(how)) {
            PyErr_SetString(PyExc_TypeError, "plan items must be (name, weight, signal index or function)");
            goto done;
        }
    }
    if (PyLong_CheckExact(total)) {
        int overflow = 0;
        call.total_value = PyLong_AsLongLongAndOverflow(total, &overflow);
        if (call.total_value == -1 && PyErr_Occurred()) goto done;
        call.total_fits = !overflow && call.total_value < (1LL << 53);
    }
    if (!(call.paragraphs = PyObject_GetAttr(cable, keys[K_PARAGRAPHS]))) goto done;
    if (!(seq = PySequence_Fast(call.paragraphs, "a cable's paragraphs must be a sequence"))) goto done;
    if (speakers) { /* the cable's US people (_us_names), once for all its paragraphs */
        if (!(call.names = us_names(&call))) goto done;
        if (!PyAnySet_Check(call.names)) {
            PyErr_SetString(PyExc_TypeError, "signals._us_names() must return a set");
            goto done;
        }
    }
    PyObject *read_seq = PySequence_Fast(readings, "readings must be a sequence");
    if (!read_seq) goto done;
    call.readings = read_seq;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (PySequence_Fast_GET_SIZE(read_seq) != n) {
        PyErr_SetString(PyExc_ValueError, "one reading per paragraph");
        Py_DECREF(read_seq);
        goto done;
    }
    if (!(result = PyList_New(n))) {
        Py_DECREF(read_seq);
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Para p;
        PyObject *reasons = PyDict_New(), *item = NULL;
        int odd = reasons ? para_init(&p, i, PySequence_Fast_GET_ITEM(seq, i), PySequence_Fast_GET_ITEM(read_seq, i))
                          : -1;
        int all_floats = 1;
        Py_ssize_t n_shares = 0;
        if (odd < 0) goto failed;
        for (Py_ssize_t s = 0; s < n_plan; s++) {
            PyObject *step = PyTuple_GET_ITEM(plan, s), *name = PyTuple_GET_ITEM(step, 0);
            int rc = FALLBACK;
            double value;
            if (codes[s] >= 0 && !odd && (rc = signal_functions[codes[s]](&call, &p, &value)) < 0) goto failed;
            if (rc == 0) {
                PyObject *v;
                double share;
                if (raw) {
                    if (!(v = PyFloat_FromDouble(value)) || PyDict_SetItem(reasons, name, v) < 0) {
                        Py_XDECREF(v);
                        goto failed;
                    }
                    Py_DECREF(v);
                    continue;
                }
                if (!value) continue;
                if (round3(weights[s] * value, &share) < 0) goto failed;
                if (!share) continue;
                if (!(v = PyFloat_FromDouble(share)) || PyDict_SetItem(reasons, name, v) < 0) {
                    Py_XDECREF(v);
                    goto failed;
                }
                Py_DECREF(v);
                shares[n_shares++] = share;
                continue;
            }
            /* its Python function */
            PyObject *function = PyTuple_GET_ITEM(step, 2), *passage, *value_obj, *share;
            if (PyLong_CheckExact(function)) { /* a compiled signal handing this paragraph back */
                PyObject *signals = PyDict_GetItemString(space, "SIGNALS");
                if (!signals || !(function = PyDict_GetItemWithError(signals, name))) {
                    if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, name);
                    goto failed;
                }
            }
            if (!(passage = passage_of(&call, &p))) goto failed;
            if (!(value_obj = PyObject_CallOneArg(function, passage))) goto failed;
            if (raw) {
                rc = PyDict_SetItem(reasons, name, value_obj);
                Py_DECREF(value_obj);
                if (rc < 0) goto failed;
                continue;
            }
            int truth = PyObject_IsTrue(value_obj);
            if (truth <= 0) {
                Py_DECREF(value_obj);
                if (truth < 0) goto failed;
                continue;
            }
            share = python_share(PyTuple_GET_ITEM(step, 1), value_obj);
            Py_DECREF(value_obj);
            if (!share || (truth = PyObject_IsTrue(share)) < 0) {
                Py_XDECREF(share);
                goto failed;
            }
            if (truth) {
                if (PyDict_SetItem(reasons, name, share) < 0) {
                    Py_DECREF(share);
                    goto failed;
                }
                if (PyFloat_CheckExact(share))
                    shares[n_shares++] = PyFloat_AS_DOUBLE(share);
                else
                    all_floats = 0;
            }
            Py_DECREF(share);
        }
        if (raw) {
            Py_XDECREF(p.passage);
            PyList_SET_ITEM(result, i, reasons);
            continue;
        }
        if (boost != Py_None) { /* len(boost.findall(text)) times the boost's weight */
            PyObject *found = PyObject_CallMethodOneArg(boost, keys[K_FINDALL], p.text), *hits, *share;
            if (!found) goto failed;
            Py_ssize_t count = PyObject_Length(found);
            Py_DECREF(found);
            if (count < 0 || !(hits = PyLong_FromSsize_t(count))) goto failed;
            share = python_share(boost_weight, hits);
            Py_DECREF(hits);
            int truth = share ? PyObject_IsTrue(share) : -1;
            if (truth < 0 || (truth && PyDict_SetItemString(reasons, "boost", share) < 0)) {
                Py_XDECREF(share);
                goto failed;
            }
            if (truth) {
                if (PyFloat_CheckExact(share))
                    shares[n_shares++] = PyFloat_AS_DOUBLE(share);
                else
                    all_floats = 0;
            }
            Py_DECREF(share);
        }
        PyObject *value;
        if (PyDict_GET_SIZE(reasons) == 0) /* round(sum([]), 3): the int 0 */
            value = PyLong_FromLong(0);
        else if (all_floats) {
            double v;
            if (round3(sum_floats(shares, n_shares), &v) < 0) goto failed;
            value = PyFloat_FromDouble(v);
        } else { /* round(sum(reasons.values()), 3) of whatever they are */
            PyObject *values = PyDict_Values(reasons), *three = PyLong_FromLong(3), *total_obj = NULL;
            PyObject *sum = PyDict_GetItemString(PyEval_GetBuiltins(), "sum");
            if (values && three && sum) total_obj = PyObject_CallOneArg(sum, values);
            value = total_obj ? PyObject_CallFunctionObjArgs(builtin_round, total_obj, three, NULL) : NULL;
            Py_XDECREF(values);
            Py_XDECREF(three);
            Py_XDECREF(total_obj);
        }
        if (!value) goto failed;
        item = PyTuple_Pack(2, value, reasons);
        Py_DECREF(value);
        if (!item) goto failed;
        Py_DECREF(reasons);
        Py_XDECREF(p.passage);
        PyList_SET_ITEM(result, i, item);
        continue;
    failed:
        Py_XDECREF(reasons);
        if (odd >= 0) Py_XDECREF(p.passage);
        Py_DECREF(read_seq);
        Py_CLEAR(result);
        goto done;
    }
    Py_DECREF(read_seq);
done:
    for (int i = 0; i < N_NAMES; i++) Py_XDECREF(call.got[i]);
    Py_XDECREF(call.paragraphs);
    Py_XDECREF(call.names);
    PyMem_Free(call.held);
    Py_XDECREF(seq);
    PyMem_Free(weights);
    PyMem_Free(codes);
    PyMem_Free(shares);
    return result;
}

/* --- finish() --------------------------------------------------------------------------------------- */

/* The distinctiveness of distinct terms (signals.corpus_distinctiveness), given as a list or tuple: in C
 * for a plain dict of counts and a total that fits, the Python's answer otherwise */
static int terms_distinctiveness(PyObject *terms, PyObject *df, PyObject *total, long long total_value,
                                 int total_fits, double *out) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(terms);
    if (total_fits && (total_value <= 1 || n == 0)) {
        *out = 0.0;
        return 0;
    }
    if (total_fits && PyDict_CheckExact(df)) {
        long long values[RAREST];
        Py_ssize_t kept = 0;
        int rc = 0;
        for (Py_ssize_t i = 0; i < n && !rc; i++) {
            PyObject *term = PySequence_Fast_GET_ITEM(terms, i);
            Py_hash_t hash = PyObject_Hash(term); /* (cached in the str: counting the batch hashed it) */
            long long v;
            if (hash == -1) return -1;
            if (!(rc = count_in(df, term, hash, &v))) keep_rarest(values, &kept, v);
        }
        if (rc < 0) return -1;
        if (!rc) {
            *out = rarest_distinctiveness(values, kept, total_value);
            return 0;
        }
    }
    PyObject *function = PyDict_GetItemString(space, "corpus_distinctiveness"), *value;
    if (!function) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks.signals has no corpus_distinctiveness");
        return -1;
    }
    if (!(value = PyObject_CallFunctionObjArgs(function, terms, df, total, NULL))) return -1;
    *out = PyFloat_AsDouble(value);
    Py_DECREF(value);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *scoring_finish(PyObject *module, PyObject *args) {
    PyObject *terms, *df, *total, *slots, *result = NULL;
    Py_ssize_t at, width, n;
    double weight, *row = NULL, *kept;
    long long total_value = 0;
    int total_fits = 0;
    Py_buffer shares;
    if (!PyArg_ParseTuple(args, "y*O!OOO!nd:finish", &shares, &PyList_Type, &terms, &df, &total, &PyTuple_Type,
                          &slots, &at, &weight))
        return NULL;
    width = PyTuple_GET_SIZE(slots);
    n = PyList_GET_SIZE(terms);
    if (!space) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks._scoring is not bound: call bind(signals globals)");
        goto done;
    }
    if (width == 0 || at >= width || shares.len != (Py_ssize_t)sizeof(double) * width * n) {
        PyErr_SetString(PyExc_ValueError, "finish(): shares must hold len(slots) doubles per paragraph");
        goto done;
    }
    if (PyLong_CheckExact(total)) {
        int overflow = 0;
        total_value = PyLong_AsLongLongAndOverflow(total, &overflow);
        if (total_value == -1 && PyErr_Occurred()) goto done;
        total_fits = !overflow && total_value < (1LL << 53);
    }
    if (!(row = PyMem_Calloc(2 * (size_t)width, sizeof(double)))) {
        PyErr_NoMemory();
        goto done;
    }
    kept = row + width;
    if (!(result = PyList_New(n))) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *paragraph_terms = PyList_GET_ITEM(terms, i), *reasons = NULL, *value = NULL, *item = NULL;
        Py_ssize_t n_kept = 0;
        memcpy(row, (const char *)shares.buf + sizeof(double) * width * i, sizeof(double) * width);
        if (at >= 0) { /* the share of distinctiveness, as score() rounds it */
            double d;
            PyObject *seq = PySequence_Fast(paragraph_terms, "finish(): a paragraph's terms must be iterable");
            int rc = seq ? terms_distinctiveness(seq, df, total, total_value, total_fits, &d) : -1;
            Py_XDECREF(seq);
            if (rc < 0) goto failed;
            row[at] = 0.0;
            if (d && round3(weight * d, &row[at]) < 0) goto failed;
        }
        if (!(reasons = PyDict_New())) goto failed;
        for (Py_ssize_t s = 0; s < width; s++) { /* the shares kept: not zero */
            if (!row[s]) continue;
            PyObject *v = PyFloat_FromDouble(row[s]);
            if (!v || PyDict_SetItem(reasons, PyTuple_GET_ITEM(slots, s), v) < 0) {
                Py_XDECREF(v);
                goto failed;
            }
            Py_DECREF(v);
            kept[n_kept++] = row[s];
        }
        if (n_kept == 0) /* round(sum([]), 3): the int 0 */
            value = PyLong_FromLong(0);
        else {
            double v;
            if (round3(sum_floats(kept, n_kept), &v) < 0) goto failed;
            value = PyFloat_FromDouble(v);
        }
        if (value) item = PyTuple_Pack(2, value, reasons);
        Py_XDECREF(value);
        Py_DECREF(reasons);
        if (!item) goto cleared;
        PyList_SET_ITEM(result, i, item);
        continue;
    failed:
        Py_XDECREF(reasons);
    cleared:
        Py_CLEAR(result);
        break;
    }
done:
    PyMem_Free(row);
    PyBuffer_Release(&shares);
    return result;
}

static PyObject *scoring_round3(PyObject *module, PyObject *x) {
    double v = PyFloat_AsDouble(x), r;
    if (v == -1.0 && PyErr_Occurred()) return NULL;
    if (round3(v, &r) < 0) return NULL;
    return PyFloat_FromDouble(r);
}

static PyObject *scoring_sum(PyObject *module, PyObject *values) {
    PyObject *seq = PySequence_Fast(values, "sum_floats takes a sequence of floats");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    double *v = PyMem_Calloc((size_t)n + 1, sizeof(double));
    if (!v) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if ((v[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i))) == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            PyMem_Free(v);
            return NULL;
        }
    PyObject *r = PyFloat_FromDouble(sum_floats(v, n));
    Py_DECREF(seq);
    PyMem_Free(v);
    return r;
}

/* reasons_json(reasons): bot.picks.persist's "{" + ",".join(f'"{name}":{share!r}' ...) + "}", the names
 * written as they are (plain identifiers), a float as its repr. */
static PyObject *scoring_reasons_json(PyObject *module, PyObject *reasons) {
    if (!PyDict_Check(reasons)) {
        PyErr_SetString(PyExc_TypeError, "reasons_json() takes a dict");
        return NULL;
    }
    size_t size = 2, used = 0;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    /* first the lengths: 3 quote, colon and comma, a key, and at most 32 for a float's repr */
    while (PyDict_Next(reasons, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyUnicode_IS_ASCII(key) || !PyFloat_CheckExact(value)) {
            /* anything else: as the Python writes it */
            PyObject *persist = PyImport_ImportModule("bot.picks.persist"), *r = NULL;
            if (persist) {
                r = PyObject_CallMethod(persist, "_reasons_json_python", "O", reasons);
                Py_DECREF(persist);
            }
            return r;
        }
        size += 4 + (size_t)PyUnicode_GET_LENGTH(key) + 32;
    }
    char *out = PyMem_Malloc(size);
    if (!out) return PyErr_NoMemory();
    out[used++] = '{';
    pos = 0;
    while (PyDict_Next(reasons, &pos, &key, &value)) {
        if (used > 1) out[used++] = ',';
        out[used++] = '"';
        memcpy(out + used, PyUnicode_DATA(key), (size_t)PyUnicode_GET_LENGTH(key));
        used += (size_t)PyUnicode_GET_LENGTH(key);
        out[used++] = '"';
        out[used++] = ':';
        char *r = PyOS_double_to_string(PyFloat_AS_DOUBLE(value), 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!r) {
            PyMem_Free(out);
            return NULL;
        }
        size_t n = strlen(r);
        if (n > 32) { /* (a float's repr is at most 24 characters) */
            PyMem_Free(r);
            PyMem_Free(out);
            PyErr_SetString(PyExc_RuntimeError, "a float's repr is longer than expected");
            return NULL;
        }
        memcpy(out + used, r, n);
        used += n;
        PyMem_Free(r);
    }
    out[used++] = '}';
    PyObject *text = PyUnicode_DecodeASCII(out, (Py_ssize_t)used, NULL);
    PyMem_Free(out);
    return text;
}

static PyObject *scoring_bind(PyObject *module, PyObject *globals) {
    if (!PyDict_Check(globals)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes the globals() of bot.picks.signals");
        return NULL;
    }
    Py_INCREF(globals);
    Py_XSETREF(space, globals);
    Py_CLEAR(reading_type);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"score", scoring_score, METH_VARARGS,
     "score(cable, readings, df, total, plan, boost, boost_weight, raw=False) -> list of "
     "(value, reasons), one per paragraph: bot.picks.score's shares and value, the signals of the plan "
     "given by an index in SIGNALS computed here, the others by their Python function. With raw, each "
     "signal's value instead (a dict per paragraph, zeros too, no boost)."},
    {"finish", scoring_finish, METH_VARARGS,
     "finish(shares, terms, df, total, slots, at, weight) -> list of (value, reasons), one per paragraph: "
     "the shares prepared for each paragraph (bytes, len(slots) doubles each), with distinctiveness's "
     "(at: its slot, -1 for none) computed from the paragraph's distinct terms (terms: one list, or any "
     "iterable, per paragraph), kept, added and rounded as score() does."},
    {"bind", scoring_bind, METH_O,
     "bind(globals): score with the word lists, regexes and helpers of this namespace (bot.picks.signals)."},
    {"reasons_json", scoring_reasons_json, METH_O,
     "reasons_json(reasons) -> str: bot.picks.persist.reasons_json(), in C."},
    {"round3", scoring_round3, METH_O, "round(x, 3), as score() rounds (for tests)."},
    {"sum_floats", scoring_sum, METH_O, "sum(values) of floats, as score() adds them (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_scoring", "bot.picks.score's signals in C: see _scoring.c.", -1, methods,
};

PyMODINIT_FUNC PyInit__scoring(void) {
    for (const char *c = "Xx\"&'uUoO"; *c; c++) NOTED[(unsigned char)*c] = 1;
    for (int i = 0; i < N_NAMES; i++)
        if (!(keys_in_space[i] = PyUnicode_InternFromString(names_in_space[i]))) return NULL;
    for (int i = 0; i < N_KEYS; i++)
        if (!(keys[i] = PyUnicode_InternFromString(key_strings[i]))) return NULL;
    PyObject *builtins = PyImport_ImportModule("builtins");
    if (!builtins) return NULL;
    builtin_round = PyObject_GetAttrString(builtins, "round");
    Py_DECREF(builtins);
    if (!builtin_round) return NULL;
    PyObject *module = PyModule_Create(&module_def), *names = PyTuple_New(N_SIGNALS);
    if (!module || !names) goto fail;
    for (int i = 0; i < N_SIGNALS; i++) {
        PyObject *s = PyUnicode_InternFromString(signal_names[i]);
        if (!s) goto fail;
        PyTuple_SET_ITEM(names, i, s);
    }
    /* What signals.py expects of this module: it ignores a build of another version rather than fail. */
    if (PyModule_AddObjectRef(module, "SIGNALS", names) < 0 || PyModule_AddIntConstant(module, "API", 3) < 0)
        goto fail;
    Py_DECREF(names);
    return module;
fail:
    Py_XDECREF(names);
    Py_XDECREF(module);
    return NULL;
}
