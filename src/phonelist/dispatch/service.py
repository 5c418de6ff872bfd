"""The dispatch service on the core: workers, the immediate hand-over, delivery receipts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from phonelist.clock import utcnow
from phonelist.config import Settings
from phonelist.dispatch.dispatcher import Dispatcher, DispatchSettings
from phonelist.dispatch.receipts import Receipt, apply_receipt_in
from phonelist.dispatch.senders import ProcessSenders
from phonelist.gateways import DeliveryReport, Gateway
from phonelist.policy.service import PolicyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Permission
from phonelist.store import Store
from phonelist.suppression.service import SuppressionService

__all__ = ["DispatchService", "DispatchSettings"]


class DispatchService:
    """``gateway`` is the core's: whoever swaps the core's gateway sets this one too.

    ``gateway_factory`` (picklable, e.g. ``functools.partial(build_gateway, settings)``) lets
    ``worker_send_processes`` child processes build their own gateway (senders.py).
    """

    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        policy: PolicyService,
        gateway: Gateway,
        suppressions: SuppressionService,
        settings: DispatchSettings | Settings,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.policy = policy
        self.gateway = gateway
        self.suppressions = suppressions
        if isinstance(settings, Settings):
            settings = DispatchSettings.from_settings(settings)
        self.settings = settings
        self.gateway_factory: Callable[[], Gateway] | None = None

    def dispatcher(
        self, *, worker_id: str | None = None, batch_size: int | None = None
    ) -> Dispatcher:
        settings = self.settings
        if batch_size is not None:
            settings = replace(settings, batch_size=batch_size)
        senders = None
        if settings.send_processes > 0 and self.gateway_factory is not None:
            senders = ProcessSenders(self.gateway_factory, settings.send_processes)
        return Dispatcher(
            self.store,
            self.keyring,
            self.policy,
            self.gateway,
            self.suppressions,
            settings,
            worker_id=worker_id,
            senders=senders,
        )

    def apply_receipt(
        self, actor: Actor, report: DeliveryReport, now: dt.datetime | None = None
    ) -> Receipt:
        """A status callback, already verified by the gateway; safe to repeat."""
        actor.require(Permission.INBOUND_PROCESS)
        with self.store.write() as session:
            return apply_receipt_in(
                session, self.keyring, self.suppressions, report, now or utcnow()
            )
