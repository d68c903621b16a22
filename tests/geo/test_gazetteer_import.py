import gzip
import tracemalloc

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from assets_hub.db import db
from assets_hub.geo.models import Postcode
from assets_hub.geo.postcodes import GazetteerFileError, import_postcode_file, unit_rows


def test_import_file_with_header(ctx, tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text("postcode,latitude,longitude,lad_code,country_code\n"
                    "zz1 1aa,53.1,-2.1,E08000007,E92000001\n"
                    "ZZ1  1AB,53.2,-2.2,E08000007,E92000001\n")
    assert import_postcode_file(path) == 2
    row = db.session.get(Postcode, "ZZ1 1AB")
    assert row.kind == "unit" and row.latitude == 53.2 and row.region_code == "E12000002"


def test_import_code_point_open_rows_converts_grid_references(ctx, tmp_path):
    # Stockport Town Hall in OS Code-Point Open's own layout (British National Grid metres).
    path = tmp_path / "sk.csv"
    path.write_text('"SK1 3XE",10,389561,389918,"E92000001","E19000001","E18000002","","E08000007","E05011080"\n'
                    '"SK2 9DA",90,0,0,"E92000001","E19000001","E18000002","","E08000007","E05011080"\n')
    assert import_postcode_file(path) == 2
    row = db.session.get(Postcode, "SK1 3XE")
    assert row.latitude == pytest.approx(53.405974, abs=0.00005) and row.longitude == pytest.approx(-2.158487, abs=0.00005)
    assert db.session.get(Postcode, "SK2 9DA").latitude is None


def test_bad_row_is_reported_with_its_line(ctx, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("postcode,latitude,longitude\nZZ1 1AA,53,-2\nnot a postcode,1,1\n")
    with pytest.raises(GazetteerFileError, match="line 3"):
        import_postcode_file(path)


def test_cli_import_is_all_or_nothing(app, database_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("postcode,latitude,longitude\nZY1 1AA,53,-2\nZY1 1AB,north,-2\n")
    result = CliRunner().invoke(args=["postcodes", "import", str(path)], cli=_cli(), env={"DATABASE_URL": database_url})
    assert result.exit_code == 1
    assert "line 3" in result.output and "Nothing was imported" in result.output
    with app.app_context():
        assert db.session.get(Postcode, "ZY1 1AA") is None


def test_cli_rejects_a_file_that_is_not_a_postcode_list(app, database_url, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,age\nbob,3\n")
    result = CliRunner().invoke(args=["postcodes", "import", str(path)], cli=_cli(), env={"DATABASE_URL": database_url})
    assert result.exit_code == 1 and "expected a header with postcode" in result.output


def _cli():
    from assets_hub.cli import main
    return main


def test_reading_streams_rows_in_constant_memory(tmp_path):
    """A 200,000-row gzipped file is read one row at a time: memory does not grow with the file."""
    path = tmp_path / "big.csv.gz"
    with gzip.open(path, "wt", newline="") as fh:
        fh.write("postcode,latitude,longitude\n")
        for i in range(200_000):
            fh.write(f"ZZ{i % 90 + 1} {i % 10}{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)},53.{i:06d},-2.1\n")
    tracemalloc.start()
    count = 0
    for _row in unit_rows(path):
        count += 1
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 200_000
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while reading"


def test_bundled_gazetteer_counts(ctx):
    counts = dict(db.session.execute(select(Postcode.kind, func.count()).group_by(Postcode.kind)).all())
    assert counts["district"] == 2873 and counts["sector"] == 10879
    assert counts["unit"] > 20000
