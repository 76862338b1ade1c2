"""The simulated openclaw: one module per part of SPEC.md."""
