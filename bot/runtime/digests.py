"""Scheduled digests: one message per chat output, daily or weekly at a local time, never twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.chat.handlers import digest_reply
from bot.chat.talent import flow_reply
from bot.outputs.base import DeliveryError
from bot.runtime.cycle import Radar
from bot.settings import DigestSchedule

log = logging.getLogger("radar.digests")


def slot(schedule: DigestSchedule, now: datetime) -> str:
    """The period a digest covers, named in the schedule's own time zone: a local date for daily
    digests, an ISO week for weekly ones. One digest per destination and slot."""
    local = now.astimezone(ZoneInfo(schedule.timezone))
    if schedule.every == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.date().isoformat()


async def post_digest(radar: Radar, key: str, schedule: DigestSchedule) -> bool:
    """Post the digest for this output's current slot; False when it was already posted."""
    output = radar.outputs.get(key)
    post = getattr(output, "post_reply", None)
    if post is None:
        log.warning("digest for %s skipped: that output cannot post digests", key)
        return False
    now = radar.clock()
    if not radar.store.claim_digest(key, slot(schedule, now)):
        return False  # another process, or this one before a restart, already posted it
    weekly = schedule.every == "weekly"
    topic = schedule.topics[0] if len(set(schedule.topics)) == 1 else None
    period = timedelta(days=7 if weekly else 1)
    label = "7d" if weekly else "24h"
    if schedule.kind == "talent":
        title = f"{'Weekly' if weekly else 'Daily'} talent flow, last {label}"
        reply = await flow_reply(radar.store.ledger, now - period, title)
    else:
        reply = digest_reply(radar.store, now - period, topic, label)
    try:
        await post(reply)
    except (DeliveryError, OSError) as exc:
        log.warning("digest for %s failed: %s", key, exc)
        return False
    log.info("digest posted to %s", key)
    return True
