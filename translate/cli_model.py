"""`nlen model train` and `nlen model info`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from translate.models import ModelError, describe_model
from translate.train import SIZES, TrainConfig, cpu_has_bf16, train, tune_length_penalty

TRAIN_EPILOG = """
Examples:

  nlen model train --data ../shared/data --out runs/small --size small --time-budget 105

  nlen model train --data ../shared/data --out /tmp/tiny --size tiny --max-steps 50   # a smoke test

Training writes a checkpoint under OUT/checkpoint/ at every validation: run the same command
again to resume.
"""


def register(model_app: typer.Typer) -> None:
    @model_app.command("train", epilog=TRAIN_EPILOG)
    def train_command(
        data: Path = typer.Option(..., "--data", help="Data folder (with train/ and eval/, or flat)."),
        out: Path = typer.Option(..., "--out", help="Where the model directory is written."),
        size: str = typer.Option("small", "--size", help=f"One of: {', '.join(SIZES)}."),
        time_budget: float = typer.Option(100.0, "--time-budget", help="Wall-clock minutes for training."),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after this many updates."),
        bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16",
                                            help="bfloat16 autocast [default: when the CPU has native bf16]."),
        dropout: float = typer.Option(0.15, "--dropout"),
        eval_every: float = typer.Option(12.0, "--eval-every", help="Minutes between validations."),
        max_pairs: Optional[int] = typer.Option(None, "--max-pairs", help="Use only the first N pairs of each corpus."),
    ) -> None:
        """Train a small Marian nl→en model (sentencepiece with byte fallback, label smoothing, averaging)."""
        if size not in SIZES:
            typer.echo(f"nlen: error: unknown size {size!r}; choose one of {', '.join(SIZES)}", err=True)
            raise typer.Exit(2)
        if not (data / "train").is_dir() and not any(data.glob("*.nl")):
            typer.echo(f"nlen: error: {data}: no training data (expected train/*.nl and *.en)", err=True)
            raise typer.Exit(2)
        cfg = TrainConfig(data_dir=data, out_dir=out, size=size, time_budget_min=time_budget, max_steps=max_steps,
                          bf16=cpu_has_bf16() if bf16 is None else bf16, dropout=dropout,
                          eval_every_min=eval_every, max_pairs=max_pairs)
        report = train(cfg, log=lambda m: typer.echo(f"{time.strftime('%H:%M:%S')} {m}", err=True))
        typer.echo(json.dumps({k: report[k] for k in ("steps", "train_minutes", "chosen", "dev")}))

    @model_app.command("tune")
    def tune_command(
        path: Path = typer.Argument(..., help="A Marian model directory (its generation_config.json is updated)."),
        data: Path = typer.Option(..., "--data", help="Data folder holding eval/tatoeba.dev and eval/flores200.dev."),
        values: str = typer.Option("0.6,1.0,1.4", "--values", help="Length penalties to try."),
        beam: int = typer.Option(4, "--beam"),
        backend: str = typer.Option("auto", "--backend"),
        limit: int = typer.Option(400, "--limit", min=1, help="Dev lines per set."),
    ) -> None:
        """Choose the beam length penalty on the dev sets and write it into the model's generation config."""
        try:
            lps = tuple(float(v) for v in values.split(","))
            result = tune_length_penalty(path, data, lps, beam=beam, backend=backend, limit=limit,
                                         log=lambda m: typer.echo(m, err=True))
        except (ModelError, OSError, ValueError) as exc:
            typer.echo(f"nlen: error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(json.dumps(result))

    @model_app.command("info")
    def info_command(
        path: Path = typer.Argument(..., help="A Marian model directory."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Show what a model directory holds: architecture, size, files, training summary."""
        try:
            info = describe_model(path)
        except ModelError as exc:
            typer.echo(f"nlen: error: {exc}", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps(info, indent=2))
            return
        arch = info["architecture"]
        typer.echo(f"path:        {info['path']}")
        typer.echo(f"parameters:  {info['parameters'] / 1e6:.1f}M" if info["parameters"] else "parameters:  ?")
        typer.echo(f"layers:      {arch['encoder_layers']} encoder + {arch['decoder_layers']} decoder, "
                   f"d_model {arch['d_model']}, {arch['encoder_attention_heads']} heads, ffn {arch['encoder_ffn_dim']}")
        typer.echo(f"vocabulary:  {arch['vocab_size']}")
        typer.echo(f"weights:     sha256 {info['weights_sha256_16']}…")
        for name, size in info["files"].items():
            typer.echo(f"  {name:28s} {size / 1e6:8.2f} MB")
        if info["training"]:
            typer.echo(f"training:    {json.dumps(info['training'])}")
