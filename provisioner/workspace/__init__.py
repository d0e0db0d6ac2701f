"""The only layer that imports databricks-sdk and MLflow, always lazily."""
