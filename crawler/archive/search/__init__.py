"""Full-text search: the bigram index, the query language, and the results.

bigrams (text as index tokens), tags (filters as index tokens), query (the query language as
FTS5 expressions), fts (keeping the index in sync, and searching it), facets (totals by facet).
"""
