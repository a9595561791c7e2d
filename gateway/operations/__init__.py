"""The gateway's domain: what a ledger write is and how it is checked before signing.

The catalog of writes (``_catalog``: path, operation, body, planner, roles, summary), the request
bodies (``_bodies``, field types in ``_types``), the planners (``_plans`` for a unit's writes,
``_ops_admin`` for certification bodies and the admin, the rolling share in ``_rolling``, the
shared checks and ``Context``/``Plan`` in ``_ops``), names resolved through the registry
(``_registry``), and the reads a party asks of the ledger (``_balances``, ``_reports``).
Imports only the pipeline's reading side (``pipeline._views``, ``_signers``) and the gateway's
shared modules, never ``api``.
"""
