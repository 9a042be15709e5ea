"""The state of a stand-in Slack workspace: team, users, channels, messages, views, files.

This module holds data and plain queries only; the Web API, the delivery of events and the
test API all change state through the methods here so the rules live in one place.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class User:
    id: str
    handle: str
    real_name: str
    title: str = ""
    role: str = ""
    tz: str = "Europe/Amsterdam"
    locale: str = "nl-NL"
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    is_admin: bool = False
    deleted: bool = False

    @property
    def display_name(self) -> str:
        return self.real_name.split()[0] if self.real_name and not self.is_bot else self.handle

    def tz_offset(self) -> int:
        # Computed for "now" like Slack does, so DST is right whichever day the tests run.
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        return int(offset.total_seconds()) if offset else 0

    def to_slack(self, team_id: str, *, include_locale: bool = False) -> dict[str, Any]:
        now = datetime.now(ZoneInfo(self.tz))
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "display_name": self.display_name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.display_name,
            "title": self.title,
            "team": team_id,
        }
        if self.is_bot:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "name": self.handle,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": now.tzname() or self.tz,
            "tz_offset": self.tz_offset(),
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }
        if include_locale:
            data["locale"] = self.locale
        return data


@dataclass
class Channel:
    id: str
    name: str
    creator: str
    created: int
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None
    members: set[str] = field(default_factory=set)
    topic: str = ""
    purpose: str = ""
    # ts -> message; ts values only grow, so insertion order is chronological order.
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    canvas: StoredFile | None = None  # the channel canvas, once an app created one

    @property
    def channel_type(self) -> str:
        """The `channel_type` of message events: Slack still calls private channels 'group'."""
        if self.is_im:
            return "im"
        return "group" if self.is_private else "channel"

    def to_slack(self, viewer: str | None = None, *, num_members: bool = False) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": self.name == "algemeen",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": self.created,
            "creator": self.creator,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
        }
        if viewer is not None:
            data["is_member"] = viewer in self.members
        if self.canvas is not None:
            data["properties"] = {"canvas": {
                "file_id": self.canvas.id, "is_empty": not self.canvas.markdown.strip(),
                "quip_thread_id": self.canvas.quip_thread_id}}
        if num_members:
            data["num_members"] = len(self.members)
        return data

    def top_level(self) -> list[dict[str, Any]]:
        """Messages shown in the channel itself: parents, plain messages and broadcast replies."""
        return [
            m for m in self.messages.values()
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]

    def replies(self, thread_ts: str) -> list[dict[str, Any]]:
        return [
            m for m in self.messages.values()
            if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
        ]


@dataclass
class App:
    """An installed app: its bot user, tokens and where Slack delivers its requests."""

    app_id: str
    name: str
    bot_user_id: str
    bot_id: str
    bot_token: str
    app_token: str
    signing_secret: str
    verification_token: str
    request_url: str | None = None
    commands: tuple[str, ...] | None = None  # None: the app answers every slash command
    events: frozenset[str] | None = None  # None: subscribed to every event the sandbox emits
    scopes: frozenset[str] | None = None  # None: every bot scope granted

    def handles_command(self, command: str) -> bool:
        if self.scopes is not None and "commands" not in self.scopes:
            return False
        return self.commands is None or command in self.commands

    def subscribed(self, event_type: str, channel_type: str | None = None) -> bool:
        """Message events are subscribed per kind of conversation, as in a manifest:
        message.channels, message.groups, message.im (or plain `message` for all)."""
        if self.events is None or event_type in self.events:
            return True
        if event_type == "message" and channel_type:
            kind = {"channel": "channels", "group": "groups"}.get(channel_type, channel_type)
            return f"message.{kind}" in self.events
        return False


@dataclass
class Ephemeral:
    channel: str
    user: str
    message: dict[str, Any]


@dataclass
class ViewRecord:
    view: dict[str, Any]
    user_id: str
    app_id: str


@dataclass
class StoredFile:
    id: str
    name: str
    length: int
    uploader: str
    title: str = ""
    content: bytes | None = None
    alt_txt: str | None = None
    shared_in: list[str] = field(default_factory=list)
    # (channel id, ts of the message that shares it, thread ts or None), as files.info's shares
    shares: list[tuple[str, str, str | None]] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))
    canvas_of: str | None = None  # a channel canvas: its channel; content is the markdown
    quip_thread_id: str = ""

    @property
    def is_canvas(self) -> bool:
        return self.canvas_of is not None

    @property
    def markdown(self) -> str:
        return (self.content or b"").decode("utf-8")

    def to_slack(self, base_url: str) -> dict[str, Any]:
        data = {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": "application/octet-stream",
            "filetype": self.name.rsplit(".", 1)[-1] if "." in self.name else "binary",
            "user": self.uploader,
            "size": len(self.content) if self.content is not None else self.length,
            "url_private": f"{base_url}files/{self.id}/{self.name}",
            "channels": [c for c in self.shared_in if c.startswith("C")],
            "ims": [c for c in self.shared_in if c.startswith("D")],
            "groups": [],
            "is_public": False,
        }
        if self.is_canvas:
            # How Slack describes a canvas in files.info.
            data.update(mimetype="application/vnd.slack-docs", filetype="quip",
                        pretty_type="Canvas", is_channel_space=True,
                        linked_channel_id=self.canvas_of)
        return data


class Workspace:
    """One Slack workspace. Create with `Workspace(...)` or the seeded `Workspace.demo()`."""

    def __init__(self, team_id: str = "T0SANDBOX", name: str = "Sandbox", domain: str = "sandbox"):
        self.team_id = team_id
        self.name = name
        self.domain = domain
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.apps: dict[str, App] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, ViewRecord] = {}
        self.modal_stacks: dict[str, list[str]] = {}  # user id -> view ids, bottom first
        self.homes: dict[tuple[str, str], str] = {}  # (user id, app id) -> view id
        self.files: dict[str, StoredFile] = {}
        self.deleted_files: set[str] = set()
        # Channel canvases: "on"; "team_tier" (a free team: none can be created); "disabled"
        # (an admin turned canvases off: none can be created or edited).
        self.canvases = "on"
        # Who may remove members from private channels (Slack's workspace setting): "everyone",
        # or "admins" — then an app's conversations.kick gets restricted_action.
        self.kick_by = "everyone"
        self.ts_index: dict[str, str] = {}  # message ts -> channel id
        # What each user selected in a message's inputs, per (user, channel, ts): Slack keeps
        # this client-side per user and sends it along as `state.values`.
        self.message_state: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
        self._counter = 0
        self._last_ts = 0

    # ----- ids and timestamps -----

    def new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}0{self._counter:08X}"

    def new_ts(self) -> str:
        # Strictly increasing, so a ts identifies one message and orders them.
        micro = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micro
        return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"

    @staticmethod
    def new_secret(prefix: str = "", size: int = 24) -> str:
        return prefix + secrets.token_hex(size // 2)

    # ----- users -----

    def add_user(self, handle: str, real_name: str, *, id: str | None = None, **kw: Any) -> User:
        user = User(id=id or self.new_id("U"), handle=handle, real_name=real_name, **kw)
        self.users[user.id] = user
        return user

    def find_user(self, key: str) -> User | None:
        key = key.removeprefix("@")
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u.handle == key), None)

    # ----- channels -----

    def add_channel(
        self, name: str, *, private: bool = False, members: list[str] | tuple[str, ...] = (),
        creator: str | None = None, id: str | None = None, topic: str = "", purpose: str = "",
    ) -> Channel:
        member_ids = {self._user_id(m) for m in members}
        ch = Channel(
            id=id or self.new_id("C"), name=name, is_private=private, members=member_ids,
            creator=self._user_id(creator) if creator else next(iter(sorted(member_ids)), ""),
            created=int(time.time()), topic=topic, purpose=purpose,
        )
        self.channels[ch.id] = ch
        return ch

    def _user_id(self, key: str) -> str:
        user = self.find_user(key)
        if user is None:
            raise KeyError(f"no user {key!r} in workspace {self.name}")
        return user.id

    def find_channel(self, key: str) -> Channel | None:
        key = key.removeprefix("#")
        if key in self.channels:
            return self.channels[key]
        return next((c for c in self.channels.values() if c.name == key and not c.is_im), None)

    def dm(self, user_id: str, bot_user_id: str) -> Channel:
        """The direct message channel between a user and a bot, created on first use."""
        for ch in self.channels.values():
            if ch.is_im and ch.members == {user_id, bot_user_id}:
                return ch
        ch = Channel(
            id=self.new_id("D"), name=user_id, creator=bot_user_id, created=int(time.time()),
            is_im=True, im_user=user_id, members={user_id, bot_user_id},
        )
        self.channels[ch.id] = ch
        return ch

    # ----- messages -----

    def add_message(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        ts = message["ts"]
        channel.messages[ts] = message
        self.ts_index[ts] = channel.id
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != ts and thread_ts in channel.messages:
            parent = channel.messages[thread_ts]
            parent.setdefault("thread_ts", thread_ts)
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            author = message.get("user") or message.get("bot_id")
            users = parent.setdefault("reply_users", [])
            if author and author not in users:
                users.append(author)
            parent["reply_users_count"] = len(users)
            parent["latest_reply"] = ts
        return message

    def remove_message(self, channel: Channel, ts: str) -> dict[str, Any]:
        message = channel.messages[ts]
        thread_ts = message.get("thread_ts")
        if thread_ts == ts and message.get("reply_count"):
            # A thread parent with replies stays as a tombstone, as in Slack.
            tombstone: dict[str, Any] = {
                "type": "message", "subtype": "tombstone", "ts": ts, "thread_ts": ts,
                "text": "This message was deleted.", "user": "USLACKBOT", "hidden": True,
                **{k: message[k] for k in ("reply_count", "reply_users", "latest_reply")
                   if k in message},
            }
            channel.messages[ts] = tombstone
            return message
        del channel.messages[ts]
        self.ts_index.pop(ts, None)
        if thread_ts and thread_ts != ts and thread_ts in channel.messages:
            parent = channel.messages[thread_ts]
            parent["reply_count"] = max(0, parent.get("reply_count", 1) - 1)
            replies = self.channels[channel.id].replies(thread_ts)
            parent["latest_reply"] = replies[-1]["ts"] if replies else thread_ts
        return message

    def find_message(self, ts: str) -> tuple[Channel, dict[str, Any]] | None:
        channel_id = self.ts_index.get(ts)
        if channel_id is None or ts not in self.channels[channel_id].messages:
            return None
        return self.channels[channel_id], self.channels[channel_id].messages[ts]

    def find_ephemeral(self, ts: str) -> Ephemeral | None:
        return next((e for e in self.ephemerals if e.message["ts"] == ts), None)

    # ----- files -----

    def delete_file(self, file_id: str) -> StoredFile:
        """Gone for good: downloads, files.info and the channel canvas tab. Messages that
        shared it show a tombstone in its place; one that held nothing else disappears."""
        stored = self.files.pop(file_id)
        self.deleted_files.add(file_id)
        if stored.canvas_of and stored.canvas_of in self.channels:
            self.channels[stored.canvas_of].canvas = None
        for channel_id, ts, _ in stored.shares:
            channel = self.channels.get(channel_id)
            message = channel.messages.get(ts) if channel else None
            if channel is None or message is None:
                continue
            files = [f if f.get("id") != file_id else {"id": file_id, "mode": "tombstone"}
                     for f in message.get("files") or []]
            message["files"] = files
            if not message.get("text") and all(f.get("mode") == "tombstone" for f in files):
                self.remove_message(channel, ts)
        return stored

    # ----- the seeded demo workspace -----

    @classmethod
    def demo(cls) -> Workspace:
        """ZVH Midden-Nederland: the professionals of a case meeting (all names fictional)."""
        ws = cls(team_id="T0ZVH00001", name="ZVH Midden-Nederland", domain="zvh-midden-nl")
        zvh, vt = "Zorg- en Veiligheidshuis Midden-Nederland", "Veilig Thuis Midden-Nederland"
        people = [
            ("petra", "Petra van Dijk", "procesregisseur", zvh, "nl-NL"),
            ("karim", "Karim El Amrani", "casusregisseur", vt, "nl-NL"),
            ("sanne", "Sanne de Vries", "wijkteam", "Wijkteam Utrecht-Oost", "nl-NL"),
            ("joost", "Joost Bakker", "reclassering", "Reclassering Nederland", "nl-NL"),
            ("ilse", "Ilse Jansen", "politie", "Politie Midden-Nederland", "en-US"),
            ("lotte", "Lotte Visser", "ggz", "GGZ Centraal", "nl-NL"),
            ("gast_bram", "Bram Hendriks", "gast", "Basisschool De Regenboog", "nl-NL"),
        ]  # fmt: skip
        for handle, real_name, role, org, locale in people:
            uid = "U0" + handle.replace("_", "").upper()
            ws.add_user(handle, real_name, id=uid, title=org, role=role, locale=locale,
                        is_admin=handle == "petra")
        everyone = [h for h, *_ in people]
        ws.add_channel("algemeen", id="C0ALGEMEEN", members=everyone, creator="petra",
                       purpose="Algemene mededelingen van het ZVH")
        ws.add_channel("casus-demo", id="C0CASUSDEMO", private=True, creator="petra",
                       members=["petra", "karim", "sanne", "joost", "ilse", "lotte"],
                       purpose="Demo-casus (pseudoniem) voor het casusoverleg")
        return ws
