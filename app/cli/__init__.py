"""The ``sealbag`` command line (headless: never imports Qt)."""
