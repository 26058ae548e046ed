"""Datasette plugin: the reading room, pages a researcher works in without knowing SQL.

    /                      search: one box, facets, hits with highlighted snippets
    /-/article?key=KEY     the article as it reads, its URLs, versions, diffs and snapshots
    /-/snapshot/ID         one fetch: headers, a download, and the page rendered in a sandbox
    /-/snapshot/ID/page    the archived bytes as a page, scripts off, nothing fetched elsewhere
    /-/snapshot/ID/raw     the exact bytes as fetched, for download
    /-/runs, /-/failures   what each crawl did, and what could not become an article, in words

Pages live under /-/ (Datasette's instance namespace), so no database name can shadow them;
Datasette's own tables, canned queries and JSON stay where they are. Every page reads through
crawler.archive functions, on Datasette's read-only connection (guard.run_trusted).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape
from sqlite_utils import Database
from w3lib.encoding import html_to_unicode

from crawler.archive.current import article_record
from crawler.archive.history import (
    archived_snapshot_of,
    article_row,
    article_snapshots,
    article_urls,
    article_versions,
    version_diff,
)
from crawler.archive.run_story import describe_failure, describe_run
from crawler.archive.search.facets import FacetCounts, Filters, facet_counts
from crawler.archive.search.fts import QueryError, search_results
from crawler.archive.snapshots import snapshot_fetch
from crawler.datasette.guard import run_trusted

# Hits shown on one search page, and the most a page may ask for.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
FACET_TITLES = {
    "year": "Year",
    "month": "Month",
    "channel": "Channel",
    "source": "Source",
    "editor": "Editor",
    "paper_date": "Paper date",
    "paper_page": "Paper page",
}
# facet -> the query-string filters its value sets
FACET_FILTERS = {
    "year": ("since", "until"),
    "month": ("since", "until"),
    "channel": ("channel",),
    "source": ("source",),
    "editor": ("editor",),
    "paper_date": ("paper_date",),
    "paper_page": ("paper_page",),
}
FILTER_NAMES = ("since", "until", "source", "editor", "channel", "paper_date", "paper_page")

# The rendered snapshot: no script, no plugin, nothing from any other origin or even this one
# but the page itself and inline styles; `sandbox` gives it an opaque origin of its own.
SNAPSHOT_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
# Reading-room pages: their own origin only, so an article's image URL (the live site) is
# never fetched; frames only from here, which also holds for a link clicked inside the frame.
ROOM_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-src 'self'; form-action 'self'; base-uri 'none'"
)


def _db(datasette):
    return datasette.get_database()


async def _read(datasette, fn):
    """fn(Database) on Datasette's read connection, internal tables readable."""
    return await _db(datasette).execute_fn(run_trusted(lambda conn: fn(Database(conn))))


async def _page(datasette, request, template: str, context: dict, status: int = 200):
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status, headers={"Content-Security-Policy": ROOM_CSP})


def highlight(snippet: str, spans: list[tuple[int, int]]) -> Markup:
    """`snippet` escaped, each match in <mark>."""
    out, pos = [], 0
    for start, end in spans:
        out += [escape(snippet[pos:start]), Markup("<mark>"), escape(snippet[start:end])]
        out.append(Markup("</mark>"))
        pos = end
    out.append(escape(snippet[pos:]))
    return Markup("").join(out)


def _filters(request) -> Filters:
    # the source comes from a facet value: the whole name, not a part of it
    values = {n: (request.args.get(n) or "").strip() or None for n in FILTER_NAMES}
    return Filters(**values, exact_source=True)


