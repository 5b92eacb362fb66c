/* bot.picks._reading: read() of bot.picks.signals in one pass over the text, in C.
 *
 * The Python read() in signals.py is the reference: this module must give an identical Reading for
 * every text (tests/picks/test_reading_speedups.py checks it on the whole corpus and on generated text).
 * It is only faster: the text is walked once, each word is lower-cased into a buffer and looked up in
 * a C hash table keyed by its bytes, so that no Python string is made for a word seen before.
 *
 * What is known about a word is never decided here. The word lists, and what a word is (a term, a
 * numeral, in which lists under which root), live in signals.py: a word never seen is handed to its
 * `_learn`, and what this module caches about it is read back from signals.py's tables (`_terms`,
 * `_numerals`, `_listed`, `_names`, the phrase and title tables). Those tables are looked up on every
 * call, and the cache is emptied whenever one of them is a different object or `_known` has shrunk, so
 * editing the word lists needs no change here.
 *
 * The rare regular expression (`_PARA_NUMBER`, with its cheap pre-test) is run by calling back into
 * Python. `_AMOUNT` and `_DOUBLE_QUOTED` are common (a quarter of the paragraphs each), so their
 * matching is written out here, on `text.lower()` exactly as the Python does; `_AMOUNT` falls back to
 * the regex if a unit word is ever something other than letters and digits. text.lower() itself is
 * only called for a text with a non-ASCII upper or title case letter: without one, lowering changes
 * nothing but ASCII letters (the test suite checks that fact of Unicode), so the words and quotes of
 * the lowered text are those of the text.
 *
 * `rarest` is the core of `distinctiveness`: the ten smallest paragraph frequencies of a set of terms.
 *
 * Threads and re-entry: the cache is used by one call at a time. A call from another thread while a
 * call is in a callback (`_learn` is Python: the GIL may pass) waits for it to finish; a call within
 * the call itself (a finaliser run by the garbage collector) reads with the Python read().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <string.h>

/* --- Facts about a word, cached ------------------------------------------------------------------- */

enum {
    F_TERM = 1 << 0,        /* in _terms */
    F_NUMERAL = 1 << 1,     /* in _numerals */
    F_LISTED = 1 << 2,      /* in _listed: _names has its (list, root) pairs */
    F_TITLE_LOWER = 1 << 3, /* in _TITLE_LOWER */
    F_US_SUBJECT = 1 << 4,  /* in _US_SUBJECTS_SLASHED */
    F_US_VERB = 1 << 5,     /* in _US_VERBS */
    F_DEICTIC = 1 << 6,     /* in _DEICTIC_WORDS */
    F_UNIT = 1 << 7,        /* in _UNIT_WORDS */
    F_PARA = 1 << 8,        /* in _PARA_WORDS */
    F_PHRASE_KEY = 1 << 9,  /* in _PHRASE_KEYS */
};

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

#define INLINE 24 /* a word this short is compared in its entry: one cache line, no pointer to follow */

typedef struct {
    uint64_t hash;
    PyObject *word;  /* the lower-case word (an ASCII str, owned); NULL: an empty slot */
    PyObject *names; /* _names[word] (owned) when listed, else NULL */
    uint64_t stamp;  /* the call that last saw it: a word counts once per text */
    uint32_t flags;
    uint32_t len;
    char key[INLINE]; /* the word's first bytes */
} Entry;

static Entry *table = NULL;
static size_t capacity = 0, used = 0;
static uint64_t calls = 0;
static int busy = 0;           /* a read() is using the cache (it may be in a callback into Python) */
static unsigned long owner = 0; /* the thread of that read() */
static Py_ssize_t known_seen = 0; /* len(_known) at the end of the last call */

/* A hash of a word's bytes, taken eight at a time (little-endian, the last eight padded with zeros):
 * words are short, one or two rounds. The scan computes the same while it reads (see SCAN_BODY). */
#define HASH_START 0x9E3779B97F4A7C15ULL
static inline uint64_t hash_round(uint64_t h, uint64_t chunk) {
    h = (h ^ chunk) * 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 31);
}
static inline uint64_t hash_end(uint64_t h, Py_ssize_t len) {
    h = (h ^ (uint64_t)len) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}
static uint64_t hash_bytes(const char *s, Py_ssize_t len) {
    uint64_t h = HASH_START, chunk = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        chunk |= (uint64_t)(unsigned char)s[i] << (8 * (i & 7));
        if ((i & 7) == 7) {
            h = hash_round(h, chunk);
            chunk = 0;
        }
    }
    if (len & 7) h = hash_round(h, chunk);
    return hash_end(h, len);
}

static inline int same_bytes(const char *a, const char *b, Py_ssize_t len) {
    for (Py_ssize_t i = 0; i < len; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* The same as same_bytes, eight bytes at a time, for a word of the scan's buffers (which have room to read
 * past their end, see SLACK) against an entry's key. */
#define SLACK 8
static inline int same_word(const char *key, const char *word, Py_ssize_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    Py_ssize_t k = 0;
    uint64_t a, b;
    for (; k + 8 <= len; k += 8) {
        memcpy(&a, key + k, 8);
        memcpy(&b, word + k, 8);
        if (a != b) return 0;
    }
    if (k == len) return 1;
    memcpy(&a, key + k, 8);
    memcpy(&b, word + k, 8);
    return ((a ^ b) << (8 * (8 - (len - k)))) == 0; /* only the word's own bytes (the first in memory) */
#else
    return same_bytes(key, word, len);
#endif
}

static void flush(void) {
    for (size_t i = 0; i < capacity; i++) {
        Py_CLEAR(table[i].word);
        Py_CLEAR(table[i].names);
    }
    if (table) memset(table, 0, capacity * sizeof(Entry));
    used = 0;
}

static Entry *probe(const char *s, Py_ssize_t len, uint64_t h) {
    if (!table) return NULL;
    size_t mask = capacity - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        Entry *e = &table[i];
        if (!e->word) return NULL;
        if (e->hash == h && e->len == (uint32_t)len &&
            (len <= INLINE ? same_bytes(e->key, s, len)
                           : memcmp(PyUnicode_DATA(e->word), s, (size_t)len) == 0))
            return e;
    }
}

static Entry *slot_for(uint64_t h) {
    size_t mask = capacity - 1;
    size_t i = (size_t)h & mask;
    while (table[i].word) i = (i + 1) & mask;
    return &table[i];
}

