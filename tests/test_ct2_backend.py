"""The CTranslate2 backend against the transformers backend on a real (tiny) trained Marian model."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2")

from translate.backends import DecodeOptions, TransformersBackend, load_backend  # noqa: E402
from translate.ct2_backend import CTranslate2Backend, converted_dir, ensure_converted  # noqa: E402
from translate.models import resolve_model  # noqa: E402

SOURCES = [
    "De minister zei dat de gesprekken in Genève goed verliepen.",
    "Ik ben thuis.",
    "Het weer is vandaag mooi, maar morgen gaat het regenen.",
    "Rusland en de Verenigde Staten praten over Oekraïne.",
    "Dat is 12,5 procent meer dan in 2021!",
    "Hij las het boek « De avond » — twee keer.",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory, monkeypatch_module):
    path = tmp_path_factory.mktemp("nlen-cache")
    monkeypatch_module.setenv("NLEN_CACHE", str(path))
    return path


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def info(tiny_model):
    return resolve_model(str(tiny_model))


@pytest.fixture(scope="module")
def hf(info):
    return TransformersBackend(info, threads=1)


@pytest.fixture(scope="module")
def ct2(info, cache):
    return CTranslate2Backend(info, quantization="float32")


def test_same_source_pieces(hf, ct2):
    for text in SOURCES + ["  twee  spaties\tén een tab ", "letterlijk <unk> en </s> in de tekst", ""]:
        assert ct2.source_pieces(text) == hf.source_pieces(text)
        assert ct2.count_tokens(text) == hf.count_tokens(text)


@pytest.mark.parametrize("beam", [1, 4])
def test_float32_outputs_match_transformers(hf, ct2, beam):
    """With float32 weights the custom conversion decodes exactly as transformers does."""
    options = DecodeOptions(beam=beam, batch_size=4)
    ours = ct2.translate_batch(SOURCES, options)
    theirs = hf.translate_batch(SOURCES, options)
    assert [h.target_pieces for h in ours] == [h.target_pieces for h in theirs]
    assert [h.text for h in ours] == [h.text for h in theirs]
    assert [h.source_pieces for h in ours] == [h.source_pieces for h in theirs]


def test_penalised_outputs_match_transformers(hf, ct2):
    """no_repeat_ngram_size and repetition_penalty reach CTranslate2 and act as in transformers."""
    plain = [h.target_pieces for h in ct2.translate_batch(SOURCES, DecodeOptions(beam=4, batch_size=3))]
    for options in (DecodeOptions(beam=4, batch_size=3, no_repeat_ngram_size=2, repetition_penalty=1.3),
                    DecodeOptions(beam=1, batch_size=3, no_repeat_ngram_size=3)):
        ours = [h.target_pieces for h in ct2.translate_batch(SOURCES, options)]
        assert ours == [h.target_pieces for h in hf.translate_batch(SOURCES, options)]
        assert ours != plain          # the options changed the output


def test_deterministic(ct2):
    options = DecodeOptions(beam=4, batch_size=2)
    first = [h.target_pieces for h in ct2.translate_batch(SOURCES, options)]
    assert first == [h.target_pieces for h in ct2.translate_batch(SOURCES, options)]


def test_prefixes_are_honoured(hf, ct2):
    prefixes = [None, "The house", None, "Russia and", None, None]
    options = DecodeOptions(beam=1, batch_size=4)
    ours = ct2.translate_batch(SOURCES, options, prefixes=prefixes)
    theirs = hf.translate_batch(SOURCES, options, prefixes=prefixes)
    for prefix, h in zip(prefixes, ours):
        if prefix:
            assert h.text.startswith(prefix)
            assert h.target_pieces[: len(ct2.target_pieces(prefix))] == ct2.target_pieces(prefix)
    assert [h.target_pieces for h in ours] == [h.target_pieces for h in theirs]


def test_align_shape_and_values(hf, ct2):
    targets = ["The minister said the talks in Geneva went well.", "I am at home."]
    ours = ct2.align(SOURCES[:2], targets)
    theirs = hf.align(SOURCES[:2], targets)
    for o, t in zip(ours, theirs):
        assert o.target_pieces == t.target_pieces
        assert o.source_pieces == t.source_pieces
        assert len(o.attention) == len(o.target_pieces)
        assert all(len(row) == len(o.source_pieces) for row in o.attention)
        # one layer in the tiny model: CT2's last-layer, all-heads average is transformers' average
        for a, b in zip(o.attention, t.attention):
            assert a == pytest.approx(b, abs=1e-4)


def test_return_attention_shape(ct2):
    hyps = ct2.translate_batch(SOURCES[:3], DecodeOptions(beam=2), return_attention=True)
    for h in hyps:
        assert len(h.attention) == len(h.target_pieces)
        assert all(len(row) == len(h.source_pieces) for row in h.attention)


def test_int8_is_close_to_float32(info, cache, ct2):
    q = CTranslate2Backend(info)   # int8, the default
    assert q.quantization == "int8"
    assert converted_dir(info, "int8").name.endswith("-int8")
    options = DecodeOptions(beam=1)
    same = sum(a.target_pieces == b.target_pieces
               for a, b in zip(q.translate_batch(SOURCES, options), ct2.translate_batch(SOURCES, options)))
    assert same >= len(SOURCES) // 2


def test_cache_reuse(info, cache, ct2):
    path = converted_dir(info, "float32")
    assert path.parent.parent == cache and (path / "model.bin").exists()
    mtime = (path / "model.bin").stat().st_mtime_ns
    again = CTranslate2Backend(info, quantization="float32")
    assert again.conversion_seconds == 0.0
    assert (path / "model.bin").stat().st_mtime_ns == mtime
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]   # no temp folders left


def _convert(args):
    model_dir, cache_dir = args
    import os

    os.environ["NLEN_CACHE"] = cache_dir
    from translate.ct2_backend import ensure_converted as convert
    from translate.models import resolve_model as resolve

    return str(convert(resolve(model_dir), "int16")[0])


def test_concurrent_first_use(tiny_model, tmp_path):
    """Two processes converting at once: one converts, the other waits and reuses it, nothing corrupt."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        paths = pool.map(_convert, [(str(tiny_model), str(tmp_path))] * 2)
    assert paths[0] == paths[1]
    folder = Path(paths[0])
    assert (folder / "model.bin").exists()
    assert [p.name for p in folder.parent.iterdir() if not p.name.endswith(".lock")] == [folder.name]


