"""Scrapy settings for cpc-archive. Only settings in use, each with the reason it is set.

Our own settings are prefixed ARCHIVE_. Politeness is on by default; tests and the bench relax
it with `-s` on the command line, never here.
"""

from crawler.archive.db import DEFAULT_BUSY_TIMEOUT, DEFAULT_DB

BOT_NAME = "cpc-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# Our `crawl` replaces Scrapy's: a crawl the run lock refuses ends with its one CRITICAL line
# and exit status 1, not with asyncio's "Task exception was never retrieved" traceback.
COMMANDS_MODULE = "crawler.commands"

# The embedded archive every component writes to unless told otherwise.
ARCHIVE_DB = DEFAULT_DB
# Seconds the crawl's start and end wait for another writer (a reparse, an ingest) to let go
# of the archive's lock before they give up (the pages left then wait in the spool).
ARCHIVE_BUSY_TIMEOUT = DEFAULT_BUSY_TIMEOUT

# --- a busy archive -------------------------------------------------------------------------

# While the crawl runs, no write waits for another writer's lock (a reparse, an ingest): the
# writes run on the reactor, and a wait there stalls fetching. A page the archive cannot take
# at once is spooled to disk, links and pages done are kept in memory, all written later;
# only the start and the end of a crawl wait ARCHIVE_BUSY_TIMEOUT.
# Seconds between attempts to store the spooled pages while the crawl runs.
ARCHIVE_SPOOL_RETRY = 2.0

# Where the crawl starts: the home page and the channel list pages it is known to have.
# Overridable per run with `-a start_urls=URL,URL`.
ARCHIVE_START_URLS = [
    "http://cpc.people.com.cn/",
    "http://cpc.people.com.cn/GB/64093/64387/index.html",
    "http://cpc.people.com.cn/GB/64093/64094/index.html",
    "http://cpc.people.com.cn/GB/164113/index.html",
    "http://cpc.people.com.cn/GB/117005/index.html",
]

# Site operators must be able to reach whoever runs a crawl; the User-Agent carries this.
# A placeholder until set (the crawl warns): -s ARCHIVE_CONTACT=mailto:you@your.org
ARCHIVE_CONTACT = "mailto:operator@example.org"

# --- politeness -----------------------------------------------------------------------------

# The site says what may be crawled; we obey.
ROBOTSTXT_OBEY = True
# The token robots.txt rules for us would name (the User-Agent is set after robots are checked).
ROBOTSTXT_USER_AGENT = "cpc-archive"
# Adapt the pace to the server's latency instead of a fixed hammering rate.
AUTOTHROTTLE_ENABLED = True
# First delay before AutoThrottle has measured anything: be slow until we know better.
AUTOTHROTTLE_START_DELAY = 2.0
# Aim for one request in flight per host on average.
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Floor of the delay between two requests to one host, whatever AutoThrottle measures.
DOWNLOAD_DELAY = 0.5
# A hard ceiling of two requests at once per host (the politeness rule).
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Slow or stuck responses must not hold a slot for Scrapy's default three minutes.
DOWNLOAD_TIMEOUT = 30
# Real pages are well under 1 MB; anything past this is not a page worth keeping whole.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024

# Our retry middleware replaces Scrapy's: same codes, plus backoff and Retry-After.
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Backoff base: the Nth retry waits base * 2**(N-1) seconds unless Retry-After says otherwise.
ARCHIVE_RETRY_BACKOFF = 2.0
# A Retry-After longer than this is capped: the ban detector handles servers that want us gone.
ARCHIVE_RETRY_AFTER_MAX = 600.0

# Ban detection: look at the last WINDOW responses; if at least RATIO of them are 403/429,
# stop the crawl with finish reason "banned" rather than keep knocking.
ARCHIVE_BAN_WINDOW = 20
ARCHIVE_BAN_RATIO = 0.8

# --- an unreachable site ---------------------------------------------------------------------

# This many failed connections (robots.txt included) before any response at all end the crawl
# as "unreachable" (crawler/components/reach.py): offline, waiting on every start URL in turn only
# delays the message.
ARCHIVE_UNREACHABLE_AFTER = 2

