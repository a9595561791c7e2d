// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title The consortium registry: parties, roles, bookkeeping units, signers and certificates.
/// @notice R2 (authorised parties only) and R3 (valid origin) live here.
interface IConsortium {
    /// @notice Who a signer acts for, as the ledger sees it.
    struct Actor {
        uint32 partyId;
        uint32 unitId; // 0 for a party-level signer
        uint8 roles;
        bool active;
    }

    /// @notice A bookkeeping unit as the ledger sees it.
    struct UnitView {
        uint32 partyId;
        uint32 boundaryId; // 0 when the unit is in no multi-site boundary
        uint8 roles; // of its party
        bool active; // its party is not suspended
    }

    /// @notice What a certificate says, for readers.
    struct CertificateView {
        uint32 holderPartyId;
        uint32 schemeId;
        uint32 certifierPartyId;
        uint64 validFrom;
        uint64 validUntil;
        uint8 status; // Tracenet.CERT_*: valid, suspended, withdrawn, terminated
        uint64 statusSince; // the effective date of the status (validFrom while never changed)
        uint128 auditedVolume; // 0: no volume cap
        uint128 usedVolume;
        string number;
    }

    // ---- errors -------------------------------------------------------------------------------

    /// @notice `signer` is not an authorised signer of any party.
    error SignerUnknown(address signer);
    /// @notice `signer` is already authorised.
    error SignerAlreadyAuthorized(address signer);
    /// @notice The zero address cannot be a signer or the ledger.
    error AddressZero();
    /// @notice No party has id `partyId`.
    error PartyUnknown(uint32 partyId);
    /// @notice Party `partyId` is suspended: it can neither act nor receive.
    error PartyIsSuspended(uint32 partyId);
    /// @notice Party `partyId` lacks role bit `role` for this operation.
    error AccessRoleMissing(uint32 partyId, uint8 role);
    /// @notice The caller may not act for party `partyId`.
    error AccessForeignParty(address caller, uint32 partyId);
    /// @notice A party name must not be empty.
    error PartyNameEmpty();
    /// @notice The consortium must keep at least one active admin party.
    error PartyLastAdmin(uint32 partyId);
    /// @notice No unit has id `unitId`.
    error UnitUnknown(uint32 unitId);
    /// @notice Unit `unitId` does not belong to party `partyId`.
    error UnitNotOwned(uint32 unitId, uint32 partyId);
    /// @notice No multi-site boundary has id `boundaryId`.
    error BoundaryUnknown(uint32 boundaryId);
    /// @notice Boundary `boundaryId` belongs to another legal entity than party `partyId`.
    error BoundaryForeignParty(uint32 boundaryId, uint32 partyId);
    /// @notice No certificate has id `certificateId`.
    error CertificateUnknown(uint32 certificateId);
    /// @notice Certificate `certificateId` is not in force: its certification body stated `status`
    /// (Tracenet.CERT_SUSPENDED, CERT_WITHDRAWN or CERT_TERMINATED) effective `since`.
    error CertificateNotInForce(uint32 certificateId, uint8 status, uint64 since);
    /// @notice Scheme `schemeId` already has certificate `existingId` numbered `number`.
    error CertificateNumberTaken(uint32 schemeId, string number, uint32 existingId);
    /// @notice `status` is not a status a certification body can state (Tracenet.CERT_*).
    error CertificateStatusUnknown(uint8 status);
    /// @notice Certificate `certificateId` is withdrawn or terminated (`status`): that is final.
    error CertificateStatusFinal(uint32 certificateId, uint8 status);
    /// @notice Certificate `certificateId` already has status `status`.
    error CertificateStatusUnchanged(uint32 certificateId, uint8 status);
    /// @notice A status's effective date `effectiveAt` must lie in [earliest, latest]: not before the
    /// certificate's validity starts or its last status change, not after the block that records it.
    error CertificateStatusDate(uint32 certificateId, uint64 effectiveAt, uint64 earliest, uint64 latest);
    /// @notice A status change must say why.
    error CertificateReasonEmpty(uint32 certificateId);
    /// @notice Certificate `certificateId` is not valid at `timestamp` (valid in [from, until)).
    error CertificateNotValid(uint32 certificateId, uint64 timestamp, uint64 validFrom, uint64 validUntil);
    /// @notice Certificate `certificateId` is held by another party than `partyId`.
    error CertificateHolderMismatch(uint32 certificateId, uint32 partyId);
    /// @notice Certificate `certificateId` is of another scheme than `schemeId`.
    error CertificateSchemeMismatch(uint32 certificateId, uint32 schemeId);
    /// @notice Certificate `certificateId` does not cover class `classId`.
    error CertificateScopeClass(uint32 certificateId, uint32 classId);
    /// @notice Certificate `certificateId` does not cover unit `unitId`.
    error CertificateScopeUnit(uint32 certificateId, uint32 unitId);
    /// @notice Recording `requested` grams exceeds the certificate's remaining audited volume.
    error CertificateVolumeExceeded(uint32 certificateId, uint256 requested, uint256 remaining);
    /// @notice A validity window must be non-empty and a scope must name classes and units.
    error CertificateInvalid(uint32 certificateId);
    /// @notice Only the certification body that issued the certificate may change its status.
    error CertificateNotIssuer(uint32 certificateId, uint32 partyId);
    /// @notice Unit `unitId`'s party holds no certificate of scheme `schemeId`, which requires a
    /// certified chain of custody for class `classId` (issue 13).
    error CustodyCertificateMissing(uint32 unitId, uint32 classId, uint32 schemeId);
    /// @notice Only the bound ledger may call this.
    error LedgerOnly(address caller);
    /// @notice The ledger (and through it the catalog) must be bound before certificates are registered.
    error LedgerUnbound();
    /// @notice A quantity of `value` grams exceeds the ledger's bound `max` (Tracenet.MAX_QUANTITY_G).
    error QuantityTooLarge(uint256 value, uint256 max);
    /// @notice The ledger is bound once.
    error LedgerAlreadyBound(address ledger);

