"""loopmill.engines"""
