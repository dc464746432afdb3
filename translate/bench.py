"""`nlen bench`: the backends side by side on the same text, on this machine.

Each measurement runs in its own subprocess (`python -m translate.bench --worker SPEC`, one JSON
line back), so that peak RSS belongs to one backend and one task, and a backend's threads and
imports cannot slow the other. The parent only plans, collects and computes ratios; `render`
turns the result into rich tables.

Tasks: `flores` (first N lines of flores200.dev through `Translator.translate_segments`, BLEU),
`seed` (the seed article through `Translator.translate_text`, with the shipped glossary),
`convert` (CTranslate2 conversion, timed apart from loading), `forced` (a randomly initialised
model of the exact opus-mt-nl-en architecture decoding a fixed number of tokens, so the speed
of the real default model is known without its weights) and `threads` (CTranslate2 thread
settings compared on that model: the default is chosen by measurement).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from translate.models import REPO_ROOT

BACKEND_NAMES = ("transformers", "ctranslate2")
DEFAULT_LIMIT = 200
SEED_ARTICLE = REPO_ROOT / "seeds" / "nl-2022-01-geneva-talks-russia-us.txt"
WORKER_TIMEOUT_S = 1800


class BenchError(Exception):
    """Something the user can fix (missing data, bad option); the message is one line."""


@dataclass(frozen=True)
class Architecture:
    """A Marian architecture; the default is Helsinki-NLP/opus-mt-nl-en's config.json."""

    d_model: int = 512
    encoder_layers: int = 6
    decoder_layers: int = 6
    heads: int = 8
    ffn: int = 2048
    vocab_size: int = 67028   # pad (= decoder start) is the last id, 67027

    @property
    def key(self) -> str:
        return f"d{self.d_model}-e{self.encoder_layers}-d{self.decoder_layers}-h{self.heads}-f{self.ffn}-v{self.vocab_size}"


OPUS_MT_NL_EN = Architecture()


@dataclass
class BenchConfig:
    model_path: Path                     # a resolved model directory
    model_id: str
    limit: int = DEFAULT_LIMIT
    backends: tuple[str, ...] = BACKEND_NAMES
    opus_size: bool = True
    data_dir: Path | None = None
    seed_article: Path = SEED_ARTICLE
    beam: int = 4
    batch_size: int = 16
    threads: int | None = None
    forced_length: int = 64              # tokens per sentence in the opus-size run
    forced_sentences: int = 48
    architecture: Architecture = field(default_factory=Architecture)


def data_dir() -> Path:
    return Path(os.environ.get("NLEN_DATA") or REPO_ROOT.parent / "shared" / "data")


def read_flores(folder: Path, limit: int) -> tuple[list[str], list[str]]:
    """The first `limit` lines of flores200.dev, Dutch and English."""
    eval_dir = folder / "eval" if (folder / "eval").is_dir() else folder
    nl, en = eval_dir / "flores200.dev.nl", eval_dir / "flores200.dev.en"
    for f in (nl, en):
        if not f.exists():
            raise BenchError(f"{f}: not found (set NLEN_DATA to the data folder)")
    src = nl.read_text(encoding="utf-8").splitlines()[:limit]
    ref = en.read_text(encoding="utf-8").splitlines()[:limit]
    if len(src) != len(ref) or not src:
        raise BenchError(f"{nl}: empty or not line-aligned with {en.name}")
    return src, ref


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- worker side: one task in a fresh process ------------------------------------------------------

class CountingBackend:
    """Wraps a backend and counts the target pieces it decodes; everything else passes through."""

    def __init__(self, inner):
        self.inner = inner
        self.target_tokens = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def translate_batch(self, sources, options, **kwargs):
        hyps = self.inner.translate_batch(sources, options, **kwargs)
        self.target_tokens += sum(len(h.target_pieces) for h in hyps)
        return hyps


def _load_backend(spec: dict):
    """Load the named backend; returns (backend, seconds, thread settings)."""
    from translate.backends import TransformersBackend
    from translate.models import resolve_model

    started = time.perf_counter()
    info = resolve_model(spec["model"])
    if spec["backend"] == "ctranslate2":
        from translate.ct2_backend import CTranslate2Backend

        backend = CTranslate2Backend(info, threads=spec.get("threads"))
        threads = {"inter_threads": backend.inter_threads, "intra_threads": backend.intra_threads}
    else:
        import torch

        backend = TransformersBackend(info, threads=spec.get("threads"))
        threads = {"torch_threads": torch.get_num_threads()}
    return backend, time.perf_counter() - started, threads


