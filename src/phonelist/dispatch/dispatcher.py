"""The dispatcher: claim due messages, check each again, send, record what happened.

One :meth:`Dispatcher.run_once` is two transactions (docs/dispatch.md has the argument):

1. **claim**: due ``queued`` messages, and ``sending`` ones whose lease expired (a worker died
   mid-send: uncertain, so resent under the same idempotency key), at most one per number, are
   marked ``sending`` with this worker's lease, and committed;
2. **send**: the claimed rows are locked again (``FOR UPDATE`` on PostgreSQL, plus a
   transaction-scoped advisory lock per number; on SQLite the single writer lock), the policy
   engine decides each at the instant of sending, the allowed ones go to the gateway (a small
   thread pool, rate limited), and every outcome is written in the same transaction. An
   opt-out that touches these rows waits for it, so every send happened before the opt-out
   committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, or_, select, text, update
from sqlalchemy.orm import Session

from phonelist.config import Settings
from phonelist.consent.commands import Revoke
from phonelist.dispatch.checks import Pending, decide_batch
from phonelist.dispatch.locks import lock_facts, number_lock
from phonelist.dispatch.outbox import REPLY_KINDS, send_key
from phonelist.dispatch.ratelimit import TokenBucket
from phonelist.dispatch.senders import ProcessSenders
from phonelist.gateways import Gateway, GatewayError, Outbound, SendResult
from phonelist.policy.facts import Decision
from phonelist.policy.service import PolicyService
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Role
from phonelist.store import Store
from phonelist.store.campaign_models import Campaign
from phonelist.store.consent_models import Message
from phonelist.suppression.service import PROVIDER_OPT_OUT_CODES, SuppressionService

__all__ = ["Counts", "DispatchSettings", "Dispatcher"]

log = logging.getLogger(__name__)
_T = cast(Table, Message.__table__)
_HELD = ("paused", "cancelled")  # campaign statuses whose messages wait (or are cancelled)


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 200
    lease_seconds: float = 120.0  # a crashed worker's claim is taken over after this
    poll_seconds: float = 1.0  # the loop's sleep when nothing is due
    threads: int = 8  # concurrent sends within a batch
    send_processes: int = 0  # sends in child processes (senders.py) when a factory is given
    max_attempts: int = 8  # retryable errors: then ``failed``
    backoff_seconds: float = 10.0  # first retry after about this (doubling, with jitter)
    backoff_cap_seconds: float = 3600.0
    gateway_rate: float = 0.0  # messages/s for the gateway; 0: no limit
    status_callback: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchSettings:
        """From ``worker_*``, ``retry_*`` and ``gateway_rate`` (docs/dispatch.md)."""
        return cls(
            batch_size=settings.worker_batch_size,
            lease_seconds=settings.worker_lease_seconds,
            poll_seconds=settings.worker_poll_seconds,
            threads=settings.worker_threads,
            send_processes=settings.worker_send_processes,
            max_attempts=settings.retry_max_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
            backoff_cap_seconds=settings.retry_backoff_cap_seconds,
            gateway_rate=settings.gateway_rate,
        )


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    deferred: int = 0  # quiet hours: back to queued with not_before
    retried: int = 0
    failed: int = 0
    released: int = 0  # claimed but left for later (number busy, shutting down)

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Row:
    pending: Pending
    kind: str
    body: str
    key: str
    attempts: int
    campaign_id: str | None
    values: dict[str, Any] = field(default_factory=dict)  # the status update
    opt_out: str | None = None  # a provider's opt-out code (O7)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        policy: PolicyService | None,
        gateway: Gateway,
        suppressions: SuppressionService | None,
        settings: DispatchSettings | None = None,
        *,
        worker_id: str | None = None,
        rng: random.Random | None = None,
        senders: ProcessSenders | None = None,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.policy = policy
        self.gateway = gateway
        self.suppressions = suppressions
        self.settings = settings or DispatchSettings()
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self.stopping = threading.Event()
        self._rng = rng or random.Random()
        self._bucket = TokenBucket(self.settings.gateway_rate)
        self._campaign_buckets: dict[str, TokenBucket] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.senders = senders  # sends in child processes (senders.py); None: threads here
        # Test hook: called with the message ids right before the sends (the crash tests).
        self.before_send: Callable[[Sequence[str]], None] | None = None
        # Without a SuppressionService, provider opt-outs (number, code) are left here (O7).
        self.opt_outs: list[tuple[str, str]] = []

    def close(self) -> None:
        if self.senders is not None:
            self.senders.close()
            self.senders = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # -- one round ------------------------------------------------------------------------------
    def run_once(self, now: dt.datetime) -> Counts:
        claimed = self.claim(now)
        if not claimed:
            return Counts()
        counts = self.process(claimed, now)
        counts.claimed = len(claimed)
        return counts

    def claim(self, now: dt.datetime, ids: Sequence[str] | None = None) -> list[str]:
        """Mark due messages ``sending`` under this worker's lease; committed on return."""
        postgres = not self.store.is_sqlite
        held = exists().where(Campaign.id == Message.campaign_id, Campaign.status.in_(_HELD))
        due = or_(
            and_(
                Message.status == "queued",
                or_(Message.not_before.is_(None), Message.not_before <= now),
                or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            ),
            and_(Message.status == "sending", Message.claimed_until < now),
        )
        query = select(Message.id, Message.workspace_id, Message.e164_index).where(
            Message.direction == "out", due, ~held
        )
        if ids is not None:
            query = query.where(Message.id.in_(list(ids)))
        query = query.limit(self.settings.batch_size * 2)
        if postgres:
            query = query.with_for_update(skip_locked=True, of=Message)
        with self.store.write() as session:
            chosen: list[tuple[str, int, bytes]] = []
            numbers: set[tuple[int, bytes]] = set()
            for message_id, workspace, index in session.execute(query):
                if (workspace, index) in numbers:
                    continue  # one message per number per round: caps see the one before
                numbers.add((workspace, index))
                chosen.append((message_id, workspace, bytes(index)))
                if len(chosen) >= self.settings.batch_size:
                    break
            if postgres and chosen:
                free = lock_facts(session, {(w, i) for _, w, i in chosen}, skip_locked=True)
                chosen = [c for c in chosen if (c[1], c[2]) in free]
            ids = [c[0] for c in chosen]
            if ids:
                session.execute(
                    update(Message)
                    .where(Message.id.in_(ids))
                    .values(
                        status="sending",
                        claimed_by=self.worker_id,
                        claimed_until=now + dt.timedelta(seconds=self.settings.lease_seconds),
                    )
                    .execution_options(synchronize_session=False)
                )
        return ids

    def process(self, claimed: Sequence[str], now: dt.datetime) -> Counts:
        """Lock, check, send and record the claimed messages, in one transaction."""
        counts = Counts()
        with self.store.write() as session:
            rows = self._lock(session, claimed, counts)
            if not rows:
                return counts
            checked = [r for r in rows if r.kind not in REPLY_KINDS]
            decisions: dict[str, Decision] = {}
            if checked:
                if self.policy is None:
                    raise RuntimeError("checking messages before sending needs the policy")
                decisions = decide_batch(self.policy, [r.pending for r in checked], now)
            self._load_rates(session, rows)
            to_send: list[_Row] = [r for r in rows if r.kind in REPLY_KINDS]
            for row in checked:
                if self._apply_decision(row, decisions[row.pending.id], counts):
                    to_send.append(row)
            if self.before_send is not None:
                self.before_send([r.pending.id for r in to_send])
            for row, outcome in zip(to_send, self._send_all(to_send), strict=True):
                self._apply_outcome(row, outcome, now, counts)
            self._write(session, rows)
            for row in rows:
                if row.opt_out is None:
                    continue
                if self.suppressions is None:
                    self.opt_outs.append((row.pending.e164, row.opt_out))
                else:
                    self._record_opt_out(session, row, now)
        return counts

    # -- steps ----------------------------------------------------------------------------------
    def _lock(self, session: Session, claimed: Sequence[str], counts: Counts) -> list[_Row]:
        query = select(
            Message.id,
            Message.workspace_id,
            Message.e164_index,
            Message.e164_enc,
            Message.body_enc,
            Message.contact_id,
            Message.channel,
            Message.purpose,
            Message.sender,
            Message.kind,
            Message.idempotency_key,
            Message.attempts,
            Message.campaign_id,
        ).where(
            Message.id.in_(list(claimed)),
            Message.status == "sending",
            Message.claimed_by == self.worker_id,
            ~exists().where(Campaign.id == Message.campaign_id, Campaign.status.in_(_HELD)),
        )
        if not self.store.is_sqlite:
            claimed = self._lock_numbers(session, claimed, counts)
            query = query.where(Message.id.in_(claimed)).with_for_update(of=Message)
        found = session.execute(query).all() if claimed else []
        held = sorted(set(claimed) - {r.id for r in found})
        if held:  # paused or cancelled since the claim, or cancelled by an opt-out: not ours
            self._release(session, held)
        rows: list[_Row] = []
        for r in found:
            e164 = self.keyring.decrypt(r.e164_enc, table="messages", column="e164", row_id=r.id)
            body = ""
            if r.body_enc is not None:
                body = self.keyring.decrypt(
                    r.body_enc, table="messages", column="body", row_id=r.id
                )
            pending = Pending(
                r.id,
                r.workspace_id,
                e164,
                r.e164_index,
                r.contact_id,
                r.channel,
                r.purpose or "informational",
                r.sender,
            )
            key = send_key(r.id, r.idempotency_key)
            rows.append(_Row(pending, r.kind, body, key, r.attempts or 0, r.campaign_id))
        return rows

    def _lock_numbers(self, session: Session, claimed: Sequence[str], counts: Counts) -> list[str]:
        """PostgreSQL, in lock order (docs/dispatch.md, "Locks"): numbers, facts, then rows.

        One sender per number at a time across workers (a transaction-scoped advisory lock,
        not waited for: a busy number's message is released for a later round), then the
        number's ``contact_facts`` rows, which the triggers on ``messages`` update and which an
        opt-out locks before it touches the outbox; then the messages themselves (the caller).
        """
        found = session.execute(
            select(Message.id, Message.workspace_id, Message.e164_index).where(
                Message.id.in_(list(claimed))
            )
        ).all()
        keys = {r.id: number_lock(r.workspace_id, bytes(r.e164_index)) for r in found}
        locked = set(
            session.execute(
                text(
                    "SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k "
                    "WHERE pg_try_advisory_xact_lock(k)"
                ),
                {"keys": sorted(set(keys.values()))},
            ).scalars()
        )
        busy = [r.id for r in found if keys[r.id] not in locked]
        if busy:
            self._release(session, busy)
            counts.released += len(busy)
        mine = [r for r in found if keys[r.id] in locked]
        lock_facts(session, {(r.workspace_id, bytes(r.e164_index)) for r in mine})
        return [r.id for r in mine]

    def _release(self, session: Session, ids: Sequence[str]) -> None:
        session.execute(
            update(Message)
            .where(
                Message.id.in_(list(ids)),
                Message.status == "sending",
                Message.claimed_by == self.worker_id,
            )
            .values(status="queued", claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )

    def _apply_decision(self, row: _Row, decision: Decision, counts: Counts) -> bool:
        if decision.allowed:
            return True
        if decision.next_allowed_at is not None:
            row.values = {"status": "queued", "not_before": decision.next_allowed_at}
            counts.deferred += 1
            return False
        blocking = decision.blocking or decision.reasons
        code = blocking[0].code if blocking else "blocked"
        rule = blocking[0].rule if blocking else "policy"
        row.values = {
            "status": "cancelled",
            "error_code": code[:32],
            "error": f"blocked by {rule} at the check before sending"[:200],
        }
        counts.cancelled += 1
        return False

    def _send_all(self, rows: Sequence[_Row]) -> list[SendResult | GatewayError | None]:
        if not rows:
            return []
        if self.senders is not None:
            outbounds: list[Outbound] = []
            for row in rows:
                if self.stopping.is_set():
                    break  # the rest is released
                self._take_tokens(row)
                outbounds.append(self._outbound(row))
            sent: list[SendResult | GatewayError | None] = []
            sent.extend(self.senders.send_many(outbounds))
            return sent + [None] * (len(rows) - len(outbounds))
        if len(rows) == 1 or self.settings.threads <= 1:
            return [self._send_one(r) for r in rows]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="dispatch")
        return list(self._pool.map(self._send_one, rows))

    def _take_tokens(self, row: _Row) -> None:
        self._bucket.acquire()
        if row.campaign_id is not None and row.campaign_id in self._campaign_buckets:
            self._campaign_buckets[row.campaign_id].acquire()

    def _outbound(self, row: _Row) -> Outbound:
        return Outbound(
            row.pending.e164,
            row.body,
            row.pending.sender,
            row.kind,
            idempotency_key=row.key,
            status_callback=self.settings.status_callback,
        )

    def _send_one(self, row: _Row) -> SendResult | GatewayError | None:
        """None: not sent (shutting down), the message is released."""
        if self.stopping.is_set():
            return None
        self._take_tokens(row)
        if self.stopping.is_set():
            return None
        try:
            return self.gateway.send(self._outbound(row))
        except GatewayError as exc:
            return exc
        except Exception as exc:  # a bug or an unmapped failure: retried, never lost
            log.exception("message %s: unexpected error from the gateway", row.pending.id)
            return GatewayError(f"unexpected {type(exc).__name__}", retryable=True, ambiguous=True)

    def _apply_outcome(
        self, row: _Row, outcome: SendResult | GatewayError | None, now: dt.datetime, counts: Counts
    ) -> None:
        if outcome is None:
            row.values = {"status": "queued"}
            counts.released += 1
            return
        attempts = row.attempts + 1
        if isinstance(outcome, SendResult):
            row.values = {
                "status": "sent",
                "provider_ref": outcome.provider_ref,
                "sent_at": now,
                "at": now,  # caps count sends by the instant they went out
                "attempts": attempts,
                "gateway": self.gateway.name,
                "error_code": None,
                "error": None,
                "next_attempt_at": None,
            }
            counts.sent += 1
            return
        code = (outcome.provider_code or outcome.category or outcome.code)[:32]
        if outcome.opt_out or (outcome.provider_code or "").strip() in PROVIDER_OPT_OUT_CODES:
            row.opt_out = (outcome.provider_code or "opt_out").strip()
        retry = outcome.retryable and attempts < self.settings.max_attempts and not row.opt_out
        if retry:
            delay = min(
                self.settings.backoff_cap_seconds,
                self.settings.backoff_seconds * 2 ** (attempts - 1),
            ) * (0.5 + self._rng.random() / 2)
            delay = max(delay, min(outcome.retry_after or 0.0, self.settings.backoff_cap_seconds))
            row.values = {
                "status": "queued",
                "attempts": attempts,
                "next_attempt_at": now + dt.timedelta(seconds=delay),
                "error_code": code,
                "error": code,
            }
            counts.retried += 1
        else:
            row.values = {
                "status": "failed",
                "attempts": attempts,
                "error_code": code,
                "error": code,
                "next_attempt_at": None,
            }
            counts.failed += 1

    def _write(self, session: Session, rows: Sequence[_Row]) -> None:
        """Every outcome of the round, grouped by the columns it sets (executemany)."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            values = dict(row.values, claimed_by=None, claimed_until=None)
            groups.setdefault(tuple(sorted(values)), []).append(
                {"mid": row.pending.id, **{f"v_{k}": v for k, v in values.items()}}
            )
        for columns, params in groups.items():
            statement = (
                _T.update()
                .where(_T.c.id == bindparam("mid"))
                .values({c: bindparam(f"v_{c}") for c in columns})
            )
            session.connection().execute(statement, params)

    def _record_opt_out(self, session: Session, row: _Row, now: dt.datetime) -> None:
        """O7 in the same transaction as the failure that reported it: never lost."""
        code = row.opt_out or "opt_out"
        assert self.suppressions is not None
        actor = Actor(row.pending.workspace_id, Role.OWNER, "system", f"provider-error:{code}")
        self.suppressions.add_in(
            session,
            actor,
            row.pending.e164,
            kind="provider_opt_out",
            source=f"provider error {code}"[:100],
            reason="the provider reports the recipient opted out",
            at=now,
        )
        self.suppressions.consent.apply_in(
            session,
            actor,
            Revoke(
                row.pending.e164, method="provider", affirmative_action=f"provider error {code}"
            ),
            now,
        )

    def _load_rates(self, session: Session, rows: Sequence[_Row]) -> None:
        """A token bucket for each campaign of the round that sets ``rate_limit``."""
        ids = {r.campaign_id for r in rows if r.campaign_id is not None}
        if not ids:
            return
        found = session.execute(
            select(Campaign.id, Campaign.rate_limit).where(
                Campaign.id.in_(sorted(ids)), Campaign.rate_limit.is_not(None)
            )
        )
        for campaign_id, rate in found:
            bucket = self._campaign_buckets.get(campaign_id)
            if rate and rate > 0 and (bucket is None or bucket.rate != rate):
                self._campaign_buckets[campaign_id] = TokenBucket(float(rate))
