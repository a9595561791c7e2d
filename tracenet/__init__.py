"""Tracenet's command-line entry point; the components live in their own packages."""

__all__: list[str] = []
