"""Factories: a deployed, bootstrapped ledger mirrored in the Python model of the rules.

``World`` deploys the three contracts on a chain, registers a small consortium (the same one in the
model), and runs every operation on both: ``ok`` expects both to accept and the same result,
``rejects`` expects both to revert with the same custom error. Tests assert on top of that.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from web3 import Web3

from tests import model as m
from tracenet import contracts
from tracenet.contracts import records
from tracenet.contracts.errors import LedgerRevert

#: 2031-01-01T00:00:00Z: every World starts its clock in Q1 2031.
START = int(datetime(2031, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
YEAR = 365 * DAY

Line = tuple[int, int]

_evidence = itertools.count(1)


#: The machine's PostgreSQL (trust auth); tests create and drop databases of their own in it.
PG_ADMIN = os.environ.get("TRACENET_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def temporary_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of this test session only (SQLAlchemy URL), dropped at the end."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def evidence(label: str = "") -> bytes:
    """A fresh document hash (Sustainability Declaration, weighbridge note…)."""
    return hashlib.sha256(f"doc-{next(_evidence)}-{label}".encode()).digest()


def set_clock(w3: Web3, timestamp: int) -> None:
    """The next block is mined at ``timestamp``: py-evm's tester or a real anvil over RPC."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        tester.time_travel(timestamp)
    else:
        reply = w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
        assert "error" not in reply, reply


def take_snapshot(w3: Web3) -> Any:
    """A snapshot of the chain's state to return to (py-evm's tester or anvil's evm_snapshot)."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        return tester.take_snapshot()
    return w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]


def revert_to_snapshot(w3: Web3, snapshot: Any) -> None:
    """Back to ``snapshot``; on anvil the snapshot is used up (take a new one to return again)."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        tester.revert_to_snapshot(snapshot)
    else:
        reply = w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        assert reply.get("result") is True, reply


def at(year: int, month: int, day: int = 1, hour: int = 12) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Cast:
    """Who is who: signer addresses by role in the bootstrapped consortium."""

    admin: str
    certifier: str
    auditor: str
    recycler: str  # party 4, unit 1 (origin)
    resin: str  # party 5, unit 2 (origin), boundary 1
    resin_site2: str  # party 5, unit 3, boundary 1
    brand: str  # party 6, unit 4
    outsider: str  # party 7, unit 5
    recycler_office: str  # party 4, party-level signer (no unit)
    stranger: str  # never registered


# Ids in the bootstrapped consortium (ids are sequential from 1 on a fresh deployment).
P_ADMIN, P_CERTIFIER, P_AUDITOR, P_RECYCLER, P_RESIN, P_BRAND, P_OUTSIDER = range(1, 8)
U_RECYCLER, U_RESIN, U_RESIN2, U_BRAND, U_OUTSIDER = range(1, 6)
S_PLUS, S_EU = 1, 2
G_FLAKE, G_RESIN, G_GLASS, G_BIOOIL = 1, 2, 3, 4
C_FLAKE, C_RESIN, C_GLASS, C_BIO, C_CONTAINER = 1, 2, 3, 4, 5
PR_RESIN, PR_CONTAINER = 1, 2
CERT_RECYCLER, CERT_RESIN, CERT_BIO = 1, 2, 3
RESIN_AUDITED_VOLUME = 50_000_000

ZERO = b"\x00" * 32
GAS_LIMIT = 3_000_000


def class_spec(
    name: str,
    scheme: int,
    group: int,
    model: int,
    months: int,
    window: int,
    cap_at_stock: bool = False,
    attribution: int = 0,
    raw_material: int = 0,
) -> tuple[Any, ...]:
    return (
        name,
        "recycled content",
        scheme,
        group,
        model,
        attribution,
        months,
        window,
        cap_at_stock,
        raw_material,
        False,
        1_000,
        3_000,
    )


