"""Names of parties, units, classes… resolved to ids through the deployment record's registry.

Display names work too (``Plant``, ``rPET flake``, as the console shows them; any case): the
names the chain registered them under (``learn``: the gateway reads the registration events at
start and again when a name is not known yet). A display name that several entities of one
kind share is refused (422 ``NameAmbiguous`` naming the field) rather than guessed; a registry
key always wins over a display name.

The registry (``{"parties": {key: id}, "units": {...}, ...}``) is optional: without it, only
ids work. A string of ASCII digits is an id too; any other string (``"²"`` included) is a key.
Ids are uint32 on chain: a larger one is unknown, never an overflow. A certificate is also
named by its number as registered on chain (``ISCC-PLUS-Cert-DE100-00001``): the caller passes
the numbers it knows as ``names`` (``Context.resolve`` reads them from the chain).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracenet.contracts import decode_logs, records
from tracenet.gateway.errors import ConfigurationError, RequestRejected

__all__ = ["Registry", "learn_names"]

#: The chain's custom error for an unknown entity of each kind, and the name of its argument.
UNKNOWN = {
    "parties": ("PartyUnknown", "partyId"),
    "units": ("UnitUnknown", "unitId"),
    "boundaries": ("BoundaryUnknown", "boundaryId"),
    "classes": ("ClassUnknown", "classId"),
    "product_groups": ("ProductGroupUnknown", "productGroupId"),
    "schemes": ("SchemeUnknown", "schemeId"),
    "processes": ("ProcessUnknown", "processId"),
    "certificates": ("CertificateUnknown", "certificateId"),
}
_MAX_ID = 2**32 - 1


#: The registration event of each named kind, and its record's id attribute.
REGISTERED_BY = {
    "PartyRegistered": ("parties", "party_id"),
    "UnitRegistered": ("units", "unit_id"),
    "BoundaryDeclared": ("boundaries", "boundary_id"),
    "ClassRegistered": ("classes", "class_id"),
    "ProductGroupRegistered": ("product_groups", "product_group_id"),
    "SchemeRegistered": ("schemes", "scheme_id"),
    "ProcessRegistered": ("processes", "process_id"),
}


class Registry:
    def __init__(self, names: dict[str, dict[str, int]] | None = None) -> None:
        self.names = {kind: dict(table) for kind, table in (names or {}).items()}
        self._ids = {
            kind: {int(v): k for k, v in table.items()} for kind, table in self.names.items()
        }
        #: kind → display name (case-folded) → the ids registered under it
        self.display: dict[str, dict[str, set[int]]] = {}

    def learn(self, kind: str, ident: int, name: str) -> None:
        """Entity ``ident`` of ``kind`` was registered under the display name ``name``."""
        if name.strip():
            self.display.setdefault(kind, {}).setdefault(name.strip().casefold(), set()).add(
                int(ident)
            )

    def learn_events(self, records: Any) -> int:
        """Every registration among decoded event ``records``; how many were learnt."""
        learnt = 0
        for record in records:
            found = REGISTERED_BY.get(type(record).__name__)
            name = getattr(record, "name", None)
            if found is not None and isinstance(name, str):
                self.learn(found[0], int(getattr(record, found[1])), name)
                learnt += 1
        return learnt

    def knows(self, kind: str, ref: int | str) -> bool:
        """Whether ``ref`` is an id, a key or a display name this registry can resolve."""
        if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
            return True
        return ref in self.names.get(kind, {}) or (
            ref.strip().casefold() in self.display.get(kind, {})
        )

    @classmethod
    def from_deployment(cls, path: Path) -> tuple[Registry, dict[str, Any]]:
        """The registry and the raw record of a deployment file."""
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read deployment record {path}: {exc}") from None
        return cls(record.get("registry") or {}), record

    def resolve(
        self, kind: str, ref: int | str, field: str, names: Mapping[str, int] | None = None
    ) -> int:
        """The id ``ref`` names: an id from 0 to 2^32 − 1 as is, a key through the registry,
        else through ``names`` (a certificate's number on chain)."""
        error, arg = UNKNOWN.get(kind, ("FieldInvalid", "id"))
        what = _singular(kind)
        if isinstance(ref, str) and ref.isascii() and ref.isdigit():
            ref = int(ref) if len(ref) <= 10 else _MAX_ID + 1
        if isinstance(ref, int):
            if not 0 <= ref <= _MAX_ID:
                raise RequestRejected(
                    f"no {what} {ref}: ids are below 2^32", error=error, field=field,
                    args={arg: str(ref)},
                )  # fmt: skip
            return ref
        found = self.names.get(kind, {}).get(ref)
        if found is None and names is not None:
            found = names.get(ref)
        if found is None:
            found = self._by_display(kind, what, ref, field)
        if found is None:
            raise RequestRejected(
                f"no {what} named {ref!r}", error=error, field=field, args={"key": ref}
            )
        return int(found)

    def _by_display(self, kind: str, what: str, ref: str, field: str) -> int | None:
        ids = sorted(self.display.get(kind, {}).get(ref.strip().casefold(), ()))
        if len(ids) > 1:
            listed = ", ".join(f"{what} {i}" for i in ids)
            raise RequestRejected(
                f"{len(ids)} {kind.replace('_', ' ')} are named {ref!r} ({listed}): name one "
                "by its registry key or id",
                error="NameAmbiguous", field=field, args={"name": ref, "ids": ids},
            )  # fmt: skip
        return ids[0] if ids else None

    def name_of(self, kind: str, ident: int) -> str | None:
        """The registry key of id ``ident``, if the registry names it."""
        return self._ids.get(kind, {}).get(ident)

    def label(self, kind: str, ident: int) -> str:
        """How a person names the entity: ``recycling-plant (unit 1)``, or ``unit 1``."""
        what = _singular(kind)
        name = self.name_of(kind, ident)
        return f"{name} ({what} {ident})" if name else f"{what} {ident}"


_IRREGULAR = {
    "classes": "class",
    "processes": "process",
    "parties": "party",
    "boundaries": "boundary",
}


def _singular(kind: str) -> str:
    """A kind as a person says it (``classes`` → ``class``)."""
    return _IRREGULAR.get(kind) or kind.removesuffix("s").replace("_", " ")


async def learn_names(
    chain: Any, registry: Registry, addresses: Mapping[str, str], since: int
) -> int:
    """Reads the registration events of the Consortium and the Catalog from block ``since``
    (``eth_getLogs``) into ``registry``'s display names; the next block to read from. A chain
    client without raw JSON-RPC (a test's fake) teaches nothing."""
    rpc = getattr(chain, "rpc", None)
    if rpc is None:
        return since
    latest = int(await rpc("eth_blockNumber", []), 16)
    if latest < since:
        return since
    topics = ["0x" + getattr(records, name).TOPIC.hex() for name in REGISTERED_BY]
    where = [addresses[n] for n in ("Consortium", "Catalog") if n in addresses]
    logs = await rpc(
        "eth_getLogs",
        [{"fromBlock": hex(since), "toBlock": hex(latest), "address": where, "topics": [topics]}],
    )
    registry.learn_events(decode_logs(logs or [], dict(addresses)))
    return latest + 1
