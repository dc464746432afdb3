"""`nlen bench`: the command-line face of `translate.bench` (parse options, run, print)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from translate.bench import BACKEND_NAMES, DEFAULT_LIMIT, BenchConfig, BenchError, render, run_bench

BENCH_EPILOG = """
Examples:

  nlen bench                                  # the default model, both backends, ~5–10 min on 2 cores

  nlen bench --limit 50 --no-opus-size        # a quick look

  nlen bench --model models/nlen-small --json --output bench.json
"""


def _backends(spec: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in spec.split(",") if n.strip()))
    bad = [n for n in names if n not in BACKEND_NAMES]
    if bad or not names:
        raise BenchError(f"unknown backend {', '.join(bad) or repr(spec)}; choose from {', '.join(BACKEND_NAMES)}")
    return names


def bench(
    model: Optional[str] = typer.Option(None, "--model", "-m", envvar="NLEN_MODEL",
                                        help="Model directory or hub id (default: as for `nlen translate`)."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", "-n", min=1, help="Lines of flores200.dev to translate."),
    backends: str = typer.Option(",".join(BACKEND_NAMES), "--backends", help="Comma-separated backends to compare."),
    opus_size: bool = typer.Option(True, "--opus-size/--no-opus-size",
                                   help="Also time a random model of the opus-mt-nl-en architecture."),
    beam: int = typer.Option(4, "--beam", min=1, max=16, help="Beam size, as in `nlen translate`."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, max=512, help="Sentences per batch."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1,
                                          help="CPU threads (default: each backend's own; ctranslate2 runs one "
                                               "single-threaded replica per core)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON instead of tables."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the JSON report to this file."),
) -> None:
    """Time the transformers and CTranslate2 backends side by side: speed, load time, memory, BLEU."""
    from rich.console import Console

    from translate.io import atomic_output
    from translate.models import ModelError, resolve_model

    err = Console(stderr=True)
    try:
        names = _backends(backends)
        info = resolve_model(model)
        cfg = BenchConfig(model_path=info.path, model_id=info.id, limit=limit, backends=names, opus_size=opus_size,
                          beam=beam, batch_size=batch_size, threads=threads)
        report = run_bench(cfg, log=lambda m: err.print(f"[dim]nlen bench: {m}[/dim]"))
    except (BenchError, ModelError) as exc:
        typer.echo(f"nlen: error: {exc}", err=True)
        raise typer.Exit(2)
    payload = json.dumps(report, ensure_ascii=False, indent=1) + "\n"
    if output is not None:
        with atomic_output(output) as fh:
            fh.write(payload.encode("utf-8"))
    if as_json:
        sys.stdout.write(payload)
    else:
        Console().print(render(report))


def register(app: typer.Typer) -> None:
    """Add `bench` to the main `nlen` app."""
    app.command("bench", epilog=BENCH_EPILOG)(bench)
