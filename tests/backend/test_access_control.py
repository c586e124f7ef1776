"""Who may use a workspace model: owners, grants to a user, to everyone, to groups."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from reference_backend.models import config
from reference_backend.models import models as workspace
from reference_backend.models.access_grants import AccessGrant, normalize
from reference_backend.models.groups import group_ids_of
from reference_backend.utils import access_control

ADMIN = SimpleNamespace(id="admin", role="admin")
ALICE = SimpleNamespace(id="alice", role="user")
BOB = SimpleNamespace(id="bob", role="user")
EVERYONE = {"principal_type": "user", "principal_id": "*", "permission": "read"}


def grant(kind: str, principal: str, permission: str = "read") -> dict:
    return {"principal_type": kind, "principal_id": principal, "permission": permission}


def add(db: Session, model_id: str, owner, base="base", grants=()) -> workspace.Model:
    form = workspace.ModelForm(
        id=model_id,
        base_model_id=base,
        name=model_id,
        meta={},
        params={},
        access_grants=list(grants),
    )
    return workspace.insert_model(db, form, owner.id)


def test_a_forms_grants_are_normalised_as_upstream_does():
    form = [
        grant("user", "bob"),
        grant("user", "bob"),  # a repeat
        grant("group", "g", "write"),
        grant("anyone", "*"),
        grant("anyone", "*", "write"),  # anonymous writers do not exist
        grant("user", ""),
        grant("team", "t"),
        grant("user", "bob", "own"),
        "junk",
    ]
    assert normalize(form) == [
        grant("user", "bob"),
        grant("group", "g", "write"),
        grant("anyone", "*"),
    ]
    assert normalize(None) == []


def test_users_give_only_the_grants_their_permissions_allow(db: Session):
    form = [EVERYONE, grant("user", "bob"), grant("group", "g"), grant("anyone", "*")]
    # Models are never shared with anonymous readers, even by an admin.
    assert access_control.allowed_grants(db, ADMIN, form) == form[:3]
    config.upsert(db, {"user.permissions": {"sharing": {"models": False}}})
    assert access_control.allowed_grants(db, ALICE, form) == []
    permissions = {
        "sharing": {"models": True, "public_models": False},
        "access_grants": {"allow_users": True, "allow_groups": False},
    }
    config.upsert(db, {"user.permissions": permissions})
    assert access_control.allowed_grants(db, ALICE, form) == [grant("user", "bob")]


def test_a_model_is_created_and_deleted_with_its_grants(db: Session):
    model = add(db, "shared", ADMIN, grants=[EVERYONE, grant("user", "bob", "write")])
    response = workspace.to_response(db, model)
    assert [
        {key: each[key] for key in EVERYONE} for each in response["access_grants"]
    ] == [EVERYONE, grant("user", "bob", "write")]
    assert {each["resource_id"] for each in response["access_grants"]} == {"shared"}
    workspace.delete_model(db, model)
    assert db.scalars(select(AccessGrant)).all() == []


def test_owners_and_grantees_may_use_a_model_and_its_base_models(db: Session):
    add(db, "base", ADMIN, base=None, grants=[EVERYONE])
    own = add(db, "own", ALICE)
    for_bob = add(db, "for-bob", ADMIN, grants=[grant("user", "bob")])
    private_base = add(db, "private-base", ADMIN, base=None)
    on_private = add(db, "on-private", ALICE, base="private-base")
    unregistered = add(db, "on-nothing", ALICE, base="nothing")
    assert access_control.may_use(db, ALICE, own)
    assert not access_control.may_use(db, ALICE, for_bob)
    assert access_control.may_use(db, BOB, for_bob)
    # A preset of one's own does not lend its base model.
    assert not access_control.may_use(db, ALICE, on_private)
    assert not access_control.may_use(db, ALICE, unregistered)
    assert not access_control.may_use(db, ALICE, None)
    assert all(
        access_control.may_use(db, ADMIN, row)
        for row in (private_base, on_private, unregistered, None)
    )


def test_a_write_grant_lets_a_user_change_a_model(db: Session):
    model = add(db, "m", ADMIN, grants=[grant("user", "bob", "write"), EVERYONE])
    assert access_control.may_write(db, BOB, model)
    assert not access_control.may_write(db, ALICE, model)
    assert access_control.may_write(db, ADMIN, model)


@pytest.fixture
def groups(db: Session) -> Session:
    """Open WebUI's group tables, as its migrations leave them (the columns read),
    with alice in `team`, whose parent is `org`; `gone`'s row is deleted."""
    db.execute(text('CREATE TABLE "group" (id TEXT PRIMARY KEY, parent_group_id TEXT)'))
    db.execute(text("CREATE TABLE group_member (id TEXT, group_id TEXT, user_id TEXT)"))
    db.execute(text("""INSERT INTO "group" VALUES ('org', NULL), ('team', 'org')"""))
    db.execute(
        text(
            "INSERT INTO group_member VALUES"
            " ('1', 'team', 'alice'), ('2', 'gone', 'alice'), ('3', 'org', 'bob')"
        )
    )
    db.commit()
    return db


def test_without_open_webuis_group_tables_nobody_is_in_a_group(db: Session):
    assert group_ids_of(db, "alice") == set()


def test_a_member_of_a_group_is_in_its_parents_too(groups: Session):
    assert group_ids_of(groups, "alice") == {"team", "org"}
    assert group_ids_of(groups, "bob") == {"org"}
    assert group_ids_of(groups, "carol") == set()


def test_a_grant_to_a_group_reaches_its_members_and_their_subgroups(groups: Session):
    for_org = add(groups, "for-org", ADMIN, base=None, grants=[grant("group", "org")])
    for_team = add(
        groups, "for-team", ADMIN, base=None, grants=[grant("group", "team")]
    )
    assert access_control.may_use(groups, ALICE, for_org)
    assert access_control.may_use(groups, BOB, for_org)
    assert access_control.may_use(groups, ALICE, for_team)
    assert not access_control.may_use(groups, BOB, for_team)
    assert access_control.readable_ids(groups, BOB, ["for-org", "for-team", "x"]) == {
        "for-org"
    }


def test_the_list_shows_a_user_the_entries_with_a_row_they_may_read(db: Session):
    add(db, "shared", ADMIN, grants=[EVERYONE])
    add(db, "private", ADMIN)
    add(db, "own", ALICE)
    entries = [
        {"id": "provider"},  # a provider's model without a row
        {"id": "shared", "info": {"user_id": "admin"}},
        {"id": "private", "info": {"user_id": "admin"}},
        {"id": "own", "info": {"user_id": "alice"}},
    ]
    shown = access_control.visible(db, ALICE, entries)
    assert [entry["id"] for entry in shown] == ["shared", "own"]
    assert access_control.visible(db, ADMIN, entries) == entries