/* probe() for a word of the scan's buffers. */
static inline Entry *probe_scanned(const char *s, Py_ssize_t len, uint64_t h) {
    size_t mask = capacity - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        Entry *e = &table[i];
        if (!e->word) return NULL;
        if (e->hash == h && e->len == (uint32_t)len &&
            (len <= INLINE ? same_word(e->key, s, len)
                           : memcmp(PyUnicode_DATA(e->word), s, (size_t)len) == 0))
            return e;
    }
}

/* A new entry for word (a reference is taken); may move every entry (the table grows). */
static Entry *insert(PyObject *word, uint64_t h) {
    if (!table || (used + 1) * 3 > capacity * 2) {
        size_t grown = capacity ? capacity * 2 : 1 << 14;
        Entry *old = table;
        size_t old_capacity = capacity;
        table = PyMem_Calloc(grown, sizeof(Entry));
        if (!table) {
            table = old;
            PyErr_NoMemory();
            return NULL;
        }
        capacity = grown;
        for (size_t i = 0; i < old_capacity; i++)
            if (old[i].word) *slot_for(old[i].hash) = old[i];
        PyMem_Free(old);
    }
    Entry *e = slot_for(h);
    Py_INCREF(word);
    e->word = word;
    e->names = NULL;
    e->hash = h;
    e->len = (uint32_t)PyUnicode_GET_LENGTH(word);
    memcpy(e->key, PyUnicode_DATA(word), e->len < INLINE ? e->len : INLINE);
    e->stamp = 0;
    e->flags = 0;
    used++;
    return e;
}

/* --- The tables of signals.py, looked up on every call ---------------------------------------------- */

static PyObject *space = NULL; /* the globals() of bot.picks.signals */

enum {
    T_KNOWN, T_TERMS, T_NUMERALS, T_LISTED, T_NAMES, T_MEMO, T_TITLE_LOWER, T_TITLE_WORDS, T_US_SUBJECTS,
    T_US_VERBS, T_DEICTIC, T_UNITS, T_PARA_WORDS, T_PHRASE_KEYS, T_PHRASES, T_LISTS, T_READING, N_TABLES
};
static const char *table_names[N_TABLES] = {
    "_known", "_terms", "_numerals", "_listed", "_names", "_memo", "_TITLE_LOWER", "_TITLE_WORDS",
    "_US_SUBJECTS_SLASHED", "_US_VERBS", "_DEICTIC_WORDS", "_UNIT_WORDS", "_PARA_WORDS", "_PHRASE_KEYS",
    "_PHRASES", "_LISTS", "Reading",
};
static PyObject *table_keys[N_TABLES];
static PyObject *tables[N_TABLES]; /* owned: the objects the cache was filled from */
static int units_are_words = 0;    /* every unit word is letters/digits/_ not starting with a digit */
static PyObject *zero_counts = NULL; /* dict.fromkeys(_LISTS, 0): a copy of it is every call's counts */

static int check_units(PyObject *units) {
    PyObject *it = PyObject_GetIter(units), *u;
    if (!it) return -1;
    int ok = 1;
    while ((u = PyIter_Next(it))) {
        if (!PyUnicode_Check(u) || PyUnicode_GET_LENGTH(u) == 0 ||
            Py_UNICODE_ISDECIMAL(PyUnicode_READ_CHAR(u, 0)))
            ok = 0;
        else
            for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(u); i++) {
                Py_UCS4 c = PyUnicode_READ_CHAR(u, i);
                if (!(Py_UNICODE_ISALNUM(c) || c == '_')) ok = 0;
            }
        Py_DECREF(u);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : ok;
}

/* Bring `tables` up to date with signals.py; empty the cache if any of them is a new object. */
static int refresh(void) {
    int changed = 0;
    for (int i = 0; i < N_TABLES; i++) {
        PyObject *t = PyDict_GetItemWithError(space, table_keys[i]);
        if (!t) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_RuntimeError, "bot.picks.signals has no %s", table_names[i]);
            return -1;
        }
        if (t != tables[i]) {
            changed = 1;
            Py_INCREF(t);
            Py_XSETREF(tables[i], t);
        }
    }
    if (changed) {
        for (int i = T_KNOWN; i <= T_LISTED; i++)
            if (!PySet_Check(tables[i])) goto wrong;
        for (int i = T_TITLE_LOWER; i <= T_PHRASE_KEYS; i++)
            if (!PyAnySet_Check(tables[i])) goto wrong;
        if (!PyDict_Check(tables[T_NAMES]) || !PyDict_Check(tables[T_MEMO]) ||
            !PyDict_Check(tables[T_PHRASES]) || !PyTuple_Check(tables[T_LISTS]) ||
            !PyType_Check(tables[T_READING]) ||
            !PyType_IsSubtype((PyTypeObject *)tables[T_READING], &PyTuple_Type))
            goto wrong;
        if ((units_are_words = check_units(tables[T_UNITS])) < 0) goto forget;
        Py_CLEAR(zero_counts);
        PyObject *zero = PyLong_FromLong(0);
        if (!zero) goto forget;
        zero_counts = PyObject_CallMethod((PyObject *)&PyDict_Type, "fromkeys", "OO", tables[T_LISTS], zero);
        Py_DECREF(zero);
        if (!zero_counts) goto forget;
        flush();
    }
    Py_ssize_t known = PySet_GET_SIZE(tables[T_KNOWN]);
    if (known > 1000000) { /* signals.read() starts again past this bound: so do we */
        PyDict_Clear(tables[T_MEMO]);
        PyDict_Clear(tables[T_NAMES]);
        for (int i = T_KNOWN; i <= T_LISTED; i++)
            if (PySet_Clear(tables[i]) < 0) return -1;
        known = 0;
    }
    if (known < known_seen) flush(); /* the tables were emptied: what was learnt must be learnt again */
    return 0;
wrong:
    PyErr_SetString(PyExc_TypeError, "bot.picks.signals' tables are not of the types _reading expects");
forget: /* so that the next call checks them again */
    for (int i = 0; i < N_TABLES; i++) Py_CLEAR(tables[i]);
    flush();
    return -1;
}

/* --- One pass over the text ---------------------------------------------------------------------------- */

typedef struct {
    Py_ssize_t off, len; /* in the buffers */
    Py_ssize_t pos;      /* in the text */
    uint64_t hash;
    Entry *e;
} Token;

