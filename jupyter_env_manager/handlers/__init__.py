"""HTTP handlers: thin adapters between tornado and the core."""
