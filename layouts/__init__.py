"""The pages: pure functions from a read model and a language to Dash components."""
