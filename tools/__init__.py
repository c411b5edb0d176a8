"""martmind's tools: deterministic analyses over the workspace, usable from Python without any LLM."""
