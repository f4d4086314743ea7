"""`orchestrator schema` accepts what the loader accepts (issue 13, item 9): the same documents go to
the loader and to a real JSON Schema validator (python-jsonschema, the draft the schema declares),
and both must give the same verdict.

What a schema cannot know is checked by the loader alone, listed in LOADER_ONLY and tested apart:
those documents are valid for the schema and refused by the loader, by design. Two more are left out
of the comparison on purpose: the value a `${VAR}` stands for (the schema accepts any string naming a
variable where some string could pass; the loader judges the substituted text), and strings ending
in a newline (python-jsonschema runs `pattern` with Python's `re`, whose `$` also matches before a
final newline; ECMA-262, the dialect JSON Schema names and editors use, does not, nor does the loader).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema.validators import validator_for
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import PlaybookError
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.schema import playbook_schema
from orchestrator.playbook.source import read_source
from tests.fuzz.mutations import SEEDS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = playbook_schema()
VALIDATOR = validator_for(SCHEMA)(SCHEMA)  # the draft named by the schema's own $schema

# What the `${VAR}`s in the cases stand for; each is valid where the cases use it.
ENVIRON = {"REF": "abcdefghijklmnopqrst", "DB": "postgresql://postgres@127.0.0.1:5432/postgres",
           "URL": "https://api.example.com", "YES": "true", "TOKEN": "sbp_0123456789", "NAME": "hello",
           "ENV": "production", "VER": "2.100.0", "LEVEL": "warning", "PG": "15", "N": "3", "STATUS": "204",
           "DUR": "5s", "METHOD": "GET", "SECRET": "OPENAI_API_KEY"}
DELETE = object()  # a case value: remove the key


class _Steps(dict[str, Any]):
    """BASE's steps by kind, so a case can name `("steps", "pause", "pause", "timeout")`; a list on disk."""


BASE: dict[str, Any] = {
    "version": 1, "name": "release", "project_dir": ".",
    "environments": {"staging": {"project_ref": "abcdefghijklmnopqrst"},
                     "production": {"project_ref": "bcdefghijklmnopqrstu", "requires_passed": ["staging"]}},
    "notify": {"webhook": "https://hooks.example.com/release"},
    "steps": _Steps({
        "preflight": {"preflight": {}}, "lint": {"lint": {}}, "backup": {"backup": {}},
        "rehearse": {"rehearse": {}}, "migrations": {"migrations": {}}, "secrets": {"secrets": {"from_env": ["OPENAI_API_KEY"]}},
        "verify": {"verify": [{"name": "one row", "sql": "select 1", "expect_rows": 1}]},
        "functions": {"functions": {"names": ["hello"], "checks": {"logs": {}, "smoke": {}}}},
        "pause": {"pause": {}},
    }),
}


def document(path: tuple[str | int, ...], value: Any) -> str:
    doc = copy.deepcopy(BASE)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    if isinstance(doc.get("steps"), _Steps):
        doc["steps"] = list(doc["steps"].values())
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def schema_accepts(text: str) -> bool:
    source = read_source(text, None)  # as an editor sees it: merge keys applied, ${VAR}s as written
    assert not source.problems, source.problems
    return bool(VALIDATOR.is_valid(source.data))


def loader_problems(text: str, project: Path, check_project: bool = False) -> list[str]:
    path = project / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_playbook(path, ENVIRON, check_project=check_project)
    except PlaybookError as exc:
        return [f"{p.path}: {p.message}" for p in exc.problems]
    return []


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schema-project")
    (root / "supabase" / "migrations").mkdir(parents=True)
    for name in ("hello", "bye"):
        (root / "supabase" / "functions" / name).mkdir(parents=True)
        (root / "supabase" / "functions" / name / "index.ts").write_text("Deno.serve(() => new Response('ok'))\n")
    (root / "supabase" / "functions" / "shared").mkdir()
    (root / "bare" / "supabase").mkdir(parents=True)
    return root


# ---- the same verdict, field by field -------------------------------------------------------------

DURATION_OK = ["500ms", "5s", "2m", "1h", "1.5h", "0s", "168h", "${DUR}", "${UNSET_DUR:-2m}"]
DURATION_BAD = [5, 0, 2.5, True, "5", "5 s", " 5s", "5sec", "1d", "-1s", "1e3s", "\u0665s", "0" * 39 + "1s",
                "", [], {}]
BOOL_OK = [True, False, "${YES}", "${UNSET_FLAG:-false}"]
BOOL_BAD = ["true", "false", "yes", 1, 0, 1.0, None, [], {}]
ENV = ("environments", "staging")
FN = ("steps", "functions", "functions")
SMOKE = (*FN, "checks", "smoke")

