"""The role matrix as data: every row names known roles, and an unknown permission is an error, not a no."""

from __future__ import annotations

import pytest

from leads.rules.vocabulary import ROLES
from leads.staff.roles import PERMISSIONS, allows


def test_every_permission_names_only_known_roles():
    assert all(roles and roles <= set(ROLES) for roles in PERMISSIONS.values())


def test_admins_hold_every_permission():
    assert all(allows("admin", permission) for permission in PERMISSIONS)


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [("sales", "marketing.act", True), ("support", "marketing.act", False), ("sales", "rights.erase", False)],
)
def test_allows_reads_the_matrix(role, permission, expected):
    assert allows(role, permission) is expected


def test_an_unknown_permission_is_a_programming_error():
    with pytest.raises(KeyError):
        allows("admin", "leads.delete_everything")