@dataclass
class World:
    w3: Web3
    handle: contracts.LedgerHandle
    cast: Cast
    model: m.Ledger = field(default_factory=m.Ledger)

    @property
    def ledger(self) -> Any:
        return self.handle.ledger

    @property
    def consortium(self) -> Any:
        return self.handle.consortium

    @property
    def catalog(self) -> Any:
        return self.handle.catalog

    # ---- time --------------------------------------------------------------------------------

    def now(self) -> int:
        """The timestamp the next transaction will be mined at."""
        return int(self.w3.eth.get_block("pending")["timestamp"])

    def travel(self, timestamp: int) -> None:
        """Moves the clock so that the next block is mined at ``timestamp``."""
        set_clock(self.w3, timestamp)
        assert self.now() == timestamp

    # ---- raw chain access -----------------------------------------------------------------------

    def send(self, fn: Any, sender: str) -> Any:
        # py-evm estimates gas by binary search (a dozen executions per transaction). Instead, one
        # eth_call on the pending block, at the very timestamp the transaction will be mined at,
        # finds a revert; what passes is sent with a fixed gas limit.
        try:
            fn.call({"from": sender}, block_identifier="pending")
        except Exception as exc:
            raise contracts.as_ledger_revert(exc) from exc
        return contracts.transact(self.w3, fn, sender, {"gas": GAS_LIMIT})

    def events(self, receipt: Any, name: str) -> list[dict[str, Any]]:
        return [e.args for e in self.handle.decode_events(receipt) if e.event == name]

    def balance(self, unit: int, tid: int) -> int:
        return int(self.ledger.functions.balanceOfUnit(unit, tid).call())

    def supply(self, class_id: int) -> tuple[int, ...]:
        return tuple(self.ledger.functions.supplyOf(class_id).call())

    # ---- operations on both chain and model ---------------------------------------------------

    def run(self, op: str, sender: str, *args: Any) -> tuple[Any, Any]:
        """Runs ``op`` on model and chain: (model result or Rejected, receipt or LedgerRevert)."""
        now = self.now()
        if not hasattr(self.w3.provider, "ethereum_tester"):
            set_clock(self.w3, now)  # anvil's clock runs with the wall's: pin the block's time
        fn, model_call = self._bind(op, sender, now, *args)
        try:
            expected: Any = model_call()
        except m.Rejected as rejected:
            expected = rejected
        try:
            actual: Any = self.send(fn, sender)
            block = self.w3.eth.get_block(actual["blockNumber"])
            assert block["timestamp"] == now, "the model decided at another time than the chain"
        except LedgerRevert as revert:
            actual = revert
        return expected, actual

    def ok(self, op: str, sender: str, *args: Any) -> Any:
        """Both accept; returns the receipt."""
        expected, actual = self.run(op, sender, *args)
        if isinstance(expected, m.Rejected):
            raise AssertionError(
                f"model rejects {op} with {expected.name}{expected.args_}: {actual!r}"
            )
        if isinstance(actual, LedgerRevert):
            raise AssertionError(f"chain rejects {op} with {actual.name}{actual.error_args}")
        return actual

    def rejects(self, error: str, op: str, sender: str, *args: Any) -> LedgerRevert:
        """Both reject with custom error ``error``; returns the chain's revert."""
        expected, actual = self.run(op, sender, *args)
        assert isinstance(actual, LedgerRevert), f"chain accepted {op}; expected {error}"
        assert actual.name == error, f"chain: {actual.name}{actual.error_args}, expected {error}"
        assert isinstance(expected, m.Rejected), f"model accepted {op}; chain said {error}"
        assert expected.name == error, f"model: {expected.name}{expected.args_}, expected {error}"
        assert tuple(_plain(v) for v in actual.error_args.values()) == tuple(
            _plain(v) for v in expected.args_
        ), f"{error}: chain args {actual.error_args}, model args {expected.args_}"
        return actual

    def _bind(self, op: str, sender: str, now: int, *a: Any) -> tuple[Any, Callable[[], Any]]:
        f = self.ledger.functions
        mdl = self.model
        if op == "record_input":
            class_id, amount, cert, ev = a
            return f.recordInput(class_id, amount, cert, ev), lambda: mdl.apply(
                "record_input", sender, class_id, amount, cert, ev, now
            )
        if op in ("record_conventional", "record_production"):
            group, quantity, doc = a
            conventional = op == "record_conventional"
            fn = f.recordConventionalInput if conventional else f.recordProduction
            return fn(group, quantity, doc), lambda: mdl.apply(
                "record_quantity", sender, group, quantity, conventional, now
            )
        if op == "ship":
            to, group, quantity, doc, lines = a
            request = records.Ship(
                to_unit_id=to, product_group_id=group, quantity=quantity, document_hash=doc,
                order_ref=b"PO-1".ljust(32, b"\0"), product=b"rPET".ljust(32, b"\0"),
                token_ids=tuple(t for t, _ in lines), amounts=tuple(n for _, n in lines),
            )  # fmt: skip
            return self.handle.function(request), lambda: mdl.apply(
                "ship", sender, to, group, quantity, doc, lines, now
            )
        if op == "transfer_inventory":
            to, lines = a
            ids, amounts = _split(lines)
            return f.transferInventory(to, ids, amounts), lambda: mdl.apply(
                "transfer_inventory", sender, to, lines, now
            )
        if op == "transfer_certificates":
            to, lines = a
            ids, amounts = _split(lines)
            return f.transferCertificates(to, ZERO, ids, amounts), lambda: mdl.apply(
                "transfer_certificates", sender, to, lines, now
            )
        if op == "convert":
            process, version, lines = a
            ids, amounts = _split(lines)
            return f.convert(process, version, ids, amounts), lambda: mdl.apply(
                "convert", sender, process, version, lines, now
            )
        if op == "claim":
            lines, beneficiary = a
            ids, amounts = _split(lines)
            purpose = b"recycled-content".ljust(32, b"\0")
            return f.claim(
                ids, amounts, beneficiary, b"bottle".ljust(32, b"\0"), purpose
            ), lambda: mdl.apply("claim", sender, lines, beneficiary, now)
        if op == "claim_rolling":
            class_id, quantity, lines, beneficiary = a
            ids, amounts = _split(lines)
            purpose = b"recycled-content".ljust(32, b"\0")
            return f.claimRolling(
                class_id, quantity, ids, amounts, beneficiary, b"crate".ljust(32, b"\0"), purpose
            ), lambda: mdl.apply(
                "claim_rolling", sender, class_id, quantity, lines, beneficiary, now
            )
        if op == "lapse":
            unit, tids = a
            return f.lapse(unit, tids), lambda: mdl.apply("lapse", unit, tids, now)
        if op == "close_period":
            class_id, stock = a
            return f.closePeriod(class_id, stock), lambda: mdl.apply(
                "close_period", sender, class_id, stock, now
            )
        if op == "set_certificate_status":
            cert_id, status, effective_at, reason = a
            fn = self.consortium.functions.setCertificateStatus(
                cert_id, status, effective_at, reason
            )
            return fn, lambda: mdl.set_certificate_status(
                cert_id, sender, status, effective_at, reason, now
            )
        if op == "register_certificate":
            holder, scheme, number, valid_from, until, volume, classes, units = a
            fn = self.consortium.functions.registerCertificate(
                holder, scheme, number, valid_from, until, volume, classes, units
            )
            cert = m.Certificate(
                holder, scheme, mdl.signers[sender][0], valid_from, until, volume,
                frozenset(classes), frozenset(units), number=number,
            )  # fmt: skip
            return fn, lambda: mdl.register_certificate(max(mdl.certificates) + 1, cert)
        t = self.handle.transit.functions
        if op == "set_acceptance":
            scheme, acceptance, window, settle = a
            return t.setSchemeAcceptance(scheme, acceptance, window, settle), lambda: mdl.apply(
                "set_acceptance", sender, scheme, acceptance, window, settle
            )
        if op in ("accept", "recall"):
            (shipment,) = a
            fn = t.accept if op == "accept" else t.recall
            return fn(shipment), lambda: mdl.apply(op, sender, shipment, now)
        if op == "reject":
            shipment, reason = a
            return t.reject(shipment, reason), lambda: mdl.apply(
                "reject", sender, shipment, reason, now
            )
        if op == "settle":
            (shipment,) = a
            return t.settle(shipment), lambda: mdl.apply("settle", shipment, now)
        raise ValueError(f"unknown operation {op}")


