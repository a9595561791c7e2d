"""Shared fixtures: the in-process chain (eth-tester) and the deployed ledger on it.

Deploying is paid once per session; ``w3`` and ``ledger`` take an ``evm_snapshot`` before each
test and ``evm_revert`` after it, so every test starts from the freshly deployed state.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests.factories import World, bootstrap, revert_to_snapshot, take_snapshot
from tracenet.contracts import LedgerHandle, deploy_ledger
from tracenet.wallet import LocalSigner

ADMIN_NAME = "Tracenet Consortium"


@pytest.fixture(scope="session")
def _world_session() -> World:
    """The tests' consortium bootstrapped once per session (``tests.factories.bootstrap``)."""
    return bootstrap(Web3(EthereumTesterProvider(EthereumTester())))


@pytest.fixture(scope="session")
def world_keys(_world_session: World) -> list[LocalSigner]:
    """The private keys of the world's ten accounts, as the gateway's signers."""
    tester = _world_session.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    keys = [LocalSigner.from_key(k.to_bytes()) for k in tester.backend.account_keys[:10]]
    assert [k.address for k in keys] == list(_world_session.w3.eth.accounts[:10])
    return keys


@pytest.fixture
def world(_world_session: World) -> Iterator[World]:
    """The one bootstrapped world of every package's tests; chain and model are restored after
    the test."""
    snapshot = take_snapshot(_world_session.w3)
    saved = copy.deepcopy(_world_session.model)
    yield _world_session
    revert_to_snapshot(_world_session.w3, snapshot)
    _world_session.model = saved


@pytest.fixture(scope="session")
def chain() -> Web3:
    """One eth-tester chain per session, with ten funded, unlocked accounts."""
    return Web3(EthereumTesterProvider())


@pytest.fixture(scope="session")
def deployed_ledger(chain: Web3) -> LedgerHandle:
    """The wired ledger, deployed once by ``chain.eth.accounts[0]`` (its admin)."""
    return deploy_ledger(chain, chain.eth.accounts[0], admin_name=ADMIN_NAME)


@pytest.fixture
def w3(chain: Web3) -> Iterator[Web3]:
    """The session chain, reverted to its state before the test when the test ends."""
    snapshot = chain.testing.snapshot()
    yield chain
    chain.testing.revert(snapshot)


@pytest.fixture
def ledger(deployed_ledger: LedgerHandle, w3: Web3) -> LedgerHandle:
    """The deployed ledger; whatever the test does to it is reverted afterwards."""
    return deployed_ledger


#: The longest tests, started first: with two xdist workers (one file at a time each), one worker
#: runs them while the other takes every other file. xdist keeps this order only with
#: --no-loadscope-reorder (pyproject); by default it sorts files by their number of tests.
LONGEST_FIRST = ("tests/contracts/test_stateful.py", "tests/test_demo.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: every other test keeps its order