# --- scope ----------------------------------------------------------------------------------

# Pagination chains and link chains longer than this are a trap, not a site.
DEPTH_LIMIT = 2000
# Pages of one multi-page article; the site's longest run to a few dozen. A pager naming more
# is a trap: the first pages are kept and the article recorded incomplete, for good.
ARCHIVE_MAX_PAGES = 100
# Pages per run; 0 means no limit. Set it (or -s) to cap a run; the rest resumes next run.
CLOSESPIDER_PAGECOUNT = 0

# --- components -----------------------------------------------------------------------------

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's lets the requests that wait for a host's robots.txt through unchecked.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.components.robots.SharedRobotsTxt": 100,
    # Scrapy's RetryMiddleware ignores Retry-After and retries at once; ours waits.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.components.retry.RetryAfterMiddleware": 550,
    # Scrapy's fixed USER_AGENT cannot carry ARCHIVE_CONTACT set on the command line.
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.components.useragent.ArchiveUserAgentMiddleware": 500,
    # Before RedirectMiddleware (600) sees the response: a redirect off the site is kept as
    # a failure instead of being followed and then dropped without a trace by offsite.
    "crawler.components.offsite.OffsiteRedirects": 650,
    # Scrapy's drop a body past DOWNLOAD_MAXSIZE, a redirect loop and a page with a broken
    # <base href> without a trace (like a robots.txt refusal, or as a failure with no bytes);
    # these keep the response and say why (too_large, redirect_loop).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.components.sizecap.CappedHttpCompression": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.components.redirects.RecordedRedirectLoops": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.components.redirects.RecordedMetaRefreshLoops": 580,
}
EXTENSIONS = {
    # One crawl per archive at a time (a flock on <ARCHIVE_DB>.lock, gone with its process).
    "crawler.components.runlock.RunLock": 100,
    "crawler.components.ban.BanDetector": 500,
    # Runs the monitors (SPIDERMON_SPIDER_CLOSE_MONITORS) when a spider closes.
    "spidermon.contrib.scrapy.extensions.Spidermon": 600,
    # A crawl that got no response at all ends "unreachable" with one clear message.
    "crawler.components.reach.SiteUnreachable": 510,
    # The telnet console listens on a port; an archival crawler has no use for it.
    "scrapy.extensions.telnet.TelnetConsole": None,
}
# Nor for Scrapy's remote-control HTTP port: runs are controlled by signals (SIGINT pauses).
REMOTE_CONTROL_ENABLED = False
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}

# The pipeline writes to SQLite synchronously, one page at a time; Scrapy's default of 100
# parallel item workers per response only adds task churn (a measurable share of the bench).
CONCURRENT_ITEMS = 4

# The crawl frontier in the archive is the duplicate filter. Scrapy's would also drop a
# redirect to a URL already fetched (the home page), and its article would vanish unrecorded.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"

# Every status reaches the spider: a 404 or a final 500 is evidence (removal, failure row).
HTTPERROR_ALLOW_ALL = True

# --- the print edition (scrapy crawl rmrb) --------------------------------------------------

# Each page's PDF is the printed page itself: fetched and kept as a snapshot unless turned off.
ARCHIVE_PRINT_PDFS = True
# The day a run without arguments counts as today (YYYY-MM-DD); "" is Beijing's date now.
# Replays and tests set it so a recorded week is "today".
ARCHIVE_PRINT_TODAY = ""

# One line per page at DEBUG drowns what a scheduled run's log should show.
LOG_LEVEL = "INFO"

# --- monitoring (docs/monitoring.md) -----------------------------------------------------------

