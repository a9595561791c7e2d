// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICatalog} from "./ICatalog.sol";

/// @title The mass-balance ledger: credits per bookkeeping unit, and every operation that moves them.
/// @notice Balances are readable through ERC-1155 (`balanceOf`, `balanceOfBatch`, `TransferSingle`,
/// `TransferBatch`); every movement goes through the operations below so that it carries its record
/// (R9). The acting unit is always the caller's own: a signer acts for exactly one unit.
interface ILedger {
    /// @notice A physical delivery and the credit lines it carries.
    struct ShipmentRequest {
        uint32 toUnitId;
        uint32 productGroupId;
        uint256 quantity; // physical quantity, grams
        bytes32 documentHash; // delivery note / weighbridge document
        bytes32 orderRef; // contract or order reference (Sustainability Declaration)
        bytes32 product; // product name or code (Sustainability Declaration)
        uint256[] tokenIds; // empty for a conventional delivery (0 % sustainable)
        uint256[] amounts; // credits, grams
    }

    /// @notice Conservation counters of a class (R1, R13), in grams:
    /// issued + convertedIn = held + claimed + lapsed + convertedOut.
    struct Supply {
        uint256 issued;
        uint256 convertedIn;
        uint256 convertedOut;
        uint256 claimed;
        uint256 lapsed;
        uint256 held;
    }

    /// @notice A unit's rolling-average share of a class (R8) in period `period`: `sustainable` over
    /// `total` grams of input across the class's window (that period and the `windowPeriods - 1`
    /// before it), in basis points rounded down (0 when nothing was recorded).
    struct RollingShare {
        uint32 period;
        uint16 shareBps;
        uint256 sustainable;
        uint256 total;
    }

    // ---- errors -------------------------------------------------------------------------------