typedef struct {
    char *lower;   /* " word word word ": the Python's f" {' '.join(lower)} " */
    char *orig;    /* the same words as written */
    Py_ssize_t at; /* length used in both */
    Token *tokens;
    Py_ssize_t n;
    Py_ssize_t *quotes; /* where the text has " “ or ” */
    Py_ssize_t n_quotes;
    Py_ssize_t sentences; /* ". " and "? " */
    Py_ssize_t money;     /* $ % € £ */
    int quoted;           /* a straight or opening curly double quote */
    int cased;            /* a non-ASCII upper or title case letter: text.lower() changes more than ASCII */
} Scan;

enum { C_SEP = 0, C_ALNUM = 1, C_HYPHEN = 2, C_MARK = 3 };
static unsigned char CLASS[256];
static unsigned char LOWER[128];   /* ASCII lower case */
static unsigned char IN_WORD[128]; /* a letter, digit or hyphen: goes on a word once it has begun */

static void init_classes(void) {
    for (int c = '0'; c <= '9'; c++) CLASS[c] = C_ALNUM;
    for (int c = 'A'; c <= 'Z'; c++) CLASS[c] = CLASS[c + 32] = C_ALNUM;
    CLASS['-'] = C_HYPHEN;
    for (int c = 0; c < 128; c++) {
        LOWER[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        IN_WORD[c] = CLASS[c] == C_ALNUM || c == '-';
    }
    const char *marks = ".?$%\"";
    for (const char *m = marks; *m; m++) CLASS[(unsigned char)*m] = C_MARK;
    CLASS[0xA3] = C_MARK; /* £ */
    for (int c = 0x80; c < 0x100; c++)
        if (Py_UNICODE_ISUPPER(c) || Py_UNICODE_ISTITLE(c)) CLASS[c] = C_MARK;
}

/* The words of `words()`: runs of ASCII letters, digits and hyphens, less their leading hyphens; every
 * other character (any non-ASCII one too) separates. Notes the sentence ends, money signs and double
 * quotes on the way, and whether text.lower() would change anything but ASCII letters.
 * A word is read to its end in an inner loop of its own: one unforeseen branch per word (where it ends)
 * rather than one at each change between word and separator in a single loop. */
#define SCAN_BODY(CHAR)                                                                              \
    {                                                                                                \
        const CHAR *d = (const CHAR *)data;                                                          \
        Py_ssize_t i = 0;                                                                            \
        while (i < length) {                                                                         \
            Py_UCS4 c = d[i];                                                                        \
            int class = c < 256 ? CLASS[c] : C_MARK;                                                 \
            if (class == C_ALNUM) {                                                                  \
                Token *t = &s->tokens[s->n++];                                                       \
                char *lower = s->lower + s->at, *orig = s->orig + s->at;                             \
                uint64_t h = HASH_START, chunk = 0;                                                  \
                int shift = 0;                                                                       \
                Py_ssize_t k = 0;                                                                    \
                t->off = s->at;                                                                      \
                t->pos = i;                                                                          \
                do {                                                                                 \
                    unsigned char l = LOWER[c];                                                      \
                    chunk |= (uint64_t)l << shift;                                                   \
                    if ((shift += 8) == 64) {                                                        \
                        h = hash_round(h, chunk);                                                    \
                        chunk = 0;                                                                   \
                        shift = 0;                                                                   \
                    }                                                                                \
                    lower[k] = (char)l;                                                              \
                    orig[k++] = (char)c;                                                             \
                } while (i + k < length && (c = d[i + k]) < 128 && IN_WORD[c]);                     \
                t->len = k;                                                                          \
                t->hash = hash_end(shift ? hash_round(h, chunk) : h, k);                             \
                lower[k] = orig[k] = ' ';                                                            \
                s->at += k + 1;                                                                      \
                i += k;                                                                              \
                continue;                                                                            \
            }                                                                                        \
            if (class == C_MARK) switch (c) {                                                        \
            case '.':                                                                                \
            case '?':                                                                                \
                if (i + 1 < length && d[i + 1] == ' ') s->sentences++;                               \
                break;                                                                               \
            case '$':                                                                                \
            case '%':                                                                                \
            case 0x20AC:                                                                             \
            case 0xA3:                                                                               \
                s->money++;                                                                          \
                break;                                                                               \
            case '"':                                                                                \
            case 0x201C:                                                                             \
                s->quoted = 1;                                                                       \
                s->quotes[s->n_quotes++] = i;                                                        \
                break;                                                                               \
            case 0x201D:                                                                             \
                s->quotes[s->n_quotes++] = i;                                                        \
                break;                                                                               \
            default:                                                                                 \
                if (c >= 128 && (Py_UNICODE_ISUPPER(c) || Py_UNICODE_ISTITLE(c))) s->cased = 1;      \
            }                                                                                        \
            i++;                                                                                     \
        }                                                                                            \
    }

static void scan(Scan *s, int kind, const void *data, Py_ssize_t length) {
    s->lower[0] = s->orig[0] = ' ';
    s->at = 1;
    if (kind == PyUnicode_1BYTE_KIND)
        SCAN_BODY(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        SCAN_BODY(Py_UCS2)
    else
        SCAN_BODY(Py_UCS4)
}

/* str.isupper() of text[:300]: some cased character, and none lower or title case. */
static int shouting(int kind, const void *data, Py_ssize_t length) {
    int cased = 0;
    if (length > 300) length = 300;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128) {
            if (c >= 'a' && c <= 'z') return 0;
            if (c >= 'A' && c <= 'Z') cased = 1;
        } else {
            if (Py_UNICODE_ISLOWER(c) || Py_UNICODE_ISTITLE(c)) return 0;
            if (Py_UNICODE_ISUPPER(c)) cased = 1;
        }
    }
    return cased;
}

/* str.istitle() of a word of ASCII letters, digits and hyphens. */
static int istitle(const char *w, Py_ssize_t len) {
    int previous_cased = 0, cased = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        char c = w[i];
        if (c >= 'A' && c <= 'Z') {
            if (previous_cased) return 0;
            previous_cased = cased = 1;
        } else if (c >= 'a' && c <= 'z') {
            if (!previous_cased) return 0;
            previous_cased = cased = 1;
        } else
            previous_cased = 0;
    }
    return cased;
}

/* --- Learning new words ------------------------------------------------------------------------------- */

