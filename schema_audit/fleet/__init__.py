"""Fleets: one spec audited against many databases, and the results of separate runs merged."""
