"""Documents: exact reassembly, layout kept under translation, markdown, metadata, the seed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translate.document import Document, Segment, parse_document, split_metadata

SEED = Path(__file__).resolve().parents[1] / "seeds" / "nl-2022-01-geneva-talks-russia-us.txt"
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def source_of(doc: Document) -> str:
    return doc.render([s.text for s in doc.segments])


def texts(doc: Document) -> list[str]:
    return [s.text for s in doc.segments]


def literals(doc: Document) -> str:
    return "".join(p for p in doc.parts if isinstance(p, str))


# --- the seed article ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_structure(seed: str) -> None:
    doc = parse_document(seed)
    assert doc.metadata == " date 2022-01 "  # the seed has one leading space
    assert doc.paragraph_count == 12
    assert source_of(doc) == seed
    assert doc.newline == "\n"
    assert all(s.text and s.text == s.text.strip() for s in doc.segments)
    assert not any("date 2022" in s.text for s in doc.segments)
    assert {s.paragraph for s in doc.segments} == set(range(12))
    assert [s.index for s in doc.segments] == list(range(len(doc.segments)))
    first = doc.segments[0]
    assert (first.paragraph, first.line) == (0, 0)
    assert first.text.startswith("Het overleg tussen Rusland en de VS")
    # Short lines stay their own paragraphs and segments.
    headings = [s for s in doc.segments if s.text in ("Geen doorbraak", "Achtertuin")]
    assert [(s.paragraph, s.line) for s in headings] == [(4, 8), (9, 18)]
    assert doc.segments[-1].text.endswith("binnenlandse aangelegenheden.'")


def test_seed_translation_keeps_metadata_and_paragraphs(seed: str) -> None:
    doc = parse_document(seed)
    out = doc.render([f"EN{i}." for i in range(len(doc.segments))])
    assert out.startswith(" date 2022-01 EN0. EN1.\n\nEN2.")
    assert len(out.splitlines()) == len(seed.splitlines())
    assert [bool(x.strip()) for x in out.splitlines()] == [
        bool(x.strip()) for x in seed.splitlines()
    ]


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,prefix",
    [
        ("  date 2022-01 Het overleg.", "  date 2022-01 "),
        ("date 2022-01-10\n\nHet overleg.", "date 2022-01-10\n\n"),
        ("date 2022-01", "date 2022-01"),
        ("Het overleg op date 2022-01.", ""),
        ("date 2022-1 Het", ""),
        ("update 2022-01 Het", ""),
    ],
)
def test_split_metadata(text: str, prefix: str) -> None:
    got_prefix, rest = split_metadata(text)
    assert got_prefix == prefix
    assert got_prefix + rest == text


def test_metadata_on_its_own_line_shifts_line_numbers() -> None:
    doc = parse_document("date 2022-01\n\nEerste zin.\nTweede regel.")
    assert doc.metadata == "date 2022-01\n\n"
    assert [(s.paragraph, s.line, s.text) for s in doc.segments] == [
        (0, 2, "Eerste zin."),
        (0, 3, "Tweede regel."),
    ]
    assert doc.paragraph_count == 1


# --- layout -------------------------------------------------------------------------------------


def test_paragraphs_lines_and_sentences() -> None:
    text = "Titel\nKorte regel\n\n\nEen zin. Nog een zin.\n  Ingesprongen regel.  \n"
    doc = parse_document(text)
    assert [(s.paragraph, s.line, s.text) for s in doc.segments] == [
        (0, 0, "Titel"),
        (0, 1, "Korte regel"),
        (1, 4, "Een zin."),
        (1, 4, "Nog een zin."),
        (1, 5, "Ingesprongen regel."),
    ]
    assert doc.paragraph_count == 2
    assert doc.render(["T", "S", "A.", "B.", "C."]) == "T\nS\n\n\nA. B.\n  C.  \n"


def test_crlf_is_kept() -> None:
    text = "Eerste zin.\r\n\r\nTweede zin. Derde zin.\r\nVierde\r\n"
    doc = parse_document(text)
    assert doc.newline == "\r\n"
    assert doc.render(["One.", "Two.", "Three.", "Four"]) == (
        "One.\r\n\r\nTwo. Three.\r\nFour\r\n"
    )
    assert all("\r" not in s.text for s in doc.segments)


def test_mixed_and_old_mac_line_endings_are_kept() -> None:
    text = "Een.\rTwee.\nDrie.\r\nVier.\u2028Vijf."
    doc = parse_document(text)
    assert texts(doc) == ["Een.", "Twee.", "Drie.", "Vier.", "Vijf."]
    assert doc.newline == "\n"  # the first ending is a lone \r: not CRLF
    assert doc.render(list("abcde")) == "a\rb\nc\r\nd\u2028e"


def test_line_breaks_inside_a_translation_become_spaces() -> None:
    doc = parse_document("Een zin.\nTwee.")
    assert doc.render(["One\nsentence.", "Two\r\n."]) == "One sentence.\nTwo ."


def test_render_ready_streams_the_same_text() -> None:
    text = "# Kop\n\nEen zin. Twee zinnen.\r\nDrie.\n"
    doc = parse_document(text)
    translations = ["Head", "One\nsentence.", "Two.", "Three."]
    chunk, pos = doc.render_ready({0: "Head"})
    assert chunk == "# Head\n\n" and doc.parts[pos] == 1
    rest, end = doc.render_ready(dict(enumerate(translations)), pos)
    assert end == len(doc.parts)
    assert chunk + rest == doc.render(translations) == "# Head\n\nOne sentence. Two.\r\nThree.\n"


def test_render_needs_one_translation_per_segment() -> None:
    doc = parse_document("Een. Twee.")
    with pytest.raises(ValueError, match="expected 2 translations, got 1"):
        doc.render(["One."])


def test_empty_and_blank_documents() -> None:
    for text in ("", "   ", "\n\n", "\r\n \t\r\n"):
        doc = parse_document(text)
        assert doc.segments == [] and doc.paragraph_count == 0
        assert doc.render([]) == text


def test_text_without_letters_is_literal() -> None:
    doc = parse_document("🎉 Feest! 🎉\n---\n2022\n… !!!\nHet kost € 5.", markdown=False)
    assert texts(doc) == ["🎉 Feest!", "Het kost € 5."]
    out = doc.render(["Party!", "It costs € 5."])
    assert out == "Party! 🎉\n---\n2022\n… !!!\nIt costs € 5."


def test_bom_is_kept_outside_segments() -> None:
    doc = parse_document("\ufeffdate 2022-01 Een zin.")
    assert doc.metadata == "date 2022-01 "
    assert texts(doc) == ["Een zin."]
    assert doc.render(["A sentence."]) == "\ufeffdate 2022-01 A sentence."


# --- markdown -----------------------------------------------------------------------------------

MARKDOWN = """\
# Het overleg in Genève ##

