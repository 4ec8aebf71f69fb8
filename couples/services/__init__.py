"""Services: load, authorise, call the domain, persist, commit once, then publish."""
