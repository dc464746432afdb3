"""Dutch sentence splitting and over-long sentence splitting: tricky cases and properties."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translate.segment import split_long, split_long_spans, split_sentences

SEED = Path(__file__).resolve().parents[1] / "seeds" / "nl-2022-01-geneva-talks-russia-us.txt"


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


# (input, expected sentences)
CASES = {
    "abbreviations o.a. bijv. d.w.z.": (
        "Er waren o.a. Rusland en de VS. Daarna kwam bijv. Poetin, d.w.z. de president.",
        ["Er waren o.a. Rusland en de VS.", "Daarna kwam bijv. Poetin, d.w.z. de president."],
    ),
    "titles dhr. mevr. mr. dr. prof.": (
        "Dhr. Jansen en mevr. De Vries kwamen. Mr. Dr. Prof. Bakker sprak.",
        ["Dhr. Jansen en mevr. De Vries kwamen.", "Mr. Dr. Prof. Bakker sprak."],
    ),
    "ca. nl. resp.": (
        "Hij kwam ca. 100 keer. Zie nl. Het Parool, resp. De Telegraaf. Klaar.",
        ["Hij kwam ca. 100 keer.", "Zie nl. Het Parool, resp. De Telegraaf.", "Klaar."],
    ),
    "i.p.v. m.b.t. t.o.v.": (
        "Dat kwam i.p.v. Rusland. Het ging m.b.t. Oekraïne. Het was t.o.v. Moskou beter.",
        ["Dat kwam i.p.v. Rusland.", "Het ging m.b.t. Oekraïne.", "Het was t.o.v. Moskou beter."],
    ),
    "enz. etc. jl. z.g.a.n. can end a sentence": (
        "Boeken, cd's enz. De winkel sloot. Appels etc. Daarna op 5 januari jl. "
        "Fiets z.g.a.n. Bel ons.",
        [
            "Boeken, cd's enz.",
            "De winkel sloot.",
            "Appels etc.",
            "Daarna op 5 januari jl.",
            "Fiets z.g.a.n.",
            "Bel ons.",
        ],
    ),
    "enz. mid-sentence": (
        "Boeken, cd's enz. worden verkocht.",
        ["Boeken, cd's enz. worden verkocht."],
    ),
    "St. Petersburg": (
        "Hij woont in St. Petersburg. Zij niet.",
        ["Hij woont in St. Petersburg.", "Zij niet."],
    ),
    "numbers": (
        "Er kwamen 100.000 mensen. Het groeide 3,5 procent. Versie 1.5 is uit. "
        "Om 12.30 uur begon het. Op 1.1.2022 was het koud.",
        [
            "Er kwamen 100.000 mensen.",
            "Het groeide 3,5 procent.",
            "Versie 1.5 is uit.",
            "Om 12.30 uur begon het.",
            "Op 1.1.2022 was het koud.",
        ],
    ),
    "sentence starting with a digit": (
        "Het was 12.30 uur. 25 mensen kwamen. Het gebeurde in 2022. 2023 wordt beter.",
        ["Het was 12.30 uur.", "25 mensen kwamen.", "Het gebeurde in 2022.", "2023 wordt beter."],
    ),
    "abbreviation then digit or lower case": (
        "Op 1 jan. 2022 begon het. Zie p. 12 en nr. 5. Dat was bijv. niet zo.",
        ["Op 1 jan. 2022 begon het.", "Zie p. 12 en nr. 5.", "Dat was bijv. niet zo."],
    ),
    "initials": (
        "J.R.R. Tolkien schreef boeken. W. Sherman sprak. Toen kwam A.J. de Vries.",
        ["J.R.R. Tolkien schreef boeken.", "W. Sherman sprak.", "Toen kwam A.J. de Vries."],
    ),
    "acronyms end sentences": (
        "Hij ging naar de VS. De NAVO reageerde.",
        ["Hij ging naar de VS.", "De NAVO reageerde."],
    ),
    "ellipses": (
        "Hij wachtte… Toen kwam ze. Hij wachtte... en wachtte. Zij zei ... Niets.",
        ["Hij wachtte…", "Toen kwam ze.", "Hij wachtte... en wachtte.", "Zij zei ...", "Niets."],
    ),
    "omission marks are not endings": (
        "Hij zei [...] Rusland en (…) Oekraïne. Klaar.",
        ["Hij zei [...] Rusland en (…) Oekraïne.", "Klaar."],
    ),
    "sentence ending inside a closing quote": (
        "Hij zei: 'Ik kom.' Daarna ging hij. Zij riep: “Nee!” Toen was het stil.",
        ["Hij zei: 'Ik kom.'", "Daarna ging hij.", "Zij riep: “Nee!”", "Toen was het stil."],
    ),
    "quote followed by , zei": (
        "'Als de Russen willen, kunnen ze gaan', zei Sherman. 'Dat klopt.', zei hij.",
        ["'Als de Russen willen, kunnen ze gaan', zei Sherman.", "'Dat klopt.', zei hij."],
    ),
    "quote followed by lower case": (
        "'Kom je?' vroeg ze. ‘Ja!’ riep hij. \"Nee.\" zei zij.",
        ["'Kom je?' vroeg ze.", "‘Ja!’ riep hij.", '"Nee." zei zij.'],
    ),
    "?! endings": (
        "Echt?! Ja. Wat? Nee! \"Waarom?\" Daarom.",
        ["Echt?!", "Ja.", "Wat?", "Nee!", '"Waarom?"', "Daarom."],
    ),
    "elided article starts a sentence": (
        "Het was laat. 's Avonds was het stil. 't Is voorbij.",
        ["Het was laat.", "'s Avonds was het stil.", "'t Is voorbij."],
    ),
    "urls and e-mail addresses": (
        "Zie https://nos.nl/artikel/123. Mail jan.de.vries@nos.nl. "
        "Kijk op example.com/a.b voor meer. Dat is het.",
        [
            "Zie https://nos.nl/artikel/123.",
            "Mail jan.de.vries@nos.nl.",
            "Kijk op example.com/a.b voor meer.",
            "Dat is het.",
        ],
    ),
    "brackets": (
        "Het regent. (Dat is vervelend.) Morgen zon.",
        ["Het regent.", "(Dat is vervelend.)", "Morgen zon."],
    ),
    "markdown emphasis around a sentence": (
        "**Eerste zin.** Tweede zin.",
        ["**Eerste zin.**", "Tweede zin."],
    ),
    "symbols and emoji": (
        "Het kost € 5. € 10 is te veel. Feest! 🎉 Leuk.",
        ["Het kost € 5.", "€ 10 is te veel.", "Feest!", "🎉 Leuk."],
    ),
    "no final punctuation": (
        "  Geen doorbraak  ",
        ["Geen doorbraak"],
    ),
}


@pytest.mark.parametrize("text,expected", CASES.values(), ids=CASES.keys())
def test_dutch_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_empty_and_blank() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \t\u00a0 ") == []


def test_seed_paragraph_with_quote_and_numbers() -> None:
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert sentences(lines[3]) == [
        "De Russen ontkenden stellig dat ze van plan zijn Oekraïne binnen te vallen, "
        "zei Sherman na het overleg.",
        "De VS en hun bondgenoten waarschuwen al weken voor een mogelijke invasie, nadat "
        "Rusland ruim 100.000 soldaten naar de grens met Oekraïne had gestuurd.",
        "'Als de Russen de situatie willen afkoelen, kunnen ze hun troepen naar de kazernes "
        "terugsturen', zei Sherman.",
    ]
    # The last paragraph ends in a closing quote.
    assert sentences(lines[-1])[-1].endswith("binnenlandse aangelegenheden.'")


def test_pathological_punctuation_is_linear() -> None:
    start = time.perf_counter()
    for text in ("." * 200_000 + "x", "?" * 100_000 + "'" * 100_000 + "x", ". " * 100_000):
        split_sentences(text)
    assert time.perf_counter() - start < 3


PIECES = [*"aZé1 .!?…'\"‘’“”()[]*_,;:\t\u00a0🎉", "o.a.", "dhr.", "J.", "...", "'s "]
LINE_TEXT = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
    st.text(max_size=60),
)


@given(LINE_TEXT)
def test_spans_cover_all_text(text: str) -> None:
    spans = split_sentences(text)
    pos = 0
    for a, b in spans:
        assert a < b
        assert text[pos:a].strip() == ""  # gaps are whitespace only
        assert not text[a].isspace() and not text[b - 1].isspace()
        pos = b
    assert text[pos:].strip() == ""


# --- split_long -------------------------------------------------------------------------------

LONG = (
    "De Amerikaanse onderminister van Buitenlandse Zaken, Wendy Sherman, en haar Russische "
    "evenknie, Sergej Ryabkov, zaten maandag in het Zwitserse Genève bijna acht uur samen om "
    "een uitweg te zoeken uit de zwaarste geopolitieke confrontatie sinds het einde van de "
    "Koude Oorlog."
)


def words(text: str) -> int:
    return len(text.split())


def test_fitting_sentence_is_one_piece() -> None:
    assert split_long(LONG, 100, words) == [LONG]
    assert split_long("  kort  ", 5, words) == ["kort"]
    assert split_long("   ", 5, words) == []


def test_splits_at_clause_boundaries() -> None:
    pieces = split_long(LONG, 20, words)
    assert all(words(p) <= 20 for p in pieces)
    assert " ".join(pieces) == LONG
    assert len(pieces) == 3
    # every cut is after a comma or before a clause word
    for left, right in zip(pieces, pieces[1:]):
        assert left.endswith(",") or right.split()[0] in {"en", "om", "sinds", "dat", "die"}


def test_prefers_semicolon_then_comma_then_conjunction() -> None:
    text = "Rusland wil garanties van het westen; de VS weigeren, omdat dat onmogelijk is"
    assert split_long(text, 8, words) == [
        "Rusland wil garanties van het westen;",
        "de VS weigeren, omdat dat onmogelijk is",
    ]
    text = "Poetin eiste garanties van de NAVO maar de VS noemden die eisen onrealistisch"
    assert split_long(text, 8, words) == [
        "Poetin eiste garanties van de NAVO",
        "maar de VS noemden die eisen onrealistisch",
    ]


def test_plain_whitespace_when_no_clause_boundary() -> None:
    text = "een twee drie vier vijf zes zeven acht negen tien"
    pieces = split_long(text, 3, words)
    assert all(words(p) <= 3 for p in pieces)
    assert " ".join(pieces) == text


def test_cut_inside_a_word_as_last_resort() -> None:
    def chars(text: str) -> int:
        return len(text)

    word = "arbeidsongeschiktheidsverzekering"
    pieces = split_long(f"de {word}", 10, chars)
    assert all(0 < len(p) <= 10 for p in pieces)
    assert pieces[0] == "de"
    assert "".join(pieces[1:]) == word


def test_keeps_emoji_sequences_and_accents_together() -> None:
    def chars(text: str) -> int:
        return len(text)

    text = "ab👍🏽\u200d" + "e\u0301" * 5
    pieces = split_long(text, 3, chars)
    assert "".join(pieces) == text
    for piece in pieces:
        assert piece[0] not in "\u200d\u0301\ufe0f"


def test_whitespace_runs_are_the_only_thing_lost() -> None:
    text = "Een  zin,\tmet\u00a0rare   spaties en  nog meer woorden"
    spans = split_long_spans(text, 2, words)
    pieces = [text[a:b] for a, b in spans]
    assert pieces == split_long(text, 2, words)
    for (_, b), (a, _) in zip(spans, spans[1:]):
        assert text[b:a].strip() == "" and b < a  # all word-level cuts: a whitespace gap
    assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", text)


def test_impossible_limits_raise() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        split_long("tekst", 0, words)
    with pytest.raises(ValueError, match="exceeds"):
        split_long("tekst", 1, lambda s: len(s) + 1)  # one char + </s> never fits in 1


def test_600_word_sentence_without_recursion_limit() -> None:
    text = " ".join(["woord"] * 600)
    pieces = split_long(text, 50, words)
    assert " ".join(pieces) == text
    assert all(words(p) <= 50 for p in pieces)
    huge = "x" * 20_000  # 20,000 one-character cuts must not hit the recursion limit
    assert "".join(split_long(huge, 1, len)) == huge


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"abc ,;:.\t", "en ", " maar ", "👍🏽", "e\u0301"]), max_size=120
    ).map("".join),
    st.integers(min_value=1, max_value=12),
)
def test_split_long_properties(text: str, max_tokens: int) -> None:
    def tokens(piece: str) -> int:  # roughly like subwords: longer words cost more
        return sum(1 + len(w) // 4 for w in piece.split())

    spans = split_long_spans(text, max_tokens, tokens)
    pieces = split_long(text, max_tokens, tokens)
    assert pieces == [text[a:b] for a, b in spans]
    rebuilt = []
    pos = len(text) - len(text.lstrip())
    for a, b in spans:
        gap = text[pos:a]
        assert gap.strip() == ""  # whitespace, or "" for a cut inside a word
        rebuilt.append(gap + text[a:b])
        piece = text[a:b]
        assert piece and piece == piece.strip()
        assert tokens(piece) <= max_tokens
        pos = b
    assert "".join(rebuilt) == text.strip()
