"""Training a tiny model for a few steps: the loss falls and the saved directory is a usable model."""

from __future__ import annotations

import json

from transformers import MarianMTModel, MarianTokenizer

from translate.train import TrainConfig, train


def test_loss_goes_down_and_model_loads(tiny_model):
    report = json.loads((tiny_model / "training_report.json").read_text())
    assert report["steps"] == 40
    assert report["loss_end"] < report["loss_start"] - 1.0
    for name in ("config.json", "generation_config.json", "model.safetensors", "source.spm", "target.spm",
                 "vocab.json", "tokenizer_config.json"):
        assert (tiny_model / name).exists(), name
    vocab = json.loads((tiny_model / "vocab.json").read_text())
    assert vocab["</s>"] == 0 and vocab["<unk>"] == 1 and vocab["<pad>"] == len(vocab) - 1
    generation = json.loads((tiny_model / "generation_config.json").read_text())
    assert generation["bad_words_ids"] == [[vocab["<pad>"]]]
    tok = MarianTokenizer.from_pretrained(str(tiny_model))
    model = MarianMTModel.from_pretrained(str(tiny_model))
    batch = tok(["Ik ben moe."], return_tensors="pt")
    out = model.generate(**batch, num_beams=1, max_new_tokens=8)
    assert out.shape[1] >= 2 and int(out[0, 0]) == vocab["<pad>"], "decoding starts from <pad>, as opus-mt"
    assert vocab["<pad>"] not in out[0, 1:].tolist(), "the pad token is banned in generation"


def test_byte_fallback_keeps_every_character(tiny_model):
    tok = MarianTokenizer.from_pretrained(str(tiny_model))
    text = "Zij zei: “Ça va?” 😀 — 3,5 %"
    ids = tok(text)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text


def test_training_resumes_from_its_checkpoint(nlen_data, tmp_path):
    cfg = dict(data_dir=nlen_data, out_dir=tmp_path, size="tiny", max_pairs=300, batch_tokens=800, dev_limit=4,
               eval_every_min=0.0, warmup=5)
    first = train(TrainConfig(max_steps=3, **cfg), log=lambda m: None)
    assert first["steps"] == 3 and (tmp_path / "checkpoint" / "state.pt").exists()
    second = train(TrainConfig(max_steps=5, **cfg), log=lambda m: None)
    assert second["steps"] == 5
