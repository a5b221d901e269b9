import sys

from bench.stress.run import main

sys.exit(main())
