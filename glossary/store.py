"""The glossary file: a UTF-8 TSV that diffs well in git, edited line by line.

Format, one term a line::

    source<TAB>target[<TAB>note[<TAB>flags[<TAB>variants]]]

`flags` is a comma-separated list (`exact-case`: match the case as written;
`compound`: the term may also open a closed compound, e.g. `Sovjet` in
`Sovjetstaten`); `variants` are extra Dutch forms separated by `|`. Lines that
start with `#` and blank lines are comments.

Why line-wise: users keep this file in git with their own comments and order, so
edits touch only the line they concern and never regenerate the file from the
parsed terms. Writes go to a temporary file in the same folder, are fsynced and
renamed over the old file (a crash leaves the old file whole), under a
`filelock.FileLock` on `<path>.lock` held across read-modify-write (concurrent
`nlen glossary add` all land).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

DEFAULT_GLOSSARY: Path = Path(__file__).resolve().parent / "data" / "news.tsv"
ENV_VAR = "NLEN_GLOSSARY"
FLAGS = ("exact-case", "compound")
HEADER = "# nlen glossary: source<TAB>target<TAB>note<TAB>flags<TAB>variants (flags: exact-case, compound; variants: a|b)"
LOCK_TIMEOUT_S = 60.0
FORMATS = ("tsv", "csv", "tbx")


class GlossaryError(Exception):
    """A user-facing problem with a glossary file; str() is one line naming the file."""


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    note: str = ""
    exact_case: bool = False
    variants: tuple[str, ...] = ()
    line: int = 0
    compound: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        """The Dutch forms written in the file: the source, then the variants."""
        return (self.source, *self.variants)


@dataclass
class Glossary:
    terms: list[Term]
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)


@dataclass(frozen=True)
class Problem:
    line: int
    kind: str  # malformed | empty | duplicate | conflict | shadowed
    message: str


class _LineError(ValueError):
    def __init__(self, message: str, kind: str = "malformed"):
        super().__init__(message)
        self.kind = kind


# -- parsing (pure) ---------------------------------------------------------------------------

def _clean(field_: str) -> str:
    return unicodedata.normalize("NFC", " ".join(field_.split()))


def parse_line(raw: str, line: int = 0) -> Term | None:
    """One line of the file as a Term, None for a comment or blank line; _LineError if malformed."""
    text = raw.rstrip("\r\n")
    if not text.strip() or text.lstrip().startswith("#"):
        return None
    cols = text.split("\t")
    if len(cols) < 2:
        raise _LineError("expected source<TAB>target (no tab found)")
    if len(cols) > 5:
        raise _LineError(f"{len(cols)} columns; at most 5 (source, target, note, flags, variants)")
    cols += [""] * (5 - len(cols))
    source, target, note, flags_col, variants_col = (_clean(c) for c in cols)
    if not source:
        raise _LineError("empty source term", "empty")
    if not target:
        raise _LineError(f"empty target term for {source!r}", "empty")
    flags = [f.strip().lower() for f in re.split(r"[,\s]+", flags_col) if f.strip()]
    unknown = [f for f in flags if f not in FLAGS]
    if unknown:
        raise _LineError(f"unknown flag {unknown[0]!r} (known: {', '.join(FLAGS)})")
    variants = tuple(dict.fromkeys(v for v in (_clean(x) for x in variants_col.split("|")) if v and v != source))
    return Term(source, target, note, "exact-case" in flags, variants, line, "compound" in flags)


def _flag_text(term: Term) -> str:
    return ",".join(f for f, on in (("exact-case", term.exact_case), ("compound", term.compound)) if on)


def format_line(term: Term) -> str:
    """The TSV line for a term (no newline), trailing empty columns left out."""
    for name, value in (("source", term.source), ("target", term.target), ("note", term.note)):
        if "\t" in value or "\n" in value or "\r" in value:
            raise GlossaryError(f"{name} {value!r} contains a tab or line break")
    if not term.source.strip() or not term.target.strip():
        raise GlossaryError("source and target terms must not be empty")
    if any("|" in v or "\t" in v for v in term.variants):
        raise GlossaryError("a variant must not contain '|' or a tab")
    flags = _flag_text(term)
    cols = [_clean(term.source), _clean(term.target), _clean(term.note), flags,
            "|".join(_clean(v) for v in term.variants)]
    while len(cols) > 2 and not cols[-1]:
        cols.pop()
    return "\t".join(cols)


def _label(path: Path | None) -> str:
    return str(path) if path is not None else "<glossary>"


def _lines(text: str) -> list[str]:
    """Lines with their endings kept; only \\n ends a line (numbers match editors and git)."""
    parts = re.split(r"(?<=\n)", text)
    return [p for p in parts if p]


def parse_glossary(text: str, path: Path | None = None) -> Glossary:
    """All terms of a file's text; the first malformed line raises GlossaryError with its number."""
    terms = []
    for n, raw in enumerate(_lines(text.removeprefix("\ufeff")), 1):
        try:
            term = parse_line(raw, n)
        except _LineError as e:
            raise GlossaryError(f"{_label(path)}:{n}: {e}") from None
        if term is not None:
            terms.append(term)
    return Glossary(terms, path)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GlossaryError(f"{path}: no such glossary file") from None
    except IsADirectoryError:
        raise GlossaryError(f"{path}: is a directory, not a glossary file") from None
    except OSError as e:
        raise GlossaryError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GlossaryError(f"{path}: not UTF-8 (bad byte at offset {e.start})") from None


