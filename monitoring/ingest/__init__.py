"""The MQTT side: client, session, intake pipeline (durable write before PUBACK), demo broker."""
