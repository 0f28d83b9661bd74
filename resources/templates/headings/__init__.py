"""Package data (kept a package so wheels include its files)."""
