"""QBFT genesis for Hyperledger Besu: the extraData codec and the genesis document.

extraData, as Besu's ``QbftExtraDataCodec`` writes and reads it (hyperledger/besu,
``consensus/qbft/src/main/java/org/hyperledger/besu/consensus/qbft/QbftExtraDataCodec.java``,
``encode``/``decodeRaw``; ``besu rlp encode --type=QBFT_EXTRA_DATA`` calls its
``encodeFromAddresses``), is the RLP list::

    [ vanity      32 bytes, zero in a genesis
    , validators  list of 20-byte addresses, in the order given (Besu's generator keeps key order)
    , vote        [] when there is none, else [recipient(20), 0xff (add) | "" (drop)]
    , round       RLP scalar (``writeIntScalar``): round 0 is the empty string 0x80, not 4 bytes
    , seals       list of 65-byte signatures, [] in a genesis
    ]

so a genesis ends in ``c0 80 c0``. Checked against the published vectors in Besu's QBFT
documentation (``docs/private-networks/how-to/configure/consensus/qbft.md``, both the block-header
and the contract validator-selection genesis) and ConsenSys quorum-dev-quickstart's
``QBFTgenesis.json``; ``tests/node/test_network.py`` decodes all three. Older IBFT 2.0 genesis
files carry the round as 4 bytes (``84 00000000``); Besu's strict QBFT decoder rejects that, and
so does :func:`decode_qbft_extra_data`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import rlp  # type: ignore[import-untyped]  # rlp ships no type information
from rlp.exceptions import DecodingError  # type: ignore[import-untyped]

from tracenet.node._network_errors import QbftExtraDataError

__all__ = [
    "QBFT_MIX_HASH",
    "EvmFork",
    "QbftExtraData",
    "QbftVote",
    "decode_qbft_extra_data",
    "encode_qbft_extra_data",
    "genesis_document",
]

#: ASCII "ctical byzantine fault tolerance" (32 bytes): the mixHash Besu's BFT rules require.
QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
VANITY_LENGTH = 32
ADDRESS_LENGTH = 20
SEAL_LENGTH = 65
_VOTE_ADD = b"\xff"  # Besu Vote.ADD_BYTE_VALUE; a drop is written as the empty string
_MAX_ROUND = 2**31 - 1  # Besu reads the round with readIntScalar into a Java int

EvmFork = Literal["london", "shanghai", "cancun"]
#: Milestones switched on at genesis for each fork; later ones imply the earlier ones in Besu.
_MILESTONES: Mapping[str, Mapping[str, int]] = {
    "london": {"berlinBlock": 0, "londonBlock": 0},
    "shanghai": {"berlinBlock": 0, "londonBlock": 0, "shanghaiTime": 0},
    "cancun": {"berlinBlock": 0, "londonBlock": 0, "shanghaiTime": 0, "cancunTime": 0},
}


@dataclass(frozen=True, slots=True)
class QbftVote:
    """A validator vote carried in a block header: add or drop ``recipient``."""

    recipient: bytes
    add: bool


@dataclass(frozen=True, slots=True)
class QbftExtraData:
    """The decoded fields of a QBFT extraData, in Besu's order."""

    vanity: bytes
    validators: tuple[bytes, ...]
    vote: QbftVote | None = None
    round: int = 0
    seals: tuple[bytes, ...] = ()

    @classmethod
    def for_genesis(cls, validators: Sequence[bytes]) -> QbftExtraData:
        """What ``QbftExtraDataCodec.encodeFromAddresses`` builds: zero vanity, no vote, round 0."""
        return cls(vanity=bytes(VANITY_LENGTH), validators=tuple(validators))


def encode_qbft_extra_data(data: QbftExtraData) -> bytes:
    """RLP-encode ``data`` exactly as Besu's ``QbftExtraDataCodec.encode`` does."""
    _check(len(data.vanity) == VANITY_LENGTH, f"vanity must be {VANITY_LENGTH} bytes")
    for validator in data.validators:
        _check(len(validator) == ADDRESS_LENGTH, "validator addresses must be 20 bytes")
    for seal in data.seals:
        _check(len(seal) == SEAL_LENGTH, f"committed seals must be {SEAL_LENGTH} bytes")
    _check(0 <= data.round <= _MAX_ROUND, "round must fit a non-negative Java int")
    vote: list[bytes] = []
    if data.vote is not None:
        _check(len(data.vote.recipient) == ADDRESS_LENGTH, "vote recipient must be 20 bytes")
        vote = [data.vote.recipient, _VOTE_ADD if data.vote.add else b""]
    encoded = rlp.encode([data.vanity, list(data.validators), vote, data.round, list(data.seals)])
    assert isinstance(encoded, bytes)
    return encoded


