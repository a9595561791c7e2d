"""Errors of the console: one root under Tracenet's.

::

    ConsoleError           root (tracenet.kit.errors.TracenetError)
    ├── ApiError           a service answered with its error body (status, code, error, field)
    ├── FormError          a form field a person typed breaks its rule (field, message)
    └── SignInRequired     a party page opened without a session (the app redirects)
"""

from __future__ import annotations

from tracenet.kit.errors import TracenetError

__all__ = ["ConsoleError"]


class ConsoleError(TracenetError):
    """Root of every error raised by the console."""
