"""Test suites, evaluation reports, baselines and the regression gate.

A report keeps the hypotheses next to the scores so that, once saved as a
baseline, a later run can be compared line by line with a paired bootstrap
test instead of by eye.  The gate needs two things to call a drop a
regression: the test says it is unlikely to be chance, and it is big enough
for people to notice.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sacrebleu

from translate.scoring import (
    LOWER_IS_BETTER,
    InputError,
    paired_regression,
    read_docids,
    read_lines,
    score_corpus,
    term_success,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
REPORT_FORMAT = "nlen-eval/1"

# name -> (folder under the data dir, file stem); "terms" lives in the repository.
SUITES: dict[str, tuple[str, str]] = {
    "tatoeba": ("eval", "tatoeba.test"),
    "flores": ("eval", "flores200.devtest"),
    "ntrex": ("eval", "ntrex128"),
    "terms": ("<repo>", "tests/data/terms"),
}

# Kocmi, Zouhar, Federmann & Post (2024), "Navigating the Metrics Maze: Reconciling
# Score Magnitudes and Accuracies" (ACL 2024; kocmitom.github.io/MT-Thresholds)
# relate metric deltas to how often humans agree which system is better; below
# these deltas a BLEU or chrF difference says little about what a reader sees.
DEFAULT_THRESHOLDS: dict[str, float] = {"chrf": 1.6, "bleu": 2.3}
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class Suite:
    name: str
    sources: list[str]
    refs: list[str]
    docids: list[str] | None = None


@dataclass(frozen=True)
class Finding:
    """The verdict for one suite and metric.

    status: "ok"; "regression" (significant and beyond the threshold: fails the
    gate); "warn" (beyond the threshold, but the lines differ from the
    baseline's, so no paired test was possible); "missing" (no baseline score).
    """

    suite: str
    metric: str
    baseline: float | None
    current: float
    drop: float | None
    threshold: float
    p_value: float | None
    status: str
    note: str = ""

    @property
    def regression(self) -> bool:
        return self.status == "regression"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def data_dir() -> Path:
    """``$NLEN_DATA``, or ``../shared/data`` beside the repository."""
    env = os.environ.get("NLEN_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def suite_names(spec: str) -> list[str]:
    """``all`` or a comma-separated list of suite names, checked."""
    names = list(SUITES) if spec == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in SUITES]
    if unknown or not names:
        bad = ", ".join(map(repr, unknown or [spec]))
        raise InputError(f"unknown suite {bad}; choose from {', '.join(SUITES)} or all")
    return names


def _suite_stem(name: str) -> Path:
    folder, stem = SUITES[name]
    return REPO_ROOT / stem if folder == "<repo>" else data_dir() / folder / stem


def load_suite(name: str, limit: int | None = None) -> Suite:
    """The first ``limit`` lines (all if None) of a suite: a fixed, reproducible subset."""
    if name not in SUITES:
        raise InputError(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, not {limit}")
    stem = _suite_stem(name)
    src_path, ref_path = stem.with_name(stem.name + ".nl"), stem.with_name(stem.name + ".en")
    for p in (src_path, ref_path):
        if not p.is_file():
            hint = "" if SUITES[name][0] == "<repo>" else " (set NLEN_DATA to the data folder)"
            raise InputError(f"{p}: no such file for suite {name!r}{hint}")
    sources, refs = read_lines(src_path), read_lines(ref_path)
    if len(sources) != len(refs):
        raise InputError(f"{src_path}: {len(sources)} lines but {ref_path.name} has {len(refs)}")
    docids = None
    doc_path = stem.with_name(stem.name + ".docids.tsv")
    if doc_path.is_file():
        docids = read_docids(doc_path)
        if len(docids) != len(sources):
            raise InputError(f"{doc_path}: {len(docids)} lines but {src_path.name} has {len(sources)}")
    if limit is not None:
        sources, refs = sources[:limit], refs[:limit]
        docids = docids[:limit] if docids is not None else None
    return Suite(name, sources, refs, docids)


def lines_fingerprint(sources: Sequence[str], refs: Sequence[str]) -> str:
    """Identifies the exact test lines, so that a paired test is only run on the same ones."""
    h = hashlib.sha256()
    for line in (*sources, "\0", *refs):
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


def run_eval(
    suites: Sequence[str],
    translate_fn: Callable[[list[str]], list[str]],
    *,
    model_id: str,
    model_hash: str,
    settings: Mapping[str, Any],
    glossary: Any = None,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Translate and score each suite; the report is plain JSON-ready data."""
    loaded = [load_suite(name, limit) for name in suites]  # fail on missing files before translating
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for suite in loaded:
        if progress:
            progress(f"{suite.name}: translating {len(suite.sources)} lines")
        t0 = time.perf_counter()
        hyps = list(translate_fn(list(suite.sources)))
        wall = time.perf_counter() - t0
        if len(hyps) != len(suite.sources):
            raise ValueError(f"{suite.name}: translator returned {len(hyps)} lines for {len(suite.sources)}")
        entry: dict[str, Any] = {
            "n_lines": len(hyps),
            "lines_sha256": lines_fingerprint(suite.sources, suite.refs),
            "wall_s": round(wall, 3),
            "lines_per_s": round(len(hyps) / wall, 2) if wall > 0 else None,
            "scores": score_corpus(hyps, suite.refs),
        }
        if glossary is not None:
            entry["terms"] = term_success(suite.sources, hyps, glossary)
        entry["hypotheses"] = hyps
        results[suite.name] = entry
        if progress:
            s = entry["scores"]
            progress(f"{suite.name}: BLEU {s['bleu']['score']:.2f}  chrF {s['chrf']['score']:.2f}  ({wall:.1f}s)")
    return {
        "format": REPORT_FORMAT,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {"id": model_id, "weights_hash": model_hash},
        "settings": dict(settings),
        "limit": limit,
        "sacrebleu": sacrebleu.__version__,
        "wall_s": round(time.perf_counter() - started, 3),
        "suites": results,
    }


def _same_lines(cur: Mapping[str, Any], base: Mapping[str, Any]) -> str:
    """Why a paired test is impossible, or "" when it is possible."""
    if cur.get("lines_sha256") != base.get("lines_sha256"):
        return f"lines differ from the baseline's ({base.get('n_lines')} vs {cur.get('n_lines')} lines or other text)"
    if not base.get("hypotheses") or not cur.get("hypotheses"):
        return "no hypotheses kept in the baseline"
    return ""


def compare(
    report: Mapping[str, Any],
    baseline: Mapping[str, Any],
    thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS,
    alpha: float = DEFAULT_ALPHA,
    references: Mapping[str, Sequence[str]] | None = None,
) -> list[Finding]:
    """Judge each suite and metric of ``report`` against ``baseline``.

    A regression needs both a paired bootstrap p < ``alpha`` (one-sided, new
    worse) and a drop larger than the metric's threshold (defaults after
    Kocmi et al. 2024, see ``DEFAULT_THRESHOLDS``): significance alone flags
    invisible differences on big test sets, size alone flags noise on small
    ones.  The paired test needs the baseline's hypotheses on the same lines;
    when the lines differ only the scores are compared ("warn", never a
    failure).  ``references`` (suite -> reference lines) defaults to loading
    the suite again with the report's limit.
    """
    findings: list[Finding] = []
    for name, cur in report["suites"].items():
        base = baseline.get("suites", {}).get(name)
        refs: Sequence[str] | None = None
        why_not = _same_lines(cur, base) if base is not None else ""
        if base is not None and not why_not:
            refs = references.get(name) if references is not None else None
            refs = refs if refs is not None else _reference_lines(name, report, cur)
            why_not = "" if refs is not None else "test data changed since the report"
        for metric, threshold in thresholds.items():
            current = float(cur["scores"][metric]["score"])
            if base is None or metric not in base.get("scores", {}):
                findings.append(Finding(name, metric, None, current, None, threshold, None, "missing",
                                        "no baseline score"))
                continue
            before = float(base["scores"][metric]["score"])
            sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
            drop = round(sign * (before - current), 4) + 0.0
            notes = []
            if base["scores"][metric].get("signature") != cur["scores"][metric].get("signature"):
                notes.append("metric signatures differ")
            if why_not or refs is None:
                notes.append(why_not + "; scores compared without a significance test")
                status = "warn" if drop > threshold else "ok"
                findings.append(Finding(name, metric, before, current, drop, threshold, None, status,
                                        "; ".join(notes)))
                continue
            p = paired_regression(base["hypotheses"], cur["hypotheses"], refs, metric)["p_value"]
            status = "regression" if p < alpha and drop > threshold else "ok"
            findings.append(Finding(name, metric, before, current, drop, threshold, p, status, "; ".join(notes)))
    return findings


def _reference_lines(name: str, report: Mapping[str, Any], cur: Mapping[str, Any]) -> list[str] | None:
    suite = load_suite(name, report.get("limit"))
    if lines_fingerprint(suite.sources, suite.refs) != cur.get("lines_sha256"):
        return None
    return suite.refs


def load_baseline(path: str | Path) -> dict[str, Any]:
    """A report saved earlier; a clear error names the file when it is not one."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such baseline file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{p}: not a readable JSON report ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("suites"), dict):
        raise InputError(f"{p}: not an nlen eval report (no 'suites')")
    return data


def save_baseline(report: Mapping[str, Any], path: str | Path) -> Path:
    """Write a report (as a baseline or not) atomically: a crash never leaves half a baseline."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, p)
    return p
