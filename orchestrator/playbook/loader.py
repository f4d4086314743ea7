"""Read a playbook file into a validated `Playbook`, or raise PlaybookError listing every problem
as `file:line: key.path: what is wrong`."""

from __future__ import annotations

import difflib
import hashlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from orchestrator.errors import InputError, PlaybookError
from orchestrator.playbook.models import Playbook, PlaybookModel, ProjectInfo, StepSpec
from orchestrator.playbook.source import Located, Path_, Source, format_path, read_source


def read_environ(env_file: Path | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables `${VAR}` may use: the --env-file's, overridden by the process environment."""
    environ = Environ()
    from_file: dict[str, str] = {}
    if env_file is not None:
        if not env_file.is_file():
            raise InputError(f"--env-file {env_file}: no such file")
        from dotenv import dotenv_values

        from_file = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        environ.update(from_file)
    process = os.environ if base is None else base
    environ.update(process)
    environ.shadowed = frozenset(k for k, v in from_file.items() if k in process and process[k] != v)
    return environ


class Environ(dict[str, str]):
    """The variables, plus the names whose --env-file value the process environment overrode
    (so a message about a rejected token can say which one was used)."""

    shadowed: frozenset[str] = frozenset()


def load_playbook(path: Path, environ: Mapping[str, str], environments: Sequence[str] | None = None, *,
                  check_project: bool = True) -> Playbook:
    """Load and check a playbook. `environments` limits `${VAR}` and env checks to those used;
    without `check_project` the steps are not checked against the project on disk (commands that
    only need an environment's settings: a rollback of a function HEAD no longer has)."""
    text = _read_text(path)
    wanted = set(environments or [])
    source = read_source(text, environ, lambda p: _unselected_env(p, wanted))
    problems = list(source.problems)
    if not problems and not isinstance(source.data, dict):
        problems.append(Located(1, "", "a playbook is a mapping with version, name, environments and steps"))
    if problems:
        raise PlaybookError(str(path), problems)
    return _validate(path, text, source, wanted, check_project)


MAX_BYTES = 1 << 20  # the largest real playbook we know of is 6 KB


def _read_text(path: Path) -> str:
    """The file as text: at most MAX_BYTES of UTF-8 (a UTF-8 byte-order mark is dropped)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read playbook ({exc.strerror})") from None
    except ValueError as exc:  # a NUL in the path
        raise InputError(f"{path!r}: not a usable path ({exc})") from None
    if len(data) > MAX_BYTES:
        raise PlaybookError(str(path), [Located(None, "", f"larger than {MAX_BYTES >> 20} MiB; a playbook "
                                                          "this size is not one a human can review")])
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = " (UTF-16? save it as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise PlaybookError(str(path), [Located(line, "", f"not UTF-8: byte 0x{data[exc.start]:02x} at "
                                                          f"offset {exc.start}{hint}")]) from None


def _unselected_env(path: Path_, wanted: set[str]) -> bool:
    return bool(wanted) and len(path) >= 2 and path[0] == "environments" and path[1] not in wanted


def _validate(path: Path, text: str, source: Source, wanted: set[str], check_project: bool) -> Playbook:
    data: dict[str, Any] = dict(source.data)
    problems = _select_environments(data, source, wanted)
    model = None
    try:
        model = PlaybookModel.model_validate(data)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, (), source, PlaybookModel)
    steps: list[StepSpec] = []
    if isinstance(data.get("steps"), list):
        steps, step_problems = _steps(data["steps"], source)
        problems += step_problems
    project = None
    if model is not None:
        project, project_problems = _project(path, model, source)
        problems += project_problems
    if project is not None and not problems and check_project:
        problems += _check_steps(steps, project, source)
    token_vars, token_problems = _token_vars(data, source)
    problems += token_problems
    if model is not None:
        problems += _gates(model, source)
    if problems or model is None or project is None:
        raise PlaybookError(str(path), sorted(problems, key=lambda p: p.line or 0))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Playbook(path=path.resolve(), sha256=digest, model=model, steps=tuple(steps), project=project,
                    token_vars=token_vars)


def _token_vars(data: dict[str, Any], source: Source) -> tuple[dict[str, str], list[Located]]:
    """Which variable each environment's access_token comes from; a literal token is refused
    (a playbook is committed: the token would be in git)."""
    found: dict[str, str] = {}
    problems: list[Located] = []
    envs = data.get("environments")
    for name, env in (envs.items() if isinstance(envs, dict) else ()):
        if not isinstance(env, dict) or env.get("access_token") is None:  # `access_token:` left empty: the default
            continue
        here: Path_ = ("environments", name, "access_token")
        names = source.variables.get(here, [])
        if len(names) == 1 and env["access_token"]:
            found[name] = names[0]
        elif not names:
            problems.append(Located(source.line_of(here), format_path(here),
                                    "write the token as ${VARIABLE} (e.g. ${STAGING_SUPABASE_ACCESS_TOKEN}), "
                                    "never the token itself: playbooks are committed"))
    return found, problems


def _gates(model: PlaybookModel, source: Source) -> list[Located]:
    """requires_passed names environments of this playbook, not itself (checked on the full list: a gate
    may name an environment this run does not select)."""
    problems = []
    known = set(source.data.get("environments") or {}) if isinstance(source.data, dict) else set()
    for name, env in model.environments.items():
        for i, other in enumerate(env.requires_passed):
            if other == name or other not in known:
                here: Path_ = ("environments", name, "requires_passed", i)
                why = "an environment cannot gate itself" if other == name else \
                    f"no environment {other!r} in this playbook; known: {', '.join(sorted(known))}"
                problems.append(Located(source.line_of(here), format_path(here), why))
    return problems


def _select_environments(data: dict[str, Any], source: Source, wanted: set[str]) -> list[Located]:
    envs = data.get("environments")
    if not wanted or not isinstance(envs, dict):
        return []
    unknown = sorted(wanted - set(envs))
    line = source.line_of(("environments",))
    problems = [Located(line, "environments", f"no environment {name!r} (--env); known: "
                        f"{', '.join(envs) or 'none'}") for name in unknown]
    data["environments"] = {k: v for k, v in envs.items() if k in wanted}
    return problems


def _steps(raw: list[Any], source: Source) -> tuple[list[StepSpec], list[Located]]:
    from orchestrator.steps import REGISTRY

    specs: list[StepSpec] = []
    problems: list[Located] = []
    for i, entry in enumerate(raw):
        here: Path_ = ("steps", i)
        kind, problem = _step_kind(entry, here, source)
        if problem:
            problems.append(problem)
            continue
        assert kind is not None
        adapter: TypeAdapter[Any] = TypeAdapter(REGISTRY[kind].config_model)
        try:
            config = adapter.validate_python(entry[kind] if entry[kind] is not None else {})
        except ValidationError as exc:
            problems += _pydantic_problems(exc, (*here, kind), source, REGISTRY[kind].config_model)
            continue
        specs.append(StepSpec(i, kind, str(entry.get("name") or ""), config, source.line_of(here)))
    return specs, problems




def _step_kind(entry: Any, here: Path_, source: Source) -> tuple[str | None, Located | None]:
    from orchestrator.steps import REGISTRY

    line, where = source.line_of(here), format_path(here)
    if not isinstance(entry, dict):
        return None, Located(line, where, "a step is a mapping with one action key, e.g. `- migrations: {}`")
    actions = [k for k in entry if k != "name"]
    if len(actions) != 1:
        found = ", ".join(actions) or "none"
        return None, Located(line, where, f"a step has exactly one action key (plus optional name:); found {found}")
    kind = actions[0]
    if "name" in entry and not isinstance(entry["name"], str):
        return None, Located(source.line_of((*here, "name")), f"{where}.name", "name must be a string")
    if kind in REGISTRY:
        return kind, None
    line = source.line_of((*here, kind))
    return None, Located(line, f"{where}.{kind}", f"unknown step kind{_suggest(kind, REGISTRY)}; "
                                                  f"known kinds: {', '.join(sorted(REGISTRY))}")


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _pydantic_problems(exc: ValidationError, prefix: Path_, source: Source, model: Any) -> list[Located]:
    out = []
    for err in exc.errors():
        loc = (*prefix, *(p for p in err["loc"] if not _is_wrapper(p)))
        out.append(Located(source.line_of(loc), format_path(loc), _message(err, model, err["loc"])))
    return out


def _is_wrapper(part: Any) -> bool:
    # pydantic puts validator names such as "function-after[...]" into locations; they are not keys
    return isinstance(part, str) and ("[" in part or part in {"root"})


def _message(err: Any, model: Any, loc: tuple[Any, ...]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = _suggest(str(loc[-1]), allowed) if allowed else ""
        keys = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"unknown key{hint}{keys}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error" and loc == ("version",):
        return f"unsupported playbook version {err.get('input')!r}; this orchestrator reads version: 1"
    if kind == "string_pattern_mismatch" and loc[-1:] == ("project_ref",):
        return f"{err.get('input')!r} is not a project ref (20 lowercase letters)"
    return str(msg).removeprefix("Value error, ")


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) pydantic model at `loc`, for did-you-mean hints."""
    annotation = model
    for part in loc:
        annotation = _step_into(_unwrap(annotation), part)
    found = _unwrap(annotation)
    return list(found.model_fields) if _is_model(found) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated, Optional and RootModel down to the type that holds keys."""
    while True:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) in (Annotated, Union, UnionType) and args:
            annotation = args[0]
        elif _is_model(annotation) and "root" in annotation.model_fields:
            annotation = annotation.model_fields["root"].annotation
        else:
            return annotation


def _step_into(annotation: Any, part: Any) -> Any:
    if _is_model(annotation):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field is not None else None
    args = get_args(annotation)
    if get_origin(annotation) in (list, tuple) and isinstance(part, int) and args:
        return args[0]
    if get_origin(annotation) is dict and len(args) == 2:
        return args[1]
    return None


def _project(path: Path, model: PlaybookModel, source: Source) -> tuple[ProjectInfo | None, list[Located]]:
    base = path.resolve().parent
    line = source.line_of(("project_dir",)) if model.project_dir else 1
    try:
        root = (base / model.project_dir).resolve() if model.project_dir else _git_root(base) or base
        project = ProjectInfo(root)
        found = project.supabase_dir.is_dir()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL, too long, a symlink loop
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [Located(line, "project_dir", f"not a usable folder ({why})")]
    if found:
        return project, []
    return None, [Located(line, "project_dir", f"no supabase/ folder in {root}; set project_dir to the folder "
                                               "that holds supabase/")]


def _git_root(start: Path) -> Path | None:
    # The one place outside the git adapter that asks git something: the adapter imports our errors,
    # and loading must stay cheap. `rev-parse --show-toplevel` only reads.
    result = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                            capture_output=True, text=True, check=False)
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def _check_steps(steps: list[StepSpec], project: ProjectInfo, source: Source) -> list[Located]:
    from orchestrator.steps import REGISTRY

    out = []
    for spec in steps:
        try:
            found = REGISTRY[spec.kind].check(spec.config, project)
        except (OSError, ValueError) as exc:  # a name too long for a path, say
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            out.append(Located(spec.line, format_path(("steps", spec.index, spec.kind)), f"not usable here ({why})"))
            continue
        for problem in found:
            loc: Path_ = ("steps", spec.index, spec.kind, *_split_path(problem.path))
            out.append(Located(source.line_of(loc), format_path(loc), problem.message))
    return out


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("]", "").split("."):
        if not chunk:
            continue
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts += [int(i) for i in indexes]
    return parts