# (path, values both accept, values both refuse)
FIELDS: list[tuple[tuple[str | int, ...], list[Any], list[Any]]] = [
    (("version",), [1, 1.0], [2, 0, True, "1", "${N}", None, DELETE]),
    (("name",), ["x", "${NAME}"], ["", 5, None, [], DELETE]),
    (("project_dir",), [".", None, DELETE, "${UNSET_DIR:-.}"], [5, True, []]),
    (("environments",), [{"prod_eu-1": {"project_ref": "abcdefghijklmnopqrst"}}],
     [{}, [], None, "${ENV}", DELETE, {"1bad": {"project_ref": "abcdefghijklmnopqrst"}},
      {"${ENV}": {"project_ref": "abcdefghijklmnopqrst"}}, {"a b": {"project_ref": "abcdefghijklmnopqrst"}}]),
    (ENV, [{"project_ref": "${REF}"}], [None, "x", {}, {"project_ref": "abcdefghijklmnopqrst", "extra": 1}]),
    ((*ENV, "project_ref"), ["${REF}", "${UNSET_REF:-abcdefghijklmnopqrst}", "zyxwvutsrqponmlkjihg"],
     ["ABCDEFGHIJKLMNOPQRST", "abc", "abcdefghijklmnopqrs1", 5, None, DELETE, ["abcdefghijklmnopqrst"]]),
    ((*ENV, "db_url"), ["postgresql://u@h/d", "postgres://h/d", "", None, DELETE, "${DB}", "${UNSET_DB:-}"],
     ["mysql://x", "localhost:5432", "POSTGRESQL://h/d", 5, True, []]),
    ((*ENV, "api_url"), ["https://api.supabase.com", "http://127.0.0.1:54321/", "${URL}", DELETE],
     ["ftp://x", "api.supabase.com", "", None, 5]),
    ((*ENV, "functions_url"), ["https://{ref}.supabase.co/functions/v1", "${URL}"], ["ws://x", "", None]),
    ((*ENV, "requires_approval"), [*BOOL_OK, DELETE], BOOL_BAD),
    ((*ENV, "requires_passed"), [[], ["production"], ["${ENV}"], DELETE],
     ["production", ["1bad"], [5], None, [None]]),
    ((*ENV, "access_token"), ["${TOKEN}", "Bearer ${TOKEN}", "${UNSET_TOKEN:-}", None, DELETE],
     ["sbp_a_literal_token", "", 5, True, []]),
    (("notify", "webhook"), ["http://127.0.0.1:9000/hook", "${URL}"], ["hooks.example.com", "", None, 5, DELETE]),
    (("notify",), [None, DELETE, {"webhook": "${URL}"}],
     [{}, {"webhook": "hooks.example.com"}, {"webhook": None}, "https://x", {"webhook": "https://x", "extra": 1}]),
    (("steps",), [], [[], None, "x", {"pause": {}}, DELETE, ["pause"], [None]]),
    (("steps", "pause"), [{"pause": {}, "name": "wait"}, {"pause": {}, "name": "${NAME}"}, {"pause": {}, "name": ""},
                          {"pause": None}, {"migrations": None}, {"preflight": None}, {"lint": None},
                          {"backup": None}, {"rehearse": {}}, {"rehearse": None}],
     [{"pause": {}, "name": 5}, {"pause": {}, "name": None}, {"pause": {}, "verify": []}, {"name": "x"},
      {"canary": {}}, {"migratons": {}}, {}, {"functions": None}, {"secrets": None}, {"verify": None},
      {"pause": []}, {"pause": "x"}]),
    (("steps", "preflight", "preflight", "clean_git"), BOOL_OK, BOOL_BAD),
    (("steps", "preflight", "preflight", "require_token"), BOOL_OK, BOOL_BAD),
    (("steps", "preflight", "preflight", "branch"), ["main", None, "${NAME}"], [5, True, []]),
    (("steps", "preflight", "preflight", "min_cli_version"), ["2.100.0", "10.0.1", None, "${VER}"],
     ["2.100", "v2.100.0", "latest", 2.1, "\u0662.\u0661.\u0660", "2.100.0 ", ""]),
    (("steps", "preflight", "preflight"), [{}], [{"clean_gti": True}, []]),
    (("steps", "lint", "lint", "fail_on"), ["error", "warning", "never", "${LEVEL}"], ["fatal", "Error", None, 1]),
    (("steps", "lint", "lint", "disable"), [[], ["ban-drop-column"], ["${NAME}"]], ["ban-drop-column", [1], None]),
    (("steps", "lint", "lint", "severity"), [{}, {"ban-drop-column": "warning"}, {"x": "${LEVEL}"}],
     [{"x": "info"}, [], {"x": None}, None]),
    (("steps", "lint", "lint", "exposed_schemas"), [None, ["public", "api"], []], ["public", [1]]),
    (("steps", "lint", "lint", "pg_version"), [9, 15, 30, 15.0, None, "${PG}"], [8, 31, 50, "15", True, 15.5, []]),
    (("steps", "backup", "backup", "dir"), ["backups", "${NAME}"], [5, None, []]),
    (("steps", "backup", "backup", "verify"), BOOL_OK, BOOL_BAD),
    (("steps", "backup", "backup", "timeout"), DURATION_OK, [*DURATION_BAD, None]),
    (("steps", "migrations", "migrations", "include_all"), BOOL_OK, BOOL_BAD),
    (("steps", "rehearse", "rehearse", "include_all"), BOOL_OK, BOOL_BAD),
    (("steps", "rehearse", "rehearse", "cli_timeout"), DURATION_OK, [*DURATION_BAD, None]),
    (("steps", "rehearse", "rehearse", "timeout"), DURATION_OK, [*DURATION_BAD, None]),
    (("steps", "rehearse", "rehearse", "forbid"), [[], ["rewrite"], ["access_exclusive_on_existing",
                                                                     "blocks_writes_on_existing"], ["${UNSET_WHAT:-rewrite}"]],
     [["rewrites"], "rewrite", None, [1]]),
    (("steps", "migrations", "migrations", "cli_timeout"), DURATION_OK, [*DURATION_BAD, None]),
    (("steps", "secrets", "secrets", "from_env"), [["A_B"], ["_x", "Y2"], ["${SECRET}"]],
     [[], "A", ["1A"], ["A-B"], [5], None, DELETE]),
    (("steps", "verify", "verify"), [[], [{"name": "a", "sql": "select 1", "expect": None}],
                                     [{"name": "a", "sql": "s", "expect": {"k": [1]}}],
                                     [{"name": "a", "sql": "s", "expect_rows": None, "expect": "x"}],
                                     [{"name": "a", "sql": "s", "expect_rows": "${N}"}],
                                     [{"name": "a", "sql": "s", "expect_rows": 9223372036854775807}]],
     [None, {"name": "a"}, [{"name": "a", "sql": "s"}], [{"name": "a", "sql": "s", "expect_rows": 1, "expect": 1}],
      [{"name": "a", "sql": "s", "expect_rows": None}], [{"name": "a", "sql": "s", "expect_rows": -1}],
      [{"name": "a", "sql": "s", "expect_rows": "1"}], [{"name": "a", "sql": "s", "expect_rows": True}],
      [{"name": "a", "sql": "s", "expect_rows": 1.5}], [{"name": "a", "sql": "s", "expect_rows": 2**63}],
      [{"name": "", "sql": "s", "expect": 1}], [{"name": "a", "expect": 1}], [{"name": "a", "sql": "", "expect": 1}],
      [{"name": "a", "sql": "s", "expect": 1, "extra": 1}], ["select 1"]]),
    ((*FN, "names"), [["hello"], ["hello", "bye"], ["${NAME}"]],
     [[], ["hello", "hello"], ["1x"], ["a b"], "hello", None, DELETE, [5], ["${NAME}", "${NAME}"]]),
    ((*FN, "checks"), [{}, DELETE], [None, "x", [], {"settle": 5}, {"unknown": 1}]),
    ((*FN, "pause"), ["each", "on_failure", "never", "${UNSET_PAUSE:-never}"], ["always", True, None]),
    ((*FN, "on_failure"), ["rollback", "pause", "abort", "continue"], ["retry", None, 1]),
    ((*FN, "cli_timeout"), DURATION_OK, [*DURATION_BAD, None]),
    ((*FN, "checks", "settle"), DURATION_OK, [*DURATION_BAD, None]),
    ((*FN, "checks", "inconclusive"), ["pass", "fail"], ["warn", None, True]),
    ((*FN, "checks", "logs"), [None, {}, {"window": "1m", "max_errors": 3}], ["x", [], {"max_error": 1}]),
    ((*FN, "checks", "logs", "window"), DURATION_OK, [*DURATION_BAD, None]),
    ((*FN, "checks", "logs", "max_errors"), [0, 5, 1_000_000, 2.0, "${N}"],
     [-1, 1_000_001, 1.5, "5", True, None, []]),
    ((*FN, "checks", "smoke"), [None, {}], ["GET /", [], {"methd": "GET"}]),
    ((*SMOKE, "method"), ["GET", "POST", "PUT", "PATCH", "DELETE", "${METHOD}"], ["get", "HEAD", None, 1]),
    ((*SMOKE, "path"), ["", "/health", "?q=${NAME}"], [None, 5, []]),
    ((*SMOKE, "json"), [None, {}, [1, "x"], "text", 5, True, {"nested": {"k": None}}], []),
    ((*SMOKE, "headers"), [{}, {"Authorization": "Bearer ${TOKEN}"}, {"X-N": "5"}],
     [{"X": 5}, {"X": None}, [], None, "X: 1"]),
    ((*SMOKE, "expect_status"), [[200], [100, 599], [204.0], ["${STATUS}"]],
     [[], [99], [600], ["200"], [True], 200, None, [None]]),
    ((*SMOKE, "timeout"), DURATION_OK, [*DURATION_BAD, None]),
    (("steps", "pause", "pause", "message"), ["x", "", "${NAME}"], [None, 5, []]),
    (("steps", "pause", "pause", "timeout"), [*DURATION_OK, None], DURATION_BAD),
    (("steps", "pause", "pause", "on_timeout"), ["abort", "continue"], ["retry", None]),
]


