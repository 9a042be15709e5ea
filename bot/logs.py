"""Logging: one line per record, to stderr. Never log message content (DESIGN §6)."""

from __future__ import annotations

import logging


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Bolt and the SDK are chatty at DEBUG, and may print payloads: keep them at WARNING
    # unless the admin explicitly asks for DEBUG.
    if level != "DEBUG":
        for name in (
            "slack_bolt",
            "slack_sdk",
            "casusbot.bolt",
            "aiohttp.access",
            "alembic",
            "fontTools",
        ):
            logging.getLogger(name).setLevel(logging.WARNING)
