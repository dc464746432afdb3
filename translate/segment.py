"""Dutch sentence splitting, and splitting of over-long sentences at clause boundaries.

Why rules and not a library: no well-kept Dutch splitter exists on PyPI (pysbd was last released
in 2021 and is slow on large inputs), and a small set of regex rules covers news text: it knows
Dutch abbreviations, initials, numbers, ellipses and quotes, and runs over a 1 MB article in well
under a second. Both functions return positions or slices of their input and never drop a
character, so the caller can put the text back together exactly.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

__all__ = ["split_sentences", "split_long", "split_long_spans", "ABBREVIATIONS"]

# Abbreviations that (almost) never end a sentence: titles, "for example", "about", "number",
# months. A period after one of these is never a sentence boundary. Abbreviations that often do
# end a sentence (enz., etc., jl., z.g.a.n., e.a., o.i.d., jr., mln.) are left out on purpose:
# after them a capital letter or digit starts a new sentence, as after any other word.
ABBREVIATIONS: frozenset[str] = frozenset(
    """
    a.d. a.h.w. aanv. adj. afb. afd. afk. alg. ang. art. bijl. bijv. blz. bv. b.v. c.q. ca.
    cf. cfr. chr. d.d. d.i. d.m.v. d.w.z. dhr. dr. drs. dra. e.g. evt. excl. fa. fig.
    gebr. geb. hr. i.c. i.e. i.h.a. i.o. i.p.v. i.s.m. i.t.t. i.v.m. ing. ir. incl. jhr.
    joh. lt. m.a.w. m.b.t. m.b.v. m.m.v. m.n. m.u.v. mevr. mgr. mr. mw. n.a.v.
    nl. no. nr. o.a. o.b.v. o.l.v. o.m. o.m.a. o.v.v. p. pag. pp. prof. resp.
    st. t.a.v. t.b.v. t.g.v. t.h.v. t.o.v. t.w. tel. th. tgv. v. v.a. v.d. vgl.
    vnl. vs. zgn. zg. jan. feb. febr. mrt. apr. jun. jul. aug. sep. sept. okt. nov. dec.
    """.split()
)

_TERMINAL = ".!?…"
# Characters that may follow the terminal punctuation and still belong to the sentence:
# closing quotes and brackets, and markdown emphasis markers (`**Zin.** Volgende`).
_CLOSERS = "\"'’”»›)]*_~"
# Characters that may precede the first letter of a sentence.
_OPENERS = "\"'‘’“„«‹([*_~¿¡"
_APOSTROPHES = "'’‘"

# The lookbehind starts a match only at the beginning of a punctuation run: without it, a long
# run that is not followed by whitespace would be retried from every position (quadratic time).
_CANDIDATE = re.compile(
    rf"(?<![{re.escape(_TERMINAL)}])[{re.escape(_TERMINAL)}]+[{re.escape(_CLOSERS)}]*(?=\s+\S)"
)
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]\Z")
# Dutch elided articles and pronouns that start a sentence in lower case: 's Avonds, 't Is, 'k Weet.
_ELISION = re.compile(r"[kstn](?:[\s\-]|\Z)")
_WHITESPACE = re.compile(r"\s+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans in one line of Dutch text (no newlines inside).

    Spans are (start, end) offsets in order; they cover every non-space character, begin and end
    on a non-space character, and the gaps between them are whitespace only. A boundary is a run
    of . ! ? … (plus closing quotes/brackets) followed by whitespace and a token that does not
    start in lower case, unless the period ends a known abbreviation or an initial.
    """
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, 0)
    if start == len(text):
        return spans
    for match in _CANDIDATE.finditer(text):
        if match.start() < start or not _is_boundary(text, match):
            continue
        spans.append((start, match.end()))
        start = _skip_space(text, match.end())
    end = len(text.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def _skip_space(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    """Decide whether the punctuation run in `match` ends a sentence."""
    punct_start = match.start()
    word_start = punct_start
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:punct_start].lstrip(_OPENERS)
    run = match.group()
    terminal = run.rstrip(_CLOSERS)
    if text[punct_start - 1 : punct_start] in ("(", "[") and terminal in ("...", "…"):
        return False  # "[...]" or "(…)": an omission inside a quote, not an ending
    if terminal == "." and _is_abbreviation(word):
        return False
    return _starts_sentence(text, _skip_space(text, match.end()))


def _is_abbreviation(word: str) -> bool:
    """True for `word` + "." being a known abbreviation or initials ("J.R.R", "W")."""
    if not word:
        return False
    if len(word) > 1 and word.isalpha() and word.isupper():
        return False  # an acronym such as "VS" or "NAVO" ends sentences like any word
    if word.lower() + "." in ABBREVIATIONS:
        return True
    return bool(_INITIALS.match(word)) and word[-1].isupper()


def _starts_sentence(text: str, pos: int) -> bool:
    """Whether the token at `pos` can start a sentence: anything but a lower-case letter,
    except the Dutch elisions 's, 't, 'k, 'n."""
    i = pos
    saw_apostrophe = False
    while i < len(text) and text[i] in _OPENERS:
        saw_apostrophe = saw_apostrophe or text[i] in _APOSTROPHES
        i += 1
    if i == len(text):
        return True
    if not text[i].islower():
        return True
    return saw_apostrophe and text[i - 1] in _APOSTROPHES and bool(_ELISION.match(text, i))


# --- over-long sentences ---------------------------------------------------------------------

# Words before which a clause starts; cutting there keeps each piece translatable on its own.
CLAUSE_WORDS: frozenset[str] = frozenset(
    """
    en maar want of dus omdat terwijl dat die wat wie welke waardoor zodat hoewel alhoewel
    ofschoon nadat voordat totdat zodra toen als wanneer indien tenzij doordat sinds opdat
    waarin waarop waarmee waarvan waarbij waaruit waarna waarover waarvoor
    """.split()
)
# Cost of cutting after this character (clause punctuation) or before a clause word; a plain
# space costs 1.0, so any clause boundary wins over a plain space at the same place.
_PUNCT_COST = {";": 0.0, ":": 0.1, "–": 0.15, "—": 0.15, "-": 0.15, ",": 0.2}
_CLAUSE_WORD_COST = 0.3
_SPACE_COST = 1.0
_BALANCE_WEIGHT = 2.0  # imbalance is 0..0.5, so a cut at the very edge costs up to 1.0 extra
_WORD_AFTER = re.compile(r"[^\W\d_]+")
_GLUE = {"\u200d", "\ufe0f", "\ufe0e"}  # never cut before these (emoji sequences)


def split_long(sentence: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Split an over-long sentence into pieces with count_tokens(piece) <= max_tokens.

    Cuts go at clause boundaries first (after ; : , or a spaced dash, before a conjunction or
    relative word such as en, maar, omdat, dat, die), then at any whitespace, and as a last resort
    inside a word. A sentence that fits comes back as one piece.

    Guarantees (tested): every piece is non-empty, has no leading or trailing whitespace and fits
    max_tokens; the pieces are consecutive slices of the sentence, so the sentence (stripped) is
    the pieces joined by the whitespace that was at each cut, or by "" where a word was cut.
    Hence `" ".join(pieces)` equals the sentence with each cut's whitespace run replaced by one
    space, as long as no word had to be cut; use `split_long_spans` for exact offsets.
    Raises ValueError if max_tokens < 1 or a single character does not fit.
    """
    return [sentence[a:b] for a, b in split_long_spans(sentence, max_tokens, count_tokens)]


def split_long_spans(
    sentence: str, max_tokens: int, count_tokens: Callable[[str], int]
) -> list[tuple[int, int]]:
    """Like `split_long`, but (start, end) offsets into `sentence`; gaps are whitespace or empty."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    start = _skip_space(sentence, 0)
    end = len(sentence.rstrip())
    spans: list[tuple[int, int]] = []
    if start < end:
        _split_into(sentence, start, end, max_tokens, count_tokens, spans)
    return spans


def _split_into(
    text: str,
    start: int,
    end: int,
    max_tokens: int,
    count_tokens: Callable[[str], int],
    out: list[tuple[int, int]],
) -> None:
    # An explicit stack instead of recursion: a 10,000-word "sentence" must not hit the limit.
    stack = [(start, end)]
    while stack:
        a, b = stack.pop()
        if count_tokens(text[a:b]) <= max_tokens:
            out.append((a, b))
            continue
        cut = _best_cut(text, a, b)
        if cut is None:  # one long word: cut it into characters, greedily from the left
            while a < b:
                k = _longest_fitting_prefix(text, a, b, max_tokens, count_tokens)
                out.append((a, a + k))
                a += k
            continue
        left_end, right_start = cut
        stack.append((right_start, b))  # popped after the left half: order is kept
        stack.append((a, left_end))


def _best_cut(text: str, a: int, b: int) -> tuple[int, int] | None:
    """The cheapest whitespace run strictly inside text[a:b], as (left_end, right_start)."""
    best: tuple[float, int, int] | None = None
    centre = (a + b) / 2
    length = b - a
    for match in _WHITESPACE.finditer(text, a, b):
        left_end, right_start = match.start(), match.end()
        if left_end <= a or right_start >= b:
            continue
        cost = _PUNCT_COST.get(text[left_end - 1], _SPACE_COST)
        if cost == _SPACE_COST:
            word = _WORD_AFTER.match(text, right_start, b)
            if word and word.group().lower() in CLAUSE_WORDS:
                cost = _CLAUSE_WORD_COST
        cost += _BALANCE_WEIGHT * abs((left_end + right_start) / 2 - centre) / length
        if best is None or cost < best[0]:
            best = (cost, left_end, right_start)
    return None if best is None else (best[1], best[2])


def _longest_fitting_prefix(
    text: str, a: int, b: int, max_tokens: int, count_tokens: Callable[[str], int]
) -> int:
    """Length of the longest prefix of text[a:b] that fits (b - a if all of it does); never 0.

    Galloping (1, 2, 4, ...) then bisection, so the cost follows the piece, not the whole rest:
    cutting a 20,000-character "word" into small pieces stays linear-ish.
    """
    lo, hi = 0, 1  # invariant: text[a:a+lo] fits (or lo == 0); text[a:a+hi] does not (or hi > b-a)
    while hi <= b - a and count_tokens(text[a : a + hi]) <= max_tokens:
        lo, hi = hi, hi * 2
    if hi > b - a:
        if count_tokens(text[a:b]) <= max_tokens:
            return b - a
        hi = b - a
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count_tokens(text[a : a + mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid
    while lo > 1 and (unicodedata.combining(text[a + lo]) or text[a + lo] in _GLUE):
        lo -= 1  # keep a base character together with its accents and emoji modifiers
    if lo == 0 or count_tokens(text[a : a + lo]) > max_tokens:
        raise ValueError(
            f"cannot split {text[a:b][:40]!r}: one character already exceeds {max_tokens} tokens"
        )
    return lo
