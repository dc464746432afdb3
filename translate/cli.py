"""`nlen`: the command line, a thin layer over the `translate` and `glossary` libraries."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from glossary.cli import app as glossary_app
from glossary.store import GlossaryError, load_glossary, resolve_glossary_path
from translate.backends import BACKENDS
from translate.io import InputError, atomic_output, read_input
from translate.models import ModelError

app = typer.Typer(
    name="nlen",
    help="Offline Dutch→English translation of whole articles, with a domain glossary and measured quality.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(glossary_app, name="glossary", help="Maintain the glossary file (TSV) that translations obey.")
model_app = typer.Typer(help="Train and inspect Marian models.", no_args_is_help=True)
app.add_typer(model_app, name="model")


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


BackendName = Enum("BackendName", {name: name for name in BACKENDS}, type=str)  # choices for --backend


def fail(message: str, code: int = 2) -> None:
    """One line on stderr and an exit code: how every user mistake ends."""
    typer.echo(f"nlen: error: {message}", err=True)
    raise typer.Exit(code)


def notice(message: str, quiet: bool) -> None:
    if not quiet:
        typer.echo(f"nlen: {message}", err=True)


TRANSLATE_EPILOG = """
Examples:

  nlen translate seeds/nl-2022-01-geneva-talks-russia-us.txt

  cat artikel.txt | nlen translate > article.txt

  nlen translate a.txt b.md -o english/          # several inputs: -o is a directory

  nlen translate artikel.txt --format json | jq '.segments[0]'

  nlen translate artikel.txt --model models/nlen-small --no-glossary --beam 1

  nlen translate oud.txt --encoding cp1252 -o new.txt
"""


@app.command(epilog=TRANSLATE_EPILOG)
def translate(
    paths: Optional[list[str]] = typer.Argument(None, help="Dutch text or markdown files; none or '-' reads stdin."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file (a directory for several inputs)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", envvar="NLEN_MODEL",
                                        help="Model directory or hub id [default: Helsinki-NLP/opus-mt-nl-en if it "
                                             "can be loaded, else the bundled model]."),
    glossary: Optional[Path] = typer.Option(None, "--glossary", "-g",
                                            help="Glossary TSV [default: $NLEN_GLOSSARY, else the shipped news glossary]."),
    no_glossary: bool = typer.Option(False, "--no-glossary", help="Translate without a glossary."),
    beam: int = typer.Option(4, "--beam", min=1, max=16, help="Beam size (1 = greedy)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, max=512, help="Sentences per batch."),
    backend: BackendName = typer.Option(BackendName.auto, "--backend", help="Inference engine."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f",
                                     help="text, or json: per segment source, translation, paragraph, terms."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the input files."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="CPU threads for the model."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No notices and no progress bar."),
) -> None:
    """Translate Dutch articles to English, keeping paragraphs, line breaks and markdown markup."""
    from translate.translator import Translator

    inputs = paths or ["-"]
    if len(inputs) > 1 and "-" in inputs:
        fail("stdin ('-') cannot be combined with other inputs")
    try:
        texts = [read_input(p, encoding) for p in inputs]
        targets = _output_targets(inputs, output)
        gloss = None if no_glossary else load_glossary(resolve_glossary_path(glossary))
        translator = Translator(model, backend=backend.value, glossary=gloss, beam=beam,
                                batch_size=batch_size, threads=threads)
    except (InputError, GlossaryError, ModelError, ValueError, ImportError) as exc:
        fail(str(exc))
    info = translator.model_info
    if info.source == "bundled":
        notice(f"using the bundled model {info.path.name} ({info.reason})", quiet)
    try:
        for (name, text), target in zip(texts, targets):
            _translate_one(translator, name, text, target, fmt, quiet)
    except KeyboardInterrupt:
        typer.echo("nlen: interrupted; no output file was left half-written", err=True)
        raise typer.Exit(130)
    except BrokenPipeError:
        raise typer.Exit(0)


def _output_targets(inputs: list[str], output: Path | None) -> list[Path | None]:
    if output is None:
        return [None] * len(inputs)
    if len(inputs) == 1:
        if output.is_dir():
            name = "stdin.txt" if inputs[0] == "-" else Path(inputs[0]).name
            return [output / name]
        return [output]
    if output.exists() and not output.is_dir():
        raise InputError(f"{output}: with several inputs, -o must be a directory")
    names = [Path(p).name for p in inputs]
    if len(set(names)) != len(names):
        raise InputError(f"{output}: two inputs share a file name; translate them separately")
    return [output / n for n in names]


def _translate_one(translator, name: str, text: str, target: Path | None, fmt: OutputFormat, quiet: bool) -> None:
    from translate.document import parse_document

    doc = parse_document(text)
    with _progress(len(doc.segments), quiet, name) as progress:
        chunks = translator.iter_document(doc, progress)
        if fmt is OutputFormat.json:
            segments, parts = [], []
            for chunk, results in chunks:
                parts.append(chunk)
                segments.extend(r.to_json() for r in results)
            data = {"input": name, "model": translator.model_info.id, "backend": translator.backend.name,
                    "glossary": str(translator.glossary.path) if translator.glossary else None,
                    "paragraphs": doc.paragraph_count, "translation": "".join(parts), "segments": segments}
            payload = (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
            _write(target, [payload])
        else:
            _write(target, (chunk.encode("utf-8") for chunk, _ in chunks))


def _write(target: Path | None, blobs) -> None:
    if target is None:
        for blob in blobs:
            sys.stdout.buffer.write(blob)
            sys.stdout.buffer.flush()
        return
    with atomic_output(target) as fh:
        for blob in blobs:
            fh.write(blob)


class _progress:
    """A rich progress bar on stderr, only on a terminal and for inputs worth one."""

    def __init__(self, total: int, quiet: bool, name: str):
        self.enabled = not quiet and sys.stderr.isatty() and total >= 20
        self.total, self.name, self.bar = total, name, None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task(self.name, total=self.total)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()
        return False


def _register_commands() -> None:
    """Commands that live in their own modules (model, scoring and eval, bench)."""
    from translate import cli_bench, cli_eval, cli_model

    cli_model.register(model_app)
    cli_eval.register(app)
    cli_bench.register(app)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    app()
