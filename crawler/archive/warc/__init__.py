"""WARC in and out of the archive.

records (others' captures as Fetches, snapshots as WARC/1.1 records), readers (warcio's
readers, keeping the damage they find as values), files (what `import-warc` and `export-warc`
do to the archive).
"""
