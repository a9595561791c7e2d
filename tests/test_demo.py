"""``tracenet demo --once``: the main job plays its whole story through the gateways, on free
ports, checks every outcome and stops everything it started; a port in use is one line; Ctrl-C
mid-story stops everything at once, and a demo killed outright leaves nothing running."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracenet.contracts import period_at, period_bounds, period_label
from tracenet.demo import DemoError
from tracenet.demo._network import CONFIG, GENESIS, indexer_env, plan_network
from tracenet.demo._play import PERIOD_MONTHS
from tracenet.demo._procs import Children, Interrupted, on_signal, stop_leftovers
from tracenet.demo._warden import stop_groups
from tracenet.indexer import verify_report
from tracenet.node._config import ConsortiumConfig

SPAN = 10  # console, indexer API, chain, seven gateways (the admin and six parties)


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_base() -> int:
    """A base port with the demo's whole span free."""
    for _ in range(200):
        # below Linux's ephemeral range (32768-60999), where every outgoing connection of the
        # other tests takes its local port and may take one of the span meanwhile
        base = random.randrange(20_000, 32_768 - SPAN)
        if all(_free(base + i) for i in range(SPAN)):
            return base
    raise RuntimeError("no free port span")


def demo(tmp_path: Path, base: int, timeout: float) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-P", "-m", "tracenet.cli", "demo", "--once"]
    argv += ["--port-base", str(base), "--dir", str(tmp_path / "demo")]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


#: What a script's background job (``tracenet demo &``) inherits: SIGINT ignored. Python then
#: leaves it ignored, and the demo must still stop on ``kill -INT``.
_SIGINT_IGNORED = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
STORY_STARTED = "1. Certified inputs: ReLoop records PET flakes"


