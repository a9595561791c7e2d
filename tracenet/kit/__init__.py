"""What the services share below their own packages: small, self-contained helpers, one module
each (``tracenet.kit.ratelimit``: the per-client limit of the public routes)."""

__all__: list[str] = []
