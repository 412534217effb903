"""Pure parsing of untrusted gateway input into typed records; never touches a store."""
