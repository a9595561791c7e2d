"""Names of parties, units, classes… resolved to ids through the deployment record's registry.

The registry (``{"parties": {key: id}, "units": {...}, ...}``) is optional: without it, only
ids work. A decimal string is an id too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.errors import ConfigurationError, RequestRejected

__all__ = ["Registry"]

_UNKNOWN = {
    "parties": "PartyUnknown",
    "units": "UnitUnknown",
    "classes": "ClassUnknown",
    "product_groups": "ProductGroupMismatch",
    "schemes": "FieldInvalid",
    "processes": "FactorNotInEffect",
    "certificates": "CertificateUnknown",
}


class Registry:
    def __init__(self, names: dict[str, dict[str, int]] | None = None) -> None:
        self.names = {kind: dict(table) for kind, table in (names or {}).items()}

    @classmethod
    def from_deployment(cls, path: Path) -> tuple[Registry, dict[str, Any]]:
        """The registry and the raw record of a deployment file."""
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read deployment record {path}: {exc}") from None
        return cls(record.get("registry") or {}), record

    def resolve(self, kind: str, ref: int | str, field: str) -> int:
        if isinstance(ref, int):
            return ref
        if ref.isdigit():
            return int(ref)
        found = self.names.get(kind, {}).get(ref)
        if found is None:
            raise RequestRejected(
                f"no {kind.rstrip('s').replace('_', ' ')} named {ref!r}",
                error=_UNKNOWN.get(kind, "FieldInvalid"),
                field=field,
            )
        return int(found)

    def name_of(self, kind: str, ident: int) -> str | None:
        return next((k for k, v in self.names.get(kind, {}).items() if v == ident), None)
