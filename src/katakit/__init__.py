"""katakit: auto-graded coding katas for deep learning, machine learning and CS interviews."""

__version__ = "0.1.0"
