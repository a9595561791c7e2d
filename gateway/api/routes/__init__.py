"""One module per resource; each only parses, authorises through deps and calls a service."""
