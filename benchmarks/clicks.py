"""Vote clicks as Slack sends them: block_actions payloads built from the real voting message
by the sandbox's own payload code, form-encoded, signed at send time by the load generator.

Each voter clicks several different scores. Slack's `action_ts` (the time of the click) is
what decides which click is newer, so it grows with every click we make; a voter's last click
is the one with the highest `action_ts`, and that value must be what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.load import Request
from sandbox import App, Sandbox
from sandbox import payloads as slack_payloads
from sandbox.delivery import encode
from sandbox.elements import action_entry
from sandbox.responses import ResponseTarget
from sandbox.surfaces import candidates, locate


@dataclass
class Clicks:
    requests: list[Request]
    last_value: dict[str, int]  # voter id -> the score of their newest click


class ClickMaker:
    """Makes clicks with ever-growing action_ts, so every new series is newer than the last."""

    def __init__(self, sb: Sandbox, app: App, channel: str, ballot_ts: str) -> None:
        self.sb, self.app, self.channel, self.ballot_ts = sb, app, channel, ballot_ts
        self._clock = float(ballot_ts)  # clicks happen after the ballot was posted
        self._series = 0

    def series(self, voters: list[str], clicks_each: int) -> Clicks:
        """`clicks_each` clicks per voter, a voter's clicks next to each other (a person
        changing their mind quickly), so at concurrency > 1 they are in flight together and
        may arrive out of order."""
        self._series += 1
        requests: list[Request] = []
        last: dict[str, int] = {}
        for v, voter in enumerate(voters):
            for k in range(clicks_each):
                score = (v + k * 3 + self._series) % 10 + 1  # k*3: a voter's scores all differ
                requests.append(self.click(voter, score))
                last[voter] = score
        return Clicks(requests, last)

    def click(self, voter: str, score: int) -> Request:
        self._clock += 0.001
        user = self.sb.ws.users[voter]
        surface, found = locate(
            candidates(self.sb, user, message=(self.channel, self.ballot_ts)),
            f"vote_{score}",
            block_id=None,
            value=None,
        )
        action = action_entry(found, None, f"{self._clock:.6f}")
        channel_id = self.sb.channel(self.channel).id
        url = self.sb.response_urls.new(
            ResponseTarget(self.app.app_id, user.id, channel_id, surface.kind, self.ballot_ts)
        )
        trigger = self.sb.new_trigger(self.app, user.id)
        body = slack_payloads.block_actions(self.sb, self.app, user, surface, action, trigger, url)
        text, content_type = encode("interactive", body)
        return Request(text, content_type)
