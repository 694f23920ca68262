"""Storage: atomic local outputs and metadata sidecars."""
