"""`nlen glossary` commands, through typer's runner and as real concurrent processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from glossary.cli import app
from glossary.store import DEFAULT_GLOSSARY, load_glossary

REPO = Path(__file__).resolve().parents[1]
SAMPLE = "# mine\nNAVO\tNATO\n\nPoetin\tPutin\tpresident\nVS\tUS\t\texact-case\n"

runner = CliRunner()


@pytest.fixture
def gfile(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("NLEN_GLOSSARY", raising=False)
    path = tmp_path / "g.tsv"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def test_help_lists_commands_and_examples():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("list", "add", "remove", "check", "import", "export"):
        assert command in result.output
    add_help = run("add", "--help")
    assert add_help.exit_code == 0 and "nlen glossary add NAVO NATO" in add_help.output


def test_list_text_json_tsv(gfile: Path):
    text = run("list", "--glossary", str(gfile))
    assert text.exit_code == 0
    assert "NAVO" in text.stdout and "NATO" in text.stdout and "exact-case" in text.stdout
    data = json.loads(run("list", "-g", str(gfile), "--format", "json").stdout)
    assert [d["source"] for d in data] == ["NAVO", "Poetin", "VS"]
    assert data[2]["exact_case"] is True and data[1]["note"] == "president" and data[1]["line"] == 4
    tsv = run("list", "-g", str(gfile), "-f", "tsv").stdout
    assert tsv.splitlines() == ["NAVO\tNATO", "Poetin\tPutin\tpresident", "VS\tUS\t\texact-case"]


def test_list_default_and_env(gfile: Path):
    default = json.loads(run("list", "-f", "json").stdout)
    assert len(default) == len(load_glossary(DEFAULT_GLOSSARY).terms)
    via_env = json.loads(run("list", "-f", "json", env={"NLEN_GLOSSARY": str(gfile)}).stdout)
    assert len(via_env) == 3


def test_add_update_unchanged_conflict_force(gfile: Path):
    r = run("add", "Rusland", "Russia", "--note", "land", "-g", str(gfile))
    assert r.exit_code == 0 and r.stdout.startswith("added: Rusland → Russia")
    assert run("add", "Rusland", "Russia", "--note", "land", "-g", str(gfile)).stdout.startswith("unchanged")
    r = run("add", "Zelensky", "Zelensky", "--variant", "Zelenski", "--variant", "Zelenskyy", "--exact-case",
            "-g", str(gfile))
    assert r.exit_code == 0
    assert gfile.read_text(encoding="utf-8").endswith("Zelensky\tZelensky\t\texact-case\tZelenski|Zelenskyy\n")
    r = run("add", "NAVO", "OTAN", "-g", str(gfile))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "conflict" in r.stderr and f"{gfile}:2" in r.stderr
    assert "Traceback" not in r.output
    assert run("add", "NAVO", "OTAN", "--force", "-g", str(gfile)).stdout.startswith("updated")
    assert gfile.read_text(encoding="utf-8").startswith("# mine\nNAVO\tOTAN\n\nPoetin")


def test_writes_to_shipped_default_are_refused(monkeypatch):
    monkeypatch.delenv("NLEN_GLOSSARY", raising=False)
    before = DEFAULT_GLOSSARY.read_bytes()
    for args in (["add", "X", "Y"], ["remove", "NAVO"], ["import", str(DEFAULT_GLOSSARY)]):
        r = run(*args)
        assert r.exit_code == 2, args
        assert "--glossary" in r.stderr and "NLEN_GLOSSARY" in r.stderr
    assert DEFAULT_GLOSSARY.read_bytes() == before


def test_remove(gfile: Path):
    r = run("remove", "poetin", "-g", str(gfile))
    assert r.exit_code == 0 and "removed" in r.stdout
    assert gfile.read_text(encoding="utf-8") == "# mine\nNAVO\tNATO\n\nVS\tUS\t\texact-case\n"
    r = run("remove", "Poetin", "-g", str(gfile))
    assert r.exit_code == 1 and "no entry for 'Poetin'" in r.stderr


def test_check_exit_codes(gfile: Path):
    ok = run("check", "-g", str(gfile))
    assert ok.exit_code == 0 and "no problems" in ok.stdout
    with gfile.open("a", encoding="utf-8") as f:
        f.write("navo\tNATO\nbroken\n")
    bad = run("check", "-g", str(gfile))
    assert bad.exit_code == 1
    assert bad.stdout.splitlines() == [
        f"{gfile}:6: duplicate: 'navo' repeats line 2",
        f"{gfile}:7: malformed: expected source<TAB>target (no tab found)",
    ]


def test_malformed_file_is_one_line_error_exit_2(gfile: Path):
    gfile.write_text("NAVO\tNATO\nno tab\n", encoding="utf-8")
    r = run("list", "-g", str(gfile))
    assert r.exit_code == 2 and r.stderr.strip() == f"nlen: error: {gfile}:2: expected source<TAB>target (no tab found)"
    r = run("list", "-g", str(gfile.parent / "missing.tsv"))
    assert r.exit_code == 2 and "no such glossary file" in r.stderr


@pytest.mark.parametrize("suffix", ["csv", "tbx", "tsv"])
def test_export_then_import(gfile: Path, tmp_path: Path, suffix: str):
    out = tmp_path / f"out.{suffix}"
    r = run("export", str(out), "-g", str(gfile))
    assert r.exit_code == 0 and "exported 3" in r.stdout
    new = tmp_path / "new.tsv"
    r = run("import", str(out), "-g", str(new))
    assert r.exit_code == 0 and "imported 3" in r.stdout
    assert [(t.source, t.target, t.note, t.exact_case) for t in load_glossary(new).terms] == \
           [(t.source, t.target, t.note, t.exact_case) for t in load_glossary(gfile).terms]


def test_import_format_option_conflict_and_force(gfile: Path, tmp_path: Path):
    src = tmp_path / "terms.txt"
    src.write_text("source,target,note\nNAVO,OTAN,\nRusland,Russia,\n", encoding="utf-8")
    r = run("import", str(src), "--format", "csv", "-g", str(gfile))
    assert r.exit_code == 2 and "conflict" in r.stderr
    assert gfile.read_text(encoding="utf-8") == SAMPLE
    r = run("import", str(src), "--format", "csv", "--force", "-g", str(gfile))
    assert r.exit_code == 0 and "imported 2" in r.stdout


def test_bad_format_and_missing_import_file(gfile: Path, tmp_path: Path):
    r = run("export", str(tmp_path / "out.doc"), "-g", str(gfile))
    assert r.exit_code == 2 and "cannot tell the format" in r.stderr
    r = run("export", str(tmp_path / "out.csv"), "--format", "xls", "-g", str(gfile))
    assert r.exit_code == 2  # typer rejects the choice
    r = run("import", str(tmp_path / "nope.csv"), "-g", str(gfile))
    assert r.exit_code == 2 and "nope.csv" in r.stderr and "Traceback" not in r.output


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "glossary.cli", *args]


def test_ten_concurrent_add_processes_all_land(gfile: Path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NLEN_GLOSSARY", None)
    procs = [subprocess.Popen(_cli("add", f"Term{i}", f"Target{i}", "--glossary", str(gfile)), cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(10)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, results
    terms = load_glossary(gfile).terms
    assert sorted(t.source for t in terms if t.source.startswith("Term")) == sorted(f"Term{i}" for i in range(10))
    assert gfile.read_text(encoding="utf-8").startswith(SAMPLE)  # comments, blank line and order kept
    assert not [p for p in gfile.parent.iterdir() if p.name.endswith(".tmp")]
