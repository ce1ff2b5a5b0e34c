"""The moves ledger: one row per person and move, people and organisations as entities with aliases,
and every item that reported a move. Written by ingest, read by `radar moves` and chat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, distinct, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot.core.entities import (
    Org,
    Person,
    display_person,
    org_key,
    person_key,
    resolve_org,
    resolve_person,
)
from bot.core.models import Move
from bot.core.talent import (
    COUNTED_KINDS,
    LedgerMove,
    Source,
    confidence,
    involves,
    ledger_people,
    same_move,
)
from bot.store.dialect import insert_ignore
from bot.store.schema import (
    feeds,
    items,
    move_sources,
    moves,
    org_aliases,
    orgs,
    people,
    person_aliases,
    stories,
)


class FixError(ValueError):
    """A correction that cannot apply: an unknown move, a kind that does not exist."""


@dataclass(frozen=True, slots=True)
class Fix:
    """An admin's correction of one move; None leaves that part as it is."""

    person: str | None = None
    from_org: str | None = None
    to_org: str | None = None
    kind: str | None = None


class MovesLedger(Protocol):
    """What readers of the ledger need; the SQL implementation below is the only one so far."""

    def moves(
        self, since: datetime, until: datetime | None = None, org: str | None = None
    ) -> list[LedgerMove]: ...

    def move(self, move_id: int) -> LedgerMove | None: ...

    def person_moves(self, name: str) -> tuple[str, list[LedgerMove]] | None: ...

    def org_moves(self, name: str, since: datetime) -> tuple[str, list[LedgerMove]]: ...

    def fix(self, move_id: int, fix: Fix, by: str, now: datetime) -> LedgerMove: ...


def _new_id(key: Any) -> int:
    """The id an INSERT gave its row (SQLAlchemy types inserted_primary_key as optional)."""
    assert key is not None
    return int(key[0])



class _Entities:
    """The ledger's people and organisations, read once per transaction that records moves."""

    def __init__(self, conn: Connection, now: datetime | None = None) -> None:
        self.conn = conn
        self._now = now  # None: only reading
        self._people: dict[int, Person] | None = None
        self._org_aliases: dict[str, str] | None = None

    def created(self) -> datetime:
        assert self._now is not None, "entities opened for reading only"
        return self._now

    def people(self) -> dict[int, Person]:
        if self._people is None:
            found: dict[int, tuple[str, set[str]]] = {}
            query = select(people.c.id, people.c.name, person_aliases.c.alias_key).join(
                person_aliases, person_aliases.c.person_id == people.c.id
            )
            for pid, name, key in self.conn.execute(query):
                found.setdefault(pid, (name, set()))[1].add(key)
            self._people = {
                pid: Person(pid, name, frozenset(keys)) for pid, (name, keys) in found.items()
            }
        return self._people

    def person_id(self, name: str) -> int | None:
        known = resolve_person(name, self.people().values())
        key = person_key(name)
        if known is not None:
            if key not in known.keys:
                self._alias(person_aliases, "person_id", known.id, key, "seen")
                self.people()[known.id] = Person(known.id, known.name, known.keys | {key})
            return known.id
        if " " not in key:
            return None  # a surname alone is nobody until a full name introduces them
        pid = _new_id(
            self.conn.execute(
                insert(people).values(name=display_person(name), created_at=self.created())
            ).inserted_primary_key
        )
        self._alias(person_aliases, "person_id", pid, key, "seen")
        self.people()[pid] = Person(pid, display_person(name), frozenset({key}))
        return pid

    def recorded_orgs(self) -> dict[str, str]:
        if self._org_aliases is None:
            query = select(org_aliases.c.alias_key, orgs.c.name).join(
                orgs, orgs.c.id == org_aliases.c.org_id
            )
            self._org_aliases = {str(k): str(n) for k, n in self.conn.execute(query)}
        return self._org_aliases

    def org(self, name: str | None) -> tuple[int, Org] | None:
        if not name:
            return None
        org = resolve_org(name, self.recorded_orgs())
        if org is None:
            return None
        oid = self.conn.execute(select(orgs.c.id).where(orgs.c.key == org.key)).scalar()
        if oid is None:
            oid = _new_id(
                self.conn.execute(
                    insert(orgs).values(name=org.name, key=org.key, created_at=self.created())
                ).inserted_primary_key
            )
        for key in {org.key, org_key(name)}:
            if key not in self.recorded_orgs():
                self._alias(org_aliases, "org_id", int(oid), key, "seen")
                self.recorded_orgs()[key] = org.name
        return int(oid), org

    def _alias(self, table: Any, column: str, owner: int, key: str, origin: str) -> None:
        insert_ignore(self.conn, table, [{column: owner, "alias_key": key, "origin": origin}])


