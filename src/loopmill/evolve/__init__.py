"""loopmill.evolve"""
