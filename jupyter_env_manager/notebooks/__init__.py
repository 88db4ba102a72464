"""Notebooks that carry their environment: pin, check, reproduce (see `environments`)."""
