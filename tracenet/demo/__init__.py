"""``tracenet demo``: the main job — the demo consortium running, and its story played through
the parties' gateways (see ``_story.py``). ``register`` adds the command to ``tracenet``."""

from tracenet.demo._cli import register
from tracenet.demo.errors import DemoError, PortInUseError, ServiceFailedError, SurpriseError

__all__ = ["DemoError", "PortInUseError", "ServiceFailedError", "SurpriseError", "register"]
