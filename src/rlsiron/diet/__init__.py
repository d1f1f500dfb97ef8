"""Food composition and the diet planner."""