    /// @notice `signer` acts at party level and has no bookkeeping unit to act for.
    error LedgerUnitRequired(address signer);
    /// @notice A physical quantity must be positive.
    error QuantityZero();
    /// @notice Line `line` carries no credits.
    error AmountZero(uint256 line);
    /// @notice Credit lines must be of equal length (`tokenIds`, `amounts`), and non-empty except
    /// on a shipment (a conventional delivery carries none).
    error LinesInvalid(uint256 tokenIds, uint256 amounts);
    /// @notice A quantity or amount of `value` grams exceeds the ledger's bound `max`
    /// (Tracenet.MAX_QUANTITY_G, 10^15 g), so that no sum the ledger keeps can overflow.
    error QuantityTooLarge(uint256 value, uint256 max);
    /// @notice Creating credits would take class `classId`'s supply (issued + converted in) to
    /// `supply` grams, above `max` (Tracenet.MAX_CLASS_SUPPLY_G, 2^63 - 1).
    error SupplyCapExceeded(uint32 classId, uint256 supply, uint256 max);
    /// @notice Product group `productGroupId` is outside unit `unitId`'s product scope (R7): it may
    /// neither ship nor claim it.
    error UnitProductOutOfScope(uint32 unitId, uint32 productGroupId);
    /// @notice An input needs the hash of its evidence (Sustainability Declaration, weighbridge note).
    error InputEvidenceMissing();
    /// @notice This evidence already created credits (R3: issued once, under any class or scheme).
    error InputEvidenceReused(bytes32 evidenceHash);
    /// @notice A shipment needs the hash of its document.
    error ShipmentDocumentMissing();
    /// @notice Unit `unitId` holds `available` of `tokenId`; the operation needs `required` (R1).
    error CreditsInsufficient(uint32 unitId, uint256 tokenId, uint256 available, uint256 required);
    /// @notice Credits of `tokenId` (vintage `vintage`) lapsed before period `currentPeriod` (R4).
    error CreditsLapsed(uint256 tokenId, uint32 vintage, uint32 currentPeriod);
    /// @notice Credits of `tokenId` stay valid until period `lapsesAt` (R4).
    error CreditsNotLapsed(uint256 tokenId, uint32 lapsesAt);
    /// @notice Unit `unitId` holds no `tokenId` to lapse.
    error CreditsNone(uint32 unitId, uint256 tokenId);
    /// @notice The credits on a shipment exceed its physical quantity times the maximum share (R6).
    error CapExceeded(uint256 credits, uint256 cap);
    /// @notice `tokenId` belongs to another product group than the shipment's `productGroupId` (R5, R7).
    error ShipmentProductGroupMismatch(uint256 tokenId, uint32 productGroupId);
    /// @notice A shipment goes to another unit.
    error ShipmentToSelf(uint32 unitId);
    /// @notice Book-and-claim certificates move without a shipment; `tokenId` is book-and-claim.
    error ModelNotShippable(uint256 tokenId);
    /// @notice Only book-and-claim certificates move without a shipment; `tokenId` is not.
    error ModelNotTradable(uint256 tokenId);
    /// @notice Segregated credits never mix: every line must be the batch of the first (R8).
    error SegregationViolated(uint256 tokenId);
    /// @notice Inventory moves without a shipment only inside one declared multi-site boundary (R7).
    error BoundaryViolation(uint32 fromUnitId, uint32 toUnitId);
    /// @notice `tokenId` is not of the process's input class `inputClassId` (R5).
    error ConversionInputMismatch(uint256 tokenId, uint32 inputClassId);
    /// @notice Converting `input` grams at `yieldBps` yields no credit.
    error ConversionOutputZero(uint256 input, uint16 yieldBps);
    /// @notice A claim names its beneficiary.
    error ClaimBeneficiaryMissing();
    /// @notice Period `period` of class `classId` is already closed at unit `unitId`.
    error PeriodAlreadyClosed(uint32 unitId, uint32 classId, uint32 period);
    /// @notice Periods are closed against physical stock for mass-balance classes only.
    error PeriodCloseModel(uint32 classId, uint8 model);
    /// @notice No period has ended yet for class `classId`.
    error PeriodNoneEnded(uint32 classId);
    /// @notice Under the rolling average percentage (R8) an output of `quantity` grams carries exactly
    /// floor(`shareBps` × quantity / 10000) credits of `classId`: `expected`, not `given`.
    error RollingShareMismatch(uint32 classId, uint256 expected, uint256 given, uint16 shareBps);
    /// @notice `tokenId` is of a rolling-average class: claim it with `claimRolling`, which takes the
    /// claimed product quantity the share applies to.
    error RollingQuantityRequired(uint256 tokenId);
    /// @notice Class `classId` does not use the rolling average percentage.
    error RollingClassRequired(uint32 classId);
    /// @notice Every line of a rolling-average claim is of its class `classId`; `tokenId` is not.
    error RollingClassMismatch(uint256 tokenId, uint32 classId);
    /// @notice Credits move only through the ledger's operations, never by ERC-1155 transfer.
    error TransferDisabled();
    /// @notice Only the Ledger's Transit contract releases credits in transit; `caller` is not it.
    error TransitOnly(address caller);

    // ---- events (R9) ----------------------------------------------------------------------------

