"""A whole cohort's plan under seats and a budget: the candidates and the exact assignment."""
