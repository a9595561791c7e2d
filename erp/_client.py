"""The gateway's batch endpoint from the importer's side: ``POST /v1/batch`` in chunks that fit
the gateway's body limit, and ``POST /v1/batch/requests`` to follow requests to their end.

Connection errors and 503 answers are retried with a growing pause: every item carries its
Idempotency-Key, so a chunk sent twice records nothing twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from tracenet.erp._settings import ImportSettings
from tracenet.erp.errors import GatewayUnavailable

__all__ = ["GatewayClient", "chunks"]

_RETRIES = 6


def chunks(items: Sequence[dict[str, Any]], max_bytes: int, max_items: int) -> Iterator[list[int]]:
    """Indexes of ``items`` in runs whose JSON stays under ``max_bytes`` and ``max_items``."""
    run: list[int] = []
    size = 64  # the envelope
    for i, item in enumerate(items):
        n = len(json.dumps(item, separators=(",", ":"))) + 1
        if run and (size + n > max_bytes or len(run) >= max_items):
            yield run
            run, size = [], 64
        run.append(i)
        size += n
    if run:
        yield run


class GatewayClient:
    def __init__(self, settings: ImportSettings, api_key: str) -> None:
        self.settings = settings
        self.http = httpx.Client(
            base_url=settings.gateway_url,
            timeout=settings.timeout,
            headers={"Authorization": f"Bearer {api_key}"},
            trust_env=False,
        )

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The answer, and whether it came on a retry (the gateway may have seen the body)."""
        pause = 0.2
        for attempt in range(_RETRIES):
            try:
                answer = self.http.post(path, json=body)
            except httpx.TransportError as exc:
                if attempt == _RETRIES - 1:
                    raise GatewayUnavailable(
                        f"the gateway at {self.settings.gateway_url} did not answer: {exc}"
                    ) from exc
            else:
                if answer.status_code == 200:
                    data: dict[str, Any] = answer.json()
                    return data, attempt > 0
                if answer.status_code != 503 or attempt == _RETRIES - 1:
                    raise _refused(answer)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
        raise AssertionError("unreachable")

    def batch(
        self, operations: list[dict[str, Any]], *, dry_run: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        """Per-item outcomes, and whether the batch was sent more than once (then a replay may
        be of this very run's first attempt, not of an earlier run)."""
        data, retried = self._post("/v1/batch", {"operations": operations, "dry_run": dry_run})
        results: list[dict[str, Any]] = data["results"]
        return results, retried

    def lookup(self, ids: list[str]) -> list[dict[str, Any]]:
        data, _ = self._post("/v1/batch/requests", {"ids": ids})
        states: list[dict[str, Any]] = data["requests"]
        return states


def _refused(answer: httpx.Response) -> GatewayUnavailable:
    try:
        body = answer.json()
        detail = f"{body.get('code')} {body.get('error')}: {body.get('message')}"
    except ValueError:
        detail = answer.text[:200]
    return GatewayUnavailable(
        f"the gateway refused the batch (HTTP {answer.status_code}): {detail}", code="TN-IMP-4002"
    )
