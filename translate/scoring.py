"""Translation metrics, computed the way MT people compute them.

Everything goes through sacrebleu so that a number printed here is the number
the ``sacrebleu`` command prints on the same files, and every score carries
its sacrebleu signature so that it can be reproduced.  Term success (did the
glossary's target term make it into the translation?) sits beside them because
a glossary is the reason this tool exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric

METRICS = ("bleu", "chrf", "chrf++", "ter")
LOWER_IS_BETTER = frozenset({"ter"})


class InputError(ValueError):
    """A problem with the user's files or arguments (the CLI turns it into exit code 2)."""


def make_metric(name: str) -> Metric:
    """A fresh sacrebleu metric with sacrebleu's defaults (so scores match its CLI)."""
    if name == "bleu":
        return BLEU()
    if name == "chrf":
        return CHRF()
    if name == "chrf++":
        return CHRF(word_order=2)
    if name == "ter":
        return TER()
    raise InputError(f"unknown metric {name!r}; choose from {', '.join(METRICS)}")


def read_lines(path: str | Path) -> list[str]:
    """One segment per line, trailing whitespace dropped exactly as the sacrebleu CLI does."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as fh:
            return [line.rstrip() for line in fh]
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror})") from None


def read_docids(path: str | Path) -> list[str]:
    """Document id of each line, as in ``ntrex128.docids.tsv`` (first tab field of each line)."""
    ids = [line.split("\t", 1)[0] for line in read_lines(path)]
    for i, doc in enumerate(ids, 1):
        if not doc:
            raise InputError(f"{path}: line {i} has no document id")
    return ids


def _check_parallel(hyps: Sequence[str], refs: Sequence[str], what: str = "references") -> None:
    if len(hyps) != len(refs):
        raise InputError(f"hypotheses have {len(hyps)} lines but {what} have {len(refs)}")
    if not hyps:
        raise InputError("nothing to score: no lines")


def score_corpus(
    hyps: Sequence[str],
    refs: Sequence[str],
    metrics: Iterable[str] = METRICS,
    bootstrap: int = 0,
) -> dict[str, dict[str, Any]]:
    """Corpus scores with signatures; with ``bootstrap`` > 1 also sacrebleu's 95% interval.

    ``ci`` is ``[mean - half_width, mean + half_width]`` of sacrebleu's bootstrap
    estimate (the ``μ ± x`` that its CLI prints with ``--confidence``).
    """
    _check_parallel(hyps, refs)
    out: dict[str, dict[str, Any]] = {}
    for name in metrics:
        metric = make_metric(name)
        score = metric.corpus_score(list(hyps), [list(refs)], n_bootstrap=bootstrap if bootstrap > 1 else 1)
        entry: dict[str, Any] = {
            "name": score.name,
            "score": round(float(score.score), 4),
            "signature": metric.get_signature().format(),
        }
        if bootstrap > 1:
            mean, half = float(score._mean), float(score._ci)
            entry["mean"] = round(mean, 4)
            entry["ci"] = [round(mean - half, 4), round(mean + half, 4)]
        out[name] = entry
    return out


def score_documents(
    hyps: Sequence[str],
    refs: Sequence[str],
    docids: Sequence[str],
    metrics: Iterable[str] = METRICS,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Scores of each document (in order of first appearance): where a system fails, not just how much."""
    _check_parallel(hyps, refs)
    _check_parallel(hyps, docids, what="document ids")
    groups: dict[str, list[int]] = {}
    for i, doc in enumerate(docids):
        groups.setdefault(doc, []).append(i)
    metrics = tuple(metrics)
    return {
        doc: score_corpus([hyps[i] for i in idx], [refs[i] for i in idx], metrics)
        for doc, idx in groups.items()
    }


