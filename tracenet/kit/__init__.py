"""The bottom floor: what every component shares, written once.

Every component may import from here; nothing here imports a component (``tests/test_house.py``
checks both). ``errors`` is the one exception root, ``timefmt`` the one ISO-8601 formatter,
``keys`` the one API-key hash, ``migrations`` the one Alembic runner, ``webdocs`` the offline
``/docs`` page, ``ratelimit`` the per-client limit of the routes anyone may call, ``procs``
whether a process group still runs, ``quantity`` the one rule for quantities people type
(``6 t``, ``12.5 kg``, ``250 000 g``) to integer grams and back.
"""

from tracenet.kit.errors import TracenetError
from tracenet.kit.keys import hash_key
from tracenet.kit.timefmt import iso_date, iso_time

__all__ = ["TracenetError", "hash_key", "iso_date", "iso_time"]
