"""The SSRF guard: links from chat may only reach the public internet, checked on the literal host,
at DNS resolution, and for local files; end to end against the real feed server on 127.0.0.1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.errors import UnsafeURLError
from bot.sources.fetch import Fetcher, PublicOnlyResolver, check_literal_host, is_public_address
from tests.feeds import META_HIRE, rss
from tests.feedserver import FeedServer

PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2a00:1450:4007:80e::200e",
    "::ffff:93.184.216.34",  # IPv4-mapped: judged by the IPv4 address it carries
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
]
NOT_PUBLIC = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback /8",
    "::1": "IPv6 loopback",
    "10.0.0.1": "RFC 1918",
    "172.16.5.4": "RFC 1918",
    "192.168.1.1": "RFC 1918",
    "169.254.169.254": "link-local, cloud metadata",
    "fe80::1": "IPv6 link-local",
    "fe80::1%eth0": "IPv6 link-local with a zone",
    "fd00:ec2::254": "IPv6 unique-local (AWS metadata)",
    "100.64.0.1": "CGNAT 100.64/10",
    "100.127.255.254": "CGNAT 100.64/10",
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:10.0.0.1": "IPv4-mapped private",
    "::ffff:169.254.169.254": "IPv4-mapped metadata",
    "::ffff:224.0.1.1": "IPv4-mapped multicast",
    "0.0.0.0": "unspecified",
    "::": "IPv6 unspecified",
    "224.0.0.1": "multicast",
    "224.0.1.1": "globally scoped multicast",
    "239.255.255.250": "multicast (SSDP)",
    "ff0e::1": "IPv6 global multicast",
    "255.255.255.255": "broadcast",
    "198.18.0.1": "benchmarking",
    "64:ff9b::7f00:1": "NAT64 of loopback",
    "64:ff9b::a9fe:a9fe": "NAT64 of cloud metadata",
    "2002:7f00:1::": "6to4 of loopback",
    "2002:c0a8:101::": "6to4 of RFC 1918",
    "::127.0.0.1": "IPv4-compatible loopback",
    "not-an-ip": "a name is not an address",
    "": "empty",
}


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("address", list(NOT_PUBLIC), ids=list(NOT_PUBLIC.values()))
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "not a public address"),
        ("http://127.0.0.1:8080/feed.xml", "not a public address"),
        ("http://[::1]/", "not a public address"),
        ("http://[::ffff:127.0.0.1]/", "not a public address"),
        ("http://10.0.0.1/", "not a public address"),
        ("http://192.168.0.10/rss", "not a public address"),
        ("http://100.64.1.1/", "not a public address"),
        ("http://localhost/", "not a public address"),
        ("http://LOCALHOST:9000/", "not a public address"),
        ("http://admin.localhost/", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("http://[fe80::1%25eth0]/", "not a public address"),
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/feed.xml", "only http and https"),
        ("/etc/passwd", "only http and https"),
        ("http:///feed.xml", "no host"),
    ],
)
def test_check_literal_host_refuses_internal_and_non_http_urls(url: str, why: str) -> None:
    with pytest.raises(UnsafeURLError, match=why):
        check_literal_host(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "http://example.com/feed.xml",
        "https://93.184.216.34/rss",
        "https://[2606:4700:4700::1111]/feed",
    ],
)
def test_check_literal_host_accepts_public_urls(url: str) -> None:
    check_literal_host(url)  # no exception


def test_unsafe_url_error_is_a_feed_error_and_a_permission_error() -> None:
    from bot.errors import FeedError

    assert issubclass(UnsafeURLError, FeedError)
    assert issubclass(UnsafeURLError, PermissionError)


# -- the resolver ---------------------------------------------------------------------------------


class FixedResolver(AbstractResolver):
    """Answers every name with the same addresses, like a DNS server the attacker controls."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.asked: list[tuple[str, int]] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append((host, port))
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


