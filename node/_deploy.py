"""``deploy_consortium``: deploy the wired ledger and bootstrap a consortium from its config.

Every transaction is signed by a ``wallet.Signer`` (the admin's for the registry and catalog, each
certification body's for its certificates and processes) and sent with a zero gas price. The
admin's transactions go out in one nonce-ordered batch, then the certifiers'; each batch is awaited
and any failure is replayed to name its custom error. Ids are read back from the events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rlp  # type: ignore[import-untyped]
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TimeExhausted

from tracenet import contracts
from tracenet.contracts import Deployment, LedgerHandle, load_artifact
from tracenet.node._config import (
    ATTRIBUTIONS,
    MODELS,
    RAW_MATERIALS,
    ROLE_BITS,
    ConsortiumConfig,
    label_bytes32,
    to_bytes32,
)
from tracenet.node.errors import DeployConfigError, DeployError
from tracenet.wallet import Signer

#: Gas limit of each bootstrap call (registrations cost far less; deployments are estimated).
CALL_GAS = 1_500_000
#: Seconds a bootstrap transaction may take to be mined before the deploy gives up.
RECEIPT_TIMEOUT = 120.0

#: The administrator's party id: the Consortium constructor registers it first.
ADMIN_PARTY_ID = 1

# Which event announces the id of each kind of entity, and the argument that carries it.
_ID_EVENTS = {
    "PartyRegistered": ("parties", "partyId"),
    "BoundaryDeclared": ("boundaries", "boundaryId"),
    "UnitRegistered": ("units", "unitId"),
    "SchemeRegistered": ("schemes", "schemeId"),
    "ProductGroupRegistered": ("product_groups", "productGroupId"),
    "ClassRegistered": ("classes", "classId"),
    "CertificateRegistered": ("certificates", "certificateId"),
    "ProcessRegistered": ("processes", "processId"),
}


@dataclass
class _Batch:
    """Transactions of one signer, sent in nonce order, awaited together."""

    w3: Web3
    signer: Signer
    nonce: int
    sent: list[tuple[str, str | None, HexBytes]] = field(default_factory=list)  # step, key, hash

    def send(self, step: str, key: str | None, tx: dict[str, Any]) -> None:
        tx = {**tx, "nonce": self.nonce, "gasPrice": 0, "chainId": self.w3.eth.chain_id}
        tx.setdefault("gas", CALL_GAS)
        signed = self.signer.sign_transaction(tx)
        self.sent.append((step, key, self.w3.eth.send_raw_transaction(signed.raw_transaction)))
        self.nonce += 1

    def call(self, step: str, key: str | None, fn: Any) -> None:
        self.send(
            step,
            key,
            fn.build_transaction(
                {"from": self.signer.address, "gas": CALL_GAS, "gasPrice": 0, "nonce": self.nonce}
            ),
        )

    def wait(self, handle: LedgerHandle | None, registry: dict[str, dict[str, int]]) -> None:
        """Waits for every receipt (whatever the block time) and reads ids from the events."""
        for step, key, tx_hash in self.sent:
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.1
                )
            except TimeExhausted:
                raise DeployError(
                    step, f"not mined within {RECEIPT_TIMEOUT:.0f}s (is the node mining?)"
                ) from None
            if receipt["status"] != 1:
                raise DeployError(step, _why(self.w3, receipt))
            if handle is None or key is None:
                continue
            for event in handle.decode_events(receipt):
                if event.event in _ID_EVENTS:
                    kind, arg = _ID_EVENTS[event.event]
                    registry.setdefault(kind, {})[key] = int(event.args[arg])
        self.sent.clear()


def deploy_consortium(
    w3: Web3,
    config: ConsortiumConfig,
    signers: Mapping[str, Signer],
    addresses: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Deployment:
    """Deploys Consortium, Catalog and Ledger and registers everything ``config`` declares.

    ``signers`` maps the wallet labels named in the config to signers: the admin's and the first
    party-level signer of every certification body that registers something. Other signers are
    only authorised, so an address is enough: a config entry that is an address, or a label found
    in ``addresses`` (label to address, e.g. from ``wallet.Keystore.list``) or in ``signers``.
    Every transaction is awaited (any block time); ``progress`` hears one line per stage.
    """
    say = progress if progress is not None else _quiet
    known = {label.lower(): address for label, address in (addresses or {}).items()}
    known |= {label.lower(): signer.address for label, signer in signers.items()}
    admin = _signer(signers, config.admin.signer, "admin.signer")
    registry: dict[str, dict[str, int]] = {}
    start = w3.eth.block_number
    batch = _Batch(w3, admin, w3.eth.get_transaction_count(admin.address, "pending"))
    addresses = _deploy_contracts(w3, batch, config.admin.name)
    batch.wait(None, registry)  # mined before the code is read back, whatever the block time
    say(f"contracts deployed: {', '.join(f'{n} {a}' for n, a in addresses.items())}")
    deployment = Deployment(w3.eth.chain_id, start, addresses, admin.address, registry)
    handle = contracts.attach(w3, deployment)
    registry["parties"] = {config.admin.key: ADMIN_PARTY_ID}  # the constructor registered it
    _register_admin_part(batch, handle, config, known)
    batch.wait(handle, registry)
    say(f"registered {len(config.parties)} parties, {len(config.classes)} classes")

    _register_certified(w3, handle, config, signers, registry)
    say(f"registered {len(config.certificates)} certificates, {len(config.processes)} processes")
    return deployment


def _register_certified(
    w3: Web3,
    handle: LedgerHandle,
    config: ConsortiumConfig,
    signers: Mapping[str, Signer],
    registry: dict[str, dict[str, int]],
) -> None:
    """What certification bodies register, each from its own first party-level signer:
    certificates and processes, then the processes' factors."""
    certifiers: dict[str, _Batch] = {}

    def certifier(party_key: str) -> _Batch:
        if party_key not in certifiers:
            party = next(p for p in config.parties if p.key == party_key)
            if not party.signers:
                raise DeployConfigError(
                    f"party '{party_key}' certifies but has no party-level signer",
                    field=f"parties.{party_key}.signers",
                )
            signer = _signer(signers, party.signers[0], f"parties.{party_key}.signers")
            nonce = w3.eth.get_transaction_count(signer.address, "pending")
            certifiers[party_key] = _Batch(w3, signer, nonce)
        return certifiers[party_key]

    ids = _Ids(registry)
    c, cat = handle.consortium.functions, handle.catalog.functions
    for cert in config.certificates:
        fn = c.registerCertificate(
            ids("parties", cert.holder),
            ids("schemes", cert.scheme),
            cert.number,
            int(cert.valid_from.timestamp()),
            int(cert.valid_until.timestamp()),
            cert.audited_volume,
            [ids("classes", k) for k in cert.classes],
            [ids("units", k) for k in cert.units],
        )
        certifier(cert.certifier).call(f"certificates.{cert.key}", cert.key, fn)
    for proc in config.processes:
        fn = cat.registerProcess(
            ids("units", proc.unit),
            ids("classes", proc.input_class),
            ids("classes", proc.output_class),
            proc.name,
        )
        certifier(proc.certifier).call(f"processes.{proc.key}", proc.key, fn)
    for each in certifiers.values():
        each.wait(handle, registry)
    for proc in config.processes:
        for version, factor in enumerate(proc.factors):
            fn = cat.registerFactor(
                ids("processes", proc.key),
                factor.yield_bps,
                int(factor.effective_from.timestamp()),
                to_bytes32(factor.evidence),
            )
            certifier(proc.certifier).call(f"processes.{proc.key}.factors.{version}", None, fn)
    for each in certifiers.values():
        each.wait(handle, registry)


