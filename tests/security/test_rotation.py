"""keys rotate re-encrypts everything, and an interrupted rotation resumes without loss."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from phonelist import Phonelist
from phonelist.contacts import ContactIn, CreateContact
from phonelist.contacts.schemas import ContactOut
from phonelist.security.crypto import Keyring, load_keyring
from phonelist.security.permissions import Actor, Role
from phonelist.security.rotation import SEALED_COLUMNS, KeyRotation
from phonelist.store.models import AuditEvent


def fill(core: Phonelist, actor: Actor, n: int) -> list[ContactOut]:
    core.fields.define(actor, "secret", "text", sensitive=True)
    made = []
    for i in range(n):
        out = core.contacts.apply(
            actor,
            CreateContact(
                ContactIn.model_validate(
                    {
                        "first_name": f"Person{i}",
                        "last_name": "Rot",
                        "phones": [f"+35191234{i:04d}"],
                        "emails": [f"p{i}@example.org"],
                        "custom": {"secret": f"s{i}"},
                        "note": f"n{i}",
                    }
                )
            ),
        )
        assert out is not None
        made.append(out)
    return made


def key_ids(core: Phonelist) -> set[str]:
    found: set[str] = set()
    with core.store.read() as session:
        for model, columns, _, _ in SEALED_COLUMNS:
            for row in session.scalars(select(model)):
                for attribute, *_ in columns:
                    blob: Any = getattr(row, attribute)
                    if blob is not None:
                        found.add(Keyring.key_id_of(blob))
    return found


def test_rotate_reencrypts_everything_and_retires_the_old_key(
    core: Phonelist, actor: Actor
) -> None:
    before = fill(core, actor, 5)
    assert key_ids(core) == {"k1"}
    report = core.rotation().run(actor)
    assert report.active_key == "k2" and report.retired_keys == ["k1"] and not report.resumed
    assert report.rewritten == 5 * 6  # 3 names (2 set) + phone + email + note + secret
    assert key_ids(core) == {"k2"}
    assert set(load_keyring(core.settings.resolved_keys_dir).data_keys) == {"k2"}
    assert [core.contacts.get(actor, c.id) for c in before] == before


def test_interrupted_rotation_resumes_to_the_same_result(core: Phonelist, actor: Actor) -> None:
    before = fill(core, actor, 12)
    keys_dir = core.settings.resolved_keys_dir
    rotation = KeyRotation(core.store, keys_dir, core.keyring, batch_size=5)
    with pytest.raises(KeyboardInterrupt):
        rotation.run(actor, stop_after_batches=2)
    assert key_ids(core) == {"k1", "k2"}  # half done: both keys are still held
    assert set(load_keyring(keys_dir).data_keys) == {"k1", "k2"}
    # A fresh process (new core) can read everything mid-rotation.
    with Phonelist.open(core.settings) as other:
        assert [other.contacts.get(actor, c.id) for c in before] == before
    report = KeyRotation(core.store, keys_dir, core.keyring, batch_size=5).run(actor)
    assert report.resumed and report.active_key == "k2" and report.retired_keys == ["k1"]
    assert key_ids(core) == {"k2"}
    assert [core.contacts.get(actor, c.id) for c in before] == before
    with core.store.read() as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("keys.%")).order_by(AuditEvent.id)
            )
        ]
    assert actions == ["keys.rotate_start", "keys.rotate_finish"]


def test_only_the_owner_rotates(core: Phonelist) -> None:
    admin = Actor(workspace_id=1, role=Role.ADMIN, kind="user", ref="a")
    with pytest.raises(Exception, match="may not"):
        core.rotation().run(admin)
