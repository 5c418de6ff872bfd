"""Suppression: the internal do-not-contact list, national registries, provider signals
(COMPLIANCE.md D1-D5, O7).
"""