def load_glossary(path: Path) -> Glossary:
    path = Path(path)
    return parse_glossary(_read_text(path), path)


def resolve_glossary_path(option: Path | None) -> Path:
    """The glossary to use: the option, else $NLEN_GLOSSARY, else the shipped news glossary."""
    if option is not None and str(option):
        return Path(option).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else DEFAULT_GLOSSARY


# -- line-wise edits (pure) -------------------------------------------------------------------

def _key(source: str) -> str:
    return _clean(source).casefold()


def same_source(a: Term, b: Term) -> bool:
    """Two entries for the same Dutch term: equal sources, or equal ignoring case unless either is exact-case."""
    if _clean(a.source) == _clean(b.source):
        return True
    return not a.exact_case and not b.exact_case and _key(a.source) == _key(b.source)


def _newline(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _terms_of(lines: list[str]) -> list[tuple[int, Term]]:
    """(index, term) of every well-formed term line; malformed lines are left alone by edits."""
    out = []
    for i, raw in enumerate(lines):
        try:
            term = parse_line(raw, i + 1)
        except _LineError:
            continue
        if term is not None:
            out.append((i, term))
    return out


def upsert(lines: list[str], term: Term, force: bool = False, label: str = "<glossary>") -> tuple[list[str], str]:
    """`lines` with `term` added (appended) or its first entry replaced in place; and what happened."""
    new_line = format_line(term)
    for i, old in _terms_of(lines):
        if not same_source(old, term):
            continue
        if old.target != _clean(term.target) and not force:
            raise GlossaryError(
                f"{label}:{i + 1}: conflict: {old.source!r} is already translated as {old.target!r}, "
                f"not {term.target!r} (use --force to replace it)")
        new_line = format_line(replace(term, source=old.source))  # keep the file's spelling of the source
        if format_line(old) == new_line:
            return lines, "unchanged"
        out = list(lines)
        out[i] = new_line + lines[i][len(lines[i].rstrip("\r\n")):]
        return out, "updated"
    nl = _newline(lines)
    out = list(lines)
    if out and not out[-1].endswith("\n"):
        out[-1] += nl
    out.append(new_line + nl)
    return out, "added"


def drop(lines: list[str], source: str) -> list[str]:
    """`lines` without the entries for `source`: exact matches, else case-insensitive ones."""
    entries = _terms_of(lines)
    hits = {i for i, t in entries if _clean(t.source) == _clean(source)}
    if not hits:
        hits = {i for i, t in entries if _key(t.source) == _key(source)}
    return [line for i, line in enumerate(lines) if i not in hits]


# -- atomic, locked writes (I/O) --------------------------------------------------------------

def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers see the old or the new file, never a mix."""
    path = Path(path)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _edit(path: Path, change: Callable[[list[str]], tuple[list[str], object]]) -> object:
    """Read-modify-write of `path` under its lock; `change` gets and returns the file's lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_S):
            if path.exists():
                text = _read_text(path)
                bom = "\ufeff" if text.startswith("\ufeff") else ""
                lines = _lines(text.removeprefix("\ufeff"))
            else:
                bom, lines = "", [HEADER + "\n"]
            new_lines, result = change(lines)
            if new_lines != lines or not path.exists():
                atomic_write(path, bom + "".join(new_lines))
            return result
    except Timeout:
        raise GlossaryError(f"{path}: could not lock {path}.lock within {LOCK_TIMEOUT_S:.0f} s") from None
    except PermissionError as e:
        raise GlossaryError(f"{path}: cannot write: {e.strerror}") from None


def add_term(path: Path, term: Term, force: bool = False) -> str:
    """Add or update one term; 'added', 'updated' or 'unchanged'. Another target is a conflict unless force."""
    path = Path(path)
    return _edit(path, lambda lines: upsert(lines, term, force, str(path)))  # type: ignore[return-value]


def remove_term(path: Path, source: str) -> bool:
    """Remove the entries for `source`; False when there was none."""
    def change(lines: list[str]) -> tuple[list[str], bool]:
        out = drop(lines, source)
        return out, len(out) != len(lines)
    if not Path(path).exists():
        raise GlossaryError(f"{path}: no such glossary file")
    return _edit(path, change)  # type: ignore[return-value]


# -- checking ---------------------------------------------------------------------------------

def check_text(text: str) -> list[Problem]:
    """Problems of a glossary's text, sorted by line: malformed lines, empty fields, duplicates,
    conflicts, and terms that can never match because another term wins over their own form."""
    from glossary.match import find_terms  # match builds on Term; imported here to keep the layering one-way

    problems: list[Problem] = []
    terms: list[Term] = []
    for n, raw in enumerate(_lines(text.removeprefix("\ufeff")), 1):
        try:
            term = parse_line(raw, n)
        except _LineError as e:
            problems.append(Problem(n, e.kind, str(e)))
            continue
        if term is not None:
            terms.append(term)
    unique: list[Term] = []
    for term in terms:
        first = next((t for t in unique if same_source(t, term)), None)
        if first is None:
            unique.append(term)
        elif first.target == term.target:
            problems.append(Problem(term.line, "duplicate", f"{term.source!r} repeats line {first.line}"))
        else:
            problems.append(Problem(term.line, "conflict",
                                    f"{term.source!r} → {term.target!r} conflicts with line {first.line} "
                                    f"({first.source!r} → {first.target!r})"))
    for term in unique:
        for form in term.forms:
            winners = find_terms(form, unique)
            if len(winners) == 1 and winners[0].term != term and (winners[0].start, winners[0].end) == (0, len(form)):
                other = winners[0].term
                what = "source" if form == term.source else f"variant {form!r}"
                problems.append(Problem(term.line, "shadowed",
                                        f"{what} of {term.source!r} is matched by {other.source!r} "
                                        f"(line {other.line}) instead"))
    return sorted(problems, key=lambda p: p.line)


def check_glossary(path: Path) -> list[Problem]:
    return check_text(_read_text(Path(path)))


# -- import and export ------------------------------------------------------------------------

_SUFFIX_FORMATS = {".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".csv": "csv", ".tbx": "tbx", ".xml": "tbx"}
TBX_NS = "urn:iso:std:iso:30042:ed-2"
TBX_FLAGS_NOTE = "nlen flags: "  # a termSec note: TBX-Basic has no data category for our flags
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def detect_format(file: Path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise GlossaryError(f"{file}: unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")
        return fmt
    found = _SUFFIX_FORMATS.get(Path(file).suffix.lower())
    if found is None:
        raise GlossaryError(f"{file}: cannot tell the format from the suffix; pass --format tsv|csv|tbx")
    return found


def _flags_of(text: str) -> dict[str, bool]:
    flags = {f.strip().lower() for f in re.split(r"[,\s]+", text or "") if f.strip()}
    return {"exact_case": "exact-case" in flags, "compound": "compound" in flags}


def read_csv(text: str, label: str) -> list[Term]:
    """Terms from CSV with a header row naming at least `source` and `target` (`note`, `flags`, `variants` optional)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "source" not in fields or "target" not in fields:
        raise GlossaryError(f"{label}:1: CSV needs a header row with 'source' and 'target' columns")
    reader.fieldnames = fields
    terms = []
    try:
        for row in reader:
            source, target = _clean(row.get("source") or ""), _clean(row.get("target") or "")
            if not source and not target:
                continue
            if not source or not target:
                raise GlossaryError(f"{label}:{reader.line_num}: empty source or target")
            variants = tuple(v for v in (_clean(x) for x in (row.get("variants") or "").split("|")) if v)
            terms.append(Term(source, target, _clean(row.get("note") or ""), variants=variants,
                              line=reader.line_num, **_flags_of(row.get("flags") or "")))
    except csv.Error as e:
        raise GlossaryError(f"{label}:{reader.line_num}: bad CSV: {e}") from None
    return terms


def write_csv(terms: list[Term]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "target", "note", "flags", "variants"])
    for t in terms:
        writer.writerow([t.source, t.target, t.note, _flag_text(t), "|".join(t.variants)])
    return out.getvalue()


def read_tsv(text: str, label: str) -> list[Term]:
    """Terms from a TSV in our format; a first row `source<TAB>target…` is taken as a header."""
    lines = _lines(text.removeprefix("\ufeff"))
    if lines and lines[0].lower().startswith("source\ttarget"):
        lines[0] = "#" + lines[0]
    return parse_glossary("".join(lines), Path(label)).terms


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(elem: ET.Element, *names: str) -> list[ET.Element]:
    return [c for c in elem if isinstance(c.tag, str) and _local(c.tag) in names]


def read_tbx(data: bytes, label: str) -> list[Term]:
    """Terms from TBX (TBX-Basic 2019 `conceptEntry/langSec/termSec`, or TBX v2 `termEntry/langSet/tig`).

    The first Dutch term of an entry is the source, further Dutch terms are variants,
    and the first English term is the target. Entity declarations are refused (no
    defusedxml here, and a glossary never needs them).
    """
    if b"<!ENTITY" in data:
        raise GlossaryError(f"{label}: TBX with entity declarations is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else 0
        raise GlossaryError(f"{label}:{line}: not well-formed XML: {e}") from None
    if _local(root.tag) not in ("tbx", "martif"):
        raise GlossaryError(f"{label}: not a TBX file (root element <{_local(root.tag)}>)")
    terms = []
    for entry in root.iter():
        if not isinstance(entry.tag, str) or _local(entry.tag) not in ("conceptEntry", "termEntry"):
            continue
        by_lang: dict[str, list[str]] = {}
        for lang_sec in _children(entry, "langSec", "langSet"):
            lang = (lang_sec.get(XML_LANG) or lang_sec.get("lang") or "").lower().split("-")[0].split("_")[0]
            for term_sec in _children(lang_sec, "termSec", "tig", "ntig"):
                for t in term_sec.iter():
                    if isinstance(t.tag, str) and _local(t.tag) == "term" and _clean("".join(t.itertext())):
                        by_lang.setdefault(lang, []).append(_clean("".join(t.itertext())))
        notes = [_clean("".join(n.itertext())) for n in _children(entry, "note", "descrip") if "".join(n.itertext()).strip()]
        flags = " ".join(_clean("".join(n.itertext()))[len(TBX_FLAGS_NOTE):] for n in entry.iter()
                         if isinstance(n.tag, str) and _local(n.tag) == "note"
                         and "".join(n.itertext()).strip().startswith(TBX_FLAGS_NOTE))
        nl, en = by_lang.get("nl", []), by_lang.get("en", [])
        if nl and en:
            terms.append(Term(nl[0], en[0], "; ".join(notes), variants=tuple(dict.fromkeys(nl[1:])), **_flags_of(flags)))
    return terms


def write_tbx(terms: list[Term]) -> str:
    """Minimal valid TBX-Basic (TBX 2019, ISO 30042 core): one conceptEntry per term."""
    ET.register_namespace("", TBX_NS)
    q = lambda name: f"{{{TBX_NS}}}{name}"  # noqa: E731
    root = ET.Element(q("tbx"), {"type": "TBX-Basic", "style": "dca", XML_LANG: "nl"})
    header = ET.SubElement(root, q("tbxHeader"))
    source_desc = ET.SubElement(ET.SubElement(header, q("fileDesc")), q("sourceDesc"))
    ET.SubElement(source_desc, q("p")).text = "Exported by nlen glossary"
    body = ET.SubElement(ET.SubElement(root, q("text")), q("body"))
    for i, t in enumerate(terms, 1):
        entry = ET.SubElement(body, q("conceptEntry"), {"id": f"c{i}"})
        if t.note:
            ET.SubElement(entry, q("note")).text = t.note
        for lang, forms in (("nl", t.forms), ("en", (t.target,))):
            lang_sec = ET.SubElement(entry, q("langSec"), {XML_LANG: lang})
            for form in forms:
                term_sec = ET.SubElement(lang_sec, q("termSec"))
                ET.SubElement(term_sec, q("term")).text = form
                if lang == "nl" and form == t.source and _flag_text(t):
                    ET.SubElement(term_sec, q("note")).text = TBX_FLAGS_NOTE + _flag_text(t)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<?xml-model href="https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/'
            'TBXcoreStructV03_TBX-Basic_integrated.rng" type="application/xml" '
            'schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def read_terms(file: Path, fmt: str | None = None) -> list[Term]:
    """The terms of a TSV, CSV or TBX file (format from `fmt`, else from the suffix)."""
    file = Path(file)
    fmt = detect_format(file, fmt)
    if fmt == "tbx":
        try:
            return read_tbx(file.read_bytes(), str(file))
        except FileNotFoundError:
            raise GlossaryError(f"{file}: no such file") from None
    text = _read_text(file)
    return read_csv(text, str(file)) if fmt == "csv" else read_tsv(text, str(file))


def import_terms(path: Path, source_file: Path, fmt: str | None = None, force: bool = False) -> int:
    """Add the terms of `source_file` to the glossary in one locked write; the number added or updated.

    A conflict with an existing entry aborts the whole import (nothing written) unless force.
    """
    terms = read_terms(source_file, fmt)
    path = Path(path)

    def change(lines: list[str]) -> tuple[list[str], int]:
        changed = 0
        for term in terms:
            lines, status = upsert(lines, replace(term, line=0), force, str(path))
            changed += status != "unchanged"
        return lines, changed
    return _edit(path, change)  # type: ignore[return-value]


def export_terms(path: Path, dest: Path, fmt: str | None = None) -> int:
    """Write the glossary's terms to `dest` as TSV, CSV or TBX (atomically); the number written."""
    dest = Path(dest)
    fmt = detect_format(dest, fmt)
    terms = load_glossary(Path(path)).terms
    if fmt == "csv":
        text = write_csv(terms)
    elif fmt == "tbx":
        text = write_tbx(terms)
    else:
        text = HEADER + "\n" + "".join(format_line(t) + "\n" for t in terms)
    try:
        atomic_write(dest, text)
    except OSError as e:
        raise GlossaryError(f"{dest}: cannot write: {e.strerror}") from None
    return len(terms)
