"""``python -m matcher.synth --out data/demo --seed 2025`` regenerates the demo world."""

from matcher.synth.world import main

raise SystemExit(main())
