"""loopmill.models"""
