"""translate.evaluate, translate.plot and ``nlen eval`` on real eval data.

No model is needed: a "system" here is the reference translation put through a
known degradation (words lost, lines truncated or shuffled), so the gate's
verdicts can be checked against what was done to the text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from translate import cli_eval, evaluate
from translate.evaluate import (
    Suite,
    compare,
    data_dir,
    lines_fingerprint,
    load_baseline,
    load_suite,
    run_eval,
    save_baseline,
)
from translate.plot import plot_report
from translate.scoring import InputError, score_corpus

LIMIT = 300
Degrade = Callable[[list[str]], list[str]]


def drop_words(rate: float, seed: int) -> Degrade:
    def degrade(lines: list[str]) -> list[str]:
        rng = random.Random(seed)
        return [" ".join(w for w in line.split() if rng.random() >= rate) for line in lines]

    return degrade


def then(first: Degrade, second: Degrade) -> Degrade:
    return lambda lines: second(first(lines))


def truncated(lines: list[str]) -> list[str]:
    return [" ".join(line.split()[: max(1, len(line.split()) * 2 // 3)]) for line in lines]


def shuffled(lines: list[str]) -> list[str]:
    out = list(lines)
    random.Random(0).shuffle(out)
    return out


def short_of_a_word(lines: list[str]) -> list[str]:
    """Every fourth line loses its last word: real but small damage."""
    return [" ".join(line.split()[:-1]) if i % 4 == 0 else line for i, line in enumerate(lines)]


BASE = drop_words(0.15, seed=1)
SAME_QUALITY = drop_words(0.15, seed=2)


@pytest.fixture(scope="module")
def flores() -> Suite:
    if not (data_dir() / "eval" / "flores200.devtest.nl").is_file():
        pytest.skip(f"eval data not found under {data_dir()} (set NLEN_DATA to the data folder)")
    return load_suite("flores", LIMIT)


def system(suite: Suite, degrade: Degrade) -> Callable[[list[str]], list[str]]:
    """'Translate' by looking up each source's reference, then degrading the batch."""
    lookup = dict(zip(suite.sources, suite.refs))
    return lambda sources: degrade([lookup[s] for s in sources])


def report_for(suite: Suite, degrade: Degrade, limit: int = LIMIT) -> dict:
    return run_eval([suite.name], system(suite, degrade), model_id="reference-echo", model_hash="0" * 64,
                    settings={"degrade": getattr(degrade, "__name__", "?")}, limit=limit)


@pytest.fixture(scope="module")
def baseline(flores: Suite) -> dict:
    return report_for(flores, BASE)


def verdicts(findings: list[evaluate.Finding]) -> dict[str, str]:
    return {f.metric: f.status for f in findings}


# -- data ---------------------------------------------------------------------------------------

def test_data_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NLEN_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("NLEN_DATA")
    assert data_dir() == evaluate.REPO_ROOT.parent / "shared" / "data"


def test_load_suite_reads_aligned_subsets(flores: Suite) -> None:
    assert len(flores.sources) == len(flores.refs) == LIMIT and flores.docids is None
    assert flores.sources[0] != flores.refs[0]
    ntrex = load_suite("ntrex", 40)
    assert ntrex.docids is not None and len(ntrex.docids) == 40 and ntrex.docids[0] == "bbc.381790"
    assert load_suite("tatoeba").sources.__len__() == 2500


def test_load_suite_errors_name_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NLEN_DATA", str(tmp_path))
    with pytest.raises(InputError, match=r"flores200\.devtest\.nl: no such file .*NLEN_DATA"):
        load_suite("flores")
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "flores200.devtest.nl").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "eval" / "flores200.devtest.en").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"flores200\.devtest\.nl: 3 lines but flores200\.devtest\.en has 2"):
        load_suite("flores")
    with pytest.raises(InputError, match="unknown suite 'wmt'"):
        load_suite("wmt")
    with pytest.raises(InputError, match="at least 1"):
        load_suite("flores", 0)


def test_terms_suite_lives_in_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(evaluate, "REPO_ROOT", tmp_path)
    with pytest.raises(InputError, match=r"tests/data/terms\.nl: no such file for suite 'terms'$"):
        load_suite("terms")
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / "data" / "terms.nl").write_text("De wethouder.\n", encoding="utf-8")
    (tmp_path / "tests" / "data" / "terms.en").write_text("The alderman.\n", encoding="utf-8")
    assert load_suite("terms") == Suite("terms", ["De wethouder."], ["The alderman."], None)


def test_suite_names() -> None:
    assert evaluate.suite_names("all") == list(evaluate.SUITES)
    assert evaluate.suite_names("flores, ntrex") == ["flores", "ntrex"]
    with pytest.raises(InputError, match="unknown suite 'wmt'"):
        evaluate.suite_names("flores,wmt")


