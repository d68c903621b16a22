"""The code's shape, where a user of it would notice: migrations stand alone (each carries what
it ran, so a later change cannot rewrite an earlier one). The layer contract itself is checked by
lint-imports in make test (pyproject.toml [tool.importlinter])."""
from __future__ import annotations


def test_no_migration_loads_another():
    from pathlib import Path
    for path in sorted((Path(__file__).parents[1] / "migrations" / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "load_python_file" not in source and "import_module" not in source, path.name
