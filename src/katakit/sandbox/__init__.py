"""Learner code in its own contained process; graders talk to it through one door.

See ``docs/sandbox.md`` for the design. Graders rarely need more than the ``kata`` fixture; for
checks that must run where the learner's objects live (autograd through a learner's module),
:func:`probe` sends a small self-contained function there.
"""
