"""Persistence: one aiosqlite connection, migrations and repositories."""
