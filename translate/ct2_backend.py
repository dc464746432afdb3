"""CTranslate2 inference: the same protocol as `TransformersBackend`, several times faster on CPU.

The model is converted once per (weights, quantization) and cached under
`$NLEN_CACHE/ctranslate2/<weights_hash>-<quantization>/` (default `~/.cache/nlen`). Conversion goes
to a temporary folder that is renamed into place under a file lock, so a crash or two processes
starting at once never leave a half-written model behind.

Why a custom converter: ctranslate2's stock Marian loader drops `<pad>` and starts the decoder
from a zero vector, which equals transformers' start (the `<pad>` embedding) only when that row
is zero. In models trained with tied embeddings (ours) the output layer moves the row away from
zero, so the stock conversion decodes differently. We keep `<pad>` as the decoder start token,
as transformers does, and suppress it in the output, as the model's `bad_words_ids` does.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Sequence

from translate.backends import DecodeOptions, Hypothesis, max_new_tokens
from translate.models import ModelInfo

QUANTIZATIONS = ("int8", "int8_float32", "int16", "float32")
DEFAULT_QUANTIZATION = "int8"
PAD = "<pad>"
EOS = "</s>"


def cache_root() -> Path:
    return Path(os.environ.get("NLEN_CACHE") or Path.home() / ".cache" / "nlen").expanduser()


def converted_dir(model_info: ModelInfo, quantization: str) -> Path:
    return cache_root() / "ctranslate2" / f"{model_info.weights_hash}-{quantization}"


def default_threads() -> tuple[int, int]:
    """(inter_threads, intra_threads): one single-threaded replica per core.

    Measured on the 2-core VM (see `nlen bench`): `intra_threads=2` was several times slower
    than two single-threaded replicas decoding different batches at once.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(cores, 1), 1


def _marian_converter(model_dir: Path):
    """A ctranslate2 `Converter` for Marian that keeps transformers' decoder start (see module doc)."""
    from ctranslate2.converters.converter import Converter
    from ctranslate2.converters.transformers import BartLoader, MarianMTLoader

    class PadStartMarianLoader(MarianMTLoader):
        def get_model_spec(self, model):
            model.config.normalize_before = False
            model.config.normalize_embedding = False
            spec = BartLoader.get_model_spec(self, model)       # keeps the <pad> row
            # attention for alignment: all heads of the last layer, averaged (stock: head 0 only)
            spec.decoder.alignment_heads = type(spec.decoder.alignment_heads)(model.config.decoder_attention_heads)
            return spec

        def set_decoder(self, spec, decoder):
            BartLoader.set_decoder(self, spec, decoder)         # start from the <pad> embedding

        def get_vocabulary(self, model, tokenizer):
            return BartLoader.get_vocabulary(self, model, tokenizer)

        def set_config(self, config, model, tokenizer):
            config.eos_token = tokenizer.eos_token
            config.unk_token = tokenizer.unk_token
            config.decoder_start_token = tokenizer.convert_ids_to_tokens(model.config.decoder_start_token_id)

    class MarianConverter(Converter):
        def _load(self):
            import torch
            from transformers import MarianMTModel, MarianTokenizer

            with torch.no_grad():
                model = MarianMTModel.from_pretrained(str(model_dir))
                tokenizer = MarianTokenizer.from_pretrained(str(model_dir))
                return PadStartMarianLoader()(model, tokenizer)

    return MarianConverter()


