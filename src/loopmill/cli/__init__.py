"""loopmill.cli"""
