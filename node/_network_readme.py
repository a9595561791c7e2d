"""The README.md written into a generated network directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracenet.node._network_compose import INDEXER_API_PORT
from tracenet.node._network_rpc import GATEWAY_METHODS, INDEXER_ACCOUNT, INDEXER_METHODS

__all__ = ["MemberRow", "ReadmeRow", "readme_markdown"]


@dataclass(frozen=True, slots=True)
class ReadmeRow:
    organisation: str
    besu_service: str
    gateway_service: str
    address: str
    rpc_host_port: int
    gateway_host_port: int


@dataclass(frozen=True, slots=True)
class MemberRow:
    organisation: str
    gateway_service: str
    besu_service: str
    gateway_host_port: int


def readme_markdown(
    *,
    chain_id: int,
    block_period_seconds: int,
    rows: Sequence[ReadmeRow],
    members: Sequence[MemberRow] = (),
    indexer_operator: str = "",
    pending: Sequence[str] = (),
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
            "No `--account` was given, so account allowlisting is off and any RPC account "
            "allowed `eth_sendRawTransaction` may transact. Regenerate with "
            "`--account ORG=0x…`, or "
            "fill `accounts-allowlist` and set `permissions-accounts-config-file-enabled=true` "
            "in each `<org>/node/config.toml`."
        )
    first = rows[0]
    validators = " ".join(r.besu_service for r in rows)
    org = first.organisation
    indexer_port = INDEXER_API_PORT
    indexer_operator = indexer_operator or first.organisation
    origin, secrets_section, across = _ceremony(assembled, rows, indexer_operator)
    member_table = (
        "\n\nMembers run a gateway only; it calls an operator's validator with the member's "
        "own JSON-RPC account:\n\n| Member | Gateway | Calls |\n|---|---|---|\n"
        + "\n".join(
            f"| {m.organisation} | `{m.gateway_service}` at 127.0.0.1:{m.gateway_host_port} "
            f"| `{m.besu_service}` |"
            for m in members
        )
        if members
        else "\n\nNo member was given (`--member NAME`): only operators have gateways."
    )
    trust = _trust_model(rows, members, indexer_operator, pending)
    return f"""# Tracenet network, chain id {chain_id}

