"""The batch screener: the engine's rule table compiled to Ibis, for many people at once."""
