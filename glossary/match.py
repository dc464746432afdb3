"""Finding glossary terms in Dutch text, and their English targets in a translation.

Dutch side (`find_terms`). Every Dutch form of a term (its source and its variants)
becomes one regex alternative; all of a glossary's alternatives are compiled into a
single regex (cached per glossary) that runs on every sentence. The rules:

- *Case*: case-insensitive (`NAVO`, `Navo`, `navo`, ALL-CAPS headlines); an
  `exact-case` term matches only as written or in ALL CAPS (`VS`, never `vs`).
- *Whole words*: a match is never preceded or followed by a letter or digit
  (`VS` not in `VSB`); hyphens are word edges, so compounds match:
  `NAVO-top`, `anti-NAVO-retoriek`. A `compound` term may also open a closed
  compound (`Sovjet` in `Sovjetstaten`).
- *Multi-word and hyphenated forms*: the parts may be separated by any run of
  spaces or one hyphen (`Koude Oorlog`, `koude  oorlog`, `Koude-Oorlog`); a hyphen
  in the form may also be left out (`Sovjet-Unie`, `Sovjetunie`).
- *Diacritics*: `ï` also matches `i` and a decomposed `i` + U+0308 (`Oekraine`, `Geneve`);
  `'` and `’` match each other.
- *Inflection* of the last word, with a small set of Dutch suffixes:
  acronyms (all capitals in the file, like `NAVO`) take only `'s` (`NAVO's`);
  other words take `'s s e en n se sche` (`Poetins`, `Oekraïense`, `Russische`,
  `Brusselse`), plus `e en` after undoubling a long vowel (`Europees` → `Europese`,
  `Amerikaan` → `Amerikanen`) or doubling a final consonant after a short vowel
  (`Rus` → `Russen`). Forms the rules miss (`Den Haag` → `Haagse`, `Fries` →
  `Friezen`) go in the file's variants column. Suffixes are a closed list on
  purpose: `Rusland` does not match `Ruslandt`.
- *Longest match wins*: scanning left to right, the first position where any term
  matches wins; there the longest form is tried first (then the earlier line).

English side (`find_target`): the target, case-insensitive (exact-case terms: as
written or ALL CAPS), whole words, multi-word parts separated by spaces or a
hyphen, with English inflection `'s ’s s es` (`Putin's`, `Americans`) and hyphen
compounds (`NATO-led`, `pro-Russian`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from glossary.store import Glossary, Term

_VOWELS = set("aeiouy")
_SEP_PARTS = re.compile(r"(\s+|-)")
_HYPHEN = "[-\u2010\u2011]"
_SPACE = r"[\s\u00a0]+"
_SEP = rf"(?:{_SPACE}|{_HYPHEN})"
_ACRONYM_SUFFIX = r"(?i:['’]s)?"
_WORD_SUFFIX = r"(?i:['’]s|sche|se|en|s|e|n)?"
_STEM_SUFFIX = r"(?i:en|e)"
_EN_SUFFIX = r"(?i:['’]s|es|s)?"


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str
    term: Term


def _base(ch: str) -> str:
    return unicodedata.normalize("NFD", ch)[0]


def _char(ch: str) -> str:
    """Regex for one character of a form: accented letters also match their bare and decomposed spelling."""
    if ch in "'’":
        return "['’]"
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1:
        return f"(?:{re.escape(ch)}|{re.escape(decomposed)}|{re.escape(decomposed[0])})"
    return re.escape(ch)


def _literal(word: str) -> str:
    return "".join(_char(c) for c in word)


def _is_vowel(ch: str) -> bool:
    return _base(ch).lower() in _VOWELS


def _last_word(word: str) -> str:
    """Regex for the last word of a form with its inflections (see the module docstring)."""
    letters = [c for c in word if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return _literal(word) + _ACRONYM_SUFFIX
    alts = [_literal(word) + _WORD_SUFFIX]
    if len(word) >= 3 and word.isalpha():
        a, b, c = word[-3], word[-2], word[-1]
        if _base(a).lower() == _base(b).lower() and _is_vowel(a) and not _is_vowel(c):
            alts.append(_literal(word[:-3] + b + c) + _STEM_SUFFIX)  # Europees → Europese
        elif _is_vowel(b) and not _is_vowel(a) and not _is_vowel(c) and c.lower() in "bdfgklmnprst":
            alts.append(_literal(word + c) + _STEM_SUFFIX)  # Rus → Russen
    return "(?:" + "|".join(alts) + ")"


def _form_pattern(form: str, compound: bool) -> str:
    """Regex for one Dutch form: its words, separators, and inflected last word."""
    parts = [p for p in _SEP_PARTS.split(form.strip()) if p]
    out = []
    for part in parts[:-1]:
        out.append(f"{_SEP}?" if part == "-" else _SEP if part.isspace() else _literal(part))
    last = _last_word(parts[-1]) + r"(?!\w)"
    if compound:  # Sovjet + staten: the span is the term, not the compound
        last = rf"(?:{last}|{_literal(parts[-1])}(?=[^\W\d_]))"
    return r"(?<!\w)" + "".join(out) + last


def _form_alternatives(term: Term) -> list[tuple[str, str]]:
    """(form, regex) for every Dutch form of a term, case handling included."""
    out = []
    for form in dict.fromkeys(term.forms):
        if term.exact_case:
            for cased in dict.fromkeys((form, form.upper())):
                out.append((cased, _form_pattern(cased, term.compound)))
        else:
            out.append((form, "(?i:" + _form_pattern(form, term.compound) + ")"))
    return out


@lru_cache(maxsize=64)
def _compile(terms: tuple[Term, ...]) -> tuple[re.Pattern[str] | None, dict[str, Term]]:
    """One regex for the whole glossary, alternatives longest form first, and group name → term."""
    alts = []
    for index, term in enumerate(terms):
        for k, (form, pattern) in enumerate(_form_alternatives(term)):
            alts.append((-len(form), index, k, pattern))
    if not alts:
        return None, {}
    alts.sort(key=lambda a: a[:3])
    names = {f"t{i}_{k}": terms[i] for _, i, k, _ in alts}
    body = "|".join(f"(?P<t{i}_{k}>{p})" for _, i, k, p in alts)
    # Fail fast where no form can start: only word starts whose first letter opens some form.
    return re.compile(rf"(?<!\w)(?={_first_chars(terms)})(?:{body})"), names


def _first_chars(terms: tuple[Term, ...]) -> str:
    chars = set()
    for term in terms:
        for form in term.forms:
            c = form.strip()[:1]
            chars.update((c, c.lower(), c.upper(), _base(c), _base(c).lower(), _base(c).upper()))
    if chars & set("'’"):
        chars.update("'’")
    return "[" + "".join(sorted(re.escape(c) for c in chars if c)) + "]"


def find_terms(text: str, terms: Glossary | Sequence[Term]) -> list[Match]:
    """The glossary terms in a Dutch text: non-overlapping spans, sorted by start."""
    pattern, names = _compile(tuple(terms.terms if isinstance(terms, Glossary) else terms))
    if pattern is None or not text:
        return []
    return [Match(m.start(), m.end(), m.group(), names[m.lastgroup]) for m in pattern.finditer(text)]


@lru_cache(maxsize=4096)
def _target_regex(target: str, exact_case: bool) -> re.Pattern[str]:
    def pattern(text: str) -> str:
        words = [re.escape(w) for w in re.split(rf"\s+|{_HYPHEN}", text.strip()) if w]
        return rf"(?<!\w)(?:{_SEP.join(words)}){_EN_SUFFIX}(?!\w)"
    if exact_case:
        return re.compile("|".join(dict.fromkeys((pattern(target), pattern(target.upper())))))
    return re.compile(pattern(target), re.IGNORECASE)


def find_target(translation: str, term: Term) -> tuple[int, int] | None:
    """Span of the term's English target in a translation, None when it is not there."""
    m = _target_regex(term.target, term.exact_case).search(translation)
    return (m.start(), m.end()) if m else None


def target_present(translation: str, term: Term) -> bool:
    return find_target(translation, term) is not None