static int contains(int table_index, PyObject *word, uint32_t flag, uint32_t *flags) {
    int found = PySet_Contains(tables[table_index], word);
    if (found < 0) return -1;
    if (found) *flags |= flag;
    return 0;
}

/* What signals.py's tables say about a word it has learnt. */
static int fill(Entry *e) {
    uint32_t flags = 0;
    PyObject *w = e->word;
    if (contains(T_TERMS, w, F_TERM, &flags) || contains(T_NUMERALS, w, F_NUMERAL, &flags) ||
        contains(T_LISTED, w, F_LISTED, &flags) || contains(T_TITLE_LOWER, w, F_TITLE_LOWER, &flags) ||
        contains(T_US_SUBJECTS, w, F_US_SUBJECT, &flags) || contains(T_US_VERBS, w, F_US_VERB, &flags) ||
        contains(T_DEICTIC, w, F_DEICTIC, &flags) || contains(T_UNITS, w, F_UNIT, &flags) ||
        contains(T_PARA_WORDS, w, F_PARA, &flags) || contains(T_PHRASE_KEYS, w, F_PHRASE_KEY, &flags))
        return -1;
    if (flags & F_LISTED) {
        PyObject *names = PyDict_GetItemWithError(tables[T_NAMES], w);
        if (!names) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, w);
            return -1;
        }
        if (!PyTuple_Check(names)) {
            PyErr_SetString(PyExc_TypeError, "_names values must be tuples of (list, root)");
            return -1;
        }
        Py_INCREF(names);
        e->names = names;
    }
    e->flags = flags;
    return 0;
}

static PyObject *ascii_str(const char *s, Py_ssize_t len) {
    PyObject *o = PyUnicode_New(len, 127);
    if (o) memcpy(PyUnicode_DATA(o), s, (size_t)len);
    return o;
}

/* Every word of the text gets its entry; words never seen are learnt by signals._learn first. */
static int look_up(Scan *s) {
    PyObject *fresh = NULL, *learn = NULL;
    int inserted = 0;
    for (Py_ssize_t i = 0; i < s->n; i++) {
        Token *t = &s->tokens[i];
        if (i + 8 < s->n && table) PREFETCH(&table[(size_t)t[8].hash & (capacity - 1)]);
        t->e = table ? probe_scanned(s->lower + t->off, t->len, t->hash) : NULL;
        if (t->e) continue;
        PyObject *w = ascii_str(s->lower + t->off, t->len);
        if (!w) goto error;
        if (!fresh && !(fresh = PyList_New(0))) {
            Py_DECREF(w);
            goto error;
        }
        Entry *e = insert(w, t->hash); /* its facts to come, once learnt */
        inserted = 1;
        if (!e || PyList_Append(fresh, w) < 0) {
            Py_DECREF(w);
            goto error;
        }
        Py_DECREF(w);
    }
    if (!inserted) return 0;
    /* Every word new to the cache is learnt, even one in _known already: learning again is harmless,
     * and its facts are then those of a _learn that has finished (one in another thread may not have). */
    learn = PyDict_GetItemString(space, "_learn");
    if (!learn) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks.signals has no _learn");
        goto error;
    }
    Py_INCREF(learn);
    PyObject *r = PyObject_CallOneArg(learn, fresh);
    Py_CLEAR(learn);
    if (!r) goto error;
    Py_DECREF(r);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(fresh); i++) {
        PyObject *w = PyList_GET_ITEM(fresh, i);
        const char *b = (const char *)PyUnicode_DATA(w);
        Py_ssize_t len = PyUnicode_GET_LENGTH(w);
        Entry *e = probe(b, len, hash_bytes(b, len));
        if (!e) { /* cannot be: nothing else uses the cache during a call */
            PyErr_SetString(PyExc_RuntimeError, "_reading: a word left the cache while it was learnt");
            goto error;
        }
        if (fill(e) < 0) goto error;
    }
    Py_DECREF(fresh);
    for (Py_ssize_t i = 0; i < s->n; i++) { /* the table may have moved */
        Token *t = &s->tokens[i];
        t->e = probe(s->lower + t->off, t->len, t->hash);
    }
    return 0;
error:
    Py_XDECREF(fresh);
    if (inserted) flush(); /* entries without their facts must not stay */
    return -1;
}

/* --- The rarer counts -------------------------------------------------------------------------------- */

/* Character classes of Python's re for str patterns (\d, \s, \w), ASCII first. */
static inline int is_decimal(Py_UCS4 c) { return c < 128 ? c >= '0' && c <= '9' : Py_UNICODE_ISDECIMAL(c); }
static inline int is_space(Py_UCS4 c) {
    return c < 128 ? c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F) : Py_UNICODE_ISSPACE(c);
}
static inline int is_word(Py_UCS4 c) { return c < 128 ? CLASS[c] == C_ALNUM || c == '_' : Py_UNICODE_ISALNUM(c); }

/* _us_side(): how often a US subject is followed within three words by a US verb. `said` lists the
 * words that count (the text's words, less those in double quotes); a subject must be one of the text's
 * words, which every word of `said` is unless text.lower() made it (see us_side_lowered). */
typedef struct {
    char subject, verb;
} Said;

static Py_ssize_t us_side_of(const Said *said, Py_ssize_t n) {
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!said[i].subject) continue;
        for (Py_ssize_t j = i + 1; j <= i + 3 && j < n; j++)
            if (said[j].verb) {
                found++;
                break;
            }
    }
    return found;
}

/* The spans _DOUBLE_QUOTED.sub(" ", ...) removes, “[^“”]*” or "[^"]*", from where the quotes are
 * (ascending): as pairs of positions, into spans; returns how many. */
static Py_ssize_t quoted_spans(int kind, const void *data, const Py_ssize_t *quotes, Py_ssize_t n,
                               Py_ssize_t *spans) {
    Py_ssize_t found = 0, end = -1;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t i = quotes[k];
        if (i <= end) continue;
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == 0x201D) continue;
        for (Py_ssize_t m = k + 1; m < n; m++) {
            Py_UCS4 d = PyUnicode_READ(kind, data, quotes[m]);
            if (c == '"' ? d != '"' : d == '"') continue; /* the span's own kind of quote ends it */
            if (c == '"' || d == 0x201D) {
                spans[2 * found] = i;
                spans[2 * found++ + 1] = end = quotes[m];
            }
            break;
        }
    }
    return found;
}

/* us_side when text.lower() changes nothing but ASCII letters: the words of the lowered text are the
 * text's own words, and the quoted spans are where they are in the text. */
