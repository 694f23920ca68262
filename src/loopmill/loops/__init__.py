"""loopmill.loops"""
