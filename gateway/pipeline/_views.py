"""Calldata for the ledger's functions, and the chain views validation reads, cached.

Encoding goes straight through eth-abi with the committed ABIs (a write is encoded once, on
the request path, so it has to be cheap). Views are cached for ``view_cache_seconds``; balances
and periods for at most one second. Concurrent readers of one key share one call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.abi import collapse_if_tuple, function_abi_to_4byte_selector

from tracenet import contracts
from tracenet.contracts.errors import LedgerRevert
from tracenet.contracts.records import (
    Actor,
    CertificateView,
    ClassInfo,
    Delivery,
    Process,
    RollingClass,
    RollingShare,
    UnitView,
)
from tracenet.gateway.errors import NAMES, ChainUnavailable, RequestRejected
from tracenet.gateway.pipeline._chain import Chain

__all__ = ["Abi", "LedgerViews"]


class Abi:
    """Encode calls and decode results of one contract's functions."""

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.address = address
        self._fns: dict[str, tuple[bytes, list[str], list[str]]] = {}
        for entry in contracts.load_artifact(name).abi:
            if entry.get("type") == "function":
                self._fns[entry["name"]] = (
                    function_abi_to_4byte_selector(entry),  # type: ignore[arg-type]
                    [collapse_if_tuple(dict(i)) for i in entry["inputs"]],
                    [collapse_if_tuple(dict(o)) for o in entry["outputs"]],
                )

    def encode(self, fn: str, *args: Any) -> str:
        selector, inputs, _ = self._fns[fn]
        return "0x" + (selector + encode(inputs, list(args))).hex()

    def decode(self, fn: str, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(self._fns[fn][2], data))


