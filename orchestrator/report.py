"""The run report of `run`/`resume`: one versioned JSON document (`--output json`), and the same
facts as JUnit XML (`--report-junit`) and Markdown (`--report-markdown`, GitHub's job summary).

Its layout is `REPORT_SCHEMA` (`orchestrator schema --report`); `report_version` changes only when a
field is removed or changes meaning. Everything in it has been redacted like the console output.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orchestrator import __version__
from orchestrator.durations import format_duration
from orchestrator.error_handler import REPORT_VERSION

if TYPE_CHECKING:
    from orchestrator.runner import RunReport

FAILED_STEPS = frozenset({"failed", "rolled_back", "stopped", "interrupted"})
FAILED_FUNCTIONS = frozenset({"failed", "deploy_failed", "rolled_back"})


def document(report: RunReport) -> dict[str, Any]:
    steps = [{"env": r.env, "index": r.index, "kind": r.kind, "label": r.label, "status": r.status,
              "summary": r.summary, "duration_s": r.duration_s, "details": r.details} for r in report.steps]
    return {"report_version": REPORT_VERSION, "command": report.command, "orchestrator": __version__,
            "run_id": report.run_id, "playbook": report.playbook, "playbook_sha256": report.playbook_sha256,
            "commit": report.commit, "release": report.release, "environments": report.environments,
            "resumed_from": report.resumed_from, "started_at": report.started_at,
            "finished_at": report.finished_at, "approvals": report.approvals, "outcome": report.outcome, "exit_code": report.exit_code,
            "error": report.error, "journal": report.journal, "steps": steps, "functions": functions(report)}


def functions(report: RunReport) -> list[dict[str, Any]]:
    """Every function a functions step handled, flat: what was live before, what is live now."""
    out = []
    for step in report.steps:
        for f in step.details.get("functions", []):
            out.append({"env": step.env, "step": step.index, "name": f["function"],
                        "version_before": f.get("version_before"), "version_after": f.get("version"),
                        "commit": f.get("commit"), "input_hash": f.get("input_hash"),
                        "outcome": f.get("outcome", "failed" if f.get("failed") else "deployed"),
                        "rolled_back_to": f.get("rolled_back_to"),
                        "checks": {"status": f.get("checks"), "reasons": f.get("reasons", []),
                                   "evidence": f.get("evidence", {})},
                        "duration_s": f.get("duration_s")})
    return out


def junit(doc: Mapping[str, Any]) -> str:
    """One test suite per environment; a test case per step and per function."""
    suites = ET.Element("testsuites", name=f"orchestrator run {doc['run_id']}")
    for env in doc["environments"]:
        suite = ET.SubElement(suites, "testsuite", name=env)
        for step in (s for s in doc["steps"] if s["env"] == env):
            _case(suite, f"{env}.steps", f"{step['index'] + 1}. {step['label']}", step["duration_s"],
                  step["status"], step["summary"], failed=step["status"] in FAILED_STEPS)
        for f in (f for f in doc["functions"] if f["env"] == env):
            _case(suite, f"{env}.functions", f["name"], f["duration_s"], f["outcome"],
                  "; ".join(f["checks"]["reasons"]) or f["outcome"], failed=f["outcome"] in FAILED_FUNCTIONS)
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
        suite.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))
    if doc["error"] and not any(s["status"] in FAILED_STEPS for s in doc["steps"]):  # before any step
        suite = ET.SubElement(suites, "testsuite", name="run", tests="1", failures="1")
        _case(suite, "run", "start", 0.0, "failed", doc["error"], failed=True)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _case(suite: ET.Element, classname: str, name: str, seconds: float | None, status: str, message: str,
          *, failed: bool) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds or 0:.3f}")
    if failed:
        ET.SubElement(case, "failure", message=message.splitlines()[0] if message else status,
                      type=status).text = message
    elif status in {"skipped", "unchanged"}:
        ET.SubElement(case, "skipped", message=message)


def markdown(doc: Mapping[str, Any]) -> str:
    mark = "✅" if doc["exit_code"] == 0 else "❌"
    about = (f"Playbook `{doc['playbook']}`, commit `{str(doc['commit'] or '?')[:12]}`, release "
             f"`{doc['release'] or '?'}`, environments: {', '.join(doc['environments'])}.")
    lines = [f"### {mark} orchestrator {doc['command']} `{doc['run_id']}`: {doc['outcome']}", "", about, ""]
    if doc["error"]:
        lines += ["```", doc["error"], "```", ""]
    lines += _table(["env", "step", "outcome", "duration", "summary"],
                    [[s["env"], f"{s['index'] + 1}. {s['label']}", s["status"], format_duration(s["duration_s"]),
                      s["summary"]] for s in doc["steps"]])
    if doc["functions"]:
        lines += ["", "#### Functions", ""]
        lines += _table(["env", "function", "version", "outcome", "checks", "reasons"],
                        [[f["env"], f["name"], _versions(f), f["outcome"], f["checks"]["status"],
                          "; ".join(f["checks"]["reasons"])] for f in doc["functions"]])
    return "\n".join(lines) + "\n"


def _versions(f: Mapping[str, Any]) -> str:
    before, after = f["version_before"], f["version_after"]
    return str(after) if before == after or before is None else f"{before} → {after}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", "<br>")[:300]

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)]


def github_annotations(doc: Mapping[str, Any]) -> list[str]:
    """GitHub `::error` lines: one per failed step and failed function."""
    from orchestrator.github_actions import annotation

    lines = [annotation("error", f"{f['name']}: {f['outcome']}: {'; '.join(f['checks']['reasons'])}",
                        title=f"orchestrator: {f['env']} function {f['name']}")
             for f in doc["functions"] if f["outcome"] in FAILED_FUNCTIONS]
    lines += [annotation("error", s["details"].get("error") or s["summary"],
                         title=f"orchestrator: {s['env']} step {s['index'] + 1} ({s['label']}) {s['status']}")
              for s in doc["steps"] if s["status"] in FAILED_STEPS]
    if doc["error"] and not lines:
        lines.append(annotation("error", doc["error"], title=f"orchestrator {doc['command']}: {doc['outcome']}"))
    return lines


_FUNCTION = {
    "type": "object",
    "required": ["env", "step", "name", "version_before", "version_after", "commit", "input_hash", "outcome",
                 "checks", "duration_s"],
    "properties": {
        "env": {"type": "string"}, "step": {"type": "integer", "description": "index of the functions step"},
        "name": {"type": "string"},
        "version_before": {"type": ["integer", "null"], "description": "live version before this run"},
        "version_after": {"type": ["integer", "null"], "description": "the version this run deployed or kept"},
        "commit": {"type": ["string", "null"]},
        "input_hash": {"type": ["string", "null"], "description": "hash of the files and settings deployed"},
        "outcome": {"enum": ["deployed", "unchanged", "failed", "deploy_failed", "rolled_back", "accepted"]},
        "rolled_back_to": {"type": ["string", "null"]},
        "checks": {"type": "object", "required": ["status", "reasons", "evidence"], "properties": {
            "status": {"type": ["string", "null"]}, "reasons": {"type": "array", "items": {"type": "string"}},
            "evidence": {"type": "object", "description": "smoke: the call and its status; logs: the window, "
                                                          "rows and errors read; upload: files not uploaded"}}},
        "duration_s": {"type": ["number", "null"]},
    },
}
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/supabase-orchestrator/schema/run-report-v1.json",
    "title": "orchestrator run report",
    "description": "`orchestrator run|resume --output json`. Errors before a run starts (exit 2) and every "
                   "other command's errors are the short form: report_version, command, orchestrator, "
                   "exit_code, outcome, error.",
    "type": "object",
    "required": ["report_version", "command", "orchestrator", "run_id", "playbook", "commit", "release",
                 "environments", "outcome", "exit_code", "error", "steps", "functions"],
    "properties": {
        "report_version": {"const": REPORT_VERSION}, "command": {"enum": ["run", "resume"]},
        "orchestrator": {"type": "string"}, "run_id": {"type": "string"}, "playbook": {"type": "string"},
        "playbook_sha256": {"type": ["string", "null"]}, "commit": {"type": ["string", "null"]},
        "release": {"type": ["string", "null"]}, "environments": {"type": "array", "items": {"type": "string"}},
        "resumed_from": {"type": ["string", "null"]},
        "started_at": {"type": "string"}, "finished_at": {"type": ["string", "null"]},
        "approvals": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "environment -> who approved it (--approve or at the prompt)"},
        "outcome": {"enum": ["succeeded", "failed", "bad input", "stopped", "interrupted", "internal error"]},
        "exit_code": {"type": "integer"}, "error": {"type": "string"}, "journal": {"type": "string"},
        "steps": {"type": "array", "items": {
            "type": "object", "required": ["env", "index", "kind", "label", "status", "summary", "duration_s"],
            "properties": {"env": {"type": "string"}, "index": {"type": "integer"}, "kind": {"type": "string"},
                           "label": {"type": "string"},
                           "status": {"enum": ["ok", "warning", "skipped", "failed", "rolled_back", "stopped",
                                               "interrupted"]},
                           "summary": {"type": "string"}, "duration_s": {"type": "number"},
                           "details": {"type": "object"}}}},
        "functions": {"type": "array", "items": _FUNCTION},
    },
}
