"""nlen's translation library: `Translator` turns Dutch documents into English ones."""

from __future__ import annotations

__all__ = ["Translator", "resolve_model", "ModelInfo"]


def __getattr__(name: str):
    # Lazy, so that `import translate` (and `nlen --help`) does not pay for torch.
    if name == "Translator":
        from translate.translator import Translator

        return Translator
    if name in ("resolve_model", "ModelInfo"):
        from translate import models

        return getattr(models, name)
    raise AttributeError(name)
