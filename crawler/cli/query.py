"""Reading the archive: `search`, `show`, `stats`, `runs`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from crawler.archive.selection import article_row, filter_sql, version_rows
from crawler.cli import main
from crawler.cli.options import (
    console,
    db_option,
    filter_options,
    json_option,
    open_db,
    print_json,
    table,
)


@main.command()
@click.argument("query")
@filter_options
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Hits to show."
)
@db_option
@json_option
def search(query, filters, limit, db_path, as_json):
    """Search titles and bodies, best matches first.

    Words of two Chinese characters and up match anywhere in the text; several words must all
    occur (AND may be written out); "quotes" keep a phrase together; OR joins alternatives;
    -word or NOT word excludes (put `--` before a query that starts with "-"); title: and
    body: search one field. It prints how many articles match in all, not only those shown;
    --json gives {"total", "more", "hits"}.

    \b
    Example:
      $ cpc-archive search 妇联 --since 2024-01-01 --source 中国妇女报 --limit 5
      $ cpc-archive search '"全面深化改革" OR 改革开放' --json
    """
    from crawler.archive.search import QueryError, search_results

    with open_db(db_path) as db:
        try:
            found = search_results(db, query, limit=limit, **filters.as_kwargs())
        except QueryError as e:
            raise click.UsageError(f"bad query {query!r}: {e}") from e
    hits = found.hits
    if as_json:
        print_json(
            {
                "total": found.total,
                "more": found.more,
                "hits": [
                    {
                        "key": h.key,
                        "title": h.title,
                        "published_at": h.published_at,
                        "source": h.source,
                        "channel_id": h.channel_id,
                        "url": h.url,
                        "score": h.score,
                        "snippet": h.snippet,
                        "highlights": [list(s) for s in h.spans],
                    }
                    for h in hits
                ],
            }
        )
        return
    if not hits:
        console.print(f"No article matches {escape(query)!r}.")
        return
    one = found.total == 1
    total = f"{found.total} article{'' if one else 's'} match{'es' if one else ''} {query!r}"
    shown = f": the best {len(hits)} shown, more with --limit" if found.more else ""
    t = table(
        total + shown,
        ["#", "key", "published", "title / snippet"],
        [],
    )
    for i, h in enumerate(hits, 1):
        cell = Text(h.title or "", style="bold")
        cell.append("\n")
        cell.append_text(_highlight(h.snippet, h.spans))
        cell.append(f"\n{h.source or ''}  {h.url}", style="dim")
        t.add_row(str(i), h.key, (h.published_at or "")[:16], cell)
    console.print(t)


def _highlight(snippet: str, spans) -> Text:
    text = Text(snippet)
    for start, end in spans:
        text.stylize("bold reverse", start, end)
    return text


@main.command()
@click.argument("key")
@click.option("--diff", is_flag=True, help="Show what changed between two versions.")
@click.option("--from", "from_version", type=int, help="Older version for --diff.")
@click.option("--to", "to_version", type=int, help="Newer version for --diff.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the exact bytes the (--to or current) version was parsed from to this file.",
)
@click.option("--force", is_flag=True, help="Overwrite the --html file if it exists.")
@db_option
@json_option
def show(key, diff, from_version, to_version, html_path, force, db_path, as_json):
    """Show one article: fields, URLs, versions, changes.

    --diff shows what changed between versions, --html writes the bytes it was read from. KEY is
    the article key from `search` (people:40294553), a content id, or any URL the article was
    seen under. --diff compares the last two versions unless --from/--to say which, paragraph by
    paragraph.

    \b
    Example:
      $ cpc-archive show people:40294553
      $ cpc-archive show people:40294553 --diff
      $ cpc-archive show http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html --html page.html
    """
    with open_db(db_path) as db:
        resolved = resolve_key(db, key)
        if resolved is None:
            raise click.ClickException(f"no article {key!r} in {db_path}")
        row = article_row(db, resolved)
        versions = list(version_rows(db, resolved))
        numbers = [v["version"] for v in versions]
        if to_version is not None and to_version not in numbers:
            raise click.BadParameter(f"no version {to_version} (has {numbers})", param_hint="--to")
        if from_version is not None and from_version not in numbers:
            raise click.BadParameter(
                f"no version {from_version} (has {numbers})", param_hint="--from"
            )
        diff_out = None
        if diff or from_version is not None:
            diff_out = _diff(versions, from_version, to_version)
        written = None
        if html_path is not None:
            target = to_version if to_version is not None else row["version"]
            version = next(v for v in versions if v["version"] == target)
            written = _write_html(db, version, html_path, force)
    if as_json:
        out = {"article": row, "versions": versions}
        if diff_out is not None:
            out["diff"] = diff_out
        if written:
            out["html"] = written
        print_json(out)
        return
    _print_article(row, versions)
    if diff_out is not None:
        _print_diff(diff_out)
    for path, size, sha in written or []:
        console.print(f"Wrote {size} bytes (sha256 {sha}) to {escape(str(path))}")


def resolve_key(db, key: str) -> str | None:
    """An article key from a key, a bare content id, or any URL the article was seen under."""
    from crawler.urls import article_key, canonical_url

    key = key.strip()
    candidates = [key]
    if key.isdigit():
        candidates.append(f"people:{key}")
    if key.startswith(("http://", "https://")):
        candidates.append(article_key(key))
        found = db.execute(
            "SELECT article_key FROM article_urls WHERE url = ?", [canonical_url(key)]
        ).fetchone()
        if found:
            candidates.insert(0, found[0])
    for candidate in candidates:
        if db.execute("SELECT 1 FROM articles WHERE key = ?", [candidate]).fetchone():
            return candidate
    return None


def _diff(versions: list[dict], from_version: int | None, to_version: int | None) -> dict:
    from crawler.archive.diff import paragraph_diff

    if len(versions) < 2 and from_version is None:
        return {"from": None, "to": None, "note": "only one version: nothing to compare"}
    by_number = {v["version"]: v for v in versions}
    new = by_number[to_version] if to_version is not None else versions[-1]
    if from_version is not None:
        old = by_number[from_version]
    else:
        older = [v for v in versions if v["version"] < new["version"]]
        if not older:
            raise click.BadParameter("there is no version before --to", param_hint="--to")
        old = older[-1]
    changes = paragraph_diff(_paragraphs(old), _paragraphs(new))
    fields = [{"field": f, "from": old[f], "to": new[f]} for f in DIFF_FIELDS if old[f] != new[f]]
    return {
        "from": old["version"],
        "to": new["version"],
        "fields": fields,
        "paragraphs": [{"op": op, "text": text} for op, text in changes],
    }


# Fields besides the body whose edits `show --diff` reports.
DIFF_FIELDS = ("title", "pretitle", "subtitle", "published_at", "source", "authors", "editors")


def _paragraphs(version: dict) -> list[str]:
    text = version.get("body_text") or ""
    return text.split("\n") if text else []


def _write_html(db, version: dict, path: Path, force: bool) -> list[tuple[str, int, str]]:
    """The exact snapshot bytes of a version (every page of a multi-page article)."""
    from crawler.archive.snapshots import snapshot_body

    sid = version["snapshot_id"]
    pages = db.execute(
        "SELECT id, page, body_sha256 FROM snapshots "
        "WHERE id = ? OR (group_id = ? AND group_id IS NOT NULL) ORDER BY page, id",
        [sid, sid],
    ).fetchall()
    out = []
    for _, page, sha in pages:
        target = path if (page or 1) == 1 else path.with_name(f"{path.stem}-{page}{path.suffix}")
        if target.exists() and not force:
            raise click.ClickException(f"{target} exists: pass --force to overwrite it")
        body = snapshot_body(db, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        out.append((str(target), len(body), sha))
    return out


def _print_article(row: dict, versions: list[dict]) -> None:
    if row["removed_at"]:
        console.print(
            f"[bold red]Removed from the site[/bold red] (first seen gone {row['removed_at']})"
        )
    edited = f", edited: {row['version']} versions" if row["version"] and row["version"] > 1 else ""
    console.print(f"Seen {row['first_seen']} to {row['last_seen']}{edited}")
    fields = table(row["title"], ["field", "value"], [])
    for name, value in row.items():
        if name in ("title", "body_text"):
            continue
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        fields.add_row(name, "" if value is None else str(value))
    console.print(fields)
    body = row.get("body_text") or ""
    console.print(Text(body[:600] + ("…" if len(body) > 600 else "")))
    console.print(
        table(
            "versions",
            ["version", "seen from", "seen to", "title", "snapshot", "parser"],
            [
                (
                    v["version"],
                    v["seen_from"],
                    v["seen_to"],
                    v["title"],
                    v["snapshot_id"],
                    v["parser_version"],
                )
                for v in versions
            ],
        )
    )


def _print_diff(diff: dict) -> None:
    if diff.get("from") is None:
        console.print(diff.get("note", "no changes"))
        return
    console.print(f"[bold]Changes from version {diff['from']} to version {diff['to']}[/bold]")
    for f in diff["fields"]:
        console.print(f"  {f['field']}: {escape(str(f['from']))} -> {escape(str(f['to']))}")
    same = 0
    for change in diff["paragraphs"]:
        if change["op"] == "=":
            same += 1
            continue
        if same:
            console.print(Text(_unchanged(same), style="dim"))
            same = 0
        style = "red" if change["op"] == "-" else "green"
        console.print(Text(f"{change['op']} {change['text']}", style=style))
    if same:
        console.print(Text(_unchanged(same), style="dim"))


def _unchanged(n: int) -> str:
    return f"  ({n} unchanged paragraph{'s' if n != 1 else ''})"


@main.command()
@filter_options
@db_option
@json_option
def stats(filters, db_path, as_json):
    """Counts: articles by month, channel, source; failures.

    Also the runs by kind and the failures by reason.

    \b
    Example:
      $ cpc-archive stats
      $ cpc-archive stats --since 2024-01-01 --json
    """
    with open_db(db_path) as db:
        where, params = filter_sql(**filters.as_kwargs())

        def grouped(expr: str) -> list[tuple]:
            return db.execute(
                f"SELECT {expr} AS g, count(*) FROM articles a WHERE {where} GROUP BY g ORDER BY g",
                params,
            ).fetchall()

        totals = db.execute(
            f"SELECT count(*), sum(a.removed_at IS NOT NULL), sum(a.version > 1) "
            f"FROM articles a WHERE {where}",
            params,
        ).fetchone()
        data = {
            "articles": totals[0] or 0,
            "removed": totals[1] or 0,
            "changed": totals[2] or 0,
            "snapshots": db.execute("SELECT count(*) FROM snapshots").fetchone()[0],
            "by_month": dict(grouped("substr(a.published_at, 1, 7)")),
            "by_channel": dict(grouped("a.channel_id")),
            "by_source": dict(sorted(grouped("a.source"), key=lambda r: (-r[1], r[0] or ""))),
            "runs": dict(
                db.execute("SELECT kind, count(*) FROM runs GROUP BY kind ORDER BY kind").fetchall()
            ),
            "failures_by_kind": dict(
                db.execute(
                    "SELECT kind, count(*) FROM failures GROUP BY kind ORDER BY count(*) DESC, kind"
                ).fetchall()
            ),
        }
    if as_json:
        print_json(data)
        return
    console.print(
        f"[bold]{data['articles']}[/bold] articles ({data['changed']} changed, "
        f"{data['removed']} removed), {data['snapshots']} snapshots"
    )
    for title, name in (
        ("by month", "by_month"),
        ("by channel", "by_channel"),
        ("by source", "by_source"),
        ("runs by kind", "runs"),
        ("failures by reason", "failures_by_kind"),
    ):
        rows = [("(none)" if k is None else k, v) for k, v in data[name].items()]
        console.print(table(title, [title.split()[-1], "count"], rows))


RUN_COLUMNS = (
    "id",
    "kind",
    "started_at",
    "finished_at",
    "finish_reason",
    "fetched",
    "new",
    "changed",
    "unchanged",
    "removed",
    "failed",
)


@main.command()
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Runs to show."
)
@db_option
@json_option
def runs(limit, db_path, as_json):
    """Crawl and import history, newest first.

    Each run with when it started and ended, how, and what it found.

    \b
    Example:
      $ cpc-archive runs --limit 10
    """
    with open_db(db_path) as db:
        rows = db.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
            [limit],
        ).fetchall()
    if as_json:
        print_json([dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows])
        return
    if not rows:
        console.print("No runs yet.")
        return
    shown = []
    for r in rows:
        run = dict(zip(RUN_COLUMNS, r, strict=True))
        counts = ", ".join(f"{run[c]} {c}" for c in RUN_COLUMNS[5:] if run[c])
        shown.append(
            (
                run["id"],
                run["kind"],
                _when(run["started_at"]),
                _when(run["finished_at"]) or "(running or killed)",
                run["finish_reason"],
                counts or "nothing",
            )
        )
    console.print(
        table(
            "runs, newest first", ["id", "kind", "started", "finished", "reason", "counts"], shown
        )
    )


def _when(instant: str | None) -> str:
    """An ISO instant shortened for a table: 2024-08-07 01:00:00Z."""
    return (instant or "").replace("T", " ")[:19] + ("Z" if instant else "")
