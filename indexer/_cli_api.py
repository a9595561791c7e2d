"""``tracenet indexer serve|keys|verify-report``: the read API's commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["register_api"]


def register_api(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Adds the API commands (filled in as the API lands)."""
