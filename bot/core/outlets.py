"""Drop the ' - Outlet' or ' | Outlet' tail that aggregators such as Google News add to headlines."""

from __future__ import annotations

import re

_TAIL = re.compile(r"\s+[-–—|]\s+([^-–—|]{2,48})$")
_SMALL = frozenset({"of", "the", "and", "de", "la", "le", "les", "du", "des", "et", "&", "l", "d"})


def strip_outlet(title: str) -> str:
    """'Meta hires X - Business Insider' → 'Meta hires X'.

    The tail goes only when it reads like a name (every word capitalised, a digit or a small
    linking word, at most five words) or is a single word such as 'franceinfo', so that
    'Meta - Scale AI deal' keeps its meaning."""
    match = _TAIL.search(title)
    if not match:
        return title
    words = match.group(1).replace("'", " ").replace("’", " ").split()
    if not words or len(words) > 5:
        return title
    name_like = all(w[0].isupper() or w[0].isdigit() or w.lower() in _SMALL for w in words)
    if name_like or len(words) == 1:
        return title[: match.start()].rstrip()
    return title
