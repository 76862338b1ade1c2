"""Reports: the values a CLI command produces, and one renderer per output format."""
