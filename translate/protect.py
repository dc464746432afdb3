"""Spans that must come through translation intact: URLs, e-mail addresses, numbers, emoji.

A small model may garble `https://nos.nl/a/123` or drop a number; these spans are found in the
Dutch source, checked in the English output, and repaired with the same machinery as glossary
terms. Numbers are compared by their digits, since Dutch `100.000` and `3,5` are English
`100,000` and `3.5`; a repair writes the English form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'‘’“”]+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+")
_TRAILING = ".,;:!?)]}'\"’”"


@dataclass(frozen=True)
class Protected:
    start: int
    end: int
    text: str        # as it stands in the Dutch source
    kind: str        # "url", "email", "number" or "emoji"
    english: str     # the form a repair writes into the translation


def english_number(text: str) -> str:
    """Dutch number notation to English: `100.000` → `100,000`, `3,5` → `3.5`."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text):
        return text.replace(".", "\0").replace(",", ".").replace("\0", ",")
    if re.fullmatch(r"\d+,\d+", text):
        return text.replace(",", ".")
    return text


def find_protected(text: str) -> list[Protected]:
    """Non-overlapping protected spans, in order; URLs and addresses win over the numbers inside them."""
    spans: list[Protected] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, kind: str, english: str | None = None) -> None:
        if any(a < end and start < b for a, b in taken):
            return
        taken.append((start, end))
        literal = text[start:end]
        spans.append(Protected(start, end, literal, kind, english or literal))

    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in _TRAILING:
            end -= 1
        add(m.start(), end, "url")
    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _NUMBER.finditer(text):
        add(m.start(), m.end(), "number", english_number(m.group()))
    for m in _EMOJI.finditer(text):
        if m.group().strip("\uFE0F\u200D"):
            add(m.start(), m.end(), "emoji")
    return sorted(spans, key=lambda p: p.start)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def protected_present(translation: str, span: Protected) -> bool:
    if span.kind == "number":
        wanted = _digits(span.text)
        return any(_digits(m.group()) == wanted for m in re.finditer(r"\d+(?:[.,:]\d+)*", translation))
    return span.text in translation
