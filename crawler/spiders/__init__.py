"""Crawl policy: what to fetch next."""
