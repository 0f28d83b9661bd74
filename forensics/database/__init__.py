"""Sealbag."""
