"""Canonical links: the same article under tracking parameters or fragments gets one URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "_hs", "pk_", "mtm_", "at_", "itm_", "vero_", "oly_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "source",
        "src",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
        "xtor",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "smid",
        "smtyp",
        "cid",
        "s_cid",
        "wt.mc_id",
        "spm",
        "share",
        "taid",
        "rss",
        "feed",
        "campaign",
        "mkt_tok",
        "soc_src",
        "soc_trk",
        "__twitter_impression",
        "_ga",
        "_gl",
    }
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SIMPLE = re.compile(r"^https?://(?:www\.)?([a-z0-9.-]+)(/[^?#\s%]*)?$")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters."""
    if not url:
        return None
    url = url.strip()
    simple = _SIMPLE.match(url)
    if simple:  # most links: lower-case host, no port, query or fragment
        path = simple.group(2) or "/"
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        return f"https://{simple.group(1).rstrip('.')}{path}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url if scheme else None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or str(port) == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query.sort()
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    # http and https of one page are one page.
    return urlunsplit(("https", netloc, path, urlencode(query, doseq=True), ""))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def display_host(url: str) -> str:
    """The host a reader knows a link by: lower-case, without "www."; "" when there is none."""
    return host_of(url.strip()).removeprefix("www.")


def is_http_url(url: str) -> bool:
    """Whether a URL is http(s) with a host: the only kind a chat message may make clickable."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)
