"""The synthetic Quảng Ninh world: the demo data, the tests' data, and a known truth.

``build_world(seed=2025)`` gives the five files of the data contract (clients, providers,
options, placements, follow-ups) as text frames, exactly as they would be imported, plus a
``truth`` dict that the engine cannot see in real life: the probability that a client
succeeds in an option, for any pair, and the effect of placement. Same seed, same world.
``python -m matcher.synth --out data/demo --seed 2025`` regenerates the committed demo.

Ids are readable and stable: clients ``KH00001`` (khách hàng), trainers ``TR0001``, employers
``EM0001``, livelihood programmes ``LV001``, options ``OP000001``, placements ``PL000001``
(placements numbered by start date); a width grows by a digit only when the counts need it.

The parts:

- :mod:`.catalogue`: places and trades from data/places.csv and data/trades.csv, with the
  ways of writing each that resolve back (every generated place and trade imports);
- :mod:`.population`: clients by group, age, gender, education, disability, travel limit,
  needs, poverty, wishes written as free Vietnamese text (some without diacritics);
- :mod:`.supply`: trainers (hand-held, from 13, ~3,000,000 VND a head), employers,
  livelihood programmes (start-up packages), their options and the local demand for trades;
- :mod:`.truth`: the ground truth, P(success at 6 months | client, option) as a logistic of
  pair terms, and the not-placed baseline (see its docstring for the formula);
- :mod:`.history`: the confounded history, chosen the way social workers choose;
- :mod:`.world`: build, write and read a world.

data/sources/SYNTH.md gives every parameter and the public figure behind it.
"""

from .truth import (
    expected_income_placed,
    success_logit,
    true_earning_probability_unplaced,
    true_success_probability,
)
from .world import (
    COLUMNS,
    World,
    build_world,
    main,
    read_world,
    world_with_known_effect,
    write_world,
)

__all__ = [
    "COLUMNS",
    "World",
    "build_world",
    "expected_income_placed",
    "main",
    "read_world",
    "success_logit",
    "true_earning_probability_unplaced",
    "true_success_probability",
    "world_with_known_effect",
    "write_world",
]
