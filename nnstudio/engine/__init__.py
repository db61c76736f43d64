"""The Keras engine process, its request/reply protocol and shared-memory weight transfer."""
