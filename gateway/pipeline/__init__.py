"""The gateway's durable pipeline: a stored write is signed, sent, followed and recovered.

The store (``_store`` on ``_engine``'s engine and writer thread, tables in ``_models``, schema
in ``_migrate``), who may sign (``_lease``), the keys and whom they act for (``_signers``),
signing off the event loop (``_signing``), what each step writes (``_transitions``), the loops
that sign, send, track receipts and recover (``_dispatcher`` over ``_state``, with ``_sending``,
``_tracking``, ``_recovery``), progress streams (``_streams``), and the node (``_chain``,
``_web3chain`` for eth-tester) with the cached views and calldata (``_views``). Imports nothing
of ``operations`` or ``api``.
"""
