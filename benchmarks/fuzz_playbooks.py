"""Fuzz the playbook loader with mutated playbooks (tests/fuzz/mutations.py) and count what happens.

    python benchmarks/fuzz_playbooks.py --count 12000 --seed 1 [--validate 453] [--json out.json]

Each sample is written to `<project>/orchestrator.yaml` in a throwaway git project (one commit,
supabase/migrations/, supabase/functions/<name>/index.ts for every function the seeds use) and
loaded with `load_playbook(path, environ=SEED_ENVIRON)` in a pool of forked worker processes
(one project each), with a wall-clock limit per sample (--timeout, 10 s) and an address-space
limit (RLIMIT_AS, --memory-mb, 1 GiB). A worker that times out or dies is replaced.

Outcomes: `ok` (loaded), `input-error` (InputError, PlaybookError included), `crash:<Type>`
(anything else), `timeout`, `memory` (MemoryError, or the worker was killed). Failing = crash,
timeout or memory. For input errors the message is checked: one line per problem, each line
`<playbook path>:<line>: ...`, the line inside the file, no control characters.

`--validate N` then runs the real CLI (`orchestrator validate PATH`, or --validate-cmd) on a
seeded subset of N samples, CI-like (CI=true, no stdin, HOME in a temp folder so crash logs stay
there), 20 s each: exit 0 or 2 is fine, anything else (3 = internal error, a timeout, a signal)
is a failure.

Which `orchestrator` is measured is the one Python imports: set PYTHONPATH to measure another
checkout (the summary prints `orchestrator.__file__`). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
MUTATIONS_FILE = HERE.parent / "tests" / "fuzz" / "mutations.py"
GIT_ENV = {"GIT_AUTHOR_NAME": "Fuzz", "GIT_AUTHOR_EMAIL": "fuzz@example.com", "GIT_COMMITTER_NAME": "Fuzz",
           "GIT_COMMITTER_EMAIL": "fuzz@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
BAD_CHARS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
FAILING_PREFIXES = ("crash:", "timeout", "memory")


def load_mutations() -> ModuleType:
    """tests/fuzz/mutations.py by file path: putting the repository on sys.path would shadow the
    `orchestrator` that PYTHONPATH chose."""
    spec = importlib.util.spec_from_file_location("fuzz_mutations", MUTATIONS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_mutations"] = module
    spec.loader.exec_module(module)
    return module


M = load_mutations()


@dataclass
class Result:
    index: int
    mutation: str
    size: int
    outcome: str
    seconds: float
    signature: str = ""  # crashes: type @ innermost frame
    orchestrator_frame: str = ""  # crashes: innermost frame in orchestrator/
    message: str = ""  # first 300 characters
    msg_lines: int = 0
    msg_len: int = 0
    msg_prefixed: bool = True  # every line starts with `<path>:`
    msg_located: bool = True  # every line is `<path>:<line>: ...`
    msg_line_beyond_eof: bool = False  # a line number past the file's last \n-line
    msg_control_chars: bool = False  # control characters (other than \n) in the message


# ----------------------------------------------------------------------------------------------
# the project folder


def make_project(root: Path) -> Path:
    (root / "supabase" / "migrations").mkdir(parents=True)
    (root / "supabase" / "migrations" / "20240101000000_init.sql").write_text("create table t (id int);\n")
    for name in M.FUNCTION_NAMES:
        folder = root / "supabase" / "functions" / name
        folder.mkdir(parents=True)
        (folder / "index.ts").write_text('Deno.serve(() => new Response("ok"));\n')
    (root / "orchestrator.yaml").write_text(M.SEED_MINIMAL)
    env = {**os.environ, **GIT_ENV}
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "init"]):
        subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)
    return root


# ----------------------------------------------------------------------------------------------
# the worker (forked; loads one sample at a time)


def _frame(frame: traceback.FrameSummary) -> str:
    name = frame.filename
    for marker in ("/site-packages/", "/orchestrator/"):
        if marker in name:
            name = name.split(marker, 1)[1] if marker == "/site-packages/" else "orchestrator/" + name.split(
                marker, 1)[1]
            break
    return f"{name}:{frame.lineno} ({frame.name})"


def _crash(exc: BaseException) -> tuple[str, str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    last = _frame(frames[-1]) if frames else "?"
    ours = [f for f in frames if "/orchestrator/" in f.filename.replace("\\", "/")]
    return f"crash:{type(exc).__name__}", f"{type(exc).__name__} @ {last}", _frame(ours[-1]) if ours else ""


def _check_message(result: dict[str, Any], message: str, path: str, text_lines: int) -> None:
    lines = message.splitlines() or [""]
    located = re.compile(re.escape(path) + r":(\d+): ")
    result.update(msg_lines=len(lines), msg_len=len(message), message=message[:300],
                  msg_prefixed=all(line.startswith(path + ":") for line in lines),
                  msg_located=all(located.match(line) for line in lines),
                  msg_control_chars=bool(BAD_CHARS.search(message)))
    numbers = [int(m.group(1)) for line in lines if (m := located.match(line))]
    result["msg_line_beyond_eof"] = any(n > text_lines for n in numbers)


def file_lines(data: bytes) -> int:
    """Lines as an editor counts them (\n, \r\n or \r; the loader reads in universal-newline mode)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1


