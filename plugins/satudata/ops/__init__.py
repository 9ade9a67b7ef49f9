"""Running a deployment: accounts and roles, rebuilding the warehouse from the archive, secrets, alerts."""
