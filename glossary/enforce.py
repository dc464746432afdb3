"""Repairing a translation so that it carries a glossary term.

transformers v5 has no constrained beam search, so terms are enforced after decoding, on
sentencepiece pieces (the `▁` marker starts a word):

1. *lexical*: a target word that is a near copy of the Dutch form or of the English term
   (the model copied `Poetin`, or wrote `Putinn`) is replaced by the term;
2. *attention*: else the target pieces whose cross-attention peaks on the term's source
   pieces are replaced;
3. *prefix*: else the caller re-decodes with a forced prefix ending in the term (see
   `insertion_prefix`), and the model writes the rest of the sentence around it.

Everything here is pure: pieces, spans and attention matrices in, strings out.
"""

from __future__ import annotations

import difflib
import re
from typing import Sequence

WORD_START = "▁"
_BYTE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_CONTINUES = re.compile(r"^\w", re.UNICODE)


def piece_surface(piece: str) -> str:
    """The text a piece stands for; byte pieces become a latin-1 placeholder of one char."""
    m = _BYTE.match(piece)
    if m:
        return chr(int(m.group(1), 16))
    return piece.replace(WORD_START, " ")


def detokenize(pieces: Sequence[str]) -> str:
    """Sentencepiece decoding of pieces, byte fallback included."""
    out = bytearray()
    for p in pieces:
        m = _BYTE.match(p)
        out += bytes([int(m.group(1), 16)]) if m else p.replace(WORD_START, " ").encode("utf-8")
    return out.decode("utf-8", errors="replace").strip()


def piece_char_spans(text: str, pieces: Sequence[str]) -> list[tuple[int, int]] | None:
    """Char span of each source piece in `text`, or None where normalisation makes them disagree."""
    spans, pos, pending, start = [], 0, bytearray(), None
    for p in pieces:
        m = _BYTE.match(p)
        if m:
            if not pending:
                start = pos
            pending.append(int(m.group(1), 16))
            try:
                chunk = pending.decode("utf-8")
            except UnicodeDecodeError:
                spans.append((start, start))
                continue
            if text[pos: pos + len(chunk)] != chunk:
                return None
            pos += len(chunk)
            pending.clear()
            spans.append((start, pos))
            continue
        surface = p
        if surface.startswith(WORD_START):
            surface = surface[1:]
            while pos < len(text) and text[pos].isspace():
                pos += 1
        begin = pos
        if text[pos: pos + len(surface)] != surface:
            return None
        pos += len(surface)
        spans.append((begin, pos))
    return spans


def source_piece_span(text: str, pieces: Sequence[str], start: int, end: int) -> tuple[int, int] | None:
    """Indices [i, j) of the source pieces that overlap the char span [start, end)."""
    spans = piece_char_spans(text, pieces)
    if spans is None:
        return None
    hit = [i for i, (a, b) in enumerate(spans) if a < end and b > start]
    return (hit[0], hit[-1] + 1) if hit else None


def word_runs(pieces: Sequence[str]) -> list[tuple[int, int]]:
    """Piece ranges [i, j) of the alphanumeric runs in a target: the units a term may replace.

    A run breaks at a word start and at pieces that begin with punctuation, so `NAVO-summit`
    has the runs `NAVO` and `summit`, and `Putin's` the run `Putin`.
    """
    runs, start = [], None
    for i, p in enumerate(pieces):
        surface = piece_surface(p)
        core = surface.lstrip()
        begins_word = p.startswith(WORD_START) or not _CONTINUES.match(core or " ")
        is_alnum = bool(core) and bool(_CONTINUES.match(core))
        if start is not None and (begins_word or not is_alnum):
            runs.append((start, i))
            start = None
        if is_alnum and start is None:
            start = i
    if start is not None:
        runs.append((start, len(pieces)))
    return runs


def run_text(pieces: Sequence[str], run: tuple[int, int]) -> str:
    return detokenize(pieces[run[0]: run[1]])


