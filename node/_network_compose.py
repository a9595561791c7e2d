"""``docker-compose.yml`` for a generated network: validators, gateways, indexer, PostgreSQL.

Health checks, chosen for what each image ships:

* Besu: its JSON-RPC port serves ``GET /liveness`` (``{"status": "UP"}`` with 200 once the
  node runs; Besu's ``HealthService.LIVENESS_PATH``). The image has no curl or wget, so bash's
  ``/dev/tcp`` sends the request and the check reads the status line. ``/readiness`` would also
  want peers and sync, which at first start would make the validators wait on each other.
* Gateways: a TCP connect to their port, from the Python image; it needs no knowledge of routes.
* PostgreSQL: ``pg_isready``; the indexer starts only once it passes.

Operators run a validator (``besu-<operator>``) and a gateway; members a gateway only, which
calls an operator's validator (the operators in turn) with the member's RPC account. The
indexer and its read API run beside the validator of the operator that runs the indexer.

No secret is inline: node keys, wallet passphrases and the database password are compose
secrets (files under ``/run/secrets``); the indexer's database URL and every RPC URL (they carry
the account's password for Besu's ``/login``) come from env files under ``secrets/``. Every
container runs as the invoking user (``TRACENET_UID``/``TRACENET_GID`` from the
generated ``.env``) so it can read its 0600 keys and write its bind-mounted data.

What a gateway needs, each mounted from the network directory: the deployment record
(``deployment/deployment.json``, written there by ``tracenet deploy --out``), its organisation's
key store (``<org>/wallet``, keys made with ``tracenet wallet create``), the passphrase of those
keys (``secrets/<org>-wallet-passphrase``) and a directory for its request store
(``<org>/gateway``). The indexer and its read API share the record and the PostgreSQL mirror.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from tracenet.node._network_besu import (
    CONTAINER_CONFIG,
    CONTAINER_DATA,
    CONTAINER_GENESIS,
    CONTAINER_PERMISSIONS,
    CONTAINER_RPC_CREDENTIALS,
    CONTAINER_STATIC_NODES,
    NODE_KEY_SECRET,
    P2P_PORT,
    RPC_PORT,
)

__all__ = [
    "CONTAINER_DEPLOYMENT",
    "GATEWAY_PORT",
    "INDEXER_API_PORT",
    "POSTGRES_DB",
    "POSTGRES_SERVICE",
    "POSTGRES_USER",
    "ComposeGateway",
    "ComposeNode",
    "compose_yaml",
]

#: The ports of the README's API conventions, inside the containers as on a developer's machine.
GATEWAY_PORT = 8600
INDEXER_API_PORT = 8700
CONTAINER_DEPLOYMENT = "/config/deployment/deployment.json"
CONTAINER_WALLET = "/wallet"
CONTAINER_GATEWAY_DATA = "/data"
WALLET_PASSPHRASE_SECRET = "wallet-passphrase"
_USER = "${TRACENET_UID:-1000}:${TRACENET_GID:-1000}"
POSTGRES_SERVICE = "postgres"
POSTGRES_USER = "tracenet"
POSTGRES_DB = "tracenet"
POSTGRES_PASSWORD_SECRET = "postgres-password"
INDEXER_SERVICE = "indexer"
INDEXER_API_SERVICE = "indexer-api"

_LIVENESS_REQUEST = "GET /liveness HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n"
_BESU_HEALTH = (
    f"exec 3<>/dev/tcp/127.0.0.1/{RPC_PORT}"
    f" && printf '{_LIVENESS_REQUEST}' >&3"
    " && head -n 1 <&3 | grep -q ' 200 '"
)


def _tcp_check(port: int) -> str:
    return f"import socket; socket.create_connection(('127.0.0.1', {port}), 2)"


@dataclass(frozen=True, slots=True)
class ComposeNode:
    """One organisation's slice of the compose file; paths are relative to the compose file."""

    organisation: str
    besu_service: str
    gateway_service: str
    node_dir: str  # holds config.toml, key, data/
    wallet_dir: str  # the organisation's key store (tracenet wallet), mounted read-only
    gateway_data_dir: str  # the gateway's request store (SQLite)
    passphrase_file: str  # the wallet passphrase, a compose secret
    rpc_host_port: int
    gateway_host_port: int
    #: Published on every interface when other hosts dial this validator (its public part
    #: names a host other than the compose service); None on one docker network.
    p2p_host_port: int | None = None
    #: Env file with the gateway's RPC URL (its account's password inside).
    gateway_env_file: str = ""

    def gateway(self) -> ComposeGateway:
        """This operator's gateway, beside its own validator."""
        return ComposeGateway(
            organisation=self.organisation,
            gateway_service=self.gateway_service,
            besu_service=self.besu_service,
            wallet_dir=self.wallet_dir,
            gateway_data_dir=self.gateway_data_dir,
            passphrase_file=self.passphrase_file,
            gateway_host_port=self.gateway_host_port,
            gateway_env_file=self.gateway_env_file,
        )


