"""Which wallet keys a consortium config names, and creating the missing ones for ``deploy``.

A config names its signers by wallet label (or by address). ``deploy_consortium`` signs with the
admin's key and each certifying party's first party-level key, and authorises every other named
signer by its address, so every label must be in the wallet before a deploy: ``missing_keys``
says which are not, ``create_missing_keys`` makes them (``tracenet deploy --create-keys``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from web3 import Web3

from tracenet.node._config import ConsortiumConfig
from tracenet.node.errors import DeployConfigError
from tracenet.wallet import Keystore

__all__ = [
    "NamedSigner",
    "create_missing_keys",
    "missing_keys",
    "missing_keys_error",
    "named_signers",
    "required_signers",
]


@dataclass(frozen=True)
class NamedSigner:
    """A wallet label the config names, with the party (and unit) it acts for."""

    label: str
    party: str
    unit: str | None = None


def required_signers(config: ConsortiumConfig) -> list[str]:
    """The wallet labels whose keys ``deploy_consortium`` signs with (admin, certifiers)."""
    certifying = {c.certifier for c in config.certificates} | {
        p.certifier for p in config.processes
    }
    labels = [config.admin.signer]
    for party in config.parties:
        if party.key in certifying:
            if not party.signers:
                raise DeployConfigError(
                    f"party '{party.key}' certifies but has no party-level signer",
                    field=f"parties.{party.key}.signers",
                )
            labels.append(party.signers[0])
    return list(dict.fromkeys(labels))


def named_signers(config: ConsortiumConfig) -> list[NamedSigner]:
    """Every signer the config names by label (addresses need no key), first mention first."""
    named = [NamedSigner(config.admin.signer, config.admin.key)]
    for party in config.parties:
        named += [NamedSigner(label, party.key) for label in party.signers]
        for unit in party.units:
            named += [NamedSigner(label, party.key, unit.key) for label in unit.signers]
    seen: dict[str, NamedSigner] = {}
    for each in named:
        if not Web3.is_address(each.label):
            seen.setdefault(each.label.lower(), each)
    return list(seen.values())


def missing_keys(config: ConsortiumConfig, keys: Keystore) -> list[NamedSigner]:
    """The named signers that have no key in ``keys``."""
    stored = {info.label.lower() for info in keys.list()}
    return [each for each in named_signers(config) if each.label.lower() not in stored]


def create_missing_keys(
    config: ConsortiumConfig, keys: Keystore, passphrase: SecretStr
) -> list[NamedSigner]:
    """Creates a key for every named signer that has none; returns the ones created."""
    created = missing_keys(config, keys)
    for each in created:
        keys.create(label=each.label, party=each.party, unit=each.unit, passphrase=passphrase)
    return created


def missing_keys_error(missing: list[NamedSigner], wallet: str) -> DeployConfigError:
    """One line naming the labels and the two ways to supply them."""
    first = missing[0]
    unit = f" --unit {first.unit}" if first.unit else ""
    labels = ", ".join(each.label for each in missing)
    return DeployConfigError(
        f"no key in the wallet {wallet} for signer(s) {labels}; create them with "
        f"`tracenet deploy … --create-keys`, or one by one "
        f"(`tracenet wallet create --label {first.label} --party {first.party}{unit}`)",
        field="signers",
    )
