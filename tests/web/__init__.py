"""Browser and HTTP tests of the web site (fixtures in conftest.py)."""
