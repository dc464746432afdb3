"""The edges: reading user files safely and writing output atomically.

Input is read as bytes and decoded by hand so that CRLF line endings survive, a BOM is
dropped, binary files are refused, and a bad byte is reported with its offset.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class InputError(Exception):
    """A user mistake about an input or output file; the message is one line."""


def decode_input(data: bytes, name: str, encoding: str = "utf-8") -> str:
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file (NUL bytes); nlen translates text")
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # drop a BOM
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid {exc.encoding.replace('-sig', '').upper()} at byte {exc.start} "
                         f"(0x{data[exc.start]:02x}); pass --encoding, e.g. --encoding cp1252") from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None


def read_input(path: str, encoding: str = "utf-8") -> tuple[str, str]:
    """(display name, text) for a path or `-` (stdin)."""
    if path == "-":
        return "<stdin>", decode_input(sys.stdin.buffer.read(), "<stdin>", encoding)
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return path, decode_input(data, path, encoding)


@contextmanager
def atomic_output(path: Path) -> Iterator:
    """A binary file handle whose content appears at `path` only when the block completes.

    An interrupt (Ctrl-C) or error leaves no half-written file behind: the temp file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
