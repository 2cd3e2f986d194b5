"""What the avatar does next: dialogue context, expressive style and the behaviour tree."""
