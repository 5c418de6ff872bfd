"""Send a few just-queued messages now, through the dispatcher's own path.

The consent domain's automatic replies (O5, O6) are queued in the transaction of the change
that caused them and handed over right after its commit, so a confirmation goes out within
seconds even where no worker runs. This is that hand-over: the same claim, lease, idempotency
key and status updates as the worker, so a reply that fails retryably is left ``queued`` with a
backoff for the worker, and one interrupted mid-send is resent under the same key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from phonelist.dispatch.dispatcher import Dispatcher, DispatchSettings
from phonelist.gateways import Gateway
from phonelist.security.crypto import Keyring
from phonelist.store import Store

__all__ = ["send_now"]


def send_now(
    store: Store,
    keyring: Keyring,
    gateway: Gateway,
    message_ids: Sequence[str],
    now: dt.datetime,
    settings: DispatchSettings | None = None,
) -> list[tuple[str, str]]:
    """Send these queued messages (replies: no policy check); returns provider opt-outs."""
    if not message_ids:
        return []
    dispatcher = Dispatcher(
        store,
        keyring,
        None,
        gateway,
        None,
        settings or DispatchSettings(threads=1),
        worker_id="immediate-" + message_ids[0][:40],
    )
    try:
        claimed = dispatcher.claim(now, ids=message_ids)
        if claimed:
            dispatcher.process(claimed, now)
    finally:
        dispatcher.close()
    return dispatcher.opt_outs
