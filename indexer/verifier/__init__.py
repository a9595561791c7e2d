"""The chain-only verifier: chain reading, rule checks along a lineage, the Sustainability
Declaration and their command lines."""
