"""Reading the archive: `search`, `show`, `stats`, `runs`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from crawler.archive.checks import run_checks
from crawler.archive.lookup import resolve_key
from crawler.archive.runs import RUN_COLUMNS, recent_runs, worker_counts
from crawler.archive.selection import article_row, version_rows
from crawler.archive.stats import archive_stats
from crawler.cli import main
from crawler.cli.options import (
    TEXT,
    bad_query,
    console,
    db_option,
    filter_options,
    json_option,
    limit_option,
    open_db,
    output_target,
    print_json,
    table,
)


@main.command()
@click.argument("query", type=TEXT)
@filter_options
@limit_option(20, "Hits to show.")
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
    from crawler.archive.search.fts import QueryError, search_results

    with open_db(db_path) as db:
        try:
            found = search_results(db, query, limit=limit, **filters.as_kwargs())
        except QueryError as e:
            raise bad_query(query, e) from e
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


# Characters of the body `show` prints without --full.
BODY_PREVIEW = 600


@main.command()
@click.argument("key", type=TEXT)
@click.option("--diff", is_flag=True, help="Show what changed between two versions.")
@click.option("--from", "from_version", type=int, help="Older version for --diff.")
@click.option("--to", "to_version", type=int, help="Newer version for --diff.")
@click.option(
    "--html",
    "html_path",
    metavar="PATH",
    help="Write the exact bytes the (--to or current) version was parsed from to this file "
    "('-': standard output, nothing else printed).",
)
@click.option("--force", is_flag=True, help="Overwrite the --html file if it exists.")
@click.option(
    "--full",
    is_flag=True,
    help=f"Print the whole body (without it: the first {BODY_PREVIEW} characters).",
)
@db_option
@json_option
def show(key, diff, from_version, to_version, html_path, force, full, db_path, as_json):
    """Show one article: fields, URLs, versions, changes.

    --diff shows what changed between versions, --html writes the bytes it was read from. KEY is
    the article key from `search` (people:40294553), a content id, or any URL the article was
    seen under. --diff compares the last two versions unless --from/--to say which, paragraph by
    paragraph.

    \b
    Example:
      $ cpc-archive show people:40294553
      $ cpc-archive show people:40294553 --full
      $ cpc-archive show people:40294553 --diff
      $ cpc-archive show http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html --html page.html
    """
    html_out = None
    if html_path is not None:
        html_out = output_target(html_path, force=force, archive=db_path, option="--html")
        if html_out is None and as_json:
            raise click.UsageError("--html - and --json both write to standard output: pick one")
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
            written = _write_html(db, version, html_out, force, db_path)
    if html_path is not None and html_out is None:
        return  # the page went to stdout: nothing may follow it there
    if as_json:
        out = {"article": row, "versions": versions}
        if diff_out is not None:
            out["diff"] = diff_out
        if written:
            out["html"] = written
        print_json(out)
        return
    _print_article(row, versions, full)
    if diff_out is not None:
        _print_diff(diff_out)
    for path, size, sha in written or []:
        console.print(f"Wrote {size} bytes (sha256 {sha}) to {escape(str(path))}")


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


def _write_html(
    db, version: dict, out: Path | None, force: bool, db_path: Path
) -> list[tuple[str, int, str]]:
    """The exact snapshot bytes of a version (every page of a multi-page article)."""
    from crawler.archive.outputs import OutputPathError, check_file, open_output, page_paths
    from crawler.archive.snapshots import snapshot_body, snapshot_pages

    pages = snapshot_pages(db, version["snapshot_id"])
    if out is None:
        if len(pages) > 1:
            raise click.UsageError(
                f"this article has {len(pages)} pages: --html - writes one; name a file "
                "(pages 2, 3, ... are written beside it as NAME-2.html, ...)"
            )
        body = snapshot_body(db, pages[0][2])
        with open_output(None, binary=True) as fh:
            fh.write(body)
        return [("-", len(body), pages[0][2])]
    try:
        targets = page_paths(out, [page or 1 for _, page, _ in pages])
    except OutputPathError as e:
        raise click.UsageError(str(e)) from None
    for target in targets[1:]:  # the first was checked with the option
        try:
            check_file(target, force=force, archive=db_path)
        except OutputPathError as e:
            raise click.ClickException(str(e)) from None
    written = []
    for target, (_, _, sha) in zip(targets, pages, strict=True):
        body = snapshot_body(db, sha)
        with open_output(target, binary=True) as fh:
            fh.write(body)
        written.append((str(target), len(body), sha))
    return written


def _print_article(row: dict, versions: list[dict], full: bool = False) -> None:
    if row["removed_at"]:
        console.print(
            f"[bold red]Removed from the site[/bold red] (first seen gone {row['removed_at']})"
        )
    for page in row.get("missing_pages") or []:
        console.print(f"[bold yellow]Incomplete[/bold yellow]: {page['url']} {page['reason']}")
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
    if full or len(body) <= BODY_PREVIEW:
        console.print(Text(body))
    else:
        console.print(Text(body[:BODY_PREVIEW] + "…"))
        console.print(
            f"[dim]({len(body) - BODY_PREVIEW} more characters: --full prints them)[/dim]"
        )
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
        data = archive_stats(db, **filters.as_kwargs())
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


@main.command()
@limit_option(50, "Runs to show.")
@db_option
@json_option
def runs(limit, db_path, as_json):
    """Crawl and import history, newest first.

    Each run with when it started and ended, how, what it found, and what the end-of-crawl
    monitors said (a failed monitor's reason is printed under the table).

    \b
    Example:
      $ cpc-archive runs --limit 10
    """
    with open_db(db_path) as db:
        rows = recent_runs(db, limit)
        checks = {r["id"]: run_checks(db, r["id"]) for r in rows}
        workers = {r["id"]: worker_counts(db, r["id"]) for r in rows}
    if as_json:
        out = []
        for r in rows:
            run = {**r, "checks": [vars(c) for c in checks[r["id"]]]}
            if workers[r["id"]]:  # a distributed crawl: one run, counted per worker too
                run["workers"] = workers[r["id"]]
            out.append(run)
        print_json(out)
        return
    if not rows:
        console.print("No runs yet.")
        return
    shown = []
    for run in rows:
        counts = ", ".join(f"{run[c]} {c}" for c in RUN_COLUMNS[5:] if run[c])
        for w in workers[run["id"]]:
            mine = ", ".join(f"{w[c]} {c}" for c in RUN_COLUMNS[5:] if w[c])
            counts += f"\n  {w['worker']}: {mine or 'nothing'}"
        shown.append(
            (
                run["id"],
                run["kind"],
                _when(run["started_at"]),
                _when(run["finished_at"]) or "(running or killed)",
                run["finish_reason"],
                counts or "nothing",
                _checks_summary(checks[run["id"]]),
            )
        )
    console.print(
        table(
            "runs, newest first",
            ["id", "kind", "started", "finished", "reason", "counts", "monitors"],
            shown,
        )
    )
    failed = [(r["id"], c) for r in rows for c in checks[r["id"]] if not c.passed]
    for run_id, check in failed:
        console.print(f"run {run_id}: {escape(check.monitor)} failed: {escape(check.message)}")


def _checks_summary(checks) -> str:
    """ "7 passed", "2 FAILED: A, B", or "" for a run the monitors did not judge."""
    if not checks:
        return ""
    failed = [c.monitor for c in checks if not c.passed]
    if failed:
        return f"{len(failed)} FAILED: {', '.join(failed)}"
    return f"{len(checks)} passed"


def _when(instant: str | None) -> str:
    """An ISO instant shortened for a table: 2024-08-07 01:00:00Z."""
    return (instant or "").replace("T", " ")[:19] + ("Z" if instant else "")
