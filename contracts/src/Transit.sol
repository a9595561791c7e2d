// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICatalog} from "./interfaces/ICatalog.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {ILedger} from "./interfaces/ILedger.sol";
import {ITransit} from "./interfaces/ITransit.sol";
import {Tracenet} from "./libraries/Tracenet.sol";

/// @title Shipments awaiting the recipient's acceptance (issue 19).
/// @notice Created by the Ledger, which alone opens a transit (from `ship`) and which alone moves
/// credits when one closes (`ILedger.release`, callable by this contract only). Kept apart from the
/// Ledger so that the Ledger's bytecode grows by a hook and one function, not by a state machine.
contract Transit is ITransit {
    IConsortium public immutable consortium;
    /// @dev Private: a public `catalog()` would take the name `Ledger.catalog()` has in the SDK.
    ICatalog private immutable _catalog;
    /// @dev The Ledger that created this contract (not a public view: `Consortium.ledger()` names it).
    ILedger private immutable _ledger;

    mapping(uint32 schemeId => Acceptance) private _acceptance;
    mapping(uint64 shipmentId => Delivery) private _deliveries;
    mapping(uint32 classId => uint256) public inTransit;
    /// @dev How many schemes require acceptance now; the Ledger is told when it becomes 0 or 1.
    uint32 private _requiring;

    /// @param consortium_ the registry of parties, units and signers
    /// @param catalog_ the catalog of schemes and classes
    constructor(IConsortium consortium_, ICatalog catalog_) {
        consortium = consortium_;
        _catalog = catalog_;
        _ledger = ILedger(msg.sender);
    }

    /// @inheritdoc ITransit
    function setSchemeAcceptance(uint32 schemeId, uint8 acceptance, uint32 windowSeconds, uint8 settleMode) external {
        IConsortium.Actor memory actor = consortium.actorOf(msg.sender);
        if (!actor.active) revert IConsortium.PartyIsSuspended(actor.partyId);
        if (actor.roles & Tracenet.ROLE_ADMIN == 0) revert IConsortium.AccessRoleMissing(actor.partyId, Tracenet.ROLE_ADMIN);
        _catalog.schemeMaxPeriodMonths(schemeId); // SchemeUnknown
        bool required = acceptance == Tracenet.ACCEPTANCE_REQUIRED;
        if (
            acceptance > Tracenet.ACCEPTANCE_REQUIRED || settleMode > Tracenet.SETTLE_RETURNED
                || (required && (windowSeconds == 0 || windowSeconds > Tracenet.MAX_ACCEPTANCE_WINDOW))
                || (!required && (windowSeconds != 0 || settleMode != 0))
        ) revert AcceptanceInvalid(acceptance, windowSeconds, settleMode);
        bool was = _acceptance[schemeId].acceptance == Tracenet.ACCEPTANCE_REQUIRED;
        if (was != required) {
            _requiring = required ? _requiring + 1 : _requiring - 1;
            if (_requiring == (required ? 1 : 0)) _ledger.setTransitActive(required);
        }
        _acceptance[schemeId] = Acceptance(acceptance, settleMode, windowSeconds);
        emit SchemeAcceptanceSet(schemeId, acceptance, windowSeconds, settleMode);
    }

    /// @inheritdoc ITransit
    function dispatch(
        uint64 shipmentId,
        uint32 fromUnitId,
        uint32 toUnitId,
        uint32 productGroupId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts
    ) external returns (bool pending) {
        if (msg.sender != address(_ledger)) revert TransitLedgerOnly(msg.sender);
        // The first line whose scheme requires acceptance sets the window and the settle behaviour.
        Acceptance memory a;
        uint32 cached;
        for (uint256 i; i < tokenIds.length; ++i) {
            uint32 classId = uint32(tokenIds[i] >> 64);
            if (classId == cached) continue;
            cached = classId;
            a = _acceptance[_catalog.classInfo(classId).schemeId];
            if (a.acceptance == Tracenet.ACCEPTANCE_REQUIRED) break;
        }
        if (a.acceptance != Tracenet.ACCEPTANCE_REQUIRED) return false;
        // Inventory moves inside one legal entity need no acceptance.
        if (consortium.unitView(fromUnitId).partyId == consortium.unitView(toUnitId).partyId) return false;
        uint64 deadline = uint64(block.timestamp) + a.windowSeconds;
        Delivery storage d = _deliveries[shipmentId];
        (d.state, d.settle, d.fromUnitId, d.toUnitId, d.productGroupId, d.deadline, d.quantity) =
            (Tracenet.TRANSIT_PENDING, a.settle, fromUnitId, toUnitId, productGroupId, deadline, quantity);
        d.tokenIds = tokenIds;
        d.amounts = amounts;
        for (uint256 i; i < tokenIds.length; ++i) {
            inTransit[uint32(tokenIds[i] >> 64)] += amounts[i];
        }
        emit TransitOpened(shipmentId, fromUnitId, toUnitId, deadline, a.settle);
        return true;
    }

    /// @inheritdoc ITransit
    function accept(uint64 shipmentId) external {
        Delivery storage d = _pending(shipmentId);
        uint32 unitId = _unit();
        if (unitId != d.toUnitId) revert TransitRecipientOnly(shipmentId, unitId);
        _close(shipmentId, d, Tracenet.TRANSIT_ACCEPTED, "");
    }

    /// @inheritdoc ITransit
    function reject(uint64 shipmentId, string calldata reason) external {
        Delivery storage d = _pending(shipmentId);
        uint32 unitId = _unit();
        if (unitId != d.toUnitId) revert TransitRecipientOnly(shipmentId, unitId);
        if (bytes(reason).length == 0) revert TransitReasonMissing();
        _close(shipmentId, d, Tracenet.TRANSIT_REJECTED, reason);
    }

    /// @inheritdoc ITransit
    function recall(uint64 shipmentId) external {
        Delivery storage d = _pending(shipmentId);
        uint32 unitId = _unit();
        if (unitId != d.fromUnitId) revert TransitSenderOnly(shipmentId, unitId);
        _close(shipmentId, d, Tracenet.TRANSIT_RECALLED, "");
    }

    /// @inheritdoc ITransit
    function settle(uint64 shipmentId) external {
        Delivery storage d = _pending(shipmentId);
        if (block.timestamp <= d.deadline) revert TransitWindowOpen(shipmentId, d.deadline);
        uint8 state =
            d.settle == Tracenet.SETTLE_ACCEPTED ? Tracenet.TRANSIT_SETTLED_ACCEPTED : Tracenet.TRANSIT_SETTLED_RETURNED;
        _close(shipmentId, d, state, "");
    }

    /// @inheritdoc ITransit
    function schemeAcceptance(uint32 schemeId) external view returns (Acceptance memory) {
        return _acceptance[schemeId];
    }

    /// @inheritdoc ITransit
    function delivery(uint64 shipmentId) external view returns (Delivery memory) {
        return _deliveries[shipmentId];
    }

    // ---- internals ----------------------------------------------------------------------------

    function _pending(uint64 shipmentId) private view returns (Delivery storage d) {
        d = _deliveries[shipmentId];
        if (d.state == Tracenet.TRANSIT_NONE) revert TransitUnknown(shipmentId);
        if (d.state != Tracenet.TRANSIT_PENDING) revert TransitNotPending(shipmentId, d.state);
    }

    /// @dev The caller's unit: an active member acting for a unit.
    function _unit() private view returns (uint32) {
        IConsortium.Actor memory actor = consortium.actorOf(msg.sender);
        if (!actor.active) revert IConsortium.PartyIsSuspended(actor.partyId);
        if (actor.unitId == 0) revert ILedger.LedgerUnitRequired(msg.sender);
        if (actor.roles & Tracenet.ROLE_MEMBER == 0) {
            revert IConsortium.AccessRoleMissing(actor.partyId, Tracenet.ROLE_MEMBER);
        }
        return actor.unitId;
    }

    /// @dev Closes the transit: the Ledger credits the recipient (a receipt: custody and rolling
    /// intake checked there) or gives the credits back to the sender.
    function _close(uint64 shipmentId, Delivery storage d, uint8 state, string memory reason) private {
        bool receipt = state == Tracenet.TRANSIT_ACCEPTED || state == Tracenet.TRANSIT_SETTLED_ACCEPTED;
        uint32 unitId = receipt ? d.toUnitId : d.fromUnitId;
        d.state = state;
        uint256[] memory ids = d.tokenIds;
        uint256[] memory amounts = d.amounts;
        for (uint256 i; i < ids.length; ++i) {
            inTransit[uint32(ids[i] >> 64)] -= amounts[i];
        }
        _ledger.release(unitId, receipt, d.productGroupId, d.quantity, ids, amounts);
        emit TransitClosed(shipmentId, unitId, state, reason, ids, amounts);
    }
}