def _speed(sentences: int, tokens: int, seconds: float) -> dict:
    return {"sentences": sentences, "target_tokens": tokens, "seconds": round(seconds, 3),
            "sentences_per_s": round(sentences / seconds, 3), "tokens_per_s": round(tokens / seconds, 2)}


def task_translate(spec: dict) -> dict:
    """`flores` (segments, BLEU) or `seed` (a whole article, with the glossary when there is one)."""
    from translate.translator import Translator

    backend, load_s, threads = _load_backend(spec)
    counting = CountingBackend(backend)
    glossary = spec.get("glossary")
    translator = Translator(backend.model_info, backend=counting, glossary=glossary,
                            beam=spec["beam"], batch_size=spec["batch_size"])
    result = {"backend": backend.name, "load_s": round(load_s, 3), "threads": threads,
              "conversion_s": round(getattr(backend, "conversion_seconds", 0.0), 3)}
    if spec["task"] == "flores":
        import sacrebleu

        src, ref = read_flores(Path(spec["data"]), spec["limit"])
        started = time.perf_counter()
        hyps = translator.translate_segments(src)
        result.update(_speed(len(src), counting.target_tokens, time.perf_counter() - started))
        result["bleu"] = round(sacrebleu.corpus_bleu(hyps, [ref]).score, 2)
        result["chrf"] = round(sacrebleu.corpus_chrf(hyps, [ref]).score, 2)
    else:
        from translate.document import parse_document

        text = Path(spec["seed"]).read_text(encoding="utf-8")
        segments = len(parse_document(text).segments)
        started = time.perf_counter()
        out = translator.translate_text(text)
        result.update(_speed(segments, counting.target_tokens, time.perf_counter() - started))
        result["glossary"] = glossary
        result["output_chars"] = len(out)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def task_convert(spec: dict) -> dict:
    from translate.ct2_backend import DEFAULT_QUANTIZATION, ensure_converted
    from translate.models import resolve_model

    path, seconds = ensure_converted(resolve_model(spec["model"]), spec.get("quantization", DEFAULT_QUANTIZATION))
    return {"path": str(path), "conversion_s": round(seconds, 3), "cached": seconds == 0.0}


def forced_decode(backend, sources: list[str], length: int, beam: int, batch_size: int) -> list[int]:
    """Decode exactly `length` tokens per source (EOS banned before, stop at): speed without weights.

    Returns the number of target tokens of each output, so the caller counts real work.
    """
    if backend.name == "ctranslate2":
        rows = backend._encode_sources(sources)
        jobs = [backend.translator.translate_batch(rows[i: i + batch_size], asynchronous=True, beam_size=beam,
                                                   min_decoding_length=length, max_decoding_length=length,
                                                   suppress_sequences=backend.suppress, max_input_length=0)
                for i in range(0, len(rows), batch_size)]
        return [len(r.result().hypotheses[0]) for job in jobs for r in job]
    import torch

    ids = backend._encode_sources(sources)
    counts = []
    with torch.inference_mode():
        for i in range(0, len(ids), batch_size):
            batch = backend._pad(ids[i: i + batch_size])
            gen = backend.model.generate(input_ids=batch, attention_mask=batch.ne(backend.pad_id), num_beams=beam,
                                         min_new_tokens=length, max_new_tokens=length, max_length=None,
                                         forced_eos_token_id=None)
            counts.extend(len(backend._strip(row.tolist())) for row in gen)
    return counts


def task_forced(spec: dict) -> dict:
    backend, load_s, threads = _load_backend(spec)
    src = spec["sources"]
    started = time.perf_counter()
    counts = forced_decode(backend, src, spec["length"], spec["beam"], spec["batch_size"])
    result = {"backend": backend.name, "load_s": round(load_s, 3), "threads": threads}
    result.update(_speed(len(src), sum(counts), time.perf_counter() - started))
    result["tokens_per_sentence"] = sorted(set(counts))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def task_build(spec: dict) -> dict:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    path = ensure_opus_size_model(Path(spec["donor"]), Architecture(**spec["architecture"]))
    return {"path": str(path), "seconds": round(time.perf_counter() - started, 3)}


