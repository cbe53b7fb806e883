"""The stories: the tested computations behind each notebook in notebooks/, on processed tables."""
