"""Storage: plain functions over a sqlite-utils Database.

db (open_archive, transactions), schema (migrations), snapshots + compress (the raw bytes,
content-addressed, zstd with trained dictionaries), verdict (what a fetch is), store
(store_fetches: the one way pages get in), lookup (what the crawl and commands ask),
search/ (the Chinese full-text index and its query language), diff, reparse, runs; warc/ (WARC
in and out) and selection serve the commands that read and export.
"""