def worker_main(conn: multiprocessing.connection.Connection, project: str, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    from orchestrator.errors import InputError
    from orchestrator.playbook.loader import load_playbook

    path = Path(project) / "orchestrator.yaml"
    environ = dict(M.SEED_ENVIRON)
    while True:
        try:
            data = conn.recv_bytes()
        except EOFError:
            return
        path.write_bytes(data)
        result: dict[str, Any] = {}
        start = time.perf_counter()
        try:
            try:
                load_playbook(path, environ)
                result["outcome"] = "ok"
            except MemoryError:
                result = {"outcome": "memory", "signature": "MemoryError"}
            except InputError as exc:
                result["outcome"] = "input-error"
                _check_message(result, str(exc), str(path), file_lines(data))
            except RecursionError as exc:  # before formatting: it is cheap, its traceback is deep
                result["outcome"], result["signature"], result["orchestrator_frame"] = _crash(exc)
                result["message"] = str(exc)[:300]
            except BaseException as exc:  # noqa: BLE001 - classifying is the point
                result["outcome"], result["signature"], result["orchestrator_frame"] = _crash(exc)
                result["message"] = str(exc)[:300]
        except MemoryError:  # while formatting the outcome
            result = {"outcome": "memory", "signature": "MemoryError"}
        result["seconds"] = time.perf_counter() - start
        conn.send(result)
        if result["outcome"] == "memory":
            return  # a fresh worker for the next sample


class Worker:
    def __init__(self, ctx: Any, project: Path, memory_bytes: int) -> None:
        self.ctx, self.project, self.memory_bytes = ctx, project, memory_bytes
        self.start()

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.conn: multiprocessing.connection.Connection = parent
        self.process = self.ctx.Process(target=worker_main, args=(child, str(self.project), self.memory_bytes),
                                        daemon=True)
        self.process.start()
        child.close()
        self.job: tuple[int, str, int, float] | None = None  # index, mutation, size, deadline

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


# ----------------------------------------------------------------------------------------------
# the fuzz run


def fuzz(samples: Iterator[tuple[int, str, bytes]], workdir: Path, workers: int, timeout: float,
         memory_bytes: int, progress: bool) -> list[Result]:
    # Import (and build the step kinds) once here: forked workers then start in milliseconds.
    from orchestrator.steps import REGISTRY

    for kind in REGISTRY:
        REGISTRY[kind]
    import orchestrator.lint  # noqa: F401 - warm the lint step's check

    ctx = multiprocessing.get_context("fork")
    pool = [Worker(ctx, make_project(workdir / f"w{i}"), memory_bytes) for i in range(workers)]
    results: list[Result] = []
    started = time.monotonic()
    exhausted, shown = False, 0
    try:
        while True:
            for w in pool:
                if w.job is None and not exhausted:
                    nxt = next(samples, None)
                    if nxt is None:
                        exhausted = True
                        break
                    index, mutation, data = nxt
                    w.conn.send_bytes(data)
                    w.job = (index, mutation, len(data), time.monotonic() + timeout)
            busy = [w for w in pool if w.job is not None]
            if not busy:
                break
            wait = max(0.0, min(w.job[3] for w in busy if w.job) - time.monotonic())
            ready = set(multiprocessing.connection.wait([w.conn for w in busy], timeout=wait))
            for w in busy:
                assert w.job is not None
                index, mutation, size, deadline = w.job
                if w.conn in ready:
                    try:
                        got = w.conn.recv()
                    except (EOFError, OSError):
                        w.process.join(1)
                        code = w.process.exitcode
                        outcome = "memory" if code == -signal.SIGKILL else f"crash:WorkerDied({code})"
                        results.append(Result(index, mutation, size, outcome, timeout - (deadline - time.monotonic())))
                        w.restart()
                        continue
                    results.append(Result(index, mutation, size, **got))
                    w.job = None
                    if got["outcome"] == "memory":
                        w.restart()
                elif time.monotonic() >= deadline:
                    results.append(Result(index, mutation, size, "timeout", timeout))
                    w.restart()
            if progress and len(results) >= shown + 500:
                shown = len(results) - len(results) % 500
                rate = len(results) / (time.monotonic() - started)
                print(f"  {len(results)} samples, {rate:.0f}/s", file=sys.stderr, flush=True)
    finally:
        for w in pool:
            w.stop()
    return sorted(results, key=lambda r: r.index)


# ----------------------------------------------------------------------------------------------
# the real CLI on a subset

_LIMIT = ("import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_AS, (n, n)); "
          "os.execv(sys.argv[2], sys.argv[2:])")


@dataclass
class Validated:
    index: int
    mutation: str
    fuzz_outcome: str
    exit: str  # the exit code, or "timeout"
    seconds: float
    stderr_head: str = ""  # the first non-empty line
    stderr_tail: str = ""
    stderr_lines_prefixed: bool = True  # exit 2: every non-empty stderr line names the playbook


def default_validate_cmd() -> list[str]:
    script = Path(sys.executable).parent / "orchestrator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "orchestrator"]


def validate(chosen: dict[int, tuple[str, bytes]], outcomes: dict[int, str], workdir: Path, cmd: Sequence[str],
             workers: int, timeout: float, memory_bytes: int) -> list[Validated]:
    home = workdir / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "CI": "true", "LANG": "C.UTF-8",
           **M.SEED_ENVIRON}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    exe = shutil.which(cmd[0]) or cmd[0]
    projects = [make_project(workdir / f"v{i}") for i in range(workers)]
    free = list(projects)
    jobs = sorted(chosen.items())

    def run(job: tuple[int, tuple[str, bytes]]) -> Validated:
        index, (mutation, data) = job
        project = free.pop()
        try:
            path = project / "orchestrator.yaml"
            path.write_bytes(data)
            argv = [sys.executable, "-c", _LIMIT, str(memory_bytes), exe, *cmd[1:], "validate", str(path)]
            start = time.perf_counter()
            try:
                proc = subprocess.run(argv, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                      timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                return Validated(index, mutation, outcomes.get(index, "?"), "timeout", timeout)
            seconds = time.perf_counter() - start
            err = proc.stderr.decode("utf-8", "replace")
            lines = [line for line in err.splitlines() if line.strip()]
            prefixed = all(str(path) in line for line in lines) if proc.returncode == 2 else True
            return Validated(index, mutation, outcomes.get(index, "?"), str(proc.returncode), seconds,
                             (lines[0] if lines else "")[:240], (lines[-1] if lines else "")[:240], prefixed)
        finally:
            free.append(project)

    with ThreadPoolExecutor(max_workers=workers) as executor:
        return list(executor.map(run, jobs))


# ----------------------------------------------------------------------------------------------
# the report


@dataclass
class Report:
    orchestrator: str
    seed: int
    count: int
    seconds: float
    classes: dict[str, int]
    failing: int
    by_mutation: dict[str, dict[str, int]]
    signatures: list[dict[str, Any]]
    slowest: list[dict[str, Any]]
    messages: dict[str, Any]
    validate: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)


