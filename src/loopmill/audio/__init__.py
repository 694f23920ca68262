"""loopmill.audio"""
