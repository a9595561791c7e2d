"""``export_archive``: a deployment's whole record into files anyone can keep and check.

What is written (the README's "Archive format"): every log of the three contracts as the node
gave it (``logs.jsonl``), the same decoded (``events.jsonl``), the header of every block that
holds one and of the head (``blocks.jsonl``: number, hash, parent hash, time — the anchors), the
views the ledger answered at the head (``views.json``), the contracts' ABIs (``abi/``), the
documents a party chose to publish (``documents/``, each named by its SHA-256 and anchored by an
event that carries that hash), and ``manifest.json``, written last, with every file's SHA-256.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from tracenet import contracts
from tracenet.contracts import records as R
from tracenet.indexer.archive import _format as F
from tracenet.indexer.errors import IndexerError
from tracenet.indexer.verifier._chainread import DEFAULT_MAX_RANGE, read_logs
from tracenet.kit import iso_time

__all__ = ["ArchiveError", "ExportSummary", "export_archive", "hashes_in", "raw_log"]


class ArchiveError(IndexerError):
    """An archive that cannot be written or read: the field names the file or option."""

    default_error = "ArchiveInvalid"


@dataclass(frozen=True)
class ExportSummary:
    out: Path
    chain_id: int
    head_block: int
    head_time: int
    logs: int
    events: int
    documents: int


def raw_log(log: Any) -> dict[str, Any]:
    return {
        "block_number": int(log["blockNumber"]),
        "block_hash": HexBytes(log["blockHash"]).to_0x_hex(),
        "log_index": int(log["logIndex"]),
        "transaction_hash": HexBytes(log["transactionHash"]).to_0x_hex(),
        "address": Web3.to_checksum_address(log["address"]),
        "topics": [HexBytes(t).to_0x_hex() for t in log["topics"]],
        "data": HexBytes(log["data"]).to_0x_hex(),
    }


def hashes_in(record: Any) -> set[str]:
    """The 32-byte document hashes an event carries (evidence, delivery document, trade ref)."""
    found = set()
    for name in ("evidence_hash", "document_hash", "trade_ref"):
        value = getattr(record, name, None)
        if isinstance(value, bytes) and len(value) == 32 and any(value):
            found.add(value.hex())
    return found


def export_archive(
    w3: Web3,
    deployment: contracts.Deployment,
    out: Path,
    *,
    documents: Path | None = None,
    max_range: int = DEFAULT_MAX_RANGE,
    say: Callable[[str], None] = lambda _: None,
) -> ExportSummary:
    """Write the archive of ``deployment`` up to the chain's head into the empty folder ``out``."""
    if out.exists() and any(out.iterdir()):
        raise ArchiveError(f"{out} is not empty: an archive goes into a new folder", field="out")
    handle = contracts.attach(w3, deployment)
    head = w3.eth.block_number
    addresses = [deployment.addresses[n] for n in contracts.LEDGER_CONTRACTS]
    say(f"reading the ledger's logs from block {deployment.block_number} to {head}…")
    raw = read_logs(w3, addresses, deployment.block_number, head, max_range=max_range)
    logs = sorted((raw_log(x) for x in raw), key=lambda x: (x["block_number"], x["log_index"]))
    numbers = sorted({x["block_number"] for x in logs} | {deployment.block_number, head})
    say(f"{len(logs)} logs in {len(numbers)} blocks; reading the block headers…")
    blocks: list[dict[str, Any]] = []
    for number in numbers:
        block = w3.eth.get_block(number)
        blocks.append(
            {
                "number": number,
                "hash": HexBytes(block["hash"]).to_0x_hex(),
                "parent_hash": HexBytes(block["parentHash"]).to_0x_hex(),
                "timestamp": int(block["timestamp"]),
                "time": iso_time(int(block["timestamp"])),
            }
        )
    times: dict[int, int] = {b["number"]: b["timestamp"] for b in blocks}
    decoder = contracts.EventDecoder(deployment.addresses)
    events: list[dict[str, Any]] = []
    anchored: dict[str, str] = {}
    for log in logs:
        record = decoder.decode(log)
        if record is None:
            continue
        events.append(
            {
                "block_number": log["block_number"],
                "log_index": log["log_index"],
                "transaction_hash": log["transaction_hash"],
                "time": iso_time(times[log["block_number"]]),
                "contract": record.CONTRACT,
                "event": record.NAME,
                "args": F.jsonable(record),
            }
        )
        for digest in hashes_in(record):
            anchored.setdefault(digest, f"{record.NAME} in block {log['block_number']}")
    out.mkdir(parents=True, exist_ok=True)
    F.write_lines(out / F.LOGS, logs)
    F.write_lines(out / F.EVENTS, events)
    F.write_lines(out / F.BLOCKS, blocks)
    (out / F.VIEWS).write_text(_dump(_head_views(handle, head)), encoding="utf-8")
    (out / F.ABI_DIR).mkdir()
    for name in contracts.LEDGER_CONTRACTS:
        abi = contracts.load_artifact(name).abi
        (out / F.ABI_DIR / f"{name}.json").write_text(_dump(abi), encoding="utf-8")
    published = _copy_documents(documents, out, anchored) if documents else {}
    head_block = blocks[-1]
    manifest = {
        "format": F.FORMAT,
        "version": F.VERSION,
        "chain_id": deployment.chain_id,
        "deployment": json.loads(deployment.to_json()),
        "head": {k: head_block[k] for k in ("number", "hash", "timestamp", "time")},
        "counts": {"logs": len(logs), "events": len(events), "blocks": len(blocks)},
        "documents": published,
        "files": {
            str(path.relative_to(out)): F.file_digest(path)
            for path in sorted(out.rglob("*"))
            if path.is_file()
        },
    }
    (out / F.MANIFEST).write_text(_dump(manifest), encoding="utf-8")
    return ExportSummary(
        out, deployment.chain_id, head, int(head_block["timestamp"]), len(logs), len(events),
        len(published),
    )  # fmt: skip


