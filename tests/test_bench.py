"""`nlen bench` end to end on the tiny model: the report's structure and sane values (no timing thresholds)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("ctranslate2")

from translate.bench import OPUS_MT_NL_EN, Architecture, BenchConfig, BenchError, compare, read_flores, render, run_bench  # noqa: E402

SMALL_ARCH = Architecture(d_model=32, encoder_layers=1, decoder_layers=1, heads=2, ffn=64, vocab_size=1500)


@pytest.fixture(scope="module")
def report(tiny_model, nlen_data, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("NLEN_CACHE", str(cache))
    article = tmp_path_factory.mktemp("seed") / "kort.txt"
    article.write_text("Rusland en de VS praten in Genève.\n\nDe minister zei dat het goed ging.\n", encoding="utf-8")
    cfg = BenchConfig(model_path=tiny_model, model_id="tiny", limit=3, data_dir=nlen_data, seed_article=article,
                      beam=1, batch_size=2, threads=1, forced_length=5, forced_sentences=3, architecture=SMALL_ARCH)
    try:
        yield run_bench(cfg)
    finally:
        mp.undo()


def test_opus_architecture_is_opus_mt_nl_en():
    """Helsinki-NLP/opus-mt-nl-en config.json: d_model 512, 6+6 layers, 8 heads, ffn 2048, vocab 67028."""
    assert (OPUS_MT_NL_EN.d_model, OPUS_MT_NL_EN.encoder_layers, OPUS_MT_NL_EN.decoder_layers,
            OPUS_MT_NL_EN.heads, OPUS_MT_NL_EN.ffn, OPUS_MT_NL_EN.vocab_size) == (512, 6, 6, 8, 2048, 67028)


def test_report_runs(report):
    assert set(report["runs"]) == {"transformers", "ctranslate2"}
    for name, run in report["runs"].items():
        flores, seed = run["flores"], run["seed"]
        assert flores["backend"] == seed["backend"] == name
        assert flores["sentences"] == 3 and seed["sentences"] == 2
        for r in (flores, seed):
            assert r["seconds"] > 0 and r["sentences_per_s"] > 0
            assert r["target_tokens"] > 0 and r["tokens_per_s"] > 0
            assert r["load_s"] > 0
            assert 50 < r["peak_rss_mb"] < 8000
        assert 0 <= flores["bleu"] <= 100
    assert report["runs"]["ctranslate2"]["conversion_s"] > 0       # a fresh cache: converted once
    assert report["runs"]["ctranslate2"]["flores"]["threads"] == {"inter_threads": 1, "intra_threads": 1}
    assert report["runs"]["transformers"]["flores"]["threads"] == {"torch_threads": 1}


def test_report_ratios(report):
    runs = report["runs"]
    r = report["ratios"]["flores"]
    ct2, hf = runs["ctranslate2"]["flores"], runs["transformers"]["flores"]
    assert r["tokens_per_s"] == pytest.approx(ct2["tokens_per_s"] / hf["tokens_per_s"], abs=0.01)
    assert r["bleu_delta"] == pytest.approx(ct2["bleu"] - hf["bleu"], abs=0.01)


def test_report_opus_size(report):
    opus = report["opus_size"]
    assert opus["architecture"]["vocab_size"] == SMALL_ARCH.vocab_size
    for run in opus["runs"].values():
        assert run["tokens_per_sentence"] == [5]           # decoding forced to the fixed length
        assert run["target_tokens"] == 15 and run["tokens_per_s"] > 0
    assert {(s["inter_threads"], s["intra_threads"]) for s in opus["ctranslate2_threads"]} >= {(1, 1)}
    assert all(s["tokens_per_s"] > 0 for s in opus["ctranslate2_threads"])
    assert opus["ratios"]["tokens_per_s"] > 0


def test_report_is_json_and_renders(report):
    from rich.console import Console

    assert json.loads(json.dumps(report)) == report
    console = Console(record=True, width=200)
    console.print(render(report))
    text = console.export_text()
    assert "ctranslate2" in text and "ct2/hf" in text and "opus-mt-nl-en" in text


def test_compare_needs_both():
    assert compare({"transformers": {"tokens_per_s": 1.0}}, ("tokens_per_s",)) == {}


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(BenchError, match="flores200.dev.nl"):
        read_flores(tmp_path, 5)


def test_cli_rejects_unknown_backend(tiny_model):
    import typer

    from translate.cli_bench import register

    app = typer.Typer()
    register(app)
    app.command("other")(lambda: None)   # keep `bench` a sub-command, as in `nlen`
    result = CliRunner().invoke(app, ["bench", "--model", str(tiny_model), "--backends", "onnx"])
    assert result.exit_code == 2
    assert "unknown backend onnx" in result.output
