"""Storage: plain functions over a sqlite-utils Database."""
