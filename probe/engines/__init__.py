"""Where a scenario runs besides the model: published openclaw builds driven through Node."""