def _facet_links(q: str, filters: Filters, counts: FacetCounts) -> dict:
    """Each facet's values, with the link that adds (or removes) it as a filter."""
    base = {"q": q, **{n: getattr(filters, n) for n in FILTER_NAMES if getattr(filters, n)}}
    out = {}
    for name, values in counts.facets.items():
        keys = FACET_FILTERS[name]
        items = []
        for value, n in values:
            selected = all(base.get(k) == value for k in keys)
            args = {k: v for k, v in base.items() if k not in keys}
            if not selected:
                args.update(dict.fromkeys(keys, value))
            items.append(
                {"value": value, "count": n, "selected": selected, "href": "/?" + urlencode(args)}
            )
        out[name] = {"title": FACET_TITLES[name], "items": items}
    return out


def _search_page(db: Database, q: str, filters: Filters, size: int) -> dict:
    found = search_results(db, q, limit=size, **filters.search_kwargs())
    return {"hits": found.hits, "counts": facet_counts(db, q, filters, total=found.total)}


async def search_view(datasette, request):
    q = (request.args.get("q") or "").strip()
    filters = _filters(request)
    try:
        size = min(MAX_PAGE_SIZE, max(1, int(request.args.get("size") or PAGE_SIZE)))
    except ValueError:
        size = PAGE_SIZE
    context = {
        "q": q,
        "filters": filters,
        "error": None,
        "hits": [],
        "total": None,
        "facets": {},
        "facets_counted": None,
    }
    if q:
        try:
            found = await _read(datasette, lambda db: _search_page(db, q, filters, size))
        except QueryError as e:
            context["error"] = str(e)
        else:
            context["hits"] = [
                {
                    "key": h.key,
                    "title": h.title,
                    "published_at": h.published_at,
                    "source": h.source,
                    "snippet": highlight(h.snippet, h.spans),
                    "href": "/-/article?" + urlencode({"key": h.key}),
                }
                for h in found["hits"]
            ]
            context["total"] = found["counts"].total
            context["facets_counted"] = found["counts"].counted
            if size < MAX_PAGE_SIZE and context["total"] > size:
                context["more_size"] = min(MAX_PAGE_SIZE, size * 5)
                args = {
                    "q": q,
                    **{n: getattr(filters, n) for n in FILTER_NAMES if getattr(filters, n)},
                }
                context["more_href"] = "/?" + urlencode({**args, "size": context["more_size"]})
            context["facets"] = _facet_links(q, filters, found["counts"])
    context["database"] = _db(datasette).name
    return await _page(datasette, request, "room_search.html", context)


def _article_page(db: Database, key: str, old: int | None, new: int | None) -> dict | None:
    row = article_row(db, key)
    if row is None:
        return None
    record = article_record(db, key)
    images = [
        {"src": i.src, "caption": i.caption, "snapshot": archived_snapshot_of(db, i.src)}
        for i in record.images
    ]
    versions = article_versions(db, key)
    numbers = [v.version for v in versions]
    diff = None
    if old in numbers and new in numbers and old != new:
        diff = version_diff(db, key, old, new)
    return {
        "row": row,
        "record": record,
        "images": images,
        "article_urls": article_urls(db, key),
        "versions": versions,
        "snapshots": article_snapshots(db, key),
        "diff": diff,
        "old": old,
        "new": new,
    }


def _int_arg(request, name: str) -> int | None:
    try:
        return int(request.args.get(name) or "")
    except ValueError:
        return None


async def article_view(datasette, request):
    key = request.args.get("key") or ""
    old, new = _int_arg(request, "old"), _int_arg(request, "new")
    data = await _read(datasette, lambda db: _article_page(db, key, old, new))
    if data is None:
        return await _page(datasette, request, "room_missing.html", {"what": f"article {key}"}, 404)
    return await _page(datasette, request, "room_article.html", {"key": key, **data})


