"""Logging set-up: rich, readable lines on a terminal; plain timestamped lines otherwise."""

from __future__ import annotations

import logging
import sys

from rich.logging import RichHandler


def setup_logging(verbosity: int = 0) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if sys.stderr.isatty():
        handler = RichHandler(
            show_path=False, markup=False, rich_tracebacks=False, log_time_format="[%X]"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
            )
        )
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries speak only when something is wrong, unless the user asks for debug output.
    for name in ("apscheduler", "aiohttp", "sqlalchemy", "alembic", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