static Py_ssize_t us_side_scanned(Scan *s, int kind, const void *data, int quoted) {
    Said small[512], *said = s->n <= 512 ? small : PyMem_Malloc(sizeof(Said) * (size_t)s->n);
    Py_ssize_t small_spans[64], *spans = s->n_quotes <= 64 ? small_spans : PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)s->n_quotes);
    Py_ssize_t found = -1, n = 0;
    if (!said || !spans) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n_spans = quoted ? quoted_spans(kind, data, s->quotes, s->n_quotes, spans) : 0, span = 0;
    for (Py_ssize_t i = 0; i < s->n; i++) {
        Token *t = &s->tokens[i];
        while (span < n_spans && spans[2 * span + 1] < t->pos) span++;
        if (span < n_spans && spans[2 * span] < t->pos) continue; /* inside quotes */
        said[n].subject = (t->e->flags & F_US_SUBJECT) != 0;
        said[n++].verb = (t->e->flags & F_US_VERB) != 0;
    }
    found = us_side_of(said, n);
done:
    if (said != small) PyMem_Free(said);
    if (spans != small_spans) PyMem_Free(spans);
    return found;
}

/* A word of the lowered text: a subject if it is one of the text's words, a verb if a US verb. */
static int said_word(const char *w, Py_ssize_t len, uint64_t stamp, Said *out) {
    Entry *e = probe(w, len, hash_bytes(w, len));
    if (e) {
        out->subject = (e->flags & F_US_SUBJECT) && e->stamp == stamp;
        out->verb = (e->flags & F_US_VERB) != 0;
        return 0;
    }
    /* not a word of the text as read (text.lower() can make ASCII of other letters, K to k) */
    PyObject *o = ascii_str(w, len);
    if (!o) return -1;
    int verb = PySet_Contains(tables[T_US_VERBS], o);
    Py_DECREF(o);
    if (verb < 0) return -1;
    out->subject = 0;
    out->verb = (char)verb;
    return 0;
}

/* us_side for any text: the words of text.lower(), less the quoted spans, read again. */
static Py_ssize_t us_side_lowered(PyObject *lowered, uint64_t stamp) {
    int kind = PyUnicode_KIND(lowered);
    const void *data = PyUnicode_DATA(lowered);
    Py_ssize_t length = PyUnicode_GET_LENGTH(lowered);
    Said *said = PyMem_Malloc(sizeof(Said) * (size_t)(length / 2 + 2));
    char *word = PyMem_Malloc((size_t)length + 1);
    Py_ssize_t n = 0, found = -1;
    if (!said || !word) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t wl = 0;
    for (Py_ssize_t i = 0; i <= length; i++) {
        Py_UCS4 c = i < length ? PyUnicode_READ(kind, data, i) : ' ';
        if (c == 0x201C || c == '"') { /* “[^“”]*” or "[^"]*": the span is one separator */
            Py_ssize_t j = i + 1;
            Py_UCS4 d = 0;
            for (; j < length; j++) {
                d = PyUnicode_READ(kind, data, j);
                if (c == '"' ? d == '"' : (d == 0x201C || d == 0x201D)) break;
            }
            if (j < length && (c == '"' || d == 0x201D)) i = j;
            c = ' ';
        }
        if (c < 128 && (CLASS[c] == C_ALNUM || (c == '-' && wl)))
            word[wl++] = (char)c;
        else if (wl) {
            if (said_word(word, wl, stamp, &said[n++]) < 0) goto done;
            wl = 0;
        }
    }
    found = us_side_of(said, n);
done:
    PyMem_Free(said);
    PyMem_Free(word);
    return found;
}

/* Whether the word characters text[k:m] (lower-cased: `lower` says if that is still to do) are a unit. */
static int is_unit(PyObject *text, int kind, const void *data, Py_ssize_t k, Py_ssize_t m, int lower) {
    char small[64];
    Py_ssize_t len = m - k;
    if (len <= 64) {
        Py_ssize_t i = 0;
        for (; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, k + i);
            if (c >= 128) break;
            small[i] = (char)(lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        if (i == len) {
            Entry *e = probe(small, len, hash_bytes(small, len));
            if (e) return (e->flags & F_UNIT) != 0;
        }
    }
    PyObject *unit = PyUnicode_Substring(text, k, m);
    if (unit && lower) Py_SETREF(unit, PyObject_CallMethod(unit, "lower", NULL));
    if (!unit) return -1;
    int found = PySet_Contains(tables[T_UNITS], unit);
    Py_DECREF(unit);
    return found;
}

/* len(_AMOUNT.findall(text.lower())): a decimal digit, more digits, commas and points, spaces, then a
 * unit word ending at a word boundary. Since every unit is made of word characters, the unit is the
 * whole run of word characters after the spaces; a failed attempt fails at every digit of its run.
 * `lower`: the text is not lowered yet, and lowering would change only its ASCII letters. */
static Py_ssize_t amounts_in(PyObject *text, int lower) {
    if (!units_are_words) {
        PyObject *pattern = PyDict_GetItemString(space, "_AMOUNT"), *lowered, *found;
        if (!pattern) {
            PyErr_SetString(PyExc_RuntimeError, "bot.picks.signals has no _AMOUNT");
            return -1;
        }
        if (!(lowered = lower ? PyObject_CallMethod(text, "lower", NULL) : Py_NewRef(text))) return -1;
        found = PyObject_CallMethod(pattern, "findall", "O", lowered);
        Py_DECREF(lowered);
        if (!found) return -1;
        Py_ssize_t n = PyObject_Length(found);
        Py_DECREF(found);
        return n;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), found = 0, i = 0;
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!is_decimal(c)) {
            i++;
            continue;
        }
        Py_ssize_t j = i + 1;
        while (j < length && ((c = PyUnicode_READ(kind, data, j)) == ',' || c == '.' || is_decimal(c))) j++;
        Py_ssize_t k = j;
        while (k < length && is_space(PyUnicode_READ(kind, data, k))) k++;
        Py_ssize_t m = k;
        while (m < length && is_word(PyUnicode_READ(kind, data, m))) m++;
        if (m > k) {
            int unit = is_unit(text, kind, data, k, m, lower);
            if (unit < 0) return -1;
            if (unit) {
                found++;
                i = m;
                continue;
            }
        }
        i = j;
    }
    return found;
}

