"""Simulated province, plants, people and incidents publishing like real site gateways."""
