"""Revisions of the mirror's schema, oldest first."""
