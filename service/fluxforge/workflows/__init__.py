"""Workflows: manifests (YAML or JSON), their validation as DAGs, and versioned storage per namespace."""
