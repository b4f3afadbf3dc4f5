"""The rehearsal lab of real parts (design.md §9, issue 12): namespaces, daemons, stand-in images."""
