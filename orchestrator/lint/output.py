"""Turn a LintReport into text, JSON, GitHub workflow annotations or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path, PurePath
from urllib.parse import quote

from orchestrator.lint.model import STDIN, Finding, LintReport, Severity
from orchestrator.lint.rules import load_rules

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
DOCS = "https://github.com/supabase-orchestrator/supabase-orchestrator/blob/main/docs/lint-rules.md"
# The base id GitHub code scanning and CodeQL use for the checkout's root (SARIF 2.1.0 §3.14.14).
SRCROOT = "%SRCROOT%"


def render(report: LintReport, fmt: str) -> str:
    """The report in `fmt` (text | json | github | sarif)."""
    renderers: dict[str, Callable[[LintReport], str]] = {
        "text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif}
    return renderers[fmt](report)


def render_text(report: LintReport) -> str:
    blocks = [_text_block(f) for f in report.findings]
    counts = report.counts()
    summary = (f"{len(report.files)} file(s) linted: {counts['error']} error(s), {counts['warning']} warning(s)"
               if report.findings else f"{len(report.files)} file(s) linted: no findings")
    return "\n\n".join([*blocks, summary]) + "\n"


def _text_block(f: Finding) -> str:
    lines = [f"{f.path}:{f.line}:{f.col}: {f.severity.value} [{f.rule}] {f.message}"]
    if f.source:
        lines += [f"    {f.source.expandtabs(4)}", "    " + " " * _caret_col(f) + "^"]
    if f.why:
        lines.append(f"  why: {f.why}")
    if f.fix:
        lines.append(f"  fix: {f.fix}")
    if f.rewrite:
        lines.append("  safe rewrite:")
        lines += [f"    {line}" for line in f.rewrite.splitlines()]
    return "\n".join(lines)


def _caret_col(f: Finding) -> int:
    return len(f.source[: f.col - 1].expandtabs(4))


def render_json(report: LintReport) -> str:
    payload = {
        "files": list(report.files),
        "counts": report.counts(),
        "findings": [{"rule": f.rule, "severity": f.severity.value, "path": f.path, "line": f.line,
                      "column": f.col, "end_line": f.end_line, "message": f.message, "why": f.why,
                      "fix": f.fix, "rewrite": f.rewrite, "source": f.source} for f in report.findings],
    }
    return json.dumps(payload, indent=2)


def render_github(report: LintReport) -> str:
    """One `::error file=...,line=...,col=...,title=...::message` workflow command per finding."""
    from orchestrator.github_actions import annotation

    out = [annotation("error" if f.severity is Severity.ERROR else "warning",
                      f.message + " - " + f.fix if f.fix else f.message, file=f.path, line=f.line, col=f.col,
                      end_line=f.end_line, title=f.rule) for f in report.findings]
    return "\n".join(out) + ("\n" if out else "")


def render_sarif(report: LintReport) -> str:
    rules = load_rules()
    ids = sorted(rules)
    driver = {"name": "orchestrator-lint", "informationUri": DOCS, "rules": [
        {"id": r, "name": r, "shortDescription": {"text": rules[r].summary},
         "fullDescription": {"text": rules[r].why}, "help": {"text": rules[r].fix},
         "helpUri": f"{DOCS}#{r}",
         "defaultConfiguration": {"level": _level(rules[r].severity)}} for r in ids]}
    results = [_sarif_result(f, ids.index(f.rule)) for f in report.findings]
    run = {"tool": {"driver": driver}, "originalUriBaseIds": {SRCROOT: _base(report.root)}, "results": results,
           "columnKind": "unicodeCodePoints"}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def _base(root: Path | None) -> dict[str, object]:
    """Where %SRCROOT% was: an absolute URI ending in `/` (§3.14.14), left out when unknown."""
    about: dict[str, object] = {"description": {"text": "The folder result paths are relative to (for "
                                                     "`orchestrator lint`: the git repository's root, or the "
                                                     "current folder outside a repository)."}}
    if root is None:
        return about
    uri = root.resolve().as_uri()
    return {"uri": uri if uri.endswith("/") else uri + "/", **about}


def _sarif_result(f: Finding, rule_index: int) -> dict[str, object]:
    region = {"startLine": f.line, "startColumn": f.col, "endLine": max(f.end_line, f.line)}
    if f.source:
        region["snippet"] = {"text": f.source}  # type: ignore[assignment]
    return {"ruleId": f.rule, "ruleIndex": rule_index, "level": _level(f.severity),
            "message": {"text": f"{f.message}. {f.fix}".strip()},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(f.path), "region": region}}]}


def _artifact(path: str) -> dict[str, str]:
    """A finding's file as a URI: relative to %SRCROOT% (the report's root), absolute when the file
    is outside it, and a bare relative reference for stdin without a name (no file holds it)."""
    if path == STDIN:
        return {"uri": quote(path)}
    if PurePath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.replace("\\", "/")), "uriBaseId": SRCROOT}


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"

