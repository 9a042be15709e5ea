"""A local stand-in for Slack: Web API, signed HTTP delivery, Socket Mode, and test users.

    from sandbox import Sandbox, Workspace
    async with Sandbox(Workspace.demo()) as sb:
        app = sb.install_app(name="Casusbot", join=["casus-demo"])
        ...

See sandbox/README.md.
"""

from .activity import SettleTimeout
from .blockkit import BlockKitError
from .delivery import DeliveryError
from .elements import ElementError
from .sandbox import Sandbox
from .users import InputRejected, SandboxUser
from .web_api import ApiCall
from .workspace import App, Channel, User, Workspace

__all__ = [
    "ApiCall", "App", "BlockKitError", "Channel", "DeliveryError", "ElementError",
    "InputRejected", "Sandbox", "SandboxUser", "SettleTimeout", "User", "Workspace",
]
