"""Scrapy project commands (COMMANDS_MODULE): each module's command replaces the built-in of
the same name."""
