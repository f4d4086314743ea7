"""`verify`: SQL assertions after migrations, against db_url or the Management API."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, RootModel, model_validator

from orchestrator.context import StepContext
from orchestrator.errors import StepFailed
from orchestrator.playbook.models import INTEGER_AS_WRITTEN
from orchestrator.steps.base import NoStaticChecks, StepConfig, StepOutcome

RowCount = Annotated[int, Field(ge=0, le=2**63 - 1), INTEGER_AS_WRITTEN]  # bigint, as count(*) returns


class Assertion(StepConfig):
    """One SQL query and what it must return: give exactly one of expect_rows or expect."""

    # `_one_expectation` as a schema: expect_rows (not null) without expect, or expect (any value) without
    # expect_rows other than null.
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["expect_rows"], "properties": {"expect_rows": {"not": {"type": "null"}}},
         "not": {"required": ["expect"]}},
        {"required": ["expect"], "properties": {"expect_rows": {"type": "null"}}},
    ]})

    name: str = Field(min_length=1)
    sql: str = Field(min_length=1, description="run read-only against db_url, or through the Management API")
    expect_rows: RowCount | None = Field(None, description="exact number of rows")
    expect: Any = Field(None, description="the value of the first column of the first row")

    @model_validator(mode="after")
    def _one_expectation(self) -> Assertion:
        if (self.expect_rows is None) == ("expect" not in self.model_fields_set):
            raise ValueError("give exactly one of expect_rows or expect")
        return self

    def describe(self) -> str:
        return f"{self.expect_rows} row(s)" if self.expect_rows is not None else f"value {self.expect!r}"


class VerifyConfig(RootModel[list[Assertion]]):
    """SQL assertions, checked in order (after migrations)."""

    model_config = {"frozen": True}


def check_assertion(assertion: Assertion, rows: list[dict[str, Any]]) -> str | None:
    """None when the rows satisfy the assertion, else what was actually found."""
    if assertion.expect_rows is not None:
        return None if len(rows) == assertion.expect_rows else f"{len(rows)} row(s)"
    actual = next(iter(rows[0].values()), None) if rows else None
    return None if _same(actual, assertion.expect) else (f"value {actual!r}" if rows else "no rows")


def _same(actual: Any, expected: Any) -> bool:
    # Values come back typed from psycopg and as JSON from the API; YAML gives its own types.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() in {str(expected).lower(), {"true": "t", "false": "f"}.get(str(expected).lower())}
    try:
        return float(actual) == float(expected)
    except (TypeError, ValueError):
        return str(actual) == str(expected)


class VerifyStep(NoStaticChecks):
    kind: ClassVar[str] = "verify"
    config_model: ClassVar[type[Any]] = VerifyConfig


    def plan(self, config: VerifyConfig, ctx: StepContext) -> list[str]:
        via = "db_url" if ctx.env.db_url else "the Management API"
        return [f"assert '{a.name}' returns {a.describe()} (via {via})" for a in config.root]

    def run(self, config: VerifyConfig, ctx: StepContext) -> StepOutcome:
        failures, results = [], []
        for assertion in config.root:
            problem = check_assertion(assertion, ctx.query(assertion.sql))
            results.append({"name": assertion.name, "ok": problem is None, "actual": problem})
            if problem is None:
                ctx.ui.ok(f"verify: {assertion.name}")
                continue
            failures.append(f"'{assertion.name}': expected {assertion.describe()}, got {problem}\n"
                            f"    sql: {assertion.sql}")
            ctx.ui.error(f"verify: {assertion.name}: expected {assertion.describe()}, got {problem}")
        if failures:
            raise StepFailed("verify failed:\n  " + "\n  ".join(failures))
        return StepOutcome("ok", f"{len(results)} assertion(s) passed", {"assertions": results})
