"""The request pipeline: the app holds exactly the hooks `leads.web.pipeline` lists, run in its order, and no
other module registers one."""

from __future__ import annotations

import re
from pathlib import Path

from leads.web import pipeline

LEADS = Path(__file__).resolve().parents[2] / "leads"
REGISTERS_A_HOOK = re.compile(r"\.(before|after)_(app_)?request\b|\.teardown_(app_)?(request|appcontext)\b")


def _registered(registry):
    return {name: hooks for name, hooks in registry.items() if hooks}


def test_the_app_holds_exactly_the_pipelines_hooks(app):
    listed = app.extensions["radnac.pipeline"]
    assert _registered(app.before_request_funcs) == {None: listed.before_request}
    # Flask runs after-request and teardown hooks last registered first: the pipeline lists them as they run.
    assert _registered(app.after_request_funcs) == {None: listed.after_request[::-1]}
    assert _registered(app.teardown_request_funcs) == {None: listed.teardown_request[::-1]}
    assert app.teardown_appcontext_funcs == listed.teardown_appcontext[::-1]
    assert not _registered(app.url_value_preprocessors)


def test_our_hooks_run_in_the_listed_order(app):
    listed = app.extensions["radnac.pipeline"]
    ours = [hook.__qualname__ for hook in listed.before_request if hook.__module__.startswith("leads.")]
    assert ours == ["refuse_nul", "enforce", "require_login", "enrol_first"]
    ours = [hook.__qualname__ for hook in listed.after_request if hook.__module__.startswith("leads.")]
    assert ours == ["add_headers", "offer_provider_logout", "send_said", "vary_on_hx_request"]
    # the extensions' hooks sit where the pipeline puts them: CSRF second, the login throttle last
    assert listed.before_request[1].__module__ == "flask_wtf.csrf"
    assert type(listed.before_request[-1].__self__).__name__ == "Limiter"


def test_no_other_module_registers_a_hook():
    registering = sorted(
        path.relative_to(LEADS).as_posix()
        for path in LEADS.rglob("*.py")
        if REGISTERS_A_HOOK.search(path.read_text(encoding="utf-8")) and path != Path(pipeline.__file__)
    )
    assert registering == []
