"""Facts recorded per file (tables created, columns added, RLS enabled) and the conditions
that read them across the whole, ordered migration set."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.lint.rules import Unless

_COERCIBLE_TO_TEXT = ("varchar", "text", "citext")


class FactIndex:
    """Answers `Unless` conditions for a finding in file number `idx`.

    Scopes: `new` (earlier files among those being linted: tables they create are still empty),
    `before` (any earlier file), `or_later` (this file or a later one), `anywhere`.
    """

    def __init__(self, events: Sequence[Sequence[tuple[str, str]]], chosen: Sequence[bool]) -> None:
        self.chosen = list(chosen)
        self.by_key: dict[str, list[tuple[int, str]]] = {}
        self.aliases: dict[str, str] = {}  # table name -> a representative of the names it went by
        for idx, file_events in enumerate(events):
            for key, value in file_events:
                self.by_key.setdefault(key, []).append((idx, value))
                if key.startswith("renamed:"):  # RENAME TO / SET SCHEMA: one table, two names
                    self._join(key.removeprefix("renamed:"), value)

    def _find(self, name: str) -> str:
        while self.aliases.get(name, name) != name:
            name = self.aliases[name]
        return name

    def _join(self, a: str, b: str) -> None:
        self.aliases[self._find(a)] = self._find(b)

    def _events(self, key: str) -> Sequence[tuple[int, str]]:
        """The events of `key`; for a table's RLS state, those of every name the table went by."""
        if not key.startswith("rls:") or not self.aliases:
            return self.by_key.get(key, ())
        return sorted(e for n in self._names(key[4:]) for e in self.by_key.get(f"rls:{n}", ()))

    def _names(self, name: str) -> set[str]:
        """Every name the table `name` went by (RENAME TO, SET SCHEMA)."""
        if not self.aliases:
            return {name}
        root = self._find(name)
        return {n for n in [*self.aliases, *self.aliases.values()] if self._find(n) == root} | {name}

    def holds(self, cond: Unless, idx: int) -> bool:
        if cond.test == "validated":
            return self._validated(cond.key, idx)
        if cond.test in ("present", "absent"):  # anywhere in the set, under any of its names
            kind, _, name = cond.key.partition(":")
            found = any(f"{kind}:{n}" in self.by_key for n in self._names(name))
            return found is (cond.test == "present")
        events = self._events(cond.key)
        if cond.scope in ("new", "before"):
            earlier = [v for i, v in events if i < idx and (cond.scope == "before" or self.chosen[i])]
            if not earlier:  # unknown: `assume-` tests give the benefit of the doubt
                return cond.test.startswith("assume-")
            return self.test(cond.test, earlier[-1])
        if cond.scope == "or_later":
            return any(self.test(cond.test, v) for i, v in events if i >= idx)
        return any(self.test(cond.test, v) for _, v in events)

    def _validated(self, key: str, idx: int) -> bool:
        """A `CHECK (col IS NOT NULL)` added valid, or added NOT VALID and then validated (that very
        constraint, in an earlier file or this one) before file `idx`: Postgres then skips the scan."""
        earlier = [v for i, v in self.by_key.get(key, ()) if i < idx]
        if not earlier:
            return False
        state = earlier[-1]
        table = key.removeprefix("notnull-check:").rsplit(".", 1)[0]
        return state == "valid" or (state.startswith("not_valid:") and any(
            i <= idx for i, _ in self.by_key.get(f"validated:{table}.{state.removeprefix('not_valid:')}", ())))

    @staticmethod
    def test(test: str, value: str) -> bool:
        kind, _, arg = test.removeprefix("assume-").partition(":")
        if kind == "eq":
            return value == arg
        if kind == "ne":
            return value != arg
        if kind == "validated":  # within one file (see _validated for the whole set)
            return value == "valid"
        if kind == "coercible":
            return binary_coercible(value, arg)
        return kind != "absent"  # any event proves presence; absence needs the whole set


def binary_coercible(old: str, new: str) -> bool:
    """Whether ALTER COLUMN TYPE old -> new skips the table rewrite (canonical names from locks.py)."""
    if old == new:
        return True
    old_name, old_mods = _split(old)
    new_name, new_mods = _split(new)
    if new_name in ("text", "citext") or (new_name == "varchar" and not new_mods):
        return old_name in _COERCIBLE_TO_TEXT
    if new_name in ("varchar", "varbit") and old_name == new_name:
        return bool(old_mods) and old_mods[0] <= new_mods[0]
    if new_name == "numeric" and old_name == "numeric":
        return not new_mods or (len(old_mods) == len(new_mods) == 2 and old_mods[1] == new_mods[1]
                                and old_mods[0] <= new_mods[0])
    return (old_name, new_name) == ("cidr", "inet")


def _split(canonical: str) -> tuple[str, list[int]]:
    name, _, mods = canonical.partition("(")
    return name, [int(m) for m in mods.rstrip(")").split(",") if m.strip().isdigit()]
