"""Names of parties, units, classes… resolved to ids through the deployment record's registry.

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

from tracenet.gateway.errors import ConfigurationError, RequestRejected

__all__ = ["Registry"]

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


class Registry:
    def __init__(self, names: dict[str, dict[str, int]] | None = None) -> None:
        self.names = {kind: dict(table) for kind, table in (names or {}).items()}
        self._ids = {
            kind: {int(v): k for k, v in table.items()} for kind, table in self.names.items()
        }

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
            raise RequestRejected(
                f"no {what} named {ref!r}", error=error, field=field, args={"key": ref}
            )
        return int(found)

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
