"""Finding terms in Dutch (case, inflection, compounds) and targets in English."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from glossary.match import Match, find_target, find_terms, target_present
from glossary.store import DEFAULT_GLOSSARY, Glossary, Term, load_glossary

NEWS = load_glossary(DEFAULT_GLOSSARY)
DATA = Path(__file__).resolve().parent / "data"


def found(text: str, terms=NEWS) -> list[tuple[str, str]]:
    """(matched text, term source) for each match."""
    return [(m.text, m.term.source) for m in find_terms(text, terms)]


def test_match_fields_and_spans():
    text = "Poetin sprak met de NAVO."
    ms = find_terms(text, NEWS)
    assert [type(m) for m in ms] == [Match, Match]
    assert [(m.start, m.end) for m in ms] == [(0, 6), (20, 24)]
    assert all(text[m.start:m.end] == m.text for m in ms)
    assert ms[1].term.target == "NATO"


@pytest.mark.parametrize("text", ["de NAVO", "de Navo", "de navo", "DE NAVO ZEGT NEE"])
def test_case_insensitive_by_default(text):
    assert [s for _, s in found(text)] == ["NAVO"]


def test_exact_case_opt_in():
    assert found("De VS en Rusland") == [("VS", "VS"), ("Rusland", "Rusland")]
    assert found("Ajax vs Feyenoord") == []
    assert found("Vs") == []
    assert found("DE VS WAARSCHUWEN") == [("VS", "VS")]
    loose = [Term("VS", "US")]
    assert found("Ajax vs Feyenoord", loose) == [("vs", "VS")]


@pytest.mark.parametrize("text", ["de VSB-bank", "vse", "VSe", "NAVOS", "Ruslandt", "Poetinisme", "XNAVO", "VS2"])
def test_whole_words_only(text):
    assert found(text) == []


def test_multi_word_terms_in_any_spacing_or_hyphenation():
    for text in ["na de Koude Oorlog", "na de koude oorlog", "na de Koude-Oorlog", "na de Koude\n Oorlog",
                 "NA DE KOUDE OORLOG"]:
        assert [s for _, s in found(text)] == ["Koude Oorlog"], text
    assert found("een koude winter in de oorlog") == []


def test_longest_match_wins():
    assert found("de Verenigde Staten") == [("Verenigde Staten", "Verenigde Staten")]
    assert found("in Wit-Rusland") == [("Wit-Rusland", "Wit-Rusland")]
    assert found("de VN-Veiligheidsraad") == [("VN-Veiligheidsraad", "VN-Veiligheidsraad")]
    assert found("de Russische minister van Buitenlandse Zaken Sergej Lavrov") == [
        ("Russische", "Russisch"), ("minister van Buitenlandse Zaken", "minister van Buitenlandse Zaken"),
        ("Sergej", "Sergej"), ("Lavrov", "Lavrov")]
    assert found("de onderminister van Buitenlandse Zaken") == []  # not inside a longer word
    terms = [Term("Oost", "East"), Term("Oost-Europa", "Eastern Europe")]
    assert found("Oost-Europa", terms) == [("Oost-Europa", "Oost-Europa")]
    assert found("Oost-Europa", list(reversed(terms))) == [("Oost-Europa", "Oost-Europa")]


def test_genitive_and_plural():
    assert found("Poetins plannen") == [("Poetins", "Poetin")]
    assert found("de NAVO's uitbreiding") == [("NAVO's", "NAVO")]
    assert found("de Navo’s rol") == [("Navo’s", "NAVO")]
    assert found("Ruslands eisen") == [("Ruslands", "Rusland")]
    assert found("twee Oekraïners") == [("Oekraïners", "Oekraïner")]
    assert found("de Russen") == [("Russen", "Rus")]
    assert found("de Amerikanen", [Term("Amerikaan", "American")]) == [("Amerikanen", "Amerikaan")]


def test_hyphenated_compounds():
    assert found("de NAVO-top") == [("NAVO", "NAVO")]
    assert found("de NAVO-lidstaten") == [("NAVO", "NAVO")]
    assert found("anti-NAVO-retoriek") == [("NAVO", "NAVO")]
    assert found("een EU-land") == [("EU", "EU")]
    assert found("pro-Russische") == [("Russische", "Russisch")]


def test_closed_compound_only_with_flag():
    assert found("ex-Sovjetstaten") == [("Sovjet", "Sovjet")]
    assert found("de Sovjetunie") == [("Sovjetunie", "Sovjet-Unie")]
    assert found("Navotop") == []  # NAVO has no compound flag


def test_adjective_and_derived_forms():
    assert found("de Oekraïense crisis") == [("Oekraïense", "Oekraïens")]
    assert found("de Russische president") == [("Russische", "Russisch")]
    assert found("de Europese Commissie") == [("Europese", "Europees")]
    assert found("de Amerikaanse, Amerikaans", [Term("Amerikaans", "American"), Term("Amerikaan", "American")]) == [
        ("Amerikaanse", "Amerikaans"), ("Amerikaans", "Amerikaans")]
    assert found("de Oost-Europese landen") == [("Oost-Europese", "Oost-Europees")]
    assert found("in het Zwitserse Genève") == [("Zwitserse", "Zwitsers"), ("Genève", "Genève")]
    assert found("Moskouse bronnen") == [("Moskouse", "Moskou")]
    terms = [Term("Russisch", "Russian")]
    assert found("Russische en Russisch en Russisches", terms) == [("Russische", "Russisch"), ("Russisch", "Russisch")]


def test_sentence_initial_and_all_caps():
    assert found("Oekraïne wil bij de NAVO.") == [("Oekraïne", "Oekraïne"), ("NAVO", "NAVO")]
    assert found("POETINS DREIGEMENT AAN OEKRAÏNE") == [("POETINS", "Poetin"), ("OEKRAÏNE", "Oekraïne")]
    assert found("RUSSISCHE TROEPEN") == [("RUSSISCHE", "Russisch")]


def test_diacritics_and_apostrophes_are_lenient():
    assert found("Oekraine en Geneve") == [("Oekraine", "Oekraïne"), ("Geneve", "Genève")]
    decomposed = "Oekrai\u0308ne"
    assert found(decomposed) == [(decomposed, "Oekraïne")]


def test_explicit_variants_from_file():
    assert found("president Zelenski") == [("Zelenski", "Zelensky")]
    assert found("Zelenskyy's toespraak") == [("Zelenskyy's", "Zelensky")]
    assert found("in 's-Gravenhage") == [("'s-Gravenhage", "Den Haag")]
    assert found("in Belarus") == [("Belarus", "Wit-Rusland")]


def test_several_terms_and_order():
    text = "Lavrov en Blinken spraken in Genève over Oekraïne, de NAVO en de VS."
    ms = find_terms(text, NEWS)
    assert [m.term.source for m in ms] == ["Lavrov", "Blinken", "Genève", "Oekraïne", "NAVO", "VS"]
    assert [m.start for m in ms] == sorted(m.start for m in ms)
    assert all(a.end <= b.start for a, b in zip(ms, ms[1:]))


def test_glossary_or_sequence_and_empty():
    assert find_terms("NAVO", Glossary([Term("NAVO", "NATO")])) == find_terms("NAVO", [Term("NAVO", "NATO")])
    assert find_terms("NAVO", []) == []
    assert find_terms("", NEWS) == []


def test_no_false_positives_in_plain_text():
    text = ("De kat zat op de mat. Versus is geen term. Het rustige dorp had een rustig plein. "
            "Europarlementariërs, krimpen, eurozone en de vsb-regeling.")
    assert found(text) == []


def test_fast_enough_for_every_sentence():
    text = "De Russische president Vladimir Poetin sprak maandag met de NAVO over Oekraïne. " * 3
    find_terms(text, NEWS)
    start = time.perf_counter()
    for _ in range(500):
        find_terms(text, NEWS)
    assert (time.perf_counter() - start) / 500 < 0.005  # under 5 ms a sentence, even on a slow CI core


# -- English side -----------------------------------------------------------------------------

NATO, PUTIN, US = Term("NAVO", "NATO"), Term("Poetin", "Putin"), Term("VS", "US", exact_case=True)


@pytest.mark.parametrize("text, term, span", [
    ("NATO summit", NATO, (0, 4)),
    ("the nato summit", NATO, (4, 8)),
    ("a NATO-led force", NATO, (2, 6)),
    ("anti-NATO talk", NATO, (5, 9)),
    ("Putin's demands", PUTIN, (0, 7)),
    ("The US said", US, (4, 6)),
    ("THE US SAID", US, (4, 6)),
    ("the Cold War era", Term("Koude Oorlog", "Cold War"), (4, 12)),
    ("the cold-war era", Term("Koude Oorlog", "Cold War"), (4, 12)),
    ("two Americans", Term("Amerikaan", "American"), (4, 13)),
])
def test_find_target_spans(text, term, span):
    assert find_target(text, term) == span


@pytest.mark.parametrize("text, term", [
    ("give us a break", US),
    ("Us too", US),
    ("USA", US),
    ("the Russian army", Term("Rusland", "Russia")),
    ("Putinism", PUTIN),
    ("the cold and the war", Term("Koude Oorlog", "Cold War")),
])
def test_find_target_rejects(text, term):
    assert find_target(text, term) is None
    assert not target_present(text, term)


def test_terminology_test_set_references_carry_every_target():
    """The test set's contract: each term found in a Dutch line has its target in the reference."""
    nl = (DATA / "terms.nl").read_text(encoding="utf-8").splitlines()
    en = (DATA / "terms.en").read_text(encoding="utf-8").splitlines()
    assert len(nl) == len(en) >= 60
    required = 0
    for src, ref in zip(nl, en):
        ms = find_terms(src, NEWS)
        assert ms, src
        for m in ms:
            required += 1
            assert target_present(ref, m.term), (src, ref, m.term.target)
    assert required >= 150
