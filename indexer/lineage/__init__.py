"""The lineage: pro-rata allocation of credits back to certified inputs, provenance graphs
(JSON and SVG)."""
