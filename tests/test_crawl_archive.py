from scrapy.settings import Settings

from crawler.components.connection import open_crawl_archive


def test_crawl_opens_the_archive_its_settings_name_with_their_busy_timeout(tmp_path):
    path = tmp_path / "crawl.db"
    settings = Settings({"ARCHIVE_DB": str(path), "ARCHIVE_BUSY_TIMEOUT": 7.5})
    db = open_crawl_archive(settings)
    try:
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 7500
        assert db.journal_mode == "wal"
    finally:
        db.close()
    assert path.exists()
