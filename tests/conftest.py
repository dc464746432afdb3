"""Shared fixtures: the data folder and a tiny real Marian model trained for a few steps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("NLEN_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _private_model_cache(tmp_path_factory):
    """Converted CTranslate2 models go to a temporary cache, never the user's."""
    os.environ["NLEN_CACHE"] = str(tmp_path_factory.mktemp("nlen-cache"))
    yield


@pytest.fixture(scope="session")
def nlen_data() -> Path:
    path = data_dir()
    if not (path / "train" / "tatoeba.train.nl").exists():
        pytest.skip(f"the nl-en corpus is not at {path} (set NLEN_DATA)")
    return path


@pytest.fixture(scope="session")
def tiny_model(nlen_data, tmp_path_factory) -> Path:
    """A real MarianMTModel + sentencepiece vocabulary, trained for a few steps on a data slice.

    Built through the same `translate.train` code as the shipped model and saved in the standard
    HuggingFace layout, so it loads through the same path as any user model.
    """
    from translate.train import TrainConfig, train

    out = tmp_path_factory.mktemp("tiny-model")
    train(TrainConfig(data_dir=nlen_data, out_dir=out, size="tiny", max_steps=40, max_pairs=1500,
                      batch_tokens=1500, dev_limit=20, eval_every_min=1e9, warmup=10, lr=3e-3),
          log=lambda m: None)
    return out


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    from translate.models import BUNDLED_MODEL, is_model_dir

    if not is_model_dir(BUNDLED_MODEL):
        pytest.skip(f"the bundled model is missing at {BUNDLED_MODEL}")
    return BUNDLED_MODEL
