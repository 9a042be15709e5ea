"""Web API methods; importing this package registers them with `sandbox.web_api`."""

from . import auth, canvases, chat, conversations, files, pins, users, views

__all__ = ["auth", "canvases", "chat", "conversations", "files", "pins", "users", "views"]
