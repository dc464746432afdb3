"""``nlen score`` and ``nlen eval``: the command-line face of scoring and the regression gate.

Exit codes: 0 fine, 1 a significant regression against the baseline, 2 a user
error (one line on stderr, no traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from translate.backends import BACKENDS
from translate.evaluate import (
    DEFAULT_ALPHA,
    DEFAULT_THRESHOLDS,
    Finding,
    compare,
    load_baseline,
    run_eval,
    save_baseline,
    suite_names,
)
from translate.scoring import METRICS, InputError, read_docids, read_lines, score_corpus, score_documents, term_success

EXIT_REGRESSION = 1
EXIT_USER_ERROR = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"nlen: error: {message}", err=True)
    return typer.Exit(EXIT_USER_ERROR)


def _user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can cause into one line and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as e:
            raise _fail(str(e)) from None

    return wrapper


def _load_glossary(option: Path | None) -> Any:
    """The glossary named by the option, else $NLEN_GLOSSARY, else the shipped one (glossary.store decides)."""
    from glossary.store import GlossaryError, load_glossary, resolve_glossary_path

    path = resolve_glossary_path(option)
    try:
        return load_glossary(path)
    except GlossaryError as e:
        raise InputError(str(e)) from None


def _metric_list(spec: str) -> list[str]:
    names = [m.strip().lower() for m in spec.split(",") if m.strip()]
    bad = [m for m in names if m not in METRICS]
    if bad or not names:
        raise InputError(f"unknown metric {', '.join(map(repr, bad or [spec]))}; choose from {', '.join(METRICS)}")
    return names


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


@_user_errors
def score(
    hyp: Annotated[Path, typer.Argument(help="Translations, one segment per line.")],
    ref: Annotated[Path, typer.Argument(help="References, line-aligned with HYP.")],
    src: Annotated[Optional[Path], typer.Option(help="Source (Dutch) lines: adds glossary term success.")] = None,
    glossary: Annotated[Optional[Path], typer.Option(help="Glossary (default: $NLEN_GLOSSARY, else shipped).")] = None,
    docids: Annotated[Optional[Path], typer.Option(help="Document id per line (TSV, first field).")] = None,
    metrics: Annotated[str, typer.Option(help="Comma-separated: bleu,chrf,chrf++,ter.")] = ",".join(METRICS),
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap resamples for 95% intervals.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Score translations with sacrebleu (BLEU, chrF, chrF++, TER), with signatures."""
    names = _metric_list(metrics)
    if glossary is not None and src is None:
        raise InputError("--glossary needs --src (term success is judged against the source lines)")
    hyps, refs = read_lines(hyp), read_lines(ref)
    if len(hyps) != len(refs):
        raise InputError(f"{hyp}: {len(hyps)} lines but {ref} has {len(refs)}")
    result: dict[str, Any] = {"scores": score_corpus(hyps, refs, names, bootstrap=bootstrap)}
    if src is not None:
        sources = read_lines(src)
        if len(sources) != len(hyps):
            raise InputError(f"{src}: {len(sources)} lines but {hyp} has {len(hyps)}")
        result["terms"] = term_success(sources, hyps, _load_glossary(glossary))
    if docids is not None:
        ids = read_docids(docids)
        if len(ids) != len(hyps):
            raise InputError(f"{docids}: {len(ids)} lines but {hyp} has {len(hyps)}")
        result["documents"] = score_documents(hyps, refs, ids, names)
    if as_json:
        _print_json(result)
        return
    console = Console()
    table = Table(title=f"{hyp.name} vs {ref.name} ({len(hyps)} lines)")
    for col in ("metric", "score", "95% CI", "signature"):
        table.add_column(col, justify="right" if col in ("score", "95% CI") else "left")
    for entry in result["scores"].values():
        ci = entry.get("ci")
        interval = f"{ci[0]:.2f}–{ci[1]:.2f}" if ci else ""
        table.add_row(entry["name"], _fmt(entry["score"]), interval, entry["signature"])
    console.print(table)
    if "terms" in result:
        t = result["terms"]
        rate = "–" if t["rate"] is None else f"{100 * t['rate']:.1f}%"
        console.print(f"term success: {t['present']}/{t['required']} ({rate}); {len(t['misses'])} missed")
    if "documents" in result:
        docs = Table(title="per document")
        docs.add_column("document")
        for name in names:
            docs.add_column(result["scores"][name]["name"], justify="right")
        for doc, scores in result["documents"].items():
            docs.add_row(doc, *(_fmt(scores[n]["score"]) for n in names))
        console.print(docs)


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(title="against the baseline")
    for col in ("suite", "metric", "baseline", "now", "drop", "limit", "p", "verdict", "note"):
        table.add_column(col, justify="right" if col in ("baseline", "now", "drop", "limit", "p") else "left")
    for f in findings:
        verdict = {"regression": "[red]REGRESSION[/red]", "warn": "[yellow]warn[/yellow]"}.get(f.status, f.status)
        table.add_row(f.suite, f.metric, _fmt(f.baseline), _fmt(f.current), _fmt(f.drop), _fmt(f.threshold, 1),
                      _fmt(f.p_value, 3), verdict, f.note)
    return table


