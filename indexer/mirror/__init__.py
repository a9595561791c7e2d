"""The mirror: follower (chain reading, decoding, projection), the SQL store and its tables,
migrations, and ``indexer check``."""