def lexical_run(pieces: Sequence[str], candidates: Sequence[str], threshold: float = 0.7,
                name_threshold: float = 0.5) -> tuple[int, int] | None:
    """The run (or two adjacent runs) most like one of `candidates` (the Dutch forms, the term).

    Capitalised words that resemble a capitalised candidate are names the model garbled
    (`Pladin` for `Poetin`): for them a looser similarity suffices.
    """
    runs = word_runs(pieces)
    best, best_score = None, 0.0
    spans = runs + [(a[0], b[1]) for a, b in zip(runs, runs[1:])]
    for span in spans:
        text = detokenize(pieces[span[0]: span[1]])
        for cand in candidates:
            score = difflib.SequenceMatcher(None, text.lower(), cand.lower()).ratio()
            is_name = text[:1].isupper() and cand[:1].isupper()
            if score >= (name_threshold if is_name else threshold) and score > best_score:
                best, best_score = span, score
    return best


def attention_run(attention: Sequence[Sequence[float]], pieces: Sequence[str],
                  src_span: tuple[int, int]) -> tuple[int, int] | None:
    """The runs of target pieces whose attention peaks inside the source span, merged."""
    i, j = src_span
    picked = [t for t, row in enumerate(attention) if row and i <= max(range(len(row)), key=row.__getitem__) < j]
    if not picked:
        return None
    runs = [r for r in word_runs(pieces) if any(r[0] <= t < r[1] for t in picked)]
    if not runs:
        return None
    # keep the largest contiguous group of runs
    groups, current = [], [runs[0]]
    for r in runs[1:]:
        if r[0] - current[-1][1] <= 1:
            current.append(r)
        else:
            groups.append(current)
            current = [r]
    groups.append(current)
    group = max(groups, key=lambda g: sum(b - a for a, b in g))
    return group[0][0], group[-1][1]


def focus_word(attention: Sequence[Sequence[float]], pieces: Sequence[str], src_span: tuple[int, int]) -> int:
    """Index of the target word that attends most to the source span: where a term belongs."""
    i, j = src_span
    if not attention or not pieces:
        return 0
    mass = [sum(row[i:j]) for row in attention]
    t = max(range(len(mass)), key=mass.__getitem__)
    return sum(1 for p in pieces[: t + 1] if p.startswith(WORD_START)) - 1 if pieces[0].startswith(WORD_START) else 0


def cased(term: str, *, sentence_start: bool, all_caps: bool) -> str:
    """The term as it should stand: upper-case in an ALL-CAPS source, capitalised at sentence start."""
    if all_caps:
        return term.upper()
    if sentence_start and term[:1].islower():
        return term[:1].upper() + term[1:]
    return term


def is_all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def replace_run(pieces: Sequence[str], run: tuple[int, int], term: str, *, all_caps: bool) -> str:
    """Detokenised target with the pieces of `run` replaced by `term`."""
    before = detokenize(pieces[: run[0]])
    after_pieces = list(pieces[run[1]:])
    after = detokenize(after_pieces)
    starts_word = pieces[run[0]].startswith(WORD_START) or (run[0] > 0 and pieces[run[0] - 1] == WORD_START)
    glue_before = " " if before and starts_word else ""
    glue_after = " " if after_pieces and after_pieces[0].startswith(WORD_START) else ""
    at_start = not before.strip(" \"'‘“«(")
    word = cased(term, sentence_start=at_start, all_caps=all_caps)
    return f"{before}{glue_before}{word}{glue_after}{after}".strip()


def insertion_prefix(pieces: Sequence[str], word_index: int, term: str, *, all_caps: bool) -> str:
    """The forced prefix for re-decoding: the target's words before `word_index`, then the term."""
    words, current = [], []
    for p in pieces:
        if p.startswith(WORD_START) and current:
            words.append(current)
            current = []
        current.append(p)
    if current:
        words.append(current)
    head = detokenize([p for w in words[: max(word_index, 0)] for p in w])
    if word_index >= len(words):  # appending: the term goes before the closing punctuation
        head = head.rstrip(" .!?;:")
    word = cased(term, sentence_start=not head, all_caps=all_caps)
    return f"{head} {word}".strip()
