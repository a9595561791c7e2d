// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {ERC165, IERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";

import {ICatalog} from "./interfaces/ICatalog.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {ILedger} from "./interfaces/ILedger.sol";
import {ITransit} from "./interfaces/ITransit.sol";
import {Tracenet} from "./libraries/Tracenet.sol";
import {Transit} from "./Transit.sol";

/// @title Mass-balance ledger of Tracenet.
/// @notice Holds credits per bookkeeping unit and enforces R1 and R3–R8 on every operation.
/// Balances read as ERC-1155 (a unit's account is `accountOf(unitId)`); ERC-1155 transfers are
/// disabled because every movement must carry its record.
contract Ledger is ILedger, IERC1155, ERC165 {
    /// @dev Conservation counters, packed so that each operation writes one slot per class.
    struct Counters {
        uint128 issued;
        uint128 convertedIn;
        uint128 convertedOut;
        uint128 claimed;
        uint128 lapsed;
    }

    struct Sequence {
        uint64 inputs;
        uint64 shipments;
        uint64 conversions;
        uint64 claims;
    }

    /// @dev Input of one unit and rolling-average class in one of its periods (R8), grams; one slot.
    struct Intake {
        uint128 sustainable;
        uint128 total;
    }

    /// @dev What a debit of credit lines found, for the operation that made it.
    struct Debit {
        uint256 total;
        uint32 oldestVintage;
        uint32 batch;
        uint8 periodMonths;
    }

    /// @dev What a debit is for: the use, the class or group it expects, and the receiving unit (0: none).
    struct Move {
        Use use;
        uint32 expected;
        uint32 toUnitId;
    }

    /// @dev What an operation requires of each line's class.
    enum Use {
        Ship,
        Transfer,
        Trade,
        Convert,
        Claim
    }

    IConsortium public immutable consortium;
    ICatalog public immutable catalog;
    /// @notice Shipments awaiting the recipient's acceptance (issue 19); created here, so it is
    /// the one contract that may call `release`.
    ITransit public immutable transit;

    mapping(uint256 tokenId => mapping(uint32 unitId => uint256)) private _balances;
    mapping(uint32 classId => Counters) private _counters;
    mapping(bytes32 evidenceHash => bool) public evidenceUsed;
    mapping(uint32 unitId => mapping(uint32 classId => uint32)) public closedPeriods;
    mapping(uint32 unitId => mapping(uint32 classId => mapping(uint32 period => Intake))) private _intake;
    Sequence private _sequence;
    /// @dev Whether any scheme requires acceptance (set by the Transit): while none does, a
    /// shipment reads this one slot instead of calling the Transit (some 9 k gas).
    bool private _transitActive;

    /// @param consortium_ the registry of parties, units, signers and certificates
    /// @param catalog_ the catalog of schemes, groups, classes and processes
    constructor(IConsortium consortium_, ICatalog catalog_) {
        consortium = consortium_;
        catalog = catalog_;
        transit = new Transit(consortium_, catalog_);
    }

    // ---- operations -----------------------------------------------------------------------------

    /// @inheritdoc ILedger
    function recordInput(uint32 classId, uint256 amount, uint32 certificateId, bytes32 evidenceHash)
        external
        returns (uint256 id)
    {
        // Creating credits takes the origin role; holding them, membership.
        IConsortium.Actor memory actor = _actor(Tracenet.ROLE_ORIGIN | Tracenet.ROLE_MEMBER);
        if (amount == 0) revert AmountZero(0);
        _checkQuantity(amount);
        if (evidenceHash == bytes32(0)) revert InputEvidenceMissing();
        if (evidenceUsed[evidenceHash]) revert InputEvidenceReused(evidenceHash);
        ICatalog.ClassInfo memory info = catalog.classInfo(classId);
        consortium.consumeCertificate(certificateId, actor.partyId, actor.unitId, classId, info.schemeId, amount);
        evidenceUsed[evidenceHash] = true;
        uint64 inputId = ++_sequence.inputs;
        uint32 batch = info.model == Tracenet.MODEL_SEGREGATED ? uint32(inputId) : 0;
        id = Tracenet.tokenId(classId, Tracenet.periodAt(info.periodMonths, block.timestamp), batch);
        _balances[id][actor.unitId] += amount;
        _counters[classId].issued = _grownSupply(classId, _counters[classId].issued, amount);
        _addIntake(actor.unitId, info.productGroupId, classId, amount);
        emit InputRecorded(inputId, actor.unitId, id, certificateId, amount, evidenceHash);
        emit TransferSingle(msg.sender, address(0), Tracenet.unitAccount(actor.unitId), id, amount);
    }

    /// @inheritdoc ILedger
    function recordConventionalInput(uint32 productGroupId, uint256 quantity, bytes32 documentHash) external {
        uint32 unitId = _checkQuantityRecord(productGroupId, quantity);
        _addIntake(unitId, productGroupId, 0, quantity);
        emit ConventionalInputRecorded(unitId, productGroupId, quantity, documentHash);
    }

    /// @inheritdoc ILedger
    function recordProduction(uint32 productGroupId, uint256 quantity, bytes32 documentHash) external {
        uint32 unitId = _checkQuantityRecord(productGroupId, quantity);
        emit ProductionRecorded(unitId, productGroupId, quantity, documentHash);
    }

    /// @inheritdoc ILedger
    function ship(ShipmentRequest calldata r) external returns (uint64 shipmentId) {
        uint32 fromUnitId = _actor(Tracenet.ROLE_MEMBER).unitId;
        if (r.toUnitId == fromUnitId) revert ShipmentToSelf(fromUnitId);
        _recipient(r.toUnitId);
        if (r.quantity == 0) revert QuantityZero();
        _checkQuantity(r.quantity);
        if (r.documentHash == bytes32(0)) revert ShipmentDocumentMissing();
        (uint16 maxShare, ICatalog.RollingClass[] memory rolling) = catalog.groupInfo(r.productGroupId);
        uint256 cap = r.quantity * maxShare / Tracenet.FULL_SHARE_BPS;
        if (!catalog.unitScope(fromUnitId, r.productGroupId)) {
            revert UnitProductOutOfScope(fromUnitId, r.productGroupId);
        }
        uint256 total = _debit(fromUnitId, r.tokenIds, r.amounts, Move(Use.Ship, r.productGroupId, r.toUnitId)).total;
        if (total > cap) revert CapExceeded(total, cap);
        shipmentId = ++_sequence.shipments;
        // Under a scheme that needs the recipient's acceptance the credits wait in transit (issue 19).
        bool pending = total != 0 && _transitActive
            && transit.dispatch(shipmentId, fromUnitId, r.toUnitId, r.productGroupId, r.quantity, r.tokenIds, r.amounts);
        uint32 creditTo = pending ? Tracenet.TRANSIT_UNIT : r.toUnitId;
        _credit(creditTo, r.tokenIds, r.amounts);
        emit Shipped(
            shipmentId,
            fromUnitId,
            r.toUnitId,
            r.productGroupId,
            r.quantity,
            r.documentHash,
            r.orderRef,
            r.product,
            r.tokenIds,
            r.amounts
        );
        _applyShipmentShares(shipmentId, fromUnitId, r, rolling, pending);
        _emitTransfer(fromUnitId, creditTo, r.tokenIds, r.amounts);
    }

    /// @inheritdoc ILedger
    function setTransitActive(bool active) external {
        if (msg.sender != address(transit)) revert TransitOnly(msg.sender);
        _transitActive = active;
    }

    /// @inheritdoc ILedger
    function release(
        uint32 unitId,
        bool receipt,
        uint32 productGroupId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts
    ) external {
        if (msg.sender != address(transit)) revert TransitOnly(msg.sender);
        if (receipt) {
            _recipient(unitId);
            for (uint256 i; i < tokenIds.length; ++i) {
                uint32 classId = uint32(tokenIds[i] >> 64);
                ICatalog.ClassInfo memory info = catalog.classInfo(classId);
                if (info.custody == Tracenet.CUSTODY_CERTIFIED) consortium.custodyCertificate(unitId, classId, info.schemeId);
            }
            ICatalog.RollingClass[] memory rolling = catalog.rollingClasses(productGroupId);
            for (uint256 i; i < rolling.length; ++i) {
                _grow(unitId, rolling[i], _linesOf(rolling[i].classId, tokenIds, amounts), quantity);
            }
        }
        for (uint256 i; i < tokenIds.length; ++i) {
            _balances[tokenIds[i]][Tracenet.TRANSIT_UNIT] -= amounts[i];
        }
        _credit(unitId, tokenIds, amounts);
        _emitTransfer(Tracenet.TRANSIT_UNIT, unitId, tokenIds, amounts);
    }

    /// @inheritdoc ILedger
    function transferInventory(uint32 toUnitId, uint256[] calldata tokenIds, uint256[] calldata amounts) external {
        IConsortium.Actor memory actor = _actor(Tracenet.ROLE_MEMBER);
        (uint32 fromParty, uint32 fromBoundary) = _unitOf(actor.unitId);
        IConsortium.UnitView memory to = _recipient(toUnitId);
        if (fromBoundary == 0 || to.boundaryId != fromBoundary || to.partyId != fromParty || toUnitId == actor.unitId) {
            revert BoundaryViolation(actor.unitId, toUnitId);
        }
        _debit(actor.unitId, tokenIds, amounts, Move(Use.Transfer, 0, toUnitId));
        _credit(toUnitId, tokenIds, amounts);
        emit InventoryTransferred(actor.unitId, toUnitId, tokenIds, amounts);
        _emitTransfer(actor.unitId, toUnitId, tokenIds, amounts);
    }

    /// @inheritdoc ILedger
    function transferCertificates(
        uint32 toUnitId,
        bytes32 tradeRef,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts
    ) external {
        uint32 fromUnitId = _actor(Tracenet.ROLE_MEMBER).unitId;
        if (toUnitId == fromUnitId) revert ShipmentToSelf(fromUnitId);
        _recipient(toUnitId);
        _debit(fromUnitId, tokenIds, amounts, Move(Use.Trade, 0, toUnitId));
        _credit(toUnitId, tokenIds, amounts);
        emit CertificatesTransferred(fromUnitId, toUnitId, tradeRef, tokenIds, amounts);
        _emitTransfer(fromUnitId, toUnitId, tokenIds, amounts);
    }

    /// @inheritdoc ILedger
    function convert(uint32 processId, uint32 factorVersion, uint256[] calldata tokenIds, uint256[] calldata amounts)
        external
        returns (uint256 outputTokenId, uint256 outputAmount)
    {
        uint32 unitId = _actor(Tracenet.ROLE_MEMBER).unitId;
        (uint32 inClass, uint32 outClass, uint16 yieldBps) = catalog.factorInEffect(processId, factorVersion, unitId);
        Debit memory d = _debit(unitId, tokenIds, amounts, Move(Use.Convert, inClass, 0));
        outputAmount = d.total * yieldBps / Tracenet.FULL_SHARE_BPS;
        if (outputAmount == 0) revert ConversionOutputZero(d.total, yieldBps);
        // The output keeps the oldest input vintage, expressed in the output class's periods: the
        // output period is the one containing the first month of that vintage, so converting never
        // extends a credit's life.
        ICatalog.ClassInfo memory outInfo = catalog.classInfo(outClass);
        if (outInfo.custody != Tracenet.CUSTODY_NONE) consortium.custodyCertificate(unitId, outClass, outInfo.schemeId);
        uint8 outMonths = outInfo.periodMonths;
        uint32 outVintage = uint32(uint256(d.oldestVintage) * d.periodMonths / outMonths);
        outputTokenId = Tracenet.tokenId(outClass, outVintage, d.batch);
        _counters[outClass].convertedIn = _grownSupply(outClass, _counters[outClass].convertedIn, outputAmount);
        _balances[outputTokenId][unitId] += outputAmount;
        _addIntake(unitId, outInfo.productGroupId, outClass, outputAmount);
        // d.total <= held input supply <= MAX_CLASS_SUPPLY_G: the cast cannot truncate.
        _counters[inClass].convertedOut += uint128(d.total);
        uint64 conversionId = ++_sequence.conversions;
        emit Converted(
            conversionId, unitId, processId, factorVersion, yieldBps, tokenIds, amounts, outputTokenId, outputAmount
        );
        address account = Tracenet.unitAccount(unitId);
        emit TransferBatch(msg.sender, account, address(0), tokenIds, amounts);
        emit TransferSingle(msg.sender, address(0), account, outputTokenId, outputAmount);
    }

    /// @inheritdoc ILedger
    function claim(
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        string calldata beneficiary,
        bytes32 product,
        bytes32 purpose
    ) external returns (uint64 claimId) {
        return _claim(false, 0, 0, tokenIds, amounts, beneficiary, product, purpose);
    }

    /// @inheritdoc ILedger
    function claimRolling(
        uint32 classId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        string calldata beneficiary,
        bytes32 product,
        bytes32 purpose
    ) external returns (uint64 claimId) {
        return _claim(true, classId, quantity, tokenIds, amounts, beneficiary, product, purpose);
    }

    /// @inheritdoc ILedger
    function lapse(uint32 unitId, uint256[] calldata tokenIds) external returns (uint256 lapsed) {
        // Credits in transit lapse where they land, once the shipment is accepted or returned.
        if (unitId == Tracenet.TRANSIT_UNIT) revert CreditsNone(unitId, tokenIds.length == 0 ? 0 : tokenIds[0]);
        for (uint256 i; i < tokenIds.length; ++i) {
            uint256 id = tokenIds[i];
            (uint32 classId, uint32 vintage,) = Tracenet.splitTokenId(id);
            ICatalog.ClassInfo memory info = catalog.classInfo(classId);
            uint32 current = Tracenet.periodAt(info.periodMonths, block.timestamp);
            uint32 lapsesAt = vintage + info.windowPeriods;
            if (current < lapsesAt) revert CreditsNotLapsed(id, lapsesAt);
            uint256 amount = _balances[id][unitId];
            if (amount == 0) revert CreditsNone(unitId, id);
            _burnLapsed(unitId, id, classId, amount, Tracenet.LAPSE_WINDOW, current);
            lapsed += amount;
        }
    }

    /// @inheritdoc ILedger
    function closePeriod(uint32 classId, uint256 physicalStock) external returns (uint256 lapsed) {
        uint32 unitId = _actor(Tracenet.ROLE_MEMBER).unitId;
        _checkQuantity(physicalStock);
        ICatalog.ClassInfo memory info = catalog.classInfo(classId);
        if (info.model != Tracenet.MODEL_MASS_BALANCE) revert PeriodCloseModel(classId, info.model);
        uint32 current = Tracenet.periodAt(info.periodMonths, block.timestamp);
        if (current == 0) revert PeriodNoneEnded(classId);
        uint32 period = current - 1;
        if (closedPeriods[unitId][classId] > period) revert PeriodAlreadyClosed(unitId, classId, period);
        closedPeriods[unitId][classId] = current;
        // Book stock: credits still valid now whose vintage is the closed period or earlier.
        uint32 first = current >= info.windowPeriods ? current - info.windowPeriods + 1 : 0;
        uint256 bookStock;
        for (uint32 v = first; v <= period; ++v) {
            bookStock += _balances[Tracenet.tokenId(classId, v, 0)][unitId];
        }
        if (info.capAtStock && bookStock > physicalStock) {
            lapsed = _lapseOldestFirst(unitId, classId, first, bookStock - physicalStock, period);
        }
        emit PeriodClosed(unitId, classId, period, bookStock, physicalStock, lapsed);
    }

    // ---- ERC-1155 reads ---------------------------------------------------------------------------

    /// @inheritdoc IERC1155
    function balanceOf(address account, uint256 id) public view returns (uint256) {
        return _balances[id][consortium.unitOfAccount(account)];
    }

    /// @inheritdoc IERC1155
    function balanceOfBatch(address[] calldata accounts, uint256[] calldata ids)
        external
        view
        returns (uint256[] memory balances)
    {
        if (accounts.length != ids.length) revert LinesInvalid(ids.length, accounts.length);
        balances = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            balances[i] = balanceOf(accounts[i], ids[i]);
        }
    }

    /// @notice Always reverts: credits move only through the ledger's operations.
    function setApprovalForAll(address, bool) external pure {
        revert TransferDisabled();
    }

    /// @notice No operator is ever approved.
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @notice Always reverts: credits move only through the ledger's operations.
    function safeTransferFrom(address, address, uint256, uint256, bytes calldata) external pure {
        revert TransferDisabled();
    }

    /// @notice Always reverts: credits move only through the ledger's operations.
    function safeBatchTransferFrom(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
    {
        revert TransferDisabled();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return interfaceId == type(IERC1155).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---- views --------------------------------------------------------------------------------

    /// @inheritdoc ILedger
    function balanceOfUnit(uint32 unitId, uint256 tokenId) external view returns (uint256) {
        return _balances[tokenId][unitId];
    }

    /// @inheritdoc ILedger
    function balanceOfUnitBatch(uint32[] calldata unitIds, uint256[] calldata tokenIds)
        external
        view
        returns (uint256[] memory balances)
    {
        if (unitIds.length != tokenIds.length) revert LinesInvalid(tokenIds.length, unitIds.length);
        balances = new uint256[](unitIds.length);
        for (uint256 i; i < unitIds.length; ++i) {
            balances[i] = _balances[tokenIds[i]][unitIds[i]];
        }
    }

    /// @inheritdoc ILedger
    function supplyOfBatch(uint32[] calldata classIds) external view returns (Supply[] memory supplies) {
        supplies = new Supply[](classIds.length);
        for (uint256 i; i < classIds.length; ++i) {
            supplies[i] = supplyOf(classIds[i]);
        }
    }

    /// @inheritdoc ILedger
    function supplyOf(uint32 classId) public view returns (Supply memory s) {
        Counters memory c = _counters[classId];
        s = Supply(c.issued, c.convertedIn, c.convertedOut, c.claimed, c.lapsed, 0);
        s.held = s.issued + s.convertedIn - s.convertedOut - s.claimed - s.lapsed;
    }

    /// @inheritdoc ILedger
    function rollingShare(uint32 unitId, uint32 classId) external view returns (RollingShare memory) {
        return _share(unitId, _rollingClass(classId));
    }

    /// @inheritdoc ILedger
    function currentPeriod(uint32 classId) external view returns (uint32) {
        return Tracenet.periodAt(catalog.classInfo(classId).periodMonths, block.timestamp);
    }

    /// @inheritdoc ILedger
    function counts() external view returns (uint64, uint64, uint64, uint64) {
        Sequence memory s = _sequence;
        return (s.inputs, s.shipments, s.conversions, s.claims);
    }

    /// @inheritdoc ILedger
    function tokenIdOf(uint32 classId, uint32 vintage, uint32 batch) external pure returns (uint256) {
        return Tracenet.tokenId(classId, vintage, batch);
    }

    /// @inheritdoc ILedger
    function accountOf(uint32 unitId) external pure returns (address) {
        return Tracenet.unitAccount(unitId);
    }

    // ---- internals ----------------------------------------------------------------------------

    /// @dev The caller's actor: active, with a unit, holding every role bit of `roles`.
    function _actor(uint8 roles) private view returns (IConsortium.Actor memory actor) {
        actor = consortium.actorOf(msg.sender);
        if (!actor.active) revert IConsortium.PartyIsSuspended(actor.partyId);
        if (actor.unitId == 0) revert LedgerUnitRequired(msg.sender);
        uint8 missing = roles & ~actor.roles;
        if (missing != 0) revert IConsortium.AccessRoleMissing(actor.partyId, missing);
    }

    /// @dev A unit that may receive credits: its party is an active member.
    function _recipient(uint32 unitId) private view returns (IConsortium.UnitView memory unit) {
        unit = consortium.unitView(unitId);
        if (!unit.active) revert IConsortium.PartyIsSuspended(unit.partyId);
        if (unit.roles & Tracenet.ROLE_MEMBER == 0) {
            revert IConsortium.AccessRoleMissing(unit.partyId, Tracenet.ROLE_MEMBER);
        }
    }

    function _unitOf(uint32 unitId) private view returns (uint32 partyId, uint32 boundaryId) {
        IConsortium.UnitView memory unit = consortium.unitView(unitId);
        return (unit.partyId, unit.boundaryId);
    }

    function _checkQuantityRecord(uint32 productGroupId, uint256 quantity) private view returns (uint32 unitId) {
        unitId = _actor(Tracenet.ROLE_MEMBER).unitId;
        if (quantity == 0) revert QuantityZero();
        _checkQuantity(quantity);
        catalog.maxShareBps(productGroupId);
    }

    /// @dev R1/R13 integrity: every quantity is bounded so that no sum the ledger keeps overflows.
    function _checkQuantity(uint256 value) private pure {
        if (value > Tracenet.MAX_QUANTITY_G) revert QuantityTooLarge(value, Tracenet.MAX_QUANTITY_G);
    }

    /// @dev `counter` + `amount`, after checking that the class's supply stays within its bound.
    function _grownSupply(uint32 classId, uint128 counter, uint256 amount) private view returns (uint128) {
        Counters storage c = _counters[classId]; // issued and convertedIn share one slot
        uint256 supply = uint256(c.issued) + c.convertedIn + amount;
        if (supply > Tracenet.MAX_CLASS_SUPPLY_G) {
            revert SupplyCapExceeded(classId, supply, Tracenet.MAX_CLASS_SUPPLY_G);
        }
        return counter + uint128(amount);
    }

    /// @dev Takes credit lines out of `unitId` after checking each line against R1, R4, R5, R7, R8.
    function _debit(
        uint32 unitId,
        uint256[] calldata ids,
        uint256[] calldata amounts,
        Move memory mv
    ) private returns (Debit memory d) {
        uint256 n = ids.length;
        if ((n == 0 && mv.use != Use.Ship) || n != amounts.length) revert LinesInvalid(n, amounts.length);
        d.oldestVintage = type(uint32).max;
        uint32 cachedClass;
        ICatalog.ClassInfo memory info;
        uint32 current;
        bool segregated;
        for (uint256 i; i < n; ++i) {
            uint256 id = ids[i];
            uint256 amount = amounts[i];
            if (amount == 0) revert AmountZero(i);
            _checkQuantity(amount);
            (uint32 classId, uint32 vintage, uint32 batch) = Tracenet.splitTokenId(id);
            if (classId != cachedClass || i == 0) {
                (info, current) = _lineClass(unitId, classId, mv);
                cachedClass = classId;
            }
            _checkUse(id, info, mv, classId);
            if (info.model == Tracenet.MODEL_SEGREGATED) segregated = true;
            if (segregated && mv.use != Use.Claim && id != ids[0]) revert SegregationViolated(id);
            if (uint256(vintage) + info.windowPeriods <= current) revert CreditsLapsed(id, vintage, current);
            uint256 held = _balances[id][unitId];
            if (held < amount) revert CreditsInsufficient(unitId, id, held, amount);
            unchecked {
                _balances[id][unitId] = held - amount;
            }
            d.total += amount;
            if (vintage < d.oldestVintage) d.oldestVintage = vintage;
            d.batch = batch;
            d.periodMonths = info.periodMonths;
        }
    }

    /// @dev A line's class, its current period, and the class-level checks of the acting unit: product
    /// scope on a claim (R7) and the certified chain of custody (issue 13).
    function _lineClass(uint32 unitId, uint32 classId, Move memory mv)
        private
        view
        returns (ICatalog.ClassInfo memory info, uint32 current)
    {
        info = catalog.classInfo(classId);
        current = Tracenet.periodAt(info.periodMonths, block.timestamp);
        if (
            mv.use == Use.Claim && info.model != Tracenet.MODEL_BOOK_AND_CLAIM
                && !catalog.unitScope(unitId, info.productGroupId)
        ) revert UnitProductOutOfScope(unitId, info.productGroupId);
        if (info.custody != Tracenet.CUSTODY_NONE) _checkCustody(unitId, mv.toUnitId, classId, info, mv.use);
    }

    /// @dev Issue 13: under a scheme that requires a certified chain of custody, the acting unit and
    /// the receiving unit each hold a valid certificate covering the class; a final claimant the
    /// scheme allows (CUSTODY_CERTIFIED_FINAL_CLAIMANT_EXEMPT) may receive and claim uncertified,
    /// but can never pass the credits on, since every other use needs the acting unit's certificate.
    function _checkCustody(uint32 unitId, uint32 toUnitId, uint32 classId, ICatalog.ClassInfo memory info, Use use)
        private
        view
    {
        bool exempt = info.custody == Tracenet.CUSTODY_CERTIFIED_FINAL_CLAIMANT_EXEMPT;
        if (use != Use.Claim || !exempt) consortium.custodyCertificate(unitId, classId, info.schemeId);
        if (toUnitId != 0 && !exempt) consortium.custodyCertificate(toUnitId, classId, info.schemeId);
    }

    function _checkUse(uint256 id, ICatalog.ClassInfo memory info, Move memory mv, uint32 classId) private pure {
        (Use use, uint32 expected) = (mv.use, mv.expected);
        if (use == Use.Ship) {
            if (info.model == Tracenet.MODEL_BOOK_AND_CLAIM) revert ModelNotShippable(id);
            if (info.productGroupId != expected) revert ShipmentProductGroupMismatch(id, expected);
        } else if (use == Use.Trade) {
            if (info.model != Tracenet.MODEL_BOOK_AND_CLAIM) revert ModelNotTradable(id);
        } else if (use == Use.Convert) {
            if (classId != expected) revert ConversionInputMismatch(id, expected);
        } else if (use == Use.Claim) {
            // A rolling-average claim (R8) names its class; a plain claim takes no rolling credits.
            if (expected == 0 && info.attribution == Tracenet.ATTRIBUTION_ROLLING_AVERAGE) {
                revert RollingQuantityRequired(id);
            }
            if (expected != 0 && classId != expected) revert RollingClassMismatch(id, expected);
        }
    }

    /// @dev A claim (R7): the acting unit retires credit lines for a beneficiary; a rolling-average
    /// claim (R8) names its class and the quantity of claimed product, whose share the lines carry.
    function _claim(
        bool rolling,
        uint32 classId,
        uint256 quantity,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        string calldata beneficiary,
        bytes32 product,
        bytes32 purpose
    ) private returns (uint64 claimId) {
        uint32 unitId = _actor(Tracenet.ROLE_MEMBER).unitId;
        if (bytes(beneficiary).length == 0) revert ClaimBeneficiaryMissing();
        ICatalog.RollingClass memory rc;
        if (rolling) {
            rc = _rollingClass(classId);
            if (quantity == 0) revert QuantityZero();
            _checkQuantity(quantity);
        }
        uint256 given = _debit(unitId, tokenIds, amounts, Move(Use.Claim, classId, 0)).total;
        claimId = _retire(unitId, tokenIds, amounts, beneficiary, product, purpose);
        if (rolling) _applyShare(Tracenet.ROLLING_CLAIM, claimId, unitId, rc, quantity, given);
    }

    /// @dev Retires claimed lines: counters, claim id, `Claimed` and the ERC-1155 burn.
    function _retire(
        uint32 unitId,
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        string calldata beneficiary,
        bytes32 product,
        bytes32 purpose
    ) private returns (uint64 claimId) {
        for (uint256 i; i < tokenIds.length; ++i) {
            // Each amount was checked against MAX_QUANTITY_G by _debit: the cast cannot truncate.
            _counters[uint32(tokenIds[i] >> 64)].claimed += uint128(amounts[i]);
        }
        claimId = ++_sequence.claims;
        emit Claimed(claimId, unitId, beneficiary, product, purpose, tokenIds, amounts);
        _emitTransfer(unitId, 0, tokenIds, amounts);
    }

    // ---- rolling average percentage (R8) -----------------------------------------------------------

    /// @dev Counts an input of `total` grams of product group `groupId` at `unitId` for every
    /// rolling-average class of the group; it is sustainable for class `classId` (0: none).
    function _addIntake(uint32 unitId, uint32 groupId, uint32 classId, uint256 total) private {
        ICatalog.RollingClass[] memory rolling = catalog.rollingClasses(groupId);
        for (uint256 i; i < rolling.length; ++i) {
            _grow(unitId, rolling[i], rolling[i].classId == classId ? total : 0, total);
        }
    }

    /// @dev Shipment `shipmentId` of `fromUnitId`: for each rolling-average class of its group, the
    /// lines of that class carry the sender's share of the quantity; the receipt counts as input.
    function _applyShipmentShares(
        uint64 shipmentId,
        uint32 fromUnitId,
        ShipmentRequest calldata r,
        ICatalog.RollingClass[] memory rolling,
        bool pending
    ) private {
        for (uint256 i; i < rolling.length; ++i) {
            uint256 given = _linesOf(rolling[i].classId, r.tokenIds, r.amounts);
            _applyShare(Tracenet.ROLLING_SHIPMENT, shipmentId, fromUnitId, rolling[i], r.quantity, given);
            // A shipment awaiting acceptance counts as the recipient's input when it is accepted.
            if (!pending) _grow(r.toUnitId, rolling[i], given, r.quantity);
        }
    }

    /// @dev The credits of class `classId` among the lines.
    function _linesOf(uint32 classId, uint256[] calldata ids, uint256[] calldata amounts)
        private
        pure
        returns (uint256 given)
    {
        for (uint256 j; j < ids.length; ++j) {
            if (uint32(ids[j] >> 64) == classId) given += amounts[j];
        }
    }

    /// @dev Checks that `given` credits are the share in force of `quantity` and records it.
    function _applyShare(
        uint8 operation,
        uint64 operationId,
        uint32 unitId,
        ICatalog.RollingClass memory rc,
        uint256 quantity,
        uint256 given
    ) private {
        RollingShare memory s = _share(unitId, rc);
        uint256 expected = quantity * s.shareBps / Tracenet.FULL_SHARE_BPS;
        if (given != expected) revert RollingShareMismatch(rc.classId, expected, given, s.shareBps);
        emit RollingShareApplied(
            operationId, unitId, rc.classId, operation, s.period, quantity, given, s.shareBps, s.sustainable, s.total
        );
    }

    /// @dev Adds input to the current period of a unit's rolling-average class. Every quantity is at
    /// most MAX_QUANTITY_G, so the uint128 sums cannot be reached in any realistic number of operations.
    function _grow(uint32 unitId, ICatalog.RollingClass memory rc, uint256 sustainable, uint256 total) private {
        Intake storage t = _intake[unitId][rc.classId][Tracenet.periodAt(rc.periodMonths, block.timestamp)];
        t.sustainable += uint128(sustainable);
        t.total += uint128(total);
    }

    /// @dev The share in force: window sums from the current period back `windowPeriods - 1` periods.
    function _share(uint32 unitId, ICatalog.RollingClass memory rc) private view returns (RollingShare memory s) {
        s.period = Tracenet.periodAt(rc.periodMonths, block.timestamp);
        uint32 first = s.period >= rc.windowPeriods ? s.period - rc.windowPeriods + 1 : 0;
        for (uint32 p = first; p <= s.period; ++p) {
            Intake memory t = _intake[unitId][rc.classId][p];
            s.sustainable += t.sustainable;
            s.total += t.total;
        }
        // sustainable <= total: every input adds at least as much to the total as to the share.
        if (s.total != 0) s.shareBps = uint16(s.sustainable * Tracenet.FULL_SHARE_BPS / s.total);
    }

    function _rollingClass(uint32 classId) private view returns (ICatalog.RollingClass memory) {
        ICatalog.ClassInfo memory info = catalog.classInfo(classId);
        if (info.attribution != Tracenet.ATTRIBUTION_ROLLING_AVERAGE) revert RollingClassRequired(classId);
        return ICatalog.RollingClass(classId, info.periodMonths, info.windowPeriods);
    }

    function _credit(uint32 unitId, uint256[] calldata ids, uint256[] calldata amounts) private {
        for (uint256 i; i < ids.length; ++i) {
            _balances[ids[i]][unitId] += amounts[i];
        }
    }

    /// @dev Lapses `excess` credits of `classId` at `unitId`, oldest vintage first (R4 stock cap).
    function _lapseOldestFirst(uint32 unitId, uint32 classId, uint32 first, uint256 excess, uint32 period)
        private
        returns (uint256 lapsed)
    {
        for (uint32 v = first; excess != 0; ++v) {
            uint256 id = Tracenet.tokenId(classId, v, 0);
            uint256 held = _balances[id][unitId];
            uint256 amount = held < excess ? held : excess;
            if (amount != 0) _burnLapsed(unitId, id, classId, amount, Tracenet.LAPSE_STOCK_CAP, period);
            excess -= amount;
            lapsed += amount;
        }
    }

    function _burnLapsed(uint32 unitId, uint256 id, uint32 classId, uint256 amount, uint8 reason, uint32 period)
        private
    {
        _balances[id][unitId] -= amount;
        _counters[classId].lapsed += uint128(amount);
        emit Lapsed(unitId, id, amount, reason, period);
        emit TransferSingle(msg.sender, Tracenet.unitAccount(unitId), address(0), id, amount);
    }

    /// @dev ERC-1155 transfer event(s) for a movement; `toUnitId` 0 is a burn.
    function _emitTransfer(uint32 fromUnitId, uint32 toUnitId, uint256[] calldata ids, uint256[] calldata amounts)
        private
    {
        if (ids.length == 0) return; // a conventional delivery moves no credits
        address from = Tracenet.unitAccount(fromUnitId);
        address to = toUnitId == 0 ? address(0) : Tracenet.unitAccount(toUnitId);
        if (ids.length == 1) emit TransferSingle(msg.sender, from, to, ids[0], amounts[0]);
        else emit TransferBatch(msg.sender, from, to, ids, amounts);
    }
}