class LedgerViews:
    """What validation reads from the chain. Unknown ids raise ``RequestRejected``."""

    def __init__(self, chain: Chain, addresses: dict[str, str], *, ttl: float) -> None:
        self.chain = chain
        self.consortium = Abi("Consortium", addresses["Consortium"])
        self.catalog = Abi("Catalog", addresses["Catalog"])
        self.ledger = Abi("Ledger", addresses["Ledger"])
        transit = addresses.get("Transit") or contracts.transit_address(addresses["Ledger"])
        self.transit = Abi("Transit", transit)
        self.ttl = ttl
        self._cache: dict[tuple[Any, ...], tuple[float, asyncio.Future[Any]]] = {}
        self._refreshing: set[tuple[Any, ...]] = set()
        self._generation = 0
        #: Certificate numbers read so far (number → lowest id: a number never changes) and
        #: how many certificates that scan covered.
        self._cert_numbers: dict[str, int] = {}
        self._cert_scanned = 0

    def forget(self) -> None:
        self._cache.clear()
        self._generation += 1  # a refresh started before this does not come back

    async def _cached(
        self, key: tuple[Any, ...], ttl: float, load: Callable[[], Awaitable[Any]]
    ) -> Any:
        """``load()``'s result, at most ``ttl`` seconds old; concurrent callers share one call.

        Refresh-ahead: a value read after half its lifetime is reloaded in the background while
        callers keep getting it (never past ``ttl``), so under steady traffic no request waits
        for the node; only a value nobody read for ``ttl`` seconds is loaded while they wait.
        """
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            task = hit[1]
            if task.done():
                if now > hit[0] - ttl / 2 and key not in self._refreshing:
                    self._refresh(key, ttl, load)
                if not task.cancelled() and task.exception() is None:
                    return task.result()  # the hot path: no future, no await
        else:
            task = asyncio.ensure_future(load())
            self._cache[key] = (now + ttl, task)
            if len(self._cache) > 50_000:
                self._cache.clear()
                self._cache[key] = (now + ttl, task)
        try:
            return await asyncio.shield(task)
        except ChainUnavailable:
            self._cache.pop(key, None)
            raise

    def _refresh(
        self, key: tuple[Any, ...], ttl: float, load: Callable[[], Awaitable[Any]]
    ) -> None:
        self._refreshing.add(key)
        started, generation = time.monotonic(), self._generation
        task = asyncio.ensure_future(load())

        def done(_: asyncio.Future[Any]) -> None:
            self._refreshing.discard(key)
            ok = not task.cancelled() and task.exception() is None
            if ok and generation == self._generation:
                self._cache[key] = (started + ttl, task)

        task.add_done_callback(done)

    async def _view(self, abi: Abi, fn: str, *args: Any) -> tuple[Any, ...]:
        data = await self.chain.call(abi.address, abi.encode(fn, *args))
        return abi.decode(fn, data)

    async def _known(
        self, abi: Abi, fn: str, args: Sequence[Any], error: str, field: str, ttl: float = -1.0,
        decode: Callable[[tuple[Any, ...]], Any] | None = None,
    ) -> Any:  # fmt: skip
        """The view's result (decoded by ``decode`` once per load, not once per read)."""

        async def load() -> Any:
            try:
                result = await self._view(abi, fn, *args)
            except LedgerRevert as revert:
                raise rejected(revert, error, field, f"no {field} {args[0]}") from None
            return result if decode is None else decode(result)

        return await self._cached((fn, *args), self.ttl if ttl < 0 else ttl, load)

    # ---- consortium ---------------------------------------------------------------------------

    async def party(self, party_id: int, field: str = "party") -> tuple[int, bool]:
        roles, active = await self._known(
            self.consortium, "partyOf", [party_id], "PartyUnknown", field
        )
        return int(roles), bool(active)

    async def unit(self, unit_id: int, field: str = "unit") -> UnitView:
        if not 0 < unit_id < 2**32:
            raise RequestRejected(
                f"no unit {unit_id}", error="UnitUnknown", field=field, args={"unitId": unit_id}
            )
        view: UnitView = await self._known(
            self.consortium, "unitView", [unit_id], "UnitUnknown", field,
            decode=lambda r: UnitView.from_abi(r[0]),
        )  # fmt: skip
        return view

    async def certificate(
        self, cert_id: int, field: str = "certificate", *, fresh: bool = False
    ) -> CertificateView:
        """A certificate's record; ``fresh`` reads it uncached (its status may have changed)."""
        if fresh:
            try:
                (view,) = await self._view(self.consortium, "certificate", cert_id)
            except LedgerRevert as revert:
                raise rejected(
                    revert, "CertificateUnknown", field, f"no {field} {cert_id}"
                ) from None
        else:
            (view,) = await self._known(
                self.consortium, "certificate", [cert_id], "CertificateUnknown", field
            )
        cert = CertificateView.from_abi(view)
        if cert.holder_party_id == 0:
            raise RequestRejected(
                f"no certificate {cert_id}", error="CertificateUnknown", field=field,
                args={"certificateId": cert_id},
            )  # fmt: skip
        return cert

    async def certificate_numbers(self, number: str) -> dict[str, int]:
        """Every certificate number on chain (number → lowest id), read once per certificate:
        when ``number`` is not known yet, the certificates registered since are read."""
        if number in self._cert_numbers:
            return self._cert_numbers
        total = int((await self._view(self.consortium, "counts"))[3])  # uncached: a new one
        while self._cert_scanned < total:  # 64 at a time: a large registry reads in batches
            first = self._cert_scanned + 1
            ids = range(first, min(total, first + 63) + 1)
            certs = await asyncio.gather(*(self.certificate(i) for i in ids))
            for cert_id, cert in zip(ids, certs, strict=True):
                self._cert_numbers.setdefault(cert.number, cert_id)
            self._cert_scanned = max(self._cert_scanned, ids[-1])
        return self._cert_numbers

    async def certificate_by_number(self, scheme_id: int, number: str) -> int:
        """The certificate numbered ``number`` in scheme ``scheme_id`` (0: none), uncached."""
        (found,) = await self._view(self.consortium, "certificateByNumber", scheme_id, number)
        return int(found)

    async def covers(self, cert_id: int, class_id: int, unit_id: int) -> tuple[bool, bool]:
        a, b = await self._known(
            self.consortium, "certificateCovers", [cert_id, class_id, unit_id],
            "CertificateUnknown", "certificate",
        )  # fmt: skip
        return bool(a), bool(b)

    async def actor(self, address: str) -> Actor | None:
        """Whom ``address`` signs for now (uncached); ``None`` if it is no signer."""
        try:
            (view,) = await self._view(self.consortium, "actorOf", address)
        except LedgerRevert:
            return None
        return Actor.from_abi(view)

    # ---- catalog ------------------------------------------------------------------------------

    async def class_info(self, class_id: int, field: str = "class") -> ClassInfo:
        if not 0 < class_id < 2**32:
            raise RequestRejected(
                f"no class {class_id}", error="ClassUnknown", field=field,
                args={"classId": class_id},
            )  # fmt: skip
        info: ClassInfo = await self._known(
            self.catalog, "classInfo", [class_id], "ClassUnknown", field,
            decode=lambda r: ClassInfo.from_abi(r[0]),
        )  # fmt: skip
        return info

    async def max_share(self, group_id: int, field: str = "product_group") -> int:
        if not 0 < group_id < 2**32:
            raise RequestRejected(
                f"no product group {group_id}", error="ProductGroupUnknown", field=field,
                args={"productGroupId": group_id},
            )  # fmt: skip
        (share,) = await self._known(
            self.catalog, "maxShareBps", [group_id], "ProductGroupUnknown", field
        )
        return int(share)

    async def rolling_classes(self, group_id: int) -> list[RollingClass]:
        """R8: the product group's rolling-average classes (``Catalog.rollingClasses``)."""
        listed: list[RollingClass] = await self._known(
            self.catalog, "rollingClasses", [group_id], "ProductGroupUnknown", "product_group",
            decode=lambda r: [RollingClass.from_abi(item) for item in r[0]],
        )  # fmt: skip
        return list(listed)

    async def in_scope(self, unit_id: int, group_id: int) -> bool:
        """R7: whether ``group_id`` is in ``unit_id``'s product scope (``Catalog.unitScope``)."""
        (inside,) = await self._known(
            self.catalog, "unitScope", [unit_id, group_id], "ProductGroupUnknown", "product_group"
        )
        return bool(inside)

    async def scheme(self, scheme_id: int, field: str = "scheme") -> int:
        (months,) = await self._known(
            self.catalog, "schemeMaxPeriodMonths", [scheme_id], "SchemeUnknown", field
        )
        return int(months)

    async def process(self, process_id: int, field: str = "process") -> Process:
        (proc,) = await self._known(self.catalog, "process", [process_id], "ProcessUnknown", field)
        return Process.from_abi(proc)

    async def factor_in_effect(self, process_id: int, version: int, unit_id: int) -> int:
        key = ("factorInEffect", process_id, version, unit_id)

        async def load() -> int:
            try:
                data = self.catalog.encode("factorInEffect", process_id, version, unit_id)
                raw = await self.chain.call(self.catalog.address, data)
            except LedgerRevert as revert:
                field = "process" if revert.name == "ProcessUnknown" else "factor_version"
                message = f"process {process_id}'s factor version {version} is not in effect"
                raise rejected(revert, "FactorUnknown", field, message) from None
            return int(self.catalog.decode("factorInEffect", raw)[0])

        result: int = await self._cached(key, min(self.ttl, 1.0), load)
        return result

    # ---- ledger -------------------------------------------------------------------------------

    async def current_period(self, class_id: int) -> int:
        (period,) = await self._known(
            self.ledger, "currentPeriod", [class_id], "ClassUnknown", "class", ttl=1.0
        )
        return int(period)

    async def balance(self, unit_id: int, token_id: int) -> int:
        (held,) = await self._known(
            self.ledger, "balanceOfUnit", [unit_id, token_id], "ClassUnknown", "lines",
            ttl=min(self.ttl, 1.0),
        )  # fmt: skip
        return int(held)

    async def rolling_share(self, unit_id: int, class_id: int) -> RollingShare:
        """R8: the unit's share in force of a rolling-average class, at most a second old."""
        (share,) = await self._known(
            self.ledger, "rollingShare", [unit_id, class_id], "RollingClassRequired", "class",
            ttl=min(self.ttl, 1.0),
        )  # fmt: skip
        return RollingShare.from_abi(share)

    async def delivery(self, shipment_id: int) -> Delivery:
        """Issue 19: a shipment's transit record (state ``none``: it never awaited acceptance);
        uncached, it changes with every accept, reject, recall and settle."""
        (view,) = await self._view(self.transit, "delivery", shipment_id)
        return Delivery.from_abi(view)

    async def evidence_used(self, evidence: bytes) -> bool:
        (used,) = await self._view(self.ledger, "evidenceUsed", evidence)
        return bool(used)


def rejected(revert: LedgerRevert, fallback: str, field: str, message: str) -> RequestRejected:
    """A view's revert as the same custom error, before signing (``fallback`` if the gateway's
    table has no row of that name)."""
    name = revert.name if revert.name in NAMES else fallback
    args = revert.error_args if name == revert.name else {}
    return RequestRejected(f"{message} ({revert.name})", error=name, field=field, args=args)


async def chain_time(views: LedgerViews) -> int:
    """The latest block's timestamp, cached for a second."""

    async def load() -> int:
        return await views.chain.timestamp()

    value: int = await views._cached(("timestamp",), 1.0, load)
    return value
