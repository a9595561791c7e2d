// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Shared constants and pure helpers of the Tracenet ledger.
/// @notice Roles are bits of a party's role mask; token ids encode class, vintage and batch;
/// periods are calendar months grouped by a class's period length.
library Tracenet {
    /// @notice Consortium administration: parties, units, schemes, classes, product groups.
    uint8 internal constant ROLE_ADMIN = 1;
    /// @notice Certification body: certificates, processes and conversion factors.
    uint8 internal constant ROLE_CERTIFIER = 2;
    /// @notice Auditor: reads everything (all state is public); holds no credits.
    uint8 internal constant ROLE_AUDITOR = 4;
    /// @notice Member: may hold, ship, convert and claim credits.
    uint8 internal constant ROLE_MEMBER = 8;
    /// @notice Point of origin: may create credits from certified inputs.
    uint8 internal constant ROLE_ORIGIN = 16;

    /// @notice Chain-of-custody models (R8).
    uint8 internal constant MODEL_MASS_BALANCE = 0;
    uint8 internal constant MODEL_SEGREGATED = 1;
    uint8 internal constant MODEL_BOOK_AND_CLAIM = 2;

    /// @notice Attribution methods (R8, ISO 22095-2).
    uint8 internal constant ATTRIBUTION_CREDIT = 0;
    uint8 internal constant ATTRIBUTION_ROLLING_AVERAGE = 1;
    /// @notice At most this many rolling-average classes per product group: every input of the
    /// group updates each one's window, so the bound keeps every operation's gas bounded.
    uint256 internal constant MAX_ROLLING_CLASSES = 4;
    /// @notice Which operation applied a rolling-average share (ILedger.RollingShareApplied).
    uint8 internal constant ROLLING_SHIPMENT = 0;
    uint8 internal constant ROLLING_CLAIM = 1;

    /// @notice 100 % in basis points: the absolute cap of R6.
    uint16 internal constant FULL_SHARE_BPS = 10_000;

    /// @notice The largest quantity, in grams, any one amount, physical quantity, declared stock or
    /// audited volume may carry (10^15 g, one billion tonnes); mirrored by contracts.MAX_QUANTITY_G.
    uint256 internal constant MAX_QUANTITY_G = 1e15;
    /// @notice The largest supply (issued + converted in, grams) a class may reach: 2^63 - 1, so that
    /// every balance and counter fits a signed 64-bit SQL integer (contracts.MAX_CLASS_SUPPLY_G).
    uint256 internal constant MAX_CLASS_SUPPLY_G = 2 ** 63 - 1;

    /// @notice Chain-of-custody certification a scheme requires (issue 13): none; every holder
    /// certified except a final claimant (may receive and claim, never pass on); every holder certified.
    uint8 internal constant CUSTODY_NONE = 0;
    uint8 internal constant CUSTODY_CERTIFIED_FINAL_CLAIMANT_EXEMPT = 1;
    uint8 internal constant CUSTODY_CERTIFIED = 2;

    /// @notice A certificate's status as its certification body states it (issue 20). Valid,
    /// suspended (no inputs, no custody; back to valid by reinstatement), withdrawn and terminated
    /// (final). Expired is not a status: it is the end of the validity window, by date.
    uint8 internal constant CERT_VALID = 0;
    uint8 internal constant CERT_SUSPENDED = 1;
    uint8 internal constant CERT_WITHDRAWN = 2;
    uint8 internal constant CERT_TERMINATED = 3;

    /// @notice Why credits lapsed (R4).
    uint8 internal constant LAPSE_WINDOW = 0;
    uint8 internal constant LAPSE_STOCK_CAP = 1;

    /// @notice Whether a scheme's shipments need the recipient's acceptance (issue 19), and what
    /// settling a shipment after its acceptance window does.
    uint8 internal constant ACCEPTANCE_NONE = 0;
    uint8 internal constant ACCEPTANCE_REQUIRED = 1;
    uint8 internal constant SETTLE_ACCEPTED = 0;
    uint8 internal constant SETTLE_RETURNED = 1;
    /// @notice The longest acceptance window a scheme may set (366 days).
    uint32 internal constant MAX_ACCEPTANCE_WINDOW = 366 days;

    /// @notice States of a shipment awaiting acceptance (ITransit.Delivery.state).
    uint8 internal constant TRANSIT_NONE = 0;
    uint8 internal constant TRANSIT_PENDING = 1;
    uint8 internal constant TRANSIT_ACCEPTED = 2;
    uint8 internal constant TRANSIT_REJECTED = 3;
    uint8 internal constant TRANSIT_RECALLED = 4;
    uint8 internal constant TRANSIT_SETTLED_ACCEPTED = 5;
    uint8 internal constant TRANSIT_SETTLED_RETURNED = 6;
    /// @notice The Ledger's pseudo-unit that holds credits in transit (no real unit has this id).
    uint32 internal constant TRANSIT_UNIT = type(uint32).max;

    /// @notice Token id of credits of `classId`, entered in period `vintage`, batch `batch`
    /// (batch is 0 except under the segregated model, where it is the originating input id).
    function tokenId(uint32 classId, uint32 vintage, uint32 batch) internal pure returns (uint256) {
        return (uint256(classId) << 64) | (uint256(vintage) << 32) | uint256(batch);
    }

    /// @notice Splits a token id into class, vintage and batch.
    function splitTokenId(uint256 id)
        internal
        pure
        returns (uint32 classId, uint32 vintage, uint32 batch)
    {
        classId = uint32(id >> 64);
        vintage = uint32(id >> 32);
        batch = uint32(id);
    }

    /// @notice Months since January 1970 (year * 12 + month - 1, minus 1970 * 12) of a UTC time.
    /// @dev Howard Hinnant's civil-from-days, unsigned because block time is never negative.
    function monthIndex(uint256 timestamp) internal pure returns (uint256) {
        uint256 z = timestamp / 86_400 + 719_468;
        uint256 era = z / 146_097;
        uint256 doe = z - era * 146_097;
        uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        uint256 mp = (5 * doy + 2) / 153;
        uint256 year = yoe + era * 400;
        uint256 month = mp < 10 ? mp + 3 : mp - 9;
        if (month <= 2) year += 1;
        return (year - 1970) * 12 + (month - 1);
    }

    /// @notice The period index of `timestamp` for periods of `periodMonths` calendar months.
    function periodAt(uint8 periodMonths, uint256 timestamp) internal pure returns (uint32) {
        return uint32(monthIndex(timestamp) / periodMonths);
    }

    /// @notice The ERC-1155 account address that stands for a bookkeeping unit.
    function unitAccount(uint32 unitId) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked("tracenet.unit", unitId)))));
    }
}