def failing(outcome: str) -> bool:
    return outcome.startswith(FAILING_PREFIXES)


def build_report(results: list[Result], seed: int, seconds: float, validated: list[Validated]) -> Report:
    import orchestrator

    classes = collections.Counter(r.outcome for r in results)
    by_mutation: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in results:
        for name in r.mutation.split("+"):
            by_mutation[name]["samples"] += 1
            key = "crash" if r.outcome.startswith("crash:") else r.outcome
            by_mutation[name][key] += 1
    sig_count = collections.Counter(r.signature for r in results if failing(r.outcome))
    signatures = []
    for sig, n in sig_count.most_common():
        example = next(r for r in results if failing(r.outcome) and r.signature == sig)
        signatures.append({"signature": sig or example.outcome, "count": n, "outcome": example.outcome,
                           "orchestrator_frame": example.orchestrator_frame, "example_index": example.index,
                           "example_mutation": example.mutation, "example_message": example.message[:160]})
    slowest = [{"index": r.index, "mutation": r.mutation, "seconds": round(r.seconds, 3), "outcome": r.outcome,
                "size": r.size} for r in sorted(results, key=lambda r: -r.seconds)[:10]]
    errors = [r for r in results if r.outcome == "input-error"]
    messages = {
        "input_errors": len(errors),
        "not_prefixed": sum(not r.msg_prefixed for r in errors),
        "not_located": sum(not r.msg_located for r in errors),
        "line_beyond_eof": sum(r.msg_line_beyond_eof for r in errors),
        "control_chars": sum(r.msg_control_chars for r in errors),
        "max_len": max((r.msg_len for r in errors), default=0),
        "max_lines": max((r.msg_lines for r in errors), default=0),
        "examples_not_located": [{"index": r.index, "mutation": r.mutation, "message": r.message[:200]}
                                 for r in errors if not r.msg_located][:10],
    }
    report = Report(orchestrator.__file__ or "?", seed, len(results), round(seconds, 1), dict(classes.most_common()),
                    sum(failing(r.outcome) for r in results),
                    {k: dict(v) for k, v in sorted(by_mutation.items())}, signatures, slowest, messages)
    if validated:
        codes = collections.Counter(v.exit for v in validated)
        bad = [v for v in validated if v.exit not in ("0", "2")]
        report.validate = {
            "samples": len(validated), "exit_codes": dict(codes.most_common()), "failing": len(bad),
            "disagree_with_loader": [asdict(v) for v in validated if v.exit in ("0", "2")
                                     and v.fuzz_outcome != {"0": "ok", "2": "input-error"}[v.exit]],
            "exit2_stderr_not_prefixed": sum(1 for v in validated if v.exit == "2" and not v.stderr_lines_prefixed),
            "max_seconds": round(max(v.seconds for v in validated), 3),
            "failures": [asdict(v) for v in bad],
        }
    report.results = [asdict(r) for r in results]
    return report


