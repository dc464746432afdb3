"""Train small Marian nl→en models on CPU and save them in the HuggingFace format.

Why our own loop instead of `Seq2SeqTrainer`: on 2 CPU cores every second counts, so batches
are packed by token count from length-sorted buckets, the run stops on a wall-clock budget,
validates on a clock, checkpoints for resume, and averages the last snapshots at the end.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

SIZES = {
    # name: (d_model, encoder_layers, decoder_layers, heads, ffn, vocab)
    "tiny": (64, 1, 1, 2, 128, 1000),
    "small": (256, 3, 3, 4, 1024, 8000),
    "base": (384, 6, 3, 6, 1536, 8000),
}


@dataclass
class TrainConfig:
    data_dir: Path
    out_dir: Path
    size: str = "small"
    time_budget_min: float = 100.0
    max_steps: int | None = None
    batch_tokens: int = 4000
    lr: float = 1e-3
    warmup: int = 400
    dropout: float = 0.15
    label_smoothing: float = 0.1
    tatoeba_weight: int = 2
    max_len: int = 128
    vocab_size: int | None = None
    eval_every_min: float = 12.0
    dev_limit: int = 500
    average_last: int = 4
    snapshot_every_steps: int = 150
    seed: int = 1
    train_files: list[str] = field(default_factory=lambda: ["tatoeba.train", "news-synthetic"])
    max_pairs: int | None = None
    bf16: bool = False
    threads: int | None = None


def cpu_has_bf16() -> bool:
    """bfloat16 autocast pays off only with native support (avx512_bf16 / amx); it is slower without."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def read_pairs(data_dir: Path, stem: str, limit: int | None = None) -> list[tuple[str, str]]:
    """Read a line-aligned `stem.nl` / `stem.en` pair of files."""
    nl = (data_dir / f"{stem}.nl").read_text(encoding="utf-8").splitlines()
    en = (data_dir / f"{stem}.en").read_text(encoding="utf-8").splitlines()
    if len(nl) != len(en):
        raise ValueError(f"{data_dir / stem}: {len(nl)} Dutch lines but {len(en)} English lines")
    pairs = [(s.strip(), t.strip()) for s, t in zip(nl, en) if s.strip() and t.strip()]
    return pairs[:limit] if limit else pairs


def train_sentencepiece(texts: Iterable[str], prefix: Path, vocab_size: int) -> None:
    """Joint unigram vocabulary; byte fallback so that no character is ever lost.

    Ids are laid out the Marian way: `</s>`=0, `<unk>`=1, no `<s>`, and `<pad>` is appended
    after the last piece in vocab.json.
    """
    import sentencepiece as spm

    corpus = prefix.with_suffix(".txt")
    corpus.write_text("\n".join(texts) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=0.9999,
        byte_fallback=True,
        split_digits=True,
        eos_id=0,
        unk_id=1,
        bos_id=-1,
        pad_id=-1,
        input_sentence_size=2_000_000,
        shuffle_input_sentence=True,
        num_threads=os.cpu_count() or 1,
        minloglevel=2,
    )
    corpus.unlink()


def write_tokenizer_files(spm_model: Path, out_dir: Path) -> int:
    """Write source.spm, target.spm (one joint model), vocab.json and tokenizer_config.json.

    Returns the id of `<pad>`, which is also the vocabulary size minus one.
    """
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(spm_model))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    pad_id = sp.get_piece_size()
    vocab["<pad>"] = pad_id
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(spm_model, out_dir / "source.spm")
    shutil.copy(spm_model, out_dir / "target.spm")
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=0), encoding="utf-8")
    tok_cfg = {
        "tokenizer_class": "MarianTokenizer",
        "source_lang": "nl",
        "target_lang": "en",
        "unk_token": "<unk>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "model_max_length": 512,
        "separate_vocabs": False,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2), encoding="utf-8")
    return pad_id


def build_model(size: str, vocab_size: int, pad_id: int, dropout: float):
    """A randomly initialised MarianMTModel with tied embeddings and opus-mt conventions."""
    from transformers import MarianConfig, MarianMTModel

    d_model, enc, dec, heads, ffn, _ = SIZES[size]
    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=enc,
        decoder_layers=dec,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        activation_function="swish",
        dropout=dropout,
        attention_dropout=0.1 if dropout else 0.0,
        activation_dropout=0.1 if dropout else 0.0,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        pad_token_id=pad_id,
        decoder_start_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
    )
    model = MarianMTModel(config)
    model.generation_config = default_generation_config(pad_id)
    return model