def record_stories(
    conn: Connection, stories_items: Mapping[int, Sequence[int]], now: datetime
) -> int:
    """Add the moves of these stories, and the items that reported them, to the ledger.

    `stories_items` maps each story to the items this ingest added to it. Called by ingest in its
    own transaction, so the ledger always agrees with the stories. A person's move reported by
    several stories (clustering missed, or a departure story and the hire that follows) stays one
    row: the new report's items become more of its sources."""
    ids = sorted(stories_items)
    if not ids:
        return 0
    # A story whose moves are in the ledger already only brings more sources. Every outlet that
    # covers a story in a cycle passes here, so that path costs in the new items, not the story's.
    touched, known = _add_new_sources(conn, stories_items)
    if touched:
        _rescore(conn, *sorted(touched))
    ids = [sid for sid in ids if sid not in known]
    if not ids:
        return 0
    reported = (
        select(items.c.id)
        .join(move_sources, move_sources.c.item_id == items.c.id)
        .where(items.c.story_id == stories.c.id)
        .exists()
    )
    query = (
        select(
            stories.c.id,
            stories.c.move,
            stories.c.topics,
            stories.c.published_at,
            stories.c.first_seen_at,
        )
        # `people` holds a story's movers (empty or NULL without any): a cheap first filter.
        .where(
            stories.c.id.in_(ids), stories.c.people.is_not(None), stories.c.people != "", ~reported
        )
        .order_by(stories.c.id)
    )
    # A story without a move keeps JSON null, which is not SQL NULL: filtered here as well.
    rows = [r for r in conn.execute(query) if r.move and "talent_war" in (r.topics or [])]
    if not rows:
        return 0
    entities = _Entities(conn, now)
    recorded = 0
    for row in rows:
        move = Move.from_dict(row.move)
        names = ledger_people(move)
        if not names:
            continue
        published = move.published or row.published_at or row.first_seen_at
        origin = entities.org(move.from_org)
        dest = entities.org(move.to_org)
        sources = _story_items(conn, [row.id]).get(row.id, [])
        for name in names:
            pid = entities.person_id(name)
            if pid is None:
                continue
            move_id = _matching_move(conn, row.id, pid, origin, dest, published)
            if move_id is None:
                move_id = _new_id(
                    conn.execute(
                        insert(moves).values(
                            person_id=pid,
                            from_org_id=origin[0] if origin else None,
                            to_org_id=dest[0] if dest else None,
                            role=move.role,
                            kind=move.kind,
                            published_at=published,
                            story_id=row.id,
                            confidence=0.0,
                            created_at=now,
                        )
                    ).inserted_primary_key
                )
                recorded += 1
            else:
                _fill_ends(conn, move_id, origin, dest, published)
            insert_ignore(conn, move_sources, [{"move_id": move_id, **s} for s in sources])
            _rescore(conn, move_id)
    return recorded


def backfill(engine: Engine, now: datetime) -> int:
    """Record the moves of stories stored before the ledger existed (an upgrade past 0002)."""
    with engine.begin() as conn:
        query = select(stories.c.id).where(stories.c.move.is_not(None)).order_by(stories.c.id)
        ids = list(conn.execute(query).scalars())
        return sum(
            record_stories(conn, dict.fromkeys(ids[i : i + 400], ()), now)
            for i in range(0, len(ids), 400)
        )


