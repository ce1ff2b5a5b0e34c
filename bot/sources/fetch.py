"""Fetch feeds: concurrent aiohttp with conditional GET, size and time limits, and an SSRF guard."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import stat
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.errors import UnsafeURLError
from bot.runtime import metrics
from bot.settings import PollSettings

Status = Literal["ok", "not_modified", "gone", "error"]
_PERMANENT = (301, 308)


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: Status
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # where a permanent redirect says the feed now lives
    retry_after: float | None = None
    error: str | None = None
    http_status: int | None = None


def is_public_address(address: str) -> bool:
    """True for addresses on the public internet; false for loopback, private, link-local, metadata…"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    return bool(ip.is_global) and not ip.is_multicast


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, IPv4-compatible), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class PublicOnlyResolver(AbstractResolver):
    """Resolves like the default resolver, then refuses any name that maps to a non-public address.

    Checking at connection time (not before the request) also covers redirects and DNS rebinding."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        bad = [r["host"] for r in results if not is_public_address(r["host"])]
        if bad or not results:
            raise UnsafeURLError(
                f"{host} resolves to a non-public address ({', '.join(bad) or 'none'})"
            )
        return results

    async def close(self) -> None:
        await self._inner.close()


def check_literal_host(url: str) -> None:
    """Refuse URLs whose host is written as a non-public IP (those never reach the resolver)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and other malformed hosts
        raise UnsafeURLError("the link is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(
            f"only http and https links can be fetched, not {parts.scheme or 'a bare path'}"
        )
    host = (parts.hostname or "").strip("[]")
    if not host:
        raise UnsafeURLError("the link has no host")
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        raise UnsafeURLError(f"{host} is not a public address")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return
    if not is_public_address(host):
        raise UnsafeURLError(f"{host} is not a public address")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    from datetime import UTC, datetime

    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def local_path(url: str) -> Path | None:
    """The file a feed URL names, for file:// URLs and plain paths; None for http(s)."""
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    if "://" in url:
        return None
    return Path(url).expanduser()


