// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC1155Burnable} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Burnable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title OpenZeppelin's ERC-1155 with an owner-only mint: the gas baseline of `benchmarks/gas.py`.
/// @notice Not part of Tracenet; compiled with the same compiler and settings for a fair comparison.
contract BenchERC1155 is ERC1155, ERC1155Burnable, Ownable {
    /// @param owner_ the only account that may mint
    constructor(address owner_) ERC1155("") Ownable(owner_) {}

    /// @notice Mints `value` of token `id` to `to` (owner only).
    function mint(address to, uint256 id, uint256 value) external onlyOwner {
        _mint(to, id, value, "");
    }
}
