"""User service: sign-up, profiles, and the credential check the auth service relies on."""