def task_threads(spec: dict) -> dict:
    """CTranslate2 thread settings on the same forced decode: the evidence for the default."""
    import ctranslate2

    backend, _, _ = _load_backend({**spec, "backend": "ctranslate2"})
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    settings = sorted({(cores, 1), (1, cores), (1, 1)})
    rows = []
    for inter, intra in settings:
        backend.translator = None   # free the previous replicas first
        backend.translator = ctranslate2.Translator(str(backend.model_dir), device="cpu", compute_type="default",
                                                    inter_threads=inter, intra_threads=intra)
        started = time.perf_counter()
        counts = forced_decode(backend, spec["sources"], spec["length"], spec["beam"], spec["batch_size"])
        seconds = time.perf_counter() - started
        rows.append({"inter_threads": inter, "intra_threads": intra,
                     "tokens_per_s": round(sum(counts) / seconds, 2)})
    return {"settings": rows}


TASKS: dict[str, Callable[[dict], dict]] = {
    "flores": task_translate, "seed": task_translate, "convert": task_convert,
    "forced": task_forced, "threads": task_threads, "build": task_build,
}


def worker(spec: dict) -> dict:
    return TASKS[spec["task"]](spec)


# -- parent side ----------------------------------------------------------------------------

def run_worker(spec: dict, timeout: float = WORKER_TIMEOUT_S) -> dict:
    """Run one task in a fresh interpreter and return its JSON; a failure is a BenchError."""
    cmd = [sys.executable, "-m", "translate.bench", "--worker", json.dumps(spec)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"bench task {spec['task']}/{spec.get('backend')} ran over {timeout:.0f} s") from None
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"bench task {spec['task']}/{spec.get('backend')} failed: {tail}")
    return json.loads(lines[-1])


def ensure_opus_size_model(donor: Path, arch: Architecture = OPUS_MT_NL_EN) -> Path:
    """A randomly initialised (seeded, so its hash and conversion are cached) Marian model of `arch`.

    The tokenizer is the donor model's sentencepiece files with vocab.json padded by dummy
    pieces up to the architecture's vocabulary, so that the embedding and output layers have
    the real model's size. Built once under the cache folder, atomically.
    """
    from filelock import FileLock

    from translate.ct2_backend import cache_root

    target = cache_root() / "bench" / f"marian-random-{arch.key}"
    if (target / "model.safetensors").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "model.safetensors").exists():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            _write_random_model(donor, tmp / "model", arch)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp / "model", target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_random_model(donor: Path, out: Path, arch: Architecture) -> None:
    import torch
    from transformers import MarianConfig, MarianMTModel

    from translate.train import default_generation_config

    pad = arch.vocab_size - 1
    torch.manual_seed(0)
    config = MarianConfig(vocab_size=arch.vocab_size, decoder_vocab_size=arch.vocab_size, d_model=arch.d_model,
                          encoder_layers=arch.encoder_layers, decoder_layers=arch.decoder_layers,
                          encoder_attention_heads=arch.heads, decoder_attention_heads=arch.heads,
                          encoder_ffn_dim=arch.ffn, decoder_ffn_dim=arch.ffn, max_position_embeddings=512,
                          activation_function="swish", scale_embedding=True, share_encoder_decoder_embeddings=True,
                          tie_word_embeddings=True, pad_token_id=pad, decoder_start_token_id=pad,
                          eos_token_id=0, forced_eos_token_id=0)
    model = MarianMTModel(config).eval()
    model.generation_config = default_generation_config(pad)
    model.save_pretrained(out)
    for name in ("source.spm", "target.spm", "tokenizer_config.json"):
        shutil.copy(donor / name, out / name)
    vocab = json.loads((donor / "vocab.json").read_text(encoding="utf-8"))
    vocab.pop("<pad>", None)
    if len(vocab) >= pad:
        raise BenchError(f"{donor / 'vocab.json'}: {len(vocab)} pieces, more than the architecture's {pad}")
    taken = set(vocab.values())
    for i in range(pad):
        if i not in taken:
            vocab[f"<dummy{i}>"] = i
    vocab["<pad>"] = pad
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def compare(runs: dict[str, dict], keys: tuple[str, ...]) -> dict:
    """ctranslate2 / transformers for each key (and the BLEU difference), when both ran."""
    ct2, hf = runs.get("ctranslate2"), runs.get("transformers")
    if not (ct2 and hf):
        return {}
    out = {k: _ratio(ct2.get(k), hf.get(k)) for k in keys if k in ct2 and k in hf}
    if "bleu" in ct2 and "bleu" in hf:
        out["bleu_delta"] = round(ct2["bleu"] - hf["bleu"], 2)
    return out