def _quiet(_: str) -> None:
    pass


def _deploy_contracts(w3: Web3, batch: _Batch, admin_name: str) -> dict[str, ChecksumAddress]:
    """Sends the three deployments and the ledger binding; addresses follow from the nonces."""
    address = batch.signer.address
    addresses: dict[str, ChecksumAddress] = {}
    arguments: dict[str, Callable[[], tuple[Any, ...]]] = {
        "Consortium": lambda: (address, admin_name),
        "Catalog": lambda: (addresses["Consortium"],),
        "Ledger": lambda: (addresses["Consortium"], addresses["Catalog"]),
    }
    # The Ledger creates its Transit (issue 19) in its constructor, at its nonce 1.
    for name, args in arguments.items():
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        addresses[name] = _create_address(address, batch.nonce)
        tx = factory.constructor(*args()).build_transaction(
            {"from": address, "gasPrice": 0, "nonce": batch.nonce, "gas": 8_000_000}
        )
        batch.send(f"deploy.{name}", None, dict(tx))
    addresses["Transit"] = contracts.transit_address(addresses["Ledger"])
    consortium = w3.eth.contract(
        address=addresses["Consortium"], abi=load_artifact("Consortium").abi
    )
    batch.call("bindLedger", None, consortium.functions.bindLedger(addresses["Ledger"]))
    return addresses


def _register_admin_part(
    batch: _Batch, handle: LedgerHandle, config: ConsortiumConfig, known: Mapping[str, str]
) -> None:
    """What the admin registers: the catalog (schemes, product groups, classes), then the
    parties with their boundaries, signers and units."""
    group_id = _register_catalog(batch, handle, config)
    _register_parties(batch, handle, config, known, group_id)


