"""The README.md written into a generated network directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracenet.node._network_compose import INDEXER_API_PORT

__all__ = ["ReadmeRow", "readme_markdown"]


@dataclass(frozen=True, slots=True)
class ReadmeRow:
    organisation: str
    besu_service: str
    gateway_service: str
    address: str
    rpc_host_port: int
    gateway_host_port: int


def readme_markdown(
    *,
    chain_id: int,
    block_period_seconds: int,
    rows: Sequence[ReadmeRow],
    accounts: Sequence[str],
    build_context: str | None,
    besu_image: str,
    assembled: bool = False,
) -> str:
    """The README; ``assembled`` for a network made by the key ceremony (no secret in it)."""
    table = "\n".join(
        f"| {r.organisation} | `{r.besu_service}` | `{r.address}` | 127.0.0.1:{r.rpc_host_port} "
        f"| `{r.gateway_service}` at 127.0.0.1:{r.gateway_host_port} |"
        for r in rows
    )
    build = (
        f"`docker compose build` builds it from `{build_context}` (docker/Dockerfile)."
        if build_context is not None
        else "Build or pull it first (`docker build -f docker/Dockerfile -t <image> .` in a "
        "Tracenet checkout), since no build context was given."
    )
    if accounts:
        senders = (
            "Only these accounts may send transactions (Besu account allowlisting): "
            + ", ".join(f"`{a}`" for a in accounts)
            + ". To add one, append it to `accounts-allowlist` in `permissions_config.toml` "
            "and restart every validator."
        )
    else:
        senders = (
            "No `--account` was given, so account allowlisting is off and any client that "
            "reaches a validator's RPC may transact. Regenerate with `--account ORG=0x…`, or "
            "fill `accounts-allowlist` and set `permissions-accounts-config-file-enabled=true` "
            "in each `<org>/node/config.toml`."
        )
    first = rows[0]
    validators = " ".join(r.besu_service for r in rows)
    org = first.organisation
    indexer_port = INDEXER_API_PORT
    origin, secrets_section, across = _ceremony(assembled, rows)
    return f"""# Tracenet network, chain id {chain_id}