# -- reports ------------------------------------------------------------------------------------

def test_run_eval_report(flores: Suite) -> None:
    messages: list[str] = []
    seen: list[list[str]] = []

    def translate(sources: list[str]) -> list[str]:  # the copy-the-source system
        seen.append(sources)
        return list(sources)

    report = run_eval(["flores", "ntrex"], translate, model_id="m", model_hash="abc", settings={"beam": 4},
                      limit=50, progress=messages.append)
    assert report["model"] == {"id": "m", "weights_hash": "abc"} and report["settings"] == {"beam": 4}
    assert report["limit"] == 50 and report["sacrebleu"] == "2.6.0" and report["format"] == "nlen-eval/1"
    assert [len(s) for s in seen] == [50, 50] and seen[0] == flores.sources[:50]
    entry = report["suites"]["flores"]
    assert entry["n_lines"] == 50 and len(entry["hypotheses"]) == 50
    assert entry["lines_sha256"] == lines_fingerprint(flores.sources[:50], flores.refs[:50])
    assert entry["scores"] == score_corpus(entry["hypotheses"], flores.refs[:50])
    assert entry["hypotheses"] == flores.sources[:50]
    assert "terms" not in entry and report["wall_s"] >= entry["wall_s"] >= 0
    assert report["suites"]["ntrex"]["n_lines"] == 50
    assert any(m.startswith("ntrex: BLEU") for m in messages)
    json.dumps(report)  # plain data


def test_run_eval_rejects_a_translator_that_loses_lines(flores: Suite) -> None:
    with pytest.raises(ValueError, match="returned 49 lines for 50"):
        run_eval(["flores"], lambda s: s[:-1], model_id="m", model_hash="h", settings={}, limit=50)


def test_run_eval_with_a_glossary_reports_term_success(flores: Suite) -> None:
    pytest.importorskip("glossary.match", reason="glossary.match not written yet")
    from glossary.store import Term

    terms = [Term("regering", "government"), Term("ziekenhuis", "hospital")]
    report = run_eval(["flores"], system(flores, BASE), model_id="m", model_hash="h", settings={},
                      glossary=terms, limit=LIMIT)
    t = report["suites"]["flores"]["terms"]
    assert t["required"] > 0 and 0 <= t["present"] <= t["required"]


# -- the gate -----------------------------------------------------------------------------------

def test_gate_passes_an_equal_quality_system(flores: Suite, baseline: dict) -> None:
    findings = compare(report_for(flores, SAME_QUALITY), baseline)
    assert verdicts(findings) == {"bleu": "ok", "chrf": "ok"}
    assert all(f.p_value is not None and f.p_value > 0.05 for f in findings)


@pytest.mark.parametrize("degrade", [truncated, shuffled], ids=["truncated", "shuffled"])
def test_gate_fails_a_degraded_system(flores: Suite, baseline: dict, degrade: Degrade) -> None:
    findings = compare(report_for(flores, then(BASE, degrade)), baseline)
    assert verdicts(findings) == {"bleu": "regression", "chrf": "regression"}
    assert all(f.regression and f.p_value < 0.05 and f.drop > f.threshold for f in findings)


def test_gate_reads_ter_as_an_error_rate(flores: Suite, baseline: dict) -> None:
    """TER rises when quality falls; the gate must see that rise as the drop."""
    worse = compare(report_for(flores, then(BASE, truncated)), baseline, thresholds={"ter": 2.0})
    assert worse[0].status == "regression" and worse[0].current > worse[0].baseline and worse[0].drop > 2
    better = compare(baseline, report_for(flores, then(BASE, truncated)), thresholds={"ter": 2.0})
    assert better[0].status == "ok" and better[0].drop < 0


def test_gate_needs_a_drop_people_would_notice(flores: Suite, baseline: dict) -> None:
    """Significant but smaller than the Kocmi et al. thresholds: not a regression; a lower threshold makes it one."""
    report = report_for(flores, then(BASE, short_of_a_word))
    findings = compare(report, baseline)
    assert verdicts(findings) == {"bleu": "ok", "chrf": "ok"}
    assert all(f.p_value < 0.05 and 0 < f.drop < f.threshold for f in findings)
    strict = compare(report, baseline, thresholds={"bleu": 1.0, "chrf": 1.0})
    assert verdicts(strict) == {"bleu": "regression", "chrf": "regression"}


def test_gate_against_itself_is_clean(baseline: dict) -> None:
    findings = compare(baseline, baseline)
    assert all(f.status == "ok" and f.p_value == 1.0 and f.drop == 0 for f in findings)


def test_gate_on_other_lines_compares_scores_only(flores: Suite, baseline: dict) -> None:
    findings = compare(report_for(flores, then(BASE, truncated), limit=200), baseline)
    assert verdicts(findings) == {"bleu": "warn", "chrf": "warn"}
    assert not any(f.regression for f in findings)
    assert all(f.p_value is None and "lines differ" in f.note for f in findings)


