"""The Tracenet ledger node: an embedded single-node dev chain (anvil) for development and tests.

    from tracenet.node import AnvilNode, NodeSettings

    with AnvilNode(NodeSettings(data_dir=tmp, port=18545, block_time=0)) as chain:
        print(chain.status().block_number)

``tracenet node up|down|status`` drives the same class from the command line.
"""

from tracenet.node._anvil import AnvilNode, NodeStatus, rpc_call
from tracenet.node._config import ConsortiumConfig
from tracenet.node._connect import connect
from tracenet.node._deploy import deploy_consortium
from tracenet.node._deploy_keys import required_signers
from tracenet.node._settings import DEV_CHAIN_ID, NodeSettings
from tracenet.node.errors import (
    DeployConfigError,
    DeployError,
    NodeAlreadyRunningError,
    NodeBinaryNotFoundError,
    NodeError,
    NodeNotRunningError,
    NodePortInUseError,
    NodeRpcError,
    NodeStartError,
    NodeStartTimeoutError,
    NodeStateCorruptError,
    NodeStopError,
)

__all__ = [
    "DEV_CHAIN_ID",
    "AnvilNode",
    "ConsortiumConfig",
    "DeployConfigError",
    "DeployError",
    "NodeAlreadyRunningError",
    "NodeBinaryNotFoundError",
    "NodeError",
    "NodeNotRunningError",
    "NodePortInUseError",
    "NodeRpcError",
    "NodeSettings",
    "NodeStartError",
    "NodeStartTimeoutError",
    "NodeStateCorruptError",
    "NodeStatus",
    "NodeStopError",
    "connect",
    "deploy_consortium",
    "required_signers",
    "rpc_call",
]
