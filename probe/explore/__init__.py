"""Breadth-first search over step interleavings, random walks, shrinking and sweeps."""
