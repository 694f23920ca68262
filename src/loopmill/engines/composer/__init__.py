"""The built-in offline composer engine: music theory, synthesis and drums."""
