"""RSpace's rules in plain Python: users, OAuth apps, token pairs, documents. No HTTP here."""
