// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title The catalog: schemes, product groups, credit classes, processes and conversion factors.
/// @notice R4 (period lengths), R5 (registered conversion factors), R6 (maximum shares) and R8
/// (one chain-of-custody model and attribution method per class) are declared here.
interface ICatalog {
    /// @notice What the ledger needs of a class, in one storage slot.
    struct ClassInfo {
        uint32 schemeId;
        uint32 productGroupId;
        uint8 model; // Tracenet.MODEL_*
        uint8 attribution; // Tracenet.ATTRIBUTION_*
        uint8 periodMonths; // 1, 2, 3, 4, 6 or 12 calendar months
        uint8 windowPeriods; // allocation window: the vintage period and the next ones, 1..12
        bool capAtStock; // carry-forward capped at the declared physical stock at period close
        uint8 rawMaterial; // 0 circular, 1 bio-circular, 2 bio, 3 renewable-energy-derived
        bool waste; // the raw material has waste or residue status
        uint32 sustainableFactor; // emission factor of the sustainable form, gCO2e per kg
        uint32 conventionalFactor; // emission factor of the conventional form, gCO2e per kg
        bool exists;
        uint8 custody; // the scheme's Tracenet.CUSTODY_* (kept in step by setSchemeCustody)
    }

    /// @notice Parameters of a new credit class.
    struct ClassSpec {
        string name;
        string characteristic; // e.g. "recycled content"
        uint32 schemeId;
        uint32 productGroupId;
        uint8 model;
        uint8 attribution;
        uint8 periodMonths;
        uint8 windowPeriods;
        bool capAtStock;
        uint8 rawMaterial;
        bool waste;
        uint32 sustainableFactor;
        uint32 conventionalFactor;
    }

    /// @notice A registered conversion process at one site.
    struct Process {
        uint32 unitId;
        uint32 inputClassId;
        uint32 outputClassId;
        uint32 factorCount;
    }

    /// @notice A rolling-average class of a product group (R8), as the ledger's share needs it.
    struct RollingClass {
        uint32 classId;
        uint8 periodMonths;
        uint8 windowPeriods; // the rolling window: the current period and the previous ones
    }

    /// @notice One registration of a process's conversion factor.
    struct Factor {
        uint16 yieldBps; // output credits per input credit, in basis points, 1..10000
        uint64 effectiveFrom; // UTC seconds
        bytes32 evidenceHash; // hash of the operational data it rests on
    }

    // ---- errors -------------------------------------------------------------------------------

    /// @notice A name must not be empty.
    error CatalogNameEmpty();
    /// @notice No scheme has id `schemeId`.
    error SchemeUnknown(uint32 schemeId);
    /// @notice Unknown chain-of-custody certification requirement (Tracenet.CUSTODY_*).
    error SchemeCustodyInvalid(uint8 custody);
    /// @notice A scheme's maximum period must be 1..12 months.
    error SchemePeriodInvalid(uint8 maxPeriodMonths);
    /// @notice No product group has id `productGroupId`.
    error ProductGroupUnknown(uint32 productGroupId);
    /// @notice A maximum sustainable share must be 1..10000 basis points (R6: 100 % is absolute).
    error ProductGroupShareInvalid(uint16 maxShareBps);
    /// @notice No class has id `classId`.
    error ClassUnknown(uint32 classId);
    /// @notice Periods must be 1, 2, 3, 4, 6 or 12 months and no longer than the scheme allows.
    error ClassPeriodInvalid(uint8 periodMonths, uint8 schemeMaxMonths);
    /// @notice The allocation window must be 1..12 periods.
    error ClassWindowInvalid(uint8 windowPeriods);
    /// @notice Unknown chain-of-custody model.
    error ClassModelInvalid(uint8 model);
    /// @notice The attribution method is unknown (Tracenet.ATTRIBUTION_*).
    error ClassAttributionUnsupported(uint8 attribution);
    /// @notice The rolling average percentage applies to mass-balance classes only (R8): segregated
    /// credits keep their batch, book-and-claim certificates have no physical output to share over.
    error ClassAttributionModel(uint8 attribution, uint8 model);
    /// @notice Product group `productGroupId` already has `max` rolling-average classes.
    error ClassRollingLimit(uint32 productGroupId, uint256 max);
    /// @notice Capping carry-forward at physical stock is for mass-balance classes only.
    error ClassStockCapInvalid(uint8 model);
    /// @notice Unknown raw-material category.
    error ClassRawMaterialInvalid(uint8 rawMaterial);
    /// @notice No process has id `processId`.
    error ProcessUnknown(uint32 processId);
    /// @notice Input and output classes of a process must follow the same model.
    error ProcessModelMismatch(uint32 inputClassId, uint32 outputClassId);
    /// @notice Process `processId` runs at another unit than `unitId`.
    error ProcessSiteMismatch(uint32 processId, uint32 unitId);
    /// @notice A factor must be 1..10000 basis points: output never exceeds input.
    error FactorOutOfRange(uint16 yieldBps);
    /// @notice A factor needs its evidence hash.
    error FactorEvidenceMissing();
    /// @notice A new factor cannot take effect before the current one.
    error FactorOutOfOrder(uint64 effectiveFrom, uint64 previousEffectiveFrom);
    /// @notice Process `processId` has no factor `version`.
    error FactorUnknown(uint32 processId, uint32 version);
    /// @notice Factor `version` of `processId` is not in effect until `effectiveFrom`.
    error FactorNotEffective(uint32 processId, uint32 version, uint64 effectiveFrom);
    /// @notice Factor `version` of `processId` was superseded by `current`.
    error FactorSuperseded(uint32 processId, uint32 version, uint32 current);
    /// @notice Only the consortium registry may call this.
    error CatalogConsortiumOnly(address caller);

