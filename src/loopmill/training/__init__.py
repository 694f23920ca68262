"""loopmill.training"""
