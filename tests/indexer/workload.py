"""A seeded random workload of every ledger operation on the bootstrapped world (chain and model):
mostly valid operations, some rejected ones, time moving across period boundaries."""

from __future__ import annotations

import random
from collections import Counter

from tests import model as m
from tests.factories import (
    C_BIO,
    C_FLAKE,
    C_GLASS,
    DAY,
    PR_CONTAINER,
    PR_RESIN,
    U_BRAND,
    U_OUTSIDER,
    U_RECYCLER,
    U_RESIN,
    U_RESIN2,
    World,
    evidence,
)

UNITS = (U_RECYCLER, U_RESIN, U_RESIN2, U_BRAND, U_OUTSIDER)


def _held(world: World, unit: int) -> list[tuple[int, int]]:
    return sorted((t, n) for (t, u), n in world.model.balances.items() if u == unit and n > 0)


def run_workload(world: World, rng: random.Random, steps: int) -> Counter[str]:
    """Runs ``steps`` random operations; returns how many were accepted / rejected per kind."""
    c = world.cast
    signer = {
        U_RECYCLER: c.recycler,
        U_RESIN: c.resin,
        U_RESIN2: c.resin_site2,
        U_BRAND: c.brand,
        U_OUTSIDER: c.outsider,
    }
    stats: Counter[str] = Counter()
    for _ in range(steps):
        op = rng.choice(
            ["input"] * 4
            + ["ship"] * 4
            + ["convert"] * 2
            + ["claim"] * 2
            + ["transfer", "trade", "lapse", "close", "quantity", "time", "time"]
        )
        unit = rng.choice(UNITS)
        lines = _held(world, unit)
        picked = rng.sample(lines, k=min(len(lines), rng.randint(1, 3))) if lines else []
        part = [(t, max(1, n * rng.randint(1, 10) // 10)) for t, n in picked]
        args: tuple[object, ...]
        if op == "input":
            sender, class_id, cert = rng.choice(
                [
                    (c.recycler, C_FLAKE, 1),
                    (c.recycler, C_GLASS, 1),
                    (c.recycler, C_BIO, 3),
                    (c.resin, C_FLAKE, 2),
                ]
            )
            args = ("record_input", sender, class_id, rng.randint(1, 5_000_000), cert, evidence())
        elif op == "ship" and part:
            group = world.model.classes[part[0][0] >> 64].group
            share = world.model.groups[group]
            total = sum(n for _, n in part)
            quantity = -(-total * 10_000 // share) + rng.randint(0, 1_000_000)
            to = rng.choice([u for u in UNITS if u != unit])
            args = ("ship", signer[unit], to, group, quantity, evidence(), part[:1])
        elif op == "convert" and part:
            process = PR_RESIN if rng.random() < 0.7 else PR_CONTAINER
            args = ("convert", c.resin, process, 0, [p for p in part if p[0] >> 64 in (1, 3)][:1])
        elif op == "claim" and part:
            args = ("claim", signer[unit], part, rng.choice(["Acme Bottles", "Airline X"]))
        elif op == "transfer" and part:
            to = U_RESIN2 if unit == U_RESIN else U_RESIN
            args = ("transfer_inventory", signer[unit], to, part[:1])
        elif op == "trade" and part:
            to = rng.choice([u for u in UNITS if u != unit])
            args = ("transfer_certificates", signer[unit], to, part[:1])
        elif op == "lapse" and lines:
            args = ("lapse", c.stranger, unit, [rng.choice(lines)[0]])
        elif op == "close":
            args = ("close_period", signer[unit], C_FLAKE, rng.randint(0, 20_000_000))
        elif op == "quantity":
            kind = rng.choice(["record_conventional", "record_production"])
            args = (kind, signer[unit], rng.randint(1, 4), rng.randint(1, 10**8), evidence())
        elif op == "time":
            world.travel(world.now() + rng.randint(1, 60) * DAY)
            stats["time"] += 1
            continue
        else:
            continue
        if args[0] == "convert" and not args[-1]:
            continue
        expected, actual = world.run(str(args[0]), str(args[1]), *args[2:])
        rejected = isinstance(expected, m.Rejected)
        assert rejected == hasattr(actual, "error_args"), (args[0], expected, actual)
        stats[f"{args[0]} {'rejected' if rejected else 'ok'}"] += 1
    return stats
