"""Auth service: sign-in, signed access tokens (JWKS), rotating refresh tokens."""
