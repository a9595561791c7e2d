// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Shipments in transit: the recipient's acceptance (issue 19).
/// @notice Under a scheme whose shipments need the recipient's acceptance, the credits of a
/// shipment leave the sender at dispatch and wait here, usable by no one, until the recipient
/// accepts them (they become its own), rejects them with a reason or the sender recalls them (they
/// go back to the sender), or, once the acceptance window has passed, anyone settles the shipment as
/// the scheme says (accepted or returned). The Ledger holds the credits (its transit account); this
/// contract, which the Ledger creates and alone authorises, keeps each shipment's state.
interface ITransit {
    /// @notice A scheme's acceptance setting: `acceptance` (Tracenet.ACCEPTANCE_*), the window in
    /// seconds, and what settling after the window does (Tracenet.SETTLE_*).
    struct Acceptance {
        uint8 acceptance;
        uint8 settle;
        uint32 windowSeconds;
    }

    /// @notice One shipment that needed the recipient's acceptance: its state (Tracenet.TRANSIT_*),
    /// ends, product group, physical quantity, deadline (unix seconds), what settling does, and its
    /// credit lines.
    struct Delivery {
        uint8 state;
        uint8 settle;
        uint32 fromUnitId;
        uint32 toUnitId;
        uint32 productGroupId;
        uint64 deadline;
        uint256 quantity;
        uint256[] tokenIds;
        uint256[] amounts;
    }

    // ---- errors -------------------------------------------------------------------------------

    /// @notice Only the Ledger opens a shipment's transit; `caller` is not it.
    error TransitLedgerOnly(address caller);
    /// @notice Shipment `shipmentId` never needed acceptance (or does not exist).
    error TransitUnknown(uint64 shipmentId);
    /// @notice Shipment `shipmentId` is no longer awaiting acceptance: it is in state `state`.
    error TransitNotPending(uint64 shipmentId, uint8 state);
    /// @notice Only the recipient of shipment `shipmentId` accepts or rejects it; unit `unitId` is not.
    error TransitRecipientOnly(uint64 shipmentId, uint32 unitId);
    /// @notice Only the sender of shipment `shipmentId` recalls it; unit `unitId` is not.
    error TransitSenderOnly(uint64 shipmentId, uint32 unitId);
    /// @notice Shipment `shipmentId` may be settled only after its window ends at `deadline`.
    error TransitWindowOpen(uint64 shipmentId, uint64 deadline);
    /// @notice A rejection states its reason.
    error TransitReasonMissing();
    /// @notice An acceptance setting must name a known mode and settle behaviour, and a required
    /// acceptance a window of 1 s to 366 days.
    error AcceptanceInvalid(uint8 acceptance, uint32 windowSeconds, uint8 settle);

    // ---- events -------------------------------------------------------------------------------

    /// @notice Scheme `schemeId`'s shipments now need (or not) the recipient's acceptance.
    event SchemeAcceptanceSet(uint32 indexed schemeId, uint8 acceptance, uint32 windowSeconds, uint8 settle);
    /// @notice Shipment `shipmentId`'s credits left `fromUnitId` and await `toUnitId`'s acceptance
    /// until `deadline`; then settling does `settle`. Emitted just before the Ledger's `Shipped`.
    event TransitOpened(
        uint64 indexed shipmentId, uint32 indexed fromUnitId, uint32 indexed toUnitId, uint64 deadline, uint8 settle
    );
    /// @notice Shipment `shipmentId` left transit in `state` (accepted, rejected, recalled, settled):
    /// its lines were credited to `unitId` (the recipient, or the sender they went back to).
    event TransitClosed(
        uint64 indexed shipmentId,
        uint32 indexed unitId,
        uint8 state,
        string reason,
        uint256[] tokenIds,
        uint256[] amounts
    );

    // ---- operations -----------------------------------------------------------------------------

    /// @notice Sets whether shipments of scheme `schemeId`'s credits need the recipient's acceptance
    /// (consortium admin). Applies to shipments dispatched from now on.
    function setSchemeAcceptance(uint32 schemeId, uint8 acceptance, uint32 windowSeconds, uint8 settleMode) external;
    /// @notice Called by the Ledger's `ship`: whether the shipment awaits acceptance (its credits
    /// then go to the Ledger's transit account). Inside one legal entity, never.
    function dispatch(
        uint64 shipmentId,
        uint32 fromUnitId,
        uint32 toUnitId,
        uint32 productGroupId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts
    ) external returns (bool pending);
    /// @notice The recipient accepts shipment `shipmentId`: the credits become its own, its
    /// rolling-average intake and custody checked now.
    function accept(uint64 shipmentId) external;
    /// @notice The recipient rejects shipment `shipmentId` for `reason`: the credits go back to the sender.
    function reject(uint64 shipmentId, string calldata reason) external;
    /// @notice The sender recalls shipment `shipmentId` while it awaits acceptance.
    function recall(uint64 shipmentId) external;
    /// @notice After the window, anyone settles shipment `shipmentId` as its scheme says.
    function settle(uint64 shipmentId) external;

    // ---- views --------------------------------------------------------------------------------

    /// @notice Scheme `schemeId`'s acceptance setting (all zero: none).
    function schemeAcceptance(uint32 schemeId) external view returns (Acceptance memory);
    /// @notice Shipment `shipmentId`'s transit record (state 0: it never needed acceptance).
    function delivery(uint64 shipmentId) external view returns (Delivery memory);
    /// @notice Credits of class `classId` in transit now, grams (R13's "in transit" column).
    function inTransit(uint32 classId) external view returns (uint256);
}
