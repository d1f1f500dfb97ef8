"""Renderers that turn an Assessment into text for people (Markdown, terminal)."""
