"""Decoding revert data and event logs with the ABIs of the committed artifacts.

How a revert reaches Python depends on the backend (web3 8.0.0):

* anvil / a JSON-RPC node: ``ContractCustomError`` (custom errors), ``ContractPanicError`` and
  ``ContractLogicError`` (``Error(string)``, empty reverts), each with the revert data as a hex
  string in ``.data`` — from ``call``, ``estimate_gas`` and ``transact`` alike.
* eth-tester: ``eth_tester.exceptions.TransactionFailed`` whose only argument is a text:
  ``"execution reverted: b'\\xd0...'"`` (the repr of the raw data) for a custom error, or
  ``"execution reverted: <reason>"`` with ``Error(string)`` already decoded. Panics alone arrive
  as ``ContractPanicError``.
* A transaction sent with an explicit gas limit is mined with status 0 on both, and no revert data
  is kept: ``transact`` in ``_deploy`` replays it with ``eth_call`` to find out why.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import (
    collapse_if_tuple,
    function_abi_to_4byte_selector,
)
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError, Web3RPCError

from tracenet.contracts import _abi, _config
from tracenet.contracts._abi import artifact_names, load_artifact
from tracenet.contracts._events import EventDecoder
from tracenet.contracts.errors import LedgerRevert, UnknownRevert

#: The contracts of a deployed ledger, in deployment order; the Ledger creates its Transit
#: (issue 19) in its constructor, at the Ledger's first contract nonce.
LEDGER_CONTRACTS = ("Consortium", "Catalog", "Ledger", "Transit")

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
_TESTER_PREFIX = "execution reverted"


@dataclass(frozen=True)
class DecodedError:
    """A revert decoded to its Solidity error: ``Error`` / ``Panic`` or a custom error's name."""

    name: str
    args: dict[str, Any]


class DecodedEvent(NamedTuple):
    """One log decoded to (contract name, event name, arguments by name)."""

    contract: str
    event: str
    args: dict[str, Any]


