"""End-to-end runs of the example plants: validate, simulate, KPIs, decide, demo."""