def _scores_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"{report['model']['id']} ({report['model']['weights_hash'][:12]})")
    for col in ("suite", "lines", "BLEU", "chrF", "chrF++", "TER", "terms", "seconds"):
        table.add_column(col, justify="left" if col == "suite" else "right")
    for name, s in report["suites"].items():
        sc = s["scores"]
        terms = s.get("terms")
        rate = "" if not terms or terms["rate"] is None else f"{100 * terms['rate']:.1f}%"
        table.add_row(name, str(s["n_lines"]), *(_fmt(sc[m]["score"]) for m in METRICS), rate, _fmt(s["wall_s"], 1))
    return table


def _make_translator(model: str | None, glossary: Any, beam: int, backend: str = "auto") -> Any:
    """The one place ``nlen eval`` meets the translator (and the seam its CLI tests replace)."""
    from translate.models import ModelError
    from translate.translator import Translator

    try:
        return Translator(model=model, glossary=glossary, beam=beam, backend=backend)
    except ModelError as e:
        raise InputError(str(e)) from None


@_user_errors
def eval_cmd(
    suite: Annotated[str, typer.Option(help="tatoeba, flores, ntrex, terms (comma-separated) or all.")] = "all",
    model: Annotated[Optional[str], typer.Option(help="Model directory or id (default: bundled).")] = None,
    glossary: Annotated[Optional[Path], typer.Option(help="Glossary (default: $NLEN_GLOSSARY, else shipped).")] = None,
    no_glossary: Annotated[bool, typer.Option("--no-glossary", help="Translate without any glossary.")] = False,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Only the first N lines of each suite.")] = None,
    beam: Annotated[int, typer.Option(min=1, help="Beam size.")] = 4,
    backend: Annotated[str, typer.Option(help="auto, transformers or ctranslate2.")] = "auto",
    baseline: Annotated[Optional[Path], typer.Option(help="Baseline report to compare with.")] = None,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Write this run to --baseline.")] = False,
    threshold_bleu: Annotated[float, typer.Option(help="BLEU drop that counts.")] = DEFAULT_THRESHOLDS["bleu"],
    threshold_chrf: Annotated[float, typer.Option(help="chrF drop that counts.")] = DEFAULT_THRESHOLDS["chrf"],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    report_path: Annotated[Optional[Path], typer.Option("--report", help="Write the full JSON report here.")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Draw scores against the baseline (PNG).")] = None,
) -> None:
    """Translate the test suites, score them and compare with a baseline (exit 1 on a regression)."""
    names = suite_names(suite)
    if glossary is not None and no_glossary:
        raise InputError("--glossary and --no-glossary exclude each other")
    if update_baseline and baseline is None:
        raise InputError("--update-baseline needs --baseline FILE")
    if plot is not None and plot.suffix.lower() != ".png":
        raise InputError(f"{plot}: --plot writes a PNG; give a path ending in .png")
    base = None
    if baseline is not None and (baseline.exists() or not update_baseline):
        base = load_baseline(baseline)
    terms = None if no_glossary else _load_glossary(glossary)

    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose {', '.join(BACKENDS)}")
    translator = _make_translator(model, terms, beam, backend)
    info = translator.model_info
    settings = {"suites": names, "model": model, "beam": beam, "backend": translator.backend.name,
                "glossary": str(terms.path) if terms is not None and terms.path else None, "limit": limit}
    err = Console(stderr=True)
    report = run_eval(names, translator.translate_segments, model_id=info.id, model_hash=info.weights_hash,
                      settings=settings, glossary=terms, limit=limit, progress=None if as_json else err.print)
    thresholds = {"bleu": threshold_bleu, "chrf": threshold_chrf}
    findings = compare(report, base, thresholds, DEFAULT_ALPHA) if base is not None else []
    if report_path is not None:
        save_baseline(report, report_path)
    if update_baseline and baseline is not None:
        save_baseline(report, baseline)
    if plot is not None:
        from translate.plot import plot_report

        plot_report(report, base, plot)
    regressed = any(f.regression for f in findings) and not update_baseline
    if as_json:
        summary = {k: v for k, v in report.items() if k != "suites"}
        summary["suites"] = {n: {k: v for k, v in s.items() if k != "hypotheses"} for n, s in report["suites"].items()}
        summary["findings"] = [f.to_dict() for f in findings]
        summary["regression"] = regressed
        _print_json(summary)
    else:
        console = Console()
        console.print(_scores_table(report))
        if findings:
            console.print(_findings_table(findings))
        if update_baseline:
            console.print(f"baseline written: {baseline}")
    if regressed:
        raise typer.Exit(EXIT_REGRESSION)


def register(app: typer.Typer) -> None:
    """Add ``score`` and ``eval`` to the main ``nlen`` app."""
    app.command("score")(score)
    app.command("eval")(eval_cmd)
