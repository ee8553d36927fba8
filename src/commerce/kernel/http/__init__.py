"""HTTP plumbing shared by the services and the gateway."""
