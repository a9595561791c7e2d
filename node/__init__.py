"""The Tracenet ledger node: an embedded single-node dev chain (anvil) for development and tests.

    from node import AnvilNode, NodeSettings

    with AnvilNode(NodeSettings(data_dir=tmp, port=18545, block_time=0)) as chain:
        print(chain.status().block_number)

``tracenet node up|down|status`` drives the same class from the command line.
"""

from node._anvil import AnvilNode, NodeStatus, rpc_call
from node._settings import DEV_CHAIN_ID, NodeSettings
from node.errors import (
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
    "rpc_call",
]