static Py_ssize_t para_refs_in(PyObject *text) {
    PyObject *pattern = PyDict_GetItemString(space, "_PARA_NUMBER");
    if (!pattern) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks.signals has no _PARA_NUMBER");
        return -1;
    }
    PyObject *found = PyObject_CallMethod(pattern, "findall", "O", text);
    if (!found) return -1;
    Py_ssize_t n = PyObject_Length(found);
    Py_DECREF(found);
    return n;
}

/* --- read() ------------------------------------------------------------------------------------------- */

/* The position of a word list's name in _LISTS. */
static Py_ssize_t list_index(PyObject *name) {
    PyObject *lists = tables[T_LISTS];
    Py_ssize_t n = PyTuple_GET_SIZE(lists);
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyTuple_GET_ITEM(lists, i) == name) return i;
    for (Py_ssize_t i = 0; i < n; i++) {
        int eq = PyObject_RichCompareBool(PyTuple_GET_ITEM(lists, i), name, Py_EQ);
        if (eq < 0) return -1;
        if (eq) return i;
    }
    PyErr_SetObject(PyExc_KeyError, name);
    return -1;
}

/* Whether needle occurs in haystack (memmem, which not every C library has). */
static int has_bytes(const char *haystack, Py_ssize_t n, const char *needle, Py_ssize_t k) {
    if (k == 0) return 1;
    for (const char *p = haystack, *end = haystack + n - k + 1; p < end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p) return 0;
        if (memcmp(p, needle, (size_t)k) == 0) return 1;
    }
    return 0;
}

/* Whether a phrase, " first second " (phrase and words from _PHRASES under the key word at tokens[at],
 * its first place in the text), is in the padded words: as the words are padded with single spaces, that
 * is whether the two words are next to each other somewhere, looked for where the key word is. */
static int phrase_in(const Scan *s, Py_ssize_t at, const char *p, Py_ssize_t plen) {
    Py_ssize_t mid = -1;
    if (plen >= 3 && p[0] == ' ' && p[plen - 1] == ' ')
        for (Py_ssize_t k = 1; k < plen - 1 && mid != -2; k++)
            if (p[k] == ' ') mid = mid == -1 ? k : -2;
    if (mid < 0) return has_bytes(s->lower, s->at, p, plen); /* not two words: as a string */
    const char *a = p + 1, *b = p + mid + 1;
    Py_ssize_t a_len = mid - 1, b_len = plen - mid - 2;
    if (!a_len || !b_len) return 0; /* the padded words never have two spaces in a row */
    const Token *t = s->tokens;
    const char *key = s->lower + t[at].off;
    Py_ssize_t key_len = t[at].len, n = s->n;
    int first = key_len == a_len && same_bytes(key, a, a_len);
    int second = key_len == b_len && same_bytes(key, b, b_len);
    if (!first && !second) return has_bytes(s->lower, s->at, p, plen);
    for (Py_ssize_t i = at; i < n; i++) {
        if (t[i].e != t[at].e) continue;
        if (first && i + 1 < n && t[i + 1].len == b_len && same_bytes(s->lower + t[i + 1].off, b, b_len)) return 1;
        if (second && i > 0 && t[i - 1].len == a_len && same_bytes(s->lower + t[i - 1].off, a, a_len)) return 1;
    }
    return 0;
}

typedef struct {
    Py_ssize_t list;
    PyObject *root; /* borrowed from an entry's names */
} Root;

#define SMALL 2048

static PyObject *read_python(PyObject *text) {
    PyObject *fallback = PyDict_GetItemString(space, "_read_python");
    if (!fallback) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks.signals has no _read_python");
        return NULL;
    }
    Py_INCREF(fallback);
    PyObject *r = PyObject_CallOneArg(fallback, text);
    Py_DECREF(fallback);
    return r;
}

static PyObject *read_text(PyObject *text);

static PyObject *reading_read(PyObject *module, PyObject *text) {
    if (!space) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks._reading is not bound: call bind(signals globals)");
        return NULL;
    }
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "read() takes a str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    /* A subclass may override lower() (and return anything): what the Python does with it is the answer. */
    if (!PyUnicode_CheckExact(text)) return read_python(text);
    if (busy) {
        unsigned long me = PyThread_get_thread_ident();
        if (owner == me) return read_python(text); /* within our own call: a finaliser run by the GC */
        while (busy) { /* another thread's call, in a callback: let it finish (it needs the GIL) */
            Py_BEGIN_ALLOW_THREADS
            Py_END_ALLOW_THREADS
        }
    }
    busy = 1;
    owner = PyThread_get_thread_ident();
    PyObject *r = read_text(text);
    busy = 0;
    return r;
}

