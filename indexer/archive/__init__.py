"""The ledger's record as files that outlive any server: ``tracenet archive export`` writes every
event, block anchor and head view of a deployment to JSON Lines; ``tracenet archive verify``
recomputes balances, supplies, the R13 reconciliation and every claim's verdict from those files
alone, and, given a node, says whether they are the chain's."""

from tracenet.indexer.archive._books import Books, ClassSupply, compute_books, unit_account
from tracenet.indexer.archive._check import ArchiveCheck, ArchiveReport, check_archive
from tracenet.indexer.archive._export import ArchiveError, ExportSummary, export_archive

__all__ = [
    "ArchiveCheck",
    "ArchiveError",
    "ArchiveReport",
    "Books",
    "ClassSupply",
    "ExportSummary",
    "check_archive",
    "compute_books",
    "export_archive",
    "unit_account",
]