def withdraw(world: World, cert_id: int) -> None:
    """The issuing body withdraws a certificate, effective now, on chain and in the model."""
    world.ok(
        "set_certificate_status",
        world.cast.certifier,
        cert_id,
        m.CERT_WITHDRAWN,
        world.now(),
        "withdrawn",
    )


def _split(lines: Sequence[Line]) -> tuple[list[int], list[int]]:
    return [t for t, _ in lines], [n for _, n in lines]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return Web3.to_checksum_address(value)
    return value


def bootstrap(w3: Web3) -> World:
    """Deploys the ledger and registers the tests' consortium, on chain and in the model."""
    accounts = list(w3.eth.accounts)
    cast = Cast(*accounts[:10])
    set_clock(w3, START)
    handle = contracts.deploy_ledger(w3, cast.admin, "Tracenet Consortium")
    world = World(w3, handle, cast)
    c, cat, mdl = world.consortium.functions, world.catalog.functions, world.model

    def admin(fn: Any) -> None:
        world.send(fn, cast.admin)

    roles = m.ROLE_MEMBER | m.ROLE_ORIGIN
    for name, role in [
        ("Certifier", m.ROLE_CERTIFIER),
        ("Auditor", m.ROLE_AUDITOR),
        ("Recycler", roles),
        ("Resin maker", roles),
        ("Brand", m.ROLE_MEMBER),
        ("Outsider", m.ROLE_MEMBER),
    ]:
        admin(c.registerParty(name, ZERO, role))
    mdl.parties = {
        P_ADMIN: m.Party(m.ROLE_ADMIN),
        P_CERTIFIER: m.Party(m.ROLE_CERTIFIER),
        P_AUDITOR: m.Party(m.ROLE_AUDITOR),
        P_RECYCLER: m.Party(roles),
        P_RESIN: m.Party(roles),
        P_BRAND: m.Party(m.ROLE_MEMBER),
        P_OUTSIDER: m.Party(m.ROLE_MEMBER),
    }
    admin(c.declareBoundary(P_RESIN, "Resin maker multi-site"))
    for party, boundary, name in [
        (P_RECYCLER, 0, "Recycling plant"),
        (P_RESIN, 1, "Resin site A"),
        (P_RESIN, 1, "Resin site B"),
        (P_BRAND, 0, "Brand DC"),
        (P_OUTSIDER, 0, "Outsider yard"),
    ]:
        admin(c.registerUnit(party, boundary, name, "Somewhere 1, 1000 City"))
    mdl.units = {
        U_RECYCLER: m.Unit(P_RECYCLER, 0),
        U_RESIN: m.Unit(P_RESIN, 1),
        U_RESIN2: m.Unit(P_RESIN, 1),
        U_BRAND: m.Unit(P_BRAND, 0),
        U_OUTSIDER: m.Unit(P_OUTSIDER, 0),
    }
    signers = [
        (cast.certifier, P_CERTIFIER, 0),
        (cast.auditor, P_AUDITOR, 0),
        (cast.recycler, P_RECYCLER, U_RECYCLER),
        (cast.resin, P_RESIN, U_RESIN),
        (cast.resin_site2, P_RESIN, U_RESIN2),
        (cast.brand, P_BRAND, U_BRAND),
        (cast.outsider, P_OUTSIDER, U_OUTSIDER),
        (cast.recycler_office, P_RECYCLER, 0),
    ]
    for signer, party, unit in signers:
        admin(c.authorizeSigner(signer, party, unit))
    mdl.signers = {cast.admin: (P_ADMIN, 0)} | {s: (p, u) for s, p, u in signers}

    admin(cat.registerScheme("ISCC PLUS", 12))
    admin(cat.registerScheme("ISCC EU", 3))
    for name, share in [
        ("PET flakes", 10_000),
        ("PET resin", 10_000),
        ("Food-grade glass", 3_500),
        ("Bio-oil blend", 1_000),
    ]:
        admin(cat.registerProductGroup(name, share))
    mdl.groups = {G_FLAKE: 10_000, G_RESIN: 10_000, G_GLASS: 3_500, G_BIOOIL: 1_000}
    specs = [
        (
            C_FLAKE,
            class_spec("rPET-flake", S_PLUS, G_FLAKE, m.MASS_BALANCE, 3, 2, cap_at_stock=True),
        ),
        (C_RESIN, class_spec("rPET-resin", S_PLUS, G_RESIN, m.MASS_BALANCE, 3, 2)),
        (C_GLASS, class_spec("Recycled cullet", S_PLUS, G_GLASS, m.SEGREGATED, 3, 4)),
        (C_BIO, class_spec("Bio-oil", S_EU, G_BIOOIL, m.BOOK_AND_CLAIM, 1, 3, raw_material=2)),
        (C_CONTAINER, class_spec("Glass container", S_PLUS, G_GLASS, m.SEGREGATED, 3, 4)),
    ]
    for class_id, spec in specs:
        admin(cat.registerClass(spec))
        mdl.classes[class_id] = m.CreditClass(
            scheme=spec[2],
            group=spec[3],
            model=spec[4],
            period_months=spec[6],
            window=spec[7],
            cap_at_stock=spec[8],
        )

    certifier = cast.certifier
    world.send(cat.registerProcess(U_RESIN, C_FLAKE, C_RESIN, "Flake to resin"), certifier)
    world.send(cat.registerFactor(PR_RESIN, 9_000, START, evidence("yield")), certifier)
    world.send(cat.registerProcess(U_RESIN, C_GLASS, C_CONTAINER, "Cullet to container"), certifier)
    world.send(cat.registerFactor(PR_CONTAINER, 9_500, START, evidence("yield")), certifier)
    mdl.register_process(PR_RESIN, m.Process(U_RESIN, C_FLAKE, C_RESIN, [(9_000, START)]))
    mdl.register_process(PR_CONTAINER, m.Process(U_RESIN, C_GLASS, C_CONTAINER, [(9_500, START)]))
    # Product scopes (R7) beyond those of processes and certificates, set by the admin: the
    # resin maker's second site and the brand. The outsider's unit has none.
    scopes = [(U_RESIN2, G_FLAKE), (U_RESIN2, G_RESIN), (U_BRAND, G_RESIN), (U_BRAND, G_FLAKE)]
    for unit, group in [*scopes, (U_BRAND, G_GLASS)]:
        admin(cat.setUnitScope(unit, group, True))
        mdl.set_scope(unit, group, True)
    until = START + 2 * YEAR
    certs = [
        (
            CERT_RECYCLER,
            P_RECYCLER,
            S_PLUS,
            "ISCC-PLUS-REC-001",
            0,
            [C_FLAKE, C_GLASS],
            [U_RECYCLER],
        ),
        (
            CERT_RESIN,
            P_RESIN,
            S_PLUS,
            "ISCC-PLUS-RES-002",
            RESIN_AUDITED_VOLUME,
            [C_FLAKE],
            [U_RESIN],
        ),
        (CERT_BIO, P_RECYCLER, S_EU, "ISCC-EU-REC-003", 0, [C_BIO], [U_RECYCLER]),
    ]
    for cert_id, holder, scheme, number, volume, classes, units in certs:
        world.send(
            c.registerCertificate(holder, scheme, number, START, until, volume, classes, units),
            certifier,
        )
        mdl.register_certificate(
            cert_id,
            m.Certificate(
                holder,
                scheme,
                P_CERTIFIER,
                START,
                until,
                volume,
                frozenset(classes),
                frozenset(units),
                number=number,
            ),
        )
    return world