def _register_catalog(
    batch: _Batch, handle: LedgerHandle, config: ConsortiumConfig
) -> dict[str, int]:
    """Schemes, product groups and classes; returns the product groups' ids by key."""
    cat = handle.catalog.functions
    for number, scheme in enumerate(config.schemes, 1):
        batch.call(
            f"schemes.{scheme.key}",
            scheme.key,
            cat.registerScheme(scheme.name, scheme.max_period_months),
        )
        custody = contracts.Custody[scheme.custody]
        if custody != contracts.Custody.none:
            fn = cat.setSchemeCustody(number, custody)
            batch.call(f"schemes.{scheme.key}.custody", None, fn)
        if scheme.acceptance == "required":
            fn = handle.transit.functions.setSchemeAcceptance(
                number,
                contracts.AcceptanceMode.required,
                scheme.acceptance_window_hours * 3600,
                contracts.SettleMode[scheme.acceptance_settle],
            )
            batch.call(f"schemes.{scheme.key}.acceptance", None, fn)
    for group in config.product_groups:
        batch.call(
            f"product_groups.{group.key}",
            group.key,
            cat.registerProductGroup(group.name, group.max_share_bps),
        )
    # Ids are sequential from 1 on a fresh deployment (the admin is party 1); the registry is
    # still read back from the events, and checked against these.
    scheme_id = {s.key: i for i, s in enumerate(config.schemes, 1)}
    group_id = {g.key: i for i, g in enumerate(config.product_groups, 1)}
    for spec in config.classes:
        fn = cat.registerClass(
            (
                spec.name,
                spec.characteristic,
                scheme_id[spec.scheme],
                group_id[spec.product_group],
                MODELS[spec.model],
                ATTRIBUTIONS[spec.attribution],
                spec.period_months,
                spec.window_periods,
                spec.cap_at_stock,
                RAW_MATERIALS[spec.raw_material],
                spec.waste,
                spec.sustainable_factor,
                spec.conventional_factor,
            )
        )
        batch.call(f"classes.{spec.key}", spec.key, fn)
    return group_id


def _register_parties(
    batch: _Batch,
    handle: LedgerHandle,
    config: ConsortiumConfig,
    known: Mapping[str, str],
    group_id: Mapping[str, int],
) -> None:
    """Each party (ids from 2: the admin is 1), its boundaries, signers and units."""
    c, cat = handle.consortium.functions, handle.catalog.functions
    boundary_id = 0
    unit_id = 0
    for party_id, party in enumerate(config.parties, 2):
        roles = sum(ROLE_BITS[r] for r in set(party.roles))
        batch.call(
            f"parties.{party.key}",
            party.key,
            c.registerParty(party.name, label_bytes32(party.identifier), roles),
        )
        boundaries: dict[str, int] = {}
        for boundary in party.boundaries:
            boundary_id += 1
            boundaries[boundary.key] = boundary_id
            batch.call(
                f"boundaries.{boundary.key}",
                boundary.key,
                c.declareBoundary(party_id, boundary.name),
            )
        for signer in party.signers:
            batch.call(
                f"parties.{party.key}.signers",
                None,
                c.authorizeSigner(_address(known, signer), party_id, 0),
            )
        for unit in party.units:
            unit_id += 1
            in_boundary = boundaries[unit.boundary] if unit.boundary else 0
            batch.call(
                f"units.{unit.key}",
                unit.key,
                c.registerUnit(party_id, in_boundary, unit.name, unit.location),
            )
            for signer in unit.signers:
                batch.call(
                    f"units.{unit.key}.signers",
                    None,
                    c.authorizeSigner(_address(known, signer), party_id, unit_id),
                )
            for group_key in unit.product_groups:
                fn = cat.setUnitScope(unit_id, group_id[group_key], True)
                batch.call(f"units.{unit.key}.product_groups", None, fn)


class _Ids:
    def __init__(self, registry: dict[str, dict[str, int]]) -> None:
        self.registry = registry

    def __call__(self, kind: str, key: str) -> int:
        try:
            return self.registry[kind][key]
        except KeyError:
            raise DeployConfigError(f"no {kind} '{key}' was registered", field=kind) from None


def _signer(signers: Mapping[str, Signer], name: str, where: str) -> Signer:
    for label, signer in signers.items():
        if name.lower() in (label.lower(), signer.address.lower()):
            return signer
    raise DeployConfigError(f"no key for '{name}' in the wallet", field=where)


def _address(known: Mapping[str, str], name: str) -> ChecksumAddress:
    """A signer named by address (no key needed) or by wallet label."""
    if Web3.is_address(name):
        return to_checksum_address(name)
    if name.lower() not in known:
        raise DeployConfigError(f"no address for signer '{name}' in the wallet", field="signers")
    return to_checksum_address(known[name.lower()])


def _create_address(sender: str, nonce: int) -> ChecksumAddress:
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def _why(w3: Web3, receipt: Any) -> str:
    sent = w3.eth.get_transaction(receipt["transactionHash"])
    try:
        w3.eth.call(
            {"from": sent["from"], "to": sent["to"], "data": sent["input"]},
            receipt["blockNumber"] - 1,
        )
    except Exception as exc:
        try:
            error = contracts.decode_exception(exc)
            return f"{error.name}{error.args}"
        except Exception:
            return str(exc)
    return "reverted (replay did not reproduce it)"
