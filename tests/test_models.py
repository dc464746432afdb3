"""Model resolution: local directories, the HF cache, an unreachable hub, and the bundled fallback."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest

from translate import models
from translate.models import DEFAULT_HUB_ID, ModelError, resolve_model


def test_local_directory_is_used_as_is(tiny_model):
    info = resolve_model(str(tiny_model))
    assert info.source == "directory" and info.path == tiny_model.resolve()
    assert len(info.weights_hash) == 16


def test_not_a_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a model directory"):
        resolve_model(str(tmp_path))


def test_unreachable_hub_falls_back_to_bundled_within_seconds(monkeypatch, tmp_path, tiny_model):
    # A closed port on this machine: the connection is refused, exactly what an offline user sees.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(models, "BUNDLED_MODEL", tiny_model)
    started = time.monotonic()
    info = resolve_model(None)
    assert time.monotonic() - started < 10
    assert info.source == "bundled" and "cannot be reached" in info.reason


def test_silent_hub_is_given_up_within_the_probe_timeout(monkeypatch):
    """A server on loopback that accepts connections and never answers: what a captive proxy does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        started = time.monotonic()
        assert models.hub_reachable(f"http://127.0.0.1:{server.getsockname()[1]}", timeout=1.0) is False
        assert time.monotonic() - started < 3
    finally:
        server.close()


def test_answering_hub_counts_as_reachable():
    """Any HTTP answer counts, even 404: a loopback HTTP server stands in for the hub."""
    import http.server
    import threading

    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert models.hub_reachable(f"http://127.0.0.1:{httpd.server_port}", timeout=2.0) is True
    finally:
        httpd.shutdown()


def test_offline_mode_does_not_touch_the_network(monkeypatch, tmp_path, tiny_model):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(models, "hub_reachable", lambda *a, **k: pytest.fail("probed the hub while offline"))
    monkeypatch.setattr(models, "BUNDLED_MODEL", tiny_model)
    info = resolve_model(None)
    assert info.source == "bundled" and "HF_HUB_OFFLINE" in info.reason
    with pytest.raises(ModelError, match="not in the local cache"):
        resolve_model("Helsinki-NLP/opus-mt-nl-en")


def _put_in_hf_cache(model_dir: Path, cache: Path, repo_id: str) -> None:
    """Lay a model out exactly as huggingface_hub caches a download."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for f in model_dir.iterdir():
        if f.is_file():
            shutil.copy(f, snapshot / f.name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


def test_cached_hub_model_is_the_default_offline(monkeypatch, tmp_path, tiny_model):
    cache = tmp_path / "hub"
    _put_in_hf_cache(tiny_model, cache, DEFAULT_HUB_ID)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads its constants at import; point it at the test cache too
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    info = resolve_model(None)
    assert info.source == "hub" and info.id == DEFAULT_HUB_ID
    from translate.translator import Translator

    assert Translator(info, backend="transformers", beam=1).translate_segments(["Ik ben moe."])[0].strip()


def test_non_marian_model_is_refused(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ModelError, match="Marian"):
        resolve_model(str(tmp_path))


@pytest.mark.skip(reason="needs the network: downloads Helsinki-NLP/opus-mt-nl-en from the hub")
def test_default_hub_model_downloads_and_translates():  # pragma: no cover
    from translate.translator import Translator

    info = resolve_model(None)
    assert info.source == "hub"
    assert "NATO" in Translator(info).translate_text("De NAVO vergadert.")
