"""The package layout, checked: every module under leads/ has a test module that mirrors it, or is named here
with the tests that cover it. A new module with neither fails, so nothing goes untested by being forgotten.
And tests share helpers through tests/factories.py (or another helper module), never by importing a test
module or conftest.py."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEADS = ROOT / "leads"
TESTS = ROOT / "tests"
# A test module (tests/**/test_*.py) or a conftest.py, as a dotted name.
TEST_MODULE = re.compile(r"^tests(\.\w+)*\.(test_\w+|conftest)$")

# Modules whose behaviour is proven through another module's tests (a page through its service's tests and the
# browser tests, a table through the services that use it). Each names the test files that do it.
COVERED_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "consent/mailings.py": ("tests/consent/test_sending.py", "tests/consent/test_marketing.py"),
    "consent/unsubscribe.py": ("tests/consent/test_sending.py", "tests/web/test_unsubscribe.py"),
    "consent/mailer.py": ("tests/consent/test_sending.py",),
    "rules/mailtext.py": ("tests/consent/test_sending.py", "tests/web/test_unsubscribe.py"),
    "web/mailings.py": ("tests/consent/test_marketing.py",),
    "cli/marketing.py": ("tests/web/test_marketing.py",),
    "cli/options.py": ("tests/cli/test_cli.py", "tests/cli/test_jobs.py"),
    "workspace/dashboard.py": ("tests/web/test_pages.py", "tests/web/test_browser.py"),
    "workspace/queries.py": ("tests/web/test_pages.py", "tests/web/test_webhooks.py"),
    "workspace/listpages.py": ("tests/web/test_pages.py", "tests/web/test_browser_workspace.py"),
    "workspace/installpage.py": ("tests/web/test_pages.py", "tests/web/test_browser_workspace.py"),
    "rights/requestpage.py": ("tests/web/test_rights.py", "tests/web/test_browser_rights.py"),
    "rights/privacy_page.py": ("tests/web/test_privacy.py", "tests/web/test_browser_privacy.py"),
    "retention/exportcache.py": ("tests/rights/test_delivery.py", "tests/web/test_browser_privacy.py"),
    "demo/consent.py": ("tests/demo/test_demo.py",),
    "demo/support.py": ("tests/demo/test_demo.py",),
    "grants/plans.py": ("tests/grants/test_grants.py", "tests/web/test_grants.py"),
    "retention/destroy.py": ("tests/retention/test_sweeper.py", "tests/rights/test_actions.py"),
    "retention/holds.py": ("tests/retention/test_sweeper.py", "tests/web/test_retention.py"),
    "web/marketing_forms.py": ("tests/web/test_marketing.py",),
    "web/nurture.py": ("tests/workspace/test_nurture.py", "tests/web/test_browser.py"),
    "web/permissions.py": ("tests/web/test_role_matrix.py", "tests/web/test_security.py"),
    "web/templating.py": ("tests/web/test_pages.py",),
    "workspace/pager.py": ("tests/workspace/test_leadlist.py", "tests/workspace/test_installlist.py"),
    "workspace/person.py": ("tests/web/test_browser_people.py", "tests/web/test_access.py"),
    "grants/lapse.py": ("tests/grants/test_clocks.py", "tests/grants/test_grants.py"),
    "ingest/corrections.py": ("tests/rights/test_rectification.py",),
    "ingest/failures.py": ("tests/ingest/test_sync.py", "tests/ingest/test_clocks.py"),
    "jobs/runs.py": ("tests/jobs/test_locks.py", "tests/workspace/test_jobstatus.py", "tests/test_crashes.py"),
    "jobs/schedule.py": ("tests/workspace/test_jobstatus.py", "tests/cli/test_worker.py"),
    "retention/report.py": ("tests/retention/test_sweeper.py",),
    "retention/watch.py": ("tests/web/test_jobs.py", "tests/retention/test_sweeper.py"),
    "rights/history.py": ("tests/web/test_rights.py", "tests/rights/test_register.py"),
    "rules/people.py": ("tests/people/test_subjects.py",),
    "rules/purposes.py": ("tests/rules/test_consent.py", "tests/rules/test_datamap.py"),
    "web/followups.py": ("tests/workspace/test_followups.py", "tests/web/test_browser_workspace.py"),
    "web/inputs.py": ("tests/web/test_hostile_input.py",),
    "web/refusals.py": ("tests/web/test_forms.py", "tests/web/test_browser_grants.py"),
    "web/people.py": ("tests/web/test_browser_people.py", "tests/web/test_access.py"),
    "web/rights/actions.py": ("tests/web/test_rights.py", "tests/rights/test_coverage.py"),
    "web/rights/page.py": ("tests/web/test_rights.py", "tests/web/test_browser_rights.py"),
    "web/rights/register.py": ("tests/web/test_rights.py", "tests/web/test_browser_rights.py"),
    "web/rights/steps.py": ("tests/web/test_rights.py", "tests/web/test_browser_rights.py"),
    "staff/signins.py": ("tests/web/test_auth_events.py",),
    "web/sign_in_forms.py": ("tests/web/test_second_factor.py", "tests/web/test_sso.py"),
    "web/saved_views.py": ("tests/workspace/test_saved_views.py", "tests/web/test_browser_workspace.py"),
}


def _modules() -> list[str]:
    found = (path.relative_to(LEADS).as_posix() for path in LEADS.rglob("*.py"))
    # Package __init__ files hold docstrings (or the app factory, the CLI root and the demo loader, each tested
    # by the tests of its package); models are tables, proven by tests/test_db.py and every service's tests.
    return sorted(m for m in found if not m.endswith("__init__.py") and not m.startswith("models/"))


def _mirror(module: str) -> Path:
    folder, _, name = module.rpartition("/")
    return ROOT / "tests" / folder / f"test_{name}"


@pytest.mark.parametrize("module", _modules())
def test_every_module_has_its_tests(module):
    if _mirror(module).exists():
        assert module not in COVERED_ELSEWHERE, f"{module} has its own test module now: drop it from the list"
        return
    assert module in COVERED_ELSEWHERE, f"{module} has no {_mirror(module).relative_to(ROOT)} and is not listed"
    for test_file in COVERED_ELSEWHERE[module]:
        assert (ROOT / test_file).exists(), f"{test_file}, named as covering {module}, does not exist"


def test_the_list_names_only_modules_that_exist():
    assert set(COVERED_ELSEWHERE) <= set(_modules())


def test_the_top_level_holds_only_layers_and_domains():
    names = sorted(p.name for p in LEADS.iterdir() if p.name != "__pycache__")
    # 15 packages (each a layer or a domain), the factory, config, db and the one tombstone writer: not a drawer
    assert len(names) <= 19, names


def _imports(source: str, package: str) -> Iterator[str]:
    """Every module `source` (a module of `package`) imports, anywhere in it, function bodies too: `from a import
    b` yields both `a` and `a.b`, since b may be a module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize(
    ("source", "package", "caught"),
    [
        ("from tests.retention.test_sweeper import add_lead", "tests.rights", True),
        ("def f():\n    from tests.web.test_sessions import browser", "tests.web", True),
        ("from tests.web import test_sessions", "tests", True),
        ("from .test_sweeper import add_lead", "tests.retention", True),
        ("from ..web.test_pages import add_lead", "tests.retention", True),
        ("import tests.conftest", "tests", True),
        ("from tests.conftest import PASSWORD", "tests.web", True),
        ("from tests.factories import PASSWORD, add_lead", "tests.web", False),
        ("from tests.web.walk import populate", "tests.web", False),
        ("from . import walk", "tests.web", False),
        ("from leads.web import test_mode", "tests.web", False),
    ],
)
def test_the_import_check_catches_a_test_module_however_it_is_imported(source, package, caught):
    assert any(TEST_MODULE.match(name) for name in _imports(source, package)) is caught


def test_no_test_module_imports_another_or_conftest():
    """Shared helpers live in tests/factories.py (or a helper module such as tests/browser.py); fixtures reach
    tests through conftest.py. Importing a test module runs its module-level code a second time under
    another name and ties one module's tests to another's helpers (issue #28)."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        found += [f"{path.relative_to(ROOT)} imports {name}" for name in _imports(path.read_text(), package)]
    offenders = [line for line in found if TEST_MODULE.match(line.rpartition(" imports ")[2])]
    assert not offenders, "move what is shared to tests/factories.py:\n" + "\n".join(offenders)
