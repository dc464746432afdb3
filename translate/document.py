"""Text ⇄ segments: cut a document into translatable sentences and a template that puts it back.

Why a template: everything that is not Dutch prose (line breaks, blank lines, indentation,
markdown markup, code, a metadata prefix) is kept as literal text around numbered slots, so
`render` gives back the input byte for byte when fed the source sentences, and keeps the layout
(lines, paragraphs, CRLF) when fed translations. Paragraphs are separated by blank lines; each
line is segmented on its own, so sentences never span lines and short lines stay short lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from translate.segment import split_sentences

__all__ = [
    "Segment",
    "Document",
    "parse_document",
    "split_metadata",
    "looks_like_markdown",
    "one_line",
]


@dataclass(frozen=True)
class Segment:
    """One sentence to translate, with where it sits in the document."""

    index: int  # position in document order (and in Document.segments)
    paragraph: int  # 0-based paragraph index (paragraphs are separated by blank lines)
    line: int  # 0-based line index in the whole document (metadata lines included)
    text: str  # the Dutch text: never empty, no line break, no surrounding whitespace


@dataclass
class Document:
    """Segments plus the template that reassembles them; `render` is the only way back to text."""

    segments: list[Segment]
    parts: list[str | int]  # literal strings and indices into `segments`, in output order
    metadata: str  # leading metadata prefix, passed through untranslated ("" if none)
    newline: str  # "\n" or "\r\n": the first line ending found (each ending is kept as found)

    def render(self, translations: Sequence[str]) -> str:
        """Fill the slots with `translations` (one per segment, in order).

        `render([s.text for s in segments])` is the original text exactly. Line breaks inside a
        translation are turned into spaces, so the output has the input's lines, blank lines and
        line endings; a line keeps its content if each translation has a non-space character.
        """
        if len(translations) != len(self.segments):
            raise ValueError(
                f"expected {len(self.segments)} translations, got {len(translations)}"
            )
        return "".join(
            part if isinstance(part, str) else one_line(translations[part]) for part in self.parts
        )

    def render_ready(self, translations: Mapping[int, str], start: int = 0) -> tuple[str, int]:
        """Streaming `render`: the text of parts[start:] up to the first segment that has no
        translation yet, and the part index to continue from. Same guarantees as `render`."""
        out = []
        pos = start
        while pos < len(self.parts):
            part = self.parts[pos]
            if isinstance(part, str):
                out.append(part)
            elif part in translations:
                out.append(one_line(translations[part]))
            else:
                break
            pos += 1
        return "".join(out), pos

    @property
    def paragraph_count(self) -> int:
        """Number of blank-line separated blocks after the metadata prefix."""
        source = self.render([s.text for s in self.segments])
        prefix = ("\ufeff" if source.startswith("\ufeff") else "") + self.metadata
        return _count_paragraphs(source[len(prefix) :])


# A leading "date 2022-01" (optionally with a day) before the first sentence: metadata, not Dutch.
_METADATA = re.compile(r"\s*date \d{4}-\d{2}(?:-\d{2})?(?:\s+|\Z)")


def split_metadata(text: str) -> tuple[str, str]:
    """Split a leading `date YYYY-MM[-DD]` prefix (with its surrounding whitespace) off `text`.

    Returns (prefix, rest) with prefix + rest == text; prefix is "" when there is none.
    """
    match = _METADATA.match(text)
    if not match:
        return "", text
    return text[: match.end()], text[match.end() :]


# Line breaks exactly as str.splitlines sees them, so "lines" means the same everywhere.
_LINE_BREAK_CHARS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK = re.compile(f"[{_LINE_BREAK_CHARS}]+")
_ONE_LINE_BREAK = re.compile(f"\r\n|[{_LINE_BREAK_CHARS}]")

_MD_SIGNALS = re.compile(
    r"^[ \t]{0,3}(?:#{1,6}[ \t]+\S|>|```|~~~|(?:[-*+]|\d{1,9}[.)])[ \t]+\S"
    r"|(\*\*|__).+\1[ \t]*$)|`[^`\n]+`",
    re.MULTILINE,
)
# Block markup at the start of a line (after its indentation): blockquotes, then a heading
# (whose optional closing #s are markup too) or a list bullet / number with an optional task box.
_MD_QUOTE = re.compile(r"(?:>[ \t]*)*")
_MD_HEADING = re.compile(r"#{1,6}(?:[ \t]+|\Z)")
_MD_HEADING_CLOSE = re.compile(r"(?<![ \t])[ \t]+#+\Z")  # lookbehind: linear on long spaces
_MD_LIST = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|\Z)(?:\[[ xX]\][ \t]+)?")
_MD_FENCE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")
_MD_BACKTICKS = re.compile(r"`+")
_MD_EMPHASIS = ("***", "___", "**", "__", "~~", "*", "_")


def looks_like_markdown(text: str) -> bool:
    """Markdown if any line is a heading, list item, blockquote, code fence or bold line, or the
    text has a code span: cheap signals that plain prose rarely has."""
    return _MD_SIGNALS.search(text) is not None


def parse_document(text: str, markdown: bool | None = None) -> Document:
    """Cut `text` into segments and a template; `markdown=None` detects markdown from the text."""
    builder = _Builder()
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    metadata, body = split_metadata(text[len(bom) :])
    builder.literal(bom + metadata)
    builder.line = len(_ONE_LINE_BREAK.findall(metadata))
    if markdown is None:
        markdown = looks_like_markdown(body)
    first_break = _ONE_LINE_BREAK.search(text)
    newline = "\r\n" if first_break and first_break.group() == "\r\n" else "\n"

    fence: str | None = None
    blank_before = True
    for raw in body.splitlines(keepends=True):
        content = raw.rstrip(_LINE_BREAK_CHARS)  # splitlines leaves one break: "\r\n" or one char
        ending = raw[len(content) :]
        if not content.strip():
            builder.literal(raw)
            blank_before = True
        else:
            if blank_before:
                builder.paragraph += 1
                blank_before = False
            if markdown and (fence is not None or _MD_FENCE.match(content)):
                builder.literal(content)
                fence = _next_fence_state(fence, content)
            else:
                _parse_line(builder, content, markdown)
            builder.literal(ending)
        builder.line += 1
    return builder.document(metadata, newline)


def _next_fence_state(fence: str | None, content: str) -> str | None:
    """Open a fence on ``` or ~~~; a bare fence of the same char, at least as long, closes it."""
    match = _MD_FENCE.match(content)
    if fence is None:
        return match.group(1) if match else None
    if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
        if not content[match.end() :].strip():
            return None
    return fence


class _Builder:
    """Accumulates parts and segments; merges adjacent literals so the template stays small."""

    def __init__(self) -> None:
        self.parts: list[str | int] = []
        self.segments: list[Segment] = []
        self.paragraph = -1
        self.line = 0
        self._pending: list[str] = []  # literals since the last segment, joined once: linear

    def literal(self, text: str) -> None:
        if text:
            self._pending.append(text)

    def segment(self, text: str) -> None:
        self._flush()
        index = len(self.segments)
        self.segments.append(Segment(index, self.paragraph, self.line, text))
        self.parts.append(index)

    def document(self, metadata: str, newline: str) -> Document:
        self._flush()
        return Document(self.segments, self.parts, metadata, newline)

    def _flush(self) -> None:
        if self._pending:
            self.parts.append("".join(self._pending))
            self._pending = []


def _parse_line(builder: _Builder, content: str, markdown: bool) -> None:
    """Indentation, markup and trailing space go out as literals; the rest as sentences."""
    start = len(content) - len(content.lstrip())
    end = len(content.rstrip())
    if markdown:
        start = _MD_QUOTE.match(content, start).end()
        heading = _MD_HEADING.match(content, start)
        if heading:
            start = heading.end()
            close = _MD_HEADING_CLOSE.search(content[:end], start)
            end = close.start() if close else end
        else:
            bullet = _MD_LIST.match(content, start)
            start = bullet.end() if bullet else start
        end = max(end, start)  # "-\t": the marker already took the trailing space
    builder.literal(content[:start])
    if markdown:
        pos = start
        for code_start, code_end in _code_spans(content, start, end):
            _add_sentences(builder, content[pos:code_start], markdown)
            builder.literal(content[code_start:code_end])
            pos = code_end
        _add_sentences(builder, content[pos:end], markdown)
    else:
        _add_sentences(builder, content[start:end], markdown)
    builder.literal(content[end:])


def _code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Code spans in text[start:end] as CommonMark pairs them: a backtick run is closed by the
    next run of the same length. Linear time, unlike a backtracking regex."""
    runs = [(m.start(), m.end()) for m in _MD_BACKTICKS.finditer(text, start, end)]
    next_same: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        length = runs[i][1] - runs[i][0]
        next_same[i] = last_of_length.get(length)
        last_of_length[length] = i
    spans = []
    i = 0
    while i < len(runs):
        j = next_same[i]
        if j is None:
            i += 1
        else:
            spans.append((runs[i][0], runs[j][1]))
            i = j + 1
    return spans


def _add_sentences(builder: _Builder, text: str, markdown: bool) -> None:
    pos = 0
    for a, b in split_sentences(text):
        builder.literal(text[pos:a])
        _add_sentence(builder, text[a:b], markdown)
        pos = b
    builder.literal(text[pos:])


def _add_sentence(builder: _Builder, sentence: str, markdown: bool) -> None:
    """A sentence without letters (numbers, emoji, rules like ---) is kept as it is."""
    before, core, after = _strip_emphasis(sentence) if markdown else ("", sentence, "")
    builder.literal(before)
    if any(ch.isalpha() for ch in core):
        builder.segment(core)
    else:
        builder.literal(core)
    builder.literal(after)


def _strip_emphasis(sentence: str) -> tuple[str, str, str]:
    """Peel emphasis markers that wrap the whole sentence: `**Geen doorbraak**` → ** | … | **.

    At most three layers (`***_x_***`), so a pathological sentence cannot make this quadratic.
    """
    before = after = ""
    changed = True
    for _ in range(3):
        if not changed:
            break
        changed = False
        for marker in _MD_EMPHASIS:
            inner = sentence[len(marker) : -len(marker)]
            if (
                len(sentence) > 2 * len(marker)
                and sentence.startswith(marker)
                and sentence.endswith(marker)
                and marker not in inner
                and not inner[0].isspace()
                and not inner[-1].isspace()
            ):
                before += marker
                after = marker + after
                sentence = inner
                changed = True
                break
    return before, sentence, after


def one_line(translation: str) -> str:
    """A translation as it goes into a slot: line breaks become a space, so layout cannot change."""
    return _LINE_BREAK.sub(" ", translation)


def _count_paragraphs(text: str) -> int:
    count = 0
    blank_before = True
    for line in text.splitlines():
        if line.strip():
            count += blank_before
            blank_before = False
        else:
            blank_before = True
    return count
