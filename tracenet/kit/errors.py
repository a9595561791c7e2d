"""The one exception root: every error a Tracenet component raises on purpose derives from
``TracenetError``, so a caller (the CLI, a service's exception handler, an embedding program)
can catch Tracenet's errors apart from bugs in one ``except``.

::

    TracenetError                      code, field, retryable
    ├── contracts.TracenetContractsError
    ├── node.NodeError, node.NetworkError
    ├── wallet.WalletError
    ├── gateway.GatewayError, gateway.ConfigurationError
    ├── indexer.IndexerError
    ├── erp.ErpError
    ├── console.ConsoleError
    └── tracenet.demo.DemoError

Each component's own root documents its subtree and its codes.
"""

from __future__ import annotations

__all__ = ["TracenetError"]


class TracenetError(Exception):
    """Root of every Tracenet error.

    ``code`` is the stable code a caller may match on, ``field`` the input at fault when there is
    one, ``retryable`` whether the same call may succeed later without any change on the caller's
    side (a node that did not answer; never a rule that refused)."""

    code: str = "TN-ERROR"
    field: str | None = None
    retryable: bool = False