def test_gate_without_baseline_hypotheses_or_suite(flores: Suite, baseline: dict) -> None:
    stripped = json.loads(json.dumps(baseline))
    del stripped["suites"]["flores"]["hypotheses"]
    findings = compare(report_for(flores, then(BASE, truncated)), stripped)
    assert {f.status for f in findings} == {"warn"} and "no hypotheses" in findings[0].note
    assert {f.status for f in compare(baseline, {"suites": {}})} == {"missing"}


def test_gate_uses_given_references(flores: Suite, baseline: dict) -> None:
    report = report_for(flores, then(BASE, truncated))
    given = compare(report, baseline, references={"flores": flores.refs})
    assert given == compare(report, baseline)


def test_baseline_roundtrip_and_errors(baseline: dict, tmp_path: Path) -> None:
    path = save_baseline(baseline, tmp_path / "sub" / "base.json")
    assert load_baseline(path) == baseline
    assert not list(path.parent.glob(".*.tmp"))
    with pytest.raises(InputError, match=r"nope\.json: no such baseline file"):
        load_baseline(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json: not a readable JSON report"):
        load_baseline(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match=r"list\.json: not an nlen eval report"):
        load_baseline(tmp_path / "list.json")


# -- the picture --------------------------------------------------------------------------------

def test_plot_writes_a_png(flores: Suite, baseline: dict, tmp_path: Path) -> None:
    report = report_for(flores, then(BASE, truncated))
    for base, name in ((baseline, "with.png"), (None, "alone.png")):
        out = plot_report(report, base, tmp_path / name)
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    with pytest.raises(ValueError, match="no suites"):
        plot_report({"suites": {}}, None, tmp_path / "empty.png")


# -- nlen eval ----------------------------------------------------------------------------------

class ReferenceSystem:
    """Stands in for the translator (no model in unit tests): the reference, degraded."""

    model_info = SimpleNamespace(id="reference-echo", weights_hash="f" * 64)
    backend = SimpleNamespace(name="reference-echo")

    def __init__(self, suite: Suite, degrade: Degrade) -> None:
        self.translate_segments = system(suite, degrade)


@pytest.fixture()
def nlen(monkeypatch: pytest.MonkeyPatch, flores: Suite) -> Callable[..., object]:
    app = typer.Typer()
    cli_eval.register(app)
    runner = CliRunner()

    def invoke(args: list[str], degrade: Degrade = BASE) -> object:
        def make(model: str | None, glossary: object, beam: int, backend: str = "auto") -> ReferenceSystem:
            return ReferenceSystem(flores, degrade)

        monkeypatch.setattr(cli_eval, "_make_translator", make)
        return runner.invoke(app, ["eval", "--suite", "flores", "--limit", str(LIMIT), "--no-glossary", *args])

    return invoke


def test_nlen_eval_exit_codes(nlen: Callable[..., object], tmp_path: Path) -> None:
    base = tmp_path / "baselines" / "flores.json"
    first = nlen(["--baseline", str(base), "--update-baseline"])
    assert first.exit_code == 0, first.output
    assert load_baseline(base)["suites"]["flores"]["n_lines"] == LIMIT

    ok = nlen(["--baseline", str(base)], SAME_QUALITY)
    assert ok.exit_code == 0, ok.output
    assert "against the baseline" in ok.stdout

    report, plot = tmp_path / "r.json", tmp_path / "p.png"
    args = ["--baseline", str(base), "--json", "--report", str(report), "--plot", str(plot)]
    bad = nlen(args, then(BASE, truncated))
    assert bad.exit_code == 1, bad.output
    summary = json.loads(bad.stdout)
    assert summary["regression"] is True and {f["status"] for f in summary["findings"]} == {"regression"}
    assert "hypotheses" not in summary["suites"]["flores"]
    assert len(load_baseline(report)["suites"]["flores"]["hypotheses"]) == LIMIT
    assert plot.read_bytes()[:4] == b"\x89PNG"

    lenient = nlen(["--baseline", str(base), "--threshold-bleu", "90", "--threshold-chrf", "90"], then(BASE, truncated))
    assert lenient.exit_code == 0, lenient.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--suite", "wmt"], "unknown suite 'wmt'"),
        (["--update-baseline"], "--update-baseline needs --baseline"),
        (["--baseline", "missing.json"], "missing.json: no such baseline file"),
        (["--glossary", "g.tsv"], "--glossary and --no-glossary exclude each other"),
        (["--plot", "scores.svg"], "scores.svg: --plot writes a PNG"),
    ],
)
def test_nlen_eval_user_errors(nlen: Callable[..., object], args: list[str], needle: str) -> None:
    result = nlen(args)
    assert result.exit_code == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
