"""What a deployment of either backend is given: its image and its settings."""
