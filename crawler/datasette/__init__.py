"""Browsing the archive with Datasette: the metadata (titles, facets, canned queries) and a
plugin that lets Datasette query the archive's bigram search index."""