def _add_new_sources(
    conn: Connection, stories_items: Mapping[int, Sequence[int]]
) -> tuple[set[int], set[int]]:
    """New items of stories already in the ledger, as sources of the moves those stories reported;
    returns the moves that gained a source and the stories found in the ledger. A story's moves share its items, so its oldest item
    that is a source names them (an index look-up, however many outlets covered the story)."""
    moves_of: dict[int, list[int]] = {}
    for story_id, new_ids in stories_items.items():
        if not new_ids:
            continue
        oldest = (
            select(items.c.id)
            .join(move_sources, move_sources.c.item_id == items.c.id)
            .where(items.c.story_id == story_id, items.c.id.not_in(new_ids))
            .order_by(items.c.id)
            .limit(1)
            .scalar_subquery()
        )
        found = conn.execute(select(move_sources.c.move_id).where(move_sources.c.item_id == oldest))
        moves_of[story_id] = [int(m) for m in found.scalars()]
    wanted = {sid: ids for sid, ids in stories_items.items() if moves_of.get(sid)}
    if not wanted:
        return set(), set()
    sources = _story_items(conn, list(wanted), [i for ids in wanted.values() for i in ids])
    rows = [
        {"move_id": move_id, **source}
        for story_id in wanted
        for move_id in moves_of[story_id]
        for source in sources.get(story_id, [])
    ]
    insert_ignore(conn, move_sources, rows)
    return {row["move_id"] for row in rows}, set(wanted)


