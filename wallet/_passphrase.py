"""Where passphrases and imported keys come from: a file, an environment variable or a prompt.

Never from a command-line argument: argv is visible to every user through ``ps`` and lands in
shell history.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
import sys
from pathlib import Path

from pydantic import SecretStr

from tracenet.wallet.errors import PassphraseUnavailableError, WalletInputError

__all__ = ["read_passphrase", "read_private_key"]

log = logging.getLogger(__name__)


def read_passphrase(*, env_var: str, file: Path | None = None, confirm: bool = False) -> SecretStr:
    """The passphrase from ``file`` if given, else from ``$env_var``, else from a prompt.

    A file's single trailing newline is dropped. ``confirm`` asks twice at the prompt (for new
    keys). Raises PassphraseUnavailableError when there is no source and no terminal.
    """
    if file is not None:
        value = _read_secret_file(file, what="passphrase file", field="passphrase_file")
    elif env_var in os.environ:
        value = os.environ[env_var]
    elif sys.stdin.isatty():
        value = _prompt("Passphrase: ")
        if confirm and _prompt("Repeat passphrase: ") != value:
            raise WalletInputError("the two passphrases differ", field="passphrase")
    else:
        raise PassphraseUnavailableError(
            f"no passphrase: set ${env_var}, pass --passphrase-file, or run in a terminal",
            field="passphrase",
        )
    if not value:
        raise WalletInputError("the passphrase is empty", field="passphrase")
    return SecretStr(value)


def read_private_key(*, file: Path | None = None) -> SecretStr:
    """A private key from ``file`` (``-`` is standard input), else from a prompt."""
    if file is not None and str(file) == "-":
        return SecretStr(sys.stdin.read().strip())
    if file is not None:
        return SecretStr(_read_secret_file(file, what="key file", field="key_file").strip())
    if sys.stdin.isatty():
        return SecretStr(_prompt("Private key (hex): ").strip())
    raise PassphraseUnavailableError(
        "no private key: pass --key-file FILE (or --key-file - for standard input)",
        field="private_key",
    )


def _read_secret_file(path: Path, *, what: str, field: str) -> str:
    try:
        with path.open(encoding="utf-8") as f:
            mode = os.fstat(f.fileno()).st_mode
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise PassphraseUnavailableError(
            f"cannot read {what} {path}: {problem}", field=field
        ) from None
    if stat.S_ISREG(mode) and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s %s is readable by other users; chmod 600 it", what, path)
    return text.removesuffix("\n").removesuffix("\r")


def _prompt(prompt: str) -> str:
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise PassphraseUnavailableError("input ended at the prompt") from None
