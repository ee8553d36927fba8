from commerce.cli import main

raise SystemExit(main())
