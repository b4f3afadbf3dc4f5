"""remote layer of wabiz-tui (see design.md section 3)."""
