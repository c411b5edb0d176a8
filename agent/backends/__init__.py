"""Chat-model backends; ``agent.models.load_model`` picks one from a spec string."""
