"""The audit trail in words: every action the code writes has its own sentence (found by reading the code),
and the sentences say what happened in plain words, never JSON."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from leads.rules import auditwords, consent

ROOT = Path(__file__).resolve().parents[2]
#: Calls that pass an audit action positionally: function name -> (argument index, prefix the callee adds).
#: `_audit` means two things: the rights actions' (adds "rights.") and the consent gate's.
POSITIONAL = {
    "_audit_then_commit": (4, ""),
    "_save": (4, "rights."),
    "audit_list": (2, ""),
    "_move": (3, "person."),
    "_through_gate": (1, ""),
    "_set_field": (3, ""),
}
PER_FILE = {("_audit", "leads/rights/actions.py"): (4, "rights."), ("_audit", "leads/consent/records.py"): (1, "")}
#: Calls that write an audit event and take the action by keyword, and the prefix the callee adds.
KEYWORDS = {"record": "", "commit": "", "gate": "", "audit_request": "rights."}
#: Actions passed through a parameter whose values come from one place the scan cannot follow (the close step
#: takes its outcome from the request's closing form).
FROM_PARAMETERS = {("leads/rights/register.py", "status"): {"completed", "refused"}}


def _name(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def _params(function: ast.AST | None) -> set[str]:
    if function is None:
        return set()
    arguments = function.args  # type: ignore[attr-defined]
    return {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}


class Scan:
    """Every audit action written anywhere under leads/, read from the code: literals, module constants,
    local variables, conditional expressions and f-strings (whose varying part makes a family)."""

    def __init__(self) -> None:
        self.actions: set[str] = set()
        self.families: set[str] = set()

    def file(self, path: Path) -> None:
        relative = path.relative_to(ROOT).as_posix()
        module = importlib.import_module(relative.removesuffix(".py").replace("/", ".").removesuffix(".__init__"))
        tree = ast.parse(path.read_text())
        for function, call in self._calls(tree):
            for node, prefix in self._action_args(call, relative):
                self._resolve(node, prefix, module, function, relative)

    def _calls(self, tree: ast.AST):
        def walk(node, function):
            for child in ast.iter_child_nodes(node):
                inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
                if isinstance(child, ast.Call):
                    yield inner, child
                yield from walk(child, inner)

        yield from walk(tree, None)

    def _action_args(self, call: ast.Call, relative: str):
        name = _name(call)
        for keyword in call.keywords:
            if keyword.arg in ("action", "action_code") and name in KEYWORDS:
                yield keyword.value, KEYWORDS[name]
        index, prefix = PER_FILE.get((name, relative)) or POSITIONAL.get(name) or (None, "")
        if index is not None and len(call.args) > index:
            yield call.args[index], prefix

    def _resolve(self, node, prefix, module, function, relative) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.actions.add(prefix + node.value)
        elif isinstance(node, ast.IfExp):
            for branch in (node.body, node.orelse):
                self._resolve(branch, prefix, module, function, relative)
        elif isinstance(node, ast.Name):
            self._name(node.id, prefix, module, function, relative)
        elif isinstance(node, ast.JoinedStr):
            self._fstring(node, prefix, module, function)
        else:
            raise AssertionError(f"{relative}:{node.lineno}: an audit action the scan cannot read")

    def _name(self, name, prefix, module, function, relative) -> None:
        if (relative, name) in FROM_PARAMETERS:
            self.actions |= {prefix + value for value in FROM_PARAMETERS[relative, name]}
        elif name in _params(function):
            return  # passed through: its values are read at the calls of `function`
        elif function is not None and (local := _assigned(function, name)):
            for value in local:
                self._resolve(value, prefix, module, function, relative)
        else:
            self.actions.add(prefix + getattr(module, name))

    def _fstring(self, node, prefix, module, function) -> None:
        text, fixed = prefix, True
        for part in node.values:
            if isinstance(part, ast.Constant) and fixed:
                text += part.value
            elif isinstance(part.value, ast.Name) and part.value.id not in _params(function) and fixed:
                text += str(getattr(module, part.value.id))
            elif isinstance(part.value, ast.Name) and _name_is_passthrough(function, part.value.id):
                return  # e.g. f"rights.{action}" inside audit_request: the values are read at its calls
            else:
                fixed = False
        (self.actions if fixed else self.families).add(text)


def _assigned(function: ast.AST, name: str) -> list[ast.AST]:
    """The values assigned to local `name` in `function`, unpacking `a, b = (x, y) if c else (z, w)`."""
    values = []
    for node in ast.walk(function):
        for target in node.targets if isinstance(node, ast.Assign) else []:
            if getattr(target, "id", None) == name:
                values.append(node.value)
            elif isinstance(target, ast.Tuple) and name in [getattr(e, "id", None) for e in target.elts]:
                values.append(_element(node.value, [getattr(e, "id", None) for e in target.elts].index(name)))
    return values


def _element(value: ast.AST, index: int) -> ast.AST:
    if isinstance(value, ast.IfExp):
        return ast.IfExp(value.test, _element(value.body, index), _element(value.orelse, index))
    return value.elts[index]  # type: ignore[attr-defined]


def _name_is_passthrough(function, name: str) -> bool:
    passing = {*POSITIONAL, *KEYWORDS, *(name for name, _ in PER_FILE)}
    return function is not None and function.name in passing and name in _params(function)


@pytest.fixture(scope="module")
def written() -> Scan:
    scan = Scan()
    for path in sorted((ROOT / "leads").rglob("*.py")):
        scan.file(path)
    scan.actions |= {*consent.ACTIONS, *(code + auditwords.REFUSED for code in consent.ACTIONS)}  # the gate's
    return scan


def test_the_scan_finds_the_actions_of_every_area(written):
    """The scan is not vacuous: it finds actions of each area, through each way they are passed."""
    for action in (
        "lead.status.change",  # through _set_field and the gate
        "lead.note.add",  # a conditional expression
        "login.failed",  # a module constant
        "grant.open",  # positionally
        "rights.identity.emailed_code",  # a local variable, prefixed by the callee
        "rights.completed",  # from the close step's parameter
        "person.attach",
        "marketing_list.export.finished",  # an f-string of a constant
        "rights.erasure",
        "record.viewed",
    ):
        assert action in written.actions, action
    assert {"sync.", "rights.export."} <= written.families
    assert len(written.actions) > 60


def test_every_action_the_code_writes_has_a_sentence(written):
    missing = sorted(a for a in written.actions if auditwords.words_for(a) is None)
    missing += sorted(f + "…" for f in written.families if auditwords.words_for(f + "anything") is None)
    assert missing == []


def test_an_action_nobody_worded_has_no_sentence():
    assert auditwords.words_for("lead.frobnicate") is None and auditwords.words_for("nothing.refused") is None


STAFF = {1: "Sam Jones", 2: "Kim Lee"}


@pytest.mark.parametrize(
    ("action", "what", "details", "said"),
    [
        (
            "lead.status.change",
            "Louis Lefèvre",
            {"before": "contacted", "after": "qualified", "changed": True, "consent_record_id": None},
            "Sam Jones changed Louis Lefèvre's status from contacted to qualified.",
        ),
        (
            "lead.owner.change",
            "Louis Lefèvre",
            {"before": 2, "after": None, "undoes": 9},
            "Sam Jones changed who owns Louis Lefèvre from Kim Lee to nobody (undoing an earlier change).",
        ),
        ("record.viewed", "Louis Lefèvre", {}, "Sam Jones viewed Louis Lefèvre."),
        (
            "rights.erasure",
            "rights request 7",
            {"lead": 2, "installation": 1},
            "Sam Jones erased everything held about the person, answering rights request 7.",
        ),
        (
            "rights.clarification.asked",
            "rights request 7",
            {},
            "Sam Jones recorded on rights request 7: clarification asked (clock stopped).",
        ),
        (
            "lead.status.change.refused",
            "Freja Hansen",
            {"reasons": ["restricted"]},
            "Sam Jones was refused “change the lead's status” for Freja Hansen: "
            "the privacy notice does not allow it now.",
        ),
    ],
)
def test_sentences_read_as_a_person_would_say_them(action, what, details, said):
    assert auditwords.sentence(action, who="Sam Jones", what=what, details=details, staff=STAFF) == said


def test_every_sentence_is_plain_words_without_braces_or_json(written):
    for action in written.actions:
        text = auditwords.sentence(action, who="Sam Jones", what="Ada Lovelace", details={"x": 1}, staff=STAFF)
        assert text.startswith(("Sam Jones", "A ", "Sign-in", "The ", "Single")) and "{" not in text, (action, text)


def test_each_kind_on_the_audit_page_covers_its_actions(written):
    assert {a for a in written.actions if auditwords.kind_of(a) is None} == set()
    assert auditwords.kind_of("record.viewed") == "viewed" and auditwords.kind_of("lead.owner.change") == "leads"
