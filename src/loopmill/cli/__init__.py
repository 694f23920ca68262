"""Command-line interface (typer); logic lives in the library."""
