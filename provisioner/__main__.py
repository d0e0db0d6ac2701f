"""`python -m provisioner` runs the CLI."""

from provisioner.cli.main import main

main()
