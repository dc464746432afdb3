"""`Translator`, the public API: Dutch text or segments in, English out.

One way through: segments → units (over-long sentences split at clauses) → glossary matches →
backend batches (sorted by length, restored to order) → degeneration retry → glossary repair →
segments → document. Output is deterministic for the same input, model and settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from glossary import enforce
from glossary.match import Match, find_terms, target_present
from glossary.store import Glossary, load_glossary
from translate.backends import Backend, DecodeOptions, Hypothesis, load_backend
from translate.document import Document, parse_document
from translate.models import ModelInfo, resolve_model
from translate.protect import Protected, find_protected, protected_present
from translate.quality import degeneration_flags
from translate.segment import split_long

Progress = Callable[[int, int], None]
MAX_UNIT_TOKENS = 200     # Marian stops at 512 positions, and quality falls well before: split, never cut
WINDOW_SEGMENTS = 256     # segments translated together before output is written (streaming)


@dataclass
class TermReport:
    source: str          # the Dutch text that matched
    term: str            # the glossary's Dutch term (for protected spans: the span itself)
    target: str          # the required English form
    status: str          # "model" (the model wrote it), "lexical", "attention", "prefix" (repaired), "missing"
    kind: str = "glossary"   # or a protected span: "url", "email", "number", "emoji"

    @property
    def enforced(self) -> bool:
        return self.status != "missing"


@dataclass(frozen=True)
class _Requirement:
    """Something the English must contain: a glossary term's target or a protected span."""

    start: int
    end: int
    text: str                           # the Dutch text it stands for
    target: str                         # what a repair writes
    present: Callable[[str], bool]      # is it in a translation?
    forms: tuple[str, ...]              # Dutch and English forms a copied word may resemble
    kind: str
    term: str

    @staticmethod
    def of_match(m: Match) -> "_Requirement":
        return _Requirement(m.start, m.end, m.text, m.term.target, lambda t, term=m.term: target_present(t, term),
                            (m.text, m.term.source, *m.term.variants, m.term.target), "glossary", m.term.source)

    @staticmethod
    def of_protected(p: Protected) -> "_Requirement":
        return _Requirement(p.start, p.end, p.text, p.english, lambda t, p=p: protected_present(t, p),
                            (p.text, p.english), p.kind, p.text)


@dataclass
class SegmentResult:
    index: int
    paragraph: int
    source: str
    translation: str
    terms: list[TermReport] = field(default_factory=list)
    units: int = 1
    flags: list[str] = field(default_factory=list)   # degeneration found in the final output
    retried: bool = False

    def to_json(self) -> dict:
        data = asdict(self)
        for t, report in zip(data["terms"], self.terms):
            t["enforced"] = report.enforced
        return data


@dataclass
class _Unit:
    segment: int
    source: str
    required: list[_Requirement]
    translation: str = ""
    terms: list[TermReport] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    retried: bool = False


