"""`nlen glossary`: list, add, remove, check, import and export glossary terms.

A thin layer over glossary.store: parse options, call one function, print one line.
User mistakes print one line on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Callable, NoReturn, Optional, TypeVar

import typer

from glossary.store import (
    DEFAULT_GLOSSARY, ENV_VAR, GlossaryError, Term, add_term, check_glossary, export_terms,
    format_line, import_terms, load_glossary, remove_term, resolve_glossary_path,
)

app = typer.Typer(
    help="Keep the Dutch→English glossary that translations obey (a TSV file: source, target, note, flags, variants).",
    no_args_is_help=True,
    add_completion=False,
)

T = TypeVar("T")

GlossaryOption = typer.Option(
    None, "--glossary", "-g", envvar=ENV_VAR, show_envvar=True, dir_okay=False,
    help="Glossary TSV file (default: the shipped news glossary, read-only).",
)


class ListFormat(str, Enum):
    text = "text"
    json = "json"
    tsv = "tsv"


class FileFormat(str, Enum):
    tsv = "tsv"
    csv = "csv"
    tbx = "tbx"


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"nlen: error: {message}", err=True)
    raise typer.Exit(code)


def _run(action: Callable[[], T]) -> T:
    """Run a store call; its errors become one line on stderr and exit 2."""
    try:
        return action()
    except GlossaryError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))


def _writable(option: Path | None) -> Path:
    """The glossary to edit; the shipped default is refused (it lives in site-packages)."""
    path = resolve_glossary_path(option)
    if path.resolve() == DEFAULT_GLOSSARY.resolve():
        _fail(f"{path}: will not edit the glossary shipped with nlen; pass --glossary PATH or set {ENV_VAR} "
              f"(start from a copy: nlen glossary export my-glossary.tsv)")
    return path


@app.command("list", epilog="Examples:\n\n  nlen glossary list\n\n  nlen glossary list --format json -g my.tsv")
def list_terms(
    glossary: Optional[Path] = GlossaryOption,
    fmt: ListFormat = typer.Option(ListFormat.text, "--format", "-f", help="text, json or tsv."),
) -> None:
    """Show the terms of the glossary."""
    path = resolve_glossary_path(glossary)
    terms = _run(lambda: load_glossary(path)).terms
    if fmt is ListFormat.json:
        typer.echo(json.dumps([
            {"source": t.source, "target": t.target, "note": t.note, "exact_case": t.exact_case,
             "compound": t.compound, "variants": list(t.variants), "line": t.line} for t in terms
        ], ensure_ascii=False, indent=2))
        return
    if fmt is ListFormat.tsv:
        for t in terms:
            typer.echo(format_line(t))
        return
    width = max((len(t.source) for t in terms), default=0)
    for t in terms:
        extra = [f for f, on in (("exact-case", t.exact_case), ("compound", t.compound)) if on]
        if t.variants:
            extra.append("variants: " + ", ".join(t.variants))
        if t.note:
            extra.append(t.note)
        typer.echo(f"{t.source:<{width}}  →  {t.target}" + (f"   ({'; '.join(extra)})" if extra else ""))
    typer.echo(f"{len(terms)} terms in {path}", err=True)


@app.command(epilog="Examples:\n\n  nlen glossary add NAVO NATO -g my.tsv\n\n"
                    "  nlen glossary add VS US --exact-case --note 'Verenigde Staten'\n\n"
                    "  nlen glossary add Zelensky Zelensky --variant Zelenski --variant Zelenskyy")
def add(
    source: str = typer.Argument(..., help="Dutch term, e.g. NAVO."),
    target: str = typer.Argument(..., help="English term, e.g. NATO."),
    note: str = typer.Option("", "--note", help="Free note kept in the third column."),
    exact_case: bool = typer.Option(False, "--exact-case", help="Match the Dutch term only as written (or ALL CAPS)."),
    compound: bool = typer.Option(False, "--compound", help="Also match as the start of a closed compound."),
    variant: list[str] = typer.Option([], "--variant", help="Extra Dutch form the rules do not find (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing entry with another target."),
    glossary: Optional[Path] = GlossaryOption,
) -> None:
    """Add a term, or update its entry in place. Another target for an existing term needs --force."""
    path = _writable(glossary)
    term = Term(source.strip(), target.strip(), note.strip(), exact_case, tuple(v.strip() for v in variant), 0, compound)
    status = _run(lambda: add_term(path, term, force=force))
    typer.echo(f"{status}: {term.source} → {term.target} ({path})")


@app.command(epilog="Example:\n\n  nlen glossary remove NAVO -g my.tsv")
def remove(
    source: str = typer.Argument(..., help="Dutch term to remove (exact, else ignoring case)."),
    glossary: Optional[Path] = GlossaryOption,
) -> None:
    """Remove a term's entries. Exits 1 when the term is not in the glossary."""
    path = _writable(glossary)
    if not _run(lambda: remove_term(path, source)):
        _fail(f"{path}: no entry for {source!r}", code=1)
    typer.echo(f"removed: {source} ({path})")


@app.command(epilog="Example:\n\n  nlen glossary check -g my.tsv && git commit my.tsv")
def check(glossary: Optional[Path] = GlossaryOption) -> None:
    """Report malformed lines, empty fields, duplicates, conflicts and shadowed terms; exit 1 if any."""
    path = resolve_glossary_path(glossary)
    problems = _run(lambda: check_glossary(path))
    for p in problems:
        typer.echo(f"{path}:{p.line}: {p.kind}: {p.message}")
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {path}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: no problems")


@app.command("import", epilog="Examples:\n\n  nlen glossary import terms.tbx -g my.tsv\n\n"
                              "  nlen glossary import omegat.csv --force -g my.tsv")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV (header source,target[,note,flags,variants]), TBX or TSV file."),
    fmt: Optional[FileFormat] = typer.Option(None, "--format", "-f", help="tsv, csv or tbx (default: from the suffix)."),
    force: bool = typer.Option(False, "--force", help="Let imported targets replace existing ones."),
    glossary: Optional[Path] = GlossaryOption,
) -> None:
    """Add the terms of a CSV, TBX or TSV file (all or nothing: a conflict aborts unless --force)."""
    path = _writable(glossary)
    count = _run(lambda: import_terms(path, file, fmt.value if fmt else None, force=force))
    typer.echo(f"imported {count} new or changed term(s) from {file} into {path}")


@app.command("export", epilog="Examples:\n\n  nlen glossary export my-glossary.tsv\n\n"
                              "  nlen glossary export terms.tbx -g my.tsv   # for OmegaT, Trados")
def export_cmd(
    file: Path = typer.Argument(..., help="Destination; the suffix picks the format (.tsv, .csv, .tbx)."),
    fmt: Optional[FileFormat] = typer.Option(None, "--format", "-f", help="tsv, csv or tbx (default: from the suffix)."),
    glossary: Optional[Path] = GlossaryOption,
) -> None:
    """Write the glossary's terms to a TSV, CSV or TBX file."""
    path = resolve_glossary_path(glossary)
    count = _run(lambda: export_terms(path, file, fmt.value if fmt else None))
    typer.echo(f"exported {count} term(s) from {path} to {file}")


if __name__ == "__main__":
    app()