def term_success(sources: Sequence[str], hyps: Sequence[str], terms: Any) -> dict[str, Any]:
    """How often a glossary term found in a source line has its target in the translation.

    A term counts once per line however often it occurs there, because
    ``target_present`` answers yes or no for the whole translation.
    """
    from glossary.match import find_terms, target_present

    _check_parallel(hyps, sources, what="sources")
    required = present = 0
    per_term: dict[str, dict[str, int]] = {}
    misses: list[dict[str, Any]] = []
    for line, (src, hyp) in enumerate(zip(sources, hyps), 1):
        seen: dict[tuple[str, str], Any] = {}
        for match in find_terms(src, terms):
            seen.setdefault((match.term.source, match.term.target), match)
        for (source, target), match in seen.items():
            stats = per_term.setdefault(source, {"target": target, "required": 0, "present": 0})
            required += 1
            stats["required"] += 1
            if target_present(hyp, match.term):
                present += 1
                stats["present"] += 1
            else:
                misses.append({"line": line, "source_term": match.text, "target": target})
    return {
        "required": required,
        "present": present,
        "rate": present / required if required else None,
        "per_term": per_term,
        "misses": misses,
    }


def _quality(name: str, score: float) -> float:
    """Higher is better for every metric (TER is an error rate, so it is negated)."""
    return -score if name in LOWER_IS_BETTER else score


def _resample_counts(n_lines: int, n_samples: int, seed: int) -> np.ndarray:
    """Bootstrap resamples as multiplicities, one row per resample (row i, column j: times line j drawn).

    A matrix product with per-line statistics then sums every resample at once,
    without materialising samples x lines x statistics.
    """
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_lines, size=(n_samples, n_lines))
    return np.stack([np.bincount(row, minlength=n_lines) for row in idx]).astype(np.float64)


def _resampled_scores(metric: Metric, stats: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.array([metric._compute_score_from_stats(s).score for s in counts @ stats])


def paired_regression(
    baseline_hyps: Sequence[str],
    new_hyps: Sequence[str],
    refs: Sequence[str],
    metric: str,
    n_samples: int = 1000,
    seed: int = 12345,
) -> dict[str, Any]:
    """One-sided paired bootstrap test (Koehn 2004) that the new system is worse than the baseline.

    Both systems are rescored on the same resampled line sets, from sacrebleu's
    per-line sufficient statistics (the way ``sacrebleu --paired-bs`` does it,
    but one-sided: a gate only cares about getting worse).  As in sacrebleu and
    Moses, the sampled differences are centred to get their distribution under
    "no difference", and p is the share of them at least as bad as the observed
    one.  ``drop`` is the loss in quality, positive when the new system is worse
    (for TER, a rise).
    """
    _check_parallel(baseline_hyps, refs)
    _check_parallel(new_hyps, refs)
    m = make_metric(metric)
    ref_docs = [list(refs)]
    base_stats = np.asarray(m._extract_corpus_statistics(list(baseline_hyps), ref_docs), dtype=np.float64)
    new_stats = np.asarray(m._extract_corpus_statistics(list(new_hyps), ref_docs), dtype=np.float64)
    base_score = float(m._compute_score_from_stats(base_stats.sum(0)).score)
    new_score = float(m._compute_score_from_stats(new_stats.sum(0)).score)

    counts = _resample_counts(len(refs), n_samples, seed)
    base_s = _resampled_scores(m, base_stats, counts)
    new_s = _resampled_scores(m, new_stats, counts)

    diffs = _quality(metric, new_s) - _quality(metric, base_s)
    observed = _quality(metric, new_score) - _quality(metric, base_score)
    centred = diffs - diffs.mean()
    p = (int(np.sum(centred <= observed)) + 1) / (n_samples + 1)
    return {
        "metric": metric,
        "baseline": round(base_score, 4),
        "new": round(new_score, 4),
        "delta": round(new_score - base_score, 4),
        "drop": round(-observed, 4) + 0.0,
        "p_value": round(p, 6),
        "n_samples": n_samples,
        "seed": seed,
        "signature": m.get_signature().format(),
    }
