"""Widgets of the console: the host panel and keyed tables."""
