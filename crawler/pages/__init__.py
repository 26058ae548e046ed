"""Page meaning: pure functions from page bytes + URL to records.

No spider, no database, no clock.
"""