    // ---- events -------------------------------------------------------------------------------

    /// @notice A legal entity joined the consortium.
    event PartyRegistered(uint32 indexed partyId, string name, bytes32 identifier, uint8 roles);
    /// @notice A party's roles changed.
    event PartyRolesChanged(uint32 indexed partyId, uint8 roles);
    /// @notice A party was suspended: it can neither act nor receive.
    event PartySuspended(uint32 indexed partyId);
    /// @notice A suspended party was reinstated.
    event PartyReinstated(uint32 indexed partyId);
    /// @notice A multi-site boundary of one legal entity was declared.
    event BoundaryDeclared(uint32 indexed boundaryId, uint32 indexed partyId, string name);
    /// @notice A bookkeeping unit (a site, or a site inside a declared boundary) was registered.
    event UnitRegistered(
        uint32 indexed unitId,
        uint32 indexed partyId,
        uint32 boundaryId,
        address account,
        string name,
        string location
    );
    /// @notice `signer` may now act for `partyId` (and for `unitId` unless it is 0).
    event SignerAuthorized(address indexed signer, uint32 indexed partyId, uint32 indexed unitId);
    /// @notice `signer` may no longer act.
    event SignerRevoked(address indexed signer, uint32 indexed partyId, uint32 indexed unitId);
    /// @notice A certification body registered a certificate.
    event CertificateRegistered(
        uint32 indexed certificateId,
        uint32 indexed holderPartyId,
        uint32 indexed certifierPartyId,
        uint32 schemeId,
        string number,
        uint64 validFrom,
        uint64 validUntil,
        uint128 auditedVolume,
        uint32[] classIds,
        uint32[] unitIds
    );
    /// @notice The issuing certification body stated the certificate's `status` (Tracenet.CERT_*),
    /// effective `effectiveAt`, for `reason`; CERT_VALID after a suspension is its reinstatement.
    event CertificateStatusChanged(uint32 indexed certificateId, uint8 status, uint64 effectiveAt, string reason);
    /// @notice The ledger contract was bound to this registry.
    event LedgerBound(address ledger);

    // ---- administration -------------------------------------------------------------------------

