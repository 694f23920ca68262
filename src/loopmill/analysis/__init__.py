"""loopmill.analysis"""
