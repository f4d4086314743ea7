"""squawk's rule names and ours, so teams moving over keep their `-- squawk-ignore` comments.

A squawk rule may map to several of ours (squawk's NOT VALID advice covers UNIQUE, which we report
as its own rule). Names squawk has and we lack map to nothing: ignoring them suppresses nothing.
"""

from __future__ import annotations

SQUAWK_TO_OURS: dict[str, tuple[str, ...]] = {
    "require-concurrent-index-creation": ("require-concurrent-index",),
    "require-concurrent-index-deletion": ("require-concurrent-index-drop",),
    "adding-required-field": ("adding-required-column",),
    "adding-field-with-default": ("volatile-default",),
    "adding-not-nullable-field": ("set-not-null",),
    "constraint-missing-not-valid": ("constraint-missing-not-valid", "unique-on-existing-table"),
    "adding-foreign-key-constraint": ("constraint-missing-not-valid",),
    "disallowed-unique-constraint": ("unique-on-existing-table",),
    "changing-column-type": ("changing-column-type",),
    "ban-drop-table": ("ban-drop-table",),
    "ban-drop-column": ("ban-drop-column",),
    "ban-drop-database": ("ban-drop-database",),
    "ban-truncate-cascade": ("ban-truncate-cascade",),
    "renaming-table": ("renaming-table",),
    "renaming-column": ("renaming-column",),
    "ban-drop-not-null": ("ban-drop-not-null",),
    "prefer-timestamp-tz": ("prefer-timestamptz",),
    "prefer-text-field": ("prefer-text-field",),
    "ban-char-field": ("ban-char-field",),
    "ban-uncommitted-transaction": ("uncommitted-transaction",),
    "transaction-nesting": ("explicit-transaction", "statements-after-commit"),
    "ban-concurrent-index-creation-in-transaction": ("concurrently-with-other-statements",),
    "require-timeout-settings": ("require-lock-timeout",),
}


def ours(names: tuple[str, ...]) -> tuple[str, ...]:
    """Our rule ids for squawk rule names (unknown squawk names: nothing)."""
    return tuple(r for name in names for r in SQUAWK_TO_OURS.get(name, ()))