static PyObject *read_text(PyObject *text) {
    if (refresh() < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);

    char small_lower[SMALL + 2 + SLACK], small_orig[SMALL + 2];
    Token small_tokens[SMALL / 2 + 2];
    Py_ssize_t small_quotes[SMALL];
    Scan s = {small_lower, small_orig, 0, small_tokens, 0, small_quotes, 0, 0, 0, 0, 0};
    Root small_roots[64], *roots = small_roots;
    Py_ssize_t n_roots = 0, max_roots = 64;
    PyObject *lowered = NULL, *terms = NULL, *counts = NULL, *result = NULL, *titled = NULL;
    Py_ssize_t *list_counts = NULL;
    if (length > SMALL) {
        s.lower = PyMem_Malloc((size_t)length + 2 + SLACK);
        s.orig = PyMem_Malloc((size_t)length + 2);
        s.tokens = PyMem_Malloc(sizeof(Token) * (size_t)(length / 2 + 2));
        s.quotes = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)length);
        if (!s.lower || !s.orig || !s.tokens || !s.quotes) {
            PyErr_NoMemory();
            goto done;
        }
    }
    scan(&s, kind, data, length);
    memset(s.lower + s.at, 0, SLACK); /* what same_word reads past the last word: defined, if unused */
    if (look_up(&s) < 0) goto done;

    /* Nothing below may learn a word: the entries stay where they are. */
    uint64_t stamp = ++calls;
    Py_ssize_t n = s.n, n_lists = PyTuple_GET_SIZE(tables[T_LISTS]);
    list_counts = PyMem_Calloc((size_t)n_lists + 1, sizeof(Py_ssize_t));
    if (!list_counts || !(terms = PyFrozenSet_New(NULL))) {
        if (!list_counts) PyErr_NoMemory();
        goto done;
    }
    uint32_t present = 0;
    Py_ssize_t numbers = 0, capitals = 0;
    int loud = shouting(kind, data, length);
    for (Py_ssize_t i = 0; i < n; i++) {
        Token *t = &s.tokens[i];
        Entry *e = t->e;
        if (i + 4 < n) PREFETCH(t[4].e->word);
        if (!loud) capitals += istitle(s.orig + t->off, t->len);
        if (e->stamp == stamp) continue; /* each distinct word once */
        e->stamp = stamp;
        uint32_t f = e->flags;
        present |= f;
        if (f & F_TERM) {
            if (PySet_Add(terms, e->word) < 0) goto done;
        } else if (f & F_NUMERAL)
            numbers++;
        if (f & F_LISTED) { /* each distinct (list, root) once */
            Py_ssize_t k = PyTuple_GET_SIZE(e->names);
            for (Py_ssize_t j = 0; j < k; j++) {
                PyObject *pair = PyTuple_GET_ITEM(e->names, j);
                if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                    PyErr_SetString(PyExc_TypeError, "_names values must be tuples of (list, root)");
                    goto done;
                }
                Py_ssize_t list = list_index(PyTuple_GET_ITEM(pair, 0));
                if (list < 0) goto done;
                PyObject *root = PyTuple_GET_ITEM(pair, 1);
                int seen = 0;
                for (Py_ssize_t r = 0; r < n_roots && !seen; r++) {
                    if (roots[r].list != list) continue;
                    seen = roots[r].root == root ? 1 : PyObject_RichCompareBool(roots[r].root, root, Py_EQ);
                    if (seen < 0) goto done;
                }
                if (seen) continue;
                if (n_roots == max_roots) {
                    Root *grown = PyMem_Malloc(sizeof(Root) * (size_t)max_roots * 2);
                    if (!grown) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    memcpy(grown, roots, sizeof(Root) * (size_t)n_roots);
                    if (roots != small_roots) PyMem_Free(roots);
                    roots = grown;
                    max_roots *= 2;
                }
                roots[n_roots].list = list;
                roots[n_roots++].root = root;
                list_counts[list]++;
            }
        }
        if (f & F_PHRASE_KEY) { /* phrases are adjacent pairs: " first second " in the padded words */
            PyObject *phrases = PyDict_GetItemWithError(tables[T_PHRASES], e->word);
            if (!phrases) {
                if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, e->word);
                goto done;
            }
            PyObject *seq = PySequence_Fast(phrases, "_PHRASES values must be sequences");
            if (!seq) goto done;
            for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq); j++) {
                PyObject *item = PySequence_Fast_GET_ITEM(seq, j), *phrase, *names;
                Py_ssize_t plen;
                const char *p;
                if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
                    !PyUnicode_Check(phrase = PyTuple_GET_ITEM(item, 0)) ||
                    !PyTuple_Check(names = PyTuple_GET_ITEM(item, 1))) {
                    PyErr_SetString(PyExc_TypeError, "_PHRASES items must be (phrase, names)");
                    Py_DECREF(seq);
                    goto done;
                }
                if (!(p = PyUnicode_AsUTF8AndSize(phrase, &plen))) {
                    Py_DECREF(seq);
                    goto done;
                }
                if (phrase_in(&s, i, p, plen))
                    for (Py_ssize_t m = 0; m < PyTuple_GET_SIZE(names); m++) {
                        Py_ssize_t list = list_index(PyTuple_GET_ITEM(names, m));
                        if (list < 0) {
                            Py_DECREF(seq);
                            goto done;
                        }
                        list_counts[list]++;
                    }
            }
            Py_DECREF(seq);
        }
    }

    Py_ssize_t titles = 0;
    if (present & F_TITLE_LOWER) { /* the distinct words, as written, that are titles */
        if (!(titled = PySet_New(NULL))) goto done;
        for (Py_ssize_t i = 0; i < n; i++) {
            Token *t = &s.tokens[i];
            if (!(t->e->flags & F_TITLE_LOWER)) continue;
            PyObject *w = ascii_str(s.orig + t->off, t->len);
            if (!w) goto done;
            int is_title = PySet_Contains(tables[T_TITLE_WORDS], w);
            if (is_title > 0) is_title = PySet_Add(titled, w) < 0 ? -1 : 1;
            Py_DECREF(w);
            if (is_title < 0) goto done;
        }
        titles = PySet_GET_SIZE(titled);
    }
    Py_ssize_t capitalised = loud ? 0 : capitals - titles;

    Py_ssize_t us_side = 0;
    if ((present & F_US_SUBJECT) && (present & F_US_VERB)) {
        if (s.quoted && s.cased) { /* text.lower() may make new words: read it again */
            if (!(lowered = PyObject_CallMethod(text, "lower", NULL))) goto done;
            us_side = us_side_lowered(lowered, stamp);
        } else
            us_side = us_side_scanned(&s, kind, data, s.quoted);
        if (us_side < 0) goto done;
    }
    Py_ssize_t amounts = 0;
    if (present & F_UNIT) {
        if (s.cased && !lowered && !(lowered = PyObject_CallMethod(text, "lower", NULL))) goto done;
        if ((amounts = s.cased ? amounts_in(lowered, 0) : amounts_in(text, 1)) < 0) goto done;
    }
    amounts += s.money;

    Py_ssize_t end = length;
    while (end > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1))) end--;
    Py_UCS4 last = end > 0 ? PyUnicode_READ(kind, data, end - 1) : 0;
    Py_ssize_t sentences = s.sentences + (last == '.' || last == '?' || last == '!');
    if (sentences < 1) sentences = 1;

    int deictic = n > 0 && ((s.tokens[0].e->flags & F_DEICTIC) ||
                            (n > 1 && s.tokens[1].len == 4 && memcmp(s.lower + s.tokens[1].off, "also", 4) == 0));
    Py_ssize_t para_refs = 0;
    if ((present & F_PARA) && (para_refs = para_refs_in(text)) < 0) goto done;

    /* Copying a dict of the same keys is one copy of its table; most lists count nothing. */
    if (!(counts = PyDict_Copy(zero_counts))) goto done;
    for (Py_ssize_t i = 0; i < n_lists; i++) {
        if (!list_counts[i]) continue;
        PyObject *v = PyLong_FromSsize_t(list_counts[i]);
        if (!v || PyDict_SetItem(counts, PyTuple_GET_ITEM(tables[T_LISTS], i), v) < 0) {
            Py_XDECREF(v);
            goto done;
        }
        Py_DECREF(v);
    }
    PyObject *fields = Py_BuildValue("(nOOnnnnnnOOn)", n, loud ? Py_True : Py_False, counts, titles,
                                     capitalised > 0 ? capitalised : 0, us_side, amounts, numbers, sentences,
                                     deictic ? Py_True : Py_False, terms, para_refs);
    if (!fields) goto done;
    PyObject *args = PyTuple_Pack(1, fields);
    Py_DECREF(fields);
    if (!args) goto done;
    /* What Reading(...) does (a named tuple's __new__ is tuple.__new__(cls, fields)), without the
     * Python-level call. */
    result = PyTuple_Type.tp_new((PyTypeObject *)tables[T_READING], args, NULL);
    Py_DECREF(args);

