"""The switch: with ARCHIVE_REDIS_URL set, the crawl runs as one worker of a fleet.

A Scrapy add-on, so the swap happens after the command line's `-s` settings are read:
scrapy-redis's scheduler (leased, exact dedup) replaces Scrapy's, the stream pipeline the
archive pipeline, the fleet's ban detector and politeness the per-process ones; the run lock
is the writer's (it alone opens the archive). Without the setting the add-on does nothing.
"""

from __future__ import annotations


class RedisMode:
    def update_settings(self, settings) -> None:
        if not settings.get("ARCHIVE_REDIS_URL"):
            return
        settings.set("SCHEDULER", "crawler.distributed.scheduler.LeasedScheduler", "addon")
        pipelines = settings["ITEM_PIPELINES"]
        pipelines["crawler.pipelines.ArchivePipeline"] = None
        pipelines["crawler.distributed.pipeline.StreamPipeline"] = 300
        extensions = settings["EXTENSIONS"]
        extensions["crawler.components.runlock.RunLock"] = None
        extensions["crawler.components.ban.BanDetector"] = None
        extensions["crawler.distributed.ban.FleetBanDetector"] = 500
        middlewares = settings["DOWNLOADER_MIDDLEWARES"]
        # Last before the download itself: the fleet-wide per-host slot is taken as late as
        # possible and held only while the request is on the wire.
        middlewares["crawler.distributed.politeness.FleetPoliteness"] = 950
