"""Test suite; mirrors the source folders."""
