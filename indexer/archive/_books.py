"""The books recomputed from events alone: balances per unit and token, each class's supply
(R13: issued + converted in = held + claimed + lapsed + converted out), and the ledger's counters.

Balances are folded twice, independently: once from the ledger's own events (``InputRecorded``,
``Shipped``, ``Converted``, ``Claimed``, ``Lapsed``…) and once from the ERC-1155
``TransferSingle``/``TransferBatch`` events the ledger emits beside them; the two must agree.
Nothing here reads a node or a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from tracenet.contracts import TRANSIT_UNIT, EventRecord, split_token_id
from tracenet.contracts import records as R

__all__ = ["Books", "ClassSupply", "compute_books", "unit_account"]

_ZERO = "0x0000000000000000000000000000000000000000"


def unit_account(unit_id: int) -> str:
    """The ERC-1155 account of a unit (``Tracenet.unitAccount``: the last 20 bytes of
    keccak256("tracenet.unit" ‖ uint32 unit id))."""
    return to_checksum_address(keccak(b"tracenet.unit" + unit_id.to_bytes(4, "big"))[12:])


@dataclass
class ClassSupply:
    """One class's credits, in grams (the ledger's ``Supply`` struct, recomputed)."""

    issued: int = 0
    converted_in: int = 0
    converted_out: int = 0
    claimed: int = 0
    lapsed: int = 0
    held: int = 0

    @property
    def balanced(self) -> bool:
        """R13: everything created is held, claimed, lapsed or converted out."""
        created = self.issued + self.converted_in
        return created == self.held + self.claimed + self.lapsed + self.converted_out


@dataclass
class Books:
    #: (unit id, token id) -> grams held, from the ledger's events
    balances: dict[tuple[int, int], int] = field(default_factory=dict)
    #: (ERC-1155 account, token id) -> grams, from the ERC-1155 transfer events
    accounts: dict[tuple[str, int], int] = field(default_factory=dict)
    supply: dict[int, ClassSupply] = field(default_factory=dict)
    #: inputs, shipments, conversions, claims (the ledger's ``counts``)
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    #: certificate id -> grams of certified input counted against its audited volume (the ledger
    #: counts only under a certificate that states one)
    used_volume: dict[int, int] = field(default_factory=dict)
    #: certificate id -> its status as last stated (``CertificateStatusChanged``, issue 20)
    status: dict[int, int] = field(default_factory=dict)
    #: (unit id, token id) pairs that went below zero (a record that cannot be)
    negative: list[tuple[int, int]] = field(default_factory=list)

    def balances_agree(self) -> bool:
        """The two folds give the same holdings."""
        by_account = {
            (unit_account(unit), token): grams
            for (unit, token), grams in self.balances.items()
            if grams
        }
        return by_account == {k: v for k, v in self.accounts.items() if v}


def compute_books(records: Iterable[EventRecord], class_ids: Iterable[int] = ()) -> Books:
    """Fold ``records`` (decoded events in chain order) into the books."""
    books = Books()
    held: defaultdict[tuple[int, int], int] = defaultdict(int)
    accounts: defaultdict[tuple[str, int], int] = defaultdict(int)
    supply: defaultdict[int, ClassSupply] = defaultdict(ClassSupply)
    for class_id in class_ids:
        supply[class_id] = ClassSupply()
    inputs = shipments = conversions = claims = 0
    pending: set[int] = set()  # issue 19: shipments whose credits wait in transit
    used: defaultdict[int, int] = defaultdict(int)
    audited: dict[int, int] = {}

    def move(unit: int, token: int, grams: int) -> None:
        held[(unit, token)] += grams
        if held[(unit, token)] < 0:
            books.negative.append((unit, token))

    for e in records:
        if isinstance(e, R.InputRecorded):
            inputs += 1
            move(e.unit_id, e.token_id, e.amount)
            supply[split_token_id(e.token_id)[0]].issued += e.amount
            if audited.get(e.certificate_id):
                used[e.certificate_id] += e.amount
        elif isinstance(e, R.Shipped | R.InventoryTransferred | R.CertificatesTransferred):
            shipments += isinstance(e, R.Shipped)
            to = e.to_unit_id
            if isinstance(e, R.Shipped) and e.shipment_id in pending:
                to = TRANSIT_UNIT  # the ledger's transit account, until accepted or returned
            for token, grams in zip(e.token_ids, e.amounts, strict=True):
                move(e.from_unit_id, token, -grams)
                move(to, token, grams)
        elif isinstance(e, R.TransitOpened):
            pending.add(e.shipment_id)
        elif isinstance(e, R.TransitClosed):
            for token, grams in zip(e.token_ids, e.amounts, strict=True):
                move(TRANSIT_UNIT, token, -grams)
                move(e.unit_id, token, grams)
        elif isinstance(e, R.Converted):
            conversions += 1
            for token, grams in zip(e.input_token_ids, e.input_amounts, strict=True):
                move(e.unit_id, token, -grams)
                supply[split_token_id(token)[0]].converted_out += grams
            move(e.unit_id, e.output_token_id, e.output_amount)
            supply[split_token_id(e.output_token_id)[0]].converted_in += e.output_amount
        elif isinstance(e, R.Claimed):
            claims += 1
            for token, grams in zip(e.token_ids, e.amounts, strict=True):
                move(e.unit_id, token, -grams)
                supply[split_token_id(token)[0]].claimed += grams
        elif isinstance(e, R.Lapsed):
            move(e.unit_id, e.token_id, -e.amount)
            supply[split_token_id(e.token_id)[0]].lapsed += e.amount
        elif isinstance(e, R.TransferSingle):
            _transfer(accounts, e.from_, e.to, ((e.id, e.value),))
        elif isinstance(e, R.TransferBatch):
            _transfer(accounts, e.from_, e.to, zip(e.ids, e.values, strict=True))
        elif isinstance(e, R.CertificateRegistered):
            audited[e.certificate_id] = e.audited_volume
        elif isinstance(e, R.CertificateStatusChanged):
            books.status[e.certificate_id] = e.status
    for (_, token), grams in held.items():
        supply[split_token_id(token)[0]].held += grams
    books.balances = {k: v for k, v in held.items() if v}
    books.accounts = {k: v for k, v in accounts.items() if v}
    books.supply = dict(sorted(supply.items()))
    books.counts = (inputs, shipments, conversions, claims)
    books.used_volume = dict(used)
    return books


def _transfer(
    accounts: defaultdict[tuple[str, int], int],
    sender: str,
    receiver: str,
    lines: Iterable[tuple[int, int]],
) -> None:
    for token, grams in lines:
        if sender != _ZERO:
            accounts[(to_checksum_address(sender), token)] -= grams
        if receiver != _ZERO:
            accounts[(to_checksum_address(receiver), token)] += grams
