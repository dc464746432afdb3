"""BLEU/chrF regression gate for the bundled model on fixed subsets (marker: regression).

The baseline in tests/baselines/ was recorded with `nlen eval --suite tatoeba,flores,terms --limit 150
--backend transformers --update-baseline ...` (see the README). The gate fails only on a significant drop
(paired bootstrap p < 0.05) larger than the thresholds; the second test shows that it can fail.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from translate.evaluate import compare, load_baseline, run_eval

pytestmark = pytest.mark.regression
BASELINE = Path(__file__).resolve().parent.parent / "baselines" / "nlen-small-ci.json"


@pytest.fixture(scope="module")
def baseline():
    if not BASELINE.exists():
        pytest.skip(f"no baseline at {BASELINE}")
    return load_baseline(BASELINE)


@pytest.fixture(scope="module")
def current(baseline, bundled_model, nlen_data):
    from glossary.store import DEFAULT_GLOSSARY, load_glossary
    from translate.translator import Translator

    settings = baseline["settings"]
    glossary = load_glossary(DEFAULT_GLOSSARY)
    translator = Translator(str(bundled_model), backend=settings.get("backend", "transformers"),
                            glossary=glossary, beam=settings["beam"])
    return run_eval(settings["suites"], translator.translate_segments, model_id=str(bundled_model),
                    model_hash=translator.model_info.weights_hash, settings=settings, glossary=glossary,
                    limit=baseline["limit"])


def test_no_significant_regression(baseline, current):
    findings = compare(current, baseline)
    assert findings, "nothing was compared"
    regressions = [f.to_dict() for f in findings if f.regression]
    assert not regressions, regressions


def test_term_success_holds(baseline, current):
    terms = current["suites"]["terms"]["terms"]
    assert terms["rate"] >= 0.98, terms["misses"][:5]


@pytest.mark.parametrize("damage", ["shuffle", "truncate"])
def test_gate_fails_on_degraded_output(baseline, current, damage):
    """The same gate, fed a damaged copy of today's output, must report a regression."""
    degraded = {**current, "suites": {}}
    rng = random.Random(7)
    for name, entry in current["suites"].items():
        hyps = list(entry["hypotheses"])
        if damage == "shuffle":
            rng.shuffle(hyps)
        else:
            hyps = [" ".join(h.split()[: max(1, len(h.split()) // 2)]) for h in hyps]
        from translate.scoring import score_corpus
        from translate.evaluate import load_suite

        refs = load_suite(name, baseline["limit"]).refs
        degraded["suites"][name] = {**entry, "hypotheses": hyps, "scores": score_corpus(hyps, refs)}
    assert any(f.regression for f in compare(degraded, baseline))