class Fetcher:
    """One HTTP session for a poll cycle, with global and per-host concurrency bounds."""

    @classmethod
    def from_settings(cls, poll: PollSettings, public_only: bool = False) -> Fetcher:
        return cls(
            user_agent=poll.user_agent,
            concurrency=poll.concurrency,
            per_host=poll.per_host,
            connect_timeout=poll.connect_timeout,
            timeout=poll.timeout,
            max_body=poll.max_body,
            public_only=public_only,
        )

    def __init__(
        self,
        *,
        user_agent: str,
        concurrency: int = 50,
        per_host: int = 4,
        connect_timeout: float = 10.0,
        timeout: float = 30.0,
        max_body: int = 5 * 1024 * 1024,
        public_only: bool = False,
    ) -> None:
        self.user_agent = user_agent
        self.concurrency = concurrency
        self.per_host = per_host
        self.timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=connect_timeout, connect=connect_timeout
        )
        self.max_body = max_body
        self.public_only = public_only
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            limit=self.concurrency,
            limit_per_host=self.per_host,
            resolver=PublicOnlyResolver() if self.public_only else None,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            trace_configs=[self._redirect_guard()] if self.public_only else None,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _redirect_guard(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()

        async def on_start(_s: Any, _c: Any, params: aiohttp.TraceRequestStartParams) -> None:
            check_literal_host(str(params.url))

        async def on_redirect(_s: Any, _c: Any, params: aiohttp.TraceRequestRedirectParams) -> None:
            location = params.response.headers.get("Location")
            if location:
                check_literal_host(str(params.url.join(URL(location))))

        trace.on_request_start.append(on_start)
        trace.on_request_redirect.append(on_redirect)
        return trace

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        started = time.perf_counter()
        result = await self._fetch_any(url, etag, last_modified)
        metrics.fetched(result.status, started)
        return result

    async def _fetch_any(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        path = local_path(url)
        if path is not None:
            if self.public_only:
                return FetchResult("error", error="local files cannot be fetched from chat")
            return await asyncio.to_thread(self._read_file, path)
        try:
            return await self._fetch_http(url, etag, last_modified)
        except UnsafeURLError as exc:
            return FetchResult("error", error=str(exc))
        except aiohttp.ClientConnectorError as exc:
            inner = exc.os_error
            if isinstance(inner, UnsafeURLError):
                return FetchResult("error", error=str(inner))
            return FetchResult("error", error=f"cannot connect: {inner.strerror or inner}")
        except aiohttp.TooManyRedirects:
            return FetchResult("error", error="too many redirects")
        except TimeoutError:
            return FetchResult("error", error="timed out")
        except aiohttp.ClientPayloadError as exc:
            return FetchResult("error", error=f"broken response body: {exc}")
        except aiohttp.InvalidURL as exc:
            return FetchResult("error", error=f"bad URL: {exc.url}")
        except aiohttp.ServerDisconnectedError:
            return FetchResult("error", error="the server closed the connection")
        except aiohttp.ClientError as exc:
            # Users read this line: aiohttp's class names (InvalidUrlClientError…) mean nothing
            # to them, its message usually does.
            said = " ".join(str(exc).split()) or "the HTTP request failed"
            return FetchResult("error", error=said[:300])
        except ValueError as exc:  # yarl refuses some malformed URLs
            return FetchResult("error", error=f"bad URL: {exc}")

    def _read_file(self, path: Path) -> FetchResult:
        """A local feed, under the same body cap as HTTP; only regular files (not /dev/zero, a
        FIFO or a folder). The checks run on the opened descriptor, so a path swapped after a
        check cannot slip past it, and O_NONBLOCK keeps a FIFO from blocking the open."""
        try:
            fd = os.open(
                path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
            )
        except OSError as exc:
            return FetchResult("error", error=f"cannot read {path}: {exc.strerror}")
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return FetchResult("error", error=f"{path} is not a regular file")
            with os.fdopen(fd, "rb") as file:
                fd = -1  # the file object owns it now
                body = file.read(self.max_body + 1)
        except OSError as exc:
            return FetchResult("error", error=f"cannot read {path}: {exc.strerror}")
        finally:
            if fd >= 0:
                os.close(fd)
        if len(body) > self.max_body:
            return FetchResult("error", error=f"file larger than {self.max_body} bytes")
        return FetchResult("ok", body=body)

    async def _fetch_http(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        assert self._session is not None, "use Fetcher as an async context manager"
        headers = {
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._session.get(
            url, headers=headers, allow_redirects=True, max_redirects=8
        ) as resp:
            moved_to = None
            if resp.history and all(r.status in _PERMANENT for r in resp.history):
                moved_to = str(resp.url)
            status = resp.status
            if status == 304:
                return FetchResult(
                    "not_modified",
                    etag=resp.headers.get("ETag") or etag,
                    last_modified=resp.headers.get("Last-Modified") or last_modified,
                    moved_to=moved_to,
                    http_status=status,
                )
            if status == 410:
                return FetchResult(
                    "gone",
                    error="410 Gone: the server says this feed was removed",
                    http_status=status,
                )
            if status in (429, 503):
                return FetchResult(
                    "error",
                    error=f"HTTP {status}",
                    http_status=status,
                    retry_after=_retry_after(resp.headers.get("Retry-After")),
                )
            if status >= 400:
                return FetchResult(
                    "error", error=f"HTTP {status} {resp.reason or ''}".strip(), http_status=status
                )
            declared = resp.content_length
            if declared is not None and declared > self.max_body:
                return FetchResult(
                    "error", error=f"body larger than {self.max_body} bytes", http_status=status
                )
            if declared is not None and not resp.headers.get("Content-Encoding"):
                body = await resp.read()  # one buffer; the declared size was checked above
                if len(body) > self.max_body:
                    return FetchResult(
                        "error", error=f"body larger than {self.max_body} bytes", http_status=status
                    )
                return FetchResult(
                    "ok",
                    body=body,
                    content_type=resp.headers.get("Content-Type"),
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    moved_to=moved_to,
                    http_status=status,
                )
            # Chunked or compressed: count what arrives, so neither a lying server nor a gzip bomb
            # gets past the cap.
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > self.max_body:
                    return FetchResult(
                        "error", error=f"body larger than {self.max_body} bytes", http_status=status
                    )
                chunks.append(chunk)
            return FetchResult(
                "ok",
                body=b"".join(chunks),
                content_type=resp.headers.get("Content-Type"),
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
                moved_to=moved_to,
                http_status=status,
            )
