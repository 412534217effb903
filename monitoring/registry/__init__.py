"""The registry (contract section 4): what is supervised, where, and whom to call.

`model` holds the immutable registry and its look-ups, `loader` reads and validates the
administrators' YAML file (`fields` reads one field and says where it is), `roster` answers
who is on duty.
"""