def ensure_converted(model_info: ModelInfo, quantization: str = DEFAULT_QUANTIZATION) -> tuple[Path, float]:
    """The converted model's folder, converting on first use; also the seconds spent converting (0 if cached)."""
    from filelock import FileLock

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    target = converted_dir(model_info, quantization)
    if (target / "model.bin").exists():
        return target, 0.0
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "model.bin").exists():   # another process finished it while we waited
            return target, 0.0
        started = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            _marian_converter(model_info.path).convert(str(tmp / "model"), quantization=quantization, force=True)
            (tmp / "model" / "nlen_conversion.json").write_text(json.dumps({
                "source": str(model_info.path), "weights_hash": model_info.weights_hash,
                "quantization": quantization, "decoder_start": PAD}, indent=1), encoding="utf-8")
            if target.exists():               # a stale, incomplete folder from a foreign tool
                shutil.rmtree(target)
            os.replace(tmp / "model", target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target, time.perf_counter() - started


def _generation_config(path: Path) -> dict:
    try:
        return json.loads((path / "generation_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class CTranslate2Backend:
    """CTranslate2 inference on CPU with transformers' MarianTokenizer, so pieces match exactly."""

    name = "ctranslate2"

    def __init__(self, model_info: ModelInfo, threads: int | None = None, *,
                 quantization: str = DEFAULT_QUANTIZATION, inter_threads: int | None = None,
                 intra_threads: int | None = None):
        import ctranslate2
        from transformers import MarianTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        self.model_info = model_info
        self.quantization = quantization
        self.model_dir, self.conversion_seconds = ensure_converted(model_info, quantization)
        inter, intra = default_threads()
        if threads:
            inter = threads
        self.inter_threads = inter_threads or inter
        self.intra_threads = intra_threads or intra
        self.parallelism = self.inter_threads
        self.translator = ctranslate2.Translator(str(self.model_dir), device="cpu", compute_type="default",
                                                 inter_threads=self.inter_threads, intra_threads=self.intra_threads)
        self.tokenizer = MarianTokenizer.from_pretrained(str(model_info.path))
        self.vocab = set(self.tokenizer.get_vocab())
        gen = _generation_config(model_info.path)
        self.default_length_penalty = float(gen.get("length_penalty", 1.0))
        self.max_positions = int(model_info.config.get("max_position_embeddings", 512))
        self.suppress = [[PAD]] if PAD in self.vocab else None

    # -- pieces ------------------------------------------------------------------------------
    def source_pieces(self, text: str) -> list[str]:
        return self.tokenizer.tokenize(text)

    def count_tokens(self, text: str) -> int:
        return len(self.source_pieces(text)) + 1

    def target_pieces(self, text: str) -> list[str]:
        ids = self.tokenizer(text_target=text, add_special_tokens=False)["input_ids"]
        return self.tokenizer.convert_ids_to_tokens(ids)

    def _encode_sources(self, sources: Sequence[str]) -> list[list[str]]:
        """Source pieces plus `</s>`; pieces outside the vocabulary become `<unk>`, as in transformers."""
        unk = self.tokenizer.unk_token
        rows = [[p if p in self.vocab else unk for p in self.source_pieces(s)] + [EOS] for s in sources]
        too_long = [i for i, r in enumerate(rows) if len(r) > self.max_positions]
        if too_long:
            raise ValueError(f"source {too_long[0]} has {len(rows[too_long[0]])} tokens; split it first")
        return rows

    # -- decoding ----------------------------------------------------------------------------
    def _limit(self, rows: list[list[str]]) -> int:
        """transformers' length cap: 1.5 × source width + 10 new tokens, the last one a forced `</s>`.

        Mirrors `TransformersBackend._generate_kwargs`; the parity tests catch any drift.
        """
        return max_new_tokens(max(map(len, rows)), self.max_positions) - 1

    def _options(self, options: DecodeOptions) -> dict:
        lp = options.length_penalty if options.length_penalty is not None else self.default_length_penalty
        return dict(beam_size=options.beam, length_penalty=lp, no_repeat_ngram_size=options.no_repeat_ngram_size,
                     repetition_penalty=options.repetition_penalty, suppress_sequences=self.suppress,
                     max_input_length=0, max_batch_size=options.batch_size)

    def translate_batch(self, sources: Sequence[str], options: DecodeOptions, *,
                        prefixes: Sequence[str | None] | None = None,
                        return_attention: bool = False) -> list[Hypothesis]:
        """Decode in transformers' chunks (batch_size, in order; prefixed sources alone), all chunks in flight at once."""
        if not sources:
            return []
        rows = self._encode_sources(sources)
        kwargs = self._options(options)
        plain = [i for i in range(len(sources)) if not (prefixes and prefixes[i])]
        jobs: list[tuple[list[int], list]] = []
        for start in range(0, len(plain), options.batch_size):
            chunk = plain[start: start + options.batch_size]
            batch = [rows[i] for i in chunk]
            jobs.append((chunk, self.translator.translate_batch(
                batch, asynchronous=True, return_attention=return_attention,
                max_decoding_length=self._limit(batch), **kwargs)))
        for i in range(len(sources)):
            if prefixes and prefixes[i]:
                prefix = self.target_pieces(prefixes[i])
                jobs.append(([i], self.translator.translate_batch(
                    [rows[i]], [prefix], asynchronous=True, return_attention=return_attention,
                    max_decoding_length=len(prefix) + self._limit([rows[i]]), **kwargs)))
        out: list[Hypothesis] = [None] * len(sources)  # type: ignore[list-item]
        for chunk, results in jobs:
            for i, res in zip(chunk, results):
                r = res.result()
                att = r.attention[0] if return_attention else None
                out[i] = self._hypothesis(rows[i], r.hypotheses[0], att)
        return out

    def align(self, sources: Sequence[str], targets: Sequence[str]) -> list[Hypothesis]:
        """Force-decode each target (as a full-length prefix) and return its cross-attention.

        CTranslate2 returns one head-averaged layer (the last), transformers the mean of all
        layers; the two agree exactly on one-layer models and roughly otherwise.
        """
        if not sources:
            return []
        rows = self._encode_sources(sources)
        prefixes = [self.target_pieces(t) for t in targets]
        results = self.translator.translate_batch(
            rows, prefixes, beam_size=1, max_decoding_length=max(map(len, prefixes), default=0) + 1,
            min_decoding_length=0, return_attention=True, max_input_length=0, suppress_sequences=self.suppress)
        out = []
        for row, prefix, r in zip(rows, prefixes, results):
            out.append(self._hypothesis(row, prefix, r.attention[0]))
        return out

    def _hypothesis(self, row: list[str], pieces: list[str], attention) -> Hypothesis:
        text = self.tokenizer.convert_tokens_to_string(pieces) if pieces else ""
        att = None
        if attention is not None:   # rows: output pieces; drop the source's trailing </s> column
            att = [[float(x) for x in line[: len(row) - 1]] for line in attention[: len(pieces)]]
        return Hypothesis(text=text.strip(), target_pieces=list(pieces), source_pieces=row[:-1], attention=att)

