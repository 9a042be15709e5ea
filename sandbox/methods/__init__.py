"""Web API methods; importing this package registers them with `sandbox.web_api`."""

from . import auth, chat, conversations, files, users, views

__all__ = ["auth", "chat", "conversations", "files", "users", "views"]
