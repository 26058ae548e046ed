"""Scrapy settings for cpc-archive. Only settings in use, each with the reason it is set.

Our own settings are prefixed ARCHIVE_.
"""

BOT_NAME = "cpc-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# The embedded archive every component writes to unless told otherwise.
ARCHIVE_DB = "data/archive.db"