def _nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _nodes(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in _nodes(value))]


# A new field needs rows above, and so a decision on what the schema says about it (the verify rows
# cover the assertion's keys).
_UNCOVERED = ({key for node in _nodes(SCHEMA) for key in node.get("properties", {})}
              - {key for path, _, _ in FIELDS for key in path} - {"sql", "expect", "expect_rows"})
assert not _UNCOVERED, f"no FIELDS rows for {sorted(_UNCOVERED)}"


@pytest.mark.parametrize(("path", "valid", "invalid"), FIELDS, ids=[".".join(map(str, f[0])) for f in FIELDS])
def test_schema_and_loader_agree_on_each_field(project: Path, path: tuple[str | int, ...], valid: list[Any],
                                                invalid: list[Any]) -> None:
    wrong = []
    for expected, values in ((True, valid), (False, invalid)):
        for value in values:
            text = document(path, value)
            problems = loader_problems(text, project)
            schema, loader = schema_accepts(text), not problems
            if (schema, loader) != (expected, expected):
                shown = "DELETE" if value is DELETE else repr(value)
                wrong.append(f"{shown}: expected {expected}, schema {schema}, loader {loader} {problems[:1]}")
    assert not wrong, "\n".join(wrong)


# ---- the same verdict on random values ------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=24).filter(
    lambda s: "${" not in s and not s.endswith("\n"))  # see the module docstring
