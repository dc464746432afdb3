"""translate.scoring on real eval data, checked against sacrebleu itself (its CLI and its own resampling)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from translate import scoring
from translate.cli_eval import register
from translate.evaluate import data_dir
from translate.scoring import (
    InputError,
    make_metric,
    paired_regression,
    read_docids,
    read_lines,
    score_corpus,
    score_documents,
    term_success,
)


@pytest.fixture(scope="module")
def eval_dir() -> Path:
    d = data_dir() / "eval"
    if not (d / "flores200.devtest.en").is_file():
        pytest.skip(f"eval data not found at {d} (set NLEN_DATA to the data folder)")
    return d


@pytest.fixture(scope="module")
def flores_refs(eval_dir: Path) -> list[str]:
    return read_lines(eval_dir / "flores200.devtest.en")[:300]


def drop_words(lines: list[str], rate: float, seed: int) -> list[str]:
    """A plausible imperfect system: each word is lost with probability ``rate``."""
    rng = random.Random(seed)
    return [" ".join(w for w in line.split() if rng.random() >= rate) for line in lines]


def truncate(lines: list[str], keep: float) -> list[str]:
    return [" ".join(line.split()[: max(1, int(len(line.split()) * keep))]) for line in lines]


def sacrebleu_cli(ref: Path, hyp: Path, *args: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "sacrebleu", str(ref), "-i", str(hyp), "--format", "json", "-w", "4", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    data = json.loads(out)
    return data if isinstance(data, list) else [data]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, flores_refs: list[str]) -> tuple[Path, Path, list[str]]:
    d = tmp_path_factory.mktemp("score")
    hyps = drop_words(flores_refs, 0.2, seed=1)
    (d / "ref.en").write_text("\n".join(flores_refs) + "\n", encoding="utf-8")
    (d / "hyp.en").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    return d / "hyp.en", d / "ref.en", hyps


def test_scores_equal_the_sacrebleu_cli(files: tuple[Path, Path, list[str]], flores_refs: list[str]) -> None:
    hyp, ref, hyps = files
    ours = score_corpus(hyps, flores_refs)
    theirs = {d["name"]: d for d in sacrebleu_cli(ref, hyp, "-m", "bleu", "chrf", "ter")}
    plus = sacrebleu_cli(ref, hyp, "-m", "chrf", "--chrf-word-order", "2")[0]
    for key, name in (("bleu", "BLEU"), ("chrf", "chrF2"), ("ter", "TER")):
        assert ours[key]["score"] == pytest.approx(theirs[name]["score"], abs=1e-4)
        assert ours[key]["signature"] == theirs[name]["signature"]
    assert ours["chrf++"]["score"] == pytest.approx(plus["score"], abs=1e-4)
    assert ours["chrf++"]["signature"] == plus["signature"]
    assert 0 < ours["bleu"]["score"] < 100 and 0 < ours["ter"]["score"] < 100


def test_nlen_score_json_equals_the_sacrebleu_cli(files: tuple[Path, Path, list[str]]) -> None:
    hyp, ref, _ = files
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["score", str(hyp), str(ref), "--metrics", "bleu,chrf,ter", "--json"])
    assert result.exit_code == 0, result.output
    ours = json.loads(result.stdout)["scores"]
    theirs = {d["name"]: d["score"] for d in sacrebleu_cli(ref, hyp, "-m", "bleu", "chrf", "ter")}
    assert ours["bleu"]["score"] == pytest.approx(theirs["BLEU"], abs=1e-4)
    assert ours["chrf"]["score"] == pytest.approx(theirs["chrF2"], abs=1e-4)
    assert ours["ter"]["score"] == pytest.approx(theirs["TER"], abs=1e-4)


def test_nlen_score_table_and_user_errors(files: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    hyp, ref, _ = files
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    table = runner.invoke(app, ["score", str(hyp), str(ref)])
    assert table.exit_code == 0 and "chrF2++" in table.stdout and "tok:13a" in table.stdout
    short = tmp_path / "short.en"
    short.write_text("one line\n", encoding="utf-8")
    for args, needle in (
        (["score", str(tmp_path / "nope.en"), str(ref)], "nope.en: no such file"),
        (["score", str(short), str(ref)], "short.en: 1 lines"),
        (["score", str(hyp), str(ref), "--metrics", "bleu,meteor"], "unknown metric 'meteor'"),
        (["score", str(hyp), str(ref), "--glossary", str(ref)], "--glossary needs --src"),
        (["score", str(hyp), str(ref), "--src", str(ref), "--glossary", str(tmp_path / "g.tsv")], "g.tsv"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bootstrap_interval_brackets_the_score(flores_refs: list[str]) -> None:
    hyps = drop_words(flores_refs, 0.2, seed=1)
    s = score_corpus(hyps, flores_refs, ("bleu", "chrf"), bootstrap=200)
    for entry in s.values():
        lo, hi = entry["ci"]
        assert lo < entry["score"] < hi and hi - lo < 10
        assert "bs:200" in entry["signature"]
    assert "ci" not in score_corpus(hyps, flores_refs, ("bleu",))["bleu"]


def test_length_mismatch_is_a_user_error(flores_refs: list[str]) -> None:
    with pytest.raises(InputError, match="299 lines but references have 300"):
        score_corpus(flores_refs[:-1], flores_refs)
    with pytest.raises(InputError, match="unknown metric"):
        make_metric("meteor")


def test_read_ntrex_docids(eval_dir: Path) -> None:
    ids = read_docids(eval_dir / "ntrex128.docids.tsv")
    assert len(ids) == len(read_lines(eval_dir / "ntrex128.en")) == 1997
    assert ids[0] == "bbc.381790" and len(set(ids)) == 123


def test_score_documents_isolates_a_bad_document(eval_dir: Path) -> None:
    refs = read_lines(eval_dir / "ntrex128.en")[:120]
    ids = read_docids(eval_dir / "ntrex128.docids.tsv")[:120]
    docs = list(dict.fromkeys(ids))
    bad = docs[1]
    hyps = [truncate([r], 0.3)[0] if d == bad else r for r, d in zip(refs, ids)]
    per_doc = score_documents(hyps, refs, ids, ("bleu", "chrf"))
    assert list(per_doc) == docs
    assert per_doc[bad]["bleu"]["score"] < 30
    assert all(per_doc[d]["bleu"]["score"] == pytest.approx(100.0) for d in docs if d != bad)
    with pytest.raises(InputError, match="document ids have 119"):
        score_documents(hyps, refs, ids[:-1])


def test_resampled_scores_equal_sacrebleu_on_the_resampled_lines(flores_refs: list[str]) -> None:
    """The matrix shortcut must give exactly what sacrebleu gives on each materialised resample."""
    hyps = drop_words(flores_refs, 0.2, seed=3)
    counts = scoring._resample_counts(len(hyps), 3, seed=7)
    for name in ("bleu", "chrf", "ter"):
        m = make_metric(name)
        stats = np.asarray(m._extract_corpus_statistics(hyps, [flores_refs]), dtype=float)
        fast = scoring._resampled_scores(m, stats, counts)
        for row, got in zip(counts, fast):
            idx = [i for i, c in enumerate(row) for _ in range(int(c))]
            want = make_metric(name).corpus_score([hyps[i] for i in idx], [[flores_refs[i] for i in idx]]).score
            assert got == pytest.approx(want, abs=1e-9)


def test_paired_regression_detects_a_worse_system_only(flores_refs: list[str]) -> None:
    base = drop_words(flores_refs, 0.15, seed=1)
    same_quality = drop_words(flores_refs, 0.15, seed=2)
    worse = truncate(base, 0.7)
    bad = paired_regression(base, worse, flores_refs, "bleu")
    assert bad["p_value"] < 0.01 and bad["drop"] > 5 and bad["delta"] == pytest.approx(-bad["drop"])
    assert paired_regression(base, same_quality, flores_refs, "chrf")["p_value"] > 0.05
    assert paired_regression(worse, base, flores_refs, "bleu")["p_value"] > 0.95  # better, not worse
    ter = paired_regression(base, worse, flores_refs, "ter")  # lower is better: a rise is the drop
    assert ter["new"] > ter["baseline"] and ter["drop"] > 0 and ter["p_value"] < 0.01
    identical = paired_regression(base, base, flores_refs, "chrf")
    assert identical["p_value"] == 1.0 and identical["drop"] == 0.0


def test_paired_regression_is_deterministic_per_seed(flores_refs: list[str]) -> None:
    base = drop_words(flores_refs, 0.15, seed=1)
    new = drop_words(flores_refs, 0.17, seed=2)
    a = paired_regression(base, new, flores_refs, "chrf", n_samples=300, seed=5)
    assert a == paired_regression(base, new, flores_refs, "chrf", n_samples=300, seed=5)


def test_term_success_counts_terms_and_misses() -> None:
    pytest.importorskip("glossary.match", reason="glossary.match not written yet")
    from glossary.store import Term

    terms = [Term(source="gemeenteraad", target="municipal council"), Term(source="wethouder", target="alderman")]
    sources = [
        "De gemeenteraad vergadert morgen.",
        "De wethouder sprak met de gemeenteraad.",
        "Het regent.",
    ]
    hyps = [
        "The municipal council meets tomorrow.",
        "The alderman spoke with the city council.",
        "It is raining.",
    ]
    r = term_success(sources, hyps, terms)
    assert (r["required"], r["present"]) == (3, 2)
    assert r["rate"] == pytest.approx(2 / 3)
    assert r["per_term"]["gemeenteraad"]["required"] == 2 and r["per_term"]["gemeenteraad"]["present"] == 1
    assert r["misses"] == [{"line": 2, "source_term": "gemeenteraad", "target": "municipal council"}]
    assert term_success(["Het regent."], ["It rains."], terms)["rate"] is None


def test_nlen_score_reports_term_success(tmp_path: Path) -> None:
    pytest.importorskip("glossary.match", reason="glossary.match not written yet")
    (tmp_path / "g.tsv").write_text("gemeenteraad\tmunicipal council\nwethouder\talderman\n", encoding="utf-8")
    (tmp_path / "src.nl").write_text("De wethouder sprak met de gemeenteraad.\nHet regent.\n", encoding="utf-8")
    (tmp_path / "hyp.en").write_text("The alderman spoke with the city council.\nIt is raining.\n", encoding="utf-8")
    (tmp_path / "ref.en").write_text("The alderman spoke to the municipal council.\nIt is raining.\n", encoding="utf-8")
    app = typer.Typer()
    register(app)
    args = ["score", str(tmp_path / "hyp.en"), str(tmp_path / "ref.en"), "--src", str(tmp_path / "src.nl"),
            "--glossary", str(tmp_path / "g.tsv")]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    terms = json.loads(result.stdout)["terms"]
    assert (terms["required"], terms["present"]) == (2, 1)
    assert terms["misses"] == [{"line": 1, "source_term": "gemeenteraad", "target": "municipal council"}]
    table = CliRunner().invoke(app, args)
    assert "term success: 1/2 (50.0%)" in table.stdout