async def test_resolver_refuses_names_that_resolve_to_internal_addresses() -> None:
    inner = FixedResolver("10.0.0.5")
    resolver = PublicOnlyResolver(inner)
    with pytest.raises(
        UnsafeURLError, match=r"feeds\.example resolves to a non-public.*10\.0\.0\.5"
    ):
        await resolver.resolve("feeds.example", 443)
    assert inner.asked == [("feeds.example", 443)]


async def test_resolver_refuses_when_any_answer_is_internal() -> None:
    # DNS rebinding and round-robin tricks: one public answer does not launder a private one.
    resolver = PublicOnlyResolver(FixedResolver("93.184.216.34", "169.254.169.254"))
    with pytest.raises(UnsafeURLError, match=r"169\.254\.169\.254"):
        await resolver.resolve("feeds.example", 80)
    mapped = PublicOnlyResolver(FixedResolver("::ffff:127.0.0.1"))
    with pytest.raises(UnsafeURLError):
        await mapped.resolve("feeds.example", 80)


async def test_resolver_refuses_an_empty_answer() -> None:
    with pytest.raises(UnsafeURLError, match="none"):
        await PublicOnlyResolver(FixedResolver()).resolve("feeds.example", 80)


async def test_resolver_passes_public_answers_through_and_closes_its_inner() -> None:
    inner = FixedResolver("93.184.216.34", "2606:4700:4700::1111")
    resolver = PublicOnlyResolver(inner)
    results = await resolver.resolve("feeds.example", 443, socket.AF_UNSPEC)
    assert [(r["hostname"], r["host"], r["port"]) for r in results] == [
        ("feeds.example", "93.184.216.34", 443),
        ("feeds.example", "2606:4700:4700::1111", 443),
    ]
    await resolver.close()
    assert inner.closed


# -- end to end: a real Fetcher against the real feed server on 127.0.0.1 -------------------------


@pytest.fixture
def served(feed_server: FeedServer) -> FeedServer:
    feed_server.add("/feed.xml", body=rss([META_HIRE]))
    return feed_server


def fetcher(public_only: bool) -> Fetcher:
    return Fetcher(
        user_agent="Radar-test", timeout=5.0, connect_timeout=2.0, public_only=public_only
    )


async def test_a_trusted_fetcher_reaches_the_local_server(served: FeedServer) -> None:
    # The control: without the guard the same URL works, so the refusals below are the guard's.
    async with fetcher(public_only=False) as f:
        result = await f.fetch(served.url("/feed.xml"))
    assert (result.status, result.http_status) == ("ok", 200)
    assert META_HIRE.title.encode() in result.body
    assert served.routes["/feed.xml"].hits == 1


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"],
)
async def test_public_only_fetcher_refuses_the_local_server(served: FeedServer, host: str) -> None:
    async with fetcher(public_only=True) as f:
        result = await f.fetch(f"http://{host}:{served.port}/feed.xml")
    assert result.status == "error"
    assert result.error is not None and "not a public address" in result.error
    assert result.body == b""
    assert served.routes["/feed.xml"].hits == 0, "the request never left"


async def test_public_only_fetcher_checks_names_when_they_resolve(served: FeedServer) -> None:
    # 0x7f000001 is not an IP literal to Python, so the literal check lets it through; the system
    # resolver turns it into 127.0.0.1, which the guarded resolver then refuses.
    url = f"http://0x7f000001:{served.port}/feed.xml"
    check_literal_host(url)
    async with fetcher(public_only=True) as f:
        result = await f.fetch(url)
    assert result.status == "error"
    assert result.error is not None and "non-public address" in result.error
    assert "127.0.0.1" in result.error
    assert served.routes["/feed.xml"].hits == 0


async def test_public_only_fetcher_refuses_local_files(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([META_HIRE]))
    async with fetcher(public_only=False) as trusted:
        assert (await trusted.fetch(str(feed))).status == "ok", "config feeds may be local files"
    async with fetcher(public_only=True) as f:
        for target in (f"file://{feed}", str(feed), "file:///etc/passwd", "/etc/passwd"):
            result = await f.fetch(target)
            assert result.status == "error", target
            assert result.error is not None and "local files cannot be fetched" in result.error
            assert result.body == b""
