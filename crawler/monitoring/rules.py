"""The monitoring rules: each measures one thing about a run, records it in the archive, and
judges it against the trailing median of the spider's earlier runs (or, with too little
history, against absolute limits). Plain functions over a sqlite-utils Database; the
Spidermon monitors in crawler.monitoring.monitors only call them.

History: the last `Limits.history_runs` earlier runs of the same spider that finished
normally and recorded the metric. With fewer than `Limits.min_history` of them a rule has no
baseline and falls back to the absolute limits documented per rule (docs/monitoring.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from statistics import median

from sqlite_utils import Database

from crawler import settings as project
from crawler.archive.checks import earlier_runs, metric_history, save_metrics
from crawler.monitoring import metrics as M


@dataclass(frozen=True)
class Limits:
    """The thresholds, one per ARCHIVE_MONITOR_<NAME> setting; the defaults are the project's
    settings (crawler/settings.py), where each is explained."""

    history_runs: int = project.ARCHIVE_MONITOR_HISTORY_RUNS
    min_history: int = project.ARCHIVE_MONITOR_MIN_HISTORY
    min_pages: int = project.ARCHIVE_MONITOR_MIN_PAGES
    min_body: int = project.ARCHIVE_MONITOR_MIN_BODY
    coverage_drop: float = project.ARCHIVE_MONITOR_COVERAGE_DROP
    coverage_floors: Mapping[str, float] = field(
        default_factory=lambda: dict(project.ARCHIVE_MONITOR_COVERAGE_FLOORS)
    )
    fallback_rise: float = project.ARCHIVE_MONITOR_FALLBACK_RISE
    fallback_max: float = project.ARCHIVE_MONITOR_FALLBACK_MAX
    failure_factor: float = project.ARCHIVE_MONITOR_FAILURE_FACTOR
    failure_margin: int = project.ARCHIVE_MONITOR_FAILURE_MARGIN
    failure_share_max: float = project.ARCHIVE_MONITOR_FAILURE_SHARE_MAX
    new_ratio: float = project.ARCHIVE_MONITOR_NEW_RATIO
    channel_stale_days: float = project.ARCHIVE_MONITOR_CHANNEL_STALE_DAYS
    print_drop: float = project.ARCHIVE_MONITOR_PRINT_DROP
    print_min_pages: float = project.ARCHIVE_MONITOR_PRINT_MIN_PAGES
    print_min_articles: float = project.ARCHIVE_MONITOR_PRINT_MIN_ARTICLES

    @classmethod
    def from_settings(cls, settings) -> Limits:
        values = {}
        for f in fields(cls):
            name = f"ARCHIVE_MONITOR_{f.name.upper()}"
            if settings.get(name) is None:
                continue
            if f.name == "coverage_floors":
                values[f.name] = {k: float(v) for k, v in settings.getdict(name).items()}
            elif f.type in ("int",):
                values[f.name] = settings.getint(name)
            else:
                values[f.name] = settings.getfloat(name)
        return cls(**values)


@dataclass(frozen=True)
class Finding:
    passed: bool
    message: str


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _baseline(history: list[dict[str, float]], key: str, limits: Limits) -> float | None:
    """The trailing median of `key` over the history runs that have it, None when too few."""
    values = [h[key] for h in history if key in h]
    return median(values) if len(values) >= limits.min_history else None


# --- field coverage per template ------------------------------------------------------------


def judge_coverage(
    now: Mapping[str, float], history: list[dict[str, float]], limits: Limits
) -> Finding:
    """Each template with at least min_pages records: every field's share against its median
    minus coverage_drop, or against its absolute floor without history."""
    bad, judged = [], []
    templates = sorted({k.split(":", 1)[0] for k in now})
    for template in templates:
        count = int(now.get(f"{template}:_count", 0))
        if count < limits.min_pages:
            continue
        usable = [h for h in history if h.get(f"{template}:_count", 0) >= limits.min_pages]
        judged.append(f"{template} ({count})")
        missing = []
        for name in M.COVERED_FIELDS:
            share = now[f"{template}:{name}"]
            base = _baseline(usable, f"{template}:{name}", limits)
            if base is not None:
                limit, against = base - limits.coverage_drop, f"median {_pct(base)}"
            else:
                limit = limits.coverage_floors.get(name, 0.0)
                against = f"floor {_pct(limit)}, no history"
            if share < limit - 1e-9:
                missing.append(f"{name} {_pct(share)} ({against})")
        if missing:
            bad.append(f"template {template} ({count} articles): {', '.join(missing)}")
    if bad:
        return Finding(False, "field coverage dropped: " + "; ".join(bad))
    if not judged:
        return Finding(True, f"no template with {limits.min_pages}+ articles written this run")
    return Finding(True, "field coverage as usual for " + ", ".join(judged))


def check_coverage(db: Database, run_id: int, spider: str, limits: Limits) -> Finding:
    now = M.coverage(db, run_id, limits.min_body)
    save_metrics(db, run_id, spider, "coverage", now)
    history = metric_history(db, run_id, spider, "coverage", limits.history_runs)
    return judge_coverage(now, history, limits)


# --- fallback and unknown share -------------------------------------------------------------


def judge_fallback(
    now: Mapping[str, float], history: list[dict[str, float]], limits: Limits
) -> Finding:
    pages = now.get("pages", 0)
    if pages < limits.min_pages:
        return Finding(True, f"{int(pages)} article pages read: too few to judge")
    odd = now.get(M.FALLBACK, 0) + now.get(M.UNKNOWN, 0)
    share = odd / pages
    shares = [
        (h.get(M.FALLBACK, 0) + h.get(M.UNKNOWN, 0)) / h["pages"]
        for h in history
        if h.get("pages", 0) >= limits.min_pages
    ]
    if len(shares) >= limits.min_history:
        base = median(shares)
        limit, against = base + limits.fallback_rise, f"median {_pct(base)}"
    else:
        limit, against = limits.fallback_max, "no history"
    what = (
        f"{int(now.get(M.FALLBACK, 0))} fallback + {int(now.get(M.UNKNOWN, 0))} unknown of "
        f"{int(pages)} article pages = {_pct(share)} (limit {_pct(limit)}, {against})"
    )
    if share > limit + 1e-9:
        channels = sorted(
            ((k.split(":", 1)[1] or "?", int(v)) for k, v in now.items() if k[:8] == "channel:"),
            key=lambda kv: -kv[1],
        )
        where = ", ".join(f"channel {c}: {n}" for c, n in channels)
        return Finding(False, f"pages fell to the fallback template: {what}; by {where}")
    return Finding(True, what)


def check_fallback(db: Database, run_id: int, spider: str, limits: Limits) -> Finding:
    now = M.fallback(db, run_id)
    save_metrics(db, run_id, spider, "fallback", now)
    history = metric_history(db, run_id, spider, "fallback", limits.history_runs)
    return judge_fallback(now, history, limits)


# --- failures by kind -----------------------------------------------------------------------


def judge_failures(
    now: Mapping[str, float], history: list[dict[str, float]], limits: Limits
) -> Finding:
    kinds = {k: v for k, v in now.items() if not k.startswith("_")}
    total = sum(kinds.values())
    listed = ", ".join(f"{k} {int(v)}" for k, v in sorted(kinds.items())) or "none"
    if len(history) < limits.min_history:
        fetched = now.get("_fetched", 0)
        share = total / fetched if fetched else 0.0
        what = f"{int(total)} failures of {int(fetched)} fetches ({listed})"
        if share > limits.failure_share_max:
            return Finding(
                False,
                f"too many failures: {what} = {_pct(share)}, over "
                f"{_pct(limits.failure_share_max)} (no history)",
            )
        return Finding(True, f"{what}; no history, under {_pct(limits.failure_share_max)}")
    bursts = []
    for kind in sorted(set(kinds) | {k for h in history for k in h if not k.startswith("_")}):
        count = kinds.get(kind, 0)
        base = median(h.get(kind, 0) for h in history)
        if count > base * limits.failure_factor and count - base >= limits.failure_margin:
            bursts.append(f"{kind} {int(count)} (median {base:g})")
    if bursts:
        return Finding(False, "a burst of failures: " + ", ".join(bursts))
    return Finding(True, f"failures as usual: {listed}")


def check_failures(db: Database, run_id: int, spider: str, limits: Limits) -> Finding:
    now = M.failures(db, run_id)
    save_metrics(db, run_id, spider, "failures", now)
    history = metric_history(db, run_id, spider, "failures", limits.history_runs)
    return judge_failures(now, history, limits)


# --- list pages -----------------------------------------------------------------------------


def judge_listings(now: Mapping[str, float]) -> Finding:
    """A list page whose list holds no article link: the channel moved or was redesigned."""
    empty = sorted(url for url, links in now.items() if links == 0)
    if empty:
        return Finding(False, "list pages with no article link: " + ", ".join(empty))
    if not now:
        return Finding(True, "no list page fetched this run")
    return Finding(True, f"{len(now)} list pages, each with article links")


def check_listings(db: Database, run_id: int, spider: str, limits: Limits) -> Finding:
    now = M.listing_links(db, run_id)
    save_metrics(db, run_id, spider, "listings", now)
    return judge_listings(now)


# --- channels without new articles ----------------------------------------------------------


def judge_channels(ages: Mapping[str, float], limits: Limits) -> Finding:
    stale = sorted((c, d) for c, d in ages.items() if d > limits.channel_stale_days)
    if stale:
        listed = ", ".join(f"channel {c} ({d:.0f} days)" for c, d in stale)
        return Finding(
            False,
            f"no new article for over {limits.channel_stale_days:g} days: {listed}",
        )
    if not ages:
        return Finding(True, "no channel list page fetched this run")
    return Finding(True, f"{len(ages)} channels, each with a new article in the last "
                   f"{limits.channel_stale_days:g} days")  # fmt: skip


def check_channels(
    db: Database, run_id: int, spider: str, limits: Limits, now: datetime
) -> Finding:
    ages = M.channel_ages(db, run_id, now)
    save_metrics(db, run_id, spider, "channel_age_days", ages)
    return judge_channels(ages, limits)


# --- new articles ---------------------------------------------------------------------------


def judge_new(
    new: float, history: list[dict[str, float]], first_run: bool, limits: Limits
) -> Finding:
    base = _baseline(history, "", limits)
    if base is None:
        if first_run and new < 1:
            return Finding(False, "the first run of this spider archived no new article")
        return Finding(True, f"{int(new)} new articles; too little history to compare")
    limit = base * limits.new_ratio
    if new < limit:
        return Finding(
            False, f"{int(new)} new articles, under {limit:g} ({_pct(limits.new_ratio)} of "
            f"the median {base:g})"
        )  # fmt: skip
    return Finding(True, f"{int(new)} new articles (median {base:g})")


def check_new(db: Database, run_id: int, spider: str, limits: Limits) -> Finding:
    first_run = earlier_runs(db, run_id, spider) == 0
    now = M.new_articles(db, run_id)
    save_metrics(db, run_id, spider, "new", now)
    history = metric_history(db, run_id, spider, "new", limits.history_runs)
    return judge_new(now[""], history, first_run, limits)


# --- print edition --------------------------------------------------------------------------


def judge_print(
    now: Mapping[str, float] | None, history: list[dict[str, float]], limits: Limits
) -> Finding:
    if now is None:
        return Finding(True, "no print edition in this run")
    if not now.get("issues"):
        return Finding(False, "the print-edition crawl found no issue")
    low = []
    for key, floor, noun in (
        ("pages_per_issue", limits.print_min_pages, "pages"),
        ("articles_per_issue", limits.print_min_articles, "articles"),
    ):
        value = now[key]
        base = _baseline(history, key, limits)
        if base is not None:
            limit, against = base * (1 - limits.print_drop), f"median {base:g}"
        else:
            limit, against = floor, "floor, no history"
        if value < limit - 1e-9:
            low.append(f"{value:.1f} {noun} per issue (limit {limit:.1f}, {against})")
    what = (
        f"{int(now['issues'])} issues, {int(now['pages'])} pages, {int(now['articles'])} articles"
    )
    if low:
        return Finding(False, f"issues thinner than usual: {'; '.join(low)} ({what})")
    return Finding(True, what)


def check_print(db: Database, run_id: int, spider: str, limits: Limits, stats) -> Finding:
    now = M.print_edition(stats)
    if now is not None:
        save_metrics(db, run_id, spider, "print", now)
    history = metric_history(db, run_id, spider, "print", limits.history_runs)
    return judge_print(now, history, limits)
