"""Typed factory_boy factories, one module per app (grids, departments, cases)."""
