"""Consent: the ledger, capture, inbound replies and opt-outs (COMPLIANCE.md C1-C8, O1-O8)."""
