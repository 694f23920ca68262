"""loopmill.storage"""
