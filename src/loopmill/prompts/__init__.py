"""loopmill.prompts"""
