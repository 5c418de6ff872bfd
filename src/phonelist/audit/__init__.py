"""The audit log: every change, recorded in the same transaction as the change, hash-chained."""

from phonelist.audit.chain import Problem, VerifyReport
from phonelist.audit.log import record
from phonelist.audit.service import AuditFilter, AuditPage, AuditService, EventOut

__all__ = [
    "AuditFilter",
    "AuditPage",
    "AuditService",
    "EventOut",
    "Problem",
    "VerifyReport",
    "record",
]
