"""Encrypted, compressed, verifiable backups of the whole store (docs/backups.md)."""

from phonelist.backup.service import (
    BackupInfo,
    BackupService,
    restore_backup,
    run_scheduled_backup,
    verify_backup,
)

__all__ = [
    "BackupInfo",
    "BackupService",
    "restore_backup",
    "run_scheduled_backup",
    "verify_backup",
]
