"""The archive schema, as an ordered list of sqlite-utils migrations applied on open.

Each migration is a function registered on `MIGRATIONS`, in the order it must run; sqlite-utils
records applied names in `_sqlite_migrations`, so an archive opened by a newer version gets
exactly the steps it is missing. To change the schema, append a new function at the end: never
edit or reorder one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from crawler.archive import crawl_state

MIGRATION_SET = "cpc-archive"
MIGRATIONS = Migrations(MIGRATION_SET)
# Where sqlite-utils records applied migrations: its presence marks a file as an archive.
MIGRATIONS_TABLE = Migrations.migrations_table

# Columns of `articles` holding lists or objects, stored as JSON text.
ARTICLE_JSON_COLUMNS = (
    "authors",
    "editors",
    "print_edition",
    "breadcrumbs",
    "keywords",
    "images",
    "paragraphs",
    "page_urls",
    "missing_pages",
)


@MIGRATIONS(name="001_runs_bodies_snapshots")
def _runs_bodies_snapshots(db: Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "kind": str,  # crawl, ingest, import-warc, reparse, ...
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "args": str,  # JSON of the options the run was started with
            "fetched": int,
            "new": int,
            "changed": int,
            "unchanged": int,
            "removed": int,
            "failed": int,
        },
        pk="id",
        not_null={"kind", "started_at"},
        defaults={k: 0 for k in ("fetched", "new", "changed", "unchanged", "removed", "failed")},
    )
    db["dictionaries"].create(
        {
            "id": int,
            "created_at": str,
            "samples": int,  # bodies it was trained on
            "size": int,
            "data": bytes,
        },
        pk="id",
        not_null={"data"},
    )
    db["bodies"].create(
        {
            "sha256": str,  # of the raw bytes: the content address
            "size": int,  # raw length in bytes
            "stored_size": int,  # length of `data`
            "codec": str,  # "zstd" (data compressed) or "raw"
            "dict_id": int,  # the zstd dictionary used, NULL for none
            "data": bytes,
        },
        pk="sha256",
        not_null={"size", "codec", "data"},
        foreign_keys=[("dict_id", "dictionaries", "id")],
    )
    db["snapshots"].create(
        {
            "id": int,
            "url": str,
            "final_url": str,
            "status": int,
            "headers": str,  # JSON object of the response headers as received
            "fetched_at": str,
            "body_sha256": str,
            "size": int,
            "charset": str,  # the charset the parser decoded the bytes with
            "run_id": int,
            "group_id": int,  # id of the first snapshot stored in the same call (page 1)
            "page": int,  # 1 for a page 1, N for a continuation page
            "article_key": str,  # the article this fetch was about, NULL when none
        },
        pk="id",
        not_null={"url", "status", "fetched_at", "body_sha256", "run_id"},
        foreign_keys=[("body_sha256", "bodies", "sha256"), ("run_id", "runs", "id")],
    )
    db["snapshots"].create_index(["url"])
    db["snapshots"].create_index(["article_key"])
    db["snapshots"].create_index(["body_sha256"])
    db["snapshots"].create_index(["group_id"])
    db["snapshots"].create_index(["run_id"])


@MIGRATIONS(name="002_articles_versions_failures")
def _articles_versions_failures(db: Database) -> None:
    db["articles"].create(
        {
            "key": str,  # crawler.urls.article_key
            "doc_id": int,  # stable integer id, the rowid of the article in the search index
            "url": str,
            "canonical_url": str,
            "content_id": str,
            "channel_id": str,
            "title": str,
            "pretitle": str,
            "subtitle": str,
            "original_title": str,
            "published_at": str,
            "source": str,
            "source_url": str,
            "authors": str,
            "editors": str,
            "print_edition": str,
            "breadcrumbs": str,
            "keywords": str,
            "description": str,
            "images": str,
            "paragraphs": str,
            "body_text": str,
            "page_count": int,
            "page_urls": str,
            "encoding": str,
            "template": str,
            "parser_version": str,
            "first_seen": str,
            "last_seen": str,
            "removed_at": str,
            "version": int,  # number of the current version
            "snapshot_id": int,  # the fetch (page 1) the current version came from
            "last_snapshot_id": int,  # the latest fetch that saw the article
            "body_sha256": str,  # raw bytes of that page-1 snapshot
            "text_sha256": str,  # of body_text: how reprints are recognised
            "content_sha256": str,  # of the edit-relevant fields: how changes are recognised
            "reprint_of": str,  # key of the earlier article with the same text
        },
        pk="key",
        not_null={"doc_id", "url", "first_seen", "last_seen"},
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db["articles"].create_index(["doc_id"], unique=True)
    db["articles"].create_index(["first_seen"])
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["text_sha256"])
    db["articles"].create_index(["channel_id"])
    db["article_urls"].create(
        {
            "url": str,  # canonical URL
            "article_key": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="url",
        not_null={"article_key"},
        foreign_keys=[("article_key", "articles", "key")],
    )
    db["article_urls"].create_index(["article_key"])
    db["versions"].create(
        {
            "id": int,
            "article_key": str,
            "version": int,  # 1, 2, ... per article
            "content_sha256": str,
            "body_sha256": str,
            "fields": str,  # JSON of the whole ArticleRecord of this state
            "snapshot_id": int,
            "parser_version": str,
            "seen_from": str,
            "seen_to": str,  # last fetch that still saw this state
        },
        pk="id",
        not_null={"article_key", "version", "fields", "seen_from"},
        foreign_keys=[("article_key", "articles", "key"), ("snapshot_id", "snapshots", "id")],
    )
    db["versions"].create_index(["article_key", "version"], unique=True)
    db["failures"].create(
        {
            "id": int,
            "url": str,
            "snapshot_id": int,
            "kind": str,  # not_found, empty, no_date, truncated, unreadable, ...
            "reason": str,
            "article_key": str,
            "run_id": int,
            "at": str,
        },
        pk="id",
        not_null={"url", "kind", "reason"},
        foreign_keys=[("snapshot_id", "snapshots", "id"), ("run_id", "runs", "id")],
    )
    db["failures"].create_index(["snapshot_id"])
    db["failures"].create_index(["kind"])


@MIGRATIONS(name="003_search_index")
def _search_index(db: Database) -> None:
    # Contentless: the index holds bigram-segmented title and body, the text itself stays in
    # `articles`. rowid = articles.doc_id. Title matches weigh more in bm25.
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "title, body, content='', tokenize='ascii', columnsize=1)"
    )
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0)')")


# The crawl frontier's table lives beside the functions over it (crawler.archive.crawl_state).
MIGRATIONS(name="004_crawl_state")(crawl_state.create_tables)


@MIGRATIONS(name="005_browse_views")
def _browse_views(db: Database) -> None:
    # For browsing (crawler/datasette/metadata.yml): Datasette facets only on columns, and the
    # month of publication is not one in `articles`.
    db.create_view(
        "article_list",
        "SELECT key, title, substr(published_at, 1, 7) AS month, published_at, source, "
        "editors, channel_id, version, removed_at, first_seen, last_seen, url, reprint_of "
        "FROM articles",
        replace=True,  # an archive that already has the view (from a development build)
    )


@MIGRATIONS(name="006_articles_decode_errors")
def _articles_decode_errors(db: Database) -> None:
    # A record from a damaged page says so itself: how many byte sequences were unreadable in
    # the charset used (ArticleRecord.decode_errors). 0 for every article stored before.
    db["articles"].add_column("decode_errors", int, not_null_default=0)


@MIGRATIONS(name="007_articles_missing_pages")
def _articles_missing_pages(db: Database) -> None:
    # A multi-page article stored with the pages that could be fetched says which are missing
    # and why (ArticleRecord.missing_pages, JSON); NULL when it is whole.
    db["articles"].add_column("missing_pages", str)


@MIGRATIONS(name="008_checks")
def _checks(db: Database) -> None:
    # What each run measured (crawler.monitoring.metrics), frozen at the end of the run: the
    # history the next runs are judged against. A later reparse rewrites articles, never this.
    db["run_metrics"].create(
        {
            "run_id": int,
            "spider": str,  # the spider of the run: each spider is judged against its own runs
            "metric": str,  # coverage, fallback, failures, listings, new, print, ...
            "key": str,  # what within the metric: "cpc:editors", "http_500", "" for a total
            "value": float,
        },
        pk=("run_id", "metric", "key"),
        not_null={"spider", "metric", "key", "value"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["run_metrics"].create_index(["spider", "metric"])
    # The verdict of every monitor on every run: `cpc-archive runs` and `health` read it.
    db["checks"].create(
        {
            "id": int,
            "run_id": int,
            "spider": str,
            "monitor": str,  # the Spidermon monitor's name
            "passed": int,  # 1 passed, 0 failed or errored
            "message": str,  # what was measured and against what, or why it failed
            "at": str,
        },
        pk="id",
        not_null={"run_id", "monitor", "passed", "message"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["checks"].create_index(["run_id"])


@MIGRATIONS(name="009_text_once_filter_index")
def _text_once_filter_index(db: Database) -> None:
    # The article text is stored once, in articles.body_text: the paragraphs column goes (the
    # paragraphs are body_text split at newlines) and the current version keeps in
    # versions.fields only what its articles row does not hold (crawler.archive.current).
    # The search index is rebuilt with the source and filter tokens (crawler.archive.search.fts).
    # Space freed here returns to the disk at the next VACUUM (`cpc-archive compact`).
    import json

    from crawler.archive.current import current_fields, full_fields, row_fields
    from crawler.archive.search.fts import index_article

    has_paragraphs = "paragraphs" in db["articles"].columns_dict
    keys = [r[0] for r in db.execute("SELECT key FROM articles ORDER BY doc_id")]
    for key in keys:
        row = db.execute(
            "SELECT v.id, v.fields FROM articles a JOIN versions v "
            "ON v.article_key = a.key AND v.version = a.version WHERE a.key = ?",
            [key],
        ).fetchone()
        if row is None:
            continue
        data = json.loads(row[1])
        data.setdefault("body_text", "\n".join(data.get("paragraphs") or []))
        stored = row_fields(db, key)
        stored.pop("paragraphs", None)  # the column about to go
        if "paragraphs" not in data:
            continue  # already in the short form
        if stored.get("body_text") != data["body_text"]:
            # the row does not hold this version's text: keep the version whole
            db.execute("UPDATE versions SET fields = ? WHERE id = ?", [full_fields(data), row[0]])
            continue
        db.execute(
            "UPDATE versions SET fields = ? WHERE id = ?", [current_fields(data, stored), row[0]]
        )
    if has_paragraphs:
        db.execute("ALTER TABLE articles DROP COLUMN paragraphs")
    db.execute("DROP TABLE IF EXISTS articles_fts")
    # The body is column 0: FTS5 writes a column marker (2 bytes) before the positions of
    # every other column in each (token, article) entry, a third of a bigram index's size.
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "body, title, source, tags, content='', tokenize='ascii', columnsize=1)"
    )
    # Title matches weigh 4x the body; source and filter tokens weigh nothing in bm25.
    db.execute(
        "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(1.0, 4.0, 0.0, 0.0)')"
    )
    # today's index_article, with no print edition yet (the column comes with 010); 019
    # indexes every article again with it
    for row in db.execute(
        "SELECT doc_id, title, body_text, source, published_at, channel_id, editors, NULL "
        "FROM articles"
    ):
        index_article(db, row)
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")


@MIGRATIONS(name="010_print_edition")
def _print_edition(db: Database) -> None:
    # One row per page (版面) of a print issue, so an issue can be rebuilt exactly: its name,
    # its PDF and index snapshots, and its articles in page order (crawler.archive.paper).
    db["print_pages"].create(
        {
            "paper": str,  # 人民日报
            "date": str,  # ISO date of the issue
            "number": str,  # page number as printed, "01"
            "name": str,  # "第01版：要闻"
            "url": str,  # the page's index page
            "layout": str,  # rmrb-html (to 2024-11) or rmrb-pc (from 2024-12)
            "pdf_url": str,  # "" when the page links no PDF
            "index_snapshot_id": int,  # the index page's latest snapshot
            "pdf_snapshot_id": int,  # the PDF's latest good snapshot, NULL when none (yet)
            "pdf_status": int,  # HTTP status of the latest PDF fetch, NULL when not fetched
            "article_urls": str,  # JSON list: the page's articles in order (their keys)
            "article_titles": str,  # JSON list: the titles the page lists, same order
            "issue_pages": str,  # JSON list of {number, name, url}: every page of the issue
            "first_seen": str,
            "last_seen": str,
            "run_id": int,
        },
        pk=("paper", "date", "number"),
        not_null={"url", "index_snapshot_id", "first_seen", "last_seen"},
        foreign_keys=[
            ("index_snapshot_id", "snapshots", "id"),
            ("pdf_snapshot_id", "snapshots", "id"),
            ("run_id", "runs", "id"),
        ],
    )
    db["print_pages"].create_index(["date"])
    # Print and web copies of one piece: the web page's 《人民日报》（date page 版） line matches
    # the print article's date and page, and the title or the text is the same.
    db["same_as"].create(
        {"print_key": str, "web_key": str, "matched_on": str, "at": str},
        pk=("print_key", "web_key"),
    )
    db["same_as"].create_index(["web_key"])
    # Finding the articles of a paper date and page (links, filters) without reading them all.
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_articles_paper_date ON articles("
        "json_extract(print_edition, '$.date'), json_extract(print_edition, '$.page'))"
    )
    # For browsing: Datasette facets only on columns, and the paper date and page are not.
    db.create_view(
        "print_article_list",
        "SELECT key, title, json_extract(print_edition, '$.paper') AS paper, "
        "json_extract(print_edition, '$.date') AS paper_date, "
        # "4" (a web page's print line) and "04" (the paper's own) are one page.
        "printf('%02d', CAST(json_extract(print_edition, '$.page') AS INTEGER)) AS paper_page, "
        "json_extract(print_edition, '$.page_name') AS page_name, "
        "json_extract(print_edition, '$.position') AS position, "
        "substr(json_extract(print_edition, '$.date'), 1, 7) AS month, url, template "
        "FROM articles WHERE print_edition IS NOT NULL",
        replace=True,
    )


@MIGRATIONS(name="011_distributed_runs")
def _distributed_runs(db: Database) -> None:
    # A distributed crawl (crawler.distributed) is one run however many workers it has: the
    # writer maps the crawl's id in Redis to its run row.
    db["distributed_runs"].create({"crawl": str, "run_id": int}, pk="crawl")
    # Its counts per worker, beside the run's totals.
    db["run_workers"].create(
        {
            "run_id": int,
            "worker": str,
            "fetched": int,
            "new": int,
            "changed": int,
            "unchanged": int,
            "removed": int,
            "failed": int,
        },
        pk=("run_id", "worker"),
        defaults={c: 0 for c in ("fetched", "new", "changed", "unchanged", "removed", "failed")},
    )
    # Stream entries the writer stored, in the transaction that stored them: an entry
    # redelivered after a writer died between commit and acknowledgement is not stored twice.
    db["stream_applied"].create({"entry": str, "run_id": int}, pk="entry")


# Instant columns, all written UTC with "Z" (crawler.archive.instants).
INSTANT_COLUMNS = {
    "snapshots": ("fetched_at",),
    "articles": ("first_seen", "last_seen", "removed_at"),
    "article_urls": ("first_seen", "last_seen"),
    "versions": ("seen_from", "seen_to"),
    "failures": ("at",),
    "crawl_frontier": ("added_at", "done_at"),
    "crawl_lock": ("started_at", "heartbeat_at"),  # dropped after this, by 014b
}


@MIGRATIONS(name="013_instants_in_utc_z")
def _instants_in_utc_z(db: Database) -> None:
    # Crawls wrote +00:00, ingest, import-warc and runs wrote Z: one column held both, and
    # "…:00+00:00" < "…:00Z" as text though they are the same instant. One form: Z.
    for table, columns in INSTANT_COLUMNS.items():
        for column in columns:
            db.execute(
                f"UPDATE [{table}] SET [{column}] = substr([{column}], 1, "
                f"length([{column}]) - 6) || 'Z' WHERE [{column}] LIKE '%+00:00'"
            )


# The run lock is a file beside the archive now (crawler.archive.lockfile), not a table.
MIGRATIONS(name="014b_drop_crawl_lock")(crawl_state.drop_lock_table)


@MIGRATIONS(name="015_article_list_doc_id")
def _article_list_doc_id(db: Database) -> None:
    # The browsing view's search (crawler/datasette/plugin.py) selects rows by the index's own
    # rowids: a million keys read through a join did not fit Datasette's time limit.
    db.create_view(
        "article_list",
        "SELECT key, doc_id, title, substr(published_at, 1, 7) AS month, published_at, source, "
        "editors, channel_id, version, removed_at, first_seen, last_seen, url, reprint_of "
        "FROM articles",
        replace=True,
    )


@MIGRATIONS(name="016_articles_channel_first_seen")
def _articles_channel_first_seen(db: Database) -> None:
    # The monitors ask, for every channel a crawl listed, when its newest article was first
    # seen (crawler.monitoring.metrics.channel_ages): the channel's own index made that a read
    # of every article of the channel; this one answers from its last entry, and serves every
    # lookup by channel the old one did.
    db["articles"].create_index(["channel_id", "first_seen"], if_not_exists=True)
    db.execute("DROP INDEX IF EXISTS idx_articles_channel_id")


@MIGRATIONS(name="017_failures_url")
def _failures_url(db: Database) -> None:
    # Whether a URL failed for good (crawler.archive.crawl_state.settled) is asked for every
    # new link a crawl finds, and by the distributed archiver for every failed URL it
    # publishes: without an index each answer read the whole table, which grows every run.
    db["failures"].create_index(["url"], if_not_exists=True)


@MIGRATIONS(name="018_failures_run_id")
def _failures_run_id(db: Database) -> None:
    # The monitors count each run's failures by kind when the run ends
    # (crawler.monitoring.metrics): a read of the run's rows, not of every failure ever kept.
    db["failures"].create_index(["run_id", "kind"], if_not_exists=True)


@MIGRATIONS(name="019_index_editor_print_source")
def _index_editor_print_source(db: Database) -> None:
    # Editors, the print edition's date and page and the whole 来源 name become index tokens
    # (crawler.archive.search.tags), so those filters stop reading every match's row. A
    # contentless index cannot change an entry in place: every article is indexed again.
    from crawler.archive.search.fts import INDEXED, index_article

    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
    # One merge at the end instead of merging segments while every article is written again
    # (what bench/archive.py does to build its archives); then FTS5's own settings again.
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 0)")
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('crisismerge', 64)")
    for row in db.execute(f"SELECT {INDEXED} FROM articles ORDER BY doc_id"):
        index_article(db, row)
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 4)")
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('crisismerge', 16)")


def apply_migrations(db: Database) -> None:
    MIGRATIONS.apply(db)


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in MIGRATIONS.pending(db)]
