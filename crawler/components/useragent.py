"""A User-Agent that names the project and how to reach whoever runs it."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

# The contact shipped in settings.py: a crawl of the real site should name a real one.
PLACEHOLDER_DOMAIN = "example.org"


def project_version() -> str:
    try:
        return version("cpc-archive")
    except PackageNotFoundError:
        return "dev"


def user_agent(contact: str) -> str:
    return f"cpc-archive/{project_version()} (archival crawler; +{contact})"


class ArchiveUserAgentMiddleware:
    """Sets the User-Agent on every request from ARCHIVE_CONTACT (USER_AGENT wins if set)."""

    def __init__(self, agent: str):
        self.agent = agent

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        contact = settings.get("ARCHIVE_CONTACT")
        if not contact:
            raise NotConfigured("ARCHIVE_CONTACT is empty: set it so the site can reach you")
        if PLACEHOLDER_DOMAIN in contact:
            logger.warning(
                "ARCHIVE_CONTACT is the placeholder %s: set your own so the site can reach you",
                contact,
            )
        explicit = settings.get("USER_AGENT")
        # Scrapy's default USER_AGENT names Scrapy, not us: only an explicit one overrides ours.
        if explicit and not explicit.startswith("Scrapy/"):
            return cls(explicit)
        return cls(user_agent(contact))

    def process_request(self, request):
        request.headers.setdefault(b"User-Agent", self.agent)
