"""cpc-archive: an archival crawler for People's Daily Party-news pages."""
