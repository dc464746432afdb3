"""`nlen translate` and `nlen model` through the real CLI (typer's runner and a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from translate.cli import app

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "nl-2022-01-geneva-talks-russia-us.txt"
runner = CliRunner()


@pytest.fixture()
def nlen(tiny_model):
    def run(*args: str, input: str | bytes | None = None):
        return runner.invoke(app, ["translate", "--model", str(tiny_model), "--beam", "1", *args], input=input)

    return run


def test_help_shows_examples():
    result = runner.invoke(app, ["translate", "--help"])
    assert result.exit_code == 0
    assert "Examples" in result.output and "nlen translate" in result.output


def test_stdin_to_stdout(nlen):
    result = nlen(input="Ik ben moe.\n\nHet regent.\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n\n") == 1 and result.stdout.endswith("\n")


def test_file_to_output_file(nlen, tmp_path):
    out = tmp_path / "en.txt"
    result = nlen(str(SEED), "-o", str(out), "--no-glossary")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.count("\n\n") == 11
    assert not list(tmp_path.glob("*.part")), "no temp file left behind"


def test_several_inputs_go_to_a_directory(nlen, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.md"
    a.write_text("Ik ben moe.\n", encoding="utf-8")
    b.write_text("# Kop\n\nDe NAVO vergadert.\n", encoding="utf-8")
    result = nlen(str(a), str(b), "-o", str(tmp_path / "en"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "en" / "a.txt").exists() and (tmp_path / "en" / "b.md").read_text().startswith("# ")


def test_json_output_reports_segments_and_terms(nlen, tmp_path):
    glossary = tmp_path / "g.tsv"
    glossary.write_text("NAVO\tNATO\n", encoding="utf-8")
    result = nlen("--format", "json", "--glossary", str(glossary), input="De NAVO vergadert.\n\nIk ben moe.")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["paragraphs"] == 2
    first, second = data["segments"]
    assert first["paragraph"] == 0 and second["paragraph"] == 1
    assert first["source"] == "De NAVO vergadert."
    assert first["terms"][0]["target"] == "NATO" and first["terms"][0]["enforced"] is True
    assert "NATO" in first["translation"]
    assert second["terms"] == []


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: ["missing.txt"], "missing.txt: no such file"),
        (lambda d: [str(d)], "is a directory"),
        (lambda d: [str(_write(d / "bin.dat", b"\x00\x01\x02PNG"))], "binary"),
        (lambda d: [str(_write(d / "latin.txt", "Caf\u00e9 in Gen\u00e8ve.".encode("cp1252")))], "at byte 3"),
        (lambda d: [str(_write(d / "ok.txt", b"Hallo.")), "--model", str(d)], "not a model directory"),
        (lambda d: [str(_write(d / "ok.txt", b"Hallo.")), "--glossary", str(_write(d / "g.tsv", b"NAVO\n"))],
         "g.tsv"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tiny_model, tmp_path, setup, message):
    args = setup(tmp_path)
    if "--model" not in args:
        args += ["--model", str(tiny_model)]
    result = runner.invoke(app, ["translate", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_encoding_option_reads_legacy_files(nlen, tmp_path):
    path = _write(tmp_path / "latin.txt", "Caf\u00e9 in Gen\u00e8ve.\n".encode("cp1252"))
    result = nlen(str(path), "--encoding", "cp1252")
    assert result.exit_code == 0, result.output


def test_empty_input_gives_empty_output(nlen, tmp_path):
    assert nlen(input="").stdout == ""
    assert nlen(input="  \n\n ").stdout == "  \n\n "


def test_bom_is_dropped(nlen, tmp_path):
    path = _write(tmp_path / "bom.txt", "\ufeffIk ben moe.\n".encode("utf-8"))
    result = nlen(str(path))
    assert result.exit_code == 0 and not result.stdout.startswith("\ufeff")


def test_real_process_exit_codes_and_stderr(tiny_model, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "translate.cli", "translate", "--model", str(tiny_model), "--beam", "1"]
    ok = subprocess.run(cmd, input="Ik ben moe.\n", capture_output=True, text=True, env=env, cwd=REPO)
    assert ok.returncode == 0 and ok.stdout.strip() and ok.stderr == ""
    bad = subprocess.run(cmd + ["nope.txt"], capture_output=True, text=True, env=env, cwd=REPO)
    assert bad.returncode == 2 and bad.stderr.strip() == "nlen: error: nope.txt: no such file"


def test_model_info_describes_a_directory(tiny_model):
    result = runner.invoke(app, ["model", "info", str(tiny_model), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["architecture"]["d_model"] == 64 and info["parameters"] > 0
    assert "source.spm" in info["files"]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_eval_runs_for_real_on_a_model(tiny_model, nlen_data, tmp_path):
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", "--suite", "tatoeba", "--limit", "5", "--model", str(tiny_model),
                                 "--beam", "1", "--backend", "transformers", "--no-glossary", "--json",
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    suite = data["suites"]["tatoeba"]
    assert suite["n_lines"] == 5 and len(suite["hypotheses"]) == 5
    assert 0 <= suite["scores"]["chrf"]["score"] <= 100
    assert data["settings"]["backend"] == "transformers"


def test_model_tune_writes_the_chosen_length_penalty(tiny_model, nlen_data, tmp_path):
    import shutil

    model = tmp_path / "m"
    shutil.copytree(tiny_model, model, ignore=shutil.ignore_patterns("checkpoint"))
    result = runner.invoke(app, ["model", "tune", str(model), "--data", str(nlen_data), "--values", "0.8,1.2",
                                 "--limit", "4", "--beam", "2", "--backend", "transformers"])
    assert result.exit_code == 0, result.output
    chosen = json.loads(result.stdout.strip().splitlines()[-1])["chosen"]
    assert chosen in (0.8, 1.2)
    assert json.loads((model / "generation_config.json").read_text())["length_penalty"] == chosen