done:
    Py_XDECREF(lowered);
    Py_XDECREF(terms);
    Py_XDECREF(counts);
    Py_XDECREF(titled);
    PyMem_Free(list_counts);
    if (roots != small_roots) PyMem_Free(roots);
    if (s.lower != small_lower) PyMem_Free(s.lower);
    if (s.orig != small_orig) PyMem_Free(s.orig);
    if (s.tokens != small_tokens) PyMem_Free(s.tokens);
    if (s.quotes != small_quotes) PyMem_Free(s.quotes);
    if (result) known_seen = PySet_GET_SIZE(tables[T_KNOWN]);
    return result;
}

/* --- distinctiveness --------------------------------------------------------------------------------- */

/* rarest(terms, df, k=10): signals._rarest_python(terms, df, k), the k smallest paragraph frequencies
 * of the distinct terms (0 for a term df lacks), smallest first: one pass keeping the k smallest,
 * instead of fetching all and sorting. Only for a plain dict of ints that fit in 64 bits (what ingest passes);
 * anything else is handed to the Python. */
#define MAX_RAREST 64

static PyObject *rarest_python(PyObject *const *args, Py_ssize_t nargs) {
    PyObject *fallback = space ? PyDict_GetItemString(space, "_rarest_python") : NULL;
    if (!fallback) {
        PyErr_SetString(PyExc_RuntimeError, "bot.picks._reading is not bound to bot.picks.signals");
        return NULL;
    }
    Py_INCREF(fallback);
    PyObject *r = PyObject_Vectorcall(fallback, args, (size_t)nargs, NULL);
    Py_DECREF(fallback);
    return r;
}

static PyObject *reading_rarest(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "rarest(terms, df, k=10)");
        return NULL;
    }
    PyObject *terms = args[0], *df = args[1];
    Py_ssize_t k = 10;
    if (nargs == 3 && (k = PyLong_AsSsize_t(args[2])) == -1 && PyErr_Occurred()) return NULL;
    /* (a list too: the terms a reader process sent, split from one string, are distinct) */
    if (!(PyAnySet_Check(terms) || PyList_CheckExact(terms)) || !PyDict_CheckExact(df) || k < 0 ||
        k > MAX_RAREST)
        return rarest_python(args, nargs);
    long long values[MAX_RAREST];
    Py_ssize_t kept = 0;
    PyObject *it = PyObject_GetIter(terms), *term;
    if (!it) return NULL;
    while ((term = PyIter_Next(it))) {
        PyObject *count = PyDict_GetItemWithError(df, term);
        Py_DECREF(term); /* the set holds it */
        long long v = 0;
        if (count) {
            int overflow = 0;
            v = PyLong_CheckExact(count) ? PyLong_AsLongLongAndOverflow(count, &overflow) : 0;
            if (!PyLong_CheckExact(count) || overflow) { /* not a plain int: the Python compares it */
                Py_DECREF(it);
                return rarest_python(args, nargs);
            }
        } else if (PyErr_Occurred())
            break;
        if (kept == k && (k == 0 || v >= values[k - 1])) continue;
        Py_ssize_t i = kept < k ? kept++ : k - 1;
        for (; i > 0 && values[i - 1] > v; i--) values[i] = values[i - 1];
        values[i] = v;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    PyObject *found = PyList_New(kept);
    if (!found) return NULL;
    for (Py_ssize_t i = 0; i < kept; i++) {
        PyObject *v = PyLong_FromLongLong(values[i]);
        if (!v) {
            Py_DECREF(found);
            return NULL;
        }
        PyList_SET_ITEM(found, i, v);
    }
    return found;
}

/* --- The module ------------------------------------------------------------------------------------- */

static PyObject *reading_bind(PyObject *module, PyObject *globals) {
    if (!PyDict_Check(globals)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes the globals() of bot.picks.signals");
        return NULL;
    }
    if (busy) {
        PyErr_SetString(PyExc_RuntimeError, "bind() during a read()");
        return NULL;
    }
    Py_INCREF(globals);
    Py_XSETREF(space, globals);
    for (int i = 0; i < N_TABLES; i++) Py_CLEAR(tables[i]);
    flush();
    known_seen = 0;
    busy = 1;
    int failed = refresh();
    busy = 0;
    if (failed < 0) {
        Py_CLEAR(space);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *cache_size(PyObject *module, PyObject *unused) { return PyLong_FromSize_t(used); }

static PyMethodDef methods[] = {
    {"read", reading_read, METH_O,
     "read(text) -> Reading: bot.picks.signals.read(), the same Reading, in one pass in C."},
    {"bind", reading_bind, METH_O,
     "bind(globals): read with the word lists and tables of this namespace (bot.picks.signals)."},
    {"rarest", (PyCFunction)(void (*)(void))reading_rarest, METH_FASTCALL,
     "rarest(terms, df, k=10) -> list: the k smallest df of the terms (0 if missing), smallest first."},
    {"cache_size", cache_size, METH_NOARGS, "The number of words the C cache knows (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_reading", "bot.picks.signals.read() in C: see _reading.c.", -1, methods,
};

PyMODINIT_FUNC PyInit__reading(void) {
    init_classes();
    for (int i = 0; i < N_TABLES; i++)
        if (!(table_keys[i] = PyUnicode_InternFromString(table_names[i]))) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    /* What signals.py expects of this module (its functions and their meaning): it ignores a build
     * of another version rather than fail, e.g. a checkout updated without `pip install -e .` again. */
    if (module && PyModule_AddIntConstant(module, "API", 2) < 0) Py_CLEAR(module);
    return module;
}
