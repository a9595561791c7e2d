"""``tracenet indexer run --once | check | keys create | audit | verify-report`` on a real node:
exit codes, and a tampered mirror reported by ``check``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import update

from benchmarks._chainfill import Filler
from tracenet import contracts, indexer
from tracenet.cli import main
from tracenet.indexer.api._signing import sign_report
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Balance
from tracenet.node import AnvilNode
from tracenet.wallet import LocalSigner


def test_all_is_complete_and_sorted() -> None:
    rooms = {"annotations", "errors", "api", "archive", "lineage", "mirror", "verifier"}  # rooms
    public = {n for n in dir(indexer) if not n.startswith("_") and n not in rooms}
    assert set(indexer.__all__) == public - {n for n in public if n.islower() and n.startswith("_")}
    assert indexer.__all__ == sorted(indexer.__all__, key=lambda n: (not n.isupper(), n))


@pytest.mark.integration
def test_run_check_keys_audit_and_verify(
    anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str], closing: list[Any]
) -> None:
    filler = Filler(anvil.rpc_url)
    closing.append(filler)
    deployment = filler.deploy()
    filler.prime(1, 1_000)
    auditor = LocalSigner(Account.create())
    c, admin = filler.handle.consortium.functions, filler.accounts[0]
    contracts.transact(filler.w3, c.registerParty("Auditor", b"\0" * 32, 4), admin)
    party = filler.handle.read(contracts.records.ConsortiumCountsQuery()).parties
    contracts.transact(filler.w3, c.authorizeSigner(auditor.address, party, 0), admin)
    path = tmp_path / "deployment.json"
    deployment.save(path)
    url = f"sqlite:///{tmp_path}/mirror.sqlite3"
    common = ["--database-url", url, "--rpc-url", anvil.rpc_url, "--deployment", str(path)]
    assert main(["indexer", "run", "--once", *common]) == 0
    assert main(["indexer", "check", *common]) == 0
    assert ", 0 differences" in capsys.readouterr().out

    engine = indexer.make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(table(Balance)).where(table(Balance).c.unit_id == 2).values(amount=1))
    engine.dispose()
    assert main(["indexer", "check", "--json", *common]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and {d["what"] for d in report["differences"]} >= {"balance"}

    assert main(["indexer", "keys", "create", "--party", "3", "--database-url", url]) == 0
    assert capsys.readouterr().out.startswith("tnr_")
    assert main(["indexer", "keys", "create", "--party", "99", "--database-url", url]) == 2
    assert main(["indexer", "keys", "create", "--party", "Member 1", *common]) == 0
    assert capsys.readouterr().out.startswith("tnr_")
    assert main(["indexer", "keys", "create", "--party", "nobody", *common]) == 2
    assert "TN-IX-404-06" in capsys.readouterr().err
    by_name = ["--class", "rPET-flake", "--period", "index:0", "--database-url", url]
    assert main(["indexer", "audit", *by_name]) == 0
    assert json.loads(capsys.readouterr().out)["class_id"] == 1

    assert (
        main(["indexer", "audit", "--class", "1", "--period", "index:0", "--database-url", url])
        == 0
    )
    audit = json.loads(capsys.readouterr().out)
    chain = common  # the signer on chain, the figures recomputed from the mirror
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(sign_report(audit, LocalSigner(Account.create()))))
    assert main(["indexer", "verify-report", str(forged), "--signature-only"]) == 0
    capsys.readouterr()
    assert main(["indexer", "verify-report", str(forged), *chain]) == 1
    assert "TN-IX-400-02" in capsys.readouterr().err
    signed = sign_report(audit, auditor)
    good = tmp_path / "signed.json"
    good.write_text(json.dumps(signed))
    assert main(["indexer", "verify-report", str(good), *chain]) == 0
    out = capsys.readouterr().out
    assert f"valid: signed by {auditor.address} for party {party}" in out
    assert "its figures are the chain's" in out
    altered = dict(audit, total={**audit["total"], "created_g": audit["total"]["created_g"] + 1})
    figures = tmp_path / "altered.json"
    figures.write_text(json.dumps(sign_report(altered, auditor)))
    assert main(["indexer", "verify-report", str(figures), *chain]) == 1
    assert "invalid: TN-IX-400-03 ReportFiguresDiffer: " in capsys.readouterr().err
    signed["report"]["period"] = 1
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(signed))
    assert main(["indexer", "verify-report", str(bad), *chain]) == 1
