"""The ledger's enumerations, bounds and period labels, mirrored once from ``Tracenet.sol``.

Every package names roles, chain-of-custody models, attribution methods, raw materials, the custody
certification a scheme requires and lapse reasons with
these enums (by their lower-case ``name`` in APIs and configs, never by integer code), checks
quantities against ``MAX_QUANTITY_G`` and addresses periods by ``period_label`` /
``parse_period_label``. ``tests/model.py`` keeps its own copy on purpose (it is the oracle).
"""

from __future__ import annotations

import re
from enum import IntEnum, IntFlag

__all__ = [
    "MAX_ACCEPTANCE_WINDOW_S",
    "MAX_CLASS_SUPPLY_G",
    "MAX_QUANTITY_G",
    "PERIOD_MONTHS",
    "TRANSIT_UNIT",
    "AcceptanceMode",
    "Attribution",
    "CertificateStatus",
    "Custody",
    "LapseReason",
    "Model",
    "RawMaterial",
    "Role",
    "RollingOperation",
    "SettleMode",
    "TransitState",
    "certificate_state",
    "parse_period_label",
    "period_label",
]

#: The largest quantity, in grams, that any one amount, physical quantity or declared stock of any
#: ledger operation may carry (10^15 g = one billion tonnes). The ledger rejects a larger one with
#: ``QuantityTooLarge(value, max)``; the gateway refuses it with 422 before signing.
MAX_QUANTITY_G = 10**15

#: The largest supply a class may reach (issued + converted in, grams): 2^63 − 1, so that every
#: balance and counter the ledger keeps fits a signed 64-bit SQL integer. The ledger rejects an
#: operation that would pass it with ``SupplyCapExceeded(classId, supply, max)``.
MAX_CLASS_SUPPLY_G = 2**63 - 1

#: Period lengths a class may declare, in calendar months.
PERIOD_MONTHS = (1, 2, 3, 4, 6, 12)


class Role(IntFlag):
    """Bits of a party's role mask (``Tracenet.ROLE_*``)."""

    admin = 1
    certifier = 2
    auditor = 4
    member = 8
    origin = 16


class Model(IntEnum):
    """Chain-of-custody models (R8, ``Tracenet.MODEL_*``)."""

    mass_balance = 0
    segregated = 1
    book_and_claim = 2


class Attribution(IntEnum):
    """Attribution methods (R8, ISO 22095-2, ``Tracenet.ATTRIBUTION_*``)."""

    credit = 0
    rolling_average = 1


class RawMaterial(IntEnum):
    """A class's raw-material category (``ClassInfo.raw_material``); ``label`` is how configs,
    the SD and the pages spell it (``bio-circular``)."""

    circular = 0
    bio_circular = 1
    bio = 2
    renewable_energy_derived = 3

    @property
    def label(self) -> str:
        return self.name.replace("_", "-")


class Custody(IntEnum):
    """The certified chain of custody a scheme requires (issue 13, ``Tracenet.CUSTODY_*``, set by
    ``Catalog.setSchemeCustody``, carried by ``classInfo`` as ``custody``).

    ``none``: only the origin's certificate counts (R3). ``certified_final_claimant_exempt``:
    every unit that ships, transfers, trades or converts credits of the scheme's classes holds a
    certificate of the scheme, valid at that block, in force, covering the class and the unit;
    a recipient and a claimant may be uncertified (a final claimant: it can claim, never pass the
    credits on). ``certified``: the same for the acting unit of every use, the claim included,
    and for the recipient of every shipment and transfer."""

    none = 0
    certified_final_claimant_exempt = 1
    certified = 2


class AcceptanceMode(IntEnum):
    """Whether a scheme's shipments need the recipient's acceptance (issue 19,
    ``Tracenet.ACCEPTANCE_*``, set by ``Transit.setSchemeAcceptance``)."""

    none = 0
    required = 1


class SettleMode(IntEnum):
    """What settling a shipment after its acceptance window does (``Tracenet.SETTLE_*``)."""

    accepted = 0
    returned = 1


class TransitState(IntEnum):
    """A shipment's acceptance state (``Tracenet.TRANSIT_*``; ``none``: it needed no acceptance)."""

    none = 0
    pending = 1
    accepted = 2
    rejected = 3
    recalled = 4
    settled_accepted = 5
    settled_returned = 6

    @property
    def received(self) -> bool:
        """Whether the credits went to the recipient."""
        return self in (TransitState.accepted, TransitState.settled_accepted)


#: The Ledger's pseudo-unit that holds credits in transit (``Tracenet.TRANSIT_UNIT``).
TRANSIT_UNIT = 2**32 - 1

#: The longest acceptance window a scheme may set, seconds (``Tracenet.MAX_ACCEPTANCE_WINDOW``).
MAX_ACCEPTANCE_WINDOW_S = 366 * 86_400


