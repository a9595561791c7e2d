// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICatalog} from "./interfaces/ICatalog.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {Tracenet} from "./libraries/Tracenet.sol";

/// @title Catalog of Tracenet.
/// @notice Schemes, product groups and credit classes (kept by the consortium administrator),
/// processes and their conversion factors (kept by certification bodies).
contract Catalog is ICatalog {
    struct Scheme {
        uint8 maxPeriodMonths;
        uint8 custody;
    }

    /// @dev A product group's cap and how many rolling-average classes it has, in one slot, so
    /// that a shipment of a group without any reads one slot for both (`groupInfo`).
    struct Group {
        uint16 maxShareBps;
        uint8 rollingCount;
    }

    IConsortium public immutable consortium;

    mapping(uint32 schemeId => Scheme) private _schemes;
    mapping(uint32 productGroupId => Group) private _groups;
    mapping(uint32 classId => ClassInfo) private _classes;
    mapping(uint32 processId => Process) private _processes;
    mapping(uint32 processId => mapping(uint32 version => Factor)) private _factors;
    mapping(uint32 unitId => mapping(uint32 productGroupId => bool)) private _unitScope;
    mapping(uint32 productGroupId => RollingClass[]) private _rolling;

    uint32 private _schemeCount;
    uint32 private _productGroupCount;
    uint32 private _classCount;
    uint32 private _processCount;

    /// @param consortium_ the registry whose roles govern this catalog
    constructor(IConsortium consortium_) {
        consortium = consortium_;
    }

    // ---- administration -------------------------------------------------------------------------

    /// @inheritdoc ICatalog
    function registerScheme(string calldata name, uint8 maxPeriodMonths) external returns (uint32 schemeId) {
        _requireRole(Tracenet.ROLE_ADMIN);
        if (bytes(name).length == 0) revert CatalogNameEmpty();
        if (maxPeriodMonths == 0 || maxPeriodMonths > 12) revert SchemePeriodInvalid(maxPeriodMonths);
        schemeId = ++_schemeCount;
        _schemes[schemeId] = Scheme(maxPeriodMonths, Tracenet.CUSTODY_NONE);
        emit SchemeRegistered(schemeId, name, maxPeriodMonths);
    }

    /// @inheritdoc ICatalog
    function setSchemeCustody(uint32 schemeId, uint8 custody) external {
        _requireRole(Tracenet.ROLE_ADMIN);
        schemeMaxPeriodMonths(schemeId);
        if (custody > Tracenet.CUSTODY_CERTIFIED) revert SchemeCustodyInvalid(custody);
        _schemes[schemeId].custody = custody;
        // Each class keeps its scheme's requirement in its own slot, so that every ledger operation
        // reads a class in one storage read (issue 12); an administrator's change reaches them all.
        uint32 count = _classCount;
        for (uint32 classId = 1; classId <= count; ++classId) {
            ClassInfo storage info = _classes[classId];
            if (info.schemeId == schemeId) info.custody = custody;
        }
        emit SchemeCustodySet(schemeId, custody);
    }

    /// @inheritdoc ICatalog
    function registerProductGroup(string calldata name, uint16 maxShareBps_) external returns (uint32 groupId) {
        _requireRole(Tracenet.ROLE_ADMIN);
        if (bytes(name).length == 0) revert CatalogNameEmpty();
        if (maxShareBps_ == 0 || maxShareBps_ > Tracenet.FULL_SHARE_BPS) revert ProductGroupShareInvalid(maxShareBps_);
        groupId = ++_productGroupCount;
        _groups[groupId] = Group(maxShareBps_, 0);
        emit ProductGroupRegistered(groupId, name, maxShareBps_);
    }

    /// @inheritdoc ICatalog
    function registerClass(ClassSpec calldata spec) external returns (uint32 classId) {
        _requireRole(Tracenet.ROLE_ADMIN);
        _validateClass(spec);
        classId = ++_classCount;
        _classes[classId] = ClassInfo({
            schemeId: spec.schemeId,
            productGroupId: spec.productGroupId,
            model: spec.model,
            attribution: spec.attribution,
            periodMonths: spec.periodMonths,
            windowPeriods: spec.windowPeriods,
            capAtStock: spec.capAtStock,
            rawMaterial: spec.rawMaterial,
            waste: spec.waste,
            sustainableFactor: spec.sustainableFactor,
            conventionalFactor: spec.conventionalFactor,
            exists: true,
            custody: _schemes[spec.schemeId].custody
        });
        if (spec.attribution == Tracenet.ATTRIBUTION_ROLLING_AVERAGE) {
            Group storage group = _groups[spec.productGroupId];
            if (group.rollingCount == Tracenet.MAX_ROLLING_CLASSES) {
                revert ClassRollingLimit(spec.productGroupId, Tracenet.MAX_ROLLING_CLASSES);
            }
            group.rollingCount += 1;
            _rolling[spec.productGroupId].push(RollingClass(classId, spec.periodMonths, spec.windowPeriods));
        }
        emit ClassRegistered(classId, spec.schemeId, spec.productGroupId, spec);
    }

    /// @inheritdoc ICatalog
    function registerProcess(uint32 unitId, uint32 inputClassId, uint32 outputClassId, string calldata name)
        external
        returns (uint32 processId)
    {
        _requireRole(Tracenet.ROLE_CERTIFIER);
        if (bytes(name).length == 0) revert CatalogNameEmpty();
        consortium.unitView(unitId);
        uint8 inModel = _class(inputClassId).model;
        if (_class(outputClassId).model != inModel) revert ProcessModelMismatch(inputClassId, outputClassId);
        processId = ++_processCount;
        _processes[processId] = Process(unitId, inputClassId, outputClassId, 0);
        emit ProcessRegistered(processId, unitId, inputClassId, outputClassId, name);
        _addScope(unitId, _classes[outputClassId].productGroupId);
    }

    /// @inheritdoc ICatalog
    function registerFactor(uint32 processId, uint16 yieldBps, uint64 effectiveFrom, bytes32 evidenceHash)
        external
        returns (uint32 version)
    {
        _requireRole(Tracenet.ROLE_CERTIFIER);
        Process storage proc = _process(processId);
        if (yieldBps == 0 || yieldBps > Tracenet.FULL_SHARE_BPS) revert FactorOutOfRange(yieldBps);
        if (evidenceHash == bytes32(0)) revert FactorEvidenceMissing();
        version = proc.factorCount;
        if (version != 0) {
            uint64 previous = _factors[processId][version - 1].effectiveFrom;
            if (effectiveFrom < previous) revert FactorOutOfOrder(effectiveFrom, previous);
        }
        _factors[processId][version] = Factor(yieldBps, effectiveFrom, evidenceHash);
        proc.factorCount = version + 1;
        emit FactorRegistered(processId, version, yieldBps, effectiveFrom, evidenceHash);
    }

    /// @inheritdoc ICatalog
    function setUnitScope(uint32 unitId, uint32 productGroupId, bool inScope) external {
        _requireRole(Tracenet.ROLE_ADMIN | Tracenet.ROLE_CERTIFIER);
        consortium.unitView(unitId);
        maxShareBps(productGroupId);
        _unitScope[unitId][productGroupId] = inScope;
        emit UnitScopeChanged(unitId, productGroupId, inScope);
    }

    /// @inheritdoc ICatalog
    function addCertifiedScope(uint32[] calldata classIds, uint32[] calldata unitIds) external {
        if (msg.sender != address(consortium)) revert CatalogConsortiumOnly(msg.sender);
        for (uint256 i; i < classIds.length; ++i) {
            uint32 groupId = _class(classIds[i]).productGroupId;
            for (uint256 j; j < unitIds.length; ++j) {
                _addScope(unitIds[j], groupId);
            }
        }
    }

    // ---- views --------------------------------------------------------------------------------

    /// @inheritdoc ICatalog
    function classInfo(uint32 classId) external view returns (ClassInfo memory info) {
        info = _class(classId);
    }

    /// @inheritdoc ICatalog
    function schemeCustody(uint32 schemeId) external view returns (uint8) {
        schemeMaxPeriodMonths(schemeId);
        return _schemes[schemeId].custody;
    }

    /// @inheritdoc ICatalog
    function maxShareBps(uint32 productGroupId) public view returns (uint16 share) {
        share = _groups[productGroupId].maxShareBps;
        if (share == 0) revert ProductGroupUnknown(productGroupId);
    }

    /// @inheritdoc ICatalog
    function rollingClasses(uint32 productGroupId) external view returns (RollingClass[] memory) {
        return _rolling[productGroupId];
    }

    /// @inheritdoc ICatalog
    function groupInfo(uint32 productGroupId)
        external
        view
        returns (uint16 maxShare, RollingClass[] memory rolling)
    {
        Group memory group = _groups[productGroupId];
        if (group.maxShareBps == 0) revert ProductGroupUnknown(productGroupId);
        maxShare = group.maxShareBps;
        if (group.rollingCount != 0) rolling = _rolling[productGroupId];
    }

    /// @inheritdoc ICatalog
    function schemeMaxPeriodMonths(uint32 schemeId) public view returns (uint8 months) {
        months = _schemes[schemeId].maxPeriodMonths;
        if (months == 0) revert SchemeUnknown(schemeId);
    }

    /// @inheritdoc ICatalog
    function process(uint32 processId) external view returns (Process memory) {
        return _process(processId);
    }

    /// @inheritdoc ICatalog
    function factor(uint32 processId, uint32 version) external view returns (Factor memory) {
        if (version >= _process(processId).factorCount) revert FactorUnknown(processId, version);
        return _factors[processId][version];
    }

    /// @inheritdoc ICatalog
    function currentFactorVersion(uint32 processId) external view returns (uint32 version) {
        uint32 count = _process(processId).factorCount;
        for (version = count; version > 0; --version) {
            if (_factors[processId][version - 1].effectiveFrom <= block.timestamp) return version - 1;
        }
        if (count == 0) revert FactorUnknown(processId, 0);
        revert FactorNotEffective(processId, 0, _factors[processId][0].effectiveFrom);
    }

    /// @inheritdoc ICatalog
    function factorInEffect(uint32 processId, uint32 version, uint32 unitId)
        external
        view
        returns (uint32 inputClassId, uint32 outputClassId, uint16 yieldBps)
    {
        Process memory proc = _process(processId);
        if (proc.unitId != unitId) revert ProcessSiteMismatch(processId, unitId);
        if (version >= proc.factorCount) revert FactorUnknown(processId, version);
        Factor memory f = _factors[processId][version];
        if (f.effectiveFrom > block.timestamp) revert FactorNotEffective(processId, version, f.effectiveFrom);
        if (version + 1 < proc.factorCount) {
            uint32 next = version + 1;
            if (_factors[processId][next].effectiveFrom <= block.timestamp) {
                revert FactorSuperseded(processId, version, next);
            }
        }
        return (proc.inputClassId, proc.outputClassId, f.yieldBps);
    }

    /// @inheritdoc ICatalog
    function unitScope(uint32 unitId, uint32 productGroupId) external view returns (bool) {
        return _unitScope[unitId][productGroupId];
    }

    /// @inheritdoc ICatalog
    function counts() external view returns (uint32, uint32, uint32, uint32) {
        return (_schemeCount, _productGroupCount, _classCount, _processCount);
    }

    // ---- internals ----------------------------------------------------------------------------

    function _validateClass(ClassSpec calldata spec) private view {
        if (bytes(spec.name).length == 0) revert CatalogNameEmpty();
        uint8 schemeMax = schemeMaxPeriodMonths(spec.schemeId);
        maxShareBps(spec.productGroupId);
        uint8 months = spec.periodMonths;
        if (months == 0 || 12 % months != 0 || months > schemeMax) revert ClassPeriodInvalid(months, schemeMax);
        if (spec.windowPeriods == 0 || spec.windowPeriods > 12) revert ClassWindowInvalid(spec.windowPeriods);
        if (spec.model > Tracenet.MODEL_BOOK_AND_CLAIM) revert ClassModelInvalid(spec.model);
        if (spec.attribution > Tracenet.ATTRIBUTION_ROLLING_AVERAGE) revert ClassAttributionUnsupported(spec.attribution);
        if (spec.attribution == Tracenet.ATTRIBUTION_ROLLING_AVERAGE && spec.model != Tracenet.MODEL_MASS_BALANCE) {
            revert ClassAttributionModel(spec.attribution, spec.model);
        }
        if (spec.capAtStock && spec.model != Tracenet.MODEL_MASS_BALANCE) revert ClassStockCapInvalid(spec.model);
        if (spec.rawMaterial > 3) revert ClassRawMaterialInvalid(spec.rawMaterial);
    }

    function _addScope(uint32 unitId, uint32 productGroupId) private {
        if (_unitScope[unitId][productGroupId]) return;
        _unitScope[unitId][productGroupId] = true;
        emit UnitScopeChanged(unitId, productGroupId, true);
    }

    function _class(uint32 classId) private view returns (ClassInfo storage info) {
        info = _classes[classId];
        if (!info.exists) revert ClassUnknown(classId);
    }

    function _process(uint32 processId) private view returns (Process storage proc) {
        proc = _processes[processId];
        if (proc.unitId == 0) revert ProcessUnknown(processId);
    }

    function _requireRole(uint8 role) private view {
        IConsortium.Actor memory actor = consortium.actorOf(msg.sender);
        if (!actor.active) revert IConsortium.PartyIsSuspended(actor.partyId);
        if (actor.roles & role == 0) revert IConsortium.AccessRoleMissing(actor.partyId, role);
    }
}