    /// @notice A certified input created `amount` credits of `tokenId` at `unitId` (R3).
    event InputRecorded(
        uint64 indexed inputId,
        uint32 indexed unitId,
        uint256 indexed tokenId,
        uint32 certificateId,
        uint256 amount,
        bytes32 evidenceHash
    );
    /// @notice A conventional (non-certified) input was received.
    event ConventionalInputRecorded(
        uint32 indexed unitId, uint32 indexed productGroupId, uint256 quantity, bytes32 documentHash
    );
    /// @notice A production quantity was recorded.
    event ProductionRecorded(uint32 indexed unitId, uint32 indexed productGroupId, uint256 quantity, bytes32 documentHash);
    /// @notice A physical shipment left `fromUnitId` for `toUnitId` carrying credit lines (none for a
    /// conventional delivery).
    event Shipped(
        uint64 indexed shipmentId,
        uint32 indexed fromUnitId,
        uint32 indexed toUnitId,
        uint32 productGroupId,
        uint256 quantity,
        bytes32 documentHash,
        bytes32 orderRef,
        bytes32 product,
        uint256[] tokenIds,
        uint256[] amounts
    );
    /// @notice Inventory moved between units of one multi-site boundary (R7).
    event InventoryTransferred(uint32 indexed fromUnitId, uint32 indexed toUnitId, uint256[] tokenIds, uint256[] amounts);
    /// @notice Book-and-claim certificates moved without a physical shipment (R8).
    event CertificatesTransferred(
        uint32 indexed fromUnitId, uint32 indexed toUnitId, bytes32 tradeRef, uint256[] tokenIds, uint256[] amounts
    );
    /// @notice Input credits were converted through a registered process (R5).
    event Converted(
        uint64 indexed conversionId,
        uint32 indexed unitId,
        uint32 indexed processId,
        uint32 factorVersion,
        uint16 yieldBps,
        uint256[] inputTokenIds,
        uint256[] inputAmounts,
        uint256 outputTokenId,
        uint256 outputAmount
    );
    /// @notice Credits were retired by a claim; the claim can never be moved or used again.
    event Claimed(
        uint64 indexed claimId,
        uint32 indexed unitId,
        string beneficiary,
        bytes32 product,
        bytes32 purpose,
        uint256[] tokenIds,
        uint256[] amounts
    );
    /// @notice Credits lapsed without a claim (R4); `reason` is Tracenet.LAPSE_*.
    event Lapsed(uint32 indexed unitId, uint256 indexed tokenId, uint256 amount, uint8 reason, uint32 period);
    /// @notice A rolling-average share (R8) was applied to operation `operationId` of unit `unitId`
    /// (`operation`: Tracenet.ROLLING_SHIPMENT, a shipment id, or ROLLING_CLAIM, a claim id): its
    /// `quantity` grams of product carry `amount` credits of `classId`, `shareBps` of it, the share
    /// in force in `period`: `windowSustainable` over `windowTotal` grams of input in the window.
    event RollingShareApplied(
        uint64 indexed operationId,
        uint32 indexed unitId,
        uint32 indexed classId,
        uint8 operation,
        uint32 period,
        uint256 quantity,
        uint256 amount,
        uint16 shareBps,
        uint256 windowSustainable,
        uint256 windowTotal
    );
    /// @notice A unit closed a period of a class against its declared physical stock (R4).
    event PeriodClosed(
        uint32 indexed unitId,
        uint32 indexed classId,
        uint32 indexed period,
        uint256 bookStock,
        uint256 physicalStock,
        uint256 lapsed
    );

    // ---- operations -----------------------------------------------------------------------------

