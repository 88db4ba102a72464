"""Engines: the tools that actually build environments."""
