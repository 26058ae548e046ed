"""The Spidermon monitors run at the end of every crawl (SPIDERMON_SPIDER_CLOSE_MONITORS).

Thin: each monitor asks one rule of crawler.monitoring.rules about the run the archive
pipeline recorded (its id is the `archive/run_id` stat) and fails with the rule's message.
Nothing here knows which spider ran: a spider that stores through ArchivePipeline is judged
against its own history, and the print-edition monitor reads the print/* stats when set.
"""

from __future__ import annotations

from datetime import UTC, datetime

from spidermon import Monitor, monitors

from crawler.components.connection import CrawlArchive
from crawler.monitoring import rules
from crawler.monitoring.rules import Finding, Limits

# unittest leaves the frames of modules marked like this out of a failure's report, so a
# failed monitor logs its rule's message alone, not a traceback through this module.
__unittest = True

# The stat ArchivePipeline sets: the `runs` row this crawl writes to.
RUN_ID_STAT = "archive/run_id"


class ArchiveMonitor(Monitor):
    """A monitor whose verdict is a rule's Finding over the archive."""

    # The failure message is the rule's own, not unittest's "False is not true : …".
    longMessage = False
    finding: Finding | None = None

    def judge(self, rule, *extra) -> None:
        crawler = self.data.crawler
        run_id = self.data.stats.get(RUN_ID_STAT)
        if run_id is None:
            self.skipTest("no archive run recorded (ArchivePipeline not enabled)")
        db = CrawlArchive.of(crawler).db
        limits = Limits.from_settings(crawler.settings)
        self.finding = rule(db, run_id, self.data.spider.name, limits, *extra)
        self.assertTrue(self.finding.passed, self.finding.message)


@monitors.name("Field coverage per template")
class CoverageMonitor(ArchiveMonitor):
    @monitors.name("coverage")
    def test_coverage(self):
        """Share of articles with a date, source, editors, authors and a body, per template."""
        self.judge(rules.check_coverage)


@monitors.name("Fallback and unknown share")
class FallbackMonitor(ArchiveMonitor):
    @monitors.name("fallback")
    def test_fallback(self):
        """Share of article pages read by the fallback template or left "unknown"."""
        self.judge(rules.check_fallback)


@monitors.name("Failures by kind")
class FailuresMonitor(ArchiveMonitor):
    @monitors.name("failures")
    def test_failures(self):
        """Failures of each kind (soft 404s, timeouts, bans…) against the usual count."""
        self.judge(rules.check_failures)


@monitors.name("List pages with article links")
class ListingsMonitor(ArchiveMonitor):
    @monitors.name("listings")
    def test_listings(self):
        """Every list page fetched holds article links."""
        self.judge(rules.check_listings)


@monitors.name("Channels with new articles")
class ChannelsMonitor(ArchiveMonitor):
    @monitors.name("channels")
    def test_channels(self):
        """Every channel listed gave a new article within ARCHIVE_MONITOR_CHANNEL_STALE_DAYS."""
        self.judge(rules.check_channels, datetime.now(UTC))


@monitors.name("New articles per run")
class NewArticlesMonitor(ArchiveMonitor):
    @monitors.name("new")
    def test_new(self):
        """New articles against the usual number per run."""
        self.judge(rules.check_new)


@monitors.name("Print edition issues")
class PrintEditionMonitor(ArchiveMonitor):
    @monitors.name("print")
    def test_print(self):
        """Pages and articles per print-edition issue against the usual (print/* stats)."""
        self.judge(rules.check_print, self.data.stats)


ALL = (
    CoverageMonitor,
    FallbackMonitor,
    FailuresMonitor,
    ListingsMonitor,
    ChannelsMonitor,
    NewArticlesMonitor,
    PrintEditionMonitor,
)