class Translator:
    """Translate Dutch into English with a Marian model, optionally obeying a glossary."""

    def __init__(self, model: str | Path | ModelInfo | None = None, *, backend: str | Backend = "auto",
                 glossary: Glossary | str | Path | None = None, beam: int = 4, batch_size: int = 16,
                 threads: int | None = None, max_unit_tokens: int = MAX_UNIT_TOKENS):
        self.model_info = model if isinstance(model, ModelInfo) else resolve_model(model)
        self.backend = backend if not isinstance(backend, str) else load_backend(self.model_info, backend, threads)
        if isinstance(glossary, (str, Path)):
            glossary = load_glossary(Path(glossary))
        self.glossary = glossary
        self.options = DecodeOptions(beam=beam, batch_size=batch_size)
        self.max_unit_tokens = max_unit_tokens

    # -- public API -------------------------------------------------------------------------
    def translate_text(self, text: str, progress: Progress | None = None) -> str:
        return "".join(chunk for chunk, _ in self.iter_document(parse_document(text), progress))

    def translate_segments(self, sources: Sequence[str], progress: Progress | None = None) -> list[str]:
        """One translation per source line (the batch API used by `nlen eval`)."""
        return [r.translation for r in self.translate_segments_detailed(sources, progress)]

    def translate_segments_detailed(self, sources: Sequence[str], progress: Progress | None = None,
                                    paragraphs: Sequence[int] | None = None) -> list[SegmentResult]:
        units = [u for i, s in enumerate(sources) for u in self._units(i, s)]
        self._translate_units(units, progress, total=len(sources))
        results = [SegmentResult(index=i, paragraph=paragraphs[i] if paragraphs else 0, source=s, translation="",
                                 units=0) for i, s in enumerate(sources)]
        pieces: list[list[str]] = [[] for _ in sources]
        for u in units:
            r = results[u.segment]
            pieces[u.segment].append(u.translation)
            r.units += 1
            r.terms.extend(u.terms)
            r.flags.extend(f for f in u.flags if f not in r.flags)
            r.retried |= u.retried
        for r, parts in zip(results, pieces):
            r.translation = " ".join(p for p in parts if p)
        return results

    def iter_document(self, doc: Document, progress: Progress | None = None) -> Iterator[tuple[str, list[SegmentResult]]]:
        """Rendered output in order, a window of segments at a time, so memory stays flat on huge inputs."""
        total = len(doc.segments)
        translations: dict[int, str] = {}
        part_pos = 0
        for start in range(0, total, WINDOW_SEGMENTS):
            window = doc.segments[start: start + WINDOW_SEGMENTS]
            done_before = start

            def window_progress(done: int, _total: int) -> None:
                if progress:
                    progress(done_before + done, total)

            results = self.translate_segments_detailed([s.text for s in window], window_progress,
                                                       paragraphs=[s.paragraph for s in window])
            for seg, res in zip(window, results):
                res.index = seg.index
                translations[seg.index] = res.translation
            chunk, part_pos = doc.render_ready(translations, part_pos)
            for seg in window:
                translations.pop(seg.index, None)
            yield chunk, results
        if part_pos < len(doc.parts):
            chunk, part_pos = doc.render_ready(translations, part_pos)
            yield chunk, []

    # -- steps ----------------------------------------------------------------------------------
    def _units(self, segment: int, source: str) -> list[_Unit]:
        count = self.backend.count_tokens
        texts = [source] if count(source) <= self.max_unit_tokens else split_long(source, self.max_unit_tokens, count)
        return [_Unit(segment, t, self._requirements(t)) for t in texts if t.strip()]

    def _requirements(self, text: str) -> list[_Requirement]:
        terms = [_Requirement.of_match(m) for m in find_terms(text, self.glossary)] if self.glossary else []
        spans = [_Requirement.of_protected(p) for p in find_protected(text)
                 if not any(r.start < p.end and p.start < r.end for r in terms)]
        return sorted(terms + spans, key=lambda r: r.start)

    def _translate_units(self, units: list[_Unit], progress: Progress | None, total: int) -> None:
        order = sorted(range(len(units)), key=lambda i: len(units[i].source))
        done_segments: set[int] = set()
        remaining = {}
        for u in units:
            remaining[u.segment] = remaining.get(u.segment, 0) + 1
        chunk = self.options.batch_size * max(getattr(self.backend, "parallelism", 1), 1)
        for start in range(0, len(order), chunk):
            batch = [units[i] for i in order[start: start + chunk]]
            hyps = self.backend.translate_batch([u.source for u in batch], self.options)
            for unit, hyp in zip(batch, hyps):
                unit.translation = hyp.text
                remaining[unit.segment] -= 1
                if remaining[unit.segment] == 0:
                    done_segments.add(unit.segment)
            if progress:
                progress(len(done_segments), total)
        self._retry_degenerate(units)
        for unit in units:
            if unit.required:
                self._enforce(unit)

    def _retry_degenerate(self, units: list[_Unit]) -> None:
        bad = [(u, flags) for u in units if (flags := degeneration_flags(u.source, u.translation))]
        if not bad:
            return
        retry = DecodeOptions(beam=max(self.options.beam, 4), batch_size=self.options.batch_size,
                              no_repeat_ngram_size=3, repetition_penalty=1.3)
        hyps = self.backend.translate_batch([u.source for u, _ in bad], retry)
        for (unit, before), hyp in zip(bad, hyps):
            after = degeneration_flags(unit.source, hyp.text)
            unit.retried = True
            if len(after) < len(before):
                unit.translation, before = hyp.text, after
            unit.flags = list(before)
            if not unit.translation.strip():  # nothing lost: better the Dutch than a hole
                unit.translation = unit.source
                unit.flags.append("source-kept")

    def _enforce(self, unit: _Unit) -> None:
        """Make every required form appear (glossary targets, protected spans), repairing where needed.

        Units whose translation already holds everything are left exactly as the model wrote them.
        """
        all_caps = enforce.is_all_caps(unit.source)
        reports = []
        for req in unit.required:
            status = "model" if req.present(unit.translation) else "missing"
            reports.append(TermReport(req.text, req.term, req.target, status, req.kind))
        for req, report in zip(unit.required, reports):
            if report.status == "model":
                continue
            kept = [r for r in unit.required if r.present(unit.translation)]
            hyp = self.backend.align([unit.source], [unit.translation])[0]
            status, text = self._repair(unit.source, req, hyp, all_caps, kept)
            if status != "missing":
                unit.translation = text
            report.status = status
        unit.terms = [r for r in reports if r.kind == "glossary" or r.status != "model"]

    def _repair(self, source: str, req: _Requirement, hyp: Hypothesis, all_caps: bool,
                kept: list[_Requirement]) -> tuple[str, str]:
        """Put one required form in: replace the words that stand for it, else re-decode around it.

        `kept` are requirements already met; a repair that loses one of them is not taken.
        """
        def good(text: str) -> bool:
            return req.present(text) and all(k.present(text) for k in kept)

        src_span = enforce.source_piece_span(source, hyp.source_pieces, req.start, req.end)
        runs = [("lexical", enforce.lexical_run(hyp.target_pieces, req.forms))]
        if src_span and hyp.attention:
            runs.append(("attention", enforce.attention_run(hyp.attention, hyp.target_pieces, src_span)))
        for status, run in runs:
            if run is not None:
                text = enforce.replace_run(hyp.target_pieces, run, req.target,
                                           all_caps=all_caps and req.kind == "glossary")
                if good(text):
                    return status, text
        focus = enforce.focus_word(hyp.attention or [], hyp.target_pieces, src_span) if src_span else 0
        n_words = sum(1 for p in hyp.target_pieces if p.startswith(enforce.WORD_START))
        for word in dict.fromkeys([focus, n_words]):  # where the model looks, else after what it wrote
            prefix = enforce.insertion_prefix(hyp.target_pieces, word, req.target,
                                              all_caps=all_caps and req.kind == "glossary")
            forced = self.backend.translate_batch([source], self.options, prefixes=[prefix])[0]
            if good(forced.text):
                return "prefix", forced.text
        return "missing", hyp.text
