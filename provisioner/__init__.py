"""provisioner: a declarative, GitOps-first provisioner for the Databricks AI stack."""

__version__ = "0.1.0"
