"""The property catalogue: what a recovery path must never do, one small module per class.

Each property is a value (probe.properties.base.Property): a kebab-case name, a kind, its
parameters with defaults, a one-line meaning, the openclaw issues it catches, and a monitor
that reads a run's trace (probe.properties.trace). `--plugin module:attr` adds properties of
the same shape.
"""
