"""Spotting degenerate output: repetition loops, stutter, and lengths far from the source's.

Small models loop ("afterward afterward afterward") or stutter ("indddible"); such output is
retried with another decoding and the flags are reported, never hidden.
"""

from __future__ import annotations

import re

_LOOP = re.compile(r"\b(\w+(?:\W+\w+){0,3}?)(?:\W+\1\b){2,}", re.IGNORECASE | re.UNICODE)
_STUTTER = re.compile(r"([^\W\d_])\1{3,}", re.UNICODE)
MIN_CHARS_FOR_RATIO = 20
RATIO_RANGE = (0.4, 2.5)


def degeneration_flags(source: str, translation: str) -> list[str]:
    """Names of the problems found; empty when the translation looks sane."""
    flags = []
    if source.strip() and not translation.strip():
        return ["empty"]
    if _LOOP.search(translation) and not _LOOP.search(source):
        flags.append("repetition")
    if _STUTTER.search(translation) and not _STUTTER.search(source):
        flags.append("stutter")
    if len(source) >= MIN_CHARS_FOR_RATIO:
        ratio = len(translation) / len(source)
        if ratio < RATIO_RANGE[0]:
            flags.append("too-short")
        elif ratio > RATIO_RANGE[1]:
            flags.append("too-long")
    return flags