_SCALARS = (st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | _TEXT
            | st.sampled_from(["5s", "500ms", "1.5h", "169h", "abcdefghijklmnopqrst", "postgresql://h/d",
                               "https://x", "error", "each", "GET", "2.100.0", "hello", "public", "staging", "true",
                               "5", "OPENAI_API_KEY", "pass", "abort"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.sampled_from(["name", "sql", "expect", "expect_rows", "x", "webhook"])
                                         | _TEXT, inner, max_size=3), max_leaves=6)
_PATHS = [path for path, _, _ in FIELDS if path != ("project_dir",)]  # a folder: loader-only
_LOADER_ONLY = re.compile(r"longer than a week|cannot gate itself|no environment '.*' in this playbook")


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much])
@given(path=st.sampled_from(_PATHS), value=_VALUES)
def test_schema_and_loader_agree_on_random_values(project: Path, path: tuple[str | int, ...], value: Any) -> None:
    text = document(path, value)
    problems = loader_problems(text, project)
    schema = schema_accepts(text)
    assume(not (schema and problems and all(_LOADER_ONLY.search(p) for p in problems)))
    assert schema == (not problems), f"{value!r}: schema {schema}, loader {problems}"


# ---- what only the loader checks --------------------------------------------------------------------

# (path, value, what the loader says): valid for the schema, refused by the loader.
LOADER_ONLY = [
    (("project_dir",), "nowhere", "no supabase/ folder"),
    ((*FN, "names"), ["missing"], "no directory supabase/functions/missing"),
    ((*FN, "names"), ["shared"], "shared has no entrypoint"),
    (("steps", "backup", "backup", "dir"), "supabase/dumps", "outside supabase/"),
    (("project_dir",), "bare", "migrations folder"),
    ((*ENV, "requires_passed"), ["staging"], "cannot gate itself"),
    ((*ENV, "requires_passed"), ["qa"], "no environment 'qa' in this playbook"),
    (("steps", "pause", "pause", "timeout"), "169h", "longer than a week"),
    ((*FN, "checks", "settle"), "10081m", "longer than a week"),
    ((*ENV, "project_ref"), "${UNSET_REF}", "UNSET_REF is not set"),
    ((*ENV, "project_ref"), "${NAME}", "not a project ref"),
    ((*ENV, "requires_approval"), "${NAME}", "valid boolean"),
    ((*FN, "names"), ["${NAME}", "${UNSET_N:-hello}"], "listed twice"),
]


