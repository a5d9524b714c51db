from bn_studio.cli import main

raise SystemExit(main())
