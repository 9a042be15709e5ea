"""Run the sandbox as a standalone process: `python -m sandbox --port 8765`.

Prints the URLs and the tokens a bot needs (as environment variables), then serves until
interrupted. People act through the control API at /_sandbox/ (see sandbox/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .sandbox import Sandbox
from .workspace import Workspace


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--app-name", default="Casusbot")
    parser.add_argument("--request-url", default=None,
                        help="deliver over signed HTTP to this URL instead of Socket Mode")
    parser.add_argument("--join", action="append", default=None,
                        help="channel the bot is a member of (default: casus-demo)")
    parser.add_argument("--rate-limit", action="store_true", help="answer 429 like Slack")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="answer every Web API call after this long (e.g. 0.1)")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    sb = Sandbox(Workspace.demo(), port=args.port, rate_limit=args.rate_limit,
                 latency=args.latency)
    await sb.start()
    app = sb.install_app(name=args.app_name, request_url=args.request_url,
                         join=args.join if args.join is not None else ["casus-demo"])
    print(f"Slack sandbox for {sb.ws.name} ({sb.ws.team_id}) at {sb.url}")
    print(f"  control API: {sb.url}_sandbox/")
    print(f"SLACK_API_URL={sb.api_url}")
    print(f"SLACK_BOT_TOKEN={app.bot_token}")
    print(f"SLACK_SIGNING_SECRET={app.signing_secret}")
    if args.request_url:
        print(f"  delivering over signed HTTP to {args.request_url}")
    else:
        print(f"SLACK_APP_TOKEN={app.app_token}")
    print("users: " + ", ".join(u.handle for u in sb.ws.users.values() if not u.is_bot),
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sb.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
