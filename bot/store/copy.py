"""Copy a whole case log into another, empty one (``cases migrate-to``), and prove it.

Ids are kept, so a case's clicks and follow-ups still point at it. The copy is one
transaction on the target: it lands whole or not at all. It refuses a target that
already holds rows, so running it twice never doubles the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import Store
from bot.store.models import TABLES


class TargetNotEmpty(ValueError):
    """The target already holds a case log."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def copy_case_log(source: Store, target: Store) -> list[TableCopy]:
    """Copy every table from ``source`` into the empty ``target``; the counts per table."""
    held = {table: n for table, n in target.table_counts().items() if table in TABLES and n}
    if held:
        found = ", ".join(f"{table} ({n})" for table, n in held.items())
        raise TargetNotEmpty(f"the target already holds rows: {found}; nothing copied")
    target.backend.import_rows({table: source.backend.export_rows(table) for table in TABLES})
    before, after = source.table_counts(), target.table_counts()
    return [TableCopy(table, before[table], after[table]) for table in TABLES]
