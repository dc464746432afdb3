"""Issue 7: whatever people feed nlen, nothing is lost, nothing hangs, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from translate.document import parse_document
from translate.protect import english_number, find_protected
from translate.translator import Translator

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def translator(tiny_model):
    return Translator(tiny_model, backend="transformers", beam=1, batch_size=64)


def test_600_word_sentence_is_split_never_truncated(translator):
    words = ("de minister zei maandag dat de Russische troepen naar de kazernes zouden terugkeren "
             "omdat de onderhandelingen in Genève voortgaan").split()
    sentence = " ".join(words[i % len(words)] for i in range(600)) + "."
    [result] = translator.translate_segments_detailed([sentence])
    assert result.units >= 3, "a 600-word sentence exceeds the model's limit and must be split"
    assert result.translation.strip()


def test_many_sentences_come_back_complete_and_in_order(translator):
    sentences = [f"Zin nummer {n} gaat over de grens." for n in range(2000)]
    results = translator.translate_segments_detailed(sentences)
    assert [r.index for r in results] == list(range(2000))
    assert all(r.translation.strip() for r in results)
    # the number in each sentence is protected, so it identifies the sentence in the output
    assert all(str(n) in r.translation for n, r in enumerate(results))


def test_output_is_streamed_window_by_window(translator, monkeypatch):
    import translate.translator as translator_module

    monkeypatch.setattr(translator_module, "WINDOW_SEGMENTS", 50)
    text = "\n\n".join(f"Alinea {n}. Het regent." for n in range(120))
    doc = parse_document(text)
    translated_before_first_chunk = []
    done = []
    chunks = translator.iter_document(doc, progress=lambda d, total: done.append(d))
    first, _ = next(chunks)
    translated_before_first_chunk.append(max(done))
    rest = [c for c, _ in chunks]
    assert translated_before_first_chunk[0] <= 50, "the first chunk is written before the rest is translated"
    assert len(rest) >= 4
    assert (first + "".join(rest)).count("\n\n") == 119


def test_urls_emails_numbers_and_emoji_pass_through(translator):
    source = "Lees https://nos.nl/artikel/2412345 of mail redactie@nos.nl: 100.000 soldaten, 3,5 procent 😀."
    [result] = translator.translate_segments_detailed([source])
    out = result.translation
    for literal in ("https://nos.nl/artikel/2412345", "redactie@nos.nl", "😀"):
        assert literal in out, (literal, out)
    digits = "".join(c for c in out if c.isdigit())
    assert "100000" in digits and "35" in digits, out


def test_protected_spans_are_found_with_english_number_forms():
    spans = {p.kind: p for p in find_protected("Op 12 januari: 100.000 man, 3,5% en www.nu.nl/x. 🎉")}
    assert spans["url"].text == "www.nu.nl/x"
    assert spans["emoji"].text == "🎉"
    assert english_number("100.000") == "100,000" and english_number("3,5") == "3.5"
    assert english_number("1.234.567,89") == "1,234,567.89" and english_number("2022") == "2022"


def test_degenerate_output_is_retried_and_reported(translator):
    results = translator.translate_segments_detailed(["Ja.", "Het overleg tussen Rusland en de VS."])
    for r in results:
        assert isinstance(r.flags, list) and isinstance(r.retried, bool)
        if r.retried:
            assert r.to_json()["retried"] is True


def test_ctrl_c_leaves_no_output_file(tiny_model, tmp_path):
    source = tmp_path / "big.txt"
    source.write_text("\n\n".join(f"Alinea {n}: de NAVO en Rusland praten verder." for n in range(3000)))
    out = tmp_path / "out.txt"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "translate.cli", "translate", str(source), "-o", str(out),
                             "--model", str(tiny_model), "--beam", "1"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.txt.*.part")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "translation finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert "Traceback" not in stderr
