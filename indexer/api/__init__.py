"""The read API (FastAPI): dependencies, routes, typed response models, the reports behind
them, read keys and signed reports."""
