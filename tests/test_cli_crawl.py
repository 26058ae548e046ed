"""`cpc-archive replay-proxy` and `cpc-archive demo`."""

from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.cli import main


def test_replay_proxy_refuses_a_source_it_cannot_read(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a recording")
    result = CliRunner().invoke(main, ["replay-proxy", "--from", str(junk), "--port", "0"])
    assert result.exit_code == 1
    assert "not a site folder, a WARC file or an archive database" in result.output


def test_replay_proxy_help_says_how_to_crawl_through_it():
    result = CliRunner().invoke(main, ["replay-proxy", "--help"])
    assert result.exit_code == 0
    assert "http_proxy=http://127.0.0.1:PORT scrapy crawl cpc" in result.output


def test_demo_crawls_the_recorded_site_into_a_fresh_archive(tmp_path):
    db = tmp_path / "demo.db"
    db.write_bytes(b"an old file the demo replaces")
    result = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "ended 'finished'" in result.output
    assert "What next:" in result.output
    assert f"cpc-archive search --db {db}" in result.output
    archive = open_archive(db)
    assert archive.execute("SELECT count(*) FROM articles").fetchone()[0] >= 30
    assert archive.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    archive.close()