def default_generation_config(pad_id: int, num_beams: int = 4, length_penalty: float = 1.0):
    """opus-mt's decoding settings; the pad token is banned as opus-mt does."""
    from transformers import GenerationConfig

    return GenerationConfig(
        bad_words_ids=[[pad_id]],
        decoder_start_token_id=pad_id,
        pad_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
        num_beams=num_beams,
        length_penalty=length_penalty,
        max_length=512,
    )


def encode_pairs(sp, pairs: list[tuple[str, str]], max_len: int) -> list[tuple[list[int], list[int]]]:
    """Sentencepiece ids (equal to vocab ids by construction) with `</s>` appended; long pairs dropped."""
    src = sp.encode([s for s, _ in pairs])
    tgt = sp.encode([t for _, t in pairs])
    out = []
    for s, t in zip(src, tgt):
        if 0 < len(s) < max_len and 0 < len(t) < max_len and len(s) <= 3 * len(t) + 5 and len(t) <= 3 * len(s) + 5:
            out.append((s + [0], t + [0]))
    return out


def make_batches(examples, batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Token-packed batches of similar length (indices into `examples`), in random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i][1]), len(examples[i][0]), rng.random()))
    batches, current, longest = [], [], 0
    for i in order:
        length = max(len(examples[i][0]), len(examples[i][1]))
        if current and max(longest, length) * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, length)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def collate(examples, indices, pad_id: int):
    import torch

    src = [examples[i][0] for i in indices]
    tgt = [examples[i][1] for i in indices]
    s_len, t_len = max(map(len, src)), max(map(len, tgt))
    input_ids = torch.full((len(src), s_len), pad_id, dtype=torch.long)
    labels = torch.full((len(tgt), t_len), -100, dtype=torch.long)
    dec_in = torch.full((len(tgt), t_len), pad_id, dtype=torch.long)
    for row, (s, t) in enumerate(zip(src, tgt)):
        input_ids[row, : len(s)] = torch.tensor(s)
        labels[row, : len(t)] = torch.tensor(t)
        dec_in[row, 1 : len(t)] = torch.tensor(t[:-1])
    return input_ids, input_ids.ne(pad_id), dec_in, labels


def translate_greedy(model, sp, sources: list[str], pad_id: int, batch_size: int = 64, num_beams: int = 1) -> list[str]:
    """Decode for validation; sources sorted by length so batches are dense."""
    import torch

    model.eval()
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    out: list[str] = [""] * len(sources)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            ids = [sp.encode(sources[i])[:510] + [0] for i in idx]
            width = max(map(len, ids))
            input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
            for row, s in enumerate(ids):
                input_ids[row, : len(s)] = torch.tensor(s)
            gen = model.generate(
                input_ids=input_ids,
                attention_mask=input_ids.ne(pad_id),
                num_beams=num_beams,
                max_new_tokens=min(512, int(width * 1.6) + 10),
                max_length=None,
            )
            for row, i in enumerate(idx):
                toks = [t for t in gen[row].tolist() if t not in (0, pad_id)]
                out[i] = sp.decode(toks)
    model.train()
    return out


def validate(model, sp, dev_sets: dict[str, list[tuple[str, str]]], pad_id: int, num_beams: int = 1) -> dict:
    import sacrebleu

    scores = {}
    for name, pairs in dev_sets.items():
        hyps = translate_greedy(model, sp, [s for s, _ in pairs], pad_id, num_beams=num_beams)
        refs = [[t for _, t in pairs]]
        scores[name] = {
            "bleu": round(sacrebleu.corpus_bleu(hyps, refs).score, 2),
            "chrf": round(sacrebleu.corpus_chrf(hyps, refs).score, 2),
        }
    scores["select"] = round(sum(v["chrf"] for v in scores.values()) / len(dev_sets), 3)
    return scores


def average_state_dicts(states: list[dict]) -> dict:
    avg = {}
    for key in states[0]:
        if states[0][key].is_floating_point():
            avg[key] = sum(s[key] for s in states) / len(states)
        else:
            avg[key] = states[-1][key]
    return avg


