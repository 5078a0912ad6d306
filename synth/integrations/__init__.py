"""Trainer integrations: synth's environments as TRL environments (`synth.integrations.trl`) and as
verl tools (`synth.integrations.verl`). Each episode is a synth session (`synth._envserver`), in
process over a run or on a `synth serve` server; the reward is the task verifier's verdict."""