def decode_qbft_extra_data(raw: bytes) -> QbftExtraData:
    """Decode a QBFT extraData as strictly as Besu's ``decodeRaw`` (canonical RLP, exact sizes).

    Raises :class:`QbftExtraDataError` naming the first part that is wrong.
    """
    if not raw:
        raise QbftExtraDataError("empty")
    try:
        decoded: Any = rlp.decode(raw, strict=True)
    except DecodingError as exc:
        raise QbftExtraDataError(f"malformed RLP ({exc})") from exc
    _check(isinstance(decoded, list) and len(decoded) == 5, "expected a list of 5 items")
    vanity, validators, vote, round_, seals = decoded
    _check(_is_bytes(vanity, VANITY_LENGTH), f"vanity must be {VANITY_LENGTH} bytes")
    _check(isinstance(validators, list), "validators must be a list")
    _check(
        all(_is_bytes(v, ADDRESS_LENGTH) for v in validators), "validators must be 20-byte items"
    )
    _check(isinstance(vote, list), "vote must be a list")
    decoded_vote = _decode_vote(vote) if vote else None
    _check(isinstance(round_, bytes), "round must be a scalar")
    _check(not round_.startswith(b"\x00"), "round scalar has leading zeros")
    round_number = int.from_bytes(round_, "big")
    _check(round_number <= _MAX_ROUND, "round does not fit a Java int")
    _check(isinstance(seals, list), "seals must be a list")
    _check(all(_is_bytes(s, SEAL_LENGTH) for s in seals), "seals must be 65-byte items")
    return QbftExtraData(
        vanity=vanity,
        validators=tuple(validators),
        vote=decoded_vote,
        round=round_number,
        seals=tuple(seals),
    )


def genesis_document(
    *,
    chain_id: int,
    validators: Sequence[bytes],
    allocations: Mapping[str, int],
    block_period_seconds: int,
    request_timeout_seconds: int,
    epoch_length: int,
    gas_limit: int,
    evm_fork: EvmFork,
    contract_size_limit: int | None = None,
) -> dict[str, Any]:
    """A Besu QBFT genesis with free gas (``zeroBaseFee``), validators fixed in extraData.

    ``allocations`` maps an address (0x-hex) to its balance in wei.
    """
    config: dict[str, Any] = {"chainId": chain_id, **_MILESTONES[evm_fork]}
    config["zeroBaseFee"] = True  # free gas from London on (Besu docs: configure/free-gas.md)
    if contract_size_limit is not None:
        config["contractSizeLimit"] = contract_size_limit
    config["qbft"] = {
        "blockperiodseconds": block_period_seconds,
        "epochlength": epoch_length,
        "requesttimeoutseconds": request_timeout_seconds,
    }
    extra_data = encode_qbft_extra_data(QbftExtraData.for_genesis(validators))
    return {
        "config": config,
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": hex(gas_limit),
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH,
        "coinbase": "0x" + "00" * ADDRESS_LENGTH,
        "extraData": "0x" + extra_data.hex(),
        "alloc": {address: {"balance": hex(wei)} for address, wei in allocations.items()},
    }


def _decode_vote(vote: list[Any]) -> QbftVote:
    _check(len(vote) == 2, "vote must be [recipient, type]")
    recipient, kind = vote
    _check(_is_bytes(recipient, ADDRESS_LENGTH), "vote recipient must be 20 bytes")
    _check(kind in (_VOTE_ADD, b""), "vote type must be 0xff (add) or empty (drop)")
    return QbftVote(recipient=recipient, add=kind == _VOTE_ADD)


def _is_bytes(item: object, length: int) -> bool:
    return isinstance(item, bytes) and len(item) == length


def _check(condition: bool, reason: str) -> None:
    if not condition:
        raise QbftExtraDataError(reason)
