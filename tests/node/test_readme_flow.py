"""The README's "A party's stack, by hand" block, run exactly as written, line by line.

The block is parsed out of README.md; each line runs through ``bash -c`` in a fresh directory with
``NODE_PORT``, ``GATEWAY_PORT`` and ``INDEXER_PORT`` set to free ports (the README documents them).
``export`` lines carry their variables to the next lines; lines ending in ``&`` start a service in
a session of its own, whose port is then polled. The stack must then take a write through the
gateway to ``confirmed`` and serve it from the indexer. Every process is stopped by its PID.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.node.test_anvil import free_port
from tracenet.node import AnvilNode, NodeSettings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
HEADING = "### A party's stack, by hand"

pytestmark = pytest.mark.integration


def readme_block() -> list[str]:
    """The logical lines of the first ``sh`` block after the by-hand heading."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(HEADING) :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match is not None, "no sh block under the by-hand heading"
    joined = match.group(1).replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def _words(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _wait(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Flow:
    """Runs README lines in ``cwd`` with an environment that ``export`` lines extend."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.outputs: list[tuple[str, str]] = []
        self.services: list[tuple[str, subprocess.Popen[bytes]]] = []

    def run(self, line: str) -> None:
        words = _words(line)
        if words[0] == "export":
            self._export(line)
        elif words[-1] == "&":
            self._background(line, words)
        else:
            done = subprocess.run(
                ["bash", "-c", line], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            assert "Traceback" not in done.stderr, done.stderr
            self.outputs.append((line, done.stdout))

    def _export(self, line: str) -> None:
        done = subprocess.run(
            ["bash", "-ec", f"{line}\nenv -0"], cwd=self.cwd, env=self.env, capture_output=True,
            check=True, timeout=30,
        )  # fmt: skip
        pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
        self.env = {name: value for name, value in pairs}

    def _background(self, line: str, words: list[str]) -> None:
        command = line[: line.rindex("&")].strip()
        name = f"service{len(self.services)}"
        with (self.cwd / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=self.cwd, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.services.append((command, process))
        if "--port" in words:
            raw = words[words.index("--port") + 1]
            port = int(self.expand(raw))
            _wait(
                lambda: process.poll() is not None or _listening(port),
                timeout=120,
                what=f"{command} on port {port}",
            )
            assert process.poll() is None, (self.cwd / f"{name}.log").read_text()

    def expand(self, word: str) -> str:
        done = subprocess.run(
            ["bash", "-c", f"echo {word}"], env=self.env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        return done.stdout.strip()

    def output_of(self, fragment: str) -> str:
        return next(out for line, out in self.outputs if fragment in line)

    def stop(self) -> None:
        for _, process in reversed(self.services):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.services:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[Flow]:
    (tmp_path / "node").symlink_to(ROOT / "node")  # the README runs from the repository root
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "NODE_PORT": str(free_port()),
        "GATEWAY_PORT": str(free_port()),
        "INDEXER_PORT": str(free_port()),
        "TRACENET_WALLET_SCRYPT_N": "16",  # cheap keys: tests only
        "TRACENET_NODE_ANVIL_BIN": str(ROOT / "node_modules" / ".bin" / "anvil"),
    }
    running = Flow(tmp_path, env)
    try:
        yield running
    finally:
        running.stop()
        node = AnvilNode(NodeSettings(data_dir=tmp_path / ".tracenet" / "node"))
        if node.pid is not None:
            node.stop()
    assert all(process.poll() is not None for _, process in running.services)


def test_the_readme_block_gives_a_working_stack(flow: Flow) -> None:
    lines = readme_block()
    assert any("--create-keys" in line for line in lines)
    for line in lines:
        flow.run(line)
    record = json.loads((flow.cwd / ".tracenet" / "deployment.json").read_text())
    assert record["registry"]["parties"]["consortium"] == 1
    admin = json.loads(flow.output_of("--party consortium"))
    assert admin["party"] == 1
    writer = json.loads(flow.output_of("--party recycler"))["api_key"]
    reader = flow.output_of("indexer keys create").split()[0]
    gateway = f"http://127.0.0.1:{flow.env['GATEWAY_PORT']}"
    indexer = f"http://127.0.0.1:{flow.env['INDEXER_PORT']}"
    body = {
        "unit": "recycler-plant",
        "class": "rpet-flake",
        "amount_g": 1_234_567,
        "certificate": "ISCC-PLUS-Cert-DE100-00001",  # its number, as the README's curl
        "evidence_hash": "0x" + "5e" * 32,
    }
    with httpx.Client(timeout=20.0, trust_env=False) as http:
        answer = http.post(
            f"{gateway}/v1/inputs", json=body, headers={"Authorization": f"Bearer {writer}"}
        )
        assert answer.status_code == 202, answer.text
        request_id = answer.json()["id"]

        def status() -> str | None:
            found = http.get(
                f"{gateway}/v1/requests/{request_id}",
                headers={"Authorization": f"Bearer {writer}"},
            ).json()
            assert found["status"] != "rejected", found
            return "ok" if found["status"] == "confirmed" else None

        _wait(status, timeout=60, what="the write to be confirmed")

        seen: list[str] = []

        def served() -> bool:
            # Both headers of the README's API conventions; X-API-Key is the indexer's first.
            headers = {"Authorization": f"Bearer {reader}", "X-API-Key": reader}
            answer = http.get(f"{indexer}/v1/balances", headers=headers)
            seen[:] = [f"{answer.status_code} {answer.text}"]
            return answer.status_code == 200 and '"amount_g":1234567' in answer.text

        try:
            _wait(served, timeout=60, what="the indexer to serve the new balance")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last answer: {seen}") from None
