"""The Tracenet console: web pages for every person who uses the network.

    from tracenet.console import ConsoleSettings, create_app

    app = create_app(ConsoleSettings(indexer_url="http://127.0.0.1:8700",
                                     gateways={"recycler": "http://127.0.0.1:8600"}))

It is a client of the gateways' and the indexer's HTTP APIs only (it imports neither package):

* buyer pages (no sign-in), by the public reference of the SD's link (issue 25):
  ``/verify/claim/{ref}``, ``/verify/shipment/{ref}``, the search box, and
  ``/chain/{claim|shipment}/{ref}``: the conversion chain step by step, each with its verdict;
  the public view, or the full one to a signed-in party entitled to it (``/open/{kind}/{id}``);
* a party's pages (its gateway API key, kept server-side behind an HttpOnly cookie): balances
  by class and vintage, live requests, one form per ledger operation, statement,
  traceability, footprints, reduction check, Sustainability Declarations;
* auditor pages: the supply audit of a class and period (table and chart), CSV and JSON
  downloads, the report signed by the auditor's own gateway (the key stays there), and the
  verification of an uploaded signed report by the indexer (signature, an active auditor on
  chain and which party, figures recomputed);
* admin and certification-body forms, as far as the gateway's admin routes go.

The pages anyone may open are limited per client (``public_rate_per_minute``, the SD upload
``document_rate_per_minute``): past the rate a 429 page ``TN-CO-429-01`` with Retry-After. The
buyer's address is forwarded to the indexer (``X-Forwarded-For``), whose public routes then
limit each buyer, not the console.

``tracenet console serve`` runs it (``TRACENET_CONSOLE_*`` settings).
"""

from tracenet.console._app import create_app
from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._settings import ConsoleSettings
from tracenet.console.errors import ConsoleError

__all__ = [
    "ApiError",
    "ConsoleError",
    "ConsoleSettings",
    "GatewayClient",
    "IndexerClient",
    "create_app",
]
