"""The Translator API end to end on a tiny real Marian model (trained for a few steps in a fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glossary.store import parse_glossary
from translate.document import parse_document
from translate.translator import Translator

SEED = Path(__file__).resolve().parent.parent / "seeds" / "nl-2022-01-geneva-talks-russia-us.txt"


BACKENDS = ["transformers", "ctranslate2"]


@pytest.fixture(scope="module", params=BACKENDS)
def translator(request, tiny_model):
    """The same behaviour is required of both backends."""
    return Translator(tiny_model, backend=request.param, beam=1, batch_size=32)


def test_seed_article_keeps_its_structure(translator):
    text = SEED.read_text(encoding="utf-8")
    doc = parse_document(text)
    out = translator.translate_text(text)
    assert doc.paragraph_count == 12
    assert out.count("\n\n") == text.count("\n\n") == 11
    assert out.startswith(" date 2022-01 "), "the metadata prefix is passed through untranslated"
    results = translator.translate_segments_detailed([s.text for s in doc.segments])
    assert len(results) == len(doc.segments) == 30
    assert all(r.translation.strip() for r in results), "no segment may come back empty"


def test_same_input_same_output(translator):
    sources = ["Het overleg heeft geen doorbraak opgeleverd.", "Ik ben moe.", "Wat doe je?"]
    assert translator.translate_segments(sources) == translator.translate_segments(list(reversed(sources)))[::-1]


def test_batching_restores_order(tiny_model):
    sources = [f"Er waren {n} soldaten aan de grens." if n % 2 else "Ja." for n in range(9)]
    small = Translator(tiny_model, backend="transformers", beam=1, batch_size=2).translate_segments(sources)
    large = Translator(tiny_model, backend="transformers", beam=1, batch_size=64).translate_segments(sources)
    assert small == large


@pytest.mark.parametrize("backend", BACKENDS)
def test_over_long_sentence_is_split_not_cut(tiny_model, backend):
    translator = Translator(tiny_model, backend=backend, beam=1, max_unit_tokens=40)
    clause = "de minister zei dat de troepen naar de kazernes teruggaan"
    sentence = ", ".join([clause] * 12) + "."
    [result] = translator.translate_segments_detailed([sentence])
    assert result.units > 1
    assert result.translation.strip()


@pytest.mark.parametrize("backend", BACKENDS)
def test_glossary_terms_are_enforced_and_reported(tiny_model, backend):
    glossary = parse_glossary("NAVO\tNATO\nPoetin\tPutin\nGenève\tGeneva\n")
    translator = Translator(tiny_model, backend=backend, beam=1, glossary=glossary)
    sources = ["Poetins eisen aan de NAVO.", "De NAVO-top in Genève begint maandag.", "Ik ben moe."]
    results = translator.translate_segments_detailed(sources)
    for result in results[:2]:
        assert result.terms, result
        for term in result.terms:
            assert term.enforced, (result.translation, term)
            assert term.target.lower() in result.translation.lower()
    assert results[2].terms == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_sentences_without_terms_translate_as_without_glossary(tiny_model, backend):
    glossary = parse_glossary("NAVO\tNATO\n")
    plain = Translator(tiny_model, backend=backend, beam=1)
    with_glossary = Translator(tiny_model, backend=backend, beam=1, glossary=glossary)
    sources = ["Ik ben moe.", "Het regent vandaag in Amsterdam.", "De NAVO vergadert."]
    a, b = plain.translate_segments(sources), with_glossary.translate_segments(sources)
    assert a[:2] == b[:2]
    assert "NATO" in b[2]


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_caps_headline_gets_upper_case_term(tiny_model, backend):
    glossary = parse_glossary("Poetin\tPutin\n")
    translator = Translator(tiny_model, backend=backend, beam=1, glossary=glossary)
    [result] = translator.translate_segments_detailed(["POETIN DREIGT MET NIEUWE SANCTIES"])
    assert result.terms[0].enforced
    assert "PUTIN" in result.translation


def test_markdown_markup_stays_outside_translation(translator):
    text = "# Geen doorbraak\n\n- Poetin eist garanties.\n- **De NAVO** zegt nee.\n"
    out = translator.translate_text(text)
    lines = out.split("\n")
    assert lines[0].startswith("# ") and lines[2].startswith("- ") and lines[3].startswith("- **")
    assert lines[3].rstrip().endswith("**") or "**" in lines[3][4:]
    assert out.endswith("\n") and out.count("\n") == text.count("\n")


def test_crlf_is_kept(translator):
    out = translator.translate_text("Eerste regel.\r\n\r\nTweede alinea.\r\n")
    assert out.count("\r\n") == 3 and "\n" not in out.replace("\r\n", "")
