"""Inference backends behind one small protocol, so nothing else knows which engine runs.

`translate_batch(sources, ...) -> list[Hypothesis]`. A hypothesis carries its target pieces and,
on request, a target×source attention matrix (the glossary uses it to find the English words
that stand for a Dutch term). `prefixes` force the start of a translation (the glossary uses it to
put a term in and let the model continue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from translate.models import ModelInfo



def max_new_tokens(source_width: int, max_positions: int = 512) -> int:
    """The output length cap both backends share: room for English being longer, never past the positions."""
    return min(max_positions, int(source_width * 1.5) + 10)


@dataclass
class DecodeOptions:
    beam: int = 4
    batch_size: int = 16                   # sentences decoded together
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    length_penalty: float | None = None   # None: the model's own (generation_config)


@dataclass
class Hypothesis:
    text: str
    target_pieces: list[str]
    source_pieces: list[str] = field(default_factory=list)
    attention: list[list[float]] | None = None   # [target piece][source piece], rows sum to ~1


class Backend(Protocol):
    name: str
    model_info: ModelInfo
    parallelism: int      # batches a backend decodes at once; the translator hands it that many

    def translate_batch(self, sources: Sequence[str], options: DecodeOptions, *,
                        prefixes: Sequence[str | None] | None = None,
                        return_attention: bool = False) -> list[Hypothesis]: ...

    def align(self, sources: Sequence[str], targets: Sequence[str]) -> list[Hypothesis]:
        """Force-decode the given targets and return their pieces with cross-attention."""
        ...

    def source_pieces(self, text: str) -> list[str]: ...

    def count_tokens(self, text: str) -> int:
        """Source length in model positions (`</s>` included): what the 512-position limit counts."""
        ...


class TransformersBackend:
    """PyTorch inference through `transformers`' MarianMTModel and MarianTokenizer."""

    name = "transformers"
    parallelism = 1

    def __init__(self, model_info: ModelInfo, threads: int | None = None):
        import torch
        from transformers import MarianMTModel, MarianTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()   # stderr is for nlen's own notices and progress
        if threads:
            torch.set_num_threads(threads)
        self.model_info = model_info
        self.tokenizer = MarianTokenizer.from_pretrained(str(model_info.path))
        self.model = MarianMTModel.from_pretrained(str(model_info.path), attn_implementation="eager").eval()
        self.pad_id = self.model.config.pad_token_id
        self.eos_id = self.model.config.eos_token_id
        self.max_positions = self.model.config.max_position_embeddings

    def source_pieces(self, text: str) -> list[str]:
        return self.tokenizer.tokenize(text)

    def count_tokens(self, text: str) -> int:
        return len(self.source_pieces(text)) + 1

    def _encode_sources(self, sources: Sequence[str]):
        ids = [self.tokenizer.convert_tokens_to_ids(self.source_pieces(s)) + [self.eos_id] for s in sources]
        too_long = [i for i, x in enumerate(ids) if len(x) > self.max_positions]
        if too_long:
            raise ValueError(f"source {too_long[0]} has {len(ids[too_long[0]])} tokens; split it first")
        return ids

    def _pad(self, rows: list[list[int]]):
        import torch

        width = max(map(len, rows))
        batch = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        for r, row in enumerate(rows):
            batch[r, : len(row)] = torch.tensor(row, dtype=torch.long)
        return batch

    def _generate_kwargs(self, options: DecodeOptions, width: int) -> dict:
        kwargs = dict(num_beams=options.beam, max_new_tokens=max_new_tokens(width, self.max_positions),
                      max_length=None)
        if options.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = options.no_repeat_ngram_size
        if options.repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = options.repetition_penalty
        if options.length_penalty is not None:
            kwargs["length_penalty"] = options.length_penalty
        return kwargs

    def translate_batch(self, sources, options, *, prefixes=None, return_attention=False):
        import torch

        if not sources:
            return []
        src_ids = self._encode_sources(sources)
        outputs: list[list[int]] = [None] * len(sources)  # type: ignore[list-item]
        with torch.inference_mode():
            plain = [i for i in range(len(sources)) if not (prefixes and prefixes[i])]
            for start in range(0, len(plain), options.batch_size):
                chunk = plain[start: start + options.batch_size]
                input_ids = self._pad([src_ids[i] for i in chunk])
                gen = self.model.generate(input_ids=input_ids, attention_mask=input_ids.ne(self.pad_id),
                                          **self._generate_kwargs(options, input_ids.shape[1]))
                for row, i in enumerate(chunk):
                    outputs[i] = self._strip(gen[row].tolist())
            for i in range(len(sources)):
                if outputs[i] is None:  # prefix-forced: one at a time, the prefix lengths differ
                    outputs[i] = self._generate_with_prefix(src_ids[i], prefixes[i], options)
            return [self._hypothesis(src, out, return_attention) for src, out in zip(src_ids, outputs)]

    def align(self, sources, targets):
        import torch

        src_ids = self._encode_sources(sources)
        tgt_ids = [self.tokenizer(text_target=t, add_special_tokens=False)["input_ids"] for t in targets]
        with torch.inference_mode():
            return [self._hypothesis(src, tgt, True) for src, tgt in zip(src_ids, tgt_ids)]

    def _hypothesis(self, src: list[int], out: list[int], with_attention: bool) -> Hypothesis:
        pieces = self.tokenizer.convert_ids_to_tokens(out)
        text = self.tokenizer.convert_tokens_to_string(pieces) if pieces else ""
        return Hypothesis(text=text.strip(), target_pieces=pieces,
                          source_pieces=self.tokenizer.convert_ids_to_tokens(src[:-1]),
                          attention=self._attention(src, out) if with_attention else None)

    def _strip(self, ids: list[int]) -> list[int]:
        out = []
        for t in ids[1:]:  # drop the decoder start token
            if t == self.eos_id:
                break
            if t != self.pad_id:
                out.append(t)
        return out

    def _generate_with_prefix(self, src: list[int], prefix: str, options: DecodeOptions) -> list[int]:
        import torch

        prefix_ids = self.tokenizer(text_target=prefix, add_special_tokens=False)["input_ids"]
        input_ids = self._pad([src])
        decoder_input_ids = torch.tensor([[self.pad_id] + prefix_ids], dtype=torch.long)
        kwargs = self._generate_kwargs(options, input_ids.shape[1])
        gen = self.model.generate(input_ids=input_ids, attention_mask=input_ids.ne(self.pad_id),
                                  decoder_input_ids=decoder_input_ids, **kwargs)
        return self._strip(gen[0].tolist())

    def _attention(self, src: list[int], out: list[int]) -> list[list[float]]:
        """Cross-attention of a forced decode of `out` over source pieces: last layer, mean of the heads."""
        import torch

        input_ids = self._pad([src])
        dec = torch.tensor([[self.pad_id] + out], dtype=torch.long)
        result = self.model(input_ids=input_ids, attention_mask=input_ids.ne(self.pad_id),
                            decoder_input_ids=dec, output_attentions=True)
        att = result.cross_attentions[-1][0].mean(dim=0)  # last layer, heads averaged (as CTranslate2 gives it)
        # row t predicts output piece t; drop the trailing </s> column of the source
        return att[: len(out), : len(src) - 1].tolist()


BACKENDS = ("auto", "transformers", "ctranslate2")


def load_backend(model_info: ModelInfo, name: str = "auto", threads: int | None = None) -> Backend:
    """`auto` takes CTranslate2 when it is installed and can convert the model, else transformers."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name in ("auto", "ctranslate2"):
        try:
            from translate.ct2_backend import CTranslate2Backend
        except ImportError:
            if name == "ctranslate2":
                raise
        else:
            try:
                return CTranslate2Backend(model_info, threads=threads)
            except Exception:
                if name == "ctranslate2":
                    raise
    return TransformersBackend(model_info, threads=threads)
