"""What hostile PDFs cost the indexer's public declaration check, and what they do to the other
routes meanwhile (issue 26).

    python benchmarks/hostile_pdf.py [--tree DIR] [--uploads 8] [--laps 60]

Starts the read API as a server (uvicorn, its own process; the code of ``--tree``, default this
checkout: point it at an export of an older commit to measure before and after), on an empty
SQLite mirror with one party and its read key, the declaration check behind a chain that never
answers (a hostile file never gets that far), and the rate limits off. Then:

* for each file of ``tests/indexer/hostile_pdf.py``: its size, the answer, and the CPU-seconds
  the server spent on it (``/proc``: the server process, its worker processes alive, and those
  it waited for), ``cpu_s``;
* p95 of ``GET /v1/shipments`` alone (``quiet_p95_ms``) and while ``--uploads`` copies of the
  5 MB bomb are uploaded at once (``loaded_p95_ms``), with the server's peak resident memory;
  with ``--loose`` the size limits let the bomb through, so each upload runs until its CPU
  budget stops it (the worst a hostile file can do within the limits).

Prints JSON. CPU-seconds travel between machines better than wall-clock times; the p95 on a
2-core machine shared with other work swings with that work.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests._support import free_port  # noqa: E402
from tests.indexer.hostile_pdf import HOSTILE, bomb  # noqa: E402

_SERVER = textwrap.dedent(
    """
    import inspect, sys, uvicorn
    from sqlalchemy import insert
    from tracenet.indexer.api._api import create_app
    from tracenet.indexer.api._keys import create_key
    from tracenet.indexer.mirror._registry import table
    from tracenet.indexer.mirror._store import create_schema, make_engine
    from tracenet.indexer.mirror._tables import Cursor, Party

    url, port, keyfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    engine = make_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(table(Party)), {"id": 1, "name": "p", "identifier": "p", "roles": 0})
        conn.execute(insert(table(Cursor)), {"id": 1, "chain_id": 1, "ledger": "0x0",
                     "start_block": 0, "block_number": 0, "block_hash": "0x0", "addresses": {}})
        key = create_key(conn, 1)
    open(keyfile, "w").write(key)

    def no_chain():
        raise OSError("no node")

    kw = {}
    if "settings" in inspect.signature(create_app).parameters:
        from tracenet.indexer import IndexerSettings
        kw["settings"] = IndexerSettings(public_rate_per_minute=0, document_rate_per_minute=0)
    app = create_app(engine, chain=no_chain, **kw)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    """
)


def _ticks(pid: int) -> tuple[int, int, list[int]]:
    """(own + waited-for children's CPU ticks, resident KiB, live children)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in stat[11:15])
    rss = int(stat[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children += [int(c) for c in text]
    return ticks, rss, children


def server_cpu(pid: int) -> tuple[float, int]:
    """CPU-seconds of the server and its workers (alive or waited for), and resident MiB."""
    ticks, rss, children = _ticks(pid)
    for child in children:
        try:
            c_ticks, c_rss, _ = _ticks(child)
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += c_ticks
        rss += c_rss
    return ticks / os.sysconf("SC_CLK_TCK"), rss // 1024


def _p95(laps: list[float]) -> float:
    return statistics.quantiles(laps, n=20)[18] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the code to measure")
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--laps", type=int, default=60)
    parser.add_argument(
        "--loose",
        action="store_true",
        help="size limits far above the bomb's: each upload runs to its CPU budget",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hostile-pdf-"))
    port, keyfile = free_port(), tmp / "key"
    env = {**os.environ, "PYTHONPATH": str(args.tree.resolve())}
    env = {k: v for k, v in env.items() if not k.startswith("TRACENET_INDEXER_")}
    if args.loose:
        env |= {
            "TRACENET_INDEXER_DOCUMENT_MAX_STREAM_BYTES": "8000000",
            "TRACENET_INDEXER_DOCUMENT_MAX_CONTENT_BYTES": "8000000",
            "TRACENET_INDEXER_DOCUMENT_MEMORY_MB": "2048",
        }
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, f"sqlite:///{tmp / 'mirror.db'}", str(port), str(keyfile)],
        env=env,
        cwd=tmp,  # not this checkout: ``-c`` puts the working directory first on sys.path
    )
    base = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {"tree": str(args.tree), "loose": args.loose}
    try:
        client = httpx.Client(base_url=base, timeout=120)
        deadline = time.monotonic() + 120
        while True:
            try:
                client.get("/openapi.json")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {keyfile.read_text()}"}
        check = "/v1/declarations/check"
        client.post(check, content=b"%PDF-1.4 warm-up")  # starts a worker, where there are any
        files: dict[str, Any] = {}
        for name, make in HOSTILE.items():
            data = make()
            before, _ = server_cpu(server.pid)
            reply = client.post(check, content=data)
            after, _ = server_cpu(server.pid)
            try:
                body = reply.json()
                answer = f"{body.get('code')} {body.get('error')} {body.get('args') or ''}"
            except ValueError:  # a 500 of an older tree
                answer = reply.text[:80]
            files[name] = {
                "bytes": len(data), "status": reply.status_code, "answer": answer,
                "cpu_s": round(after - before, 2),
            }  # fmt: skip
        result["files"] = files

        def lap() -> float:
            start = time.perf_counter()
            assert client.get("/v1/shipments", headers=headers).status_code == 200
            return time.perf_counter() - start

        quiet = [lap() for _ in range(args.laps)]
        _, rss_quiet = server_cpu(server.pid)
        replies: list[int] = []
        the_bomb = bomb(5_000_000)

        def upload() -> None:
            with httpx.Client(base_url=base, timeout=600) as own:
                replies.append(own.post(check, content=the_bomb).status_code)

        threads = [threading.Thread(target=upload) for _ in range(args.uploads)]
        cpu0, _ = server_cpu(server.pid)
        for t in threads:
            t.start()
        loaded, peak = [], rss_quiet
        while any(t.is_alive() for t in threads) or len(loaded) < 5:
            loaded.append(lap())
            peak = max(peak, server_cpu(server.pid)[1])
        for t in threads:
            t.join()
        cpu1, _ = server_cpu(server.pid)
        result |= {
            "quiet_p95_ms": round(_p95(quiet), 1),
            "loaded_p95_ms": round(_p95(loaded), 1),
            "loaded_laps": len(loaded),
            "uploads": args.uploads,
            "upload_statuses": sorted(replies),
            "server_cpu_during_uploads_s": round(cpu1 - cpu0, 2),
            "rss_quiet_mib": rss_quiet,
            "rss_peak_mib": peak,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
