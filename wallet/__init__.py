"""Tracenet keys: an encrypted key store and the ``Signer`` protocol the rest of the system uses.

    from tracenet.wallet import Keystore, Signer

    keys = Keystore.from_settings()
    info = keys.create(label="acme-mill-1", party="acme", unit="mill", passphrase=secret)
    signer: Signer = keys.unlock("acme-mill-1", secret)

``sign_report(report, signer)`` signs a JSON report (EIP-191 over its canonical JSON).
Components that sign depend on ``Signer`` only, never on how or where the key is kept.
``tracenet wallet create|import|list|address`` drives the key store from the command line.
"""

from tracenet.wallet._documents import REPORT_SCHEME, canonical_json, sign_report
from tracenet.wallet._keystore import KeyInfo, Keystore
from tracenet.wallet._passphrase import read_passphrase, read_private_key
from tracenet.wallet._settings import DEFAULT_PASSPHRASE_ENV, STANDARD_SCRYPT_N, WalletSettings
from tracenet.wallet._signer import LocalSigner, SignedTx, Signer
from tracenet.wallet.errors import (
    DuplicateKeyError,
    InvalidPrivateKeyError,
    KeyfileCorruptError,
    KeyNotFoundError,
    PassphraseUnavailableError,
    WalletError,
    WalletInputError,
    WrongPassphraseError,
)

__all__ = [
    "DEFAULT_PASSPHRASE_ENV",
    "REPORT_SCHEME",
    "STANDARD_SCRYPT_N",
    "DuplicateKeyError",
    "InvalidPrivateKeyError",
    "KeyInfo",
    "KeyNotFoundError",
    "KeyfileCorruptError",
    "Keystore",
    "LocalSigner",
    "PassphraseUnavailableError",
    "SignedTx",
    "Signer",
    "WalletError",
    "WalletInputError",
    "WalletSettings",
    "WrongPassphraseError",
    "canonical_json",
    "read_passphrase",
    "read_private_key",
    "sign_report",
]
