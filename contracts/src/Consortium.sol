// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {ILedger} from "./interfaces/ILedger.sol";
import {Tracenet} from "./libraries/Tracenet.sol";

/// @title Consortium registry of Tracenet.
/// @notice Parties (legal entities) with roles, their bookkeeping units and multi-site boundaries,
/// the signer addresses that act for them, and the certificates issued to them.
contract Consortium is IConsortium {
    struct Party {
        uint8 roles;
        bool active;
        bool exists;
    }

    struct Unit {
        uint32 partyId;
        uint32 boundaryId;
        bool exists;
    }

    struct Signer {
        uint32 partyId;
        uint32 unitId;
    }

    struct Certificate {
        uint32 holderPartyId;
        uint32 schemeId;
        uint32 certifierPartyId;
        uint64 validFrom;
        uint64 validUntil;
        uint8 status;
        uint128 auditedVolume;
        uint128 usedVolume;
        uint64 statusSince;
        string number;
    }

    mapping(uint32 partyId => Party) private _parties;
    mapping(uint32 unitId => Unit) private _units;
    mapping(uint32 boundaryId => uint32 partyId) private _boundaryParty;
    mapping(address signer => Signer) private _signers;
    mapping(address account => uint32 unitId) private _accountUnit;
    mapping(uint32 certificateId => Certificate) private _certificates;
    mapping(uint32 certificateId => mapping(uint32 classId => bool)) private _scopeClass;
    mapping(uint32 certificateId => mapping(uint32 unitId => bool)) private _scopeUnit;
    mapping(uint32 partyId => mapping(uint32 schemeId => uint32[])) private _partyCertificates;
    mapping(uint32 schemeId => mapping(bytes32 numberHash => uint32 certificateId)) private _certificateNumbers;

    uint32 private _partyCount;
    uint32 private _unitCount;
    uint32 private _boundaryCount;
    uint32 private _certificateCount;
    uint32 private _activeAdmins;
    address public ledger;

    /// @param admin the first signer of the first party, the consortium administrator
    /// @param adminName the administrator's legal name
    constructor(address admin, string memory adminName) {
        if (admin == address(0)) revert AddressZero();
        uint32 partyId = _addParty(adminName, bytes32(0), Tracenet.ROLE_ADMIN);
        _signers[admin] = Signer(partyId, 0);
        emit SignerAuthorized(admin, partyId, 0);
    }

    // ---- administration -------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function registerParty(string calldata name, bytes32 identifier, uint8 roles) external returns (uint32) {
        _requireRole(Tracenet.ROLE_ADMIN);
        return _addParty(name, identifier, roles);
    }

    /// @inheritdoc IConsortium
    function setRoles(uint32 partyId, uint8 roles) external {
        _requireRole(Tracenet.ROLE_ADMIN);
        Party storage party = _party(partyId);
        bool wasAdmin = party.roles & Tracenet.ROLE_ADMIN != 0;
        bool isAdmin = roles & Tracenet.ROLE_ADMIN != 0;
        if (party.active && wasAdmin != isAdmin) _countAdmin(partyId, isAdmin);
        party.roles = roles;
        emit PartyRolesChanged(partyId, roles);
    }

    /// @inheritdoc IConsortium
    function suspendParty(uint32 partyId) external {
        _requireRole(Tracenet.ROLE_ADMIN);
        Party storage party = _party(partyId);
        if (!party.active) revert PartyIsSuspended(partyId);
        if (party.roles & Tracenet.ROLE_ADMIN != 0) _countAdmin(partyId, false);
        party.active = false;
        emit PartySuspended(partyId);
    }

    /// @inheritdoc IConsortium
    function reinstateParty(uint32 partyId) external {
        _requireRole(Tracenet.ROLE_ADMIN);
        Party storage party = _party(partyId);
        if (party.active) return;
        if (party.roles & Tracenet.ROLE_ADMIN != 0) _countAdmin(partyId, true);
        party.active = true;
        emit PartyReinstated(partyId);
    }

    /// @inheritdoc IConsortium
    function declareBoundary(uint32 partyId, string calldata name) external returns (uint32 boundaryId) {
        _requireRole(Tracenet.ROLE_ADMIN);
        _party(partyId);
        boundaryId = ++_boundaryCount;
        _boundaryParty[boundaryId] = partyId;
        emit BoundaryDeclared(boundaryId, partyId, name);
    }

    /// @inheritdoc IConsortium
    function registerUnit(uint32 partyId, uint32 boundaryId, string calldata name, string calldata location)
        external
        returns (uint32 unitId)
    {
        _requireRole(Tracenet.ROLE_ADMIN);
        _party(partyId);
        if (boundaryId != 0) {
            uint32 owner = _boundaryParty[boundaryId];
            if (owner == 0) revert BoundaryUnknown(boundaryId);
            if (owner != partyId) revert BoundaryForeignParty(boundaryId, partyId);
        }
        unitId = ++_unitCount;
        _units[unitId] = Unit(partyId, boundaryId, true);
        address account = Tracenet.unitAccount(unitId);
        _accountUnit[account] = unitId;
        emit UnitRegistered(unitId, partyId, boundaryId, account, name, location);
    }

    /// @inheritdoc IConsortium
    function authorizeSigner(address signer, uint32 partyId, uint32 unitId) external {
        if (signer == address(0)) revert AddressZero();
        _requireAdminOrSameParty(partyId);
        _party(partyId);
        if (unitId != 0) _requireOwnedUnit(unitId, partyId);
        if (_signers[signer].partyId != 0) revert SignerAlreadyAuthorized(signer);
        _signers[signer] = Signer(partyId, unitId);
        emit SignerAuthorized(signer, partyId, unitId);
    }

    /// @inheritdoc IConsortium
    function revokeSigner(address signer) external {
        Signer memory entry = _signers[signer];
        if (entry.partyId == 0) revert SignerUnknown(signer);
        _requireAdminOrSameParty(entry.partyId);
        delete _signers[signer];
        emit SignerRevoked(signer, entry.partyId, entry.unitId);
    }

    /// @inheritdoc IConsortium
    function registerCertificate(
        uint32 holderPartyId,
        uint32 schemeId,
        string calldata number,
        uint64 validFrom,
        uint64 validUntil,
        uint128 auditedVolume,
        uint32[] calldata classIds,
        uint32[] calldata unitIds
    ) external returns (uint32 certificateId) {
        Actor memory certifier = _requireRole(Tracenet.ROLE_CERTIFIER);
        _party(holderPartyId);
        certificateId = ++_certificateCount;
        if (validUntil <= validFrom || classIds.length == 0 || unitIds.length == 0 || bytes(number).length == 0) {
            revert CertificateInvalid(certificateId);
        }
        if (auditedVolume > Tracenet.MAX_QUANTITY_G) {
            revert QuantityTooLarge(auditedVolume, Tracenet.MAX_QUANTITY_G);
        }
        if (ledger == address(0)) revert LedgerUnbound();
        bytes32 numberHash = keccak256(bytes(number));
        uint32 existing = _certificateNumbers[schemeId][numberHash];
        if (existing != 0) revert CertificateNumberTaken(schemeId, number, existing);
        _certificateNumbers[schemeId][numberHash] = certificateId;
        for (uint256 i; i < unitIds.length; ++i) {
            _requireOwnedUnit(unitIds[i], holderPartyId);
            _scopeUnit[certificateId][unitIds[i]] = true;
        }
        for (uint256 i; i < classIds.length; ++i) {
            _scopeClass[certificateId][classIds[i]] = true;
        }
        _partyCertificates[holderPartyId][schemeId].push(certificateId);
        _certificates[certificateId] = Certificate({
            holderPartyId: holderPartyId,
            schemeId: schemeId,
            certifierPartyId: certifier.partyId,
            validFrom: validFrom,
            validUntil: validUntil,
            status: Tracenet.CERT_VALID,
            auditedVolume: auditedVolume,
            usedVolume: 0,
            statusSince: validFrom,
            number: number
        });
        emit CertificateRegistered(
            certificateId,
            holderPartyId,
            certifier.partyId,
            schemeId,
            number,
            validFrom,
            validUntil,
            auditedVolume,
            classIds,
            unitIds
        );
        // The certificate's classes are products of its units: one source of a unit's scope (R7).
        ILedger(ledger).catalog().addCertifiedScope(classIds, unitIds);
    }

    /// @inheritdoc IConsortium
    function setCertificateStatus(uint32 certificateId, uint8 status, uint64 effectiveAt, string calldata reason)
        external
    {
        Actor memory certifier = _requireRole(Tracenet.ROLE_CERTIFIER);
        Certificate storage cert = _certificates[certificateId];
        if (cert.holderPartyId == 0) revert CertificateUnknown(certificateId);
        if (cert.certifierPartyId != certifier.partyId) revert CertificateNotIssuer(certificateId, certifier.partyId);
        if (status > Tracenet.CERT_TERMINATED) revert CertificateStatusUnknown(status);
        uint8 current = cert.status;
        if (current >= Tracenet.CERT_WITHDRAWN) revert CertificateStatusFinal(certificateId, current);
        if (status == current) revert CertificateStatusUnchanged(certificateId, status);
        uint64 earliest = cert.statusSince;
        if (effectiveAt < earliest || effectiveAt > block.timestamp) {
            revert CertificateStatusDate(certificateId, effectiveAt, earliest, uint64(block.timestamp));
        }
        if (bytes(reason).length == 0) revert CertificateReasonEmpty(certificateId);
        cert.status = status;
        cert.statusSince = effectiveAt;
        emit CertificateStatusChanged(certificateId, status, effectiveAt, reason);
    }

    /// @inheritdoc IConsortium
    function bindLedger(address ledger_) external {
        _requireRole(Tracenet.ROLE_ADMIN);
        if (ledger != address(0)) revert LedgerAlreadyBound(ledger);
        if (ledger_ == address(0)) revert AddressZero();
        ledger = ledger_;
        emit LedgerBound(ledger_);
    }

    // ---- used by the ledger ---------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function consumeCertificate(
        uint32 certificateId,
        uint32 partyId,
        uint32 unitId,
        uint32 classId,
        uint32 schemeId,
        uint256 amount
    ) external {
        if (msg.sender != ledger) revert LedgerOnly(msg.sender);
        Certificate storage cert = _certificates[certificateId];
        if (cert.holderPartyId == 0) revert CertificateUnknown(certificateId);
        if (cert.status != Tracenet.CERT_VALID) revert CertificateNotInForce(certificateId, cert.status, cert.statusSince);
        if (block.timestamp < cert.validFrom || block.timestamp >= cert.validUntil) {
            revert CertificateNotValid(certificateId, uint64(block.timestamp), cert.validFrom, cert.validUntil);
        }
        if (cert.holderPartyId != partyId) revert CertificateHolderMismatch(certificateId, partyId);
        if (cert.schemeId != schemeId) revert CertificateSchemeMismatch(certificateId, schemeId);
        if (!_scopeClass[certificateId][classId]) revert CertificateScopeClass(certificateId, classId);
        if (!_scopeUnit[certificateId][unitId]) revert CertificateScopeUnit(certificateId, unitId);
        uint128 audited = cert.auditedVolume;
        if (audited != 0) {
            uint256 remaining = audited - cert.usedVolume;
            if (amount > remaining) revert CertificateVolumeExceeded(certificateId, amount, remaining);
            cert.usedVolume += uint128(amount);
        }
    }

    /// @inheritdoc IConsortium
    function custodyCertificate(uint32 unitId, uint32 classId, uint32 schemeId) external view returns (uint32) {
        uint32[] storage ids = _partyCertificates[_units[unitId].partyId][schemeId];
        uint256 n = ids.length;
        if (n == 0) revert CustodyCertificateMissing(unitId, classId, schemeId);
        for (uint256 i = n; i > 0; --i) {
            uint32 id = ids[i - 1];
            Certificate storage cert = _certificates[id];
            if (
                cert.status == Tracenet.CERT_VALID && block.timestamp >= cert.validFrom && block.timestamp < cert.validUntil
                    && _scopeClass[id][classId] && _scopeUnit[id][unitId]
            ) return id;
        }
        uint32 latest = ids[n - 1];
        Certificate storage c = _certificates[latest];
        if (c.status != Tracenet.CERT_VALID) revert CertificateNotInForce(latest, c.status, c.statusSince);
        if (block.timestamp < c.validFrom || block.timestamp >= c.validUntil) {
            revert CertificateNotValid(latest, uint64(block.timestamp), c.validFrom, c.validUntil);
        }
        if (!_scopeClass[latest][classId]) revert CertificateScopeClass(latest, classId);
        revert CertificateScopeUnit(latest, unitId);
    }

    // ---- views --------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function actorOf(address signer) public view returns (Actor memory) {
        Signer memory entry = _signers[signer];
        if (entry.partyId == 0) revert SignerUnknown(signer);
        Party memory party = _parties[entry.partyId];
        return Actor(entry.partyId, entry.unitId, party.roles, party.active);
    }

    /// @inheritdoc IConsortium
    function unitView(uint32 unitId) external view returns (UnitView memory) {
        Unit memory unit = _units[unitId];
        if (!unit.exists) revert UnitUnknown(unitId);
        Party memory party = _parties[unit.partyId];
        return UnitView(unit.partyId, unit.boundaryId, party.roles, party.active);
    }

    /// @inheritdoc IConsortium
    function unitOfAccount(address account) external view returns (uint32) {
        return _accountUnit[account];
    }

    /// @inheritdoc IConsortium
    function certificate(uint32 certificateId) external view returns (CertificateView memory) {
        Certificate memory c = _certificates[certificateId];
        if (c.holderPartyId == 0) revert CertificateUnknown(certificateId);
        return CertificateView(
            c.holderPartyId,
            c.schemeId,
            c.certifierPartyId,
            c.validFrom,
            c.validUntil,
            c.status,
            c.statusSince,
            c.auditedVolume,
            c.usedVolume,
            c.number
        );
    }

    /// @inheritdoc IConsortium
    function certificateByNumber(uint32 schemeId, string calldata number) external view returns (uint32) {
        return _certificateNumbers[schemeId][keccak256(bytes(number))];
    }

    /// @inheritdoc IConsortium
    function certificateCovers(uint32 certificateId, uint32 classId, uint32 unitId)
        external
        view
        returns (bool coversClass, bool coversUnit)
    {
        return (_scopeClass[certificateId][classId], _scopeUnit[certificateId][unitId]);
    }

    /// @inheritdoc IConsortium
    function counts() external view returns (uint32, uint32, uint32, uint32) {
        return (_partyCount, _unitCount, _boundaryCount, _certificateCount);
    }

    /// @notice A party's roles and whether it is active.
    function partyOf(uint32 partyId) external view returns (uint8 roles, bool active) {
        Party memory party = _parties[partyId];
        if (!party.exists) revert PartyUnknown(partyId);
        return (party.roles, party.active);
    }

    /// @notice A unit's party and boundary.
    function unitOf(uint32 unitId) external view returns (uint32 partyId, uint32 boundaryId) {
        Unit memory unit = _units[unitId];
        if (!unit.exists) revert UnitUnknown(unitId);
        return (unit.partyId, unit.boundaryId);
    }

    // ---- internals ----------------------------------------------------------------------------

    function _addParty(string memory name, bytes32 identifier, uint8 roles) private returns (uint32 partyId) {
        if (bytes(name).length == 0) revert PartyNameEmpty();
        partyId = ++_partyCount;
        _parties[partyId] = Party(roles, true, true);
        if (roles & Tracenet.ROLE_ADMIN != 0) ++_activeAdmins;
        emit PartyRegistered(partyId, name, identifier, roles);
    }

    function _countAdmin(uint32 partyId, bool add) private {
        if (add) {
            ++_activeAdmins;
        } else {
            if (_activeAdmins == 1) revert PartyLastAdmin(partyId);
            --_activeAdmins;
        }
    }

    function _party(uint32 partyId) private view returns (Party storage party) {
        party = _parties[partyId];
        if (!party.exists) revert PartyUnknown(partyId);
    }

    function _requireOwnedUnit(uint32 unitId, uint32 partyId) private view {
        Unit memory unit = _units[unitId];
        if (!unit.exists) revert UnitUnknown(unitId);
        if (unit.partyId != partyId) revert UnitNotOwned(unitId, partyId);
    }

    function _requireRole(uint8 role) private view returns (Actor memory actor) {
        actor = actorOf(msg.sender);
        if (!actor.active) revert PartyIsSuspended(actor.partyId);
        if (actor.roles & role == 0) revert AccessRoleMissing(actor.partyId, role);
    }

    function _requireAdminOrSameParty(uint32 partyId) private view {
        Actor memory actor = actorOf(msg.sender);
        if (!actor.active) revert PartyIsSuspended(actor.partyId);
        if (actor.roles & Tracenet.ROLE_ADMIN == 0 && actor.partyId != partyId) {
            revert AccessForeignParty(msg.sender, partyId);
        }
    }
}
