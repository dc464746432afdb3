"""The glossary file: parsing, line-wise edits, atomic locked writes, check, CSV/TBX."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from glossary.store import (
    DEFAULT_GLOSSARY, GlossaryError, Problem, Term, add_term, check_glossary, export_terms,
    import_terms, load_glossary, parse_glossary, remove_term, resolve_glossary_path,
)

REPO = Path(__file__).resolve().parents[1]

SAMPLE = (
    "# my glossary\n"
    "NAVO\tNATO\n"
    "\n"
    "# people\n"
    "Poetin\tPutin\tRussian president\n"
    "VS\tUS\t\texact-case\n"
    "Zelensky\tZelensky\t\t\tZelenski|Zelenskyy\n"
)


@pytest.fixture
def gfile(tmp_path: Path) -> Path:
    path = tmp_path / "g.tsv"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


# -- parsing ----------------------------------------------------------------------------------

def test_parse_columns_flags_variants_and_line_numbers():
    g = parse_glossary(SAMPLE)
    assert [t.source for t in g.terms] == ["NAVO", "Poetin", "VS", "Zelensky"]
    assert [t.line for t in g.terms] == [2, 5, 6, 7]
    assert g.terms[1].note == "Russian president"
    assert g.terms[2].exact_case and not g.terms[0].exact_case
    assert g.terms[3].variants == ("Zelenski", "Zelenskyy")
    assert len(g) == 4 and list(g) == g.terms


def test_parse_handles_crlf_bom_and_nfc():
    text = "\ufeffNAVO\tNATO\r\nGene\u0300ve\tGeneva\r\n"
    g = parse_glossary(text)
    assert [(t.source, t.target) for t in g.terms] == [("NAVO", "NATO"), ("Genève", "Geneva")]


@pytest.mark.parametrize("line, needle", [
    ("NAVO NATO", "no tab"),
    ("a\tb\tc\td\te\tf", "6 columns"),
    ("\tNATO", "empty source"),
    ("NAVO\t  ", "empty target"),
    ("NAVO\tNATO\t\tshouty", "unknown flag 'shouty'"),
])
def test_malformed_line_error_names_file_and_line(tmp_path: Path, line: str, needle: str):
    path = tmp_path / "bad.tsv"
    path.write_text(f"# head\nEU\tEU\n{line}\n", encoding="utf-8")
    with pytest.raises(GlossaryError) as e:
        load_glossary(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:3: ") and needle in msg and "\n" not in msg


def test_load_errors_missing_and_not_utf8(tmp_path: Path):
    with pytest.raises(GlossaryError, match="no such glossary file"):
        load_glossary(tmp_path / "missing.tsv")
    bad = tmp_path / "latin1.tsv"
    bad.write_bytes("Gen\xe8ve\tGeneva\n".encode("latin-1"))
    with pytest.raises(GlossaryError, match=r"not UTF-8 \(bad byte at offset 3\)"):
        load_glossary(bad)


def test_resolve_glossary_path(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("NLEN_GLOSSARY", raising=False)
    assert resolve_glossary_path(None) == DEFAULT_GLOSSARY
    monkeypatch.setenv("NLEN_GLOSSARY", str(tmp_path / "env.tsv"))
    assert resolve_glossary_path(None) == tmp_path / "env.tsv"
    assert resolve_glossary_path(tmp_path / "opt.tsv") == tmp_path / "opt.tsv"


def test_default_glossary_ships_required_terms_and_is_clean():
    g = load_glossary(DEFAULT_GLOSSARY)
    pairs = {(t.source, t.target) for t in g.terms}
    for pair in [("NAVO", "NATO"), ("Poetin", "Putin"), ("VS", "US"), ("Oekraïne", "Ukraine"),
                 ("Oekraïens", "Ukrainian"), ("Rusland", "Russia"), ("Moskou", "Moscow"), ("Genève", "Geneva"),
                 ("Kazachstan", "Kazakhstan"), ("Koude Oorlog", "Cold War")]:
        assert pair in pairs
    assert len(g.terms) >= 40
    assert next(t for t in g.terms if t.source == "VS").exact_case
    assert check_glossary(DEFAULT_GLOSSARY) == []


# -- edits keep comments and order ------------------------------------------------------------

def test_add_appends_and_keeps_everything_else(gfile: Path):
    assert add_term(gfile, Term("Rusland", "Russia", note="land")) == "added"
    assert gfile.read_text(encoding="utf-8") == SAMPLE + "Rusland\tRussia\tland\n"


def test_add_same_is_unchanged_and_case_insensitive_source(gfile: Path):
    before = gfile.read_text(encoding="utf-8")
    assert add_term(gfile, Term("NAVO", "NATO")) == "unchanged"
    assert add_term(gfile, Term("navo", "NATO")) == "unchanged"  # the file's spelling is kept
    assert gfile.read_text(encoding="utf-8") == before


def test_add_updates_in_place(gfile: Path):
    assert add_term(gfile, Term("Poetin", "Putin", note="president", variants=("Poetine",))) == "updated"
    lines = gfile.read_text(encoding="utf-8").splitlines()
    assert lines[4] == "Poetin\tPutin\tpresident\t\tPoetine"
    assert lines[:4] == SAMPLE.splitlines()[:4] and lines[5:] == SAMPLE.splitlines()[5:]


def test_add_conflict_needs_force(gfile: Path):
    with pytest.raises(GlossaryError, match=r"g\.tsv:2: conflict: 'NAVO' is already translated as 'NATO'"):
        add_term(gfile, Term("NAVO", "OTAN"))
    assert gfile.read_text(encoding="utf-8") == SAMPLE
    assert add_term(gfile, Term("NAVO", "OTAN"), force=True) == "updated"
    assert gfile.read_text(encoding="utf-8").splitlines()[1] == "NAVO\tOTAN"


def test_exact_case_terms_are_distinct_sources(gfile: Path):
    assert add_term(gfile, Term("vs", "versus")) == "added"  # 'VS' is exact-case, so no conflict


def test_add_creates_missing_file_with_header(tmp_path: Path):
    path = tmp_path / "sub" / "new.tsv"
    assert add_term(path, Term("NAVO", "NATO")) == "added"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# nlen glossary") and text.endswith("NAVO\tNATO\n")
    assert load_glossary(path).terms[0].target == "NATO"


def test_add_keeps_crlf_and_missing_final_newline(tmp_path: Path):
    path = tmp_path / "win.tsv"
    path.write_bytes(b"# c\r\nNAVO\tNATO")
    add_term(path, Term("EU", "EU"))
    assert path.read_bytes() == b"# c\r\nNAVO\tNATO\r\nEU\tEU\r\n"


def test_add_rejects_tabs_in_fields(gfile: Path):
    with pytest.raises(GlossaryError, match="tab"):
        add_term(gfile, Term("a\tb", "c"))


def test_remove(gfile: Path):
    assert remove_term(gfile, "poetin") is True
    assert remove_term(gfile, "Poetin") is False
    assert gfile.read_text(encoding="utf-8") == SAMPLE.replace("Poetin\tPutin\tRussian president\n", "")


def test_edits_leave_malformed_lines_alone(tmp_path: Path):
    path = tmp_path / "g.tsv"
    path.write_text("broken line\nNAVO\tNATO\n", encoding="utf-8")
    add_term(path, Term("EU", "EU"))
    assert path.read_text(encoding="utf-8") == "broken line\nNAVO\tNATO\nEU\tEU\n"


# -- atomic and concurrent writes -------------------------------------------------------------

def test_failed_replace_leaves_old_file_and_no_temp(gfile: Path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        add_term(gfile, Term("Rusland", "Russia"))
    assert gfile.read_text(encoding="utf-8") == SAMPLE
    assert sorted(p.name for p in gfile.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_process_killed_before_rename_leaves_old_file_whole(gfile: Path):
    """A real crash: the writing process dies after the temp file is written, before the rename."""
    code = (
        "import os, sys\n"
        "from glossary.store import Term, add_term\n"
        "os.replace = lambda *a, **k: os._exit(9)\n"
        "add_term(sys.argv[1], Term('Rusland', 'Russia'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(gfile)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=60)
    assert proc.returncode == 9
    assert gfile.read_text(encoding="utf-8") == SAMPLE
    assert load_glossary(gfile).terms[0].source == "NAVO"
    assert add_term(gfile, Term("Rusland", "Russia")) == "added"  # the lock was released by the death


def test_write_keeps_file_mode(gfile: Path):
    gfile.chmod(0o640)
    add_term(gfile, Term("EU", "EU"))
    assert gfile.stat().st_mode & 0o777 == 0o640


# -- check ------------------------------------------------------------------------------------

def test_check_reports_each_kind_with_line_numbers(tmp_path: Path):
    path = tmp_path / "g.tsv"
    path.write_text(
        "# problems\n"
        "NAVO\tNATO\n"              # 2
        "navo\tNATO\n"              # 3 duplicate
        "NAVO\tOTAN\n"              # 4 conflict
        "Rusland\t\n"               # 5 empty target
        "no tab here\n"             # 6 malformed
        "Rus\tRussian\n"            # 7
        "Russen\tRussians\n"        # 8 fine: the longer form wins
        "Oekraïne\tUkraine\t\t\tKiev\n"  # 9
        "Kiev\tKyiv\n",             # 10 shadowed by line 9's variant (same length, earlier line wins)
        encoding="utf-8")
    problems = check_glossary(path)
    assert [(p.line, p.kind) for p in problems] == [
        (3, "duplicate"), (4, "conflict"), (5, "empty"), (6, "malformed"), (10, "shadowed")]
    assert "repeats line 2" in problems[0].message
    assert "line 9" in problems[4].message
    assert all(isinstance(p, Problem) for p in problems)


def test_check_clean_file(gfile: Path):
    assert check_glossary(gfile) == []
    assert check_glossary(gfile) == []  # again: the cached matcher holds equal, not identical, terms


# -- import / export --------------------------------------------------------------------------

def test_csv_round_trip(gfile: Path, tmp_path: Path):
    out = tmp_path / "x.csv"
    assert export_terms(gfile, out) == 4
    assert out.read_text(encoding="utf-8").splitlines()[0] == "source,target,note,flags,variants"
    new = tmp_path / "new.tsv"
    assert import_terms(new, out) == 4
    assert [t[:-1] for t in _tuples(new)] == [t[:-1] for t in _tuples(gfile)]


def test_tbx_export_is_tbx_basic_and_round_trips(gfile: Path, tmp_path: Path):
    out = tmp_path / "x.tbx"
    export_terms(gfile, out)
    root = ET.parse(out).getroot()
    ns = "{urn:iso:std:iso:30042:ed-2}"
    assert root.tag == f"{ns}tbx" and root.get("type") == "TBX-Basic"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    entries = root.findall(f"{ns}text/{ns}body/{ns}conceptEntry")
    assert len(entries) == 4
    langs = [ls.get("{http://www.w3.org/XML/1998/namespace}lang") for ls in entries[0].findall(f"{ns}langSec")]
    assert langs == ["nl", "en"]
    assert entries[0].find(f"{ns}langSec/{ns}termSec/{ns}term").text == "NAVO"
    new = tmp_path / "new.tsv"
    import_terms(new, out)
    assert [t[:-1] for t in _tuples(new)] == [t[:-1] for t in _tuples(gfile)]  # flags and variants survive


def test_import_tbx_v2_martif(tmp_path: Path):
    src = tmp_path / "old.tbx"
    src.write_text(
        '<?xml version="1.0"?><!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">'
        '<martif type="TBX" xml:lang="en"><text><body>'
        '<termEntry><descrip type="definition">alliance</descrip>'
        '<langSet xml:lang="nl-NL"><tig><term>NAVO</term></tig></langSet>'
        '<langSet xml:lang="en-US"><tig><term>NATO</term></tig></langSet></termEntry>'
        '<termEntry><langSet xml:lang="de"><tig><term>NATO</term></tig></langSet></termEntry>'
        '</body></text></martif>', encoding="utf-8")
    dest = tmp_path / "g.tsv"
    assert import_terms(dest, src) == 1
    assert load_glossary(dest).terms == [Term("NAVO", "NATO", "alliance", line=2)]


def test_import_refuses_entities_and_bad_xml(tmp_path: Path):
    evil = tmp_path / "evil.tbx"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE tbx [<!ENTITY a "aaaa">]><tbx>&a;</tbx>', encoding="utf-8")
    with pytest.raises(GlossaryError, match="entity"):
        import_terms(tmp_path / "g.tsv", evil)
    broken = tmp_path / "broken.tbx"
    broken.write_text("<tbx><text>", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"broken\.tbx:1: not well-formed"):
        import_terms(tmp_path / "g.tsv", broken)
    assert not (tmp_path / "g.tsv").exists()


def test_import_conflict_aborts_whole_import_unless_force(gfile: Path, tmp_path: Path):
    src = tmp_path / "in.csv"
    src.write_text("source,target,note\nRusland,Russia,\nNAVO,OTAN,fr\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="conflict"):
        import_terms(gfile, src)
    assert gfile.read_text(encoding="utf-8") == SAMPLE
    assert import_terms(gfile, src, force=True) == 2
    assert ("NAVO", "OTAN") in [(t.source, t.target) for t in load_glossary(gfile).terms]


def test_import_csv_needs_header_and_tsv_header_is_skipped(tmp_path: Path):
    src = tmp_path / "in.csv"
    src.write_text("NAVO,NATO\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"in\.csv:1: CSV needs a header"):
        import_terms(tmp_path / "g.tsv", src)
    tsv = tmp_path / "in.tsv"
    tsv.write_text("source\ttarget\tnote\nNAVO\tNATO\tx\n", encoding="utf-8")
    assert import_terms(tmp_path / "g.tsv", tsv) == 1


def test_format_detection_errors(gfile: Path, tmp_path: Path):
    with pytest.raises(GlossaryError, match="cannot tell the format"):
        export_terms(gfile, tmp_path / "out.doc")
    with pytest.raises(GlossaryError, match="unknown format 'xls'"):
        export_terms(gfile, tmp_path / "out.tsv", fmt="xls")
    assert export_terms(gfile, tmp_path / "out.txt", fmt="csv") == 4
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").startswith("source,target")


def _tuples(path: Path) -> list[tuple]:
    return [(t.source, t.target, t.note, t.exact_case, t.compound, t.variants, t.line) for t in load_glossary(path).terms]