def _story_items(
    conn: Connection, story_ids: Sequence[int], only: Sequence[int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """The items of these stories (or only these items of them) as move sources."""
    query = (
        select(
            items.c.id,
            items.c.story_id,
            items.c.url,
            items.c.link,
            items.c.language,
            items.c.published_at,
            feeds.c.name,
            feeds.c.url.label("feed_url"),
        )
        .join(feeds, feeds.c.id == items.c.feed_id)
        .where(items.c.story_id.in_(story_ids))
    )
    if only is not None:
        query = query.where(items.c.id.in_(only))
    found: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute(query):
        found.setdefault(int(r.story_id), []).append(
            {
                "item_id": r.id,
                "outlet": (r.name or r.feed_url)[:200],
                "url": r.url or r.link,
                "language": r.language,
                "published_at": r.published_at,
            }
        )
    return found


def _matching_move(
    conn: Connection,
    story_id: int,
    person_id: int,
    origin: tuple[int, Org] | None,
    dest: tuple[int, Org] | None,
    published: datetime,
) -> int | None:
    src, dst = orgs.alias("src"), orgs.alias("dst")
    query = (
        select(moves.c.id, moves.c.story_id, moves.c.published_at, src.c.name, dst.c.name)
        .select_from(
            moves.outerjoin(src, src.c.id == moves.c.from_org_id).outerjoin(
                dst, dst.c.id == moves.c.to_org_id
            )
        )
        .where(moves.c.person_id == person_id)
        .order_by(moves.c.published_at.desc())
    )
    for move_id, sid, when, from_name, to_name in conn.execute(query):
        if sid == story_id or same_move(
            from_name,
            to_name,
            when,
            origin[1].name if origin else None,
            dest[1].name if dest else None,
            published,
        ):
            return int(move_id)
    return None


def _fill_ends(
    conn: Connection,
    move_id: int,
    origin: tuple[int, Org] | None,
    dest: tuple[int, Org] | None,
    published: datetime,
) -> None:
    """A later report may name an end the first one left out, or carry an earlier date."""
    row = conn.execute(select(moves).where(moves.c.id == move_id)).one()
    values: dict[str, Any] = {}
    if row.fixed_by is None:
        if row.from_org_id is None and origin:
            values["from_org_id"] = origin[0]
        if row.to_org_id is None and dest:
            values["to_org_id"] = dest[0]
    if published < row.published_at:
        values["published_at"] = published
    if values:
        conn.execute(update(moves).where(moves.c.id == move_id).values(**values))


def _rescore(conn: Connection, *move_ids: int) -> None:
    if move_ids:
        _rescore_where(conn, moves.c.id.in_(move_ids))


def _rescore_where(conn: Connection, condition: Any) -> None:
    """Recompute the confidence of the moves that match from their ends and their outlets, and
    their date: the earliest publication among their sources, whichever outlet arrived first
    (one query, and an update only where something changed: it settles once well sourced)."""
    earliest = func.min(move_sources.c.published_at)
    query = (
        select(
            moves.c.id,
            moves.c.from_org_id,
            moves.c.to_org_id,
            moves.c.confidence,
            moves.c.published_at,
            func.count(distinct(move_sources.c.outlet)),
            earliest,
        )
        .select_from(moves.outerjoin(move_sources, move_sources.c.move_id == moves.c.id))
        .where(condition)
        .group_by(
            moves.c.id,
            moves.c.from_org_id,
            moves.c.to_org_id,
            moves.c.confidence,
            moves.c.published_at,
        )
    )
    scores, dates = [], []
    for mid, src, dst, old, published, outlets, first in conn.execute(query):
        score = confidence(src is not None, dst is not None, int(outlets))
        if score != old:
            scores.append({"mid": mid, "score": score})
        if first is not None and first < published:
            dates.append({"mid": mid, "first": first})
    where = moves.c.id == bindparam("mid")
    if scores:
        conn.execute(update(moves).where(where).values(confidence=bindparam("score")), scores)
    if dates:
        conn.execute(update(moves).where(where).values(published_at=bindparam("first")), dates)


class Ledger:
    """The moves ledger over SQLAlchemy Core (MovesLedger)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _load(self, conn: Connection, *where: Any) -> list[LedgerMove]:
        src, dst = orgs.alias("src"), orgs.alias("dst")
        query = (
            select(
                moves,
                people.c.name.label("person"),
                src.c.name.label("from_name"),
                dst.c.name.label("to_name"),
            )
            .select_from(
                moves.join(people, people.c.id == moves.c.person_id)
                .outerjoin(src, src.c.id == moves.c.from_org_id)
                .outerjoin(dst, dst.c.id == moves.c.to_org_id)
            )
            .where(*where)
            .order_by(moves.c.published_at, moves.c.id)
        )
        rows = list(conn.execute(query))
        sources: dict[int, list[Source]] = {}
        ids = [r.id for r in rows]
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            found = conn.execute(
                select(move_sources)
                .where(move_sources.c.move_id.in_(chunk))
                .order_by(move_sources.c.published_at, move_sources.c.id)
            )
            for s in found:
                sources.setdefault(s.move_id, []).append(
                    Source(s.outlet, s.url, s.language, s.published_at)
                )
        return [
            LedgerMove(
                id=r.id,
                person=r.person,
                from_org=r.from_name,
                to_org=r.to_name,
                role=r.role,
                kind=r.kind,
                published_at=r.published_at,
                story_id=r.story_id,
                confidence=r.confidence,
                sources=tuple(sources.get(r.id, ())),
            )
            for r in rows
        ]

    def moves(
        self, since: datetime, until: datetime | None = None, org: str | None = None
    ) -> list[LedgerMove]:
        where = [moves.c.published_at >= since]
        if until is not None:
            where.append(moves.c.published_at < until)
        with self.engine.connect() as conn:
            found = self._load(conn, *where)
            if org is None:
                return found
            name = self._org_name(conn, org)
        return [m for m in found if involves(m, name)]

    def move(self, move_id: int) -> LedgerMove | None:
        with self.engine.connect() as conn:
            found = self._load(conn, moves.c.id == move_id)
        return found[0] if found else None

    def person_moves(self, name: str) -> tuple[str, list[LedgerMove]] | None:
        with self.engine.connect() as conn:
            known = resolve_person(name, _Entities(conn).people().values())
            if known is None:
                return None
            return known.name, self._load(conn, moves.c.person_id == known.id)

    def org_moves(self, name: str, since: datetime) -> tuple[str, list[LedgerMove]]:
        with self.engine.connect() as conn:
            canonical = self._org_name(conn, name)
            found = self._load(conn, moves.c.published_at >= since)
        return canonical, [m for m in found if involves(m, canonical)]

    @staticmethod
    def _org_name(conn: Connection, name: str) -> str:
        org = resolve_org(name, _Entities(conn).recorded_orgs())
        return org.name if org else name

    def fix(self, move_id: int, fix: Fix, by: str, now: datetime) -> LedgerMove:
        """Correct one move. The wrong name becomes an alias of the right entity when nothing
        else uses it, so that later stories naming it land on the corrected person or place."""
        if fix.kind is not None and fix.kind not in COUNTED_KINDS:
            raise FixError(f"kind must be one of {', '.join(sorted(COUNTED_KINDS))}")
        with self.engine.begin() as conn:
            row = conn.execute(select(moves).where(moves.c.id == move_id)).first()
            if row is None:
                raise FixError(f"no move #{move_id} in the ledger")
            entities = _Entities(conn, now)
            values: dict[str, Any] = {"fixed_by": by[:200]}
            merges: list[tuple[Any, Any, str, int, int]] = []
            if fix.person:
                if not person_key(fix.person) or " " not in person_key(fix.person):
                    raise FixError("give the person's full name")
                pid = entities.person_id(fix.person)
                assert pid is not None
                if pid != row.person_id:
                    merges.append((people, person_aliases, "person_id", row.person_id, pid))
                values["person_id"] = pid
            for column, name in (("from_org_id", fix.from_org), ("to_org_id", fix.to_org)):
                if name is None:
                    continue
                if name in ("", "?", "-"):
                    values[column] = None
                    continue
                old = getattr(row, column)
                # The correction names the right entity: resolve it without the aliases that the
                # wrong one may have left behind.
                target = _org_by_name(conn, name, now)
                if old is not None and old != target:
                    merges.append((orgs, org_aliases, "org_id", old, target))
                values[column] = target
            if fix.kind:
                values["kind"] = fix.kind
            conn.execute(update(moves).where(moves.c.id == move_id).values(**values))
            for table, aliases, column, wrong, right in merges:
                _merge_if_unused(conn, table, aliases, column, wrong, right)
            _rescore(conn, move_id)
        fixed = self.move(move_id)
        assert fixed is not None
        return fixed


def _org_by_name(conn: Connection, name: str, now: datetime) -> int:
    org = resolve_org(name)
    assert org is not None
    oid = conn.execute(select(orgs.c.id).where(orgs.c.key == org.key)).scalar()
    if oid is None:
        oid = _new_id(
            conn.execute(
                insert(orgs).values(name=org.name, key=org.key, created_at=now)
            ).inserted_primary_key
        )
        insert_ignore(conn, org_aliases, [{"org_id": oid, "alias_key": org.key, "origin": "fix"}])
    return int(oid)


def _merge_if_unused(
    conn: Connection, table: Any, aliases: Any, column: str, wrong: int, right: int
) -> None:
    """Fold a wrong entity into the right one once no move uses it: its aliases follow, so later
    stories that name it the wrong way land on the right entity."""
    if column == "person_id":
        used = select(moves.c.id).where(moves.c.person_id == wrong)
    else:
        used = select(moves.c.id).where(
            (moves.c.from_org_id == wrong) | (moves.c.to_org_id == wrong)
        )
    if conn.execute(used.limit(1)).first() is not None:
        return
    conn.execute(
        update(aliases).where(aliases.c[column] == wrong).values(**{column: right, "origin": "fix"})
    )
    conn.execute(delete(table).where(table.c.id == wrong))
