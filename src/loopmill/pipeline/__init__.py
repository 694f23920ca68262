"""loopmill.pipeline"""
