"""Parse the human durations used in config and commands: '90s', '10m', '24h', '7d'."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w)?\s*$", re.I
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration; a bare number is seconds. Raises ValueError with a readable message."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '10m', '24h' or '7d'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration such as '90s', '10m', '24h' or '7d'")
        unit = (match.group(2) or "s")[0].lower()
        seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise ValueError(f"{value!r} is too long a duration")
    return seconds


# About 30 years: anything longer is a typo, and beyond it date arithmetic overflows.
MAX_SECONDS = 1e9


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration: 2s, 90s, 10m, 6h, 365d (fractions stay in seconds)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g|kib|mib|gib)?\s*$", re.I)
_UNIT_BYTES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: str | int) -> int:
    """Bytes in a size such as '5MB' or '512kb'; a bare number is bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size such as '512KB' or '5MB'")
    unit = (match.group(2) or "b")[0].lower()
    return int(float(match.group(1)) * _UNIT_BYTES[unit])