**Geen doorbraak**

- Eerste punt. Tweede zin.
* _Nadruk op alles_
+ [x] Taak gedaan
12. Genummerd punt
> Een citaat.
>> > Dubbel citaat

Voer `nlen translate --beam 4` uit. Dan ***klaar***.  
```python
x = 1  # Nederlands commentaar. Niet vertalen.

```
~~~
Ook geen tekst om te vertalen.
~~~
"""


def test_markdown_markup_stays_outside_segments() -> None:
    doc = parse_document(MARKDOWN)
    assert texts(doc) == [
        "Het overleg in Genève",
        "Geen doorbraak",
        "Eerste punt.",
        "Tweede zin.",
        "Nadruk op alles",
        "Taak gedaan",
        "Genummerd punt",
        "Een citaat.",
        "Dubbel citaat",
        "Voer",
        "uit.",
        "Dan ***klaar***.",
    ]
    assert source_of(doc) == MARKDOWN
    out = doc.render([f"T{i}" for i in range(len(doc.segments))])
    assert out.splitlines()[:6] == ["# T0 ##", "", "**T1**", "", "- T2 T3", "* _T4_"]
    assert "+ [x] T5\n12. T6\n> T7\n>> > T8\n" in out
    assert "T9 `nlen translate --beam 4` T10 T11  \n" in out
    assert "x = 1  # Nederlands commentaar. Niet vertalen.\n\n```\n" in out
    assert "Ook geen tekst om te vertalen." in out


def test_markdown_detection() -> None:
    plain = "1. Dit is een genummerde regel? Nee.\n- Dit ook."
    assert texts(parse_document(plain)) == ["Dit is een genummerde regel?", "Nee.", "Dit ook."]
    # As plain text the bullet stays in the segment; "1." has no letters, so it stays literal.
    assert texts(parse_document(plain, markdown=False)) == [
        "Dit is een genummerde regel?",
        "Nee.",
        "- Dit ook.",
    ]
    prose = "Het kost *veel* geld. # geen kop\n2022 was een jaar."
    assert texts(parse_document(prose)) == [
        "Het kost *veel* geld.",
        "# geen kop",
        "2022 was een jaar.",
    ]


def test_emphasis_inside_a_sentence_is_not_peeled() -> None:
    text = "**Let op:** de VS en **NAVO**.\n__Alles__\n**a** en **b**\n***_Diep_***"
    doc = parse_document(text, markdown=True)
    assert texts(doc) == ["**Let op:** de VS en **NAVO**.", "Alles", "**a** en **b**", "Diep"]
    deep = "_*" * 50_000 + "x" + "*_" * 50_000  # peeling stops after three layers
    assert source_of(parse_document(deep, markdown=True)) == deep


def test_code_spans_pair_like_commonmark() -> None:
    doc = parse_document("Gebruik ``a ` b`` en `c` nu. Een `open backtick blijft.", markdown=True)
    assert literals(doc).count("``a ` b``") == 1 and "`c`" in literals(doc)
    assert "Een `open backtick blijft." in texts(doc)


def test_unclosed_fence_keeps_the_rest_literal() -> None:
    doc = parse_document("Tekst.\n```\ncode. Meer code.\n\nNog code.", markdown=True)
    assert texts(doc) == ["Tekst."]


# --- properties ---------------------------------------------------------------------------------

PIECES = [
    "Het", "overleg", "Oekraïne", "VS", "o.a.", "dhr.", "J.R.R.", "100.000", "3,5", "12.30",
    "https://nos.nl/a.b", "jan@nos.nl", "🎉", "👍🏽", "e\u0301", "date 2022-01", "2022-01-10",
    ".", ". ", "...", "…", "?!", "!", "?", ",", ";", ":", "'", '"', "‘", "’", "“", "”",
    "(", ")",
    " ", "  ", "\t", "\u00a0", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n", " \n", "\u2028", "\ufeff",
    "# ", "## ", "- ", "* ", "+ ", "1. ", "> ", "**", "__", "_", "*", "`", "```", "~~~", "[x] ",
    "date 2022-01 ",
]  # fmt: skip
TEXT = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.text(max_size=40),
)
TRANSLATION = st.text(
    alphabet=st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
).filter(lambda t: t.strip() != "")


def line_shape(text: str) -> list[tuple[bool, str]]:
    """Per line: is it blank, and which line ending it has."""
    shape = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip(LINE_BREAKS)
        shape.append((body.strip() == "", line[len(body) :]))
    return shape


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from([None, True, False]))
def test_reassembly_is_exact(text: str, markdown: bool | None) -> None:
    doc = parse_document(text, markdown)
    assert source_of(doc) == text
    assert text.removeprefix("\ufeff").startswith(doc.metadata)
    lines = text.splitlines()
    prefix_lines = len(doc.metadata.splitlines(keepends=True)) - (
        doc.metadata != "" and doc.metadata[-1] not in LINE_BREAKS
    )
    for i, seg in enumerate(doc.segments):
        assert isinstance(seg, Segment) and seg.index == i
        assert seg.text and seg.text == seg.text.strip()
        assert not any(ch in LINE_BREAKS for ch in seg.text)
        assert seg.text in lines[seg.line]
        assert seg.line >= prefix_lines
        assert 0 <= seg.paragraph < doc.paragraph_count
    assert [s.paragraph for s in doc.segments] == sorted(s.paragraph for s in doc.segments)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.data())
def test_translation_keeps_layout(text: str, data: st.DataObject) -> None:
    doc = parse_document(text)
    n = len(doc.segments)
    translations = data.draw(st.lists(TRANSLATION, min_size=n, max_size=n))
    out = doc.render(translations)
    streamed, end = doc.render_ready(dict(enumerate(translations)))
    assert (streamed, end) == (out, len(doc.parts))
    assert line_shape(out) == line_shape(text)  # same lines, blank lines and line endings
    assert out.startswith(text[: len(text) - len(text.removeprefix("\ufeff"))] + doc.metadata)
    assert parse_document(out).paragraph_count == doc.paragraph_count


@settings(max_examples=100, deadline=None)
@given(TEXT, st.lists(st.text(max_size=6), max_size=60))
def test_line_breaks_in_translations_cannot_change_layout(text: str, pool: list[str]) -> None:
    doc = parse_document(text)
    translations = [
        pool[i % len(pool)] + "\n" + "x" if pool else "x\r\ny" for i in range(len(doc.segments))
    ]
    assert len(doc.render(translations).splitlines()) == len(text.splitlines())


def test_parse_one_megabyte_under_a_second(seed: str) -> None:
    body = split_metadata(seed)[1]
    big = (body + "\n\n") * (1_000_000 // (len(body) + 2) + 1)
    start = time.perf_counter()
    doc = parse_document(big)
    elapsed = time.perf_counter() - start
    assert doc.paragraph_count == 12 * (1_000_000 // (len(body) + 2) + 1)
    assert source_of(doc) == big
    assert elapsed < 20, f"parse took {elapsed:.2f}s"  # a hang guard (~0.3 s here), not a speed claim


def test_pathological_markdown_is_linear() -> None:
    start = time.perf_counter()
    for text in ("``a " + "`" * 100_000, "# a" + " " * 200_000 + "x", ". " * 100_000):
        assert source_of(parse_document(text, markdown=True)) == text
    assert time.perf_counter() - start < 20  # a guard against super-linear regexes, not a speed claim