def machine() -> dict:
    import ctranslate2
    import torch
    import transformers

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "ctranslate2": ctranslate2.__version__}


def run_bench(cfg: BenchConfig, log: Callable[[str], None] = lambda m: None) -> dict:
    """Every task for every backend, each in its own process; returns the whole report."""
    from glossary.store import resolve_glossary_path
    from translate.models import weights_hash

    data = cfg.data_dir or data_dir()
    read_flores(data, cfg.limit)                      # fail early, with the path, before any model loads
    if not cfg.seed_article.exists():
        raise BenchError(f"{cfg.seed_article}: seed article not found")
    glossary = resolve_glossary_path(None)
    base = {"model": str(cfg.model_path), "beam": cfg.beam, "batch_size": cfg.batch_size, "threads": cfg.threads}
    report: dict = {"machine": machine(),
                    "model": {"id": cfg.model_id, "path": str(cfg.model_path), "weights_hash": weights_hash(cfg.model_path)},
                    "settings": {"limit": cfg.limit, "beam": cfg.beam, "batch_size": cfg.batch_size,
                                 "threads": cfg.threads, "backends": list(cfg.backends), "data": str(data),
                                 "seed_article": str(cfg.seed_article)},
                    "runs": {}}
    for name in cfg.backends:
        run: dict = {"conversion_s": None}
        if name == "ctranslate2":
            log("ctranslate2: converting (cached after the first run)")
            run["conversion_s"] = run_worker({**base, "task": "convert"})["conversion_s"]
        log(f"{name}: flores200.dev, {cfg.limit} lines")
        run["flores"] = run_worker({**base, "task": "flores", "backend": name, "data": str(data), "limit": cfg.limit})
        log(f"{name}: seed article")
        run["seed"] = run_worker({**base, "task": "seed", "backend": name, "seed": str(cfg.seed_article),
                                  "glossary": str(glossary) if glossary.exists() else None})
        run["load_s"] = run["flores"]["load_s"]
        run["threads"] = run["flores"]["threads"]
        report["runs"][name] = run
    report["ratios"] = {
        "flores": compare({k: v["flores"] for k, v in report["runs"].items()}, ("sentences_per_s", "tokens_per_s", "peak_rss_mb")),
        "seed": compare({k: v["seed"] for k, v in report["runs"].items()}, ("sentences_per_s", "tokens_per_s", "peak_rss_mb")),
        "load_s": compare(report["runs"], ("load_s",)).get("load_s"),
    }
    if cfg.opus_size:
        report["opus_size"] = run_opus_size(cfg, data, log)
    return report


def run_opus_size(cfg: BenchConfig, data: Path, log: Callable[[str], None]) -> dict:
    arch = cfg.architecture
    log(f"opus-mt-nl-en-size model ({arch.key}): building (cached after the first run)")
    model_dir = run_worker({"task": "build", "donor": str(cfg.model_path), "architecture": asdict(arch)})["path"]
    src, _ = read_flores(data, cfg.forced_sentences)
    spec = {"model": model_dir, "sources": src, "length": cfg.forced_length, "beam": cfg.beam,
            "batch_size": cfg.batch_size, "threads": cfg.threads, "task": "forced"}
    out: dict = {"architecture": asdict(arch), "path": model_dir, "sentences": len(src),
                 "length": cfg.forced_length, "runs": {}}
    for name in cfg.backends:
        if name == "ctranslate2":
            log("opus-size ctranslate2: converting (cached after the first run)")
            conv = run_worker({**spec, "task": "convert"})["conversion_s"]
        log(f"opus-size {name}: {len(src)} sentences × {cfg.forced_length} tokens")
        out["runs"][name] = run_worker({**spec, "backend": name})
        if name == "ctranslate2":
            out["runs"][name]["conversion_s"] = conv
            log("opus-size ctranslate2: thread settings")
            out["ctranslate2_threads"] = run_worker({**spec, "task": "threads"})["settings"]
    out["ratios"] = compare(out["runs"], ("sentences_per_s", "tokens_per_s", "peak_rss_mb", "load_s"))
    return out


