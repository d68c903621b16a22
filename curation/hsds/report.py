"""What an import found and did: counts, problems (which refuse the whole import) and warnings,
printed by the commands."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_PROBLEMS = 1000


@dataclass
class Problem:
    file: str
    row: int | str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, {self.field}: {self.problem}"


@dataclass
class Report:
    source: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    committed: bool = False
    # per-import working state (not part of the printed report)
    seen_orgs: set = field(default_factory=set, repr=False)         # organisations written so far
    pending_parents: dict = field(default_factory=dict, repr=False)  # term id -> parent not yet known
    analyzed_at: int = field(default=0, repr=False)                 # rows written at the last ANALYZE

    def problem(self, file, row, fld, text) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(file, row, fld, text))

    def warn(self, file, row, fld, text) -> None:
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(Problem(file, row, fld, text))

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"{'Dry run of' if self.dry_run else 'Import of'} {self.source}:",
               f"  created {self.created:,}, updated {self.updated:,}, unchanged {self.unchanged:,}, "
               f"rejected {self.rejected:,}"]
        if self.duplicates:
            out.append(f"  {self.duplicates:,} likely duplicate pair(s) flagged for curators")
        if self.problems:
            out.append(f"  {len(self.problems):,} problem(s){' (first ' + str(MAX_PROBLEMS) + ')' if len(self.problems) >= MAX_PROBLEMS else ''}:")
            out += [f"    {p}" for p in self.problems]
        if self.warnings:
            out.append(f"  {len(self.warnings):,} warning(s):")
            out += [f"    {w}" for w in self.warnings[:200]]
        if self.dry_run:
            out.append("  Nothing was changed (dry run).")
        elif self.committed:
            out.append("  Committed.")
        else:
            out.append("  Nothing was changed: fix the problems above and import again.")
        return out
