"""`scrapy crawl`, with a refused crawl ending on its message alone.

The run lock refuses a second crawl by raising ArchiveLocked from its extension's
from_crawler, after logging why and recording the `runs` row. Scrapy leaves that exception
in the crawl's asyncio task, so asyncio prints "Task exception was never retrieved" and the
whole bootstrap traceback. This command takes the exception back from the task: the CRITICAL
line already said everything, and the exit status is 1. Any other error is reported as before.
A crawl that reached nothing at all (finish reason "unreachable") also exits 1.
"""

from __future__ import annotations

import asyncio

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from crawler.components.reach import UNREACHABLE
from crawler.components.state import ArchiveLocked


class Command(ScrapyCrawl):
    def run(self, args, opts):
        # Scrapy's crawl.Command.run, keeping hold of the crawl it starts.
        if len(args) != 1:
            raise UsageError("scrapy crawl takes one spider name")
        process = self.crawler_process
        assert process is not None
        crawler = self._create_crawler(args[0])
        started = process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Task):
            started.add_done_callback(_retrieve_if_locked)
        elif isinstance(started, Deferred):
            # Twisted's CrawlerProcess (FORCE_CRAWLER_PROCESS): the same, as an errback.
            started.addErrback(lambda failure: failure.trap(ArchiveLocked) and None)
        process.start()
        # A refused crawl never got a spider: Scrapy sets bootstrap_failed.
        if process.bootstrap_failed:
            self.exitcode = 1
        # Nothing could be fetched at all (reach.py said why): not a success.
        if crawler.stats and crawler.stats.get_value("finish_reason") == UNREACHABLE:
            self.exitcode = 1


def _retrieve_if_locked(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    exc = task.exception()  # marks it retrieved: asyncio no longer prints it
    if exc is None or isinstance(exc, ArchiveLocked):
        return
    # Anything else is a real bootstrap error: report it exactly as asyncio would have.
    task.get_loop().call_exception_handler(
        {"message": "Task exception was never retrieved", "exception": exc, "future": task}
    )