def train(cfg: TrainConfig, log: Callable[[str], None] = print) -> dict:
    """Train (or resume) a model under `cfg.out_dir`; return the final report."""
    import sentencepiece as spm
    import torch
    import torch.nn.functional as F

    if cfg.threads:
        torch.set_num_threads(cfg.threads)   # else torch's default: OMP_NUM_THREADS, or one per core
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out_dir)
    work = out / "checkpoint"
    work.mkdir(parents=True, exist_ok=True)
    # The shared layout is DATA/train and DATA/eval; a flat folder holding both works too.
    split = (cfg.data_dir / "train").is_dir()
    train_dir = cfg.data_dir / "train" if split else cfg.data_dir
    eval_dir = cfg.data_dir / "eval" if split else cfg.data_dir

    corpora = {stem: read_pairs(train_dir, stem, cfg.max_pairs) for stem in cfg.train_files}
    vocab_size = cfg.vocab_size or SIZES[cfg.size][5]
    spm_prefix = work / "joint"
    if not spm_prefix.with_suffix(".model").exists():
        texts = [x for pairs in corpora.values() for pair in pairs for x in pair]
        train_sentencepiece(texts, spm_prefix, vocab_size)
    pad_id = write_tokenizer_files(spm_prefix.with_suffix(".model"), out)
    sp = spm.SentencePieceProcessor(model_file=str(spm_prefix.with_suffix(".model")))

    examples = []
    for stem, pairs in corpora.items():
        enc = encode_pairs(sp, pairs, cfg.max_len)
        weight = cfg.tatoeba_weight if stem.startswith("tatoeba") else 1
        examples.extend(enc * weight)
        log(f"data {stem}: {len(enc)} pairs x{weight}, {sum(len(t) for _, t in enc)} target tokens")

    dev_sets = {}
    for stem in ("tatoeba.dev", "flores200.dev"):
        if (eval_dir / f"{stem}.nl").exists():
            dev_sets[stem] = read_pairs(eval_dir, stem, cfg.dev_limit if stem.startswith("tatoeba") else cfg.dev_limit // 2)

    model = build_model(cfg.size, pad_id + 1, pad_id, cfg.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.0)
    schedule = lambda step: min((step + 1) / cfg.warmup, math.sqrt(cfg.warmup / (step + 1)))  # noqa: E731
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "elapsed": 0.0, "best": None, "history": []}
    state_file = work / "state.pt"
    if state_file.exists():
        saved = torch.load(state_file, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        state = saved["state"]
        log(f"resumed at step {state['step']} ({state['elapsed'] / 60:.1f} min done)")

    n_params = sum(p.numel() for p in model.parameters())
    log(f"model {cfg.size}: {n_params / 1e6:.1f}M parameters, vocab {pad_id + 1}, {len(examples)} training pairs")
    budget = cfg.time_budget_min * 60
    snapshots: list[dict] = []
    started = time.time() - state["elapsed"]
    last_eval = time.time()
    last_log = time.time()
    loss_sum, tok_sum = 0.0, 0
    model.train()

    def elapsed() -> float:
        return time.time() - started

    def save_state():
        state["elapsed"] = elapsed()
        tmp = state_file.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "state": state, "config": _jsonable(cfg)}, tmp)
        os.replace(tmp, state_file)

    def evaluate_and_keep_best():
        scores = validate(model, sp, dev_sets, pad_id)
        scores.update(step=state["step"], minutes=round(elapsed() / 60, 1))
        state["history"].append(scores)
        log(f"dev step {state['step']}: {json.dumps(scores)}")
        if state["best"] is None or scores["select"] > state["best"]["select"]:
            state["best"] = scores
            torch.save(model.state_dict(), work / "best.pt")
        save_state()

    done = False
    while not done:
        rng = random.Random(cfg.seed + state["epoch"])
        batches = make_batches(examples, cfg.batch_tokens, rng)
        for b in range(state["batch_in_epoch"], len(batches)):
            input_ids, mask, dec_in, labels = collate(examples, batches[b], pad_id)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                logits = model(input_ids=input_ids, attention_mask=mask, decoder_input_ids=dec_in).logits
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), labels.view(-1),
                                   ignore_index=-100, label_smoothing=cfg.label_smoothing, reduction="sum")
            n_tok = int(labels.ne(-100).sum())
            optimizer.zero_grad(set_to_none=True)
            (loss / n_tok).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            state["step"] += 1
            state["batch_in_epoch"] = b + 1
            loss_sum += float(loss.detach())
            tok_sum += n_tok
            state.setdefault("step_losses", []).append(round(float(loss.detach()) / n_tok, 4))
            if time.time() - last_log > 60:
                log(f"step {state['step']} epoch {state['epoch']} batch {b + 1}/{len(batches)} "
                    f"loss {loss_sum / tok_sum:.3f} lr {scheduler.get_last_lr()[0]:.2e} {elapsed() / 60:.1f} min")
                state.setdefault("losses", []).append(round(loss_sum / tok_sum, 4))
                loss_sum, tok_sum, last_log = 0.0, 0, time.time()
            if elapsed() > budget * 0.75 and state["step"] % cfg.snapshot_every_steps == 0:
                snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
                snapshots[:] = snapshots[-cfg.average_last:]
            if dev_sets and time.time() - last_eval > cfg.eval_every_min * 60:
                evaluate_and_keep_best()
                last_eval = time.time()
            if elapsed() > budget or (cfg.max_steps and state["step"] >= cfg.max_steps):
                done = True
                break
        else:
            state["epoch"] += 1
            state["batch_in_epoch"] = 0

    train_minutes = elapsed() / 60
    candidates = {"last": {k: v.clone() for k, v in model.state_dict().items()}}
    if len(snapshots) >= 2:
        candidates["average"] = average_state_dicts(snapshots)
    if (work / "best.pt").exists():
        candidates["best"] = torch.load(work / "best.pt")
    chosen, chosen_scores = "last", None
    for name, weights in candidates.items():
        model.load_state_dict(weights)
        scores = validate(model, sp, dev_sets, pad_id) if dev_sets else {"select": 0.0}
        log(f"final candidate {name}: {json.dumps(scores)}")
        if chosen_scores is None or scores["select"] > chosen_scores["select"]:
            chosen, chosen_scores = name, scores
    model.load_state_dict(candidates[chosen])
    save_state()
    model.save_pretrained(out)
    report = {
        "size": cfg.size,
        "parameters": n_params,
        "steps": state["step"],
        "epochs": state["epoch"] + state["batch_in_epoch"] / max(len(batches), 1),
        "train_minutes": round(train_minutes, 1),
        "chosen": chosen,
        "dev": chosen_scores,
        "history": state["history"],
        "config": _jsonable(cfg),
        "snapshots_averaged": len(snapshots) if chosen == "average" else 0,
        "loss_start": _mean(state.get("step_losses", [])[:5]),
        "loss_end": _mean(state.get("step_losses", [])[-5:]),
    }
    (out / "training_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    log(f"saved {out} ({chosen}), {train_minutes:.1f} min")
    return report


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _jsonable(cfg: TrainConfig) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}


