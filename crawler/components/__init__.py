"""Crawl machinery around the spider: politeness components, run lock, persistent frontier."""
