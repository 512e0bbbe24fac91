"""The domain: content files and the pure code that reasons over them (no I/O but its own files)."""
