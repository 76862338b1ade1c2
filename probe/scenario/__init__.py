"""Scenario files: their values, reading, checking, writing and random generation."""
