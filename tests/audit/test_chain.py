"""The audit log's hash chain: every event linked, every kind of tampering named by verify."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from sqlalchemy import delete, select, update

from phonelist import Phonelist
from phonelist.audit import record
from phonelist.audit.chain import GENESIS, VerifyReport, mac
from phonelist.audit.service import MAX_CURSOR
from phonelist.errors import ConfigError, PermissionDenied, ValidationError
from phonelist.security.crypto import Keyring
from phonelist.security.permissions import Actor, Role
from phonelist.store import Store
from phonelist.store.models import AuditEvent, AuditHead


def append(core: Phonelist, actor: Actor, count: int, action: str = "test.event") -> list[int]:
    """Append ``count`` events, one transaction each; returns their ids."""
    for i in range(count):
        with core.store.write() as session:
            record(session, actor, action, "thing", f"t{i}", {"i": i, "tags": ["a", "b"]})
    with core.store.read() as session:
        ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(count))
        return sorted(ids)


def report(core: Phonelist, actor: Actor) -> VerifyReport:
    return core.audit.verify(actor)


def kinds(result: VerifyReport) -> list[tuple[str, int | None]]:
    return [(p.kind, p.event_id) for p in result.problems]


def chain(core: Phonelist) -> list[AuditEvent]:
    with core.store.read() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def change(core: Phonelist, event_id: int, **values: object) -> None:
    with core.store.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(**values))


def test_every_event_is_linked_to_the_one_before(core: Phonelist, actor: Actor) -> None:
    append(core, actor, 4)

    events = chain(core)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert all(e.hash is not None and len(e.hash) == 64 for e in events)
    with core.store.read() as session:
        head = session.get(AuditHead, actor.workspace_id)
    assert head is not None and (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    result = report(core, actor)
    assert result.ok and result.events == len(events) == result.head_seq


def test_events_of_one_transaction_are_chained_in_the_order_written(
    core: Phonelist, actor: Actor
) -> None:
    with core.store.write() as session:
        for i in range(3):
            record(session, actor, "test.batch", "thing", str(i), {})
    batch = [e for e in chain(core) if e.action == "test.batch"]
    assert [e.subject_id for e in batch] == ["0", "1", "2"]
    assert [e.seq for e in batch] == [batch[0].seq, batch[0].seq + 1, batch[0].seq + 2]


def test_a_rolled_back_change_leaves_no_event(core: Phonelist, actor: Actor) -> None:
    before = len(chain(core))
    with pytest.raises(RuntimeError), core.store.write() as session:
        record(session, actor, "test.event", "thing", "x", {})
        raise RuntimeError("the change failed")
    append(core, actor, 1)
    assert len(chain(core)) == before + 1
    assert report(core, actor).ok


def test_an_edited_detail_is_named(core: Phonelist, actor: Actor) -> None:
    ids = append(core, actor, 3)
    change(core, ids[1], detail={"i": 99, "tags": ["a", "b"]})

    assert kinds(report(core, actor)) == [("edited", ids[1])]


@pytest.mark.parametrize("column", ["actor", "action", "subject_id", "at"])
def test_every_chained_column_is_covered(core: Phonelist, actor: Actor, column: str) -> None:
    ids = append(core, actor, 2)
    with core.store.read() as session:
        row = session.get(AuditEvent, ids[0])
        assert row is not None
        value = getattr(row, column)
    new = value + dt.timedelta(seconds=1) if column == "at" else f"{value}x"
    change(core, ids[0], **{column: new})

    assert kinds(report(core, actor)) == [("edited", ids[0])]


def test_a_deleted_middle_event_is_named(core: Phonelist, actor: Actor) -> None:
    ids = append(core, actor, 3)
    with core.store.read() as session:
        seq = session.scalar(select(AuditEvent.seq).where(AuditEvent.id == ids[1]))
    with core.store.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))

    result = report(core, actor)
    assert [(p.kind, p.seq) for p in result.problems] == [("missing", seq)]
    assert f"#{seq}" in result.problems[0].message


def test_a_deleted_last_event_is_a_cut_tail(core: Phonelist, actor: Actor) -> None:
    ids = append(core, actor, 3)
    with core.store.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))

    result = report(core, actor)
    assert [p.kind for p in result.problems] == ["cut_tail"]
    assert "deleted from the end" in result.problems[0].message


def test_two_swapped_events_are_named_as_reordered(core: Phonelist, actor: Actor) -> None:
    ids = append(core, actor, 4)
    with core.store.read() as session:
        first, second = (session.get(AuditEvent, i) for i in ids[1:3])
        assert first is not None and second is not None
        seqs = first.seq, second.seq
    change(core, ids[1], seq=-1)
    change(core, ids[2], seq=seqs[0])
    change(core, ids[1], seq=seqs[1])

    result = report(core, actor)
    assert sorted(kinds(result)) == sorted([("reordered", ids[2]), ("reordered", ids[1])])


def test_a_hash_forged_without_the_key_is_caught(core: Phonelist, actor: Actor) -> None:
    ids = append(core, actor, 2)
    with core.store.read() as session:
        row = session.get(AuditEvent, ids[0])
        assert row is not None and row.seq is not None
        row.detail = {"i": 1000}
        forged = mac(Keyring.generate(), row, row.prev_hash or "", row.seq)
    change(core, ids[0], detail={"i": 1000}, hash=forged)
    # The forger also fixes the next link and the head, so that only the MACs can tell.
    change(core, ids[1], prev_hash=forged)

    assert kinds(report(core, actor)) == [("edited", ids[0]), ("edited", ids[1])]


def test_a_changed_head_is_named(core: Phonelist, actor: Actor) -> None:
    append(core, actor, 1)
    with core.store.engine.begin() as conn:
        conn.execute(update(AuditHead).values(hash="f" * 64))

    assert [p.kind for p in report(core, actor).problems] == ["head_mismatch"]


def test_an_event_inserted_outside_phonelist_is_not_linked_in(
    core: Phonelist, actor: Actor
) -> None:
    append(core, actor, 1)
    with core.store.engine.begin() as conn:
        conn.execute(
            AuditEvent.__table__.insert().values(
                workspace_id=actor.workspace_id,
                at=chain(core)[-1].at,
                actor="user:x",
                action="test.forged",
                subject_type="thing",
                subject_id=None,
                detail={},
            )
        )
    append(core, actor, 1)  # a later append does not adopt it

    result = report(core, actor)
    assert [p.kind for p in result.problems] == ["unlinked"]


def test_events_from_before_the_chain_are_linked_by_the_first_append(
    core: Phonelist, actor: Actor
) -> None:
    append(core, actor, 3)
    with core.store.engine.begin() as conn:  # as the database was before migration 0005
        conn.execute(update(AuditEvent).values(seq=None, prev_hash=None, hash=None))
        conn.execute(delete(AuditHead))
    old = [e.id for e in chain(core)]

    append(core, actor, 1)

    events = chain(core)
    assert [e.id for e in events][: len(old)] == sorted(old)
    assert [e.seq for e in events] == list(range(1, len(old) + 2))
    assert report(core, actor).ok


def test_recording_needs_the_keyring(core: Phonelist, actor: Actor) -> None:
    bare = Store(core.store.engine)
    with pytest.raises(ConfigError, match="keyring"), bare.write() as session:
        record(session, actor, "test.event", "thing", None, {})


def test_reading_and_verifying_need_audit_read(core: Phonelist, actor: Actor) -> None:
    for role in (Role.EDITOR, Role.AGENT, Role.VIEWER):
        other = Actor(actor.workspace_id, role, "user", "u1")
        with pytest.raises(PermissionDenied):
            core.audit.verify(other)
        with pytest.raises(PermissionDenied):
            core.audit.events(other)
    admin = Actor(actor.workspace_id, Role.ADMIN, "user", "u2")
    assert core.audit.verify(admin).ok


def test_the_cursor_is_bounded_by_the_32_bit_event_id(core: Phonelist, actor: Actor) -> None:
    """Found by schemathesis: a cursor past INTEGER was "integer out of range" on PostgreSQL."""
    newest = core.audit.events(actor, limit=5).items
    assert newest
    assert core.audit.events(actor, limit=5, cursor=MAX_CURSOR).items == newest
    for bad in (0, MAX_CURSOR + 1, 2**63 - 2):
        with pytest.raises(ValidationError, match="cursor") as caught:
            core.audit.events(actor, cursor=bad)
        assert caught.value.field == "cursor"


def test_concurrent_writers_keep_one_linear_chain(core: Phonelist, actor: Actor) -> None:
    """On PostgreSQL the head row's lock makes writers take turns; SQLite serialises anyway."""
    threads, per_thread = 4, 10
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with core.store.write() as session:
                    record(session, actor, "test.race", "thread", str(n), {"i": i})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    events = chain(core)
    assert sum(e.action == "test.race" for e in events) == threads * per_thread
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert report(core, actor).ok