def _dump(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _head_views(handle: contracts.LedgerHandle, head: int) -> dict[str, Any]:
    """What the ledger itself answers at the head: the figures the archive's books must equal."""

    def read(query: contracts.Query) -> Any:
        return handle.read(query, head)

    registry = read(R.ConsortiumCountsQuery())
    catalog = read(R.CatalogCountsQuery())
    class_ids = tuple(range(1, catalog.classes + 1))
    supplies = read(R.SupplyOfBatchQuery(class_ids=class_ids)) if class_ids else ()
    certificates = {
        str(cid): read(R.CertificateQuery(certificate_id=cid))
        for cid in range(1, registry.certificates + 1)
    }
    views: dict[str, Any] = F.jsonable(
        {
            "block_number": head,
            "consortium_counts": registry,
            "catalog_counts": catalog,
            "ledger_counts": read(R.LedgerCountsQuery()),
            "wiring": {
                "Consortium.ledger": read(R.LedgerQuery()),
                "Ledger.consortium": read(R.LedgerConsortiumQuery()),
                "Ledger.catalog": read(R.CatalogQuery()),
                "Catalog.consortium": read(R.CatalogConsortiumQuery()),
            },
            "supply": {str(c): s for c, s in zip(class_ids, supplies, strict=True)},
            "certificates": {
                cid: {"status": v.status, "used_volume": v.used_volume}
                for cid, v in certificates.items()
            },
        }
    )
    return views


def _copy_documents(source: Path, out: Path, anchored: dict[str, str]) -> dict[str, Any]:
    """Each file of ``source`` whose SHA-256 an event carries, as ``documents/<sha256>``."""
    if not source.is_dir():
        raise ArchiveError(f"{source} is not a folder", field="documents")
    (out / F.DOCUMENTS_DIR).mkdir()
    published: dict[str, Any] = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest = F.file_digest(path)
        if digest not in anchored:
            raise ArchiveError(
                f"{path.name}: no event of this ledger carries its SHA-256 ({digest}); only "
                "documents the ledger anchors can be published",
                field="documents",
            )
        shutil.copyfile(path, out / F.DOCUMENTS_DIR / digest)
        size = path.stat().st_size
        published[digest] = {"name": path.name, "bytes": size, "anchor": anchored[digest]}
    return published