def print_report(rep: Report) -> None:
    print(f"orchestrator: {rep.orchestrator}")
    print(f"{rep.count} samples (seed {rep.seed}) in {rep.seconds:.0f} s ({rep.count / max(rep.seconds, 1e-9):.0f}/s)")
    print("\noutcome                          count")
    for name, n in rep.classes.items():
        print(f"  {name:<30} {n:>6}")
    print("\nmutation                     samples   crash timeout  memory")
    for name, c in rep.by_mutation.items():
        print(f"  {name:<26} {c.get('samples', 0):>7} {c.get('crash', 0):>7} {c.get('timeout', 0):>7} "
              f"{c.get('memory', 0):>7}")
    print("\ntop failure signatures")
    for s in rep.signatures[:10]:
        print(f"  {s['count']:>5}  {s['signature']}")
        if s["orchestrator_frame"]:
            print(f"         in {s['orchestrator_frame']}")
        print(f"         e.g. #{s['example_index']} {s['example_mutation']}: {s['example_message'][:100]!r}")
    print("\nslowest samples")
    for s in rep.slowest:
        print(f"  {s['seconds']:>7.2f} s  #{s['index']} {s['mutation']} ({s['size']} bytes) -> {s['outcome']}")
    m = rep.messages
    print(f"\ninput-error messages: {m['input_errors']}; not `path:` on every line: {m['not_prefixed']}; "
          f"not `path:line:` on every line: {m['not_located']}; line past the end of the file: "
          f"{m['line_beyond_eof']}; control characters: {m['control_chars']}; longest: {m['max_len']} "
          f"characters, {m['max_lines']} lines")
    print(f"\nfailing {rep.failing} of {rep.count} (crash, timeout or memory)")
    if rep.validate:
        v = rep.validate
        print(f"\nvalidate (real CLI): exit codes {v['exit_codes']}; slowest {v['max_seconds']} s; "
              f"disagrees with the loader: {len(v['disagree_with_loader'])}; exit-2 stderr lines not naming the "
              f"playbook: {v['exit2_stderr_not_prefixed']}")
        for f in v["failures"][:10]:
            print(f"  #{f['index']} exit {f['exit']} {f['mutation']}: {f['stderr_head'][:140]}")
        print(f"validate: failing {v['failing']} of {v['samples']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--validate", type=int, default=0, metavar="N", help="run the real CLI on N samples")
    parser.add_argument("--validate-cmd", default="", help="command before `validate PATH` (default: the "
                        "orchestrator script next to this Python, else python -m orchestrator)")
    parser.add_argument("--json", type=Path, help="write every sample's result here")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per sample")
    parser.add_argument("--memory-mb", type=int, default=1024, help="address space per worker")
    parser.add_argument("--validate-timeout", type=float, default=20.0)
    parser.add_argument("--validate-memory-mb", type=int, default=4096)
    parser.add_argument("--save-failures", type=Path, metavar="DIR", help="write failing samples here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    picked = set(random.Random(args.seed).sample(range(args.count), min(args.validate, args.count)))
    kept: dict[int, tuple[str, bytes]] = {}

    def samples() -> Iterator[tuple[int, str, bytes]]:
        for index, (mutation, data) in enumerate(M.mutated_playbooks(args.seed, args.count)):
            if index in picked:
                kept[index] = (mutation, data)
            yield index, mutation, data

    with tempfile.TemporaryDirectory(prefix="fuzz-playbooks-") as tmp:
        start = time.monotonic()
        results = fuzz(samples(), Path(tmp), args.workers, args.timeout, args.memory_mb << 20, not args.quiet)
        seconds = time.monotonic() - start
        if args.save_failures:
            args.save_failures.mkdir(parents=True, exist_ok=True)
            for r in results:
                if failing(r.outcome):
                    (args.save_failures / f"{r.index}.yaml").write_bytes(M.mutated_playbook(args.seed, r.index)[1])
        validated: list[Validated] = []
        if kept:
            cmd = shlex.split(args.validate_cmd) or default_validate_cmd()
            if not args.quiet:
                print(f"  validate: {len(kept)} samples with {' '.join(cmd)}", file=sys.stderr, flush=True)
            validated = validate(kept, {r.index: r.outcome for r in results}, Path(tmp), cmd, args.workers,
                                 args.validate_timeout, args.validate_memory_mb << 20)
    report = build_report(results, args.seed, seconds, validated)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