# -- presentation ---------------------------------------------------------------------------

def _cell(x) -> str:
    if x is None:
        return "–"
    return f"{x:,.2f}" if isinstance(x, float) else str(x)


def _threads(t: dict) -> str:
    if "inter_threads" in t:
        return f"{t['inter_threads']}×{t['intra_threads']}"
    return f"torch {t.get('torch_threads')}"


def render(report: dict):
    """Rich tables for a report: the model on flores and the seed article, then the opus-size run."""
    from rich.console import Group
    from rich.table import Table

    m = report["machine"]
    tables = []
    main = Table(caption="sent/s: sentences per second; tok/s: target tokens per second; RSS: peak resident memory "
                         "of the process; threads: inter×intra (ctranslate2) or torch threads; ct2/hf: ratio "
                         "(BLEU: difference)", title=f"nlen bench — {report['model']['id']} — {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB "
                       f"(beam {report['settings']['beam']}, batch {report['settings']['batch_size']})")
    for col in ("backend", "set", "sent/s", "tok/s", "load s", "convert s", "RSS MB", "BLEU", "threads"):
        main.add_column(col, justify="left" if col in ("backend", "set", "threads") else "right", no_wrap=True)
    for name, run in report["runs"].items():
        for task, label in (("flores", f"flores[:{report['settings']['limit']}]"), ("seed", "seed")):
            r = run[task]
            main.add_row(name, label, _cell(r["sentences_per_s"]), _cell(r["tokens_per_s"]), _cell(r["load_s"]),
                         _cell(run["conversion_s"]), _cell(r["peak_rss_mb"]), _cell(r.get("bleu")),
                         _threads(r["threads"]))
    ratios = report.get("ratios") or {}
    for task in ("flores", "seed"):
        r = ratios.get(task) or {}
        if r:
            main.add_row("ct2/hf", task, _cell(r.get("sentences_per_s")), _cell(r.get("tokens_per_s")),
                         _cell(ratios.get("load_s")), "", _cell(r.get("peak_rss_mb")),
                         _cell(r.get("bleu_delta")) + (" Δ" if "bleu_delta" in r else ""), "")
    tables.append(main)
    opus = report.get("opus_size")
    if opus:
        a = opus["architecture"]
        t = Table(title=f"random model of the opus-mt-nl-en architecture (d_model {a['d_model']}, "
                        f"{a['encoder_layers']}+{a['decoder_layers']} layers, {a['heads']} heads, ffn {a['ffn']}, "
                        f"vocab {a['vocab_size']:,}), {opus['sentences']} sentences × {opus['length']} tokens")
        for col in ("backend", "sent/s", "tok/s", "load s", "convert s", "RSS MB", "threads"):
            t.add_column(col, justify="left" if col in ("backend", "threads") else "right", no_wrap=True)
        for name, r in opus["runs"].items():
            t.add_row(name, _cell(r["sentences_per_s"]), _cell(r["tokens_per_s"]), _cell(r["load_s"]),
                      _cell(r.get("conversion_s")), _cell(r["peak_rss_mb"]),
                      _threads(r["threads"]))
        r = opus.get("ratios") or {}
        if r:
            t.add_row("ct2/hf", _cell(r.get("sentences_per_s")), _cell(r.get("tokens_per_s")),
                      _cell(r.get("load_s")), "", _cell(r.get("peak_rss_mb")), "")
        tables.append(t)
        if opus.get("ctranslate2_threads"):
            s = Table(title="ctranslate2 thread settings (opus-mt-nl-en-size model)")
            for col in ("inter_threads", "intra_threads", "target tok/s"):
                s.add_column(col, justify="right")
            for row in opus["ctranslate2_threads"]:
                s.add_row(str(row["inter_threads"]), str(row["intra_threads"]), _cell(row["tokens_per_s"]))
            tables.append(s)
    return Group(*tables)


def _main(argv: list[str]) -> int:
    """`python -m translate.bench --worker SPEC`: run one task, print its JSON on one line."""
    if len(argv) != 2 or argv[0] != "--worker":
        print("usage: python -m translate.bench --worker JSON (use `nlen bench` instead)", file=sys.stderr)
        return 2
    result = worker(json.loads(argv[1]))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
