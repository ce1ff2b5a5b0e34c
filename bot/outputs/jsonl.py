"""Append alerts to a JSON Lines file, one per story, even if a crash makes the outbox retry a send."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination


class JsonlOutput:
    def __init__(self, destination: Destination, path: Path) -> None:
        self._destination = destination
        self.path = path
        self._written: set[int] | None = None

    @property
    def destination(self) -> Destination:
        return self._destination

    def _already_written(self) -> set[int]:
        # The outbox marks a row sent after the write; a crash in between would send again. Reading the
        # story ids back once makes the retry a no-op, so the file holds each story exactly once.
        if self._written is None:
            self._written = set()
            if self.path.exists():
                with self.path.open(encoding="utf-8") as fh:
                    for line in fh:
                        try:
                            self._written.add(int(json.loads(line)["story_id"]))
                        except (ValueError, KeyError, TypeError):
                            continue
        return self._written

    async def send(self, alert: Alert) -> str | None:
        written = self._already_written()
        if alert.story_id in written:
            return f"line:{alert.story_id}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(alert.to_json(), ensure_ascii=False) + "\n"
        if self._torn_tail():
            line = "\n" + line  # a crash cut the last line short; never glue an alert onto it
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        written.add(alert.story_id)
        return f"line:{alert.story_id}"

    def _torn_tail(self) -> bool:
        try:
            with self.path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                return fh.read(1) != b"\n"
        except OSError:  # missing or empty file
            return False

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        return None

    async def aclose(self) -> None:
        return None
