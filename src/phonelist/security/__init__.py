"""Accounts, roles, keys and field encryption."""