# The rolling-average set-up (R8, issue 10): its own product group and class, so the bootstrapped
# world's ids and flows stay as they are; `add_rolling` registers it on chain and in the model.
G_PELLET = 5
C_ROLL = 6
CERT_ROLL = 4


def add_rolling(world: World) -> None:
    """Registers "HDPE pellets" (100 % cap) and its quarterly rolling-average class "rHDPE pellet"
    (window: the current quarter and the one before), certified for the recycler's unit; the resin
    maker's first site and the brand may make and claim pellets."""
    cast, cat, mdl = world.cast, world.catalog.functions, world.model
    world.send(cat.registerProductGroup("HDPE pellets", 10_000), cast.admin)
    mdl.groups[G_PELLET] = 10_000
    spec = class_spec("rHDPE pellet", S_PLUS, G_PELLET, m.MASS_BALANCE, 3, 2, attribution=1)
    world.send(cat.registerClass(spec), cast.admin)
    mdl.register_class(C_ROLL, m.CreditClass(S_PLUS, G_PELLET, m.MASS_BALANCE, 3, 2, attribution=1))
    for unit in (U_RESIN, U_BRAND):
        world.send(cat.setUnitScope(unit, G_PELLET, True), cast.admin)
        mdl.set_scope(unit, G_PELLET, True)
    until = START + 2 * YEAR
    fn = world.consortium.functions.registerCertificate(
        P_RECYCLER, S_PLUS, "ISCC-PLUS-REC-004", START, until, 0, [C_ROLL], [U_RECYCLER]
    )
    world.send(fn, cast.certifier)
    cert = m.Certificate(
        P_RECYCLER,
        S_PLUS,
        P_CERTIFIER,
        START,
        until,
        0,
        frozenset({C_ROLL}),
        frozenset({U_RECYCLER}),
        number="ISCC-PLUS-REC-004",
    )
    mdl.register_certificate(CERT_ROLL, cert)


