"""`tracenet` imports a component only when one of its commands runs."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from tracenet.cli import COMMANDS, build_parser, main

HEAVY = (
    "tracenet.gateway",
    "tracenet.indexer",
    "tracenet.console",
    "fastapi",
    "uvicorn",
    "sqlmodel",
    "tracenet.erp",
    "web3",
)


def _loaded_after(argv: list[str]) -> tuple[int, set[str], str]:
    """Run ``tracenet ARGV`` in a fresh interpreter; (exit code, top-level modules loaded, out)."""
    script = (
        "import json, sys\n"
        "from tracenet.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "def top(m):\n"
        "    parts = m.split('.')\n"
        "    return '.'.join(parts[:2]) if parts[0] == 'tracenet' else parts[0]\n"
        "names = sorted({top(m) for m in sys.modules})\n"
        "print('\\n' + json.dumps({'code': code, 'modules': names}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), run.stdout + run.stderr


def test_help_imports_no_component() -> None:
    code, loaded, out = _loaded_after(["--help"])
    assert code == 0
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    for name in COMMANDS:  # every command is still listed
        assert name in out


def test_a_command_imports_its_component_only() -> None:
    code, loaded, out = _loaded_after(["wallet", "--help"])
    assert code == 0 and "create" in out
    assert "tracenet.wallet" in loaded
    assert not loaded & {"tracenet.gateway", "tracenet.indexer", "fastapi", "tracenet.erp"}


def test_unknown_command_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["no-such-command"])
    assert exited.value.code == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {a.dest: a.help for a in action._choices_actions}
    return {}


def test_the_table_matches_the_components() -> None:
    """Every command the components register is in the table, with the same help and module."""
    full = build_parser()
    assert list(_choices(full)) == list(COMMANDS)
    assert _helps(full) == {name: help_text for name, (_, help_text) in COMMANDS.items()}
    for name in COMMANDS:  # the module named for a command really registers it (placeholders
        # have no -h), and the others stay placeholders
        real = {
            n
            for n, p in _choices(build_parser(name)).items()
            if p.get_default("handler") or p._actions
        }
        assert name in real
        assert real <= {n for n, (module, _) in COMMANDS.items() if module == COMMANDS[name][0]}