    /// @notice Records a certified input: creates `amount` credits of `classId` for the caller's unit.
    function recordInput(uint32 classId, uint256 amount, uint32 certificateId, bytes32 evidenceHash)
        external
        returns (uint256 tokenId);
    /// @notice Records a conventional input (quantity only).
    function recordConventionalInput(uint32 productGroupId, uint256 quantity, bytes32 documentHash) external;
    /// @notice Records a production quantity.
    function recordProduction(uint32 productGroupId, uint256 quantity, bytes32 documentHash) external;
    /// @notice Ships credits with a physical delivery to another unit; with no credit lines it records
    /// a conventional delivery. The product group must be in the sending unit's scope (R7).
    function ship(ShipmentRequest calldata request) external returns (uint64 shipmentId);
    /// @notice Moves inventory to another unit of the same multi-site boundary.
    function transferInventory(uint32 toUnitId, uint256[] calldata tokenIds, uint256[] calldata amounts) external;
    /// @notice Moves book-and-claim certificates to another unit without a shipment.
    function transferCertificates(
        uint32 toUnitId,
        bytes32 tradeRef,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts
    ) external;
    /// @notice Converts input credits through a registered process at the factor in effect.
    function convert(uint32 processId, uint32 factorVersion, uint256[] calldata tokenIds, uint256[] calldata amounts)
        external
        returns (uint256 outputTokenId, uint256 outputAmount);
    /// @notice Retires credits for a beneficiary, product and purpose; the credits' product groups must
    /// be in the claiming unit's scope (R7), except for book-and-claim certificates.
    function claim(
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        string calldata beneficiary,
        bytes32 product,
        bytes32 purpose
    ) external returns (uint64 claimId);
    /// @notice Retires credits of rolling-average class `classId` (R8) for `quantity` grams of claimed
    /// product: the lines, all of that class, carry exactly the caller's share in force × quantity.
    function claimRolling(
        uint32 classId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        string calldata beneficiary,
        bytes32 product,
        bytes32 purpose
    ) external returns (uint64 claimId);
    /// @notice Whether any scheme requires acceptance now (issue 19), called by the Ledger's
    /// Transit only: while none does, `ship` does not ask the Transit.
    function setTransitActive(bool active) external;
    /// @notice Moves a shipment's credit lines out of transit (issue 19), called by the Ledger's
    /// Transit only: to the recipient `unitId` as a receipt (an active member, certified where the
    /// scheme requires every holder certified; the receipt counts as its rolling-average input of
    /// `quantity` grams of `productGroupId`), or back to the sender.
    function release(
        uint32 unitId,
        bool receipt,
        uint32 productGroupId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts
    ) external;
    /// @notice Retires, as lapsed, a unit's credits that outlived their allocation window. Anyone may call.
    function lapse(uint32 unitId, uint256[] calldata tokenIds) external returns (uint256 lapsed);
    /// @notice Closes the period that just ended for a class at the caller's unit, declaring the
    /// physical stock; where the class caps carry-forward at stock, the excess lapses.
    function closePeriod(uint32 classId, uint256 physicalStock) external returns (uint256 lapsed);

    // ---- views --------------------------------------------------------------------------------

    /// @notice The catalog of schemes, groups, classes, processes and unit product scopes.
    function catalog() external view returns (ICatalog);

    /// @notice Credits of `tokenId` held by unit `unitId`.
    function balanceOfUnit(uint32 unitId, uint256 tokenId) external view returns (uint256);
    /// @notice Credits of `tokenIds[i]` held by unit `unitIds[i]`, for every i, in one call.
    function balanceOfUnitBatch(uint32[] calldata unitIds, uint256[] calldata tokenIds)
        external
        view
        returns (uint256[] memory);
    /// @notice Conservation counters of a class.
    function supplyOf(uint32 classId) external view returns (Supply memory);
    /// @notice Conservation counters of several classes, in one call.
    function supplyOfBatch(uint32[] calldata classIds) external view returns (Supply[] memory);
    /// @notice Unit `unitId`'s rolling-average share of class `classId` in force now (R8).
    function rollingShare(uint32 unitId, uint32 classId) external view returns (RollingShare memory);
    /// @notice The current period of a class.
    function currentPeriod(uint32 classId) external view returns (uint32);
    /// @notice Whether `evidenceHash` already created credits.
    function evidenceUsed(bytes32 evidenceHash) external view returns (bool);
    /// @notice The last period of `classId` closed at `unitId`, plus one (0: none closed).
    function closedPeriods(uint32 unitId, uint32 classId) external view returns (uint32);
    /// @notice How many inputs, shipments, conversions and claims were recorded (ids start at 1).
    function counts() external view returns (uint64 inputs, uint64 shipments, uint64 conversions, uint64 claims);
    /// @notice The token id of credits of a class, vintage and batch.
    function tokenIdOf(uint32 classId, uint32 vintage, uint32 batch) external pure returns (uint256);
    /// @notice The ERC-1155 account that stands for unit `unitId`.
    function accountOf(uint32 unitId) external pure returns (address);
}