class RollingOperation(IntEnum):
    """Which operation applied a rolling-average share (R8, ``Tracenet.ROLLING_*``)."""

    shipment = 0
    claim = 1


class CertificateStatus(IntEnum):
    """A certificate's status as its certification body states it (issue 20, ``Tracenet.CERT_*``,
    set by ``Consortium.setCertificateStatus`` with an effective date and a reason).

    ``suspended`` stops inputs and custody until a reinstatement (back to ``valid``);
    ``withdrawn`` and ``terminated`` are final. ``expired`` is no stored status: a valid
    certificate past its validity window (:func:`certificate_state`)."""

    valid = 0
    suspended = 1
    withdrawn = 2
    terminated = 3
    expired = 4


def certificate_state(status: int, valid_from: int, valid_until: int, at: int) -> CertificateStatus:
    """The state a person reads of a certificate at Unix time ``at``: its stated status, or
    ``expired`` for a valid one whose window ``[valid_from, valid_until)`` has ended."""
    stated = CertificateStatus(status)
    if stated is CertificateStatus.valid and at >= valid_until:
        return CertificateStatus.expired
    return stated


class LapseReason(IntEnum):
    """Why credits lapsed (R4, ``Tracenet.LAPSE_*``)."""

    window = 0
    stock_cap = 1


# The letter of each sub-year period length in a label: 2027-B1 (two months), 2027-Q1 (quarter),
# 2027-T1 (four months), 2027-H1 (half year); months are 2027-03 and years 2027.
_LETTER = {2: "B", 3: "Q", 4: "T", 6: "H"}
_LABEL = re.compile(r"^(\d{4})(?:-(?:(\d{2})|([BQTH])(\d{1,2})))?$")


def period_label(period_months: int, period: int) -> str:
    """The label a person reads for period index ``period`` of a class with ``period_months``
    months per period: ``2027-03``, ``2027-B2``, ``2027-Q1``, ``2027-T3``, ``2027-H2``, ``2027``."""
    if period_months not in PERIOD_MONTHS:
        raise ValueError(f"period_months must be one of {PERIOD_MONTHS}, not {period_months}")
    first_month = period * period_months
    year, month = 1970 + first_month // 12, first_month % 12
    if period_months == 1:
        return f"{year:04d}-{month + 1:02d}"
    if period_months == 12:
        return f"{year:04d}"
    return f"{year:04d}-{_LETTER[period_months]}{month // period_months + 1}"


def parse_period_label(period_months: int, label: str) -> int:
    """The period index of ``label`` for a class with ``period_months`` months per period.

    Raises ``ValueError`` naming the expected form when the label is malformed or of another
    period length (``2027-Q1`` for a monthly class, say)."""
    if period_months not in PERIOD_MONTHS:
        raise ValueError(f"period_months must be one of {PERIOD_MONTHS}, not {period_months}")
    example = period_label(period_months, (2027 - 1970) * 12 // period_months)
    match = _LABEL.fullmatch(label.strip())
    if match is None:
        raise ValueError(f"period {label!r} is not a period label like {example!r}")
    year, month, letter, number = match.groups()
    base = (int(year) - 1970) * 12
    if int(year) < 1970:
        raise ValueError(f"period {label!r} is before 1970")
    if period_months == 1 and month is not None and 1 <= int(month) <= 12:
        return base + int(month) - 1
    if period_months == 12 and month is None and letter is None:
        return base // 12
    if letter is not None and _LETTER.get(period_months) == letter:
        index = int(number)
        if 1 <= index <= 12 // period_months:
            return base // period_months + index - 1
    raise ValueError(
        f"period {label!r} does not name a period of {period_months} month(s); "
        f"write it like {example!r}"
    )


#: The explicit syntax of a period index where a period is asked for: ``index:688``.
PERIOD_INDEX_PREFIX = "index:"
_INDEX = re.compile(r"^index:(\d{1,10})$")


def parse_period_ref(period_months: int, text: str) -> int:
    """The period index ``text`` names for a class with ``period_months`` months per period:
    a label (``2027``, ``2027-H1``, ``2027-T2``, ``2027-Q1``, ``2027-B3``, ``2027-03``: see
    ``parse_period_label``) or, for machines, an index in its own syntax ``index:<n>``
    (``index:228``; months since January 1970 divided by the period length). Bare digits are
    always a label: ``2027`` is the year 2027, never index 2027.

    Raises ``ValueError`` naming the expected forms (an index past 2^32 − 1 too)."""
    match = _INDEX.fullmatch(text.strip())
    if match is not None:
        index = int(match.group(1))
        if index > 0xFFFFFFFF:
            raise ValueError(f"period {text!r}: an index is below 2^32")
        return index
    try:
        return parse_period_label(period_months, text)
    except ValueError as exc:
        raise ValueError(f"{exc} (or an index: {PERIOD_INDEX_PREFIX}<n>)") from None
