"""The declarative consortium config that ``tracenet deploy`` bootstraps a ledger from.

A YAML (or JSON) document; every entity has a ``key`` that later entries (and the deployment
record's ``registry``) refer to. Quantities are integer grams, shares and factors basis points,
emission factors gCO2e per kg, dates ISO-8601 (UTC when no zone is given).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tracenet.contracts import RawMaterial
from tracenet.node.errors import DeployConfigError

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
Role = Literal["admin", "certifier", "auditor", "member", "origin"]
ROLE_BITS: dict[str, int] = {"admin": 1, "certifier": 2, "auditor": 4, "member": 8, "origin": 16}
MODELS = {"mass_balance": 0, "segregated": 1, "book_and_claim": 2}
ATTRIBUTIONS = {"credit": 0, "rolling_average": 1}
RAW_MATERIALS = {m.label: m.value for m in RawMaterial}
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdminSpec(_Spec):
    #: The administrator's key in the deployment record's registry (its party id is always 1).
    key: Key = "consortium"
    name: str
    signer: str  # wallet label or address of the deployer, the consortium administrator


class SchemeSpec(_Spec):
    key: Key
    name: str
    max_period_months: int = Field(ge=1, le=12)
    #: The chain of custody the scheme requires, by ``contracts.Custody`` name
    #: (Catalog.setSchemeCustody): none, every holder certified except a final claimant, or
    #: every holder certified.
    custody: Literal["none", "certified_final_claimant_exempt", "certified"] = "none"
    #: Issue 19: whether its shipments need the recipient's acceptance
    #: (Transit.setSchemeAcceptance), within how many hours, and what settling after them does
    #: (accepted, or returned to the sender).
    acceptance: Literal["none", "required"] = "none"
    acceptance_window_hours: int = Field(default=72, ge=1, le=366 * 24)
    acceptance_settle: Literal["accepted", "returned"] = "accepted"


class ProductGroupSpec(_Spec):
    key: Key
    name: str
    max_share_bps: int = Field(ge=1, le=10_000)


class ClassSpec(_Spec):
    key: Key
    name: str
    characteristic: str
    scheme: Key
    product_group: Key
    model: Literal["mass_balance", "segregated", "book_and_claim"]
    attribution: Literal["credit", "rolling_average"] = "credit"
    period_months: Literal[1, 2, 3, 4, 6, 12]
    window_periods: int = Field(ge=1, le=12)
    cap_at_stock: bool = False
    raw_material: Literal["circular", "bio-circular", "bio", "renewable-energy-derived"]
    waste: bool = False
    sustainable_factor: int = Field(ge=0, lt=2**32)  # gCO2e per kg
    conventional_factor: int = Field(ge=0, lt=2**32)


class BoundarySpec(_Spec):
    key: Key
    name: str


class UnitSpec(_Spec):
    key: Key
    name: str
    location: str
    boundary: Key | None = None
    signers: list[str] = []
    #: Product groups put in the unit's product scope (R7, ``Catalog.setUnitScope``) by the
    #: admin at deploy, beyond those its certificates and processes bring: e.g. a final
    #: claimant without a certificate that receives and claims a group's products.
    product_groups: list[Key] = []


class PartySpec(_Spec):
    key: Key
    name: str
    identifier: str = ""  # e.g. an LEI; stored as bytes32
    roles: list[Role]
    boundaries: list[BoundarySpec] = []
    units: list[UnitSpec] = []
    signers: list[str] = []  # party-level signers (no unit)


class CertificateSpec(_Spec):
    key: Key
    holder: Key
    certifier: Key
    scheme: Key
    number: str = Field(min_length=1)
    valid_from: datetime
    valid_until: datetime
    audited_volume: int = Field(default=0, ge=0, lt=2**128)  # grams; 0 = no cap
    classes: list[Key] = Field(min_length=1)
    units: list[Key] = Field(min_length=1)

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _utc(cls, value: object) -> object:
        return _as_utc(value)

    @model_validator(mode="after")
    def _window(self) -> CertificateSpec:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class FactorSpec(_Spec):
    yield_bps: int = Field(ge=1, le=10_000)
    effective_from: datetime
    evidence: str = Field(min_length=1)  # 0x-hash, or any text (hashed with sha256)

    @field_validator("effective_from", mode="before")
    @classmethod
    def _utc(cls, value: object) -> object:
        return _as_utc(value)


class ProcessSpec(_Spec):
    key: Key
    name: str
    unit: Key
    input_class: Key
    output_class: Key
    certifier: Key
    factors: list[FactorSpec] = Field(min_length=1)


class ConsortiumConfig(_Spec):
    """The whole bootstrap: who, what classes, which certificates and processes."""

    admin: AdminSpec
    schemes: list[SchemeSpec] = []
    product_groups: list[ProductGroupSpec] = []
    classes: list[ClassSpec] = []
    parties: list[PartySpec] = []
    certificates: list[CertificateSpec] = []
    processes: list[ProcessSpec] = []

    @model_validator(mode="after")
    def _references(self) -> ConsortiumConfig:
        schemes = _keys("schemes", self.schemes)
        groups = _keys("product_groups", self.product_groups)
        classes = _keys("classes", self.classes)
        parties = _keys("parties", self.parties)
        if self.admin.key in parties:
            raise ValueError(f"parties: key '{self.admin.key}' is the admin's (admin.key)")
        units = _keys("units", [u for p in self.parties for u in p.units])
        for spec in self.classes:
            _known(f"classes.{spec.key}.scheme", spec.scheme, schemes)
            _known(f"classes.{spec.key}.product_group", spec.product_group, groups)
        for party in self.parties:
            boundaries = {b.key for b in party.boundaries}
            for unit in party.units:
                for key in unit.product_groups:
                    _known(f"parties.{party.key}.units.{unit.key}.product_groups", key, groups)
                if unit.boundary is not None:
                    _known(
                        f"parties.{party.key}.units.{unit.key}.boundary", unit.boundary, boundaries
                    )
        for cert in self.certificates:
            _known(f"certificates.{cert.key}.holder", cert.holder, parties)
            _known(f"certificates.{cert.key}.certifier", cert.certifier, parties)
            _known(f"certificates.{cert.key}.scheme", cert.scheme, schemes)
            for key in cert.classes:
                _known(f"certificates.{cert.key}.classes", key, classes)
            for key in cert.units:
                _known(f"certificates.{cert.key}.units", key, units)
        for proc in self.processes:
            _known(f"processes.{proc.key}.unit", proc.unit, units)
            _known(f"processes.{proc.key}.certifier", proc.certifier, parties)
            for key in (proc.input_class, proc.output_class):
                _known(f"processes.{proc.key}", key, classes)
        _keys("processes", self.processes)
        _keys("certificates", self.certificates)
        return self

    @classmethod
    def load(cls, path: Path) -> ConsortiumConfig:
        """Reads and validates a config file; errors name the field and the rule."""
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise DeployConfigError(f"cannot read {path}: {exc}", field="config") from exc
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            first = exc.errors()[0]
            where, message = ".".join(str(p) for p in first["loc"]), first["msg"]
            if not where:  # a cross-reference check: its message starts with the field
                where, _, message = message.removeprefix("Value error, ").partition(": ")
            raise DeployConfigError(f"{path}: {where}: {message}", field=where) from exc


def _as_utc(value: object) -> object:
    """Dates become midnight UTC; times without a zone are UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def to_bytes32(text: str) -> bytes:
    """A 0x-prefixed 32-byte hex string as is; other text as its sha256."""
    if _HEX32.match(text):
        return bytes.fromhex(text[2:])
    return hashlib.sha256(text.encode()).digest()


def label_bytes32(text: str) -> bytes:
    """Short text (an identifier, a reference) left-aligned in 32 bytes."""
    raw = text.encode()
    if len(raw) > 32:
        raise DeployConfigError(f"'{text}' is longer than 32 bytes", field="identifier")
    return raw.ljust(32, b"\0")


def _keys(section: str, items: Sequence[_Keyed]) -> set[str]:
    keys = [item.key for item in items]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(f"{section}: duplicate key(s) {sorted(duplicates)}")
    return set(keys)


def _known(where: str, key: str, known: set[str]) -> None:
    if key not in known:
        raise ValueError(f"{where}: unknown key '{key}'")
