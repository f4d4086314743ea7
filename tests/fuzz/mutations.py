"""Seeded, deterministic generator of mutated playbooks for fuzzing the playbook loader.

    for name, data in mutated_playbooks(seed=1, count=1000):
        (project / "orchestrator.yaml").write_bytes(data)

Every sample starts from one of the valid SEEDS below (they load cleanly with `load_playbook`
given SEED_ENVIRON and a project folder holding `supabase/migrations/` and
`supabase/functions/<name>/index.ts` for each of FUNCTION_NAMES), then gets one to four
mutations, applied in three stages:

- tree: parse the seed with yaml, change the data (wrong types, unknown keys, long strings,
  strange numbers and durations, `${VAR}`s, ...), dump it again; raw YAML that a dump cannot
  write (`.nan`, `!!int abc`, 5,000 digits) goes in through placeholders;
- text: edit the YAML text (merge keys, anchors, a billion laughs, tags, deep nesting, keys
  that are not strings, duplicate keys, control characters, line edits);
- bytes: edit the encoded file (bit flips, truncation, invalid UTF-8, UTF-16/32).

The mutation name is the `+`-joined list of what was applied, e.g.
`tree.strange_duration+text.tags+bytes.truncate`. Sample `i` of seed `s` depends only on
(s, i): `mutated_playbook(s, i)` regenerates it alone. Samples stay under MAX_BYTES.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

MAX_BYTES = 5_000_000

FUNCTION_NAMES: tuple[str, ...] = ("hello", "create-task", "complete-task", "calculate-task-cost")

SEED_ENVIRON: dict[str, str] = {
    "LOCAL_PROJECT_REF": "abcdefghijklmnopqrst",
    "LOCAL_API_URL": "http://127.0.0.1:54399",
    "LOCAL_DB_URL": "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
    "LOCAL_FUNCTIONS_URL": "http://127.0.0.1:54398/functions/v1",
    "STAGING_PROJECT_REF": "bcdefghijklmnopqrstu",
    "STAGING_DB_URL": "postgresql://postgres:postgres@127.0.0.1:54323/postgres",
    "STAGING_SUPABASE_ACCESS_TOKEN": "sbp_0000000000000000000000000000000000000000",
    "PRODUCTION_PROJECT_REF": "cdefghijklmnopqrstuv",
    "EMPTY_VAR": "",
}

SEED_DEMO = """\
# The demo playbook (playbooks/demo.yaml), pointed at the project folder it sits in.
version: 1
name: demo
project_dir: .
environments:
  local:
    project_ref: ${LOCAL_PROJECT_REF}
    api_url: ${LOCAL_API_URL}
    db_url: ${LOCAL_DB_URL}
    functions_url: ${LOCAL_FUNCTIONS_URL}
steps:
  - preflight: {clean_git: true}
  - migrations: {include_all: false}
  - verify:
      - {name: wan task type exists, sql: "select 1 from task_types where name = 'wan_2_2_i2v'", expect_rows: 1}
      - {name: tasks table is empty, sql: "select count(*) from tasks", expect: 0}
  - functions:
      names: [hello, create-task, complete-task]
      checks:
        settle: 500ms
        logs: {window: 30s, max_errors: 0}
        smoke: {method: POST, json: {task_type: wan_2_2_i2v}, expect_status: [200]}
      pause: on_failure
      on_failure: rollback
"""

SEED_README = """\
version: 1
name: release
project_dir: .                             # holds supabase/; default: the git root
environments:
  staging:
    project_ref: ${STAGING_PROJECT_REF}    # ${VAR} and ${VAR:-default}: process env and --env-file
    db_url: ${STAGING_DB_URL:-}            # optional: migrations and SQL checks go here
    access_token: ${STAGING_SUPABASE_ACCESS_TOKEN}  # optional: this environment's token
  production:
    project_ref: ${PRODUCTION_PROJECT_REF}
    requires_approval: true                # needs --approve (or a human at the prompt)
steps:
  - preflight: {clean_git: true, branch: main, min_cli_version: "2.100.0"}
  - lint: {fail_on: error}
  - migrations: {include_all: false}
  - verify:
      - {name: wan task type exists, sql: "select 1 from task_types where name = 'wan_2_2_i2v'", expect_rows: 1}
  - functions:
      names: [complete-task, create-task, calculate-task-cost]
      checks:
        settle: 5s
        logs: {window: 60s, max_errors: 0}
        smoke: {method: POST, path: "", json: {}, expect_status: [200]}
        inconclusive: pass                 # no log data in the window: pass (with a warning) or fail
      pause: on_failure                    # each | on_failure | never
      on_failure: rollback                 # rollback | pause | abort | continue
  - pause: {message: "Check the dashboard", timeout: 15m, on_timeout: abort}
