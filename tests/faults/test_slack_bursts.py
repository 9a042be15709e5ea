"""Slack 429 and 5xx bursts, injected by the sandbox on every method a meeting step uses, while
the real bot walks a meeting (issue 17).

A move is stored before its ack whatever Slack does; the outbox retries what Slack refused until
the thread shows the meeting as stored — the next question once, with its buttons, the passed
one without — and the regisseur is told the truth ("vastgelegd … het bericht volgt"), never
that nothing changed. Figures are printed as FAULTS lines; CASUSBOT_LONG_FAULTS=1 walks longer
through a denser storm.
"""

from __future__ import annotations

import time

from sandbox.delivery import DeliveryError
from tests.e2e.conftest import CASE_CHANNEL
from tests.e2e.meeting_steps import text_of
from tests.faults.conftest import LONG, Stage, figure
from tests.faults.meeting_faults import (
    click_on,
    converged,
    duplicates,
    open_meeting,
    posed,
    start,
    stored_meeting,
    stranded,
)

STEPS = 12 if LONG else 4
PROBABILITY = 0.4 if LONG else 0.3
# Slack's backoff doubles to 60 s: a denser storm takes longer to see through.
CONVERGE_LIMIT = 240.0 if LONG else 90.0
# Every Web API method a meeting step calls: the next question, the old one's buttons and the
# parent (post, update), the look for an earlier post after a failed one (history, replies),
# the private answers (ephemeral, a DM), the user's language.
STEP_METHODS = [
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "conversations.history",
    "conversations.replies",
    "conversations.open",
    "users.info",
]


async def test_slack_bursts_on_every_step_method_the_meeting_converges(stage: Stage) -> None:
    await start(stage)
    thread_ts = await open_meeting(stage)
    stage.sb.faults.randomly(
        PROBABILITY, kinds=("ratelimited", "http_503"), method=STEP_METHODS, seed=7
    )
    petra = stage.sb.user("petra")
    unacked = 0
    converge_times: list[float] = []
    started = time.monotonic()
    for _ in range(STEPS):
        version = (await stored_meeting(stage)).version
        try:
            await click_on(stage, "petra", thread_ts)
        except DeliveryError:
            unacked += 1
        assert (await stored_meeting(stage)).version > version, "the acked move is not stored"
        # The regisseur waits until the next question shows, as she would: Slack catches up
        # while the storm goes on.
        converge_times.append(await converged(stage, CONVERGE_LIMIT))
        assert not await stranded(stage, thread_ts)
    served = sum(1 for call in stage.sb.api_calls if call.fault)
    stage.sb.faults.clear()
    await converged(stage)
    told = [text_of(m) for m in petra.ephemerals(CASE_CHANNEL)]
    twice = duplicates(stage, thread_ts)
    repeated = {q: n for q, n in posed(stage, thread_ts).items() if n > 1}
    figure(
        f"Slack 429/5xx bursts on a meeting walk (p={PROBABILITY})",
        tried=STEPS,
        faults_served=served,
        told_slow=sum("Slack reageert traag" in t for t in told),
        unacked=unacked,
        stranded=int(await stranded(stage, thread_ts)),
        duplicates=twice,
        converge_s=max(converge_times),
        total_s=time.monotonic() - started,
    )
    assert served > 0, "the storm never hit: the test tested nothing"
    assert twice == 0 and repeated == {}
    assert not any("niets gewijzigd" in t for t in told)