def decode_error(revert_data: bytes | str, *, build_dir: Path | None = None) -> DecodedError:
    """Decode revert data by its selector across every artifact's ABI.

    Raises ``UnknownRevert`` for empty data, an unknown selector or undecodable arguments.
    """
    data = bytes(HexBytes(revert_data))
    selector, body = data[:4], data[4:]
    if selector == _ERROR_STRING:
        entry: dict[str, Any] = {"name": "Error", "inputs": [{"name": "message", "type": "string"}]}
    elif selector == _PANIC:
        entry = {"name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]}
    elif (found := _errors(build_dir or _config.BUILD_DIR).get(selector)) is not None:
        entry = found
    else:
        raise UnknownRevert(data, reason="no error with this selector" if data else "no data")
    try:
        return DecodedError(entry["name"], _decode_inputs(entry["inputs"], body))
    except DecodingError as exc:
        raise UnknownRevert(data, reason=f"bad arguments for {entry['name']}: {exc}") from exc


def decode_exception(exc: BaseException, *, build_dir: Path | None = None) -> DecodedError:
    """Decode the revert behind a web3 or eth-tester exception (see the module docstring).

    Raises ``UnknownRevert`` when the revert carries no decodable data and ``TypeError`` when
    ``exc`` is not a revert at all.
    """
    if isinstance(exc, LedgerRevert):
        if isinstance(exc, UnknownRevert):
            raise exc
        return DecodedError(exc.name, exc.error_args)
    if isinstance(exc, ContractLogicError):
        if isinstance(exc.data, str) and HexBytes(exc.data):
            return decode_error(exc.data, build_dir=build_dir)
        raise UnknownRevert(b"", reason=str(exc.message or exc))
    if isinstance(exc, Web3RPCError) and isinstance(data := _rpc_error_data(exc), str):
        return decode_error(data, build_dir=build_dir)
    if type(exc).__name__ == "TransactionFailed" and exc.args:
        return _decode_tester(exc.args[0], build_dir)
    raise TypeError(f"not a revert: {exc!r}")


def as_ledger_revert(
    exc: BaseException, *, tx_hash: str | None = None, build_dir: Path | None = None
) -> LedgerRevert:
    """The ``LedgerRevert`` (``UnknownRevert`` if undecodable) for a revert exception."""
    try:
        decoded = decode_exception(exc, build_dir=build_dir)
    except UnknownRevert as unknown:
        return UnknownRevert(unknown.data, reason=unknown.reason, tx_hash=tx_hash)
    data = _raw_data(exc)
    return LedgerRevert(decoded.name, decoded.args, tx_hash=tx_hash, data=data)


def decode_events(
    receipt: Mapping[str, Any],
    *,
    addresses: Mapping[str, str] | None = None,
    contracts: Sequence[str] = LEDGER_CONTRACTS,
) -> list[DecodedEvent]:
    """A receipt's logs of ``contracts`` as (contract, event, arguments by ABI name), decoded by
    the SDK's one decoder (``contracts.decode_receipt`` gives the typed records themselves).

    With ``addresses`` (name -> address, as in a ``Deployment``) only logs emitted by those
    contracts at their own addresses; otherwise any log whose topic one of them declares.
    """
    out = []
    for record in EventDecoder(addresses).decode_receipt(receipt):
        if record.CONTRACT in contracts:
            args = {f.name: v for f, v in zip(record.FIELDS, record.to_abi(), strict=True)}
            out.append(DecodedEvent(record.CONTRACT, record.NAME, args))
    return out


def clear_cache() -> None:
    """Forget artifacts and ABI tables read so far (after a rebuild in the same process)."""
    _abi.clear_cache()
    _errors.cache_clear()


def _decode_tester(first: object, build_dir: Path | None) -> DecodedError:
    if isinstance(first, Exception) and first.args:
        first = first.args[0]
    if isinstance(first, bytes):
        return decode_error(first, build_dir=build_dir)
    text = str(first).removeprefix(_TESTER_PREFIX).removeprefix(":").strip()
    if text.startswith(("b'", 'b"')):
        try:
            data = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            data = None
        if isinstance(data, bytes):
            return decode_error(data, build_dir=build_dir)
    if not text:
        raise UnknownRevert(b"", reason=str(first))
    return DecodedError("Error", {"message": text})  # eth-tester decoded Error(string) already


def _raw_data(exc: BaseException) -> bytes:
    if isinstance(exc, ContractLogicError) and isinstance(exc.data, str):
        return bytes(HexBytes(exc.data))
    if isinstance(exc, LedgerRevert):
        return exc.data
    return b""


def _rpc_error_data(exc: Web3RPCError) -> object:
    error: object = (exc.rpc_response or {}).get("error")
    return error.get("data") if isinstance(error, Mapping) else None


@functools.cache
def _errors(build_dir: Path) -> dict[bytes, dict[str, Any]]:
    table: dict[bytes, dict[str, Any]] = {}
    for name in artifact_names(build_dir):
        for entry in load_artifact(name, build_dir).abi:
            if entry.get("type") == "error":
                table.setdefault(function_abi_to_4byte_selector(entry), entry)  # type: ignore[arg-type]
    return table


def _decode_inputs(inputs: Sequence[Mapping[str, Any]], body: bytes) -> dict[str, Any]:
    values = decode([collapse_if_tuple(dict(i)) for i in inputs], body)
    return {
        _arg_name(i, n): _normalise(i, v)
        for n, (i, v) in enumerate(zip(inputs, values, strict=True))
    }


def _arg_name(item: Mapping[str, Any], position: int) -> str:
    return str(item.get("name") or f"arg{position}")


def _normalise(item: Mapping[str, Any], value: Any) -> Any:
    """Checksum every address, nested in tuples and arrays too."""
    kind: str = item["type"]
    if kind.endswith("]") and isinstance(value, Iterable) and not isinstance(value, bytes):
        inner = {**item, "type": kind[: kind.rindex("[")]}
        return [_normalise(inner, v) for v in value]
    if kind == "address" and isinstance(value, str):
        return to_checksum_address(value)
    if kind == "tuple" and isinstance(value, tuple):
        components = item.get("components", [])
        return tuple(_normalise(c, v) for c, v in zip(components, value, strict=True))
    return value