@dataclass(frozen=True, slots=True)
class ComposeGateway:
    """A member's slice: a gateway only, calling ``besu_service`` with the member's account."""

    organisation: str
    gateway_service: str
    besu_service: str
    wallet_dir: str
    gateway_data_dir: str
    passphrase_file: str
    gateway_host_port: int
    gateway_env_file: str


def compose_yaml(
    *,
    nodes: Sequence[ComposeNode],
    chain_id: int,
    members: Sequence[ComposeGateway] = (),
    indexer_besu: str | None = None,
    besu_image: str,
    gateway_image: str,
    indexer_image: str,
    postgres_image: str,
    build_context: str | None,
    indexer_env_file: str,
    postgres_password_file: str,
) -> str:
    """The compose document as YAML, headed by a comment saying it is generated."""
    services: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for node in nodes:
        key_secret = f"{node.besu_service}-node-key"
        secrets[key_secret] = {"file": f"./{node.node_dir}/key"}
        services[node.besu_service] = _besu(node, besu_image, key_secret)
    gateways = [n.gateway() for n in nodes]
    for gateway in [*gateways, *members]:
        passphrase_secret = f"{gateway.organisation}-wallet-passphrase"
        secrets[passphrase_secret] = {"file": f"./{gateway.passphrase_file}"}
        services[gateway.gateway_service] = _gateway(gateway, gateway_image, build_context)
        services[gateway.gateway_service]["secrets"] = [
            {"source": passphrase_secret, "target": WALLET_PASSPHRASE_SECRET}
        ]
    indexer_besu = indexer_besu or nodes[0].besu_service
    services |= _indexer(indexer_besu, indexer_image, build_context, indexer_env_file)
    services[POSTGRES_SERVICE] = _postgres(postgres_image)
    secrets[POSTGRES_PASSWORD_SECRET] = {"file": postgres_password_file}
    document = {"services": services, "volumes": {"postgres-data": {}}, "secrets": secrets}
    header = (
        "# Generated by `tracenet network`; regenerate rather than edit by hand.\n"
        f"# Chain id {chain_id}; see README.md beside this file to start it.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=1000)


def _indexer(
    besu_service: str, image: str, build_context: str | None, env_file: str
) -> dict[str, Any]:
    """The indexer's follower and its read API, once the database and their validator are up."""
    services: dict[str, Any] = {}
    indexer_env = {"TRACENET_INDEXER_DEPLOYMENT": CONTAINER_DEPLOYMENT}
    waits = {
        POSTGRES_SERVICE: {"condition": "service_healthy"},
        besu_service: {"condition": "service_healthy"},
    }
    for name, command in (
        (INDEXER_SERVICE, ["indexer", "run"]),
        (INDEXER_API_SERVICE, ["indexer", "serve"]),
    ):
        environment = dict(indexer_env)
        if name == INDEXER_API_SERVICE:
            environment |= {
                "TRACENET_INDEXER_API_HOST": "0.0.0.0",
                "TRACENET_INDEXER_API_PORT": str(INDEXER_API_PORT),
            }
        services[name] = _tracenet(
            image=image,
            build_context=build_context,
            command=command,
            environment=environment,
            env_file=env_file,
            depends_on=waits,
        )
        services[name]["volumes"] = [_bind("./deployment", "/config/deployment")]
    services[INDEXER_API_SERVICE]["ports"] = [f"127.0.0.1:{INDEXER_API_PORT}:{INDEXER_API_PORT}"]
    services[INDEXER_API_SERVICE]["healthcheck"] = {
        "test": ["CMD", "python", "-c", _tcp_check(INDEXER_API_PORT)],
        **_timing(),
    }
    return services


def _postgres(image: str) -> dict[str, Any]:
    """The indexer's database."""
    return {
        "image": image,
        "restart": "unless-stopped",
        "environment": {
            "POSTGRES_USER": POSTGRES_USER,
            "POSTGRES_DB": POSTGRES_DB,
            "POSTGRES_PASSWORD_FILE": f"/run/secrets/{POSTGRES_PASSWORD_SECRET}",
        },
        "secrets": [POSTGRES_PASSWORD_SECRET],
        "volumes": [
            {"type": "volume", "source": "postgres-data", "target": "/var/lib/postgresql/data"}
        ],
        "healthcheck": {
            "test": ["CMD", "pg_isready", "-U", POSTGRES_USER, "-d", POSTGRES_DB],
            **_timing(),
        },
    }


def _besu(node: ComposeNode, image: str, key_secret: str) -> dict[str, Any]:
    return {
        "image": image,
        "restart": "unless-stopped",
        "user": _USER,
        "command": [f"--config-file={CONTAINER_CONFIG}"],
        "secrets": [{"source": key_secret, "target": NODE_KEY_SECRET}],
        "volumes": [
            _bind("./genesis.json", CONTAINER_GENESIS),
            _bind(f"./{node.node_dir}/config.toml", CONTAINER_CONFIG),
            _bind("./permissions_config.toml", CONTAINER_PERMISSIONS),
            _bind("./static-nodes.json", CONTAINER_STATIC_NODES),
            _bind(f"./{node.node_dir}/rpc_credentials.toml", CONTAINER_RPC_CREDENTIALS),
            _bind(f"./{node.node_dir}/data", CONTAINER_DATA, read_only=False),
        ],
        "ports": [f"127.0.0.1:{node.rpc_host_port}:{RPC_PORT}"]
        + ([f"{node.p2p_host_port}:{P2P_PORT}/tcp"] if node.p2p_host_port is not None else []),
        "healthcheck": {"test": ["CMD", "bash", "-c", _BESU_HEALTH], **_timing()},
        "stop_grace_period": "30s",
    }


def _gateway(node: ComposeGateway, image: str, build_context: str | None) -> dict[str, Any]:
    # TRACENET_GATEWAY_RPC_URL (http://<account>:<password>@<validator>:8545) is in the env file
    service = _tracenet(
        image=image,
        build_context=build_context,
        command=["gateway", "serve"],
        environment={
            "TRACENET_GATEWAY_HOST": "0.0.0.0",
            "TRACENET_GATEWAY_PORT": str(GATEWAY_PORT),
            "TRACENET_GATEWAY_DEPLOYMENT": CONTAINER_DEPLOYMENT,
            "TRACENET_GATEWAY_WALLET_DIR": CONTAINER_WALLET,
            "TRACENET_GATEWAY_PASSPHRASE_FILE": f"/run/secrets/{WALLET_PASSPHRASE_SECRET}",
            "TRACENET_GATEWAY_DATABASE_URL": f"sqlite:///{CONTAINER_GATEWAY_DATA}/gateway.db",
        },
        env_file=f"./{node.gateway_env_file}",
        depends_on={node.besu_service: {"condition": "service_healthy"}},
    )
    service["volumes"] = [
        _bind("./deployment", "/config/deployment"),
        _bind(f"./{node.wallet_dir}", CONTAINER_WALLET),
        _bind(f"./{node.gateway_data_dir}", CONTAINER_GATEWAY_DATA, read_only=False),
    ]
    service["ports"] = [f"127.0.0.1:{node.gateway_host_port}:{GATEWAY_PORT}"]
    service["healthcheck"] = {
        "test": ["CMD", "python", "-c", _tcp_check(GATEWAY_PORT)],
        **_timing(),
    }
    return service


def _tracenet(
    *,
    image: str,
    build_context: str | None,
    command: list[str],
    environment: dict[str, str],
    env_file: str | None,
    depends_on: dict[str, Any],
) -> dict[str, Any]:
    service: dict[str, Any] = {"image": image}
    if build_context is not None:
        service["build"] = {"context": build_context, "dockerfile": "docker/Dockerfile"}
    service |= {"restart": "unless-stopped", "user": _USER, "command": command}
    service["environment"] = environment
    if env_file is not None:
        service["env_file"] = [env_file]
    service["depends_on"] = depends_on
    return service


def _bind(source: str, target: str, *, read_only: bool = True) -> dict[str, Any]:
    return {"type": "bind", "source": source, "target": target, "read_only": read_only}


def _timing() -> dict[str, Any]:
    return {"interval": "5s", "timeout": "3s", "retries": 30, "start_period": "30s"}
