"""Cogs: thin adapters from Discord interactions to the core. `_name` modules are helpers."""
