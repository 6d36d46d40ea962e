"""Sign-in: argon2 passwords, signed bearer tokens (and the pages' cookie), slowed retries."""
