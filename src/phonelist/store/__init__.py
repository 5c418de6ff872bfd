"""Persistence: the engine factory, transactions, the schema and its migrations."""

from phonelist.store.engine import Store, build_engine

__all__ = ["Store", "build_engine"]
