"""A microservices shop: user, auth, product and order services behind one API gateway."""