"""

SEED_EVERY_KEY = """\
version: 1
name: every-key
project_dir: .
environments:
  staging:
    project_ref: ${STAGING_PROJECT_REF}
    db_url: ${UNSET_DB_URL:-postgresql://postgres:postgres@127.0.0.1:54322/postgres}
    api_url: https://api.supabase.com
    functions_url: https://{ref}.supabase.co/functions/v1
    requires_approval: false
    access_token: ${STAGING_SUPABASE_ACCESS_TOKEN}
  prod_eu-1:
    project_ref: qwertyuiopasdfghjklz
    requires_approval: true
steps:
  - name: checks first
    preflight:
      clean_git: false
      branch: main
      min_cli_version: 2.100.0
      require_token: true
  - lint:
      fail_on: warning
      disable: []
      severity: {}
      exposed_schemas: [public]
      pg_version: 15
  - migrations: {}
  - verify:
      - name: one row
        sql: select 1
        expect_rows: 1
      - name: a value
        sql: select 'x'
        expect: x
  - name: the functions
    functions:
      names:
        - hello
        - calculate-task-cost
      checks:
        settle: 2s
        logs:
          window: 1m
          max_errors: 3
        smoke:
          method: GET
          path: /health
          headers: {Authorization: "Bearer ${SMOKE_TOKEN:-anon}"}
          expect_status: [200, 204]
          timeout: 10s
        inconclusive: fail
      pause: never
      on_failure: continue
  - pause:
      message: Check the dashboard
      timeout: 1h
      on_timeout: continue
"""

SEED_MINIMAL = """\
version: 1
name: minimal
project_dir: .
environments:
  ci: {project_ref: abcdefghijklmnopqrst}
steps:
  - functions: {names: [hello]}
"""

SEEDS: dict[str, str] = {"demo": SEED_DEMO, "readme": SEED_README, "every-key": SEED_EVERY_KEY,
                         "minimal": SEED_MINIMAL}

Tree = Any
Raws = dict[str, str]  # placeholder -> raw YAML text put in its place after the dump
Path_ = tuple[str | int, ...]

# ----------------------------------------------------------------------------------------------
# helpers


def _all_paths(node: Tree, path: Path_ = ()) -> list[Path_]:
    out: list[Path_] = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _all_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _all_paths(value, (*path, i))
    return out


def _get(node: Tree, path: Path_) -> Tree:
    for part in path:
        node = node[part]
    return node


def _set(root: Tree, path: Path_, value: Any) -> Tree:
    """Set the value at `path` (the root itself when path is empty); returns the (new) root."""
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


def _mappings(root: Tree) -> list[Path_]:
    return [p for p in _all_paths(root) if isinstance(_get(root, p), dict)]


def _raw(raws: Raws, text: str) -> str:
    """A placeholder a dump writes plainly; replaced by `text` afterwards."""
    key = f"RAWPLACEHOLDER{len(raws)}X"
    raws[key] = text
    return key


def _steps(root: Tree) -> list[Any]:
    steps = root.get("steps") if isinstance(root, dict) else None
    return steps if isinstance(steps, list) else []


def _step_configs(root: Tree, kind: str) -> list[dict[str, Any]]:
    """The config mappings of the steps of `kind` (made mappings when they were not)."""
    out = []
    for step in _steps(root):
        if isinstance(step, dict) and kind in step:
            if not isinstance(step[kind], dict):
                step[kind] = {}
            out.append(step[kind])
    return out


def _add_step(root: Tree, step: Any, at: int | None = None) -> None:
    """Add a step when `steps` is a list (or missing); leave a broken `steps` alone."""
    if not isinstance(root, dict):
        return
    steps = root.setdefault("steps", [])
    if isinstance(steps, list):
        steps.insert(len(steps) if at is None else at, step)


def _wrong(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(WRONG_VALUES))  # never share (and later mutate) the table's objects


def _quoted(raws: Raws, text: str) -> str:
    """A placeholder for a long string: dumping 160,000 characters through PyYAML's emitter is slow."""
    return _raw(raws, json.dumps(text, ensure_ascii=False))


def _long_string(rng: random.Random, length: int) -> str:
    style = rng.choice(["a", "slug", "path", "unicode", "mixed", "spaces"])
    if style == "a":
        return "a" * length
    if style == "slug":
        return "f" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(length - 1))
    if style == "path":
        return ("../" * (length // 3 + 1))[:length]
    if style == "unicode":
        return "é" * length
    if style == "spaces":
        return " " * length
    alphabet = "abcdefXYZ0189 _-./:{}$\\'\"\t\u00e9\u4e2d\U0001f600"
    return "".join(rng.choice(alphabet) for _ in range(length))


def _length(rng: random.Random) -> int:
    return rng.choice([5_000, 5_000, 160_000])


BIG_INTS = ["1" + "0" * 4000, "9" * 5000, "-" + "1" + "0" * 4000, "99999999999999999999"]
HUGE_NUMBERS = [*BIG_INTS, "1e400", "1.0e+400", "-1.0e+400", ".inf", "-.inf", ".nan", ".NaN", "+.inf",
                "0x" + "f" * 3000, "0b" + "1" * 5000, "0o" + "7" * 3000, "1_000_000_000_000_000_000",
                ":".join(["59"] * 60), "1.0e-400", "-0.0", "-1", "0", "!!float 1e400", "!!int 1e3"]
STRANGE_DURATIONS = [".inf", "-.inf", ".nan", "99999999999999999999s", "-1s", "1e308h", "1.0e+308", "1.0e+400",
                     "1e400", "-1", "0", "-0.0", "0ms", "'   5s  '", "5 s", "5S", "5sec", "1" + "0" * 4000,
                     "1" + "0" * 400 + "h", "9" * 5000 + "s", "0.0000000000000000000001ms", "1:30", "0x10",
                     "true", "null", "~", "[]", "{}", "[5s]", "{s: 5}", "!!float .inf", "!!int 5",
                     "'5s\\n'", "\"5s\\u0000\"", "\"\u0665s\"", "\"\uff15s\"", "5.s", ".5s", "5..0s", "NaNs",
                     "infs", "1e3s", "1h1m", "-0s", "+5s", "'${UNSET_DURATION}'", "'${UNSET_DURATION:-5s}'"]
WRONG_VALUES: list[Any] = [[], ["x"], [[1]], {}, {"k": "v"}, True, False, None, 0, -1, 3.5, "text", "",
                           {"a": {"b": ["c"]}}]
RAW_WRONG_VALUES = [".nan", ".inf", "!!binary aGVsbG8=", "2020-01-01", "2020-01-01T00:00:00Z", "!!null ''",
                    "[1, [2, [3]]]", "{? [a] : b}", "'${UNSET_X}'"]
ENV_REFS = ["${UNSET_FUZZ_VAR}", "${", "${A", "${A:-", "${A:-x", "${}", "${1A}", "$${STAGING_PROJECT_REF}",
            "${STAGING_PROJECT_REF:-${UNSET_Y}}", "${UNSET_Z:-}", "${UNSET_Z:-}}", "${EMPTY_VAR}", "$UNSET",
            "${UNSET:?message}", "${UNSET-default}", "${ STAGING_PROJECT_REF }", "${STAGING_PROJECT_REF}",
            "${UNSET:-${UNSET2:-x}}", "${UNSET:-\n}", "${\u00e9}", "${A}${B}${C}", "${A:-a}b}"]
OPTIONAL_KEYS: dict[str, list[str]] = {
    "env": ["db_url", "api_url", "functions_url", "requires_approval", "access_token", "project_ref"],
    "preflight": ["clean_git", "branch", "min_cli_version", "require_token"],
    "lint": ["fail_on", "disable", "severity", "exposed_schemas", "pg_version"],
    "migrations": ["include_all"],
    "functions": ["names", "checks", "pause", "on_failure"],
    "checks": ["settle", "logs", "smoke", "inconclusive"],
    "logs": ["window", "max_errors"],
    "smoke": ["method", "path", "json", "headers", "expect_status", "timeout"],
    "pause": ["message", "timeout", "on_timeout"],
    "top": ["version", "name", "project_dir", "environments", "steps"],
}
KNOWN_KEYS = sorted({k for keys in OPTIONAL_KEYS.values() for k in keys} | {"expect", "expect_rows", "sql"})

# ----------------------------------------------------------------------------------------------
# tree mutations: (rng, root, raws) -> new root


def _t_wrong_type(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    for _ in range(rng.choice([1, 1, 2, 3])):
        path = rng.choice(_all_paths(root))
        value = _raw(raws, rng.choice(RAW_WRONG_VALUES)) if rng.random() < 0.2 else _wrong(rng)
        root = _set(root, path, value)
    return root


def _optional_targets(root: Tree) -> list[tuple[dict[str, Any], str]]:
    targets: list[tuple[dict[str, Any], str]] = []
    if isinstance(root, dict):
        targets += [(root, k) for k in OPTIONAL_KEYS["top"]]
        envs = root.get("environments")
        for env in (envs.values() if isinstance(envs, dict) else []):
            if isinstance(env, dict):
                targets += [(env, k) for k in OPTIONAL_KEYS["env"]]
    for kind in ("preflight", "lint", "migrations", "functions", "pause"):
        for cfg in _step_configs(root, kind):
            targets += [(cfg, k) for k in OPTIONAL_KEYS[kind]]
            if kind == "functions":
                checks = cfg.setdefault("checks", {})
                if isinstance(checks, dict):
                    targets += [(checks, k) for k in OPTIONAL_KEYS["checks"]]
                    for sub in ("logs", "smoke"):
                        if isinstance(checks.get(sub), dict):
                            targets += [(checks[sub], k) for k in OPTIONAL_KEYS[sub]]
    for step in _steps(root):
        if isinstance(step, dict):
            targets.append((step, "name"))
            for kind, cfg in step.items():
                if kind == "verify" and isinstance(cfg, list):
                    targets += [(a, k) for a in cfg if isinstance(a, dict) for k in ("name", "sql", "expect",
                                                                                     "expect_rows")]
    return targets


def _t_wrong_type_known_key(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    """A known key (present or not) gets a value of the wrong type."""
    targets = _optional_targets(root)
    for _ in range(rng.choice([1, 2, 4])):
        if not targets:
            break
        mapping, key = rng.choice(targets)
        mapping[key] = _raw(raws, rng.choice(RAW_WRONG_VALUES)) if rng.random() < 0.2 else _wrong(rng)
    return root


def _t_delete_key(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    for _ in range(rng.choice([1, 1, 2])):
        maps = [p for p in _mappings(root) if _get(root, p)]
        if not maps:
            break
        mapping = _get(root, rng.choice(maps))
        del mapping[rng.choice(list(mapping))]
    return root


def _t_unknown_key(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    maps = _mappings(root)
    if not maps:
        return root
    mapping = _get(root, rng.choice(maps))
    key = rng.choice([
        rng.choice(KNOWN_KEYS) + rng.choice(["s", "_", " ", ""]),
        rng.choice(KNOWN_KEYS)[::-1], "", " ", "name ", "a\nb", "x: y", "#", "-", "\u00e9t\u00e9", "\u202etxt",
        "secrets", "backup", "__proto__", "${UNSET_KEY}", "a" * rng.choice([100, 5000]),
    ])
    mapping[key] = _wrong(rng)
    return root


def _t_long_string(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    if not isinstance(root, dict):
        return root
    where = rng.choice(["name", "function", "project_dir", "step_name", "env_name", "project_ref", "sql",
                        "smoke_path", "header", "branch", "message", "key"])
    text = _quoted(raws, _long_string(rng, _length(rng)))
    if where in ("name", "project_dir"):
        root[where] = text
    elif where == "function":
        for cfg in _step_configs(root, "functions") or [{}]:
            names = cfg.get("names")
            if isinstance(names, list) and names:
                names[rng.randrange(len(names))] = text
            else:
                cfg["names"] = [text]
    elif where == "step_name":
        for step in _steps(root)[:1]:
            if isinstance(step, dict):
                step["name"] = text
    elif where == "env_name":
        envs = root.get("environments")
        if isinstance(envs, dict) and envs:
            old = next(iter(envs))
            envs[text] = envs.pop(old)
    elif where == "project_ref":
        envs = root.get("environments")
        for env in (list(envs.values())[:3] if isinstance(envs, dict) else []):
            if isinstance(env, dict):
                env["project_ref"] = rng.choice([text, _raw(raws, "a" * 160_000)])
    elif where == "sql":
        _add_step(root, {"verify": [{"name": "long", "sql": text, "expect_rows": 0}]})
    elif where in ("smoke_path", "header"):
        for cfg in _step_configs(root, "functions"):
            checks = cfg.setdefault("checks", {})
            if isinstance(checks, dict):
                smoke = checks.setdefault("smoke", {})
                if isinstance(smoke, dict):
                    if where == "smoke_path":
                        smoke["path"] = text
                    else:
                        smoke["headers"] = {"X-Long": text}
    elif where == "branch":
        _add_step(root, at=0, step={"preflight": {"branch": text, "min_cli_version": text}})
    elif where == "message":
        _add_step(root, {"pause": {"message": text}})
    else:
        root[text] = 1
    return root


def _t_nul(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    if not isinstance(root, dict):
        return root
    value = rng.choice(["./\x00", "\x00", "sub\x00dir", ".\x00/../", "..\x00",
                        _quoted(raws, "./\x00" + "a" * 5000)])
    where = rng.choice(["project_dir"] * 4 + ["name", "function", "db_url", "message"])
    if where in ("project_dir", "name"):
        root[where] = value
    elif where == "function":
        for cfg in _step_configs(root, "functions"):
            cfg["names"] = [rng.choice(["hel\x00lo", "hello\x00", "\x00"])]
    elif where == "db_url":
        envs = root.get("environments")
        for env in (envs.values() if isinstance(envs, dict) else []):
            if isinstance(env, dict):
                env["db_url"] = "postgresql://x\x00y@h/db"
    else:
        _add_step(root, {"pause": {"message": "a\x00b"}})
    return root


def _t_huge_number(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    targets = _optional_targets(root)
    int_keys = [(m, k) for m, k in targets if k in ("max_errors", "expect_rows", "pg_version", "version",
                                                    "expect", "requires_approval", "timeout")]
    for _ in range(rng.choice([1, 2, 3])):
        number = _raw(raws, rng.choice(HUGE_NUMBERS))
        if int_keys and rng.random() < 0.6:
            mapping, key = rng.choice(int_keys)
            mapping[key] = number
        elif int_keys and rng.random() < 0.5:
            mapping, key = rng.choice(int_keys)
            mapping[key] = [number]
        else:
            root = _set(root, rng.choice(_all_paths(root)), number)
    for cfg in _step_configs(root, "functions")[:1]:
        checks = cfg.get("checks")
        smoke = checks.get("smoke") if isinstance(checks, dict) else None
        if isinstance(smoke, dict) and rng.random() < 0.5:
            smoke["expect_status"] = [_raw(raws, rng.choice(HUGE_NUMBERS))]
    return root


def _duration_slots(root: Tree) -> list[tuple[dict[str, Any], str]]:
    slots: list[tuple[dict[str, Any], str]] = []
    for cfg in _step_configs(root, "functions"):
        checks = cfg.setdefault("checks", {})
        if not isinstance(checks, dict):
            continue
        slots.append((checks, "settle"))
        for sub, key in (("logs", "window"), ("smoke", "timeout")):
            if not isinstance(checks.get(sub), dict):
                checks[sub] = {}
            slots.append((checks[sub], key))
    slots += [(cfg, "timeout") for cfg in _step_configs(root, "pause")]
    return slots


def _t_strange_duration(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    if isinstance(root, dict) and rng.random() < 0.5:
        _add_step(root, {"pause": {"timeout": "1s"}})
    slots = _duration_slots(root)
    chosen = slots if rng.random() < 0.4 else rng.sample(slots, min(len(slots), rng.randint(1, 2)))
    for mapping, key in chosen:
        mapping[key] = _raw(raws, rng.choice(STRANGE_DURATIONS))
    return root


def _t_env_var(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    strings = [p for p in _all_paths(root) if isinstance(_get(root, p), str)] or [()]
    for _ in range(rng.choice([1, 2, 3])):
        path = rng.choice(strings)
        ref = rng.choice(ENV_REFS)
        if rng.random() < 0.05:
            ref = _quoted(raws, "".join(f"${{UNSET_{i}}}" for i in range(rng.choice([1000, 20000]))))
            root = _set(root, path, ref)
            continue
        old = _get(root, path) if path else ""
        old = old if isinstance(old, str) else ""
        root = _set(root, path, rng.choice([ref, old + ref, ref + old, old[:1] + ref + old[1:]]))
    return root


def _t_step_shape(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    steps = _steps(root)
    if not steps:
        return root
    i = rng.randrange(len(steps))
    step = steps[i]
    choice = rng.randrange(10)
    if choice == 0 and isinstance(step, dict):
        step["migrations"] = {}  # two action keys (or a duplicate of the same)
        step["pause"] = {}
    elif choice == 1:
        steps[i] = {"name": "only a name"}
    elif choice == 2:
        steps[i] = {rng.choice(["secrets", "backup", "migration", "function", "Functions", "verfy", ""]): {}}
    elif choice == 3:
        steps[i] = rng.choice(["migrations", None, 5, ["migrations"], [{"migrations": {}}]])
    elif choice == 4 and isinstance(step, dict):
        step["name"] = rng.choice([5, None, ["a"], {"a": 1}, True, ""])
    elif choice == 5 and isinstance(step, dict):
        for kind in [k for k in step if k != "name"]:
            step[kind] = _wrong(rng)
    elif choice == 6:
        steps.extend(rng.choice(steps) for _ in range(rng.randint(1, 5)))  # shared objects dump as aliases
    elif choice == 7:
        for cfg in _step_configs(root, "functions"):
            names = cfg.get("names")
            if isinstance(names, list) and names:
                names.append(names[0])  # listed twice
                names.append(rng.choice(["no-such-fn", "_shared", ".hidden", "a/b", "..", "1abc", "-x", "ok_"]))
    elif choice == 8:
        root["steps"] = rng.choice([[], {}, "steps", None, [[]], [{}]])
    else:
        steps.insert(rng.randrange(len(steps) + 1), {"verify": rng.choice([[], [{}], [{"name": "x", "sql": "s"}],
                                                                             [{"name": "x", "sql": "s",
                                                                               "expect": 1, "expect_rows": 1}]])})
    return root


def _t_top_level(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    choice = rng.randrange(6)
    if choice == 0 and isinstance(root, dict):
        root["version"] = rng.choice([2, "1", 1.0, True, 0, None, "v1", _raw(raws, "!!int 1"), _raw(raws, "0x1")])
    elif choice == 1 and isinstance(root, dict):
        root["environments"] = rng.choice([{}, [], None, {"": {}}, {"bad name": {"project_ref": "x"}},
                                           {"1env": None}, {"a": []}])
    elif choice == 2:
        return rng.choice([None, "", "text", 5, [], [root], {"playbook": root}, True])
    elif choice == 3 and isinstance(root, dict):
        envs = root.get("environments")
        if isinstance(envs, dict):
            for env in envs.values():
                if isinstance(env, dict):
                    env[rng.choice(["api_url", "functions_url", "db_url", "access_token"])] = rng.choice(
                        ["ftp://x", "postgres:/x", "", "http://", "https://x/{ref}/{ref}", "sbp_literal_token",
                         "javascript:alert(1)", "http://[::1", "mysql://x"])
    elif choice == 4 and isinstance(root, dict):
        root["project_dir"] = rng.choice(["..", "/", "/nonexistent", "./supabase", "~", "", "supabase/..",
                                          "../" * 50, "/proc/self", "/dev/null", ".//./", "\\", "C:\\x"])
    elif isinstance(root, dict):
        del root["steps"]
    return root


def _t_many_items(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    """Many entries: names, assertions, environments (each cheap to dump)."""
    if not isinstance(root, dict):
        return root
    n = rng.choice([1000, 5000])
    choice = rng.randrange(3)
    if choice == 0:
        _add_step(root, {"functions": {"names": [f"fn-{i}" for i in range(n)]}})
    elif choice == 1:
        _add_step(root, {"verify": [{"name": f"a{i}", "sql": "select 1", "expect": i}
                                                        for i in range(n // 5)]})
    else:
        root["environments"] = {f"e{i}": {"project_ref": f"${{UNSET_REF_{i}}}"} for i in range(n // 5)}
    return root


HUGE_SHAPES = ["steps_block", "steps_flow", "names_flow", "long_line", "comments", "unknown_keys"]


def _t_huge_file(rng: random.Random, root: Tree, raws: Raws) -> Tree:
    """A few MB: 200,000 steps, a long line, many comment lines or keys (stays under MAX_BYTES)."""
    if not isinstance(root, dict):
        root = {"version": 1}
    shape = rng.choice(HUGE_SHAPES)
    if shape == "steps_block":
        root["steps"] = _raw(raws, "\n" + "- migrations: {}\n" * 200_000)
    elif shape == "steps_flow":
        root["steps"] = _raw(raws, "[" + ", ".join(["{migrations: {}}"] * 200_000) + "]")
    elif shape == "names_flow":
        _add_step(root, {"functions": {"names": _raw(raws, "[" + ", ".join(
            f"fn{i}" for i in range(200_000)) + "]")}})
    elif shape == "long_line":
        root["name"] = _raw(raws, "n" * 4_000_000)
    elif shape == "comments":
        root["name"] = _raw(raws, "x\n" + "# comment line\n" * 250_000)
    else:
        root["zz"] = _raw(raws, "0\n" + "".join(f"k{i}: {i}\n" for i in range(200_000)))
    return root


# ----------------------------------------------------------------------------------------------
# text mutations: (rng, text) -> text

_KEY_LINE = re.compile(r"^( *)(- )?([A-Za-z_][\w-]*):( .*)?$")


def _key_lines(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """(line index, sibling indent, key, rest) of each `key: value` line (list items included)."""
    out = []
    for i, line in enumerate(lines[:20_000]):
        match = _KEY_LINE.match(line)
        if match:
            indent = len(match.group(1)) + (2 if match.group(2) else 0)
            out.append((i, indent, match.group(3), match.group(4) or ""))
    return out


def _inline_value_lines(lines: list[str]) -> list[tuple[int, int, str, str]]:
    return [k for k in _key_lines(lines) if k[3].strip() and not k[3].strip().startswith("#")]


def _replace_value(line: str, key: str, value: str) -> str:
    head = line[: line.index(key + ":") + len(key) + 1]
    return f"{head} {value}"


def _x_merge_key(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    keys = _key_lines(lines)
    if len(keys) < 2:
        return "base: &base {version: 1}\n<<: *base\n" + text
    a, b = sorted(rng.sample(range(len(keys)), 2))
    ia, _, key_a, rest_a = keys[a]
    ib, indent_b, _, _ = keys[b]
    anchor = f"m{rng.randrange(1000)}"
    lines[ia] = _replace_value(lines[ia], key_a, f"&{anchor}{rest_a}")
    merged = rng.choice([f"*{anchor}", f"[*{anchor}, *{anchor}]", f"*{anchor}", "{project_ref: abcdefghijklmnopqrst}",
                         "5", "[1, 2]", "null", "*undefined_anchor", f"[*{anchor}, 5]", "'text'",
                         "{<<: {a: 1}}"])
    lines.insert(ib, " " * indent_b + f"<<: {merged}")
    out = "\n".join(lines)
    if rng.random() < 0.3:  # the documented-looking form: a shared base environment
        out = out.replace("environments:\n", "environments:\n  base: &envbase\n"
                                             "    project_ref: abcdefghijklmnopqrst\n"
                                             "  merged:\n    <<: *envbase\n    requires_approval: true\n", 1)
    return out


def _x_anchor_alias(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    keys = _inline_value_lines(lines)
    choice = rng.randrange(5)
    if choice == 0 and len(keys) >= 2:
        a, b = sorted(rng.sample(range(len(keys)), 2))
        ia, _, key_a, rest_a = keys[a]
        ib, _, key_b, _ = keys[b]
        lines[ia] = _replace_value(lines[ia], key_a, f"&x{rest_a}")
        lines[ib] = _replace_value(lines[ib], key_b, "*x")
    elif choice == 1 and keys:
        i, _, key, _ = rng.choice(keys)
        lines[i] = _replace_value(lines[i], key, rng.choice(["&r [*r]", "&r {a: *r}", "&r [1, [2, *r]]"]))
    elif choice == 2 and keys:
        i, _, key, _ = rng.choice(keys)
        lines[i] = _replace_value(lines[i], key, rng.choice(["*nowhere", "&a &b x", "& x", "*", "&a"]))
    elif choice == 3:
        lines.insert(0, "a: &dup 1\nb: &dup 2\nc: *dup\n*dup : x")
    else:  # one big string aliased many times: each alias is walked (and interpolated) again
        unit, size, refs = rng.choice([("x", 100_000, 1000), ("x${A:-b}", 8_000, 1000), ("x", 1000, 20_000)])
        lines.insert(0, f"big: &s \"{unit * (size // len(unit))}\"\nrefs: [{', '.join(['*s'] * refs)}]")
    return "\n".join(lines)


def billion_laughs(levels: int = 9, fan: int = 9) -> str:
    """~400 bytes of YAML whose aliases expand to fan**levels strings."""
    out = [f"lol0: &a0 [{', '.join(['lol'] * fan)}]"]
    for level in range(1, levels + 1):
        out.append(f"lol{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan)}]")
    return "\n".join(out) + "\n"


def _x_billion_laughs(rng: random.Random, text: str) -> str:
    bomb = billion_laughs(*rng.choice([(9, 9), (9, 9), (12, 6), (5, 5)]))
    if rng.random() < 0.3:  # referenced from where a value of any shape is welcome: the smoke body
        last = bomb.strip().split("\n")[-1].split(":")[0]
        return bomb + text.replace("json: {", f"json: {{bomb: *a{last.removeprefix('lol')}, ", 1)
    return bomb + text


TAGS = ["!!int abc", "!!float x", "!!timestamp 2020-99-99", "!!timestamp x", "!!binary ???", "!!binary aGk",
        "!!python/object:os.system", "!!python/object/apply:os.system ['true']", "!!python/name:os.system",
        "!!set {a, b}", "!!omap [a: 1, b: 2]", "!!pairs [a: 1]", "!foo bar", "!foo", "!!str 5", "!!null x",
        "!!bool maybe", "!!map [1]", "!!seq {a: 1}", "!<tag:yaml.org,2002:int> 0x", "!!merge x", "!!value v",
        "!<!> x", "!!int 1", "!!float 1e400", "!!int " + "9" * 5000, "!e!x y", "!!yaml x", "!!str"]


def _x_tags(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.choice([1, 1, 2])):
        keys = _inline_value_lines(lines)
        if not keys or rng.random() < 0.15:
            prefix = rng.choice(["%TAG !e! tag:example.com,2000:\n---\n", "%YAML 1.2\n---\n", "%YAML 2.0\n---\n",
                                 "%YAML 1.1\n%YAML 1.1\n---\n", "%FOO bar\n---\n", "--- !!map\n", "--- !foo\n",
                                 "--- !!set\n"])
            lines.insert(0, prefix.rstrip("\n"))
            continue
        i, _, key, rest = rng.choice(keys)
        tag = rng.choice(TAGS)
        if rng.random() < 0.3:  # tag the existing value
            lines[i] = _replace_value(lines[i], key, tag.split(" ")[0] + rest)
        elif rng.random() < 0.15:  # tag the key
            lines[i] = lines[i].replace(f"{key}:", f"{tag.split(' ')[0]} {key}:", 1)
        else:
            lines[i] = _replace_value(lines[i], key, tag)
    return "\n".join(lines)


def _x_deep_nesting(rng: random.Random, text: str) -> str:
    depth = rng.choice([1000, 1200, 3000, 10_000])
    shape = rng.choice(["flow_seq", "flow_map", "block_seq_line", "indent", "unclosed", "mixed"])
    if shape == "flow_seq":
        value = "[" * depth + "]" * depth
    elif shape == "flow_map":
        value = "{a: " * depth + "1" + "}" * depth
    elif shape == "block_seq_line":
        value = "- " * depth + "x"
    elif shape == "unclosed":
        value = "[" * depth
    elif shape == "mixed":
        value = "[{a: " * (depth // 2) + "1" + "}]" * (depth // 2)
    else:
        depth = min(depth, 2500)  # ~depth**2 / 2 bytes
        block = "deep:\n" + "".join(" " * i + "a:\n" for i in range(1, depth)) + " " * depth + "x\n"
        return block + text if rng.random() < 0.5 else text.rstrip("\n") + "\n" + block
    if shape == "block_seq_line":
        return f"deep:\n  {value}\n" + text
    lines = text.split("\n")
    keys = _inline_value_lines(lines)
    if keys and rng.random() < 0.6:
        i, _, key, _ = rng.choice(keys)
        lines[i] = _replace_value(lines[i], key, value)
        return "\n".join(lines)
    return f"deep: {value}\n" + text


NON_STRING_KEYS = ["? [a]\n: 1", "[a, b]: 1", "{x: 1}: 2", "1: x", "null: y", "~: y", "true: z", "1.5: w",
                   "2020-01-01: d", ".inf: i", ".nan: n", "? |\n  block key\n: v", "\"\": empty", "!!binary aGk=: b",
                   "? !!set {a}\n: s", "? - a\n  - b\n: seq", "0x10: hex", "1:30: sexagesimal", "? *undefined\n: v",
                   "'': e", "? \n: nullkey", "[[[[a]]]]: deep", "- list item in a mapping"]


def _x_non_string_keys(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    keys = _key_lines(lines)
    for _ in range(rng.choice([1, 1, 2])):
        entry = rng.choice(NON_STRING_KEYS)
        if keys and rng.random() < 0.6:
            i, indent, _, _ = rng.choice(keys)
        else:
            i, indent = 0, 0
        block = "\n".join(" " * indent + part for part in entry.split("\n"))
        lines.insert(i, block)
    return "\n".join(lines)


def _x_duplicate_key(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    keys = _key_lines(lines)
    if not keys:
        return text + "\nversion: 1\nversion: 2\n"
    i, indent, key, rest = rng.choice(keys)
    lines.insert(i + 1, " " * indent + f"{key}:{rng.choice([rest, ' 1', ' null', ' []', ' {}', ' x'])}")
    if rng.random() < 0.3:
        lines.insert(0, "version: 1\nname: twice")
    return "\n".join(lines)


CONTROL_CHARS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe",
                                                  "\uffff", "\x80", "\x9f", "\xa0", "\U0010ffff", "\ud800",
                                                  "\udfff", "\u202e", "\u200b"]


def _x_control_chars(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.choice([1, 1, 2, 5, 20])):
        pos = rng.randrange(len(chars) + 1)
        chars.insert(pos, rng.choice(CONTROL_CHARS))
    if rng.random() < 0.2:
        chars.insert(0, "\ufeff")
    return "".join(chars)


def _x_line_ops(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.choice([1, 1, 2, 3])):
        if not lines:
            break
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(9)
        if op == 0:
            lines.insert(i, lines[i])  # duplicate
        elif op == 1:
            lines[i], lines[j] = lines[j], lines[i]  # swap
        elif op == 2:
            del lines[i]
        elif op == 3:
            lines[i] = " " + lines[i]
        elif op == 4:
            lines[i] = lines[i][1:]
        elif op == 5:
            lines[i] = lines[i].replace("  ", "\t")
        elif op == 6:
            lines[i] = lines[i] + rng.choice([" ", "\t", " #", ":", " :", " - x", " &", " *", " |", " >", " '"])
        elif op == 7 and i + 1 < len(lines):
            lines[i] = lines[i] + " " + lines.pop(i + 1)
        else:
            lines.insert(i, rng.choice(["---", "...", "- x", "? ", ":", "%YAML 1.1", "'", '"', "[", "{", "|",
                                        "  ", "\t", "@", "`"]))
    sep = rng.choice(["\n"] * 6 + ["\r\n", "\r", "\n\n"])
    return sep.join(lines)


def _x_punctuation(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.choice([1, 2, 4])):
        pos = rng.randrange(len(chars) + 1)
        chars.insert(pos, rng.choice(list("\"'[]{}:,&*!|>%@`#?-\\")))
    return "".join(chars)


def _x_documents(rng: random.Random, text: str) -> str:
    return rng.choice([
        "---\n" + text + "---\n" + text, text + "\n...\n", "", "\n\n\n", "# only a comment\n", "---\n", "...\n",
        "--- |\n  " + text.replace("\n", "\n  "), "- " + text.replace("\n", "\n  "), text + "\n---\n",
        "%YAML 1.1\n---\n" + text, "---\n---\n", "~\n", "[]\n", "{}\n", "'just a string'\n", "42\n",
    ])


# ----------------------------------------------------------------------------------------------
# byte mutations: (rng, data) -> data

def _b_byte_flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 8])):
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return bytes(buf)


def _b_byte_insert(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice([1, 2, 4])):
        buf.insert(rng.randrange(len(buf) + 1), rng.randrange(256))
    return bytes(buf)


def _b_byte_delete(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.choice([1, 1, 2, 8, 64]):]


def _b_truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


INVALID_UTF8 = [b"\xff", b"\xfe", b"\xc0\x80", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82",
                b"\xc3", b"\xf8\x88\x80\x80\x80", b"\xc1\xbf", b"\xe0\x80\x80"]


def _b_invalid_utf8(rng: random.Random, data: bytes) -> bytes:
    if rng.random() < 0.2:
        return data.decode("utf-8", "replace").encode("latin-1", "replace")  # é as \xe9
    pos = len(data) if rng.random() < 0.2 else rng.randrange(len(data) + 1)
    return data[:pos] + rng.choice(INVALID_UTF8) + data[pos:]


def _b_wide_encoding(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", "surrogatepass") if _decodes(data) else data.decode("latin-1")
    codec = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-8-sig", "bom-middle",
                        "double-bom"])
    if codec == "bom-middle":
        middle = len(data) // 2
        return data[:middle] + b"\xef\xbb\xbf" + data[middle:]
    if codec == "double-bom":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data
    return text.encode(codec, "surrogatepass")


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


# ----------------------------------------------------------------------------------------------
# the catalogue: name -> (stage, weight, function)

TreeMutation = Callable[[random.Random, Tree, Raws], Tree]
TextMutation = Callable[[random.Random, str], str]
ByteMutation = Callable[[random.Random, bytes], bytes]

TREE: dict[str, tuple[float, TreeMutation]] = {
    "tree.wrong_type": (10, _t_wrong_type),
    "tree.wrong_type_known_key": (10, _t_wrong_type_known_key),
    "tree.delete_key": (6, _t_delete_key),
    "tree.unknown_key": (6, _t_unknown_key),
    "tree.long_string": (5, _t_long_string),
    "tree.nul": (3, _t_nul),
    "tree.huge_number": (6, _t_huge_number),
    "tree.strange_duration": (10, _t_strange_duration),
    "tree.env_var": (8, _t_env_var),
    "tree.step_shape": (7, _t_step_shape),
    "tree.top_level": (4, _t_top_level),
    "tree.many_items": (1, _t_many_items),
    "tree.huge_file": (0.2, _t_huge_file),
}
TEXT: dict[str, tuple[float, TextMutation]] = {
    "text.merge_key": (6, _x_merge_key),
    "text.anchor_alias": (5, _x_anchor_alias),
    "text.billion_laughs": (0.2, _x_billion_laughs),
    "text.tags": (9, _x_tags),
    "text.deep_nesting": (1.5, _x_deep_nesting),
    "text.non_string_keys": (7, _x_non_string_keys),
    "text.duplicate_key": (5, _x_duplicate_key),
    "text.control_chars": (7, _x_control_chars),
    "text.line_ops": (7, _x_line_ops),
    "text.punctuation": (4, _x_punctuation),
    "text.documents": (1.5, _x_documents),
}
BYTES: dict[str, tuple[float, ByteMutation]] = {
    "bytes.byte_flip": (4, _b_byte_flip),
    "bytes.byte_insert": (3, _b_byte_insert),
    "bytes.byte_delete": (3, _b_byte_delete),
    "bytes.truncate": (3, _b_truncate),
    "bytes.invalid_utf8": (4, _b_invalid_utf8),
    "bytes.wide_encoding": (3, _b_wide_encoding),
}
MUTATION_NAMES: tuple[str, ...] = (*TREE, *TEXT, *BYTES)
_STAGE = {**dict.fromkeys(TREE, 0), **dict.fromkeys(TEXT, 1), **dict.fromkeys(BYTES, 2)}
_WEIGHTS = [w for w, _ in TREE.values()] + [w for w, _ in TEXT.values()] + [w for w, _ in BYTES.values()]


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: same text, much faster
_SEED_TREES: dict[str, Tree] = {}


def _seed_tree(name: str) -> Tree:
    if name not in _SEED_TREES:
        _SEED_TREES[name] = yaml.safe_load(SEEDS[name])
    return copy.deepcopy(_SEED_TREES[name])


def _dump(rng: random.Random, root: Tree) -> str:
    return yaml.dump(root, Dumper=_DUMPER, sort_keys=False, default_flow_style=rng.choice([False, False, None]),
                          allow_unicode=rng.random() < 0.5, width=rng.choice([80, 1_000_000_000]))


def mutated_playbook(seed: int, index: int) -> tuple[str, bytes]:
    """Sample `index` of `seed`: (mutation name, file bytes)."""
    rng = random.Random(f"fuzz-playbooks:{seed}:{index}")
    seed_name = rng.choice(sorted(SEEDS))
    seed_text = SEEDS[seed_name]
    count = rng.choices([1, 2, 3, 4], weights=[40, 35, 20, 5])[0]
    chosen = sorted(rng.choices(MUTATION_NAMES, weights=_WEIGHTS, k=count), key=lambda n: _STAGE[n])
    text = seed_text
    tree_steps = [n for n in chosen if n in TREE]
    if tree_steps:
        root: Tree = _seed_tree(seed_name)
        raws: Raws = {}
        for name in tree_steps:
            root = TREE[name][1](rng, root, raws)
        text = _dump(rng, root)
        for key in sorted(raws, key=len, reverse=True):  # RAW..10X before RAW..1X
            text = text.replace(key, raws[key])
    for name in (n for n in chosen if n in TEXT):
        text = TEXT[name][1](rng, text)
    data = text.encode("utf-8", "surrogatepass")
    for name in (n for n in chosen if n in BYTES):
        data = BYTES[name][1](rng, data)
    return "+".join(chosen), data[:MAX_BYTES]


def mutated_playbooks(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` samples for `seed`, deterministic: the same seed gives the same bytes."""
    for index in range(count):
        yield mutated_playbook(seed, index)
