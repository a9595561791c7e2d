"""Why a demo stops: each error is one line for the terminal (``str(exc)``) and an exit code.

DemoError                  anything that ends the demo early (exit 1)
├── PortInUseError         a port the demo needs is taken (exit 2)
├── ServiceFailedError     a service it started exited (its log's last lines)
└── SurpriseError          a story step ended otherwise than expected (names the step)
"""

from __future__ import annotations

from tracenet.kit.errors import TracenetError

__all__ = ["DemoError", "PortInUseError", "ServiceFailedError", "SurpriseError"]


class DemoError(TracenetError):
    """The root: a one-line reason; ``exit_code`` is what ``tracenet demo`` returns."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PortInUseError(DemoError):
    exit_code = 2

    def __init__(self, service: str, port: int) -> None:
        super().__init__(
            f"port {port} ({service}) is in use; stop what listens there or choose other "
            "ports with --port-base"
        )
        self.service, self.port = service, port


class ServiceFailedError(DemoError):
    def __init__(self, service: str, returncode: int | None, log_tail: str) -> None:
        super().__init__(f"{service} exited (code {returncode}): {log_tail or 'no output'}")
        self.service, self.returncode = service, returncode


class SurpriseError(DemoError):
    def __init__(self, step: str, expected: str, got: str) -> None:
        super().__init__(f"surprise at step {step!r}: expected {expected}, got {got}")
        self.step, self.expected, self.got = step, expected, got
