"""loopmill.studio"""
