"""Dispatch: the outbox, the worker that empties it, retries, rate limits, receipts.

See docs/dispatch.md for the state machine and why every message is sent exactly once.
"""

from phonelist.dispatch.outbox import (
    CONSENT_PURPOSES,
    HANDED_OVER,
    REPLY_KINDS,
    cancel_for_opt_out,
    enqueue,
)

__all__ = ["CONSENT_PURPOSES", "HANDED_OVER", "REPLY_KINDS", "cancel_for_opt_out", "enqueue"]
