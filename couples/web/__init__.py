"""HTTP blueprints, one per audience or feature."""