def test_unknown_quantization(info, cache):
    with pytest.raises(ValueError, match="quantization"):
        ensure_converted(info, "int3")


def test_load_backend(info, cache):
    backend = load_backend(info, "ctranslate2", threads=1)
    assert backend.name == "ctranslate2"
    assert backend.parallelism == backend.inter_threads == 1
    assert backend.intra_threads == 1


def test_too_long_source_is_refused(ct2):
    with pytest.raises(ValueError, match="split it first"):
        ct2.translate_batch(["woord " * 600], DecodeOptions())


def test_translator_on_ctranslate2(tiny_model, hf, ct2, cache):
    from translate.translator import Translator

    ours = Translator(model=str(tiny_model), backend=ct2, glossary=None, beam=2)
    theirs = Translator(model=str(tiny_model), backend=hf, glossary=None, beam=2)
    assert ours.translate_segments(SOURCES[:3]) == theirs.translate_segments(SOURCES[:3])
    by_name = Translator(model=str(tiny_model), backend="ctranslate2", glossary=None, beam=1)
    assert by_name.backend.name == "ctranslate2"
    pytest.importorskip("translate.document")
    text = "# Genève\n\n" + SOURCES[0] + " " + SOURCES[1] + "\n\n" + SOURCES[2] + "\n"
    out = by_name.translate_text(text)
    assert out.startswith("# ") and out.count("\n\n") == 2 and out.endswith("\n")
    assert out == by_name.translate_text(text)