# A redesign or a moved channel must show on the first bad run, not months later.
SPIDERMON_ENABLED = True
# One suite for every spider: each run is judged against its own spider's earlier runs.
SPIDERMON_SPIDER_CLOSE_MONITORS = ["crawler.monitoring.suite.ArchiveMonitorSuite"]
# Trailing window: the medians are over this many earlier finished runs of the spider.
ARCHIVE_MONITOR_HISTORY_RUNS = 7
# Fewer earlier runs than this is no baseline: the absolute limits below apply instead.
ARCHIVE_MONITOR_MIN_HISTORY = 3
# A template (or a run) with fewer article pages than this is too small a sample to judge.
ARCHIVE_MONITOR_MIN_PAGES = 3
# Characters of body text below which an article counts as having no body.
ARCHIVE_MONITOR_MIN_BODY = 50
# Coverage fails when a field's share falls this far below its trailing median…
ARCHIVE_MONITOR_COVERAGE_DROP = 0.25
# …or, without history, below these floors (authors: most pages print no byline).
ARCHIVE_MONITOR_COVERAGE_FLOORS = {
    "published_at": 0.9,
    "published_time": 0.8,
    "source": 0.5,
    "source_url": 0.5,
    "editors": 0.5,
    "authors": 0.0,
    "body": 0.8,
}
# Fallback + unknown share may rise this much over its median; without history, this maximum.
ARCHIVE_MONITOR_FALLBACK_RISE = 0.1
ARCHIVE_MONITOR_FALLBACK_MAX = 0.2
# A failure kind bursts when over FACTOR x its median and at least MARGIN above it.
ARCHIVE_MONITOR_FAILURE_FACTOR = 3.0
ARCHIVE_MONITOR_FAILURE_MARGIN = 5
# Without history: failures may be at most this share of the run's fetches.
ARCHIVE_MONITOR_FAILURE_SHARE_MAX = 0.5
# New articles fail under this share of the median (0 on a day that always has some).
ARCHIVE_MONITOR_NEW_RATIO = 0.2
# A channel the crawl lists with no new article for this many days has moved or died.
ARCHIVE_MONITOR_CHANNEL_STALE_DAYS = 7
# Print edition: pages or articles per issue this share under the median fail…
ARCHIVE_MONITOR_PRINT_DROP = 0.3
# …or, without history, under these floors (a weekend issue still has 4+ pages).
ARCHIVE_MONITOR_PRINT_MIN_PAGES = 4
ARCHIVE_MONITOR_PRINT_MIN_ARTICLES = 10
# Notifications, off until configured. Email: set SPIDERMON_EMAIL_TO (a list) and the
# SPIDERMON_SMTP_HOST/PORT (USER/PASSWORD, ENFORCE_TLS/SSL when the relay wants them).
SPIDERMON_EMAIL_TO = []
# Who the alarm comes from; relays refuse mail without a sender.
SPIDERMON_EMAIL_SENDER = "cpc-archive@localhost"
# Webhook: a URL that receives the failed run as a JSON POST ("" = off).
ARCHIVE_MONITOR_WEBHOOK_URL = ""
# A webhook that does not answer must not hold the end of the crawl for long.
ARCHIVE_MONITOR_WEBHOOK_TIMEOUT = 30.0

# --- distributed crawl (docs/distributed.md) ------------------------------------------------

# Redis holding the fleet's frontier (redis://host:6379/0). Empty: the single-machine crawl
# with its SQLite frontier. Set, crawler.distributed.addon turns this process into a worker.
ARCHIVE_REDIS_URL = ""
# Prefix of every Redis key of this archive's crawls: several archives can share one Redis.
ARCHIVE_REDIS_PREFIX = "cpc-archive"
# Seconds a leased request stays this worker's without renewal (renewed every third of it):
# how long the requests of a worker that died wait before another worker takes them.
ARCHIVE_REDIS_LEASE = 60.0
# Seconds the whole fleet stays stopped after a ban seen by any worker; a worker started
# within it stops at once (systemd restarts it later), one started after it resumes the crawl.
ARCHIVE_REDIS_BAN_PAUSE = 3600.0
# Seconds after a crawl ends during which a starting worker does not begin another: workers
# started minutes apart (a timer's random delay) make one crawl a day, not one each.
ARCHIVE_REDIS_RECRAWL_AFTER = 3600.0
# This worker's name in the run's per-worker counts; empty: host:pid.
ARCHIVE_WORKER_NAME = ""
# Add-ons see the command line's settings: the Redis switch lives in one.
ADDONS = {"crawler.distributed.addon.RedisMode": 0}
