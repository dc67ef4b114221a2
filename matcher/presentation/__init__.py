"""Turning domain values into words for people (pages, API, CSV); pure Python, no Flask."""
