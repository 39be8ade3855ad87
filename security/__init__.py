"""Who may ask (SPEC §7): the bearer tokens' store, below both the HTTP service and the
command line that manages it, so neither has to import the other."""
