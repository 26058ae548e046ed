"""The distributed crawl: many workers on one Redis frontier, one writer to the archive.

Switched on by ARCHIVE_REDIS_URL (crawler.distributed.addon); without it nothing here runs.
"""
