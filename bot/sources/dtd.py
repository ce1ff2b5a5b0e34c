"""Take DTDs out of untrusted XML before any parser sees it, expanding plain entities within a budget.

Every XML parser Radar uses honours entity declarations differently: lxml declines or keeps them,
expat stops at its own amplification limit, and feedparser's loose parser re-declares the "safe"
(plain text) ones and expands them without any limit, so one 1,000-character entity referenced a
million times cost gigabytes. Rather than trust each parser's defences, Radar removes every
DOCTYPE from the prolog and neutralises every other `<!ENTITY` there, then substitutes the plain-text
entities itself, refusing the feed once substitutions would add more than `MAX_EXPANSION` bytes.

The work is linear in the body: a hand-written scanner (bytes.find and anchored regexes), no
backtracking pattern over attacker-controlled spans.
"""

from __future__ import annotations

import codecs
import re

from bot.errors import FeedError

MAX_EXPANSION = 1024 * 1024  # bytes that entity substitution may add to one feed
_PREDEFINED = frozenset({b"lt", b"gt", b"amp", b"apos", b"quot"})
# What the prolog scanner stops at; the first `<\w` outside comments, PIs and DOCTYPEs is the root
# element (feedparser's head ends at the first `<\w` anywhere, which is never later).
_PROLOG_TOKEN = re.compile(rb"<(?:\?|!--|!DOCTYPE|\w)")
_DOCTYPE_STOP = re.compile(rb"[\"'\[>]")
_SUBSET_STOP = re.compile(rb"[\"'\]]|<!--")
_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+([A-Za-z_:][\w.:-]*)\s+(?:\"([^\"<&%]*(?:&#x?[0-9A-Fa-f]+;[^\"<&%]*)*)\""
    rb"|'([^'<&%]*(?:&#x?[0-9A-Fa-f]+;[^'<&%]*)*)')\s*>"
)
_BODY_TOKEN = re.compile(rb"<!\[CDATA\[|<!--|&([A-Za-z_:][\w.:-]*);")
# The form "<!ENTITY" takes in encodings that do not write ASCII as ASCII bytes.
_SNIFFED = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # "<?xm" in EBCDIC
)
_DECLARED = re.compile(rb"^[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_PROBE = "<!ENTITY \"'[]>&;%#"


def defuse_dtd(body: bytes, charset: str | None = None) -> bytes:
    """The body without any DOCTYPE or entity declaration in its prolog, plain entities expanded.

    Raises FeedError when the expansions would exceed MAX_EXPANSION, or when a document in an
    encoding that does not write ASCII as ASCII (UTF-16, UTF-32, EBCDIC, UTF-7) declares entities:
    those cannot be rewritten byte for byte, and no real feed needs them."""
    _refuse_hidden_entities(body, charset)
    if b"<!DOCTYPE" not in body and b"<!ENTITY" not in body:
        return body
    prolog, end, entities = _strip_prolog(body)
    # Done last, on the assembled prolog: no removal above can then join two halves into a new one.
    prolog = prolog.replace(b"<!ENTITY", b"&lt;!ENTITY")
    rest = body[end:]
    if entities:
        rest = _expand(rest, entities)
    return prolog + rest


def _refuse_hidden_entities(body: bytes, charset: str | None) -> None:
    names = [enc for prefix, enc in _SNIFFED if body.startswith(prefix)]
    declared = _DECLARED.match(body[:256].replace(b"\x00", b""))
    names += [declared.group(1).decode("ascii")] if declared else []
    names += [charset] if charset else []
    for name in dict.fromkeys(names):
        # str.encode and bytes.decode, not the codec objects: they refuse bytes-to-bytes codecs
        # (a "zlib_codec" charset would otherwise decompress whatever the feed holds).
        try:
            if _PROBE.encode(name) == _PROBE.encode("ascii"):
                continue  # ASCII-transparent: the byte scan below sees what the parsers see
            text = body.decode(name, "replace")
        except (LookupError, ValueError, UnicodeError):
            continue
        if "<!ENTITY" in text:
            raise FeedError(
                f"the feed declares XML entities in {codecs.lookup(name).name}; Radar reads "
                "entity declarations only in UTF-8 and other ASCII-based encodings"
            )


def _strip_prolog(body: bytes) -> tuple[bytes, int, dict[bytes, bytes]]:
    """The prolog without its DOCTYPEs, where the root element starts, and the plain entities.

    Comments and processing instructions are skipped so a `<b>` inside them does not end the prolog
    early for XML parsers; `<!ENTITY` inside them is still neutralised by the caller, because
    feedparser ignores comments when it looks for declarations."""
    out: list[bytes] = []
    entities: dict[bytes, bytes] = {}
    pos = copied = 0
    n = len(body)
    while True:
        found = _PROLOG_TOKEN.search(body, pos)
        if found is None:
            pos = n
            break
        pos = found.start()
        if body.startswith(b"<?", pos):
            pos = _after(body, b"?>", pos + 2)
        elif body.startswith(b"<!--", pos):
            pos = _after(body, b"-->", pos + 4)
        elif body.startswith(b"<!DOCTYPE", pos):
            end, subset = _doctype_end(body, pos + 9)
            for match in _ENTITY_DECL.finditer(subset):
                name = match.group(1)
                if name not in _PREDEFINED:
                    # XML keeps the first declaration of a name.
                    entities.setdefault(name, _attribute_safe(match.group(2) or match.group(3)))
            # A space, not nothing: the bytes either side must not join into a new declaration.
            out += [body[copied:pos], b" "]
            pos = copied = end
        else:  # the root element
            break
    out.append(body[copied:pos])
    return b"".join(out), pos, entities


def _after(body: bytes, closer: bytes, start: int) -> int:
    end = body.find(closer, start)
    return len(body) if end < 0 else end + len(closer)


def _doctype_end(body: bytes, pos: int) -> tuple[int, bytes]:
    """Where the DOCTYPE that starts before `pos` ends, and its internal subset."""
    subset = b""
    n = len(body)
    while True:
        stop = _DOCTYPE_STOP.search(body, pos)
        if stop is None:
            return n, subset
        char = body[stop.start() : stop.start() + 1]
        if char == b">":
            return stop.end(), subset
        if char == b"[":
            start = stop.end()
            pos = _subset_end(body, start)
            subset = body[start:pos]
        else:
            pos = _after(body, char, stop.end())


def _subset_end(body: bytes, pos: int) -> int:
    while True:
        stop = _SUBSET_STOP.search(body, pos)
        if stop is None:
            return len(body)
        token = stop.group()
        if token == b"]":
            return stop.end()
        pos = _after(body, b"-->" if token == b"<!--" else token, stop.end())


def _attribute_safe(value: bytes) -> bytes:
    # The substituted text may land in an attribute value, where a bare quote would end it.
    return value.replace(b'"', b"&#34;").replace(b"'", b"&#39;")


def _expand(rest: bytes, entities: dict[bytes, bytes]) -> bytes:
    """Substitute declared entities in markup and text; CDATA and comments keep theirs literally."""
    out: list[bytes] = []
    added = copied = pos = 0
    n = len(rest)
    while pos < n:
        token = _BODY_TOKEN.search(rest, pos)
        if token is None:
            break
        name = token.group(1)
        if name is None:  # CDATA or comment: copied as is up to its end
            pos = _after(rest, b"]]>" if token.group() == b"<![CDATA[" else b"-->", token.end())
            continue
        pos = token.end()
        value = entities.get(name)
        if value is None:
            continue
        added += len(value)
        if added > MAX_EXPANSION:
            raise FeedError(
                f"the feed's XML entities expand to more than {MAX_EXPANSION // 1024} KiB; "
                "Radar refuses entity blow-ups"
            )
        out += [rest[copied : token.start()], value]
        copied = pos
    out.append(rest[copied:])
    return b"".join(out)