@pytest.mark.parametrize(("path", "value", "phrase"), LOADER_ONLY, ids=[c[2] for c in LOADER_ONLY])
def test_what_only_the_loader_checks(project: Path, path: tuple[str | int, ...], value: Any, phrase: str) -> None:
    assert loader_problems(document(("name",), "release"), project, check_project=True) == []
    text = document(path, value)
    assert schema_accepts(text)
    problems = loader_problems(text, project, check_project=True)
    assert any(phrase in p for p in problems), problems


# ---- YAML merge keys: the schema sees the merged document ----------------------------------------------

MERGED = """\
version: 1
name: merged
project_dir: .
environments:
  staging: &staging
    project_ref: ${REF}
    requires_approval: false
  production:
    <<: *staging
    requires_approval: true
steps:
  - pause: &wait {message: wait, timeout: 5m}
  - pause: {<<: *wait, on_timeout: continue}
"""


def test_merge_keys_are_validated_after_merging(project: Path) -> None:
    assert schema_accepts(MERGED)  # `<<` is no key of ours: the schema sees the merged mappings
    assert loader_problems(MERGED, project) == []
    broken = MERGED.replace("timeout: 5m", "timeout: 5")  # merged into the second pause too
    assert not schema_accepts(broken) and len(loader_problems(broken, project)) == 2


# ---- every playbook we ship or document is valid -------------------------------------------------------

def _readme_playbook() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## A playbook\n", 1)[1]
    return section.split("```yaml\n", 1)[1].split("\n```", 1)[0] + "\n"


# README.md (and the spec) write `notify: {webhook: ${RELEASE_WEBHOOK_URL}}`: inside a flow mapping `{`
# ends a plain scalar, so that is not YAML at all (the loader and every editor refuse it). Until the
# README quotes it, its example is checked with that one value quoted, and the text as written is an
# expected failure.


def _shipped() -> dict[str, str]:
    files = sorted((ROOT / "playbooks").glob("*.y*ml")) + sorted((ROOT / "examples").rglob("*.y*ml"))
    found = {str(f.relative_to(ROOT)): f.read_text(encoding="utf-8") for f in files}
    found = {name: text for name, text in found.items() if "steps" in (yaml.safe_load(text) or {})}
    readme = _readme_playbook()
    found = {**found, "README.md#a-playbook": readme,
             **{f"tests/fuzz/mutations.py:{name}": text for name, text in SEEDS.items()}}
    assert {"playbooks/demo.yaml", "tests/fuzz/mutations.py:every-key"} <= set(found)
    return found


SHIPPED = _shipped()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_and_documented_playbooks_are_valid(name: str) -> None:
    source = read_source(SHIPPED[name], None)
    assert not source.problems, source.problems
    errors = sorted(VALIDATOR.iter_errors(source.data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# ---- the copy editors point at ----------------------------------------------------------------------

def test_docs_copy_equals_the_schema_command() -> None:
    """docs/playbook.schema.json is what a playbook's `# yaml-language-server: $schema=` line points at."""
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    VALIDATOR.check_schema(json.loads(result.output))  # a valid schema of the draft it names
    committed = (ROOT / "docs" / "playbook.schema.json").read_text(encoding="utf-8")
    assert committed == result.output, "run: orchestrator schema > docs/playbook.schema.json"


# ---- what editors are offered ---------------------------------------------------------------------

def test_every_default_is_valid_where_it_stands() -> None:
    """An editor offers `default` as the value to insert: it must be one the schema (and loader) take."""
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "default" in node:
                sub = {k: v for k, v in node.items() if k != "default"}
                if not validator_for(SCHEMA)({**sub, "$defs": SCHEMA["$defs"]}).is_valid(node["default"]):
                    found.append(f"{json.dumps(node)[:200]}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(SCHEMA)
    assert not found, "\n".join(found)