    /// @notice Registers a legal entity with a name, an identifier (e.g. an LEI) and roles.
    function registerParty(string calldata name, bytes32 identifier, uint8 roles) external returns (uint32);
    /// @notice Replaces a party's role mask.
    function setRoles(uint32 partyId, uint8 roles) external;
    /// @notice Suspends a party: it can no longer act or receive credits.
    function suspendParty(uint32 partyId) external;
    /// @notice Reinstates a suspended party.
    function reinstateParty(uint32 partyId) external;
    /// @notice Declares a multi-site boundary of one legal entity.
    function declareBoundary(uint32 partyId, string calldata name) external returns (uint32);
    /// @notice Registers a bookkeeping unit of `partyId`, optionally inside `boundaryId`.
    function registerUnit(uint32 partyId, uint32 boundaryId, string calldata name, string calldata location)
        external
        returns (uint32);
    /// @notice Authorises `signer` for `partyId`, and for `unitId` unless it is 0.
    /// Callable by an admin, or by a signer of the same party.
    function authorizeSigner(address signer, uint32 partyId, uint32 unitId) external;
    /// @notice Revokes `signer`. Callable by an admin, or by a signer of the same party.
    function revokeSigner(address signer) external;
    /// @notice Registers a certificate (certification bodies only); the product groups of its classes
    /// enter the product scope of its units (R7). Its number is unique within its scheme
    /// (CertificateNumberTaken).
    function registerCertificate(
        uint32 holderPartyId,
        uint32 schemeId,
        string calldata number,
        uint64 validFrom,
        uint64 validUntil,
        uint128 auditedVolume,
        uint32[] calldata classIds,
        uint32[] calldata unitIds
    ) external returns (uint32);
    /// @notice States a certificate's status (its issuing certification body only): suspend
    /// (CERT_SUSPENDED), reinstate a suspended one (CERT_VALID), withdraw or terminate (final), with
    /// the date it takes effect (not in the future) and the reason.
    function setCertificateStatus(uint32 certificateId, uint8 status, uint64 effectiveAt, string calldata reason)
        external;
    /// @notice Binds the ledger, once (admin only).
    function bindLedger(address ledger) external;

    // ---- used by the ledger ---------------------------------------------------------------------

    /// @notice Checks that `certificateId` lets `partyId` create `amount` credits of `classId`
    /// (scheme `schemeId`) at `unitId` now, and books the amount against its audited volume.
    function consumeCertificate(
        uint32 certificateId,
        uint32 partyId,
        uint32 unitId,
        uint32 classId,
        uint32 schemeId,
        uint256 amount
    ) external;

    /// @notice The certificate that lets unit `unitId` hold and pass on credits of class `classId`
    /// of scheme `schemeId` now: held by the unit's party, of that scheme, valid now, in force,
    /// covering the class and the unit (the latest such). Reverts with CustodyCertificateMissing if
    /// the party holds no certificate of the scheme, otherwise with why its latest one fails
    /// (CertificateNotInForce, CertificateNotValid, CertificateScopeClass, CertificateScopeUnit).
    function custodyCertificate(uint32 unitId, uint32 classId, uint32 schemeId) external view returns (uint32);

    // ---- views --------------------------------------------------------------------------------

    /// @notice Who `signer` acts for; reverts with SignerUnknown if nobody.
    function actorOf(address signer) external view returns (Actor memory);
    /// @notice A unit's party, boundary, roles and whether its party is active.
    function unitView(uint32 unitId) external view returns (UnitView memory);
    /// @notice The unit whose ERC-1155 account is `account` (0 if none).
    function unitOfAccount(address account) external view returns (uint32);
    /// @notice A certificate's record.
    function certificate(uint32 certificateId) external view returns (CertificateView memory);
    /// @notice The certificate numbered `number` in scheme `schemeId` (0 if none).
    function certificateByNumber(uint32 schemeId, string calldata number) external view returns (uint32);
    /// @notice Whether a certificate's scope covers class `classId` and unit `unitId`.
    function certificateCovers(uint32 certificateId, uint32 classId, uint32 unitId)
        external
        view
        returns (bool coversClass, bool coversUnit);
    /// @notice The bound ledger.
    function ledger() external view returns (address);
    /// @notice How many parties, units, boundaries and certificates exist (ids start at 1).
    function counts() external view returns (uint32 parties, uint32 units, uint32 boundaries, uint32 certificates);
}
