"""`SandboxUser`: act as a person in the workspace and see what they see.

Every action goes to the app the way Slack would send it (signed HTTP or Socket Mode), so the
bot under test runs its real request path.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import events, messaging, modals, payloads, surfaces
from .blockkit import check_message_blocks, check_view
from .client_checks import InputRejected, check_inputs
from .elements import ElementError, Found, action_entry, convert, find, state_entry
from .responses import ResponseTarget
from .workspace import App, Channel, StoredFile, User

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["InputRejected", "SandboxUser"]


class SandboxUser:
    def __init__(self, sb: Sandbox, user: User):
        self.sb = sb
        self.user = user

    def __repr__(self) -> str:
        return f"<SandboxUser {self.user.handle} {self.user.id}>"

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def handle(self) -> str:
        return self.user.handle

    def _app(self, app: App | None) -> App:
        return app or self.sb.app

    def _channel(self, key: str | Channel | None, app: App | None = None) -> Channel:
        if key is None or key == "dm":
            return self.dm_channel(app)
        return key if isinstance(key, Channel) else self.sb.channel(key)

    def dm_channel(self, app: App | None = None) -> Channel:
        return self.sb.ws.dm(self.id, self._app(app).bot_user_id)

    # ----- messages -----

    async def post(self, channel: str | Channel, text: str, *, thread_ts: str | None = None,
                   reply_broadcast: bool = False) -> str:
        ch = self._channel(channel)
        if self.id not in ch.members:
            raise PermissionError(f"{self.handle} is not a member of #{ch.name}")
        if thread_ts:
            root = messaging.thread_root(ch, thread_ts)
            if root is None:
                raise LookupError(f"no message {thread_ts} in #{ch.name}")
            thread_ts = root
        message = messaging.user_message(self.sb, self.user, text, thread_ts=thread_ts)
        messaging.post(self.sb, ch, message, broadcast=reply_broadcast)
        return message["ts"]

    async def post_dm(self, text: str, *, thread_ts: str | None = None,
                      app: App | None = None) -> str:
        return await self.post(self.dm_channel(app), text, thread_ts=thread_ts)

    async def upload(self, channel: str | Channel, content: str | bytes, filename: str, *,
                     title: str | None = None, comment: str = "",
                     thread_ts: str | None = None) -> str:
        """Share a file as this person (drag and drop in the client); returns its file id."""
        ch = self._channel(channel)
        if self.id not in ch.members:
            raise PermissionError(f"{self.handle} is not a member of #{ch.name}")
        root = messaging.thread_root(ch, thread_ts) if thread_ts else None
        if thread_ts and root is None:
            raise LookupError(f"no message {thread_ts} in #{ch.name}")
        data = content.encode() if isinstance(content, str) else content
        ws = self.sb.ws
        stored = StoredFile(id=ws.new_id("F"), name=filename, length=len(data), uploader=self.id,
                            title=title or filename, content=data, shared_in=[ch.id])
        ws.files[stored.id] = stored
        message = messaging.user_message(self.sb, self.user, comment, thread_ts=root)
        message.update(files=[stored.to_slack(self.sb.url)], upload=True, subtype="file_share")
        if not comment:
            message.pop("blocks")
        stored.shares.append((ch.id, message["ts"], root))
        messaging.post(self.sb, ch, message)
        return stored.id

    def _own(self, channel: str | Channel, ts: str) -> tuple[Channel, dict[str, Any]]:
        ch = self._channel(channel)
        message = ch.messages.get(ts)
        if message is None or message.get("user") != self.id or message.get("bot_id"):
            raise PermissionError(f"{self.handle} has no message {ts} in #{ch.name}")
        return ch, message

    async def edit(self, channel: str | Channel, ts: str, text: str) -> None:
        ch, _ = self._own(channel, ts)
        blocks = messaging.user_message(self.sb, self.user, text)["blocks"]
        messaging.update(self.sb, ch, ts, {"text": text, "blocks": blocks}, self.id)

    async def delete(self, channel: str | Channel, ts: str) -> None:
        ch, _ = self._own(channel, ts)
        messaging.delete(self.sb, ch, ts)

    def ephemerals(self, channel: str | Channel | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages shown to this user (and nobody else), oldest first."""
        ch_id = None if channel is None else self._channel(channel).id
        return [copy.deepcopy(e.message) for e in self.sb.ws.ephemerals
                if e.user == self.id and (ch_id is None or e.channel == ch_id)]

    def dms(self, app: App | None = None) -> list[dict[str, Any]]:
        """Top-level messages in this user's DM with the bot."""
        return self.sb.messages(self.dm_channel(app))

    async def invite(self, channel: str | Channel, user: str) -> None:
        ch = self._channel(channel)
        if self.id not in ch.members:
            raise PermissionError(f"{self.handle} is not a member of #{ch.name}")
        self.sb.invite(ch, user, by=self.id)

    # ----- slash commands -----

    async def slash(self, command: str, text: str = "", *, channel: str | Channel | None = None,
                    app: App | None = None) -> dict[str, Any] | None:
        """Run a slash command; returns the app's ack body (also shown to the user like Slack)."""
        if not command.startswith("/"):
            command = "/" + command
        owner = app or next((a for a in self.sb.ws.apps.values() if a.handles_command(command)),
                            None)
        if owner is None:
            raise LookupError(f"no installed app has the command {command}")
        ch = self._channel(channel, owner)
        if not ch.is_im and self.id not in ch.members:
            raise PermissionError(f"{self.handle} is not a member of #{ch.name}")
        url = self.sb.response_urls.new(ResponseTarget(owner.app_id, self.id, ch.id))
        trigger = self.sb.new_trigger(owner, self.id)
        body = payloads.slash_command(self.sb, owner, self.user, command, text, ch, url, trigger)
        ack = await self.sb.delivery.send(owner, "slash_commands", body)
        if ack and (ack.get("text") or ack.get("blocks")):
            blocks = check_message_blocks(ack.get("blocks"))
            fields = {"text": ack.get("text"), "blocks": blocks}
            if ack.get("response_type") == "in_channel":
                messaging.post(self.sb, ch, messaging.bot_message(self.sb, owner, fields))
            else:
                messaging.post_ephemeral(self.sb, owner, ch, self.id, fields)
        return ack

    # ----- block actions -----

    async def click(self, action_id: str, *, message: surfaces.MessageRef | None = None,
                    view: surfaces.ViewRef | None = None, channel: str | Channel | None = None,
                    value: str | None = None, block_id: str | None = None,
                    tamper: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Click a button. Without message/view/channel: the open modal, then the home tab.

        `tamper` overrides fields of the sent action (e.g. {"value": "..."}) to play a forged
        or stale request; everything else, signature included, stays genuine.
        """
        found_in = surfaces.candidates(self.sb, self.user, message=message, view=view,
                                       channel=channel)
        surface, found = surfaces.locate(found_in, action_id, block_id=block_id, value=value)
        if found.element["type"] not in ("button", "workflow_button"):
            raise ElementError(f"{action_id!r} is a {found.element['type']}; use select()")
        return await self._dispatch(surface, found, None, tamper)

    async def select(self, action_id: str, value: Any, *,
                     message: surfaces.MessageRef | None = None,
                     view: surfaces.ViewRef | None = None, channel: str | Channel | None = None,
                     block_id: str | None = None) -> dict[str, Any] | None:
        """Choose a value in any stateful element (select, picker, checkboxes, text input...).

        Sends block_actions when Slack would (always outside input blocks; inside them only
        with dispatch_action); otherwise just remembers the value for the next submit.
        """
        found_in = surfaces.candidates(self.sb, self.user, message=message, view=view,
                                       channel=channel)
        surface, found = surfaces.locate(found_in, action_id, block_id=block_id, value=None)
        converted = convert(found.element, value, self._resolve_user)
        if found.element["type"] != "overflow":
            surface.state.setdefault(found.block["block_id"], {})[action_id] = state_entry(
                found.element, converted)
        if not found.dispatches:
            return None
        return await self._dispatch(surface, found, converted)

    set_value = select

    def _resolve_user(self, key: str) -> str:
        found = self.sb.ws.find_user(key)
        if found is None:
            raise ElementError(f"no user {key!r}")
        return found.id

    async def _dispatch(self, surface: payloads.Surface, found: Found, value: Any,
                        tamper: dict[str, Any] | None = None) -> dict[str, Any] | None:
        app = self.sb.ws.apps.get(surface.app_id or "") or self.sb.app
        action = {**action_entry(found, value, self.sb.ws.new_ts()), **(tamper or {})}
        trigger = self.sb.new_trigger(app, self.id)
        url = None
        if surface.kind != "view":
            assert surface.channel is not None and surface.message is not None
            url = self.sb.response_urls.new(ResponseTarget(
                app.app_id, self.id, surface.channel.id, surface.kind, surface.message["ts"]))
        body = payloads.block_actions(self.sb, app, self.user, surface, action, trigger, url)
        return await self.sb.delivery.send(app, "interactive", body)

    # ----- home tab -----

    async def open_home(self, app: App | None = None) -> None:
        events.home_opened(self.sb, self._app(app), self.id)

    @property
    def home(self) -> dict[str, Any] | None:
        """The home tab the (only) app published for this user, or None."""
        view_id = self.sb.ws.homes.get((self.id, self.sb.app.app_id))
        return copy.deepcopy(self.sb.ws.views[view_id].view) if view_id else None

    # ----- modals -----

    @property
    def modal(self) -> dict[str, Any] | None:
        record = modals.top(self.sb, self.id)
        return copy.deepcopy(record.view) if record else None

    @property
    def modal_stack(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(self.sb.ws.views[v].view)
                for v in self.sb.ws.modal_stacks.get(self.id, [])]

    async def submit(
        self, values: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """Fill in the top modal and press its submit button; returns the app's ack body."""
        record = modals.top(self.sb, self.id)
        if record is None:
            raise ElementError(f"{self.handle} has no modal open")
        view = record.view
        if not view.get("submit"):
            raise ElementError("this modal has no submit button")
        state = view["state"]["values"]
        for block_id, actions in (values or {}).items():
            for action_id, value in actions.items():
                matches = find(view["blocks"], action_id, block_id=block_id)
                if not matches:
                    raise ElementError(f"modal has no element {block_id}/{action_id}")
                element = matches[0].element
                state.setdefault(block_id, {})[action_id] = state_entry(
                    element, convert(element, value, self._resolve_user))
        check_inputs(view)
        app = self.sb.ws.apps[record.app_id]
        trigger = self.sb.new_trigger(app, self.id)
        body = payloads.view_submission(self.sb, app, self.user, record, trigger)
        ack = await self.sb.delivery.send(app, "interactive", body)
        self._after_submit(app, record, ack or {})
        return ack

    def _after_submit(self, app: App, record: Any, ack: dict[str, Any]) -> None:
        action = ack.get("response_action")
        if action == "errors":
            inputs = {b["block_id"] for b in record.view["blocks"] if b.get("type") == "input"}
            unknown = set(ack.get("errors") or {}) - inputs
            if unknown:
                raise ElementError(f"response_action errors names non-input blocks {unknown}")
            return
        if action == "update":
            modals.replace(self.sb, record, check_view(ack.get("view")))
        elif action == "push":
            modals.push_modal(self.sb, app, self.id, check_view(ack.get("view")))
        elif action == "clear":
            modals.clear(self.sb, self.id)
        else:
            modals.pop(self.sb, self.id)

    async def close_modal(self) -> None:
        """Press Cancel/×: notifies the app when the view asked for notify_on_close."""
        record = modals.top(self.sb, self.id)
        if record is None:
            raise ElementError(f"{self.handle} has no modal open")
        clear = record.view.get("clear_on_close", False)
        if clear:
            modals.clear(self.sb, self.id)
        else:
            modals.pop(self.sb, self.id)
        if record.view.get("notify_on_close"):
            app = self.sb.ws.apps[record.app_id]
            body = payloads.view_closed(self.sb, app, self.user, record, bool(clear))
            await self.sb.delivery.send(app, "interactive", body)