if __name__ == "__main__":  # pragma: no cover - used for the long run; the CLI wraps `train`
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", default="small")
    p.add_argument("--time-budget", type=float, default=100.0)
    p.add_argument("--dropout", type=float, default=0.15)
    p.add_argument("--max-steps", type=int)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--max-pairs", type=int)
    p.add_argument("--eval-every", type=float, default=12.0)
    a = p.parse_args()
    train(TrainConfig(data_dir=a.data, out_dir=a.out, size=a.size, time_budget_min=a.time_budget,
                      max_steps=a.max_steps, bf16=a.bf16, max_pairs=a.max_pairs, eval_every_min=a.eval_every,
                      dropout=a.dropout),
          log=lambda m: print(time.strftime("%H:%M:%S"), m, flush=True))


def tune_length_penalty(model_dir: Path, data_dir: Path, values: tuple[float, ...] = (0.6, 1.0, 1.4),
                        beam: int = 4, backend: str = "auto", limit: int = 400,
                        log: Callable[[str], None] = print) -> dict:
    """Pick the beam length penalty by mean chrF on tatoeba.dev and flores200.dev; write it to the model.

    Small models trained on short sentences tend to stop early on long ones; the penalty trades that off.
    """
    import sacrebleu

    from translate.backends import load_backend
    from translate.models import resolve_model

    eval_dir = data_dir / "eval" if (data_dir / "eval").is_dir() else data_dir
    dev = {stem: read_pairs(eval_dir, stem, limit) for stem in ("tatoeba.dev", "flores200.dev")}
    info = resolve_model(str(model_dir))
    engine = load_backend(info, backend)
    from translate.backends import DecodeOptions

    scores = {}
    for lp in values:
        chrf = {}
        for stem, pairs in dev.items():
            hyps = [h.text for h in engine.translate_batch([s for s, _ in pairs],
                                                          DecodeOptions(beam=beam, batch_size=32, length_penalty=lp))]
            chrf[stem] = round(sacrebleu.corpus_chrf(hyps, [[t for _, t in pairs]]).score, 2)
        scores[lp] = {"chrf": chrf, "mean": round(sum(chrf.values()) / len(chrf), 2)}
        log(f"length_penalty {lp}: {json.dumps(scores[lp])}")
    best = max(scores, key=lambda lp: scores[lp]["mean"])
    gen_file = Path(model_dir) / "generation_config.json"
    gen = json.loads(gen_file.read_text(encoding="utf-8"))
    gen["length_penalty"] = best
    gen_file.write_text(json.dumps(gen, indent=2) + "\n", encoding="utf-8")
    return {"chosen": best, "scores": {str(k): v for k, v in scores.items()}}