    // ---- events -------------------------------------------------------------------------------

    /// @notice A certification scheme was registered.
    event SchemeRegistered(uint32 indexed schemeId, string name, uint8 maxPeriodMonths);
    /// @notice A scheme declared which chain of custody it requires (Tracenet.CUSTODY_*): none,
    /// every holder certified except a final claimant, or every holder certified.
    event SchemeCustodySet(uint32 indexed schemeId, uint8 custody);
    /// @notice A product group and its maximum sustainable share (R6) were registered.
    event ProductGroupRegistered(uint32 indexed productGroupId, string name, uint16 maxShareBps);
    /// @notice A credit class was registered.
    event ClassRegistered(
        uint32 indexed classId, uint32 indexed schemeId, uint32 indexed productGroupId, ClassSpec spec
    );
    /// @notice A conversion process at a site was registered.
    event ProcessRegistered(
        uint32 indexed processId, uint32 indexed unitId, uint32 inputClassId, uint32 outputClassId, string name
    );
    /// @notice A conversion factor was registered for a process; it supersedes the previous one
    /// from `effectiveFrom` on.
    event FactorRegistered(
        uint32 indexed processId, uint32 indexed version, uint16 yieldBps, uint64 effectiveFrom, bytes32 evidenceHash
    );

    /// @notice Product group `productGroupId` entered (`inScope`) or left unit `unitId`'s product
    /// scope (R7): set by the admin or a certification body, by a registered process's output, or
    /// by a certificate listing a class of that group at the unit.
    event UnitScopeChanged(uint32 indexed unitId, uint32 indexed productGroupId, bool inScope);

    // ---- administration -------------------------------------------------------------------------

    /// @notice Registers a scheme and the longest period it allows (admin only).
    function registerScheme(string calldata name, uint8 maxPeriodMonths) external returns (uint32);
    /// @notice Declares the chain-of-custody certification scheme `schemeId` requires (admin only):
    /// `custody` is Tracenet.CUSTODY_NONE (default), CUSTODY_CERTIFIED_FINAL_CLAIMANT_EXEMPT or
    /// CUSTODY_CERTIFIED.
    function setSchemeCustody(uint32 schemeId, uint8 custody) external;
    /// @notice Registers a product group with its maximum sustainable share (admin only).
    function registerProductGroup(string calldata name, uint16 maxShareBps) external returns (uint32);
    /// @notice Registers a credit class (admin only).
    function registerClass(ClassSpec calldata spec) external returns (uint32);
    /// @notice Registers a conversion process at a unit (certification bodies only); its output
    /// class's product group enters the unit's product scope.
    function registerProcess(uint32 unitId, uint32 inputClassId, uint32 outputClassId, string calldata name)
        external
        returns (uint32);
    /// @notice Registers a new conversion factor of a process (certification bodies only).
    function registerFactor(uint32 processId, uint16 yieldBps, uint64 effectiveFrom, bytes32 evidenceHash)
        external
        returns (uint32 version);

    /// @notice Puts product group `productGroupId` in or out of unit `unitId`'s product scope (R7)
    /// (admin or certification body).
    function setUnitScope(uint32 unitId, uint32 productGroupId, bool inScope) external;
    /// @notice Adds the product group of each class in `classIds` to the scope of each unit in
    /// `unitIds` (the consortium registry, when a certificate is registered).
    function addCertifiedScope(uint32[] calldata classIds, uint32[] calldata unitIds) external;

    // ---- views --------------------------------------------------------------------------------

    /// @notice A class's ledger-relevant fields; reverts with ClassUnknown.
    function classInfo(uint32 classId) external view returns (ClassInfo memory);
    /// @notice A product group's maximum sustainable share; reverts with ProductGroupUnknown.
    function maxShareBps(uint32 productGroupId) external view returns (uint16);
    /// @notice The rolling-average classes of a product group, in registration order (at most
    /// Tracenet.MAX_ROLLING_CLASSES); every input and output of the group counts for each of them.
    function rollingClasses(uint32 productGroupId) external view returns (RollingClass[] memory);
    /// @notice A product group's maximum share (R6) and its rolling-average classes (R8), in one
    /// call: what a shipment of the group needs.
    function groupInfo(uint32 productGroupId)
        external
        view
        returns (uint16 maxShareBps, RollingClass[] memory rolling);
    /// @notice A scheme's chain-of-custody requirement (Tracenet.CUSTODY_*); reverts with SchemeUnknown.
    function schemeCustody(uint32 schemeId) external view returns (uint8);
    /// @notice A scheme's longest period in months; reverts with SchemeUnknown.
    function schemeMaxPeriodMonths(uint32 schemeId) external view returns (uint8);
    /// @notice A process; reverts with ProcessUnknown.
    function process(uint32 processId) external view returns (Process memory);
    /// @notice One factor registration of a process.
    function factor(uint32 processId, uint32 version) external view returns (Factor memory);
    /// @notice The factor version in effect for `processId` now; reverts if none is yet.
    function currentFactorVersion(uint32 processId) external view returns (uint32);
    /// @notice Checks that factor `version` of `processId` is the one in effect now at `unitId`
    /// and returns the classes it converts between and its yield.
    function factorInEffect(uint32 processId, uint32 version, uint32 unitId)
        external
        view
        returns (uint32 inputClassId, uint32 outputClassId, uint16 yieldBps);
    /// @notice Whether product group `productGroupId` is in unit `unitId`'s product scope (R7).
    function unitScope(uint32 unitId, uint32 productGroupId) external view returns (bool);
    /// @notice How many schemes, product groups, classes and processes exist (ids start at 1).
    function counts() external view returns (uint32 schemes, uint32 productGroups, uint32 classes, uint32 processes);
}
