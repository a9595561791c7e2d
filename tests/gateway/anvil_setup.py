"""A small consortium on a real anvil, and a key store for a gateway subprocess: the
benchmarks' world (``benchmarks/_world.py``), which the integration tests share rather than copy."""

from benchmarks._world import (
    C_FLAKE,
    P_BRAND,
    P_CERTIFIER,
    P_RECYCLER,
    PASSPHRASE,
    STOCK,
    U_BRAND,
    U_PLANT,
    AnvilWorld,
    gateway_env,
    setup,
    wait_for,
)

__all__ = [
    "C_FLAKE",
    "PASSPHRASE",
    "P_BRAND",
    "P_CERTIFIER",
    "P_RECYCLER",
    "STOCK",
    "U_BRAND",
    "U_PLANT",
    "AnvilWorld",
    "gateway_env",
    "setup",
    "wait_for",
]
