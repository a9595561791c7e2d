"""Fixtures of the ledger tests: one bootstrapped world per session, reverted after every test."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests.factories import World, bootstrap


@pytest.fixture(scope="session")
def _world_session() -> World:
    tester = EthereumTester()
    w3 = Web3(EthereumTesterProvider(tester))
    return bootstrap(w3)


@pytest.fixture
def world(_world_session: World) -> Iterator[World]:
    """The bootstrapped world; chain and model are restored after the test."""
    tester = _world_session.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    saved = copy.deepcopy(_world_session.model)
    yield _world_session
    tester.revert_to_snapshot(snapshot)
    _world_session.model = saved
