"""response_url: where an app answers a slash command or interaction after acking it.

Ephemeral by default; `response_type: in_channel` posts for everyone; `replace_original` and
`delete_original` act on the message the interaction came from. Like Slack, a URL works for 30
minutes and five times.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import messaging
from .blockkit import BlockKitError, check_message_blocks

if TYPE_CHECKING:
    from .sandbox import Sandbox

MAX_USES = 5
LIFETIME = 30 * 60


@dataclass
class ResponseTarget:
    app_id: str
    user_id: str
    channel_id: str | None
    source: str | None = None  # "message" | "ephemeral": what the interaction came from
    source_ts: str | None = None
    created: float = 0.0
    uses: int = 0


class ResponseUrls:
    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.targets: dict[str, ResponseTarget] = {}

    def new(self, target: ResponseTarget) -> str:
        key = secrets.token_urlsafe(18)
        target.created = time.monotonic()
        self.targets[key] = target
        return f"{self.sb.url}response/{target.app_id}/{key}"

    async def handle(self, request: web.Request) -> web.Response:
        with self.sb.activity.busy("response_url"):
            target = self.targets.get(request.match_info["key"])
            if target is None:
                return web.Response(status=404, text="invalid_token")
            if time.monotonic() - target.created > LIFETIME:
                return web.Response(status=404, text="expired_url")
            if target.uses >= MAX_USES:
                return web.Response(status=404, text="used_url")
            target.uses += 1
            try:
                body = await request.json()
            except ValueError:
                return web.Response(status=400, text="invalid_payload")
            try:
                blocks = check_message_blocks(body.get("blocks"))
            except BlockKitError as exc:
                return web.Response(status=400, text=exc.error)
            if not body.get("text") and not blocks and not body.get("delete_original"):
                return web.Response(status=400, text="no_text")
            self.sb.response_log.append(body)
            return self._apply(target, body, blocks)

    def _apply(self, target: ResponseTarget, body: dict[str, Any],
               blocks: list[dict[str, Any]] | None) -> web.Response:
        sb, ws = self.sb, self.sb.ws
        app = ws.apps[target.app_id]
        fields = {"text": body.get("text"), "blocks": blocks, "thread_ts": body.get("thread_ts"),
                  "metadata": body.get("metadata")}
        if body.get("delete_original") or body.get("replace_original"):
            if target.source == "ephemeral":
                eph = ws.find_ephemeral(target.source_ts or "")
                if eph is None:
                    return web.Response(status=404, text="message_not_found")
                if body.get("delete_original"):
                    ws.ephemerals.remove(eph)
                else:
                    eph.message.update({k: v for k, v in fields.items() if v is not None})
                    if blocks is None:
                        eph.message.pop("blocks", None)
                return web.Response(text="ok")
            if target.source == "message":
                found = ws.find_message(target.source_ts or "")
                if found is None:
                    return web.Response(status=404, text="message_not_found")
                channel, _ = found
                if body.get("delete_original"):
                    messaging.delete(sb, channel, target.source_ts or "")
                else:
                    # The original is replaced whole: blocks left out are gone.
                    messaging.update(sb, channel, target.source_ts or "",
                                     {"text": body.get("text") or "", "blocks": blocks or []},
                                     app.bot_user_id)
                return web.Response(text="ok")
            if body.get("delete_original"):
                return web.Response(status=404, text="message_not_found")
        posted_in = ws.channels.get(target.channel_id or "")
        if posted_in is None:
            return web.Response(status=404, text="channel_not_found")
        if body.get("response_type") == "in_channel":
            message = messaging.bot_message(sb, app, fields)
            messaging.post(sb, posted_in, message)
        else:
            messaging.post_ephemeral(sb, app, posted_in, target.user_id, fields)
        return web.Response(text="ok")