def _snapshot(db: Database, snapshot_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM snapshots WHERE id = ?", [snapshot_id]))
    if not rows:
        return None
    fetch = snapshot_fetch(db, snapshot_id)
    row = rows[0]
    charset = row.get("charset") or ""
    if not charset:
        content_type = next(
            (v for k, v in fetch.headers.items() if k.lower() == "content-type"), None
        )
        charset, _ = html_to_unicode(content_type, fetch.body)
    return {"row": row, "fetch": fetch, "charset": charset}


async def _snapshot_or_404(datasette, request):
    snapshot_id = int(request.url_vars["id"])
    data = await _read(datasette, lambda db: _snapshot(db, snapshot_id))
    return snapshot_id, data


async def snapshot_view(datasette, request):
    snapshot_id, data = await _snapshot_or_404(datasette, request)
    if data is None:
        return await _page(
            datasette, request, "room_missing.html", {"what": f"snapshot {snapshot_id}"}, 404
        )
    return await _page(datasette, request, "room_snapshot.html", {"id": snapshot_id, **data})


def reading_type(headers: dict, charset: str) -> str:
    """The Content-Type the archived bytes are served with for reading: HTML (the usual case)
    with the charset the parser used; an image as the image it is; any other type as text,
    never as something the browser would run or hand to a plugin."""
    declared = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media = declared.split(";")[0].strip().lower()
    if media.startswith("image/") and media != "image/svg+xml":
        return media
    if media in ("", "text/html", "application/xhtml+xml"):
        return f"text/html; charset={charset}" if charset else "text/html"
    return f"text/plain; charset={charset}" if charset else "text/plain"


async def snapshot_page(datasette, request):
    _, data = await _snapshot_or_404(datasette, request)
    if data is None:
        return Response.text("no such snapshot", status=404)
    # The stored bytes as they are, decoded by the browser with the charset the parser used.
    return Response(
        data["fetch"].body,
        content_type=reading_type(data["fetch"].headers, data["charset"]),
        headers={"Content-Security-Policy": SNAPSHOT_PAGE_CSP, "X-Content-Type-Options": "nosniff"},
    )


async def snapshot_raw(datasette, request):
    snapshot_id, data = await _snapshot_or_404(datasette, request)
    if data is None:
        return Response.text("no such snapshot", status=404)
    name = f"snapshot-{snapshot_id}-{data['row']['body_sha256'][:12]}.bin"
    return Response(
        data["fetch"].body,
        content_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _runs(db: Database) -> list[dict]:
    runs = list(db.query("SELECT * FROM runs ORDER BY id DESC"))
    for run in runs:
        run["story"] = describe_run(run)
    return runs


async def runs_view(datasette, request):
    runs = await _read(datasette, _runs)
    return await _page(datasette, request, "room_runs.html", {"runs": runs})


def _failures(db: Database, run_id: int | None, kind: str | None) -> dict:
    where, params = [], []
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    sql = "SELECT * FROM failures" + (" WHERE " + " AND ".join(where) if where else "")
    failures = list(db.query(sql + " ORDER BY id DESC LIMIT 500", params))
    for failure in failures:
        failure["story"] = describe_failure(failure)
    kinds = db.execute(
        "SELECT kind, count(*) FROM failures GROUP BY kind ORDER BY 2 DESC"
    ).fetchall()
    return {"failures": failures, "kinds": kinds}


async def failures_view(datasette, request):
    run_id, kind = _int_arg(request, "run"), request.args.get("kind") or None
    data = await _read(datasette, lambda db: _failures(db, run_id, kind))
    return await _page(
        datasette, request, "room_failures.html", {"run": run_id, "kind": kind, **data}
    )


@hookimpl
def register_routes():
    return [
        (r"^/$", search_view),
        (r"^/-/article$", article_view),
        (r"^/-/snapshot/(?P<id>\d+)$", snapshot_view),
        (r"^/-/snapshot/(?P<id>\d+)/page$", snapshot_page),
        (r"^/-/snapshot/(?P<id>\d+)/raw$", snapshot_raw),
        (r"^/-/runs$", runs_view),
        (r"^/-/failures$", failures_view),
    ]


@hookimpl
def extra_template_vars(datasette):
    return {"room_database": _db(datasette).name, "json_dumps": json.dumps}