class Running:
    """``tracenet demo --once`` started as a script's background job; its output line by line."""

    def __init__(self, directory: Path, base: int) -> None:
        argv = [sys.executable, "-c", _SIGINT_IGNORED, "-P", "-m", "tracenet.cli", "demo"]
        argv += ["--once", "--port-base", str(base), "--dir", str(directory)]
        self.directory, self.base = directory, base
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float) -> None:
        """Until a line containing ``text`` is printed (fails on exit or after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} within {timeout:.0f} s: {self.seen[-20:]}"
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line is not None, f"exited {self.process.poll()}: {self.seen[-20:]}"
            self.seen.append(line)
            if text in line:
                return

    def rest(self) -> list[str]:
        """Every line printed until the end of its output."""
        while (line := self.lines.get(timeout=60)) is not None:
            self.seen.append(line)
        return self.seen

    def pids(self) -> dict[str, int]:
        """Every process it started, by name: the services, the chain and the warden."""
        record = json.loads((self.directory / "pids.json").read_text())
        pids = {c["name"]: int(c["pid"]) for c in record["children"]}
        pids["anvil"] = int((self.directory / "node" / "anvil.pid").read_text())
        pids["warden"] = int(record["warden"]["pid"])
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join(timeout=60)  # end-of-file once the demo has exited
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    demo = Running(tmp_path / "demo", free_port_base())
    try:
        yield demo
    finally:
        demo.stop()
        # never leave a service behind, whatever the test found
        leftovers = [pid for pid in _pids_if_any(demo) if not _gone(pid)]
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _pids_if_any(demo: Running) -> list[int]:
    try:
        return list(demo.pids().values())
    except (OSError, ValueError, KeyError):
        return []


def _everything_gone(pids: dict[str, int], base: int, timeout: float) -> list[str]:
    """Poll until every process has ended and every port is free; what is left after
    ``timeout`` seconds (empty when all is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        left = [f"{name} (pid {pid})" for name, pid in pids.items() if not _gone(pid)]
        left += [f"port {base + i}" for i in range(SPAN) if not _free(base + i)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.integration
def test_sigint_mid_story_stops_everything_at_once(running: Running) -> None:
    """Even with SIGINT inherited ignored, as a script's ``tracenet demo &`` has it."""
    running.wait_for(STORY_STARTED, timeout=600)
    pids = running.pids()
    assert len(pids) == 12  # 7 gateways, indexer follower and API, console, anvil, warden
    running.process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    code = running.process.wait(timeout=60)
    took = time.monotonic() - sent
    out = running.rest()
    assert code == 130, out[-20:]
    assert took < 30, f"took {took:.1f} s to stop"
    assert "SIGINT: stopping everything the demo started" in out
    assert not [line for line in out if line.startswith("2. ")], "the story played on"
    assert "stopped the chain (anvil)" in out
    assert _everything_gone(pids, running.base, timeout=15) == []
    assert not (running.directory / "pids.json").exists()


@pytest.mark.integration
def test_a_demo_killed_mid_story_leaves_nothing_running(running: Running) -> None:
    running.wait_for(STORY_STARTED, timeout=600)
    pids = running.pids()
    running.process.kill()
    assert running.process.wait(timeout=30) == -signal.SIGKILL
    # the warden stops them: SIGTERM, then SIGKILL after its 10 s grace
    assert _everything_gone(pids, running.base, timeout=30) == []


# The story's steps that must be rejected (a pattern of the step), each by the rule's name: the
# chain's custom error, whether the gateway refused before signing or the chain reverted.
REJECTIONS = {
    r"record 1 t more with the same SD": "InputEvidenceReused",
    r"convert at a factor version never registered": "FactorUnknown",
    r"inventory transfer to another party's unit": "BoundaryViolation",
    r"claim 2 t more: Acme holds only 1\.5 t": "CreditsInsufficient",
    r"ship 20 t glass with 7,000,001 g credits": "CapExceeded",
    r"record 25 t more: the certificate's audited 50 t": "CertificateVolumeExceeded",
    r"record 1 t cullet while the certificate is suspended": "CertificateNotInForce",
    r"register ISCC-PLUS-Cert-UK200-00002 a second time": "CertificateNumberTaken",
    r"close \d{4}-Q\d again": "PeriodAlreadyClosed",
    r"ship 10 t pellets with 4,300,000 g \(43 %, rounded\)": "RollingShareMismatch",
    r"ship 1 t flakes with \d{4}-Q\d credits": "CreditsLapsed",
    # Issue 19: a delivery answered already, and one settled inside its window.
    r"accept shipment \d+ after rejecting it": "TransitNotPending",
    r"settle shipment \d+ inside its window": "TransitWindowOpen",
}


@pytest.mark.integration
def test_demo_once_plays_the_story_and_stops_everything(tmp_path: Path) -> None:
    base = free_port_base()
    done = demo(tmp_path, base, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    out = done.stdout
    steps = [line for line in out.splitlines() if re.match(r"  (ok  |FAIL) ", line)]
    assert steps and all(line.startswith("  ok   ") for line in steps), steps
    assert re.search(r"^network ready in \d+ s$", out, re.M)
    assert "every outcome as expected: 32 confirmed, 13 rejected" in out
    # the chain's calendar is pinned (GENESIS): the same quarters whatever today's date
    assert "the story starts on the second day of 2027-Q1" in out
    assert "10. 2027-Q3: 2027-Q1 credits are past their two-period window" in out
    for what, rule in REJECTIONS.items():
        (line,) = [s for s in steps if re.search(what, s)]
        assert re.search(rf"(refused by the gateway|rejected on chain).*: {rule}\b", line), line
    assert "5,400,000 g of resin credits from 6,000,000 g" in out  # the 90 % yield
    assert "500,000 g lapsed: the carry-forward is capped at the physical stock" in out
    assert "1,500,000 g lapsed at the end of the window" in out
    # R8: the refusal names the share; the gateway computes the line; the buyer's check holds
    assert "the share in force is 42.85 %: 4,285,000 g exactly, not 4,300,000 g" in out
    assert (
        "share 42.85 % over 2027-Q1..2027-Q2: 15,000,000 g certified of 35,000,000 g input; "
        "4,285,000 g carried by 10,000,000 g of pellets"
    ) in out
    assert "42.85 % of 6,000,000 g of closures at Acme: 2,571,000 g claimed" in out
    assert re.search(r"tracenet verify shipment (\d+) \(chain only\): shipment \1: HOLDS — "
                     r"\d+ checks, 0 failed\n\s+✓ rolling-share \(R8\): rHDPE pellet: 42\.85 % = "
                     r"15000000 g sustainable of 35000000 g input", out)  # fmt: skip
    assert re.search(r"/v1/shipments/[0-9a-f]{32}/declaration: SD-\d+-\d+: rHDPE pellet rolling "
                     r"average "
                     r"percentage, share 42\.85 %, recomputed from the chain", out)  # fmt: skip
    assert "reconciles=True" in out
    # Issue 19: ISCC PLUS deliveries need PolyNova's acceptance: rejected, accepted, recalled,
    # settled after the window.
    assert "11. 2027-Q3: ISCC PLUS deliveries need the recipient's acceptance (72 h)" in out
    for done_ in (
        r"reject shipment \d+: moisture 4 % over contract",
        r"accept shipment \d+: 2 t",
        r"recall shipment \d+",
        r"settle shipment \d+ after 72 h unanswered",
    ):
        assert re.search(rf"  ok   \S+ +{done_}.*confirmed in block", out), done_
    # the auditor's gateway signs, the indexer says an active auditor did
    assert re.search(r"/v1/reports/sign: signed by 0x[0-9a-fA-F]{40}", out)
    assert re.search(r"/v1/reports/verify: valid, signed by 0x\w+ for \S+ \(party \d+\)", out)
    # one line per person; a request id on every accepted write
    assert re.search(r"recycler \(ReLoop Recycling BV\)\s+gateway key tn_\S+  indexer key tnr_\S+$",
                     out, re.M)  # fmt: skip
    # the consortium admin has its own gateway and signs in like any party
    assert re.search(r"consortium \(Tracenet Consortium\)\s+gateway key tn_\S+  indexer key", out)
    # the buyer's chain-only check, a command that runs as printed
    assert re.search(r"buyer \(chain only\)\s+\S*tracenet verify claim 1 --rpc-url http://\S+ "
                     r"--deployment /\S+deployment\.json", out)  # fmt: skip
    assert re.search(r"buyer \(chain only\)\s+\S*tracenet verify shipment \d+ --rpc-url", out)
    assert "/audit?class_id=rpet-flake&period=2027-Q2" in out
    # issue 25: the buyer's view beside Acme's, one verdict, no upstream name, ids open nothing
    assert re.search(r"ok   buyer     GET http://\S+/v1/claims/[0-9a-f]{32}/verification \(no "
                     r"key\): the verdict Acme reads, ReLoop Recycling BV not named; GET "
                     r"/v1/claims/1/verification: 404", out)  # fmt: skip
    assert re.search(r"buyer \(the link, no key\)\s+http://\S+/verify/claim/[0-9a-f]{32}$",
                     out, re.M)  # fmt: skip
    # the auditor's archive holds from its files alone and equals the indexer's books
    archived = (
        r"ok   auditor   tracenet archive export \+ verify \(no server\): [\d,]+ events up to "
        r"block \d+; \d+ classes reconcile \(R13\), [1-9]\d* claims hold, [1-9]\d* holdings "
        r"equal the indexer's"
    )
    assert re.search(archived, out)
    archive_line = r"auditor \(the record, no server\)\s+(\S*tracenet archive verify /\S+/archive)$"
    printed = re.search(archive_line, out, re.M)
    assert printed
    # ...and runs as printed in a terminal whose PATH knows nothing of the virtual environment
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    typed = subprocess.run(
        printed[1], shell=True, capture_output=True, text=True, timeout=120, env=bare, check=False
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert len(re.findall(r"request [0-9a-f-]{36} confirmed in block \d+", out)) == 32
    # the signed audit verifies, and reconciles
    (audit,) = (tmp_path / "demo").glob("audit-rpet-flake-*.json")
    signed = json.loads(audit.read_text())
    assert verify_report(signed).startswith("0x")
    assert signed["report"]["reconciles"] is True
    # everything it started is stopped: its ports are free again, no pid record left
    assert "stopped the chain (anvil)" in out
    assert all(_free(base + i) for i in range(SPAN))
    assert not (tmp_path / "demo" / "pids.json").exists()


def test_the_story_plays_inside_every_certificate_whatever_todays_date() -> None:
    """The chain starts at GENESIS, not now: the story's three quarters (the one after
    GENESIS and the two after it) stay inside every certificate and after every factor."""
    config = ConsortiumConfig.load(CONFIG)
    assert {c.period_months for c in config.classes} == {PERIOD_MONTHS}
    p0 = period_at(PERIOD_MONTHS, GENESIS) + 1
    assert period_label(PERIOD_MONTHS, p0) == "2027-Q1"
    _, story_end = period_bounds(PERIOD_MONTHS, p0 + 2)
    for cert in config.certificates:
        assert cert.valid_from.timestamp() <= GENESIS, cert.key
        assert story_end <= cert.valid_until.timestamp(), cert.key
    for process in config.processes:
        assert all(f.effective_from.timestamp() <= GENESIS for f in process.factors), process.key


def test_the_sds_the_indexer_issues_link_this_demos_console(tmp_path: Path) -> None:
    """Not the default console (port 8800): the QR code must open the console that runs."""
    env = indexer_env(plan_network(tmp_path / "demo", 9400))
    assert env["TRACENET_DECLARATION_CONSOLE_URL"] == "http://127.0.0.1:9400"


@pytest.mark.integration
def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    base = free_port_base()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        done = demo(tmp_path, base, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"tracenet demo: port {base + 1} (indexer API) is in use; stop what listens there or "
        "choose other ports with --port-base"
    ], done.stderr
    assert "Traceback" not in done.stdout
    assert not (tmp_path / "demo" / "node" / "anvil.pid").exists()


def _sleeper(children: Children, name: str) -> int:
    return children.start(name, [sys.executable, "-c", "import time; time.sleep(600)"], {}).pid


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def wait_for_exec(pid: int) -> str:
    """The command line of ``pid`` once it runs the sleeper (not the forked parent's)."""
    deadline = time.monotonic() + 30
    while "time.sleep" not in (line := Path(f"/proc/{pid}/cmdline").read_bytes().decode()):
        assert time.monotonic() < deadline, "the sleeper did not start"
        time.sleep(0.05)
    return line


def test_stop_all_ends_every_child_by_pid_and_forgets_them(tmp_path: Path) -> None:
    children = Children(tmp_path)
    children.claim()
    pids = [_sleeper(children, f"s{i}") for i in range(3)]
    record = json.loads((tmp_path / "pids.json").read_text())
    assert [c["pid"] for c in record["children"]] == pids
    lines: list[str] = []
    children.stop_all(lines.append)
    assert lines == [f"stopped s{i} (pid {pid})" for i, pid in reversed(list(enumerate(pids)))]
    assert all(_gone(pid) for pid in pids)
    assert not (tmp_path / "pids.json").exists()
    warden = children.warden
    assert warden is not None
    children.close()
    assert warden.returncode == 0


def test_the_warden_stops_every_child_when_the_demo_dies(tmp_path: Path) -> None:
    """The demo's end of the warden's pipe closes (as the kernel closes it when the demo is
    killed): every group the demo did not stop itself is stopped; one it did is left alone."""
    children = Children(tmp_path)
    children.claim()
    pids = [_sleeper(children, f"s{i}") for i in range(3)]
    for pid in pids:
        wait_for_exec(pid)
    children.forget(pids[0])  # as if stopped by the demo: must not be signalled
    warden = children.warden
    assert warden is not None and warden.stdin is not None
    warden.stdin.close()
    warden.wait(timeout=30)
    for child in children.started[1:]:
        assert child.process.wait(timeout=30) == -signal.SIGTERM
    assert not _gone(pids[0])
    children.stop_all()
    children.close()


def test_ctrl_c_while_a_child_starts_waits_until_it_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C right after a child is forked, before the demo recorded it: the demo is
    interrupted once the child is in its list (and the warden's), so it is stopped too."""
    children = Children(tmp_path)
    children.claim()
    watch = children.watch

    def ctrl_c_meanwhile(pgid: int) -> None:
        on_signal(signal.SIGINT, None)  # what the handler does when SIGINT arrives here
        watch(pgid)

    monkeypatch.setattr(children, "watch", ctrl_c_meanwhile)
    with pytest.raises(Interrupted) as caught:
        _sleeper(children, "s0")
    assert caught.value.signum == signal.SIGINT
    (child,) = children.started
    children.stop_all()
    children.close()
    assert _gone(child.pid)


def test_the_warden_kills_what_ignores_sigterm_after_the_grace_period() -> None:
    stubborn = subprocess.Popen(
        [sys.executable, "-c", _IGNORES_SIGTERM], stdout=subprocess.PIPE, start_new_session=True
    )
    assert stubborn.stdout is not None
    assert stubborn.stdout.readline() == b"ready\n"  # SIGTERM is ignored from here on
    try:
        assert stop_groups([stubborn.pid], grace=0.5) == [stubborn.pid]
        assert stubborn.wait(timeout=30) == -signal.SIGKILL
    finally:
        stubborn.kill()
        stubborn.wait()
        stubborn.stdout.close()


_IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(600)"
)


def test_leftovers_of_a_killed_demo_are_stopped_but_a_running_demo_is_refused(
    tmp_path: Path,
) -> None:
    children = Children(tmp_path)
    children.claim()
    pid = _sleeper(children, "orphan")
    wait_for_exec(pid)
    record = tmp_path / "pids.json"
    saved = json.loads(record.read_text())
    # the recording demo still runs (another process that is alive): refused, nothing stopped
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        cmdline = wait_for_exec(other.pid)
        record.write_text(json.dumps({**saved, "owner": {"pid": other.pid, "cmdline": cmdline}}))
        with pytest.raises(DemoError, match=f"a demo already runs in .* \\(pid {other.pid}\\)"):
            stop_leftovers(tmp_path)
        assert not _gone(pid)
    finally:
        other.kill()
        other.wait()
    # now the recording demo is dead: its child is stopped, the record removed
    assert stop_leftovers(tmp_path) == ["orphan"]
    children.started[0].process.wait(timeout=20)
    assert _gone(pid)
    assert not record.exists()
    # a pid whose command line changed (reused) is left alone
    record.write_text(
        json.dumps({**saved, "children": [{**saved["children"][0], "pid": os.getpid()}]})
    )
    assert stop_leftovers(tmp_path) == []
    children.close()