# Every shape R7 distinguishes (issue 26): a party with two sites outside any boundary (the
# recycler), a party with sites inside and outside a boundary and in two boundaries (the resin
# maker). `add_sites` registers them on chain and in the model; the bootstrapped ids stay.
U_RECYCLER2, U_RESIN3, U_RESIN4 = 6, 7, 8
B_RESIN, B_RESIN2 = 1, 2


def extra_accounts(w3: Web3, count: int) -> list[str]:
    """``count`` funded accounts the node signs for, beyond the world's ten: anvil's own when it
    was started with more (``NodeSettings.accounts``), else keys added to py-evm's tester."""
    accounts = list(w3.eth.accounts)
    if len(accounts) < 10 + count:
        tester = w3.provider.ethereum_tester  # type: ignore[attr-defined]
        for i in range(len(accounts) - 10, count):
            key = hashlib.sha256(f"tracenet test signer {i}".encode()).hexdigest()
            tester.add_account("0x" + key)
        accounts = list(w3.eth.accounts)
    extra = accounts[10 : 10 + count]
    for address in extra:  # a snapshot reverted since the key was added takes its ether back
        if w3.eth.get_balance(address) < 10**18:
            w3.eth.send_transaction({"from": accounts[0], "to": address, "value": 10**20})
    return extra


def add_sites(world: World, signers: Sequence[str] = ()) -> None:
    """Registers the recycler's second site (no boundary, like its first), the resin maker's third
    site (outside its boundary) and fourth (in its second boundary); ``signers`` (up to three)
    sign for them in that order."""
    c, mdl, admin = world.consortium.functions, world.model, world.cast.admin
    world.send(c.declareBoundary(P_RESIN, "Resin maker second boundary"), admin)
    sites = [
        (U_RECYCLER2, P_RECYCLER, 0, "Recycling plant 2"),
        (U_RESIN3, P_RESIN, 0, "Resin site C"),
        (U_RESIN4, P_RESIN, B_RESIN2, "Resin site D"),
    ]
    for unit, party, boundary, name in sites:
        world.send(c.registerUnit(party, boundary, name, "Elsewhere 2, 2000 Town"), admin)
        mdl.units[unit] = m.Unit(party, boundary)
    for signer, (unit, party, _, _) in zip(signers, sites, strict=False):
        world.send(c.authorizeSigner(signer, party, unit), admin)
        mdl.signers[signer] = (party, unit)
