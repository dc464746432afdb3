"""Where a model comes from (hub id, local directory, the bundled one) and what it is.

Resolution never hangs offline: `HF_HUB_OFFLINE` is honoured, the local HF cache is tried
first, and an unreachable hub is given up on within seconds (a short TCP probe before any
download, and short hub timeouts).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HUB_ID = "Helsinki-NLP/opus-mt-nl-en"
REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = REPO_ROOT / "models" / "nlen-small"
MODEL_FILES = ["config.json", "generation_config.json", "*.safetensors", "*.spm", "vocab.json",
               "tokenizer_config.json", "*.md"]
PROBE_TIMEOUT_S = 3.0


class ModelError(Exception):
    """A model that cannot be found or loaded; the message is one line for the user."""


@dataclass(frozen=True)
class ModelInfo:
    id: str                 # what the user would type: a hub id or a directory
    path: Path              # the local directory holding the files
    source: str             # "hub", "directory" or "bundled"
    reason: str = ""        # why this one was chosen (shown as a notice when it is a fallback)
    config: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def weights_hash(self) -> str:
        return weights_hash(self.path)


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_reachable(endpoint: str | None = None, timeout: float | None = None) -> bool:
    """Does the hub answer HTTP within `timeout` seconds? Bounded even when DNS or a proxy hangs.

    A TCP connect is not enough: sandboxes and captive proxies accept connections and then
    never answer. Any HTTP status counts as an answer.
    """
    import urllib.error
    import urllib.request

    timeout = PROBE_TIMEOUT_S if timeout is None else timeout
    url = (endpoint or hub_endpoint()) + "/api/models/" + DEFAULT_HUB_ID
    result: list[bool] = []

    def probe() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
                result.append(True)
        except urllib.error.HTTPError:
            result.append(True)
        except Exception:
            result.append(False)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return bool(result and result[0])


def is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").exists()


def load_from_hub(repo_id: str) -> Path:
    """The model's directory in the HF cache, downloading it when the hub can be reached."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, allow_patterns=MODEL_FILES, local_files_only=True))
    except Exception:
        pass
    if hub_offline():
        raise ModelError(f"{repo_id} is not in the local cache and HF_HUB_OFFLINE is set")
    if not hub_reachable():
        raise ModelError(f"{repo_id} is not cached and the hub ({hub_endpoint()}) cannot be reached")
    try:
        return Path(snapshot_download(repo_id, allow_patterns=MODEL_FILES, etag_timeout=5))
    except Exception as exc:  # any hub failure is one message for the user
        raise ModelError(f"cannot download {repo_id}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc


def resolve_model(name: str | os.PathLike | None = None) -> ModelInfo:
    """Pick the model: an explicit directory or hub id, else opus-mt-nl-en, else the bundled model."""
    if name is not None:
        path = Path(name).expanduser()
        if is_model_dir(path):
            return _info(str(name), path, "directory")
        if path.exists() or str(name).startswith((".", "/", "~")) or str(name).count("/") != 1:
            raise ModelError(f"{name}: not a model directory (no config.json) and not a hub id like org/name")
        return _info(str(name), load_from_hub(str(name)), "hub")
    try:
        return _info(DEFAULT_HUB_ID, load_from_hub(DEFAULT_HUB_ID), "hub")
    except ModelError as exc:
        if not is_model_dir(BUNDLED_MODEL):
            raise ModelError(f"{exc}; and the bundled model is missing at {BUNDLED_MODEL}") from exc
        return _info(str(BUNDLED_MODEL), BUNDLED_MODEL, "bundled", reason=str(exc))


def _info(model_id: str, path: Path, source: str, reason: str = "") -> ModelInfo:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path / 'config.json'}: cannot read model config: {exc}") from exc
    if config.get("model_type") != "marian":
        raise ModelError(f"{path}: model_type is {config.get('model_type')!r}, nlen needs a Marian model")
    return ModelInfo(id=model_id, path=path.resolve(), source=source, reason=reason, config=config)


_HASHES: dict[tuple[str, float], str] = {}


def weights_hash(path: Path) -> str:
    """sha256 (first 16 hex digits) of the weights file: ties reports and caches to exact weights."""
    files = sorted(path.glob("*.safetensors")) or sorted(path.glob("pytorch_model*.bin"))
    if not files:
        return "none"
    key = (str(files[0].resolve()), files[0].stat().st_mtime)
    if key not in _HASHES:
        digest = hashlib.sha256()
        for f in files:
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        _HASHES[key] = digest.hexdigest()[:16]
    return _HASHES[key]


def describe_model(path: Path) -> dict:
    """What a model directory holds, for `nlen model info`."""
    info = _info(str(path), Path(path), "directory")
    cfg = info.config
    files = {p.name: p.stat().st_size for p in sorted(Path(path).iterdir()) if p.is_file()}
    params = None
    st = next(iter(sorted(Path(path).glob("*.safetensors"))), None)
    if st is not None:
        from safetensors import safe_open

        with safe_open(str(st), framework="pt") as f:
            params = 0
            for key in f.keys():
                shape = f.get_slice(key).get_shape()
                n = 1
                for d in shape:
                    n *= d
                params += n
    report = {}
    report_file = Path(path) / "training_report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text(encoding="utf-8"))
    return {
        "path": str(info.path),
        "architecture": {k: cfg.get(k) for k in ("d_model", "encoder_layers", "decoder_layers",
                                                  "encoder_attention_heads", "encoder_ffn_dim", "vocab_size")},
        "parameters": params,
        "weights_sha256_16": weights_hash(Path(path)),
        "files": files,
        "training": {k: report.get(k) for k in ("steps", "train_minutes", "chosen", "dev")} if report else None,
    }