{origin} A Hyperledger Besu network with QBFT consensus, one
validator per operator ({len(rows)} validators: it keeps producing blocks with
{(len(rows) - 1) // 3} of them down), a block every {block_period_seconds} s and free gas.

| Operator | Validator | Validator address | JSON-RPC | Gateway |
|---|---|---|---|---|
{table}{member_table}

{trust}

## Files

- `genesis.json`: QBFT genesis; the validators are fixed in `extraData`; `zeroBaseFee` is on.
- `<operator>/node/config.toml`: that validator's Besu configuration (paths inside its
  container).
- `<operator>/node/rpc_credentials.toml`: who may call that validator's JSON-RPC and which
  methods (bcrypt hashes only; see "Who sees what").
- `<org>/node/key.pub`, `<org>/node/address`: its public key and validator address.
- `permissions_config.toml`: nodes (and accounts) allowed; shared by every validator.
- `static-nodes.json`: the validators every node dials.
- `docker-compose.yml`: the validators (`{besu_image}`; the image bundles the Java it needs,
  Java 25 for Besu 26.6, should you run Besu outside docker), one gateway per organisation
  (operators and members), the indexer, its read API and PostgreSQL.
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
# JSON-RPC wants a token: log in with {org}'s own account (its password in
# secrets/{org}-rpc-password), then send it as a Bearer token (it expires after 5 minutes)
TOKEN=$(printf '{{"username":"{org}","password":"%s"}}' "$(cat secrets/{org}-rpc-password)" \\
  | curl -s -d @- http://127.0.0.1:{first.rpc_host_port}/login \\
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
curl -s -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" \\
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
   signer key in the given wallet. The record must land in `deployment/`. Tracenet's clients
   log in to Besu themselves when the RPC URL carries `account:password@`:

```sh
tracenet deploy --config consortium.yaml \\
  --rpc-url "http://{org}:$(cat secrets/{org}-rpc-password)@127.0.0.1:{first.rpc_host_port}" \\
  --wallet-dir {org}/wallet --passphrase-file secrets/{org}-wallet-passphrase \\
  --out deployment/deployment.json
```

4. Start everything else (gateways, indexer, its read API on 127.0.0.1:{indexer_port}), then make
   API keys inside each gateway:

```sh
docker compose up -d
docker compose exec gateway-{org} tracenet gateway keys create --party <key> --scope write
```

The `qbft_getValidatorsByBlockNumber` call in step 1 lists the validator addresses above once
blocks are being produced.
`.env` sets `TRACENET_UID`/`TRACENET_GID` to the user who generated the network: Besu runs as
that user so it can read its key and write `<org>/node/data`.

Health checks: each validator answers `GET /liveness` on its JSON-RPC port (checked with bash,
as the Besu image has no curl); gateways are checked by a TCP connect; PostgreSQL by
`pg_isready`. The gateways wait for their validator, the indexer for PostgreSQL and
`besu-{indexer_operator}`.

## Transactions

Gas is free: `zeroBaseFee` in the genesis and `min-gas-price=0` on every node (a node with a
higher minimum silently drops zero-price transactions). {senders}

{across}"""


_INIT = """Generated by `tracenet network init`, the quick local path: one machine made every
validator's key and every secret, so whoever holds this folder holds the keys of all the
validators and could sign blocks for each of them. Fine for a trial; for a consortium, run the
key ceremony instead (`tracenet network node-key` on each operator's machine, `tracenet
network rpc-account` wherever an RPC account is used, then `tracenet network assemble`; see
"Running it across organisations")."""

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
- `secrets/<org>-rpc-password`, `secrets/<org>-gateway.env`: the organisation's JSON-RPC
  password and its gateway's RPC URL with it; `secrets/indexer.env` holds the indexer's.
  The validators hold only their bcrypt hashes.
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


def _ceremony(
    assembled: bool, rows: Sequence[ReadmeRow], indexer_operator: str
) -> tuple[str, str, str]:
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

Every JSON-RPC account's password stays with whoever uses it: each operator, each member and
whoever runs the indexer made theirs with `tracenet network rpc-account --name <name> --out
<name>-rpc` and shared only `<name>.rpc.json` (a bcrypt hash). Each writes its own RPC URL,
naming the validator it calls (a member: the host and port its operator gave it, behind TLS):

```sh
printf 'TRACENET_GATEWAY_RPC_URL=http://<name>:%s@<validator host>:8545\\n' \\
  "$(cat <name>-rpc/rpc-password)" > net/secrets/<name>-gateway.env
```

A member ran no `node-key`, so it makes its wallet passphrase here, on its own machine:

```sh
python3 -c 'import secrets; print(secrets.token_urlsafe(32), end="")' \\
  > net/secrets/<member>-wallet-passphrase
```

- `<org>/node/key`: the validator's private key. Whoever holds it signs blocks for that
  organisation. Back it up offline; losing it means voting in a new validator.
- `secrets/<org>-wallet-passphrase`: the passphrase of `<org>/wallet`; the gateway reads it as
  a compose secret.
- {indexer_operator} runs the indexer: it makes its database password and `secrets/indexer.env`
  (`indexer-rpc` is where it ran `tracenet network rpc-account --name indexer`):

```sh
umask 077; mkdir -p net/secrets
python3 -c 'import secrets; print(secrets.token_urlsafe(32), end="")' \\
  > net/secrets/postgres_password
printf 'TRACENET_INDEXER_DATABASE_URL=postgresql+psycopg://tracenet:%s@postgres:5432/tracenet\\n' \\
  "$(cat net/secrets/postgres_password)" > net/secrets/indexer.env
printf 'TRACENET_INDEXER_RPC_URL=http://indexer:%s@besu-{indexer_operator}:8545\\n' \\
  "$(cat indexer-rpc/rpc-password)" >> net/secrets/indexer.env
```

`.gitignore` here keeps all of them, the node data and `.env` out of git.
"""
    across = """## Running it across organisations

Each operator runs only its own `besu-<org>` and `gateway-<org>` (`docker compose up -d
besu-<org> gateway-<org>`), with `genesis.json`, `permissions_config.toml` and
`static-nodes.json` unchanged on every node; the operator that runs the indexer adds `indexer
indexer-api postgres`. A member runs only `docker compose up -d --no-deps gateway-<member>`,
its RPC URL naming the operator's validator as that operator publishes it (put TLS in front:
Besu serves plain HTTP, and the login carries the password). The enode URLs carry the host
each operator gave to `tracenet network node-key --host` (the compose service name when it
gave none): every validator must resolve those names and reach the others on their P2P port
(TCP 30303 unless given). Should a host name change, change it in the enode URLs of
`permissions_config.toml` and `static-nodes.json` on every node alike; the key and genesis stay
as they are.
"""
    return _ASSEMBLED, secrets, across


def _trust_model(
    rows: Sequence[ReadmeRow],
    members: Sequence[MemberRow],
    indexer_operator: str,
    pending: Sequence[str],
) -> str:
    """The README's "Who sees what": what an operator sees, what a member sees, and why."""
    operators = ", ".join(r.organisation for r in rows)
    member_names = ", ".join(m.organisation for m in members) or "none yet"
    gateway = ", ".join(f"`{m}`" for m in GATEWAY_METHODS)
    indexer = ", ".join(f"`{m}`" for m in INDEXER_METHODS)
    waiting = (
        "\n\nNo account request was given for "
        + ", ".join(pending)
        + ": until one is added to each validator's `rpc_credentials.toml` (and the validators "
        "restarted), those members can call nothing."
        if pending
        else ""
    )
    return f"""## Who sees what (trust model)

**Operators** ({operators}) run the validators. **Members** ({member_names}) run a gateway only.

**What an operator sees: everything.** A validator stores the whole chain, and every event is
in plain text: sender and recipient units, quantities, products, order references,
certificates, claims. Besu has no private transactions any more (Tessera privacy was
deprecated in 24.12 and removed in 25.6; the PRIV and EEA APIs went in 25.7), and Besu's own
documentation says permissioning cannot stop a node operator from passing on what its node
holds. So validators belong with neutral operators (the scheme owner, certification bodies, an
audit firm, the consortium association), bound by the consortium agreement to keep it
confidential; a company that competes with members should be a member, not an operator.
Exchanging current quantities and customer identities between competitors can infringe
competition law whatever their market shares (EU Horizontal Guidelines, 2023).

**What a member sees: its own, by design.** Its gateway submits its transactions and reads
their receipts through an operator's JSON-RPC, logged in with the member's own account, whose
allowlist holds exactly the methods a gateway calls: {gateway}. Not `eth_getLogs` (the
query that returns the chain's events in bulk, filtered by contract and topic), nor the
admin, debug, QBFT or txpool methods. A member reads the ledger through the indexer's read
API with its party-scoped API key: its own units' records, its counterparties' for the
shipments between them, and the registry (names of parties, units, certificates).

**The limit, plainly.** Besu's allowlist restricts methods, not data. The methods a gateway
needs (`eth_getBlockByNumber` lists a block's transactions, `eth_getTransactionReceipt` and
`eth_getBlockReceipts` return their events, `eth_call` reads any contract state) would let a
member that modified its gateway walk the chain block by block and read what others shipped.
Withholding `eth_getLogs` removes the bulk query, not the data; closing it would need a proxy
in front of the validators that returns a member only the receipts of its own transactions,
which this network does not have. The consortium agreement has to cover it.

**The indexer** runs at {indexer_operator}, beside its validator, with its own account
(`{INDEXER_ACCOUNT}`, on that validator only): {indexer}. It reads the whole chain, as its
operator can; its read API gives each member only what that member's key allows.

| JSON-RPC account | On which validators | Methods |
|---|---|---|
| each operator, by its name | its own only | all (`*:*`) |
| `{INDEXER_ACCOUNT}` | {indexer_operator}'s | the indexer's {len(INDEXER_METHODS)}, above |
| each member, by its name | every operator's | the gateway's {len(GATEWAY_METHODS)}, above |

Passwords never reach a validator: `<operator>/node/rpc_credentials.toml` holds bcrypt hashes.
A client POSTs its name and password to the validator's `/login` and sends the token it gets
(valid 5 minutes) as `Authorization: Bearer`; Tracenet's clients do this themselves when the
RPC URL carries `account:password@`. Besu serves plain HTTP: across hosts, put TLS in front
of a validator's RPC port.{waiting}
"""
