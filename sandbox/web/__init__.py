"""A Slack-like page for the sandbox: act as any person of the workspace in a browser.

Mounted on the sandbox's own server (127.0.0.1 only) under /ui/; see routes.py.
"""

from .routes import add_routes

__all__ = ["add_routes"]
