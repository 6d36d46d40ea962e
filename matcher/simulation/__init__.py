"""A simulator of the product's use over time, graded by a world whose truth is known.

Social workers use the product one client at a time: a client walks in, the worker asks for
suggestions, accepts one, and that seat is gone for the next client. The simulator builds a
world with a hidden truth (:mod:`~matcher.simulation.worlds`: ours, or the other world made
apart from the project), imports it into a fresh database and trains a model as the product
does (:mod:`~matcher.simulation.staging`), sends every arrival through the API's own route
functions (:mod:`~matcher.simulation.desk`), and grades what was accepted against the truth
beside the baselines (:mod:`~matcher.simulation.baselines`): the social workers' habit, random,
the product's plan for the whole cohort and the hindsight oracle. The report
(:mod:`~matcher.simulation.report`) gives each policy as a share of the oracle's gain over
random; :mod:`~matcher.simulation.sweep` runs worlds × seeds × scarcity × orders × behaviours.

    matcher simulate --world both --seeds 1,2 --seats-per-arrival 0.8 --json
"""

from matcher.simulation.desk import Behaviour, run_desk
from matcher.simulation.staging import Stage, stage_world
from matcher.simulation.sweep import Spec, parse_spec, run_sweep
from matcher.simulation.worlds import TruthWorld, WorldUnavailable, make_world

__all__ = [
    "Behaviour", "Spec", "Stage", "TruthWorld", "WorldUnavailable", "make_world", "parse_spec",
    "run_desk", "run_sweep", "stage_world",
]
