"""Finding the message or view a test user means, and the element in it they act on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import modals
from .blockkit import interactive_elements
from .elements import ElementError, Found, find, initial_state
from .payloads import Surface
from .workspace import Channel, User

if TYPE_CHECKING:
    from .sandbox import Sandbox

MessageRef = dict[str, Any] | tuple[str | Channel, str]
ViewRef = dict[str, Any] | str


def _message_surface(sb: Sandbox, user: User, channel: Channel, message: dict[str, Any],
                     kind: str) -> Surface:
    key = (user.id, channel.id, message["ts"])
    if key not in sb.ws.message_state:
        sb.ws.message_state[key] = initial_state(message.get("blocks") or [], all_inputs=False)
    return Surface(kind, message.get("blocks") or [], sb.ws.message_state[key], channel=channel,
                   message=message, app_id=message.get("app_id"))


def from_message(sb: Sandbox, user: User, ref: MessageRef) -> Surface:
    if isinstance(ref, tuple):
        key, ts = ref
        channel = key if isinstance(key, Channel) else sb.channel(key)
    else:
        ts = ref["ts"]
        found = sb.ws.find_message(ts)
        eph = sb.ws.find_ephemeral(ts)
        if found:
            channel = found[0]
        elif eph:
            channel = sb.ws.channels[eph.channel]
        else:
            raise ElementError(f"message {ts} does not exist (any more)")
    message = channel.messages.get(ts)
    if message is not None:
        if user.id not in channel.members:
            raise ElementError(f"{user.handle} is not in #{channel.name} and cannot see {ts}")
        return _message_surface(sb, user, channel, message, "message")
    eph = sb.ws.find_ephemeral(ts)
    if eph is not None and eph.user == user.id:
        return _message_surface(sb, user, channel, eph.message, "ephemeral")
    raise ElementError(f"no message {ts} in #{channel.name} visible to {user.handle}")


def from_view(sb: Sandbox, user: User, ref: ViewRef) -> Surface:
    if ref == "modal":
        record = modals.top(sb, user.id)
        if record is None:
            raise ElementError(f"{user.handle} has no modal open")
    elif ref == "home":
        homes = [sb.ws.views[v] for (u, _), v in sb.ws.homes.items() if u == user.id]
        if not homes:
            raise ElementError(f"no home tab published for {user.handle}")
        record = homes[0]
    else:
        view_id = ref["id"] if isinstance(ref, dict) else ref
        record = sb.ws.views.get(view_id)
        if record is None or record.user_id != user.id:
            raise ElementError(f"view {view_id} is not open for {user.handle}")
    return Surface("view", record.view["blocks"], record.view["state"]["values"], record=record,
                   app_id=record.app_id)


def candidates(sb: Sandbox, user: User, *, message: MessageRef | None = None,
               view: ViewRef | None = None,
               channel: str | Channel | None = None) -> list[Surface]:
    """The surfaces to search, most likely first."""
    if message is not None:
        return [from_message(sb, user, message)]
    if view is not None:
        return [from_view(sb, user, view)]
    if channel is not None:
        ch = channel if isinstance(channel, Channel) else sb.channel(channel)
        if user.id not in ch.members:
            raise ElementError(f"{user.handle} is not in #{ch.name}")
        mine = [(e.message, "ephemeral") for e in sb.ws.ephemerals
                if e.channel == ch.id and e.user == user.id]
        everyone = [(m, "message") for m in ch.messages.values()]
        ordered = sorted(mine + everyone, key=lambda p: float(p[0]["ts"]), reverse=True)
        return [_message_surface(sb, user, ch, m, kind) for m, kind in ordered]
    surfaces = []
    if modals.top(sb, user.id) is not None:
        surfaces.append(from_view(sb, user, "modal"))
    if any(u == user.id for u, _ in sb.ws.homes):
        surfaces.append(from_view(sb, user, "home"))
    if not surfaces:
        raise ElementError(f"{user.handle} has no modal or home tab open; pass message=, "
                           "view= or channel=")
    return surfaces


def locate(surfaces: list[Surface], action_id: str, *, block_id: str | None,
           value: str | None) -> tuple[Surface, Found]:
    for surface in surfaces:
        matches = find(surface.blocks, action_id, block_id=block_id, value=value)
        if len(matches) == 1:
            return surface, matches[0]
        if len(matches) > 1:
            options = [(m.block.get("block_id"), m.element.get("value")) for m in matches]
            raise ElementError(f"{len(matches)} elements with action_id {action_id!r}; pass "
                               f"block_id= or value= to pick one of {options}")
    seen = sorted({f"{b.get('block_id')}/{e.get('action_id')}" for s in surfaces
                   for b in s.blocks for e in interactive_elements(b)})
    raise ElementError(f"no element with action_id {action_id!r}"
                       f"{f' and value {value!r}' if value else ''}; available: {seen[:40]}")
