"""Errors of ``tracenet network init|node-key|assemble``: one root, subclasses that carry
structured fields.

::

    NetworkError                    root; ``code``, ``field`` and ``retryable`` on every error
    ├── NetworkSpecError            the requested network is invalid (field, value)
    │   ├── TooFewOrganisationsError fewer than 4 operators: QBFT could tolerate no fault
    │   └── PublicPartError         an organisation's public part is unreadable or wrong (path)
    ├── NetworkOutputExistsError    the output directory exists and is not empty (path)
    └── QbftExtraDataError          bytes that are not a QBFT extraData (reason)

Kept beside the generator until they join ``node/errors.py``: there ``NetworkError`` becomes a
subclass of ``NodeError`` (same ``message, *, field`` signature) and the rest follow unchanged.
None is retryable: the same call with the same arguments fails the same way.
"""

from __future__ import annotations

from pathlib import Path

from tracenet.kit.errors import TracenetError

__all__ = [
    "NetworkError",
    "NetworkOutputExistsError",
    "NetworkSpecError",
    "PublicPartError",
    "QbftExtraDataError",
    "TooFewOrganisationsError",
]


class NetworkError(TracenetError):
    """Root of every error raised while generating or decoding a network."""

    code: str = "node.network.error"
    retryable: bool = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        #: The argument at fault, if one is (``organisations``, ``accounts``, ``chain_id``).
        self.field = field


class NetworkSpecError(NetworkError):
    """An argument of the network specification is invalid; ``value`` is what was given."""

    code = "node.network.invalid_spec"

    def __init__(self, message: str, *, field: str, value: object) -> None:
        super().__init__(message, field=field)
        self.value = value


class TooFewOrganisationsError(NetworkSpecError):
    """QBFT needs n >= 3f + 1 validators to survive f faults: 4 is the least that survives one."""

    code = "node.network.too_few_organisations"

    def __init__(self, count: int, minimum: int) -> None:
        super().__init__(
            f"a network needs at least {minimum} validator operators (--operator) so that "
            f"QBFT keeps producing blocks when one is down; got {count} (members, who run no "
            "validator, do not count)",
            field="organisations",
            value=count,
        )
        self.count = count
        self.minimum = minimum


class PublicPartError(NetworkSpecError):
    """An organisation's public part (``<org>.public.json`` from ``tracenet network node-key``)
    cannot be read or breaks a rule; ``field`` names the part at fault, ``rule`` the rule."""

    code = "node.network.invalid_public_part"

    def __init__(self, path: Path, field: str, rule: str) -> None:
        super().__init__(f"{path}: {field} {rule}", field=field, value=str(path))
        self.path = path
        self.rule = rule


class NetworkOutputExistsError(NetworkError):
    """The output directory already holds files; generating would mix or overwrite keys."""

    code = "node.network.output_exists"

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} exists and is not empty; choose a new directory (generated files and keys "
            "are never overwritten)",
            field="out",
        )
        self.path = path


class QbftExtraDataError(NetworkError):
    """The bytes do not decode as Besu's QBFT extraData; ``reason`` says which part is wrong."""

    code = "node.network.invalid_extra_data"

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a QBFT extraData: {reason}", field="extra_data")
        self.reason = reason
