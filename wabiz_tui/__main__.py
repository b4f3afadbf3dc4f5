"""python -m wabiz_tui"""
import sys

from .cli.main import main

sys.exit(main())