{origin} A Hyperledger Besu network with QBFT consensus, one
validator per organisation ({len(rows)} validators: it keeps producing blocks with
{(len(rows) - 1) // 3} of them down), a block every {block_period_seconds} s and free gas.

| Organisation | Validator | Validator address | JSON-RPC | Gateway |
|---|---|---|---|---|
{table}

## Files

- `genesis.json`: QBFT genesis; the validators are fixed in `extraData`; `zeroBaseFee` is on.
- `<org>/node/config.toml`: that validator's Besu configuration (paths inside its container).
- `<org>/node/key.pub`, `<org>/node/address`: its public key and validator address.
- `permissions_config.toml`: nodes (and accounts) allowed; shared by every validator.
- `static-nodes.json`: the validators every node dials.
- `docker-compose.yml`: the validators (`{besu_image}`; the image bundles the Java it needs,
  Java 25 for Besu 26.6, should you run Besu outside docker), one gateway per organisation, the
  indexer, its read API and PostgreSQL.
- `deployment/`: where the deployment record goes (see "Deploy the ledger" below).
- `<org>/wallet/`: the organisation's key store, read by its gateway (empty until you add keys).
- `<org>/gateway/`: the gateway's request store.

{secrets_section}
## Start

The gateways and the indexer run the Tracenet image. {build}

1. Start the validators and check they produce blocks:

```sh
docker compose up -d {validators}
docker compose ps            # every validator should turn "healthy"
curl -s -H 'content-type: application/json' \\
  -d '{{"jsonrpc":"2.0","id":1,"method":"qbft_getValidatorsByBlockNumber","params":["latest"]}}' \\
  http://127.0.0.1:{first.rpc_host_port}
```

2. Keys: each organisation creates the keys its gateway signs with, in its own key store, with
   its generated passphrase (repeat per signer; the address printed goes into the consortium
   config as that signer, or use the label when one wallet deploys):

```sh
tracenet wallet create --wallet-dir {org}/wallet \\
  --passphrase-file secrets/{org}-wallet-passphrase --label {org}-site --party {org}
```

3. Deploy the ledger from a consortium config (see `node/demo/consortium.yaml` in Tracenet):
   the deployer needs the admin's and the certifiers' keys; `--create-keys` makes any missing
   signer key in the given wallet. The record must land in `deployment/`:

```sh
tracenet deploy --config consortium.yaml --rpc-url http://127.0.0.1:{first.rpc_host_port} \\
  --wallet-dir {org}/wallet --passphrase-file secrets/{org}-wallet-passphrase \\
  --out deployment/deployment.json
```

4. Start everything else (gateways, indexer, its read API on 127.0.0.1:{indexer_port}), then make
   API keys inside each gateway:

```sh
docker compose up -d
docker compose exec gateway-{org} tracenet gateway keys create --party <key> --scope write
```

The last command lists the validator addresses above once blocks are being produced.
`.env` sets `TRACENET_UID`/`TRACENET_GID` to the user who generated the network: Besu runs as
that user so it can read its key and write `<org>/node/data`.

Health checks: each validator answers `GET /liveness` on its JSON-RPC port (checked with bash,
as the Besu image has no curl); gateways are checked by a TCP connect; PostgreSQL by
`pg_isready`. The gateways wait for their validator, the indexer for PostgreSQL and
`{first.besu_service}`.

## Transactions

Gas is free: `zeroBaseFee` in the genesis and `min-gas-price=0` on every node (a node with a
higher minimum silently drops zero-price transactions). {senders}

{across}"""


_INIT = """Generated by `tracenet network init`, the quick local path: one machine made every
validator's key and every secret, so whoever holds this folder holds the keys of all the
validators and could sign blocks for each of them. Fine for a trial; for a consortium, run the
key ceremony instead (`tracenet network node-key` on each organisation's machine, then
`tracenet network assemble`; see "Running it across organisations")."""

_ASSEMBLED = """Assembled by `tracenet network assemble` from the public parts each organisation
made on its own machine with `tracenet network node-key`: nothing secret is in this folder, so it
can be shared as it is, and every organisation can assemble it again from the same public
parts and compare (`sha256sum genesis.json`)."""

_INIT_SECRETS = """## Secrets: never commit, never share

- `<org>/node/key`: the validator's private key (mode 0600). Whoever holds it signs blocks for
  that organisation. Back it up offline; losing it means voting in a new validator.
- `secrets/postgres_password`, `secrets/indexer.env`: the indexer's database credentials.
- `secrets/<org>-wallet-passphrase`: the passphrase of `<org>/wallet` (random, generated here);
  the gateway reads it as a compose secret.
- `<org>/wallet/*.json`: the organisation's signing keys, encrypted with that passphrase.

`.gitignore` here keeps all of them, the node data and `.env` out of git.
"""

_INIT_ACROSS = """## Running it across organisations

This compose file runs every organisation on one host, which suits a trial. Here one machine
made every key, so it is no consortium: each organisation should make its own key where its
validator runs, and the network be assembled from the public parts (the key ceremony):

```sh
# on each organisation's machine; it shares <org>-keys/<org>.public.json, keeps the rest
tracenet network node-key --org <org> --out <org>-keys --host <name the others dial>
# anywhere, from the shared public parts alone
tracenet network assemble --out net --public acme.public.json --public …
```
"""


def _ceremony(assembled: bool, rows: Sequence[ReadmeRow]) -> tuple[str, str, str]:
    """(how it was made, its secrets section, running it across organisations)."""
    if not assembled:
        return _INIT, _INIT_SECRETS, _INIT_ACROSS
    org = rows[0].organisation
    secrets = f"""## Secrets: each organisation adds its own

This folder holds no private key and no password. Before starting its services, each
organisation copies in, on its own machine only, what `tracenet network node-key` made there
(never send them to anyone; here `net` is this folder and `{org}-keys` the node-key folder):

```sh
umask 077
install -m 600 {org}-keys/key net/{org}/node/key
install -D -m 600 {org}-keys/wallet-passphrase net/secrets/{org}-wallet-passphrase
```

- `<org>/node/key`: the validator's private key. Whoever holds it signs blocks for that
  organisation. Back it up offline; losing it means voting in a new validator.
- `secrets/<org>-wallet-passphrase`: the passphrase of `<org>/wallet`; the gateway reads it as
  a compose secret.
- Whoever runs the indexer makes its database password and `secrets/indexer.env`:

```sh
umask 077; mkdir -p net/secrets
python3 -c 'import secrets; print(secrets.token_urlsafe(32), end="")' \\
  > net/secrets/postgres_password
printf 'TRACENET_INDEXER_DATABASE_URL=postgresql+psycopg://tracenet:%s@postgres:5432/tracenet\\n' \\
  "$(cat net/secrets/postgres_password)" > net/secrets/indexer.env
```

`.gitignore` here keeps all of them, the node data and `.env` out of git.
"""
    across = """## Running it across organisations

Each organisation runs only its own `besu-<org>` and `gateway-<org>` (`docker compose up -d
besu-<org> gateway-<org>`), with `genesis.json`, `permissions_config.toml` and
`static-nodes.json` unchanged on every node. The enode URLs carry the host each organisation
gave to `tracenet network node-key --host` (the compose service name when it gave none): every
validator must resolve those names and reach the others on their P2P port (TCP 30303 unless
given). Should a host name change, change it in the enode URLs of `permissions_config.toml` and
`static-nodes.json` on every node alike; the key and genesis stay as they are.
"""
    return _ASSEMBLED, secrets, across
