"""The policy engine: rule packs, calendars, hours and the pure decide() (COMPLIANCE.md)."""
