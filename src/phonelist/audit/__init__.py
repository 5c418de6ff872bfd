"""The audit log: every change, recorded in the same transaction as the change."""

from phonelist.audit.log import record

__all__ = ["record"]
