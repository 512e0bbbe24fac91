"""Channel-neutral features: one module (or package) per feature."""
